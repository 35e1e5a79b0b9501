/*
 * sim_ledger.c - trades, their rules, the audit JSON, and the file that keeps them.
 *
 * The file is a log: one JSON line per change, the trade's whole new state, appended and
 * fdatasync'ed before the reply leaves, so a change costs one line however large the ledger.
 * Opening replays it (the last line of an order wins; a torn last line, from a crash in the
 * middle of a write whose reply never left, is dropped) and rewrites it compacted. Deadlines
 * are written as wall-clock times, so time spent stopped counts against them.
 */
#include "sim_ledger.h"
#include "sim.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct sim_ledger {
    char *path;
    int log_fd; /* the file, open for appending; -1 without one */
    struct sim_trade **trades;
    size_t n, cap;
    uint64_t next_seq; /* trade and refund numbers, unique across restarts */
    bool save_failed_reported;
};

const char *sim_trade_state_name(enum sim_trade_state s)
{
    switch (s) {
    case TRADE_PAYING: return "paying";
    case TRADE_CHARGED: return "charged";
    case TRADE_REFUNDED: return "refunded";
    case TRADE_CANCELLED: return "cancelled";
    case TRADE_CLOSED: return "closed";
    case TRADE_WAITING: return "waiting";
    }
    return "?";
}

static bool trade_state_from_name(const char *name, enum sim_trade_state *out)
{
    for (int s = TRADE_PAYING; s <= TRADE_WAITING; s++) {
        if (strcmp(name, sim_trade_state_name((enum sim_trade_state)s)) == 0) {
            *out = (enum sim_trade_state)s;
            return true;
        }
    }
    return false;
}

static void copy_str(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

static void free_trade(struct sim_trade *t)
{
    if (t == NULL)
        return;
    free(t->refunds);
    free(t);
}

static struct sim_trade *add_trade(struct sim_ledger *l, enum pay_channel ch, const char *order)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct sim_trade **t = realloc(l->trades, cap * sizeof *t);
        if (t == NULL)
            return NULL;
        l->trades = t;
        l->cap = cap;
    }
    struct sim_trade *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    t->channel = ch;
    copy_str(t->out_trade_no, sizeof t->out_trade_no, order);
    l->trades[l->n++] = t;
    return t;
}

/* A customer who was confirming has decided by now. */
static void settle(struct sim_trade *t, int64_t now)
{
    if (t->state != TRADE_PAYING || now < t->confirm_until)
        return;
    if (t->confirm_pays) {
        t->state = TRADE_CHARGED;
        t->charged++;
        t->paid_wall = sim_wall_s();
    } else {
        t->state = TRADE_CLOSED;
        copy_str(t->close_reason, sizeof t->close_reason, "customer gave up");
    }
}

/* Trade numbers look like the real ones: Alipay 28 digits from the date, WeChat 4200... */
static void assign_trade_no(struct sim_ledger *l, struct sim_trade *t)
{
    time_t now = (time_t)sim_wall_s() + 8 * 3600; /* Beijing date, as the gateways number them */
    struct tm tm;
    gmtime_r(&now, &tm);
    char date[9];
    strftime(date, sizeof date, "%Y%m%d", &tm);
    unsigned long long seq = (unsigned long long)l->next_seq++;
    if (t->channel == CHANNEL_WECHAT)
        snprintf(t->trade_no, sizeof t->trade_no, "4200%s%016llu", date, seq);
    else
        snprintf(t->trade_no, sizeof t->trade_no, "%s22001%015llu", date, seq);
}

static void charge(struct sim_ledger *l, struct sim_trade *t)
{
    t->state = TRADE_CHARGED;
    t->charged++;
    t->paid_wall = sim_wall_s();
    if (t->trade_no[0] == '\0')
        assign_trade_no(l, t);
}

static cJSON *trade_json(const struct sim_trade *t, int64_t now);

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One log line: the trade as the audit shows it, plus what a reload needs. */
static char *log_line(const struct sim_ledger *l, const struct sim_trade *t, int64_t now)
{
    cJSON *o = trade_json(t, now);
    int64_t wall = wall_ms();
    cJSON_AddNumberToObject(o, "confirm_until_wall_ms", (double)(wall + t->confirm_until - now));
    cJSON_AddNumberToObject(o, "visible_at_wall_ms", (double)(wall + t->visible_at - now));
    cJSON_AddNumberToObject(o, "next_seq", (double)l->next_seq);
    cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "refunds")->child;
    for (size_t i = 0; i < t->nrefunds && r != NULL; i++, r = r->next)
        cJSON_AddNumberToObject(r, "settles_at_wall_ms",
                                (double)(wall + t->refunds[i].settles_at - now));
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

static bool write_all(int fd, const char *text, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, text, len);
        if (n <= 0)
            return false;
        text += n;
        len -= (size_t)n;
    }
    return true;
}

/* Appends t's new state; durable before the caller's reply leaves. */
static void persist(struct sim_ledger *l, const struct sim_trade *t, int64_t now)
{
    if (l->log_fd < 0 || t == NULL)
        return;
    char *text = log_line(l, t, now);
    bool ok = text != NULL && write_all(l->log_fd, text, strlen(text)) &&
              write_all(l->log_fd, "\n", 1) && fdatasync(l->log_fd) == 0;
    free(text);
    if (!ok && !l->save_failed_reported) {
        fprintf(stderr, "posterm-sim: ledger %s not written: %s\n", l->path, strerror(errno));
        l->save_failed_reported = true;
    }
}

const char *sim_ledger_order_of(struct sim_ledger *l, const char *trade_no)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->trades[i]->trade_no[0] != '\0' && strcmp(l->trades[i]->trade_no, trade_no) == 0)
            return l->trades[i]->out_trade_no;
    return NULL;
}

struct sim_trade *sim_ledger_find(struct sim_ledger *l, const char *order, int64_t now)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->trades[i]->out_trade_no, order) == 0) {
            settle(l->trades[i], now);
            return l->trades[i];
        }
    }
    return NULL;
}

static void code_last4(const char *code, char out[5])
{
    size_t len = strlen(code);
    copy_str(out, 5, len > 4 ? code + len - 4 : code);
}

/* Remembers a pay for a known order that is not a resend of the first one. */
static void note_other_pay(struct sim_trade *t, const char *auth_code, int64_t amount_fen)
{
    char last4[5];
    code_last4(auth_code, last4);
    /* An order first seen by a cancel has no pay to compare with. */
    bool first_pay_known = t->code_last4[0] != '\0';
    if (!first_pay_known || (amount_fen == t->amount_fen && strcmp(last4, t->code_last4) == 0))
        return;
    for (int i = 0; i < t->nother_pays; i++)
        if (t->other_pays[i].amount_fen == amount_fen &&
            strcmp(t->other_pays[i].code_last4, last4) == 0)
            return;
    if (t->nother_pays == SIM_OTHER_PAYS_MAX)
        return;
    t->other_pays[t->nother_pays].amount_fen = amount_fen;
    copy_str(t->other_pays[t->nother_pays].code_last4, 5, last4);
    t->nother_pays++;
}

void sim_ledger_note_subject(struct sim_ledger *l, struct sim_trade *t, const char *subject,
                             int64_t now)
{
    if (t == NULL || subject == NULL || t->subject[0] != '\0' || t->pay_requests != 1)
        return;
    copy_str(t->subject, sizeof t->subject, subject);
    persist(l, t, now);
}

enum sim_pay_result sim_ledger_pay(struct sim_ledger *l, enum pay_channel ch, const char *order,
                                   const char *auth_code, int64_t amount_fen,
                                   const struct sim_plan *plan, int64_t now,
                                   struct sim_trade **trade)
{
    struct sim_trade *t = sim_ledger_find(l, order, now);
    enum sim_pay_result r;
    if (t != NULL) {
        /* A repeated pay for a known order never charges again. */
        t->pay_requests++;
        note_other_pay(t, auth_code, amount_fen);
        *trade = t;
        if (t->state == TRADE_CANCELLED || t->state == TRADE_CLOSED) {
            t->late_pays_refused++;
            r = SIM_PAY_ORDER_CLOSED;
        } else if (t->amount_fen != amount_fen || t->state == TRADE_WAITING) {
            r = SIM_PAY_INCONSISTENT; /* another sale: another amount, or a QR order's number */
        } else if (t->state == TRADE_PAYING) {
            r = SIM_PAY_PAYING;
        } else {
            r = SIM_PAY_ALREADY_PAID;
        }
        persist(l, t, now);
        return r;
    }
    t = add_trade(l, ch, order);
    *trade = t;
    if (t == NULL)
        return SIM_PAY_CODE_INVALID;
    t->amount_fen = amount_fen;
    t->pay_requests = 1;
    code_last4(auth_code, t->code_last4);
    copy_str(t->scenario, sizeof t->scenario, plan->name);
    assign_trade_no(l, t);
    switch (plan->biz) {
    case BIZ_NO_FUNDS:
        t->state = TRADE_CLOSED;
        copy_str(t->close_reason, sizeof t->close_reason, "insufficient funds");
        r = SIM_PAY_NO_FUNDS;
        break;
    case BIZ_CODE_INVALID:
        t->state = TRADE_CLOSED;
        copy_str(t->close_reason, sizeof t->close_reason, "payment code expired or invalid");
        r = SIM_PAY_CODE_INVALID;
        break;
    case BIZ_CONFIRM_PAYS:
    case BIZ_CONFIRM_GIVES_UP:
        t->state = TRADE_PAYING;
        t->confirm_until =
            now + (plan->confirm_ms > 0 ? plan->confirm_ms : (int64_t)plan->seconds * 1000);
        t->confirm_pays = plan->biz == BIZ_CONFIRM_PAYS;
        r = SIM_PAY_PAYING;
        break;
    case BIZ_HIDDEN:
        t->visible_at = now + (int64_t)plan->seconds * 1000;
        charge(l, t);
        r = SIM_PAY_CHARGED;
        break;
    case BIZ_CANCEL_REFUSED:
        t->cancel_refusals_left = plan->count;
        charge(l, t);
        r = SIM_PAY_CHARGED;
        break;
    case BIZ_REFUND_SLOW:
        t->refund_delay_s = plan->seconds;
        charge(l, t);
        r = SIM_PAY_CHARGED;
        break;
    case BIZ_NORMAL:
    case BIZ_SYSTEM_ERROR:
    default:
        charge(l, t);
        r = SIM_PAY_CHARGED;
        break;
    }
    persist(l, t, now);
    return r;
}

struct sim_trade *sim_ledger_query(struct sim_ledger *l, const char *order, int64_t now)
{
    struct sim_trade *t = sim_ledger_find(l, order, now);
    if (t == NULL || now < t->visible_at)
        return NULL;
    return t;
}

bool sim_ledger_query_throttled(struct sim_trade *t, int limit_ms, int64_t now)
{
    bool throttled = limit_ms > 0 && t->last_query_at > 0 && now - t->last_query_at < limit_ms;
    t->last_query_at = now;
    if (throttled)
        t->queries_throttled++;
    return throttled;
}

enum sim_cancel_result sim_ledger_cancel(struct sim_ledger *l, enum pay_channel ch,
                                         const char *order, bool refuse, bool busy_while_paying,
                                         int64_t now, struct sim_trade **trade)
{
    struct sim_trade *t = sim_ledger_find(l, order, now);
    enum sim_cancel_result r;
    if (t == NULL) {
        /* Cancelling an order the gateway has not seen closes it: its pay, should it still
         * arrive, is refused. */
        t = add_trade(l, ch, order);
        *trade = t;
        if (t == NULL)
            return SIM_CANCEL_RETRY;
        t->cancel_requests = 1;
        if (refuse) {
            persist(l, t, now);
            return SIM_CANCEL_RETRY;
        }
        t->state = TRADE_CANCELLED;
        t->cancel_before_pay = true;
        copy_str(t->cancel_action, sizeof t->cancel_action, "close");
        copy_str(t->scenario, sizeof t->scenario, "cancel_before_pay");
        persist(l, t, now);
        return SIM_CANCEL_CLOSED;
    }
    *trade = t;
    t->cancel_requests++;
    if (refuse || t->cancel_refusals_left > 0) {
        if (!refuse)
            t->cancel_refusals_left--;
        persist(l, t, now);
        return SIM_CANCEL_RETRY;
    }
    if (busy_while_paying && t->state == TRADE_PAYING) {
        persist(l, t, now);
        return SIM_CANCEL_BUSY;
    }
    switch (t->state) {
    case TRADE_PAYING:
    case TRADE_WAITING:
    case TRADE_CLOSED:
        t->state = TRADE_CANCELLED;
        copy_str(t->cancel_action, sizeof t->cancel_action, "close");
        r = SIM_CANCEL_CLOSED;
        break;
    case TRADE_CHARGED:
        t->state = TRADE_CANCELLED;
        t->refunded_fen = t->amount_fen;
        copy_str(t->cancel_action, sizeof t->cancel_action, "refund");
        r = SIM_CANCEL_REFUNDED;
        break;
    case TRADE_REFUNDED: r = SIM_CANCEL_REFUNDED; break;
    case TRADE_CANCELLED:
    default:
        /* Repeating a finished cancel repeats its answer. */
        r = strcmp(t->cancel_action, "refund") == 0 ? SIM_CANCEL_REFUNDED : SIM_CANCEL_CLOSED;
        break;
    }
    persist(l, t, now);
    return r;
}

enum sim_refund_result sim_ledger_refund(struct sim_ledger *l, const char *order,
                                         const char *request_no, int64_t amount_fen,
                                         int64_t total_fen, int delay_s, int64_t grant_fen,
                                         int64_t now, struct sim_trade **trade,
                                         const struct sim_refund **refund)
{
    *refund = NULL;
    struct sim_trade *t = sim_ledger_query(l, order, now);
    *trade = t;
    if (t == NULL)
        return SIM_REFUND_NOT_FOUND;
    for (size_t i = 0; i < t->nrefunds; i++) {
        if (strcmp(t->refunds[i].request_no, request_no) == 0) {
            *refund = &t->refunds[i];
            return t->refunds[i].requested_fen == amount_fen ? SIM_REFUND_REPEATED
                                                             : SIM_REFUND_INCONSISTENT;
        }
    }
    if (total_fen >= 0 && total_fen != t->amount_fen)
        return SIM_REFUND_INCONSISTENT;
    if (t->state == TRADE_REFUNDED)
        return SIM_REFUND_EXCEEDS;
    if (t->state != TRADE_CHARGED)
        return SIM_REFUND_NOT_PAID;
    if (amount_fen <= 0 || amount_fen > t->amount_fen - t->refunded_fen)
        return SIM_REFUND_EXCEEDS;
    struct sim_refund *grown = realloc(t->refunds, (t->nrefunds + 1) * sizeof *grown);
    if (grown == NULL)
        return SIM_REFUND_NOT_FOUND;
    t->refunds = grown;
    struct sim_refund *rf = &t->refunds[t->nrefunds++];
    memset(rf, 0, sizeof *rf);
    copy_str(rf->request_no, sizeof rf->request_no, request_no);
    snprintf(rf->refund_id, sizeof rf->refund_id, "50300%020llu",
             (unsigned long long)l->next_seq++);
    rf->requested_fen = amount_fen;
    rf->amount_fen = grant_fen > 0 && grant_fen < amount_fen ? grant_fen : amount_fen;
    rf->settles_at = now + (int64_t)(delay_s > 0 ? delay_s : t->refund_delay_s) * 1000;
    t->refunded_fen += rf->amount_fen;
    if (t->refunded_fen == t->amount_fen)
        t->state = TRADE_REFUNDED;
    *refund = rf;
    persist(l, t, now);
    return SIM_REFUND_DONE;
}

/* A payload that looks like the gateway's own, unique by the ledger's sequence. */
static void make_qr_payload(struct sim_ledger *l, struct sim_trade *t)
{
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    char token[24];
    unsigned long long v = (unsigned long long)l->next_seq++ * 2654435761ULL + 1000003ULL;
    size_t n = 0;
    do {
        token[n++] = digits[v % 62];
        v /= 62;
    } while (v > 0 && n < sizeof token - 1);
    token[n] = '\0';
    if (t->channel == CHANNEL_WECHAT)
        snprintf(t->qr_payload, sizeof t->qr_payload, "weixin://wxpay/bizpayurl?pr=%s", token);
    else
        snprintf(t->qr_payload, sizeof t->qr_payload, "https://qr.alipay.com/bax%s", token);
}

enum sim_qr_result sim_ledger_qr_create(struct sim_ledger *l, enum pay_channel ch,
                                        const char *order, int64_t amount_fen, int64_t expires_wall,
                                        const char *scenario, int64_t now, struct sim_trade **trade)
{
    struct sim_trade *t = sim_ledger_find(l, order, now);
    if (t != NULL) {
        *trade = t;
        t->pay_requests++;
        enum sim_qr_result r;
        if (t->state == TRADE_CANCELLED || t->state == TRADE_CLOSED)
            r = SIM_QR_CLOSED;
        else if (t->charged > 0)
            r = SIM_QR_PAID;
        else if (t->qr_payload[0] == '\0' || t->amount_fen != amount_fen)
            r = SIM_QR_INCONSISTENT;
        else
            r = SIM_QR_REPEATED; /* both gateways give the same QR for the same order again */
        persist(l, t, now);
        return r;
    }
    t = add_trade(l, ch, order);
    *trade = t;
    if (t == NULL)
        return SIM_QR_INCONSISTENT;
    t->amount_fen = amount_fen;
    t->pay_requests = 1;
    t->state = TRADE_WAITING;
    t->qr_expires_wall = expires_wall;
    copy_str(t->scenario, sizeof t->scenario, scenario);
    make_qr_payload(l, t);
    if (ch == CHANNEL_WECHAT)
        assign_trade_no(l, t); /* Alipay numbers the trade when it is scanned */
    persist(l, t, now);
    return SIM_QR_CREATED;
}

enum sim_close_result sim_ledger_qr_close(struct sim_ledger *l, const char *order,
                                          bool exists_unscanned, int64_t now,
                                          struct sim_trade **trade)
{
    struct sim_trade *t = sim_ledger_find(l, order, now);
    *trade = t;
    if (t == NULL)
        return SIM_CLOSE_NOT_FOUND;
    t->close_requests++;
    enum sim_close_result r;
    if (t->qr_payload[0] != '\0' && !t->scanned && !exists_unscanned) {
        r = SIM_CLOSE_NOT_FOUND;
    } else if (t->charged > 0) {
        r = SIM_CLOSE_PAID;
    } else if (t->state == TRADE_CLOSED || t->state == TRADE_CANCELLED) {
        r = SIM_CLOSE_REPEATED;
    } else {
        /* a customer still confirming is refused when they confirm */
        if (t->state == TRADE_PAYING && t->confirm_pays)
            t->late_pays_refused++;
        t->state = TRADE_CLOSED;
        copy_str(t->close_reason, sizeof t->close_reason, "closed by the merchant");
        r = SIM_CLOSE_CLOSED;
    }
    persist(l, t, now);
    return r;
}

enum sim_scan_result sim_ledger_qr_scan(struct sim_ledger *l, const char *order, const char *qr,
                                        int after_s, bool pays, int64_t now,
                                        struct sim_trade **trade)
{
    struct sim_trade *t = NULL;
    for (size_t i = 0; i < l->n && t == NULL; i++) {
        const struct sim_trade *c = l->trades[i];
        if (c->qr_payload[0] != '\0' &&
            (order ? strcmp(c->out_trade_no, order) == 0 : strcmp(c->qr_payload, qr) == 0))
            t = l->trades[i];
    }
    *trade = t;
    if (t == NULL)
        return SIM_SCAN_NOT_FOUND;
    settle(t, now);
    enum sim_scan_result r;
    if (t->state == TRADE_CLOSED || t->state == TRADE_CANCELLED) {
        t->late_pays_refused++;
        r = SIM_SCAN_REFUSED_CLOSED;
    } else if (t->state != TRADE_WAITING) {
        r = SIM_SCAN_ALREADY;
    } else if (sim_wall_s() > t->qr_expires_wall) {
        t->late_pays_refused++;
        r = SIM_SCAN_REFUSED_EXPIRED;
    } else {
        t->scanned = true;
        if (t->trade_no[0] == '\0')
            assign_trade_no(l, t);
        if (after_s > 0 || !pays) {
            t->state = TRADE_PAYING;
            t->confirm_until = now + (int64_t)after_s * 1000;
            t->confirm_pays = pays;
            r = SIM_SCAN_CONFIRMING;
        } else {
            charge(l, t);
            r = SIM_SCAN_PAID;
        }
    }
    persist(l, t, now);
    return r;
}

const struct sim_refund *sim_ledger_trade_refund(const struct sim_trade *t, const char *request_no)
{
    for (size_t j = 0; t != NULL && j < t->nrefunds; j++)
        if (strcmp(t->refunds[j].request_no, request_no) == 0)
            return &t->refunds[j];
    return NULL;
}

const struct sim_refund *sim_ledger_find_refund(struct sim_ledger *l, const char *request_no,
                                                int64_t now, struct sim_trade **trade)
{
    for (size_t i = 0; i < l->n; i++) {
        struct sim_trade *t = l->trades[i];
        for (size_t j = 0; j < t->nrefunds; j++) {
            if (strcmp(t->refunds[j].request_no, request_no) == 0) {
                settle(t, now);
                *trade = t;
                return &t->refunds[j];
            }
        }
    }
    *trade = NULL;
    return NULL;
}

static cJSON *trade_json(const struct sim_trade *t, int64_t now)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "channel", pay_channel_name(t->channel));
    cJSON_AddStringToObject(o, "out_trade_no", t->out_trade_no);
    cJSON_AddStringToObject(o, "trade_no", t->trade_no);
    cJSON_AddNumberToObject(o, "amount_fen", (double)t->amount_fen);
    cJSON_AddStringToObject(o, "code_last4", t->code_last4);
    cJSON_AddStringToObject(o, "scenario", t->scenario);
    cJSON_AddStringToObject(o, "state", sim_trade_state_name(t->state));
    cJSON_AddStringToObject(o, "close_reason", t->close_reason);
    cJSON_AddNumberToObject(o, "charged", t->charged);
    cJSON_AddBoolToObject(o, "cancel_before_pay", t->cancel_before_pay);
    cJSON_AddStringToObject(o, "cancel_action", t->cancel_action);
    cJSON_AddNumberToObject(o, "pay_requests", t->pay_requests);
    cJSON *others = cJSON_AddArrayToObject(o, "other_pays");
    for (int i = 0; i < t->nother_pays; i++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddNumberToObject(p, "amount_fen", (double)t->other_pays[i].amount_fen);
        cJSON_AddStringToObject(p, "code_last4", t->other_pays[i].code_last4);
        cJSON_AddItemToArray(others, p);
    }
    cJSON_AddNumberToObject(o, "late_pays_refused", t->late_pays_refused);
    cJSON_AddNumberToObject(o, "query_requests", t->query_requests);
    cJSON_AddNumberToObject(o, "queries_throttled", t->queries_throttled);
    cJSON_AddNumberToObject(o, "cancel_requests", t->cancel_requests);
    cJSON_AddNumberToObject(o, "cancel_refusals_left", t->cancel_refusals_left);
    cJSON_AddNumberToObject(o, "refunded_fen", (double)t->refunded_fen);
    cJSON *refunds = cJSON_AddArrayToObject(o, "refunds");
    for (size_t i = 0; i < t->nrefunds; i++) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "request_no", t->refunds[i].request_no);
        cJSON_AddStringToObject(r, "refund_id", t->refunds[i].refund_id);
        cJSON_AddNumberToObject(r, "amount_fen", (double)t->refunds[i].amount_fen);
        cJSON_AddNumberToObject(r, "requested_fen", (double)t->refunds[i].requested_fen);
        int64_t left = t->refunds[i].settles_at > now ? t->refunds[i].settles_at - now : 0;
        cJSON_AddStringToObject(r, "status", left > 0 ? "processing" : "success");
        cJSON_AddNumberToObject(r, "processing_remaining_ms", (double)left);
        cJSON_AddItemToArray(refunds, r);
    }
    cJSON_AddNumberToObject(o, "paid_at", (double)t->paid_wall);
    if (t->state == TRADE_PAYING) {
        cJSON_AddNumberToObject(o, "confirm_remaining_ms",
                                (double)(t->confirm_until > now ? t->confirm_until - now : 0));
        cJSON_AddBoolToObject(o, "confirm_pays", t->confirm_pays);
    }
    cJSON_AddNumberToObject(o, "hidden_remaining_ms",
                            (double)(t->visible_at > now ? t->visible_at - now : 0));
    cJSON_AddNumberToObject(o, "refund_delay_s", t->refund_delay_s);
    cJSON_AddStringToObject(o, "subject", t->subject);
    cJSON_AddStringToObject(o, "qr", t->qr_payload);
    cJSON_AddBoolToObject(o, "scanned", t->scanned);
    cJSON_AddNumberToObject(o, "qr_expires_at", (double)t->qr_expires_wall);
    cJSON_AddNumberToObject(o, "close_requests", t->close_requests);
    return o;
}

static cJSON *ledger_json(struct sim_ledger *l, int64_t now)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *trades = cJSON_AddArrayToObject(root, "trades");
    cJSON *reused = cJSON_AddArrayToObject(root, "reused_orders");
    int64_t charged = 0, returned = 0;
    for (size_t i = 0; i < l->n; i++) {
        settle(l->trades[i], now);
        const struct sim_trade *t = l->trades[i];
        if (t->charged > 0)
            charged += t->amount_fen * t->charged;
        returned += t->refunded_fen;
        cJSON_AddItemToArray(trades, trade_json(t, now));
        if (t->nother_pays > 0)
            cJSON_AddItemToArray(reused, cJSON_CreateString(t->out_trade_no));
    }
    cJSON *totals = cJSON_AddObjectToObject(root, "totals");
    cJSON_AddNumberToObject(totals, "trades", (double)l->n);
    cJSON_AddNumberToObject(totals, "charged_fen", (double)charged);
    cJSON_AddNumberToObject(totals, "returned_fen", (double)returned);
    cJSON_AddNumberToObject(totals, "net_fen", (double)(charged - returned));
    cJSON_AddNumberToObject(totals, "reused_orders", (double)cJSON_GetArraySize(reused));
    cJSON_AddNumberToObject(root, "next_seq", (double)l->next_seq);
    return root;
}

char *sim_ledger_audit(struct sim_ledger *l, int64_t now)
{
    cJSON *root = ledger_json(l, now);
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    return text;
}

bool sim_ledger_save(struct sim_ledger *l, int64_t now, char *err, size_t errlen)
{
    if (l->path == NULL)
        return true;
    size_t plen = strlen(l->path) + 5;
    char *tmp = malloc(plen);
    if (tmp == NULL) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    snprintf(tmp, plen, "%s.tmp", l->path);
    bool ok = false;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    for (size_t i = 0; i < l->n; i++) {
        char *text = log_line(l, l->trades[i], now);
        bool written = text != NULL && write_all(fd, text, strlen(text)) && write_all(fd, "\n", 1);
        free(text);
        if (!written) {
            snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
            goto out;
        }
    }
    /* Durable before it replaces the old file: a power cut leaves one whole ledger. */
    if (fsync(fd) != 0) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    close(fd);
    fd = -1;
    if (rename(tmp, l->path) != 0) {
        snprintf(err, errlen, "%s: %s", l->path, strerror(errno));
        goto out;
    }
    /* The rename itself must survive a power cut too: sync the directory. */
    char *slash = strrchr(tmp, '/');
    if (slash != NULL)
        slash[slash == tmp ? 1 : 0] = '\0';
    int dfd = open(slash ? tmp : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    /* Later changes append to the new file. */
    if (l->log_fd >= 0)
        close(l->log_fd);
    l->log_fd = open(l->path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (l->log_fd < 0) {
        snprintf(err, errlen, "%s: %s", l->path, strerror(errno));
        goto out;
    }
    ok = true;
out:
    if (fd >= 0)
        close(fd);
    free(tmp);
    return ok;
}

static const char *json_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static int64_t json_int(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

/* Applies one log line: the order's whole state, replacing what an earlier line said. */
static bool load_trade(struct sim_ledger *l, const cJSON *o, int64_t now, int64_t wall)
{
    enum pay_channel ch = pay_channel_from_name(json_str(o, "channel"));
    enum sim_trade_state state;
    const char *order = json_str(o, "out_trade_no");
    if (ch == CHANNEL_NONE || !trade_state_from_name(json_str(o, "state"), &state) ||
        order[0] == '\0')
        return false;
    struct sim_trade *t = NULL;
    for (size_t i = 0; i < l->n && t == NULL; i++)
        if (strcmp(l->trades[i]->out_trade_no, order) == 0)
            t = l->trades[i];
    if (t == NULL && (t = add_trade(l, ch, order)) == NULL)
        return false;
    free(t->refunds);
    memset(t, 0, sizeof *t);
    t->channel = ch;
    copy_str(t->out_trade_no, sizeof t->out_trade_no, order);
    t->state = state;
    copy_str(t->trade_no, sizeof t->trade_no, json_str(o, "trade_no"));
    t->amount_fen = json_int(o, "amount_fen");
    copy_str(t->code_last4, sizeof t->code_last4, json_str(o, "code_last4"));
    copy_str(t->subject, sizeof t->subject, json_str(o, "subject"));
    copy_str(t->scenario, sizeof t->scenario, json_str(o, "scenario"));
    copy_str(t->close_reason, sizeof t->close_reason, json_str(o, "close_reason"));
    t->charged = (int)json_int(o, "charged");
    t->cancel_before_pay = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "cancel_before_pay"));
    copy_str(t->cancel_action, sizeof t->cancel_action, json_str(o, "cancel_action"));
    t->pay_requests = (int)json_int(o, "pay_requests");
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(o, "other_pays"))
    {
        if (t->nother_pays == SIM_OTHER_PAYS_MAX)
            break;
        t->other_pays[t->nother_pays].amount_fen = json_int(p, "amount_fen");
        copy_str(t->other_pays[t->nother_pays].code_last4, 5, json_str(p, "code_last4"));
        t->nother_pays++;
    }
    t->late_pays_refused = (int)json_int(o, "late_pays_refused");
    t->query_requests = (int)json_int(o, "query_requests");
    t->queries_throttled = (int)json_int(o, "queries_throttled");
    t->cancel_requests = (int)json_int(o, "cancel_requests");
    t->cancel_refusals_left = (int)json_int(o, "cancel_refusals_left");
    t->refunded_fen = json_int(o, "refunded_fen");
    t->paid_wall = json_int(o, "paid_at");
    /* Deadlines were written as wall-clock times: time spent stopped counts. */
    t->confirm_until = now + (json_int(o, "confirm_until_wall_ms") - wall);
    t->confirm_pays = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "confirm_pays"));
    t->visible_at = now + (json_int(o, "visible_at_wall_ms") - wall);
    const cJSON *refunds = cJSON_GetObjectItemCaseSensitive(o, "refunds");
    int n = cJSON_GetArraySize(refunds);
    if (n > 0) {
        t->refunds = calloc((size_t)n, sizeof *t->refunds);
        if (t->refunds == NULL)
            return false;
        const cJSON *r;
        cJSON_ArrayForEach(r, refunds)
        {
            struct sim_refund *rf = &t->refunds[t->nrefunds++];
            copy_str(rf->request_no, sizeof rf->request_no, json_str(r, "request_no"));
            copy_str(rf->refund_id, sizeof rf->refund_id, json_str(r, "refund_id"));
            rf->amount_fen = json_int(r, "amount_fen");
            rf->requested_fen = json_int(r, "requested_fen");
            if (rf->requested_fen == 0) /* a ledger written before short refunds existed */
                rf->requested_fen = rf->amount_fen;
            rf->settles_at = now + (json_int(r, "settles_at_wall_ms") - wall);
        }
    }
    t->refund_delay_s = (int)json_int(o, "refund_delay_s");
    copy_str(t->qr_payload, sizeof t->qr_payload, json_str(o, "qr"));
    t->scanned = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "scanned"));
    t->qr_expires_wall = json_int(o, "qr_expires_at");
    t->close_requests = (int)json_int(o, "close_requests");
    uint64_t seq = (uint64_t)json_int(o, "next_seq");
    if (seq > l->next_seq)
        l->next_seq = seq;
    return true;
}

/* Replays the log. A last line that is not JSON and has no newline is a write cut short
 * by a crash: its reply never left, so the change is dropped as if it never happened. */
static bool load(struct sim_ledger *l, char *err, size_t errlen)
{
    FILE *f = fopen(l->path, "rb");
    if (f == NULL) {
        if (errno == ENOENT)
            return true;
        snprintf(err, errlen, "%s: %s", l->path, strerror(errno));
        return false;
    }
    int64_t now = sim_now_ms(), wall = wall_ms();
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int number = 0;
    bool ok = true;
    while (ok && (len = getline(&line, &cap, f)) > 0) {
        number++;
        bool complete = line[len - 1] == '\n';
        cJSON *o = cJSON_ParseWithLength(line, (size_t)len);
        if (o == NULL && !complete)
            break;
        if (!cJSON_IsObject(o) || !load_trade(l, o, now, wall)) {
            snprintf(err, errlen, "%s: line %d: not a posterm-sim ledger entry", l->path, number);
            ok = false;
        }
        cJSON_Delete(o);
    }
    free(line);
    fclose(f);
    return ok;
}

struct sim_ledger *sim_ledger_open(const char *path, char *err, size_t errlen)
{
    struct sim_ledger *l = calloc(1, sizeof *l);
    if (l == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    l->next_seq = 1;
    l->log_fd = -1;
    if (path != NULL) {
        l->path = strdup(path);
        if (l->path == NULL) {
            snprintf(err, errlen, "out of memory");
            sim_ledger_close(l);
            return NULL;
        }
        /* Replay, then start a compacted file that later changes append to. */
        if (!load(l, err, errlen) || !sim_ledger_save(l, sim_now_ms(), err, errlen)) {
            sim_ledger_close(l);
            return NULL;
        }
    }
    return l;
}

void sim_ledger_close(struct sim_ledger *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->n; i++)
        free_trade(l->trades[i]);
    free(l->trades);
    free(l->path);
    if (l->log_fd >= 0)
        close(l->log_fd);
    free(l);
}
