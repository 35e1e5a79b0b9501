/*
 * receipts.c - the print queue (receipts.h): one job at a time, oldest first, each step
 * journaled before it is carried out.
 *
 * A turn: the printer reads its descriptors; a job under way that ended is marked printed or
 * failed; then, if the printer is ready and no failure is being waited out, the oldest job
 * owed is marked sending, composed and submitted. New jobs are made by journal_save (a paid
 * sale, a refund) in the loop's own turn, so the journal is asked again every probe_ms.
 */
#include "receipts.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reports.h"
#include "shifts.h"
#include "zreports.h"

struct receipts {
    struct receipts_config cfg;
    struct journal *journal;
    struct printer *printer;
    struct loop_clock clock;
    bool system_clock;
    struct receipts_observer obs;

    bool active; /* job is with the printer */
    struct print_job job;
    struct print_doc doc;
    int64_t next_try_at; /* mono ms: no new job before this */
    int64_t next_probe_at;
    int waiting;
    unsigned printer_seq;
    bool printer_seen;
    char journal_error[256];
};

static int64_t system_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_now(const struct receipts *r)
{
    return r->system_clock ? system_ms(CLOCK_REALTIME) : r->clock.wall(r->clock.ctx);
}

static void tell(struct receipts *r, enum receipts_what what, const struct print_job *job,
                 bool bytes_out, const char *reason)
{
    struct receipts_event e = {what, job, r->waiting, bytes_out, reason ? reason : ""};
    if (r->obs.event)
        r->obs.event(r->obs.ctx, &e);
}

static void journal_trouble(struct receipts *r, enum journal_status st)
{
    snprintf(r->journal_error, sizeof r->journal_error, "%s: %s", journal_status_reason(st),
             journal_last_error(r->journal));
    tell(r, RECEIPTS_JOURNAL, NULL, false, r->journal_error);
}

static void count_owed(struct receipts *r)
{
    int owed = 0;
    enum journal_status st = print_job_count_owed(r->journal, &owed);
    if (st != JOURNAL_OK) {
        journal_trouble(r, st);
        return;
    }
    if (owed != r->waiting) {
        r->waiting = owed;
        tell(r, RECEIPTS_WAITING, NULL, false, NULL);
    }
}

struct receipts *receipts_open(const struct receipts_config *cfg, struct journal *journal,
                               struct printer *printer, const struct loop_clock *clock,
                               const struct receipts_observer *observer)
{
    struct receipts *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->cfg = *cfg;
    if (r->cfg.retry_ms <= 0)
        r->cfg.retry_ms = 2000;
    if (r->cfg.probe_ms <= 0)
        r->cfg.probe_ms = 250;
    r->journal = journal;
    r->printer = printer;
    r->system_clock = clock == NULL;
    if (clock)
        r->clock = *clock;
    if (observer)
        r->obs = *observer;
    r->waiting = -1; /* the first count is told */
    return r;
}

void receipts_close(struct receipts *r)
{
    free(r);
}

int receipts_waiting(const struct receipts *r)
{
    return r->waiting < 0 ? 0 : r->waiting;
}

int receipts_owed_now(struct receipts *r)
{
    count_owed(r);
    return receipts_waiting(r);
}

const char *receipts_printer_line(const struct receipts *r, bool *ready)
{
    if (ready)
        *ready = printer_state(r->printer) == PRINTER_READY;
    return printer_status_line(r->printer);
}

enum printer_state receipts_printer_state(const struct receipts *r)
{
    return printer_state(r->printer);
}

const char *receipts_journal_error(const struct receipts *r)
{
    return r->journal_error;
}

/* The local day yyyymmdd as the period the reports read. */
static void day_period(int yyyymmdd, int64_t *from, int64_t *to)
{
    struct tm tm = {.tm_year = yyyymmdd / 10000 - 1900,
                    .tm_mon = yyyymmdd / 100 % 100 - 1,
                    .tm_mday = yyyymmdd % 100,
                    .tm_hour = 12,
                    .tm_isdst = -1};
    int ymd = 0;
    report_local_day((int64_t)mktime(&tm), from, to, &ymd);
}

static int count_one(void *ctx, const struct payment *p)
{
    (void)p;
    ++*(int *)ctx;
    return 0;
}

/* issue 21 (recon2): the reconciled day's items, in a growing array. */
struct recon_list {
    struct reconcile_item *items;
    size_t n, cap;
};

static int collect_item(void *ctx, const struct reconcile_item *it)
{
    struct recon_list *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct reconcile_item *grown = realloc(l->items, cap * sizeof *grown);
        if (grown == NULL)
            return 1;
        l->items = grown;
        l->cap = cap;
    }
    l->items[l->n++] = *it;
    return 0;
}

/* A reconciliation's slip: the day's result as the journal has it now. */
static bool compose_reconcile(struct receipts *r, const struct print_job *job,
                              const struct receipt_marks *marks, enum journal_status *st, char *why,
                              size_t len)
{
    char date[RECON_DATE_LEN + 1];
    struct reconciliation runs[2];
    int nruns = 0;
    unsigned day = (unsigned)job->day;
    snprintf(date, sizeof date, "%04u-%02u-%02u", day / 10000 % 10000, day / 100 % 100, day % 100);
    if ((*st = recon_get(r->journal, date, runs, 2, &nruns)) == JOURNAL_NOT_FOUND) {
        *st = JOURNAL_OK;
        snprintf(why, len, "no reconciliation of %s in the journal", date);
        return false;
    }
    if (*st != JOURNAL_OK)
        return false;
    struct recon_list l = {0};
    if ((*st = recon_items(r->journal, date, collect_item, &l)) != JOURNAL_OK) {
        free(l.items);
        return false;
    }
    bool ok = receipt_reconcile(&r->doc, r->cfg.columns, r->cfg.lang, &r->cfg.header, marks, runs,
                                nruns, l.items, l.n);
    free(l.items);
    if (!ok)
        snprintf(why, len, "the reconciliation does not fit a receipt");
    return ok;
}

/* The job's document; false (why set) when there is nothing to print it from, JOURNAL_OK in
 * *st, or a journal failure in *st (to be retried). */
static bool compose(struct receipts *r, const struct print_job *job, enum journal_status *st,
                    char *why, size_t len)
{
    struct receipt_marks marks = {job->reprint, job->copy == PRINT_MERCHANT};
    struct payment p;
    *st = JOURNAL_OK;
    if (job->kind == PRINT_EOD) {
        struct report_day day;
        int64_t from, to;
        int referred = 0;
        day_period(job->day, &from, &to);
        if ((*st = report_totals(r->journal, from, to, &day)) != JOURNAL_OK ||
            (*st = report_referred(r->journal, count_one, &referred)) != JOURNAL_OK)
            return false;
        if (!receipt_day(&r->doc, r->cfg.columns, r->cfg.lang, &r->cfg.header, &marks, job->day,
                         &day, referred)) {
            snprintf(why, len, "the report does not fit a receipt");
            return false;
        }
        return true;
    }
    if (job->kind == PRINT_SHIFT) {
        struct shift s;
        struct report_day day;
        if ((*st = shift_get(r->journal, job->ref, &s)) == JOURNAL_NOT_FOUND) {
            *st = JOURNAL_OK;
            snprintf(why, len, "no shift %lld in the journal", (long long)job->ref);
            return false;
        }
        if (*st != JOURNAL_OK ||
            (*st = shift_totals(r->journal, &s, wall_now(r), &day)) != JOURNAL_OK)
            return false;
        if (!receipt_shift(&r->doc, r->cfg.columns, r->cfg.lang, &r->cfg.header, &marks, &s,
                           &day)) {
            snprintf(why, len, "the report cannot be composed (a name that is not UTF-8?)");
            return false;
        }
        return true;
    }
    if (job->kind == PRINT_Z) {
        struct z_report z;
        int referred = 0;
        if ((*st = z_report_get(r->journal, job->ref, &z)) == JOURNAL_NOT_FOUND) {
            *st = JOURNAL_OK;
            snprintf(why, len, "no Z report %lld in the journal", (long long)job->ref);
            return false;
        }
        if (*st != JOURNAL_OK ||
            (*st = report_referred(r->journal, count_one, &referred)) != JOURNAL_OK)
            return false;
        if (!receipt_z(&r->doc, r->cfg.columns, r->cfg.lang, &r->cfg.header, &marks, &z,
                       referred)) {
            snprintf(why, len, "the report does not fit a receipt");
            return false;
        }
        return true;
    }
    if (job->kind == PRINT_RECON)
        return compose_reconcile(r, job, &marks, st, why, len);
    *st = journal_load(r->journal, job->order_no, &p);
    if (*st == JOURNAL_NOT_FOUND) {
        *st = JOURNAL_OK;
        snprintf(why, len, "no order %s in the journal", job->order_no);
        return false;
    }
    if (*st != JOURNAL_OK)
        return false;
    bool ok;
    if (job->kind == PRINT_REFUND) {
        struct journal_refund refund;
        *st = journal_refund_by_no(r->journal, job->refund_no, &refund);
        if (*st == JOURNAL_NOT_FOUND) {
            *st = JOURNAL_OK;
            snprintf(why, len, "no refund %s in the journal", job->refund_no);
            return false;
        }
        if (*st != JOURNAL_OK)
            return false;
        ok = receipt_refund(&r->doc, r->cfg.columns, r->cfg.lang, &r->cfg.header, &marks, &p,
                            &refund);
    } else {
        ok = receipt_sale(&r->doc, r->cfg.columns, r->cfg.lang, &r->cfg.header, &marks, &p);
    }
    if (!ok)
        snprintf(why, len, "the receipt cannot be composed (a name that is not UTF-8?)");
    return ok;
}

static void give_up(struct receipts *r, struct print_job *job, const char *why)
{
    enum journal_status st = print_job_unprintable(r->journal, job->id, why);
    if (st != JOURNAL_OK) {
        journal_trouble(r, st);
        return;
    }
    job->state = PRINT_UNPRINTABLE;
    count_owed(r);
    tell(r, RECEIPTS_UNPRINTABLE, job, false, why);
}

/* Puts a job that did not print back to waiting (marked a reprint if bytes went out) and
 * waits retry_ms before the next. */
static void fail_job(struct receipts *r, struct print_job *job, bool bytes_out, const char *why,
                     int64_t now)
{
    r->next_try_at = now + r->cfg.retry_ms;
    enum journal_status st = print_job_failed(r->journal, job->id, bytes_out, why);
    if (st != JOURNAL_OK) {
        /* Still 'sending' in the journal: it comes back as a reprint, never unmarked. */
        journal_trouble(r, st);
        return;
    }
    job->state = PRINT_WAITING;
    job->reprint = job->reprint || bytes_out;
    tell(r, RECEIPTS_FAILED, job, bytes_out, why);
}

static void finish_job(struct receipts *r, int64_t now)
{
    enum printer_job js = printer_job_state(r->printer);
    if (js == PRINTER_JOB_SENDING)
        return;
    if (js == PRINTER_JOB_DONE) {
        enum journal_status st = print_job_printed(r->journal, r->job.id, wall_now(r));
        if (st != JOURNAL_OK) {
            /* Printed but not recorded: kept, and the mark tried again next turn. */
            journal_trouble(r, st);
            r->next_try_at = now + r->cfg.retry_ms;
            return;
        }
        r->job.state = PRINT_PRINTED;
        printer_job_clear(r->printer);
        r->active = false;
        count_owed(r);
        tell(r, RECEIPTS_PRINTED, &r->job, false, NULL);
        return;
    }
    bool bytes_out = js == PRINTER_JOB_FAILED && printer_job_sent(r->printer) > 0;
    char why[200];
    snprintf(why, sizeof why, "%s", printer_status_line(r->printer));
    printer_job_clear(r->printer);
    r->active = false;
    fail_job(r, &r->job, bytes_out, why[0] ? why : "the printer failed", now);
}

static void start_next(struct receipts *r, int64_t now)
{
    struct print_job job;
    enum journal_status st = print_job_next(r->journal, &job);
    if (st == JOURNAL_NOT_FOUND)
        return;
    if (st != JOURNAL_OK) {
        journal_trouble(r, st);
        r->next_try_at = now + r->cfg.retry_ms;
        return;
    }
    /* The mark first: from here on, whatever happens, this job is never printed unmarked
     * again without the journal saying so. */
    if ((st = print_job_start(r->journal, &job, wall_now(r))) != JOURNAL_OK) {
        journal_trouble(r, st);
        r->next_try_at = now + r->cfg.retry_ms;
        return;
    }
#ifdef POSTERM_CRASH_POINTS
    /* Crash tests: die with the job marked sending, before any byte left. */
    const char *crash = getenv("POSTERM_CRASH_AFTER");
    if (crash && strcmp(crash, "print_sending") == 0)
        raise(SIGKILL);
#endif
    char why[200] = "";
    if (!compose(r, &job, &st, why, sizeof why)) {
        if (st != JOURNAL_OK) {
            journal_trouble(r, st);
            fail_job(r, &job, false, r->journal_error, now);
        } else {
            give_up(r, &job, why);
        }
        return;
    }
    char err[200] = "";
    enum printer_status ps = printer_submit(r->printer, &r->doc, err, sizeof err);
    if (ps == PRINTER_ERR_RENDER) {
        give_up(r, &job, err);
        return;
    }
    if (ps != PRINTER_OK) {
        fail_job(r, &job, false, err[0] ? err : printer_status_line(r->printer), now);
        return;
    }
    r->job = job;
    r->active = true;
    tell(r, RECEIPTS_PRINTING, &r->job, false, NULL);
}

static int receipts_pollfds(void *ctx, struct pollfd *fds, int max, int64_t *timeout_ms)
{
    struct receipts *r = ctx;
    int n = printer_pollfds(r->printer, fds, max, timeout_ms);
    if (!r->active && (*timeout_ms < 0 || *timeout_ms > r->cfg.probe_ms))
        *timeout_ms = r->cfg.probe_ms;
    return n;
}

static void receipts_process(void *ctx, const struct pollfd *fds, int nfds, int64_t now_ms)
{
    struct receipts *r = ctx;
    printer_process(r->printer, fds, nfds, now_ms);
    unsigned seq = printer_status_seq(r->printer);
    if (!r->printer_seen || seq != r->printer_seq) {
        r->printer_seen = true;
        r->printer_seq = seq;
        tell(r, RECEIPTS_PRINTER, NULL, false, printer_status_line(r->printer));
    }
    if (r->active)
        finish_job(r, now_ms);
    if (r->active || now_ms < r->next_probe_at)
        return;
    r->next_probe_at = now_ms + r->cfg.probe_ms;
    count_owed(r);
    if (r->waiting > 0 && now_ms >= r->next_try_at && printer_state(r->printer) == PRINTER_READY)
        start_next(r, now_ms);
}

struct loop_service receipts_service(struct receipts *r)
{
    return (struct loop_service){r, receipts_pollfds, receipts_process};
}

enum receipts_status receipts_reprint(struct receipts *r, const char *order_no)
{
    struct payment p;
    enum journal_status st = journal_load(r->journal, order_no, &p);
    if (st == JOURNAL_NOT_FOUND)
        return RECEIPTS_NO_ORDER;
    if (st != JOURNAL_OK) {
        journal_trouble(r, st);
        return RECEIPTS_NO_JOURNAL;
    }
    if (p.state != PAY_PAID && p.state != PAY_REFUNDING && p.state != PAY_REFUNDED)
        return RECEIPTS_NOT_PAID;
    struct print_job job = {.kind = PRINT_SALE, .copy = PRINT_CUSTOMER, .reprint = true};
    snprintf(job.order_no, sizeof job.order_no, "%s", p.order_no);
    if ((st = print_job_add(r->journal, &job, wall_now(r), NULL)) != JOURNAL_OK) {
        journal_trouble(r, st);
        return RECEIPTS_NO_JOURNAL;
    }
    r->next_probe_at = 0;
    return RECEIPTS_OK;
}

static enum receipts_status add_report(struct receipts *r, const struct print_job *job)
{
    enum journal_status st = print_job_add(r->journal, job, wall_now(r), NULL);
    if (st != JOURNAL_OK) {
        journal_trouble(r, st);
        return RECEIPTS_NO_JOURNAL;
    }
    r->next_probe_at = 0;
    return RECEIPTS_OK;
}

enum receipts_status receipts_shift_report(struct receipts *r, int64_t shift_id)
{
    return add_report(r, &(struct print_job){.kind = PRINT_SHIFT, .ref = shift_id});
}

enum receipts_status receipts_z_report(struct receipts *r, int64_t number)
{
    return add_report(r, &(struct print_job){.kind = PRINT_Z, .ref = number});
}

enum receipts_status receipts_day_report(struct receipts *r, int yyyymmdd)
{
    return add_report(r, &(struct print_job){.kind = PRINT_EOD, .day = yyyymmdd});
}

enum receipts_status receipts_reconcile(struct receipts *r, const char *date)
{
    int y, mo, d;
    if (!recon_date_bounds(date, NULL, NULL) || sscanf(date, "%4d-%2d-%2d", &y, &mo, &d) != 3)
        return RECEIPTS_NO_ORDER;
    return add_report(r, &(struct print_job){.kind = PRINT_RECON, .day = y * 10000 + mo * 100 + d});
}
