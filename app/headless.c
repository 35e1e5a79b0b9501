/*
 * headless.c - command lines in, JSON lines out.
 *
 * Every object carries "event" first so a reader can dispatch on it. Payment codes leave
 * only masked; nothing secret is ever printed.
 */
#include "headless.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "fleet_publish.h"
#include "money.h"
#include "paycode.h"
#include "reconcile_csv.h"
#include "reconcile_run.h"
#include "refund_guard.h"
#include "report_csv.h"
#include "reports.h"
#include "session.h"
#include "shifts.h"
#include "zreports.h"

#define LINE_MAX_LEN 512

struct headless {
    FILE *out;
    char buf[LINE_MAX_LEN * 2];
    size_t used;
    bool eof;
    bool quit;
    bool overlong;             /* discarding the rest of a line that was too long */
    char lab[200];             /* config_lab_settings: test-only settings in force, "" = none */
    struct receipts *receipts; /* NULL: no printer */
    struct fleet *fleet;       /* NULL: no MQTT to head office */
    bool print_eod;
    struct session session; /* who is signed in (headless_set_session) */
    bool has_session;
    struct refund_guard refunds;     /* limits and the supervisor's PIN (no rules: none) */
    const struct config *cfg;        /* for the reconciliation (headless_set_session) */
    struct reconcile_run *reconcile; /* made at the first reconcile command */
};

static void emit(struct headless *h, cJSON *obj)
{
    char *text = cJSON_PrintUnformatted(obj);
    if (text) {
        fprintf(h->out, "%s\n", text);
        fflush(h->out);
        free(text);
    }
    cJSON_Delete(obj);
}

static cJSON *event_object(const char *name)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "event", name);
    return o;
}

static void add_money(cJSON *o, const char *key, int64_t fen)
{
    char text[MONEY_TEXT_MAX];
    cJSON_AddStringToObject(o, key, money_format(fen, text));
}

static void add_payment(cJSON *o, const struct payment *p)
{
    char masked[AUTH_CODE_MAX + 8];
    cJSON_AddStringToObject(o, "order", p->order_no);
    cJSON_AddStringToObject(o, "state", pay_state_name(p->state));
    add_money(o, "amount", p->amount_fen);
    cJSON_AddStringToObject(o, "channel", pay_channel_name(p->channel));
    cJSON_AddStringToObject(o, "kind", pay_kind_name(p->kind));
    if (p->kind == PAY_KIND_QR)
        cJSON_AddStringToObject(o, "qr", p->qr_payload); /* "" until shown; not a secret */
    paycode_mask(p->auth_code[0] ? p->auth_code : p->code_last4, masked, sizeof masked);
    cJSON_AddStringToObject(o, "code", masked);
    cJSON_AddBoolToObject(o, "confirming", p->customer_confirming);
    cJSON_AddBoolToObject(o, "abort_requested", p->abort_requested);
    cJSON_AddStringToObject(o, "trade_no", p->trade_no);
    cJSON_AddStringToObject(o, "error", p->last_error);
    cJSON_AddStringToObject(o, "cause", pay_cause_name(p->last_cause));
    add_money(o, "refunded", p->refunded_fen);
    cJSON_AddBoolToObject(o, "cancel_refunded", p->cancel_refunded);
}

/* The QR to draw (a customer display, the cash register): printed when it is first shown and
 * again when a restart resumes it, always after the journal holds it. */
static void emit_qr(struct headless *h, const struct payment *p, const char *event)
{
    bool shown = p->state == PAY_QUERYING &&
                 (strcmp(event, "pay_confirming") == 0 || strcmp(event, "resumed") == 0);
    if (p->kind != PAY_KIND_QR || p->qr_payload[0] == '\0' || !shown)
        return;
    cJSON *o = event_object("qr");
    cJSON_AddStringToObject(o, "order", p->order_no);
    cJSON_AddStringToObject(o, "channel", pay_channel_name(p->channel));
    add_money(o, "amount", p->amount_fen);
    cJSON_AddStringToObject(o, "payload", p->qr_payload);
    cJSON_AddNumberToObject(o, "window_s", p->qr_window_s);
    emit(h, o);
}

static void on_payment(void *ctx, const struct payment *p, const char *event)
{
    struct headless *h = ctx;
    cJSON *o = event_object("payment");
    cJSON_AddStringToObject(o, "transition", event);
    add_payment(o, p);
    emit(h, o);
    emit_qr(h, p, event);
}

static void emit_message(struct headless *h, enum loop_level level, const char *text)
{
    static const char *const names[] = {"info", "warn", "error"};
    cJSON *o = event_object("message");
    cJSON_AddStringToObject(o, "level", names[level]);
    cJSON_AddStringToObject(o, "text", text);
    emit(h, o);
}

/* Headless mode speaks English: the loop's own sentence, as scripts and tests read it. */
static void on_message(void *ctx, const struct loop_message *m)
{
    emit_message(ctx, m->level, m->text);
}

struct headless *headless_new(FILE *out, const char *lab_settings)
{
    struct headless *h = calloc(1, sizeof *h);
    if (h) {
        h->out = out;
        snprintf(h->lab, sizeof h->lab, "%s", lab_settings ? lab_settings : "");
    }
    return h;
}

struct loop_observer headless_observer(struct headless *h)
{
    return (struct loop_observer){.ctx = h, .payment_changed = on_payment, .message = on_message};
}

void headless_free(struct headless *h)
{
    if (h)
        reconcile_run_free(h->reconcile);
    free(h);
}

static const char *const receipt_what[] = {
    [RECEIPTS_WAITING] = "waiting",         [RECEIPTS_PRINTING] = "printing",
    [RECEIPTS_PRINTED] = "printed",         [RECEIPTS_FAILED] = "failed",
    [RECEIPTS_UNPRINTABLE] = "unprintable",
};

static void on_receipts(void *ctx, const struct receipts_event *e)
{
    struct headless *h = ctx;
    if (e->what == RECEIPTS_JOURNAL) {
        char text[320];
        snprintf(text, sizeof text, "receipts: the journal did not take it: %s", e->reason);
        emit_message(h, LOOP_ERROR, text);
        return;
    }
    if (e->what == RECEIPTS_PRINTER) {
        cJSON *o = event_object("printer");
        cJSON_AddStringToObject(o, "status", e->reason);
        bool ready = false;
        if (h->receipts)
            (void)receipts_printer_line(h->receipts, &ready);
        cJSON_AddBoolToObject(o, "ready", ready);
        emit(h, o);
        return;
    }
    cJSON *o = event_object("print");
    cJSON_AddStringToObject(o, "what", receipt_what[e->what]);
    cJSON_AddNumberToObject(o, "waiting", e->count);
    if (e->job) {
        cJSON_AddNumberToObject(o, "job", (double)e->job->id);
        cJSON_AddStringToObject(o, "kind", print_kind_name(e->job->kind));
        cJSON_AddStringToObject(o, "order", e->job->order_no);
        if (e->job->refund_no[0])
            cJSON_AddStringToObject(o, "refund", e->job->refund_no);
        if (e->job->ref)
            cJSON_AddNumberToObject(o, "ref", (double)e->job->ref);
        cJSON_AddStringToObject(o, "copy",
                                e->job->copy == PRINT_MERCHANT ? "merchant" : "customer");
        cJSON_AddBoolToObject(o, "reprint", e->job->reprint);
    }
    if (e->what == RECEIPTS_FAILED)
        cJSON_AddBoolToObject(o, "bytes_out", e->bytes_out);
    if (e->reason[0])
        cJSON_AddStringToObject(o, "reason", e->reason);
    emit(h, o);
}

struct receipts_observer headless_receipts_observer(struct headless *h)
{
    return (struct receipts_observer){.ctx = h, .event = on_receipts};
}

void headless_set_receipts(struct headless *h, struct receipts *r, bool print_eod)
{
    h->receipts = r;
    h->print_eod = print_eod;
}

void headless_set_fleet(struct headless *h, struct fleet *f)
{
    h->fleet = f;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void headless_set_session(struct headless *h, const struct config *cfg, struct journal *journal)
{
    h->cfg = cfg;
    session_init(&h->session, cfg, journal);
    session_restore_lock(&h->session, wall_ms());
    h->has_session = true;
}

static void reprint(struct headless *h, const char *order_no)
{
    if (order_no == NULL) {
        emit_message(h, LOOP_WARN, "usage: print <order>");
        return;
    }
    if (h->receipts == NULL) {
        emit_message(h, LOOP_WARN, "print: no printer is configured (printer.kind)");
        return;
    }
    char text[320];
    switch (receipts_reprint(h->receipts, order_no)) {
    case RECEIPTS_OK: return; /* the print events follow */
    case RECEIPTS_NO_ORDER: snprintf(text, sizeof text, "print: no order %s", order_no); break;
    case RECEIPTS_NOT_PAID:
        snprintf(text, sizeof text, "print: order %s was never paid: it has no receipt", order_no);
        break;
    case RECEIPTS_NO_JOURNAL:
        snprintf(text, sizeof text, "print: %s", receipts_journal_error(h->receipts));
        break;
    }
    emit_message(h, LOOP_WARN, text);
}

void headless_set_refund_rules(struct headless *h, const struct config_refund *rules)
{
    refund_guard_init(&h->refunds, rules);
}

/* Local time as "2026-12-07 15:30:02"; a JSON null when at is 0 (not happened). */
static void add_time(cJSON *o, const char *key, int64_t at_ms)
{
    if (at_ms <= 0) {
        cJSON_AddNullToObject(o, key);
        return;
    }
    time_t t = (time_t)(at_ms / 1000);
    struct tm tm;
    char text[32];
    localtime_r(&t, &tm);
    strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
    cJSON_AddStringToObject(o, key, text);
}

/* A history row: the payment with its start (created) and finish (the last change of a
 * payment no longer owed work; null while it is) labelled. An amount abandoned before the
 * scan is NOT_STARTED there, never FAILED: nobody was turned away. */
static int add_history_row(void *ctx, const struct payment *p)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return 1;
    add_payment(o, p);
    if (pay_not_started(p))
        cJSON_ReplaceItemInObject(o, "state", cJSON_CreateString("NOT_STARTED"));
    add_time(o, "started", p->created_at);
    add_time(o, "finished", pay_state_unresolved(p->state) ? 0 : p->updated_at);
    cJSON_AddItemToArray(ctx, o);
    return 0;
}

#define HISTORY_PAGE     20
#define HISTORY_PAGE_MAX 100

/* "today", "all", or a day as yyyymmdd or yyyy-mm-dd: the filter's period. */
static bool history_day(const char *s, struct report_filter *f, int *yyyymmdd)
{
    int64_t from, to;
    if (strcmp(s, "all") == 0)
        return true;
    if (strcmp(s, "today") == 0) {
        report_local_day(time(NULL), &f->from, &f->to, yyyymmdd);
        return true;
    }
    int y, m, d;
    char end;
    if (!(sscanf(s, "%4d%2d%2d%c", &y, &m, &d, &end) == 3 && strlen(s) == 8) &&
        !(sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &end) == 3 && strlen(s) == 10))
        return false;
    if (y < 2000 || y > 2999 || m < 1 || m > 12 || d < 1 || d > 31)
        return false;
    struct tm tm = {
        .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = 12, .tm_isdst = -1};
    time_t noon = mktime(&tm);
    if (noon == (time_t)-1 || tm.tm_mday != d)
        return false;
    report_local_day((int64_t)noon, &from, &to, yyyymmdd);
    f->from = from;
    f->to = to;
    return true;
}

/* Reads the filters of a history or find command (args[0..n)) into f, *after, *limit. */
static bool history_args(struct headless *h, struct journal *j, char **args, int n,
                         struct report_filter *f, struct report_cursor *after, int *limit, int *day)
{
    char text[320];
    int i = 0;
    if (i < n && (strcmp(args[i], "all") == 0 || strcmp(args[i], "today") == 0 ||
                  (args[i][0] >= '0' && args[i][0] <= '9'))) {
        if (!history_day(args[i], f, day)) {
            snprintf(text, sizeof text, "history: %s is no day (yyyymmdd, today or all)", args[i]);
            emit_message(h, LOOP_WARN, text);
            return false;
        }
        i++;
    }
    for (; i < n; i += 2) {
        const char *key = args[i], *val = i + 1 < n ? args[i + 1] : NULL;
        bool ok = val != NULL;
        if (ok && strcmp(key, "amount") == 0) {
            ok = money_parse(val, 0, &f->amount_fen) == MONEY_OK;
        } else if (ok && strcmp(key, "last4") == 0) {
            ok = strlen(val) == 4 && strspn(val, "0123456789") == 4;
            if (ok)
                snprintf(f->last4, sizeof f->last4, "%s", val);
        } else if (ok && strcmp(key, "channel") == 0) {
            f->by_channel = true;
            f->channel = pay_channel_from_name(val);
            ok = f->channel != CHANNEL_NONE;
        } else if (ok && strcmp(key, "state") == 0) {
            f->not_started_only = strcmp(val, "NOT_STARTED") == 0;
            f->unresolved_only = strcmp(val, "unresolved") == 0;
            f->by_state = !f->unresolved_only && !f->not_started_only;
            ok = !f->by_state || pay_state_from_name(val, &f->state);
        } else if (ok && strcmp(key, "after") == 0) {
            struct payment p;
            ok = journal_load(j, val, &p) == JOURNAL_OK;
            if (ok) {
                after->created_at = p.created_at;
                snprintf(after->order_no, sizeof after->order_no, "%s", p.order_no);
            }
        } else if (ok && strcmp(key, "limit") == 0) {
            char *end = NULL;
            long v = strtol(val, &end, 10);
            ok = *end == '\0' && v >= 1 && v <= HISTORY_PAGE_MAX;
            *limit = (int)v;
        } else {
            ok = false;
        }
        if (!ok) {
            snprintf(text, sizeof text,
                     "history: %s %s: usage: history [yyyymmdd|today|all] [amount 12.50] "
                     "[last4 1234] [channel wechat|alipay] [state PAID|...|NOT_STARTED|unresolved] "
                     "[after ORDER] [limit 1-100]",
                     key, val ? val : "");
            emit_message(h, LOOP_WARN, text);
            return false;
        }
    }
    return true;
}

/* history [day] [filters...]: one page of payments, newest first, and where the next starts. */
static void reply_history(struct headless *h, struct loop *l, char **args, int n, const char *event)
{
    struct journal *j = loop_journal(l);
    if (j == NULL) {
        emit_message(h, LOOP_ERROR, "history: the journal is unavailable");
        return;
    }
    struct report_filter f = {0};
    struct report_cursor after = {0}, next;
    int limit = HISTORY_PAGE, day = 0;
    if (!history_args(h, j, args, n, &f, &after, &limit, &day))
        return;
    cJSON *o = event_object(event);
    if (day)
        cJSON_AddNumberToObject(o, "day", day);
    cJSON *rows = cJSON_AddArrayToObject(o, "rows");
    bool more = false;
    enum journal_status st =
        report_history(j, &f, &after, limit, add_history_row, rows, &next, &more);
    if (st != JOURNAL_OK) {
        cJSON_Delete(o);
        emit_message(h, LOOP_ERROR, journal_status_reason(st));
        return;
    }
    cJSON_AddBoolToObject(o, "more", more);
    if (more)
        cJSON_AddStringToObject(o, "next", next.order_no);
    emit(h, o);
}

#define SHORT_CANDIDATES 10

/* The orders a short form names (report_find_short), as "found" rows; *n counts them and
 * only gets the order number when there is exactly one. */
static enum journal_status find_short(struct journal *j, const char *typed, cJSON *rows, int *n)
{
    enum journal_status st = report_find_short(j, typed, SHORT_CANDIDATES, add_history_row, rows);
    *n = cJSON_GetArraySize(rows);
    return st;
}

/* find last4 NNNN | find order NNNNNN: the candidates, newest first. */
static void reply_find(struct headless *h, struct loop *l, char **args, int n)
{
    struct journal *j = loop_journal(l);
    if (j == NULL) {
        emit_message(h, LOOP_ERROR, "find: the journal is unavailable");
        return;
    }
    if (n == 2 && strcmp(args[0], "last4") == 0) {
        reply_history(h, l, args, n, "found");
        return;
    }
    if (n != 2 || strcmp(args[0], "order") != 0 || !report_short_valid(args[1])) {
        emit_message(h, LOOP_WARN,
                     "usage: find last4 NNNN (a payment code's last four digits) | find order "
                     "NNNNNN (the last digits of an order number)");
        return;
    }
    cJSON *o = event_object("found");
    cJSON *rows = cJSON_AddArrayToObject(o, "rows");
    int found = 0;
    enum journal_status st = find_short(j, args[1], rows, &found);
    if (st != JOURNAL_OK) {
        cJSON_Delete(o);
        emit_message(h, LOOP_ERROR, journal_status_reason(st));
        return;
    }
    cJSON_AddBoolToObject(o, "more", false);
    emit(h, o);
}

/* refund ORDER|SHORT AMOUNT [KEY] [pin NNNN]: a short form must name one order. */
static void refund(struct headless *h, struct loop *l, char **args, int n)
{
    int64_t fen;
    const char *key = NULL, *pin = NULL;
    bool ok = n >= 2 && money_parse(args[1], 0, &fen) == MONEY_OK;
    for (int i = 2; ok && i < n; i++) {
        if (strcmp(args[i], "pin") == 0 && i + 1 < n && pin == NULL)
            pin = args[++i];
        else if (key == NULL && i == 2)
            key = args[i];
        else
            ok = false;
    }
    if (!ok) {
        emit_message(h, LOOP_WARN,
                     "usage: refund <order or its last digits> <amount> [key] "
                     "[pin NNNN]");
        return;
    }
    char order[ORDER_NO_MAX + 1], text[320];
    snprintf(order, sizeof order, "%s", args[0]);
    struct journal *j = loop_journal(l);
    if (j && report_short_valid(args[0])) {
        cJSON *o = event_object("found");
        cJSON *rows = cJSON_AddArrayToObject(o, "rows");
        int found = 0;
        if (find_short(j, args[0], rows, &found) != JOURNAL_OK || found != 1) {
            if (found > 1) {
                cJSON_AddBoolToObject(o, "more", false);
                emit(h, o);
                snprintf(text, sizeof text,
                         "refund: %d orders end so in %s: give more digits or the full number",
                         found, args[0]);
            } else {
                cJSON_Delete(o);
                snprintf(text, sizeof text, "refund: no order number ends in %s", args[0]);
            }
            emit_message(h, LOOP_WARN, text);
            return;
        }
        snprintf(order, sizeof order, "%s",
                 cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 0), "order")->valuestring);
        cJSON_Delete(o);
    }
    /* The key makes a retried command safe: the same key returns the first refund's
     * result and sends nothing. */
    struct refund_decision d;
    if (refund_guarded(&h->refunds, l, order, fen, key, pin, &d) == LOOP_INVALID &&
        d.verdict != REFUND_ALLOWED)
        emit_message(h, LOOP_WARN, refund_decision_text(&d, text, sizeof text));
}

static void reply_status(struct headless *h, struct loop *l)
{
    cJSON *o = event_object("status");
    const struct payment *p = loop_current(l);
    if (p) {
        cJSON *cur = cJSON_AddObjectToObject(o, "current");
        add_payment(cur, p);
        int64_t cancel_at = loop_cancel_at(l);
        if (cancel_at)
            cJSON_AddNumberToObject(cur, "cancel_in_ms", (double)(cancel_at - loop_now(l)));
        int64_t earliest = loop_earliest_cancel(l);
        if (earliest && p->abort_requested)
            cJSON_AddNumberToObject(cur, "cancel_allowed_in_ms",
                                    (double)(earliest > loop_now(l) ? earliest - loop_now(l) : 0));
    }
    cJSON_AddNumberToObject(o, "background", loop_background(l));
    cJSON_AddBoolToObject(o, "gateway_reachable", loop_gateway_reachable(l));
    cJSON_AddStringToObject(o, "gateway", loop_gateway_health_name(loop_gateway_health(l)));
    cJSON_AddBoolToObject(o, "taking_payments", loop_taking_payments(l));
    cJSON_AddNumberToObject(o, "clock_skew_s", loop_clock_skew(l));
    cJSON_AddStringToObject(o, "lab_settings", h->lab);
    int64_t alerts = 0;
    if (loop_journal(l) && recon_open_count(loop_journal(l), &alerts) == JOURNAL_OK)
        cJSON_AddNumberToObject(o, "reconcile_alerts", (double)alerts);
    if (h->reconcile && reconcile_run_busy(h->reconcile))
        cJSON_AddBoolToObject(o, "reconciling", true);
    if (h->has_session && session_required(&h->session))
        cJSON_AddStringToObject(o, "cashier", h->session.signed_in ? h->session.shift.cashier : "");
#ifdef POSTERM_WITH_MQTT
    if (h->fleet) {
        struct fleet_health fh;
        fleet_health(h->fleet, &fh);
        cJSON *fl = cJSON_AddObjectToObject(o, "fleet");
        cJSON_AddBoolToObject(fl, "connected", fh.connected);
        cJSON_AddNumberToObject(fl, "unsent", (double)fh.unsent);
        if (fh.last_puback_age_ms >= 0)
            cJSON_AddNumberToObject(fl, "last_puback_age_ms", (double)fh.last_puback_age_ms);
        else
            cJSON_AddNullToObject(fl, "last_puback_age_ms");
    }
#endif
    if (h->receipts) {
        cJSON *pr = cJSON_AddObjectToObject(o, "printer");
        bool ready = false;
        cJSON_AddStringToObject(pr, "status", receipts_printer_line(h->receipts, &ready));
        cJSON_AddBoolToObject(pr, "ready", ready);
        cJSON_AddNumberToObject(pr, "waiting", receipts_waiting(h->receipts));
    }
    emit(h, o);
}

static void add_totals(cJSON *o, const char *key, const struct report_totals *t)
{
    cJSON *c = cJSON_AddObjectToObject(o, key);
    cJSON_AddNumberToObject(c, "paid", (double)t->paid_count);
    cJSON_AddNumberToObject(c, "refunded_orders", (double)t->refunded_count);
    add_money(c, "charged", t->charged_fen);
    add_money(c, "refunds", t->refunded_fen);
    add_money(c, "net", t->net_fen);
    cJSON_AddNumberToObject(c, "unresolved", (double)t->unresolved_count);
}

static int add_referred(void *ctx, const struct payment *p)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return 1;
    add_payment(o, p);
    cJSON_AddItemToArray(ctx, o);
    return 0;
}

static void reply_end_of_day(struct headless *h, struct loop *l)
{
    struct journal *j = loop_journal(l);
    if (j == NULL) {
        emit_message(h, LOOP_ERROR, "end of day: the journal is unavailable");
        return;
    }
    enum journal_status check = journal_check(j);
    if (check != JOURNAL_OK) {
        char text[320];
        snprintf(text, sizeof text, "end of day: %s (%s)", journal_status_reason(check),
                 journal_last_error(j));
        emit_message(h, LOOP_ERROR, text);
        return;
    }
    int64_t from, to;
    int yyyymmdd;
    report_local_day(time(NULL), &from, &to, &yyyymmdd);

    struct report_day day;
    enum journal_status st = report_totals(j, from, to, &day);
    if (st != JOURNAL_OK) {
        emit_message(h, LOOP_ERROR, journal_status_reason(st));
        return;
    }
    cJSON *o = event_object("eod");
    cJSON_AddNumberToObject(o, "day", yyyymmdd);
    add_totals(o, "wechat", &day.channel[CHANNEL_WECHAT]);
    add_totals(o, "alipay", &day.channel[CHANNEL_ALIPAY]);
    add_totals(o, "all", &day.all);
    /* Every payment left for the merchant, whatever its day, until settled in the portal. */
    cJSON *referred = cJSON_AddArrayToObject(o, "referred");
    if (referred && report_referred(j, add_referred, referred) != JOURNAL_OK)
        emit_message(h, LOOP_ERROR,
                     "end of day: the payments left for the merchant could not be read");
    emit(h, o);
    if (h->receipts && h->print_eod && receipts_day_report(h->receipts, yyyymmdd) != RECEIPTS_OK)
        emit_message(h, LOOP_ERROR, "end of day: the report could not be queued for printing");
}

static void add_report_day(cJSON *o, const struct report_day *d)
{
    add_totals(o, "wechat", &d->channel[CHANNEL_WECHAT]);
    add_totals(o, "alipay", &d->channel[CHANNEL_ALIPAY]);
    add_totals(o, "all", &d->all);
}

/* The journal to read or write a report in, or NULL (said) when it is unavailable. */
static struct journal *report_journal(struct headless *h, struct loop *l, const char *what)
{
    struct journal *j = loop_journal(l);
    if (j == NULL) {
        char text[160];
        snprintf(text, sizeof text, "%s: the journal is unavailable", what);
        emit_message(h, LOOP_ERROR, text);
    }
    return j;
}

static void journal_trouble(struct headless *h, struct journal *j, const char *what,
                            enum journal_status st)
{
    char text[400];
    snprintf(text, sizeof text, "%s: %s (%s)", what, journal_status_reason(st),
             journal_last_error(j));
    emit_message(h, LOOP_ERROR, text);
}

static void sign_in(struct headless *h, const char *id, const char *pin)
{
    if (id == NULL || pin == NULL) {
        emit_message(h, LOOP_WARN, "usage: signin <cashier id> <PIN>");
        return;
    }
    enum session_status st = session_sign_in(&h->session, id, pin, wall_ms());
    if (st != SESSION_OK) {
        char text[160];
        snprintf(text, sizeof text, "signin: %s", session_status_reason(st));
        emit_message(h, LOOP_WARN, text);
        return;
    }
    cJSON *o = event_object("signin");
    cJSON_AddStringToObject(o, "cashier", h->session.shift.cashier);
    cJSON_AddStringToObject(o, "name", h->session.shift.name);
    cJSON_AddNumberToObject(o, "shift", (double)h->session.shift.id);
    emit(h, o);
}

/* The shift report: ended says whether this is the handover at sign-out. */
static void emit_shift(struct headless *h, struct journal *j, const struct shift *s, bool print)
{
    struct report_day d;
    enum journal_status st = shift_totals(j, s, wall_ms(), &d);
    if (st != JOURNAL_OK) {
        journal_trouble(h, j, "shift", st);
        return;
    }
    cJSON *o = event_object("shift");
    cJSON_AddNumberToObject(o, "shift", (double)s->id);
    cJSON_AddStringToObject(o, "cashier", s->cashier);
    cJSON_AddStringToObject(o, "name", s->name);
    cJSON_AddNumberToObject(o, "started_at", (double)s->started_at);
    cJSON_AddNumberToObject(o, "ended_at", (double)s->ended_at);
    add_report_day(o, &d);
    emit(h, o);
    if (print && h->receipts && receipts_shift_report(h->receipts, s->id) != RECEIPTS_OK)
        emit_message(h, LOOP_ERROR, "shift: the report could not be queued for printing");
}

static void sign_out(struct headless *h, struct loop *l)
{
    struct shift ended;
    enum session_status st = session_sign_out(&h->session, wall_ms(), &ended);
    if (st != SESSION_OK) {
        char text[160];
        snprintf(text, sizeof text, "signout: %s", session_status_reason(st));
        emit_message(h, LOOP_WARN, text);
        return;
    }
    emit_shift(h, loop_journal(l), &ended, true);
}

/* "shift" (the one open now, else the last) or "shift N". */
static bool find_shift(struct headless *h, struct journal *j, const char *arg, struct shift *out)
{
    enum journal_status st;
    if (arg)
        st = shift_get(j, strtoll(arg, NULL, 10), out);
    else if ((st = shift_current(j, out)) == JOURNAL_NOT_FOUND)
        st = shift_last(j, out);
    if (st == JOURNAL_NOT_FOUND)
        emit_message(h, LOOP_WARN, arg ? "shift: no such shift" : "shift: no shift yet");
    else if (st != JOURNAL_OK)
        journal_trouble(h, j, "shift", st);
    return st == JOURNAL_OK;
}

static void emit_z(struct headless *h, const struct z_report *z, const char *event)
{
    char number[32];
    snprintf(number, sizeof number, "Z-%04lld", (long long)z->number);
    cJSON *o = event_object(event);
    cJSON_AddStringToObject(o, "number", number);
    cJSON_AddNumberToObject(o, "day", z->day);
    cJSON_AddNumberToObject(o, "from_at", (double)z->from_at);
    cJSON_AddNumberToObject(o, "closed_at", (double)z->closed_at);
    add_report_day(o, &z->totals);
    emit(h, o);
}

/* Closes the day: refused while a payment still owes work, whose money no total could hold
 * (it would belong to this Z report's period but end after it). */
static void close_day(struct headless *h, struct loop *l)
{
    struct journal *j = report_journal(h, l, "close");
    if (j == NULL)
        return;
    int unresolved = 0;
    enum journal_status st = journal_count_unresolved(j, &unresolved);
    if (st == JOURNAL_OK && unresolved > 0) {
        char text[200];
        snprintf(text, sizeof text,
                 "close: %d payment(s) still being resolved; close the day when they are done",
                 unresolved);
        emit_message(h, LOOP_WARN, text);
        return;
    }
    struct z_report z;
    if (st == JOURNAL_OK)
        st = z_report_close(j, wall_ms(), &z);
    if (st != JOURNAL_OK) {
        journal_trouble(h, j, "close", st);
        return;
    }
    emit_z(h, &z, "z");
    if (h->receipts && receipts_z_report(h->receipts, z.number) != RECEIPTS_OK)
        emit_message(h, LOOP_ERROR, "close: the Z report could not be queued for printing");
}

static bool all_digits(const char *s)
{
    if (s == NULL || *s == '\0')
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* The CSV to path, or as the "csv" text of an "export" event when path is NULL. */
static void export_csv(struct headless *h, const struct report_csv *r, const char *path)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = path ? fopen(path, "w") : open_memstream(&text, &len);
    bool ok = out && report_csv_write(out, r);
    if (out && fclose(out) != 0)
        ok = false;
    if (!ok) {
        char msg[400];
        snprintf(msg, sizeof msg, "export: %s could not be written", path ? path : "the report");
        emit_message(h, LOOP_ERROR, msg);
    } else {
        cJSON *o = event_object("export");
        cJSON_AddStringToObject(o, "report", r->report);
        cJSON_AddStringToObject(o, "number", r->number);
        if (path)
            cJSON_AddStringToObject(o, "path", path);
        else
            cJSON_AddStringToObject(o, "csv", text);
        emit(h, o);
    }
    free(text);
}

/* export x [PATH] | export z N [PATH] | export shift [N] [PATH] */
static void export(struct headless *h, struct loop *l, const char *what, const char *a,
                   const char *b)
{
    static const char usage[] =
        "usage: export x [FILE] | export z N [FILE] | export shift [N] [FILE]";
    struct journal *j = what ? report_journal(h, l, "export") : NULL;
    if (what == NULL || j == NULL) {
        if (what == NULL)
            emit_message(h, LOOP_WARN, usage);
        return;
    }
    struct report_csv r;
    enum journal_status st;
    const char *path;
    if (strcmp(what, "x") == 0) {
        int64_t from, to;
        int day;
        struct report_day d;
        report_local_day(time(NULL), &from, &to, &day);
        path = a;
        if ((st = report_totals(j, from, to, &d)) == JOURNAL_OK)
            report_csv_x(&r, &d, from, wall_ms());
    } else if (strcmp(what, "z") == 0 && all_digits(a)) {
        struct z_report z;
        path = b;
        st = z_report_get(j, strtoll(a, NULL, 10), &z);
        if (st == JOURNAL_NOT_FOUND) {
            emit_message(h, LOOP_WARN, "export: no such Z report");
            return;
        }
        if (st == JOURNAL_OK)
            report_csv_z(&r, &z);
    } else if (strcmp(what, "shift") == 0) {
        struct shift s;
        struct report_day d;
        const char *n = all_digits(a) ? a : NULL;
        path = n ? b : a;
        if (!find_shift(h, j, n, &s))
            return;
        if ((st = shift_totals(j, &s, wall_ms(), &d)) == JOURNAL_OK)
            report_csv_shift(&r, &s, &d);
    } else {
        emit_message(h, LOOP_WARN, usage);
        return;
    }
    if (st != JOURNAL_OK) {
        journal_trouble(h, j, "export", st);
        return;
    }
    export_csv(h, &r, path);
}

/* --- reconciliation (issue 21) --- */

static void add_run(cJSON *channels, const struct reconciliation *run)
{
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "channel", pay_channel_name(run->channel));
    cJSON_AddBoolToObject(c, "no_bill", run->no_bill);
    cJSON_AddNumberToObject(c, "bill_rows", (double)run->bill_rows);
    cJSON_AddNumberToObject(c, "foreign_rows", (double)run->foreign_rows);
    for (int k = 0; k < RECON__COUNT; k++)
        cJSON_AddNumberToObject(c, recon_kind_name((enum recon_kind)k), (double)run->count[k]);
    cJSON_AddItemToArray(channels, c);
}

static void on_reconciled(void *ctx, const struct reconcile_outcome *out)
{
    struct headless *h = ctx;
    if (!out->ok) {
        cJSON *o = event_object("reconcile_failed");
        cJSON_AddStringToObject(o, "date", out->date);
        cJSON_AddStringToObject(o, "error", out->error);
        cJSON_AddBoolToObject(o, "scheduled", out->scheduled);
        emit(h, o);
        return;
    }
    for (size_t i = 0; i < out->nitems; i++) {
        const struct reconcile_item *it = &out->items[i];
        cJSON *o = event_object("reconcile_difference");
        cJSON_AddStringToObject(o, "date", it->date);
        cJSON_AddStringToObject(o, "channel", pay_channel_name(it->channel));
        cJSON_AddStringToObject(o, "kind", recon_kind_name(it->kind));
        cJSON_AddStringToObject(o, "order", it->order_no);
        cJSON_AddStringToObject(o, "refund_no", it->refund_no);
        cJSON_AddStringToObject(o, "trade_no", it->trade_no);
        add_money(o, "bill", it->bill_fen);
        add_money(o, "journal", it->journal_fen);
        cJSON_AddNumberToObject(o, "line", (double)it->bill_line);
        emit(h, o);
    }
    /* issue 21 (recon2): a run that found differences prints its slip once */
    if (out->nitems > 0 && h->receipts && receipts_reconcile(h->receipts, out->date) != RECEIPTS_OK)
        emit_message(h, LOOP_ERROR, "reconcile: the slip could not be queued for the printer");
    cJSON *o = event_object("reconcile");
    cJSON_AddStringToObject(o, "date", out->date);
    cJSON *channels = cJSON_AddArrayToObject(o, "channels");
    for (int i = 0; i < out->nruns; i++)
        add_run(channels, &out->runs[i]);
    cJSON_AddNumberToObject(o, "differences", (double)out->nitems);
    cJSON_AddBoolToObject(o, "scheduled", out->scheduled);
    emit(h, o);
}

static void reconcile_ack(struct headless *h, struct journal *j, const char *date)
{
    int64_t n = 0, left = 0;
    enum journal_status st = recon_acknowledge(j, date, wall_ms(), &n);
    if (st == JOURNAL_OK)
        st = recon_open_count(j, &left);
    if (st != JOURNAL_OK) {
        journal_trouble(h, j, "reconcile", st);
        return;
    }
    cJSON *o = event_object("reconcile_ack");
    cJSON_AddStringToObject(o, "date", date);
    cJSON_AddNumberToObject(o, "acknowledged", (double)n);
    cJSON_AddNumberToObject(o, "reconcile_alerts", (double)left);
    emit(h, o);
}

static void reconcile_csv(struct headless *h, struct journal *j, const char *date, const char *path)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = path ? fopen(path, "w") : open_memstream(&text, &len);
    enum journal_status st = out ? reconcile_csv_write(out, j, date) : JOURNAL_IO;
    if (out && fclose(out) != 0 && st == JOURNAL_OK)
        st = JOURNAL_IO;
    if (st == JOURNAL_NOT_FOUND) {
        emit_message(h, LOOP_WARN, "reconcile csv: that day was not reconciled");
    } else if (st != JOURNAL_OK) {
        char msg[400];
        snprintf(msg, sizeof msg, "reconcile csv: %s could not be written",
                 path ? path : "the report");
        emit_message(h, LOOP_ERROR, msg);
    } else {
        cJSON *o = event_object("export");
        cJSON_AddStringToObject(o, "report", "reconcile");
        cJSON_AddStringToObject(o, "number", date);
        if (path)
            cJSON_AddStringToObject(o, "path", path);
        else
            cJSON_AddStringToObject(o, "csv", text);
        emit(h, o);
    }
    free(text);
}

/* The runner, made and added to the loop's services at its first use. */
static bool ensure_runner(struct headless *h, struct loop *l, struct journal *j)
{
    if (h->reconcile)
        return true;
    if (h->cfg == NULL) {
        emit_message(h, LOOP_ERROR, "reconcile: no gateway settings to fetch the bills with");
        return false;
    }
    struct reconcile_run *r = reconcile_run_new(h->cfg, j, on_reconciled, h);
    struct loop_service s = r ? reconcile_run_service(r) : (struct loop_service){0};
    if (r == NULL || loop_add_service(l, &s) != LOOP_OK) {
        reconcile_run_free(r);
        emit_message(h, LOOP_ERROR, "reconcile: cannot run beside the loop");
        return false;
    }
    h->reconcile = r;
    return true;
}

/* reconcile YYYY-MM-DD | reconcile ack YYYY-MM-DD | reconcile csv YYYY-MM-DD [FILE] */
static void reconcile(struct headless *h, struct loop *l, const char *a, const char *b,
                      const char *c)
{
    static const char usage[] = "usage: reconcile YYYY-MM-DD | reconcile ack YYYY-MM-DD | "
                                "reconcile csv YYYY-MM-DD [FILE]";
    struct journal *j = report_journal(h, l, "reconcile");
    if (j == NULL)
        return;
    bool ack = a && strcmp(a, "ack") == 0, csv = a && strcmp(a, "csv") == 0;
    const char *date = ack || csv ? b : a;
    bool extra = csv ? false : ack ? c != NULL : b != NULL;
    if (date == NULL || !recon_date_bounds(date, NULL, NULL) || extra) {
        emit_message(h, LOOP_WARN, usage);
        return;
    }
    if (ack) {
        reconcile_ack(h, j, date);
        return;
    }
    if (csv) {
        reconcile_csv(h, j, date, c);
        return;
    }
    if (!ensure_runner(h, l, j))
        return;
    char why[300];
    if (!reconcile_run_start(h->reconcile, date, why, sizeof why)) {
        emit_message(h, LOOP_WARN, why);
        return;
    }
    cJSON *o = event_object("reconcile_started");
    cJSON_AddStringToObject(o, "date", date);
    emit(h, o);
}

/* With cashiers configured, money moves only while one is signed in. */
static bool may_work(struct headless *h)
{
    if (!h->has_session || session_may_work(&h->session))
        return true;
    emit_message(h, LOOP_WARN, "sign in first: signin <cashier id> <PIN>");
    return false;
}

static void command(struct headless *h, struct loop *l, char *line)
{
    char *save = NULL;
    char *verb = strtok_r(line, " \t\r", &save);
    char *arg1 = verb ? strtok_r(NULL, " \t\r", &save) : NULL;
    char *arg2 = arg1 ? strtok_r(NULL, " \t\r", &save) : NULL;
    char *arg3 = arg2 ? strtok_r(NULL, " \t\r", &save) : NULL;
    if (verb == NULL)
        return;

    if (strcmp(verb, "amount") == 0 || strcmp(verb, "pay") == 0) {
        if (!may_work(h))
            return;
        int64_t fen;
        enum money_status ms = money_parse(arg1, 0, &fen);
        if (ms != MONEY_OK) {
            emit_message(h, LOOP_WARN, money_status_reason(ms));
            return;
        }
        (void)loop_start_payment(l, fen); /* refusals reach the observer as messages */
    } else if (strcmp(verb, "scan") == 0) {
        if (loop_scan(l, arg1 ? arg1 : "") == LOOP_DUPLICATE)
            emit_message(h, LOOP_INFO, "same code scanned again: ignored");
    } else if (strcmp(verb, "qr") == 0) {
        enum pay_channel channel = pay_channel_from_name(arg1 ? arg1 : "");
        if (channel == CHANNEL_NONE)
            emit_message(h, LOOP_WARN, "qr: name the channel: qr wechat or qr alipay");
        else if (may_work(h))
            (void)loop_qr(l, channel); /* refusals reach the observer as messages */
    } else if (strcmp(verb, "abort") == 0) {
        if (loop_abort(l) != LOOP_OK)
            emit_message(h, LOOP_WARN, "nothing to abort");
    } else if (strcmp(verb, "refund") == 0 || strcmp(verb, "history") == 0 ||
               strcmp(verb, "find") == 0) {
        if (strcmp(verb, "refund") == 0 && !may_work(h))
            return;
        char *args[16] = {arg1, arg2, arg3};
        int n = 0;
        while (n < 3 && args[n])
            n++;
        while (n >= 3 && n < 16 && (args[n] = strtok_r(NULL, " \t\r", &save)) != NULL)
            n++;
        if (strcmp(verb, "refund") == 0)
            refund(h, l, args, n);
        else if (strcmp(verb, "history") == 0)
            reply_history(h, l, args, n, "history");
        else
            reply_find(h, l, args, n);
    } else if (strcmp(verb, "status") == 0) {
        reply_status(h, l);
    } else if (strcmp(verb, "eod") == 0) {
        reply_end_of_day(h, l);
    } else if (strcmp(verb, "print") == 0) {
        reprint(h, arg1);
    } else if (strcmp(verb, "signin") == 0 && h->has_session) {
        sign_in(h, arg1, arg2);
        if (arg2)
            explicit_bzero(arg2, strlen(arg2)); /* the PIN leaves no copy in the line buffer */
    } else if (strcmp(verb, "signout") == 0 && h->has_session) {
        sign_out(h, l);
    } else if (strcmp(verb, "shift") == 0) {
        struct journal *j = report_journal(h, l, "shift");
        struct shift s;
        if (j && find_shift(h, j, arg1, &s))
            emit_shift(h, j, &s, false);
    } else if (strcmp(verb, "close") == 0) {
        close_day(h, l);
    } else if (strcmp(verb, "z") == 0) {
        struct journal *j = report_journal(h, l, "z");
        struct z_report z;
        enum journal_status st = JOURNAL_OK;
        if (j)
            st = arg1 ? z_report_get(j, strtoll(arg1, NULL, 10), &z) : z_report_last(j, &z);
        if (j && st == JOURNAL_OK)
            emit_z(h, &z, "zreport");
        else if (j && st == JOURNAL_NOT_FOUND)
            emit_message(h, LOOP_WARN, arg1 ? "z: no such Z report" : "z: no day closed yet");
        else if (j)
            journal_trouble(h, j, "z", st);
    } else if (strcmp(verb, "export") == 0) {
        export(h, l, arg1, arg2, arg3);
    } else if (strcmp(verb, "reconcile") == 0) {
        reconcile(h, l, arg1, arg2, arg3);
    } else if (strcmp(verb, "quit") == 0) {
        h->quit = true;
    } else {
        emit_message(
            h, LOOP_WARN,
            "unknown command (amount, scan, qr, abort, refund, history, find, status, eod, "
            "print, signin, signout, shift, close, z, export, reconcile, quit)");
    }
}

/* Reads what is there without blocking and runs each complete line. */
static int read_commands(struct headless *h, struct loop *l, int fd)
{
    ssize_t n = read(fd, h->buf + h->used, sizeof h->buf - h->used - 1);
    if (n < 0)
        return errno == EINTR || errno == EAGAIN ? 0 : -1;
    if (n == 0) {
        h->eof = true;
        return 0;
    }
    h->used += (size_t)n;
    h->buf[h->used] = '\0';
    char *start = h->buf;
    char *nl;
    while ((nl = memchr(start, '\n', h->used - (size_t)(start - h->buf))) != NULL) {
        *nl = '\0';
        if (!h->overlong)
            command(h, l, start);
        h->overlong = false;
        start = nl + 1;
        if (h->quit)
            return 0;
    }
    size_t rest = h->used - (size_t)(start - h->buf);
    if (rest > LINE_MAX_LEN) {
        emit_message(h, LOOP_WARN, "input line too long: ignored");
        h->overlong = true;
        rest = 0;
    }
    memmove(h->buf, start, rest);
    h->used = rest;
    return 0;
}

/* Unresolved payments, or receipts owed while the printer can take them. */
static bool anything_unresolved(struct headless *h, const struct loop *l)
{
    const struct payment *p = loop_current(l);
    bool ready = false;
    if (h->receipts)
        (void)receipts_printer_line(h->receipts, &ready);
    if (h->reconcile && reconcile_run_busy(h->reconcile))
        return true;
    return loop_background(l) > 0 || (p && pay_state_unresolved(p->state) && p->state != PAY_NEW) ||
           (ready && receipts_owed_now(h->receipts) > 0);
}

int headless_run(struct headless *h, struct loop *l, int in_fd, volatile int *stop)
{
    refund_guard_restore(&h->refunds, loop_journal(l), loop_now(l), wall_ms());
    cJSON *o = event_object("ready");
    cJSON_AddNumberToObject(o, "background", loop_background(l));
    cJSON_AddStringToObject(o, "lab_settings", h->lab);
    emit(h, o);
    if (h->lab[0]) {
        char line[300];
        snprintf(line, sizeof line, "test settings in force, never for real money: %s", h->lab);
        emit_message(h, LOOP_WARN, line);
    }

    int daily = h->cfg ? config_minute_of_day(h->cfg->reconcile_daily_at) : -1;
    if (daily >= 0 && loop_journal(l) && ensure_runner(h, l, loop_journal(l)))
        reconcile_run_daily(h->reconcile, daily);

    while (!h->quit && !*stop) {
        if (h->eof && !anything_unresolved(h, l))
            break;
        struct pollfd in = {.fd = in_fd, .events = POLLIN};
        int ready = loop_poll(l, &in, h->eof ? 0 : 1, 1000);
        if (ready < 0)
            return 1;
        if (ready > 0 && read_commands(h, l, in_fd) < 0)
            return 1;
    }
    return 0;
}
