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

#include "money.h"
#include "paycode.h"
#include "refund_guard.h"
#include "reports.h"

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
    bool print_eod;
    struct refund_guard refunds; /* limits and the supervisor's PIN (no rules: none) */
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

static void on_payment(void *ctx, const struct payment *p, const char *event)
{
    struct headless *h = ctx;
    cJSON *o = event_object("payment");
    cJSON_AddStringToObject(o, "transition", event);
    add_payment(o, p);
    emit(h, o);
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
 * payment no longer owed work; null while it is) labelled. */
static int add_history_row(void *ctx, const struct payment *p)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return 1;
    add_payment(o, p);
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
            f->by_state = strcmp(val, "unresolved") != 0;
            f->unresolved_only = !f->by_state;
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
                     "[last4 1234] [channel wechat|alipay] [state PAID|...|unresolved] "
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
    } else if (strcmp(verb, "abort") == 0) {
        if (loop_abort(l) != LOOP_OK)
            emit_message(h, LOOP_WARN, "nothing to abort");
    } else if (strcmp(verb, "refund") == 0 || strcmp(verb, "history") == 0 ||
               strcmp(verb, "find") == 0) {
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
    } else if (strcmp(verb, "quit") == 0) {
        h->quit = true;
    } else {
        emit_message(
            h, LOOP_WARN,
            "unknown command (amount, scan, abort, refund, history, find, status, eod, print, "
            "quit)");
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
static bool anything_unresolved(const struct headless *h, const struct loop *l)
{
    const struct payment *p = loop_current(l);
    bool ready = false;
    if (h->receipts)
        (void)receipts_printer_line(h->receipts, &ready);
    return loop_background(l) > 0 || (p && pay_state_unresolved(p->state) && p->state != PAY_NEW) ||
           (ready && receipts_waiting(h->receipts) > 0);
}

int headless_run(struct headless *h, struct loop *l, int in_fd, volatile int *stop)
{
    cJSON *o = event_object("ready");
    cJSON_AddNumberToObject(o, "background", loop_background(l));
    cJSON_AddStringToObject(o, "lab_settings", h->lab);
    emit(h, o);
    if (h->lab[0]) {
        char line[300];
        snprintf(line, sizeof line, "test settings in force, never for real money: %s", h->lab);
        emit_message(h, LOOP_WARN, line);
    }

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
