/*
 * engine_script.h - drives one payment through the engine from a line of words, on a fake
 * clock, and checks one step's outcome: status, new state, the exact actions, chosen fields.
 *
 * A script is words separated by spaces, each one event or one clock move:
 *   @N            both clocks move on so that monotonic time is N ms
 *   mono=N        reboot: the monotonic clock restarts at N, the wall clock is untouched
 *   wall+N wall-N the wall clock alone jumps (NTP, a dead RTC battery)
 *   create[:A]    EV_CREATE of ORDER for A fen (default 1230); :badno and :null for bad numbers
 *   scan[:X]      EV_SCAN of a WeChat code; X = alipay, bad, wrongch, null, unionpay
 *   qr[:X]        EV_QR for WeChat; X = alipay, none (no channel)
 *   OP:K[+M...]   EV_REPLY to OP (pay, query, cancel, refund, refundq, qrcreate, qrclose) of
 *                 kind K (S F P U); a qrcreate success carries SCRIPT_QR.
 *                 The reply answers the request in flight (its id) and its body names the
 *                 order (and refund) it answers, unless modified by: +amt (wrong amount)
 *                 +noamt (amount not said) +retry +refunded +nso (no such order) +nsr (no such
 *                 refund) +abnormal (refund cannot finish) +noorder (body names no order)
 *                 +other (body names another order) +bound (signature binds the exchange)
 *                 +norno (body names no refund) +srno (body names another refund) +less /
 *                 +more (refund amount stated 1.00 less / above the order) +norf (no refund
 *                 amount) +total (Alipay's refunded total instead) +oldid (an earlier
 *                 request's id) +order (routed to another order) +rno (another refund number)
 *                 +noqr (a create success without a payload) +paid (a close refused as paid)
 *   reply:null    EV_REPLY without a reply
 *   rf:A:N        EV_REFUND of A fen with request number ORDER "R" N (:bad, :null for bad ones)
 *   timer         EV_TIMER now;  fire: the clocks move to the armed timer, then EV_TIMER
 *   abort         EV_ABORT
 *   resume        restart: the runtime fields are zeroed (as recovery loads them), EV_RESUME
 * Expected actions read "J(name) S(op) T(at) V" (journal, send, timer, show).
 * Expected fields read "key=value ..." (see script_field_matches for the keys). A failed
 * reply's cause is PAY_CAUSE_BALANCE, an unknown one's PAY_CAUSE_NO_ANSWER.
 */
#ifndef POSTERM_ENGINE_SCRIPT_H
#define POSTERM_ENGINE_SCRIPT_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

#define SCRIPT_ORDER       "T1-K7Q2MX3A-000001"
#define SCRIPT_WECHAT_CODE "134567890123456789"
#define SCRIPT_ALIPAY_CODE "2876543210987654321"
#define SCRIPT_WALL0       INT64_C(1795000000000) /* wall clock when monotonic time is 0 */
#define SCRIPT_TRADE       "4200001234202611230000000001"
#define SCRIPT_QR          "weixin://wxpay/bizpayurl?pr=p4lpSuKzz"

struct script {
    struct payment p;
    struct policy pol;
    int64_t now, wall;
    enum engine_status st;
    struct engine_actions out;
    struct payment before; /* the payment as the last step found it */
    char error[200];       /* set when a word could not be understood */
};

static inline void script_init(struct script *s)
{
    memset(s, 0, sizeof *s);
    s->pol = policy_default();
    /* The rows' times were written for one query 3 s after the reply, then one every 5 s:
     * the transitions do not depend on the pace, and the default cadence (faster while the
     * customer confirms) has tests of its own (test_query_schedule, test_core_policy). */
    s->pol.first_query_ms = 3000;
    s->pol.query_fast_for_ms = 0;
    s->wall = SCRIPT_WALL0;
}

static inline const char *script_op_name(enum gw_op op)
{
    switch (op) {
    case GW_PAY: return "pay";
    case GW_QUERY: return "query";
    case GW_CANCEL: return "cancel";
    case GW_REFUND: return "refund";
    case GW_REFUND_QUERY: return "refundq";
    case GW_QR_CREATE: return "qrcreate";
    case GW_QR_CLOSE: return "qrclose";
    }
    return "?";
}

/* "J(created) S(pay) T(14000) V": the same notation as the expected column of a table. */
static inline void script_render(const struct engine_actions *out, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < out->n && used < len; i++) {
        const struct engine_action *a = &out->a[i];
        const char *sep = i ? " " : "";
        int w = 0;
        switch (a->type) {
        case ENGINE_JOURNAL: w = snprintf(buf + used, len - used, "%sJ(%s)", sep, a->name); break;
        case ENGINE_SEND:
            w = snprintf(buf + used, len - used, "%sS(%s)", sep, script_op_name(a->op));
            break;
        case ENGINE_TIMER:
            w = snprintf(buf + used, len - used, "%sT(%" PRId64 ")", sep, a->at);
            break;
        case ENGINE_SHOW: w = snprintf(buf + used, len - used, "%sV", sep); break;
        }
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static inline int script_kind(char c, enum gw_kind *k)
{
    switch (c) {
    case 'S': *k = GW_SUCCESS; return 1;
    case 'F': *k = GW_FAILED; return 1;
    case 'P': *k = GW_PAYING; return 1;
    case 'U': *k = GW_UNKNOWN; return 1;
    }
    return 0;
}

/* The reply the gateway would give to this payment's request, before modifiers. */
static inline void script_reply_for(const struct payment *p, enum gw_op op, enum gw_kind kind,
                                    struct gw_reply *r)
{
    memset(r, 0, sizeof *r);
    r->op = op;
    r->channel = p->channel;
    r->kind = kind;
    r->request_id = p->in_flight_id;
    snprintf(r->order_no, sizeof r->order_no, "%s", p->order_no);
    /* An honest gateway's body names the order (and the refund) it answers. */
    r->said.order_no_given = true;
    snprintf(r->said.order_no, sizeof r->said.order_no, "%s", p->order_no);
    if (op == GW_REFUND || op == GW_REFUND_QUERY) {
        snprintf(r->refund_no, sizeof r->refund_no, "%s", p->refund_no);
        r->said.refund_no_given = true;
        snprintf(r->said.refund_no, sizeof r->said.refund_no, "%s", p->refund_no);
        r->said.refund_given = kind == GW_SUCCESS;
        r->said.refund_fen = kind == GW_SUCCESS ? p->refund_fen : 0;
    } else if (kind == GW_SUCCESS && (op == GW_PAY || op == GW_QUERY)) {
        r->said.amount_given = true;
        r->said.amount_fen = p->amount_fen;
    }
    if (op == GW_QR_CREATE && kind == GW_SUCCESS) {
        r->said.qr_given = true;
        snprintf(r->said.qr_payload, sizeof r->said.qr_payload, "%s", SCRIPT_QR);
    }
    if ((kind == GW_SUCCESS || kind == GW_PAYING) && op != GW_QR_CREATE) {
        r->said.trade_no_given = true;
        snprintf(r->said.trade_no, sizeof r->said.trade_no, "%s", SCRIPT_TRADE);
    }
    r->cause = kind == GW_FAILED    ? PAY_CAUSE_BALANCE
               : kind == GW_UNKNOWN ? PAY_CAUSE_NO_ANSWER
                                    : PAY_CAUSE_NONE;
    snprintf(r->reason, sizeof r->reason, "%s %s", script_op_name(op),
             kind == GW_SUCCESS  ? "succeeded"
             : kind == GW_FAILED ? "refused: balance too low"
             : kind == GW_PAYING ? "waiting for the customer"
                                 : "timed out");
}

static inline int script_word(struct script *s, const char *w)
{
    struct engine_event ev;
    struct gw_reply reply;
    char number[ORDER_NO_MAX + 8];
    memset(&ev, 0, sizeof ev);

    if (w[0] == '@') {
        int64_t t = strtoll(w + 1, NULL, 10);
        s->wall += t - s->now;
        s->now = t;
        return 1;
    }
    if (strncmp(w, "mono=", 5) == 0) {
        s->now = strtoll(w + 5, NULL, 10);
        return 1;
    }
    if (strncmp(w, "wall+", 5) == 0 || strncmp(w, "wall-", 5) == 0) {
        int64_t d = strtoll(w + 5, NULL, 10);
        s->wall += w[4] == '+' ? d : -d;
        return 1;
    }

    if (strncmp(w, "create", 6) == 0) {
        ev.type = EV_CREATE;
        ev.order_no = SCRIPT_ORDER;
        ev.amount_fen = 1230;
        if (strcmp(w, "create:badno") == 0)
            ev.order_no = "T1 20261123";
        else if (strcmp(w, "create:null") == 0)
            ev.order_no = NULL;
        else if (w[6] == ':')
            ev.amount_fen = strtoll(w + 7, NULL, 10);
    } else if (strncmp(w, "scan", 4) == 0) {
        ev.type = EV_SCAN;
        ev.code = SCRIPT_WECHAT_CODE;
        ev.channel = CHANNEL_WECHAT;
        if (strcmp(w, "scan:alipay") == 0) {
            ev.code = SCRIPT_ALIPAY_CODE;
            ev.channel = CHANNEL_ALIPAY;
        } else if (strcmp(w, "scan:bad") == 0) {
            ev.code = "13456789012345678x";
        } else if (strcmp(w, "scan:wrongch") == 0) {
            ev.channel = CHANNEL_ALIPAY;
        } else if (strcmp(w, "scan:null") == 0) {
            ev.code = NULL;
        } else if (strcmp(w, "scan:unionpay") == 0) {
            ev.code = "6212345678901234567";
            ev.channel = CHANNEL_NONE;
        } else if (w[4] != '\0') {
            snprintf(s->error, sizeof s->error, "unknown scan \"%s\"", w);
            return 0;
        }
    } else if (strncmp(w, "qr", 2) == 0 && strncmp(w, "qrc", 3) != 0) {
        ev.type = EV_QR;
        ev.channel = CHANNEL_WECHAT;
        if (strcmp(w, "qr:alipay") == 0) {
            ev.channel = CHANNEL_ALIPAY;
        } else if (strcmp(w, "qr:none") == 0) {
            ev.channel = CHANNEL_NONE;
        } else if (w[2] != '\0') {
            snprintf(s->error, sizeof s->error, "unknown qr \"%s\"", w);
            return 0;
        }
    } else if (strcmp(w, "reply:null") == 0) {
        ev.type = EV_REPLY;
        ev.reply = NULL;
    } else if (strncmp(w, "pay:", 4) == 0 || strncmp(w, "query:", 6) == 0 ||
               strncmp(w, "cancel:", 7) == 0 || strncmp(w, "refund:", 7) == 0 ||
               strncmp(w, "refundq:", 8) == 0 || strncmp(w, "qrcreate:", 9) == 0 ||
               strncmp(w, "qrclose:", 8) == 0) {
        enum gw_op op = w[0] == 'p'                       ? GW_PAY
                        : strncmp(w, "qrcreate:", 9) == 0 ? GW_QR_CREATE
                        : strncmp(w, "qrclose:", 8) == 0  ? GW_QR_CLOSE
                        : w[0] == 'q'                     ? GW_QUERY
                        : w[0] == 'c'                     ? GW_CANCEL
                        : strncmp(w, "refundq:", 8) == 0  ? GW_REFUND_QUERY
                                                          : GW_REFUND;
        const char *k = strchr(w, ':') + 1;
        enum gw_kind kind;
        if (!script_kind(*k, &kind)) {
            snprintf(s->error, sizeof s->error, "unknown reply kind in \"%s\"", w);
            return 0;
        }
        script_reply_for(&s->p, op, kind, &reply);
        for (const char *m = strchr(k, '+'); m; m = strchr(m + 1, '+')) {
            if (strncmp(m, "+amt", 4) == 0)
                reply.said.amount_fen = s->p.amount_fen + 1;
            else if (strncmp(m, "+noamt", 6) == 0)
                reply.said.amount_given = false;
            else if (strncmp(m, "+retry", 6) == 0)
                reply.retry = true;
            else if (strncmp(m, "+refunded", 9) == 0)
                reply.cancel_refunded = true;
            else if (strncmp(m, "+noqr", 5) == 0)
                reply.said.qr_given = false;
            else if (strncmp(m, "+paid", 5) == 0)
                reply.close_refused_paid = true;
            else if (strncmp(m, "+nso", 4) == 0)
                reply.no_such_order = true;
            else if (strncmp(m, "+nsr", 4) == 0)
                reply.no_such_refund = true;
            else if (strncmp(m, "+abnormal", 9) == 0)
                reply.refund_abnormal = true;
            else if (strncmp(m, "+noorder", 8) == 0)
                reply.said.order_no_given = false;
            else if (strncmp(m, "+other", 6) == 0)
                snprintf(reply.said.order_no, sizeof reply.said.order_no, "T1-K7Q2MX3A-000002");
            else if (strncmp(m, "+bound", 6) == 0)
                reply.exchange_bound = true;
            else if (strncmp(m, "+norno", 6) == 0)
                reply.said.refund_no_given = false;
            else if (strncmp(m, "+less", 5) == 0)
                reply.said.refund_fen = s->p.refund_fen - 100;
            else if (strncmp(m, "+more", 5) == 0)
                reply.said.refund_fen = s->p.amount_fen + 1;
            else if (strncmp(m, "+norf", 5) == 0)
                reply.said.refund_given = false;
            else if (strncmp(m, "+total", 6) == 0) {
                /* Alipay: the refunded total instead of this refund's amount */
                reply.said.refund_given = false;
                reply.said.refunded_total_given = true;
                reply.said.refunded_total_fen = s->p.refunded_fen + s->p.refund_fen;
            } else if (strncmp(m, "+oldid", 6) == 0)
                reply.request_id = s->p.in_flight_id - 1;
            else if (strncmp(m, "+order", 6) == 0)
                snprintf(reply.order_no, sizeof reply.order_no, "T1-K7Q2MX3A-000002");
            else if (strncmp(m, "+srno", 5) == 0)
                snprintf(reply.said.refund_no, sizeof reply.said.refund_no, "%.28sR99",
                         s->p.order_no);
            else if (strncmp(m, "+rno", 4) == 0)
                snprintf(reply.refund_no, sizeof reply.refund_no, "%.28sR99", s->p.order_no);
            else {
                snprintf(s->error, sizeof s->error, "unknown modifier in \"%s\"", w);
                return 0;
            }
        }
        ev.type = EV_REPLY;
        ev.reply = &reply;
    } else if (strncmp(w, "rf:", 3) == 0) {
        ev.type = EV_REFUND;
        char *end;
        ev.refund_fen = strtoll(w + 3, &end, 10);
        const char *no = *end == ':' ? end + 1 : "1";
        if (strcmp(no, "null") == 0) {
            ev.refund_no = NULL;
        } else if (strcmp(no, "bad") == 0) {
            ev.refund_no = "refund #1";
        } else {
            snprintf(number, sizeof number, "%sR%s", s->p.order_no, no);
            ev.refund_no = number;
        }
    } else if (strcmp(w, "timer") == 0) {
        ev.type = EV_TIMER;
    } else if (strcmp(w, "fire") == 0) {
        if (s->p.timer_at == 0) {
            snprintf(s->error, sizeof s->error, "fire: no timer is armed");
            return 0;
        }
        s->wall += s->p.timer_at - s->now;
        s->now = s->p.timer_at;
        ev.type = EV_TIMER;
    } else if (strcmp(w, "abort") == 0) {
        ev.type = EV_ABORT;
    } else if (strcmp(w, "resume") == 0) {
        s->p.sent_mono = 0;
        s->p.timer_at = 0;
        s->p.backoff_ms = 0;
        s->p.in_flight = false;
        s->p.customer_confirming = false;
        ev.type = EV_RESUME;
    } else {
        snprintf(s->error, sizeof s->error, "unknown word \"%s\"", w);
        return 0;
    }

    ev.now = s->now;
    ev.wall = s->wall;
    memcpy(&s->before, &s->p, sizeof s->p);
    s->st = engine_step(&s->p, &s->pol, &ev, &s->out);
    return 1;
}

/* Runs every word; with must_succeed, a word whose step is not ENGINE_OK is an error. */
static inline int script_run(struct script *s, const char *words, int must_succeed)
{
    char copy[1024], *save = NULL;
    snprintf(copy, sizeof copy, "%s", words);
    for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        s->st = ENGINE_OK;
        s->out.n = 0;
        if (!script_word(s, w))
            return 0;
        if (must_succeed && s->st != ENGINE_OK) {
            snprintf(s->error, sizeof s->error, "setup word \"%s\" gave %s", w,
                     engine_status_reason(s->st));
            return 0;
        }
    }
    return 1;
}

/* One expected field, "key=value". Returns 1 when it holds, and says why not otherwise. */
static inline int script_field_matches(const struct script *s, const char *kv, char *why,
                                       size_t whylen)
{
    const struct payment *p = &s->p;
    const char *eq = strchr(kv, '=');
    if (!eq) {
        snprintf(why, whylen, "malformed field \"%s\"", kv);
        return 0;
    }
    char key[32];
    snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
    const char *v = eq + 1;
    long long n = strtoll(v, NULL, 10);
    long long got = 0;
    const char *str = NULL;

    if (strcmp(key, "auth") == 0)
        str = p->auth_code;
    else if (strcmp(key, "last4") == 0)
        str = p->code_last4;
    else if (strcmp(key, "trade") == 0)
        str = p->trade_no;
    else if (strcmp(key, "refund_no") == 0)
        str = p->refund_no;
    else if (strcmp(key, "channel") == 0)
        str = pay_channel_name(p->channel);
    else if (strcmp(key, "kind") == 0)
        str = pay_kind_name(p->kind);
    else if (strcmp(key, "qr") == 0)
        str = p->qr_payload;
    else if (strcmp(key, "qr_window") == 0)
        got = p->qr_window_s;
    else if (strcmp(key, "cause") == 0)
        str = pay_cause_name(p->last_cause);
    else if (strcmp(key, "error") == 0) {
        /* error=word: the reason contains that word; error= : no reason kept */
        if (*v ? strstr(p->last_error, v) != NULL : p->last_error[0] == '\0')
            return 1;
        snprintf(why, whylen, "last_error \"%s\" for %s", p->last_error, kv);
        return 0;
    } else if (strcmp(key, "abort") == 0)
        got = p->abort_requested;
    else if (strcmp(key, "cancel_refunded") == 0)
        got = p->cancel_refunded;
    else if (strcmp(key, "flight") == 0)
        got = p->in_flight;
    else if (strcmp(key, "confirming") == 0)
        got = p->customer_confirming;
    else if (strcmp(key, "timer") == 0)
        got = p->timer_at;
    else if (strcmp(key, "sent") == 0)
        got = p->sent_mono;
    else if (strcmp(key, "pay_sent_wall") == 0)
        got = p->pay_sent_at - SCRIPT_WALL0;
    else if (strcmp(key, "refunded") == 0)
        got = p->refunded_fen;
    else if (strcmp(key, "refund_fen") == 0)
        got = p->refund_fen;
    else if (strcmp(key, "queries") == 0)
        got = p->queries;
    else if (strcmp(key, "cancels") == 0)
        got = p->cancels;
    else if (strcmp(key, "backoff") == 0)
        got = p->backoff_ms;
    else if (strcmp(key, "amount") == 0)
        got = p->amount_fen;
    else if (strcmp(key, "deadline") == 0)
        got = engine_cancel_deadline(p, &s->pol);
    else {
        snprintf(why, whylen, "unknown field \"%s\"", key);
        return 0;
    }
    if (str) {
        /* refund_no=N names the request number ORDER "R" N */
        char want[ORDER_NO_MAX + 8];
        if (strcmp(key, "refund_no") == 0 && *v)
            snprintf(want, sizeof want, "%sR%s", p->order_no, v);
        else
            snprintf(want, sizeof want, "%s", v);
        if (strcmp(str, want) == 0)
            return 1;
        snprintf(why, whylen, "%s is \"%s\", wanted \"%s\"", key, str, want);
        return 0;
    }
    if (got == n)
        return 1;
    snprintf(why, whylen, "%s is %lld, wanted %lld", key, got, n);
    return 0;
}

/* The journaled fields that carry a decision (all but the counters and the last reason, which
 * follow the decisions they belong to). Returns the first that differs, or NULL. */
static inline const char *script_decision_differs(const struct payment *a, const struct payment *b)
{
    if (strcmp(a->order_no, b->order_no) != 0)
        return "order_no";
    if (a->channel != b->channel)
        return "channel";
    if (a->amount_fen != b->amount_fen)
        return "amount_fen";
    if (strcmp(a->auth_code, b->auth_code) != 0)
        return "auth_code";
    if (strcmp(a->code_last4, b->code_last4) != 0)
        return "code_last4";
    if (a->state != b->state)
        return "state";
    if (a->abort_requested != b->abort_requested)
        return "abort_requested";
    if (a->cancel_refunded != b->cancel_refunded)
        return "cancel_refunded";
    if (a->created_at != b->created_at)
        return "created_at";
    if (a->pay_sent_at != b->pay_sent_at)
        return "pay_sent_at";
    if (a->updated_at != b->updated_at)
        return "updated_at";
    if (strcmp(a->trade_no, b->trade_no) != 0)
        return "trade_no";
    if (a->refunded_fen != b->refunded_fen)
        return "refunded_fen";
    if (strcmp(a->refund_no, b->refund_no) != 0)
        return "refund_no";
    if (a->refund_fen != b->refund_fen)
        return "refund_fen";
    if (a->kind != b->kind)
        return "kind";
    if (strcmp(a->qr_payload, b->qr_payload) != 0)
        return "qr_payload";
    if (a->qr_window_s != b->qr_window_s)
        return "qr_window_s";
    return NULL;
}

/* Every journaled field, the counters and the last reason included. */
static inline const char *script_journaled_differs(const struct payment *a, const struct payment *b)
{
    const char *d = script_decision_differs(a, b);
    if (d)
        return d;
    if (a->queries != b->queries)
        return "queries";
    if (a->cancels != b->cancels)
        return "cancels";
    if (strcmp(a->last_error, b->last_error) != 0)
        return "last_error";
    return NULL;
}

#endif
