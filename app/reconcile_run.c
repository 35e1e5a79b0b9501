/*
 * reconcile_run.c - the child that fetches and matches, and the loop side that journals.
 *
 * The child's lines on the pipe, fields split by tabs (no field read from a bill holds one:
 * bill.h gives out only numbers of the allowed characters):
 *   I channel kind order refund trade bill_fen journal_fen line   one difference
 *   R channel no_bill bill_rows foreign_rows count...             one channel's totals
 *   E channel text                                               the run failed
 */
#define _GNU_SOURCE /* close_range, pipe2 */
#include "reconcile_run.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bill_fetch.h"

#define DOWNLOAD_TIMEOUT_MS (10L * 60 * 1000)
#define BILL_BYTES_MAX      (1LL << 30)

struct channel_entries {
    enum pay_channel channel;
    struct recon_payment *pays;
    size_t npays;
    struct recon_refund *refunds;
    size_t nrefunds;
};

struct reconcile_run {
    const struct config *cfg;
    struct journal *journal;
    reconcile_done_fn done;
    void *ctx;
    pid_t child;
    int fd; /* the pipe's read end; -1 when idle */
    char date[RECON_DATE_LEN + 1];
    char dir[64];
    int64_t started_at;
    char *out; /* what the child wrote so far */
    size_t len, cap;
    bool scheduled;     /* the run going on was started by the schedule */
    int daily_minute;   /* -1: no schedule */
    int64_t next_check; /* wall ms: when the schedule looks again */
    struct failed_day { /* scheduled days that failed, tried again at retry_at (wall ms) */
        char date[RECON_DATE_LEN + 1];
        int64_t retry_at, backoff_ms;
    } failed[RECONCILE_CATCH_UP_DAYS];
};

#define SCHEDULE_LOOK_MS (60 * 1000)
#define BACKOFF_FIRST_MS (5 * 60 * 1000)
#define BACKOFF_MAX_MS   (60 * 60 * 1000)

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct reconcile_run *reconcile_run_new(const struct config *cfg, struct journal *journal,
                                        reconcile_done_fn done, void *ctx)
{
    struct reconcile_run *r = calloc(1, sizeof *r);
    if (r) {
        r->cfg = cfg;
        r->journal = journal;
        r->done = done;
        r->ctx = ctx;
        r->fd = -1;
        r->daily_minute = -1;
    }
    return r;
}

static void end_child(struct reconcile_run *r)
{
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    if (r->child > 0)
        waitpid(r->child, NULL, 0);
    r->child = 0;
    /* a child killed mid-download leaves its file (bill_fetch.c names them) */
    static const char *const left[] = {"alipay.bill", "alipay.bill.part", "wechat.bill",
                                       "wechat.bill.part"};
    for (size_t i = 0; r->dir[0] && i < sizeof left / sizeof left[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s/%s", r->dir, left[i]);
        unlink(path);
    }
    if (r->dir[0])
        rmdir(r->dir);
    r->dir[0] = '\0';
    free(r->out);
    r->out = NULL;
    r->len = r->cap = 0;
}

void reconcile_run_free(struct reconcile_run *r)
{
    if (!r)
        return;
    if (r->child > 0)
        kill(r->child, SIGKILL); /* nothing of its own to save: a new run starts afresh */
    end_child(r);
    free(r);
}

bool reconcile_run_busy(const struct reconcile_run *r)
{
    return r->fd >= 0;
}

/* --- the child ------------------------------------------------------------------------ */

struct rows {
    const char *prefix;
    struct bill_row *r;
    size_t n, cap;
    size_t read, foreign; /* every row read; other terminals' rows, not kept */
};

static bool keep_row(void *ctx, const struct bill_row *row)
{
    struct rows *rows = ctx;
    rows->read++;
    if (strncmp(row->order_no, rows->prefix, strlen(rows->prefix)) != 0) {
        rows->foreign++; /* a merchant's other tills: counted, never held in memory */
        return true;
    }
    if (rows->n == rows->cap) {
        size_t cap = rows->cap ? rows->cap * 2 : 256;
        struct bill_row *grown = realloc(rows->r, cap * sizeof *grown);
        if (grown == NULL)
            return false;
        rows->r = grown;
        rows->cap = cap;
    }
    rows->r[rows->n++] = *row;
    return true;
}

struct emit_ctx {
    FILE *out;
    enum pay_channel channel;
};

static void emit_finding(void *ctx, const struct recon_finding *f)
{
    struct emit_ctx *e = ctx;
    if (!recon_is_difference(f->kind))
        return;
    fprintf(e->out, "I\t%s\t%s\t%s\t%s\t%s\t%" PRId64 "\t%" PRId64 "\t%ld\n",
            pay_channel_name(e->channel), recon_kind_name(f->kind), f->order_no, f->refund_no,
            f->trade_no, f->bill_fen, f->journal_fen, f->line);
}

static void child_fail(FILE *out, enum pay_channel ch, const struct bill_error *err)
{
    char text[sizeof err->text];
    snprintf(text, sizeof text, "%s", err->text);
    for (char *p = text; *p; p++)
        if (*p == '\t' || *p == '\n' || *p == '\r')
            *p = ' ';
    if (err->line > 0)
        fprintf(out, "E\t%s\tline %ld: %s\n", pay_channel_name(ch), err->line, text);
    else
        fprintf(out, "E\t%s\t%s\n", pay_channel_name(ch), text);
}

static int child_main(const struct config *cfg, const char *date, const char *dir,
                      const char *prefix, struct channel_entries *ch, int nch, FILE *out)
{
    const struct bill_download_options opt = {.tls_verify = cfg->gateway.tls_verify,
                                              .ca_file = cfg->gateway.ca_file,
                                              .timeout_ms = DOWNLOAD_TIMEOUT_MS,
                                              .max_bytes = BILL_BYTES_MAX};
    for (int i = 0; i < nch; i++) {
        struct rows rows = {.prefix = prefix};
        struct bill_error err;
        bool no_bill = false;
        enum bill_status st = bill_fetch_day(&cfg->gateway, ch[i].channel, date, dir, &opt,
                                             (int64_t)time(NULL), keep_row, &rows, &no_bill, &err);
        if (st != BILL_OK) {
            if (st != BILL_ERR_FORMAT && st != BILL_ERR_FILE && st != BILL_ERR_HASH)
                snprintf(err.text, sizeof err.text, "%s", bill_status_name(st));
            child_fail(out, ch[i].channel, &err);
            return 1;
        }
        struct recon_totals t;
        struct emit_ctx e = {.out = out, .channel = ch[i].channel};
        recon_match(prefix, rows.r, rows.n, ch[i].pays, ch[i].npays, ch[i].refunds, ch[i].nrefunds,
                    emit_finding, &e, &t);
        fprintf(out, "R\t%s\t%d\t%zu\t%zu", pay_channel_name(ch[i].channel), no_bill ? 1 : 0,
                rows.read, rows.foreign + t.foreign_rows);
        for (int k = 0; k < RECON__COUNT; k++)
            fprintf(out, "\t%zu", t.by_kind[k]);
        fputc('\n', out);
        free(rows.r);
    }
    return fflush(out) == 0 ? 0 : 1;
}

/* --- the loop side -------------------------------------------------------------------- */

static void free_entries(struct channel_entries *ch, int nch)
{
    for (int i = 0; i < nch; i++) {
        free(ch[i].pays);
        free(ch[i].refunds);
    }
}

bool reconcile_run_start(struct reconcile_run *r, const char *date, char *why, size_t whylen)
{
    int64_t from, to;
    if (!recon_date_bounds(date, &from, &to)) {
        snprintf(why, whylen, "reconcile: the date must be a day written YYYY-MM-DD");
        return false;
    }
    if (reconcile_run_busy(r)) {
        snprintf(why, whylen, "reconcile: %s is being reconciled: wait for it", r->date);
        return false;
    }
    if (r->journal == NULL) {
        snprintf(why, whylen, "reconcile: the journal is not available");
        return false;
    }
    char prefix[64];
    /* every order this terminal made, under each identity its journal had (order_no.h) */
    snprintf(prefix, sizeof prefix, "%s-", r->cfg->terminal_id);
    struct channel_entries ch[2];
    int nch = 0;
    const enum pay_channel channels[] = {CHANNEL_ALIPAY, CHANNEL_WECHAT};
    for (int i = 0; i < 2; i++) {
        const struct gw_channel_config *c =
            channels[i] == CHANNEL_ALIPAY ? &r->cfg->gateway.alipay : &r->cfg->gateway.wechat;
        if (!c->enabled)
            continue;
        memset(&ch[nch], 0, sizeof ch[nch]);
        ch[nch].channel = channels[i];
        enum journal_status st =
            recon_day_entries(r->journal, channels[i], from, to, prefix, &ch[nch].pays,
                              &ch[nch].npays, &ch[nch].refunds, &ch[nch].nrefunds);
        if (st != JOURNAL_OK) {
            free_entries(ch, nch);
            snprintf(why, whylen, "reconcile: the journal could not be read (%s)",
                     journal_status_reason(st));
            return false;
        }
        nch++;
    }
    if (nch == 0) {
        snprintf(why, whylen, "reconcile: no gateway channel is enabled");
        return false;
    }
    snprintf(r->dir, sizeof r->dir, "/tmp/posterm-bill-XXXXXX");
    int fds[2] = {-1, -1};
    if (!mkdtemp(r->dir) || pipe2(fds, O_CLOEXEC) != 0) {
        snprintf(why, whylen, "reconcile: no room to work (%s)", strerror(errno));
        if (r->dir[0] && access(r->dir, F_OK) == 0)
            rmdir(r->dir);
        r->dir[0] = '\0';
        free_entries(ch, nch);
        return false;
    }
    pid_t pid = fork();
    if (pid == 0) {
        /* Only the pipe stays open: the child must not hold the register's clients, the
         * gateway's connections or the journal beyond the parent's closing them. */
        signal(SIGINT, SIG_DFL); /* not the parent's handlers: a stop ends the child */
        signal(SIGTERM, SIG_DFL);
        if (fds[1] != 3 && dup2(fds[1], 3) != 3)
            _exit(1);
        close_range(4, ~0U, 0);
        FILE *out = fdopen(3, "w");
        int rc = out ? child_main(r->cfg, date, r->dir, prefix, ch, nch, out) : 1;
        if (out)
            fflush(out);
        _exit(rc); /* no atexit handler of the parent's: its journal stays the parent's */
    }
    free_entries(ch, nch);
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        rmdir(r->dir);
        r->dir[0] = '\0';
        snprintf(why, whylen, "reconcile: no process for the download (%s)", strerror(errno));
        return false;
    }
    fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    r->child = pid;
    r->fd = fds[0];
    r->started_at = wall_ms();
    r->scheduled = false;
    snprintf(r->date, sizeof r->date, "%s", date);
    return true;
}

void reconcile_run_daily(struct reconcile_run *r, int minute_of_day)
{
    r->daily_minute = minute_of_day;
    r->next_check = 0;
    memset(r->failed, 0, sizeof r->failed);
}

static struct failed_day *failed_day(struct reconcile_run *r, const char *date)
{
    for (int i = 0; i < RECONCILE_CATCH_UP_DAYS; i++)
        if (strcmp(r->failed[i].date, date) == 0)
            return &r->failed[i];
    return NULL;
}

/* The day is tried again in 5 minutes, then twice as long each time, at most an hour. The
 * entry of a day out of the week (or the oldest) makes room. */
static void back_off(struct reconcile_run *r, const char *date, int64_t now)
{
    struct failed_day *f = failed_day(r, date);
    if (f == NULL) {
        f = &r->failed[0];
        for (int i = 1; i < RECONCILE_CATCH_UP_DAYS; i++)
            if (strcmp(r->failed[i].date, f->date) < 0)
                f = &r->failed[i];
        memset(f, 0, sizeof *f);
        snprintf(f->date, sizeof f->date, "%s", date);
    }
    f->backoff_ms = f->backoff_ms ? f->backoff_ms * 2 : BACKOFF_FIRST_MS;
    if (f->backoff_ms > BACKOFF_MAX_MS)
        f->backoff_ms = BACKOFF_MAX_MS;
    f->retry_at = now + f->backoff_ms;
}

/* The Beijing date days_ago days before now. */
static void beijing_date(int64_t now_ms, int days_ago, char out[RECON_DATE_LEN + 1])
{
    time_t t = (time_t)(now_ms / 1000 + 8 * 3600 - (int64_t)days_ago * 86400);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, RECON_DATE_LEN + 1, "%Y-%m-%d", &tm);
}

/* One look of the schedule: the newest day of the week neither reconciled nor waiting out a
 * failure is started. */
static void schedule_turn(struct reconcile_run *r, int64_t now)
{
    time_t t = (time_t)(now / 1000);
    struct tm local;
    localtime_r(&t, &local);
    r->next_check = now + SCHEDULE_LOOK_MS;
    if (local.tm_hour * 60 + local.tm_min < r->daily_minute)
        return;
    for (int ago = 1; ago <= RECONCILE_CATCH_UP_DAYS; ago++) {
        char date[RECON_DATE_LEN + 1];
        struct reconciliation runs[2];
        int n = 0;
        beijing_date(now, ago, date);
        const struct failed_day *f = failed_day(r, date);
        if (f && f->retry_at > now) {
            if (f->retry_at < r->next_check)
                r->next_check = f->retry_at;
            continue;
        }
        enum journal_status st = recon_get(r->journal, date, runs, 2, &n);
        if (st == JOURNAL_OK)
            continue;
        char why[300];
        if (st == JOURNAL_NOT_FOUND && reconcile_run_start(r, date, why, sizeof why)) {
            r->scheduled = true;
            return;
        }
        back_off(r, date, now); /* the journal cannot be read or no run can start */
    }
}

static char *field(char **save)
{
    char *f = strsep(save, "\t");
    return f ? f : "";
}

/* Reads the child's lines into o; items grows. False with o->error on a line not understood. */
static bool parse_output(struct reconcile_run *r, struct reconcile_outcome *o,
                         struct reconcile_item **items, size_t *cap)
{
    char *save = r->out;
    char *line;
    bool failed = false;
    while (save && (line = strsep(&save, "\n")) != NULL) {
        if (line[0] == '\0')
            continue;
        char *rest = line + 2;
        if (strncmp(line, "E\t", 2) == 0) {
            char *channel = field(&rest);
            snprintf(o->error, sizeof o->error, "%s bill: %s", channel, rest ? rest : "");
            failed = true;
        } else if (strncmp(line, "R\t", 2) == 0 && o->nruns < 2) {
            struct reconciliation *run = &o->runs[o->nruns++];
            memset(run, 0, sizeof *run);
            snprintf(run->date, sizeof run->date, "%s", r->date);
            run->channel = pay_channel_from_name(field(&rest));
            run->no_bill = strcmp(field(&rest), "1") == 0;
            run->bill_rows = strtoll(field(&rest), NULL, 10);
            run->foreign_rows = strtoll(field(&rest), NULL, 10);
            for (int k = 0; k < RECON__COUNT; k++)
                run->count[k] = strtoll(field(&rest), NULL, 10);
            run->started_at = r->started_at;
            run->finished_at = wall_ms();
        } else if (strncmp(line, "I\t", 2) == 0) {
            if (o->nitems == *cap) {
                *cap = *cap ? *cap * 2 : 32;
                struct reconcile_item *grown = realloc(*items, *cap * sizeof *grown);
                if (grown == NULL) {
                    snprintf(o->error, sizeof o->error, "out of memory");
                    return false;
                }
                *items = grown;
            }
            struct reconcile_item *it = &(*items)[o->nitems++];
            memset(it, 0, sizeof *it);
            snprintf(it->date, sizeof it->date, "%s", r->date);
            it->channel = pay_channel_from_name(field(&rest));
            bool known = recon_kind_from_name(field(&rest), &it->kind);
            snprintf(it->order_no, sizeof it->order_no, "%s", field(&rest));
            snprintf(it->refund_no, sizeof it->refund_no, "%s", field(&rest));
            snprintf(it->trade_no, sizeof it->trade_no, "%s", field(&rest));
            it->bill_fen = strtoll(field(&rest), NULL, 10);
            it->journal_fen = strtoll(field(&rest), NULL, 10);
            it->bill_line = strtol(field(&rest), NULL, 10);
            if (!known) {
                snprintf(o->error, sizeof o->error, "the bill process said something unknown");
                return false;
            }
        } else {
            snprintf(o->error, sizeof o->error, "the bill process said something unknown");
            return false;
        }
    }
    return !failed;
}

static void finish(struct reconcile_run *r)
{
    int status = 0;
    close(r->fd);
    r->fd = -1;
    if (waitpid(r->child, &status, 0) != r->child)
        status = -1;
    r->child = 0;
    struct reconcile_outcome o;
    memset(&o, 0, sizeof o);
    snprintf(o.date, sizeof o.date, "%s", r->date);
    o.scheduled = r->scheduled;
    struct reconcile_item *items = NULL;
    size_t cap = 0;
    if (r->out == NULL) {
        r->out = calloc(1, 1);
        r->len = 0;
    }
    bool ok = r->out && parse_output(r, &o, &items, &cap);
    if (ok && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        snprintf(o.error, sizeof o.error, "the bill process ended without finishing");
        ok = false;
    }
    o.items = items;
    if (ok) {
        enum journal_status st = recon_save(r->journal, o.runs, o.nruns, items, o.nitems);
        if (st != JOURNAL_OK)
            snprintf(o.error, sizeof o.error, "the journal did not take the result (%s)",
                     journal_status_reason(st));
        o.ok = st == JOURNAL_OK;
    }
    end_child(r);
    if (o.scheduled) { /* the next day at once; this one again later when it failed */
        struct failed_day *f = failed_day(r, o.date);
        if (o.ok && f)
            memset(f, 0, sizeof *f);
        else if (!o.ok)
            back_off(r, o.date, wall_ms());
        r->next_check = 0;
    }
    r->done(r->ctx, &o);
    free(items);
}

static int service_pollfds(void *ctx, struct pollfd *fds, int max, int64_t *timeout_ms)
{
    struct reconcile_run *r = ctx;
    if (r->fd < 0 && r->daily_minute >= 0) {
        int64_t wait = r->next_check - wall_ms();
        wait = wait < 0 ? 0 : wait > SCHEDULE_LOOK_MS ? SCHEDULE_LOOK_MS : wait;
        if (*timeout_ms < 0 || wait < *timeout_ms)
            *timeout_ms = wait;
    }
    if (r->fd < 0 || max < 1)
        return 0;
    fds[0] = (struct pollfd){.fd = r->fd, .events = POLLIN};
    return 1;
}

static void service_process(void *ctx, const struct pollfd *fds, int nfds, int64_t now_ms)
{
    struct reconcile_run *r = ctx;
    (void)now_ms;
    if (r->fd < 0 && r->daily_minute >= 0 && wall_ms() >= r->next_check)
        schedule_turn(r, wall_ms());
    if (r->fd < 0 || nfds < 1 || fds[0].revents == 0)
        return;
    for (;;) {
        if (r->len + 4096 + 1 > r->cap) {
            size_t cap = r->cap ? r->cap * 2 : 8192;
            char *grown = realloc(r->out, cap);
            if (grown == NULL) {
                kill(r->child, SIGKILL);
                free(r->out);
                r->out = NULL;
                r->len = r->cap = 0;
                finish(r);
                return;
            }
            r->out = grown;
            r->cap = cap;
        }
        ssize_t n = read(r->fd, r->out + r->len, 4096);
        if (n > 0) {
            r->len += (size_t)n;
            r->out[r->len] = '\0';
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        finish(r); /* end of the pipe: the child is done */
        return;
    }
}

struct loop_service reconcile_run_service(struct reconcile_run *r)
{
    return (struct loop_service){.ctx = r, .pollfds = service_pollfds, .process = service_process};
}
