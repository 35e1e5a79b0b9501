/*
 * test_core_engine_random.c - thousands of seeded random payments against a model gateway
 * that keeps a ledger, with lost and late requests, lost replies, outages, customers who
 * take their time, refused cancels, crashes at any point of a step, and clocks that restart
 * (monotonic) or jump back (wall) across reboots. After every step and at the end of every
 * payment the invariant RELIABILITY.md states must hold:
 *  - PAID only on a SUCCESS reply that reflected a real charge on the ledger;
 *  - FAILED or CANCELLED only when the ledger holds no charge that was not reversed;
 *  - every payment ends PAID, FAILED, CANCELLED or REFUNDED once the gateway answers again,
 *    and its refunds are the ledger's;
 *  - never a second pay request for one order, never two requests out at once, never a
 *    cancel sooner than min_cancel after the pay request left;
 *  - when a step ends, the journal's copy (the payment as it stood at the step's last
 *    ENGINE_JOURNAL) holds the same decisions as the payment in memory, and a restart
 *    resumes from that copy with the runtime fields zeroed;
 *  - replies and timers nobody waits for are ignored and change nothing;
 *  - a reply that never comes (the transport silent too) ends at the request's deadline.
 * A third of the payments are dynamic QR payments (the customer scans the terminal, either
 * channel): the model gateway creates the order (Alipay's only once scanned), the customer
 * scans only a QR the terminal has shown - at once, late, after the window or never - and
 * pays or gives up; a closed or expired order refuses the customer. Beyond the above: a QR
 * is shown only once the journal holds its payload, and only the gateway's payload for this
 * order; no barcode request for a QR payment and no QR request for a barcode one; CANCELLED
 * only when the customer can no longer pay (a customer still scanning later finds it closed
 * or expired).
 * A quarter of the payments run under a random coherent policy instead of the defaults.
 *
 * Each sequence's seed is printed on failure; replay one with
 *   POSTERM_CORE_SEED=<seed> POSTERM_CORE_SEQUENCES=1 POSTERM_CORE_TRACE=1
 * ./test_core_engine_random POSTERM_CORE_SEQUENCES (default 10000) runs more; time is simulated, so
 * the run takes well under a second per ten thousand payments.
 */
#include <stdarg.h>

#include "check.h"
#include "engine_script.h"
#include "order_no.h"

#define NEVER       INT64_MAX
#define SLOTS       24
#define TRACE_LINES 96

/* ---------------------------------------------------------------- randomness */

struct rng {
    uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * UINT64_C(2685821657736338717);
}

static int chance(struct rng *r, int percent)
{
    return (int)(rnd(r) % 100) < percent;
}

static int64_t between(struct rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rnd(r) % (uint64_t)(hi - lo + 1));
}

/* ---------------------------------------------------------------- the model gateway */

enum trade { T_NONE, T_WAITING, T_PAID, T_FAILED, T_CLOSED, T_REVERSED };

static const char *trade_name(enum trade t)
{
    static const char *names[] = {"none", "waiting", "paid", "failed", "closed", "reversed"};
    return names[t];
}

enum outcome { OUT_SUCCESS, OUT_NO_FUNDS, OUT_CONFIRM, OUT_SYSERR_CHARGED, OUT_SYSERR_NOTHING };

struct scenario {
    int pay_fate;        /* 0 arrives at once, 1 arrives late, 2 never arrives */
    int64_t pay_late_ms; /* fate 1: how late */
    enum outcome outcome;
    int64_t confirm_ms;      /* OUT_CONFIRM: the customer decides after this long */
    bool customer_pays;      /* ... and pays, or gives up */
    bool refuse_paid_cancel; /* a paid trade cannot be reversed (refund only) */
    bool userpaying_blocks;  /* a cancel while the customer confirms is refused for now */
    int retry_pct;           /* cancels answered "retry" */
    int lost_pct;            /* replies lost (the request did arrive) */
    int silent_pct;          /* ... of those, lost without the transport ever answering */
    int64_t down_from[2], down_until[2];
    int64_t healthy_from; /* from here on: no outage, no lost reply, no retry, no crash */
    int crash_pct;        /* per step, before each action */
    int64_t scan_at;      /* NEVER: the cashier never scans */
    int64_t abort_at;     /* NEVER: no abort */
    int nrefunds;
    int64_t refund_asks[3]; /* fen; 0 = the whole remainder; -1 = one fen above it */
    int forge_query;        /* the n-th query gets a SUCCESS with the wrong amount; -1 none */
    int stale_pct;          /* chance of a stale event before each real one */
    /* dynamic QR */
    bool qr; /* a QR payment (EV_QR at scan_at) instead of a barcode one */
    enum pay_channel qr_channel;
    int64_t qr_scan_delay;  /* the customer scans this long after the QR is shown; NEVER */
    int qr_unbound_pct;     /* WeChat replies not bound to the exchange (after a restart) */
    bool qr_create_refused; /* the create is refused definitely: no order */
};

struct ledger {
    enum trade trade;
    bool charged, reversed;
    int64_t confirm_until;
    int pays_arrived, queries_seen;
    int64_t qr_created_at; /* true time the first QR create arrived; NEVER */
    int64_t qr_expires;    /* the QR's expiry at the gateway; NEVER before a create */
    int64_t qr_window_s;
    int64_t amount; /* the order's, as created */
    int64_t refunded;
    int nrefunds;
    struct {
        char no[ORDER_NO_MAX + 1];
        int64_t fen;
        bool ok;
    } refunds[8];
};

struct arrival { /* a request on its way to the gateway */
    bool used;
    int64_t at;
    struct gw_request req;
    int epoch;
    bool reply_lost; /* processed, but the terminal gets UNKNOWN instead (sent already) */
    int64_t reply_lat;
};

struct delivery { /* a reply on its way to the terminal */
    bool used;
    int64_t at;
    struct gw_reply r;
    int epoch;
    bool genuine_success; /* a SUCCESS that reflects a charge on the ledger */
};

/* ---------------------------------------------------------------- the world */

struct counts {
    long sequences, steps, crashes, stale, resumes, failures, deadlines;
    long final[PAY_REFERRED + 1];
    long cancelled_refunded, no_payment, counter_lag;
    long qr, qr_paid, qr_closed, qr_scans_refused, qr_late_scans;
};

struct world {
    uint64_t seed;
    struct rng rng;
    struct scenario sc;
    struct policy pol;
    struct ledger led;

    int64_t t; /* true time, ms */
    int64_t boot_t, mono_base, wall_offset;
    int epoch;

    struct payment p, journal;
    bool journaled;
    bool outstanding; /* the model's view: a request of this epoch awaits its reply */
    enum gw_op outstanding_op;

    int pay_sends;
    int64_t pay_sent_t; /* true time the pay request left; NEVER if it did not */
    int64_t qr_shown_t; /* true time the QR was first shown; NEVER */
    int64_t qr_scan_at; /* the customer's scan; NEVER */
    int refund_counter, next_refund;
    int64_t refund_at;

    struct arrival arr[SLOTS];
    struct delivery del[SLOTS];
    struct gw_reply history[8];
    int nhistory;

    /* Tracing costs more than the engine itself, so a failing seed is run again with it. */
    bool tracing;
    char trace[TRACE_LINES][200];
    long ntrace;
    bool failed;
    char failure[300];
    struct counts *counts;
};

static bool trace_live;

static void trace(struct world *w, const char *fmt, ...)
{
    if (!w->tracing)
        return;
    char *line = w->trace[w->ntrace++ % TRACE_LINES];
    int n = snprintf(line, 200, "t=%-8" PRId64 " mono=%-8" PRId64 " ", w->t,
                     w->t - w->boot_t + w->mono_base);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, (size_t)(200 - n), fmt, ap);
    va_end(ap);
    if (trace_live)
        printf("  %s\n", line);
}

/* Records the first broken promise of a sequence; main() reports it. */
static void fail(struct world *w, const char *fmt, ...)
{
    if (w->failed)
        return;
    w->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->failure, sizeof w->failure, fmt, ap);
    va_end(ap);
    trace(w, "BROKEN: %s", w->failure);
}

static void report_failure(const struct world *w)
{
    fprintf(stderr, "seed %" PRIu64 ": %s\n", w->seed, w->failure);
    fprintf(stderr, "  state %s, ledger %s (charged %d reversed %d refunded %" PRId64 ")\n",
            pay_state_name(w->p.state), trade_name(w->led.trade), w->led.charged, w->led.reversed,
            w->led.refunded);
    long from = w->ntrace > TRACE_LINES ? w->ntrace - TRACE_LINES : 0;
    for (long i = from; i < w->ntrace; i++)
        fprintf(stderr, "  | %s\n", w->trace[i % TRACE_LINES]);
    fprintf(stderr,
            "  replay: POSTERM_CORE_SEED=%" PRIu64
            " POSTERM_CORE_SEQUENCES=1 POSTERM_CORE_TRACE=1 %s\n",
            w->seed, "tests/unit/core/test_core_engine_random");
}

static int64_t mono(const struct world *w)
{
    return w->t - w->boot_t + w->mono_base;
}

static int64_t wall(const struct world *w)
{
    return SCRIPT_WALL0 + w->t + w->wall_offset;
}

static bool gateway_down(const struct world *w, int64_t at)
{
    for (int i = 0; i < 2; i++)
        if (at >= w->sc.down_from[i] && at < w->sc.down_until[i])
            return true;
    return false;
}

static bool unhealthy(const struct world *w, int64_t at)
{
    return at < w->sc.healthy_from;
}

static void deliver(struct world *w, int64_t at, const struct gw_reply *r, bool genuine)
{
    for (int i = 0; i < SLOTS; i++) {
        if (!w->del[i].used) {
            w->del[i] = (struct delivery){true, at, *r, w->epoch, genuine};
            return;
        }
    }
    fail(w, "model: too many replies on their way");
}

static void unknown_reply(const struct gw_request *q, struct gw_reply *r, const char *why)
{
    memset(r, 0, sizeof *r);
    r->op = q->op;
    r->channel = q->channel;
    r->kind = GW_UNKNOWN;
    r->request_id = q->request_id;
    snprintf(r->order_no, sizeof r->order_no, "%s", q->order_no);
    snprintf(r->refund_no, sizeof r->refund_no, "%s", q->refund_no);
    snprintf(r->reason, sizeof r->reason, "%s", why);
}

/* ---------------------------------------------------------------- the model gateway: QR */

#define QR_PAYLOAD       "weixin://wxpay/bizpayurl?pr=model"
#define QR_PAYLOAD_OTHER "weixin://wxpay/bizpayurl?pr=another"

/* What has happened by `at` without a request: the customer's payment lands (unless the
 * order closed or expired first); an open WeChat order expires and closes. */
static void qr_settle(struct world *w, int64_t at)
{
    struct ledger *l = &w->led;
    if (!w->sc.qr || l->trade != T_WAITING)
        return;
    if (l->confirm_until != NEVER && at >= l->confirm_until && l->confirm_until < l->qr_expires) {
        l->trade = T_PAID;
        l->charged = true;
        trace(w, "gateway: the customer paid the QR");
    } else if (at >= l->qr_expires) {
        l->trade = T_CLOSED;
        trace(w, "gateway: the QR order expired");
    }
}

/* The customer scans the QR shown. Refused when the order is closed or expired. */
static void customer_scans(struct world *w)
{
    struct ledger *l = &w->led;
    w->qr_scan_at = NEVER;
    qr_settle(w, w->t);
    bool expired = l->qr_expires != NEVER && w->t >= l->qr_expires;
    if (pay_state_unresolved(w->p.state) == false && w->p.state != PAY_PAID)
        w->counts->qr_late_scans++;
    if (l->trade == T_CLOSED || l->trade == T_PAID || expired || l->qr_created_at == NEVER) {
        w->counts->qr_scans_refused++;
        trace(w, "customer scans: refused (%s%s)", trade_name(l->trade),
              expired ? ", expired" : "");
        return;
    }
    l->trade = T_WAITING; /* Alipay's trade exists from now on */
    l->confirm_until = w->sc.customer_pays ? w->t + w->sc.confirm_ms : NEVER;
    trace(w, "customer scans%s", w->sc.customer_pays ? ", will pay" : ", gives up");
}

static bool qr_handle(struct world *w, const struct gw_request *q, int64_t at, struct gw_reply *r)
{
    struct ledger *l = &w->led;
    bool genuine = false;
    bool wechat = q->channel == CHANNEL_WECHAT;
    if (q->channel != w->sc.qr_channel)
        fail(w, "a QR request on the wrong channel");
    bool expired = l->qr_expires != NEVER && at >= l->qr_expires;
    switch (q->op) {
    case GW_QR_CREATE:
        if (q->qr_window_s <= 0 || q->amount_fen != l->amount)
            fail(w, "QR create: window %d s, %" PRId64 " fen", q->qr_window_s, q->amount_fen);
        if (w->sc.qr_create_refused) {
            r->kind = GW_FAILED;
            r->said.order_no_given = !wechat;
            r->exchange_bound = wechat;
            snprintf(r->reason, sizeof r->reason, "create refused");
            break;
        }
        if (l->trade == T_PAID || l->trade == T_CLOSED || expired) {
            r->kind = GW_UNKNOWN; /* ORDERPAID, ORDER_CLOSED: the query decides */
            break;
        }
        if (l->qr_created_at == NEVER) {
            int64_t minutes = (q->qr_window_s + 59) / 60;
            l->qr_created_at = at;
            l->qr_window_s = q->qr_window_s;
            l->qr_expires = at + (minutes > 1 ? minutes : 1) * 60000;
        }
        if (wechat && l->trade == T_NONE) {
            l->trade = T_WAITING; /* WeChat's order exists from its creation, unscanned */
            l->confirm_until = NEVER;
        }
        r->kind = GW_SUCCESS;
        r->said.qr_given = true;
        /* WeChat's create reply names no order: only the signature binds it. One that is not
         * bound is a replay of another order's reply, with that order's QR. */
        r->said.order_no_given = !wechat;
        r->exchange_bound = wechat && !chance(&w->rng, w->sc.qr_unbound_pct);
        snprintf(r->said.qr_payload, sizeof r->said.qr_payload, "%s",
                 wechat && !r->exchange_bound ? QR_PAYLOAD_OTHER : QR_PAYLOAD);
        break;
    case GW_QR_CLOSE:
        if (unhealthy(w, at) && chance(&w->rng, w->sc.retry_pct)) {
            r->kind = GW_UNKNOWN;
            break;
        }
        if (wechat && chance(&w->rng, w->sc.qr_unbound_pct)) {
            /* Another close's 204 replayed in place of this one's, which never happened. */
            r->kind = GW_SUCCESS;
            r->said.order_no_given = false;
            trace(w, "gateway: a replayed 204 answers the close");
            break;
        }
        switch (l->trade) {
        case T_NONE:
            r->kind = GW_UNKNOWN; /* Alipay before the scan: nothing to close */
            r->no_such_order = true;
            break;
        case T_WAITING:
        case T_FAILED:
        case T_CLOSED:
        case T_REVERSED:
            l->trade = T_CLOSED;
            l->confirm_until = NEVER;
            r->kind = GW_SUCCESS;
            if (wechat) { /* 204: no body, bound by its fresh nonce */
                r->said.order_no_given = false;
                r->exchange_bound = true;
            }
            break;
        case T_PAID:
            r->kind = GW_FAILED;
            r->close_refused_paid = true;
            r->said.order_no_given = !wechat;
            r->exchange_bound = wechat;
            break;
        }
        break;
    default: /* GW_QUERY */
        l->queries_seen++;
        switch (l->trade) {
        case T_NONE:
            r->kind = GW_UNKNOWN;
            r->no_such_order = true;
            break;
        case T_WAITING: r->kind = GW_PAYING; break;
        case T_PAID:
            r->kind = GW_SUCCESS;
            r->said.amount_given = true;
            r->said.amount_fen = l->amount;
            genuine = true;
            break;
        default: r->kind = GW_FAILED; break;
        }
        break;
    }
    if (!r->reason[0])
        snprintf(r->reason, sizeof r->reason, "%s", script_op_name(q->op));
    return genuine;
}

/* The gateway handles a request at its arrival time `at` and says what it would answer. */
static bool gateway_handle(struct world *w, const struct gw_request *q, int64_t at,
                           struct gw_reply *r)
{
    struct ledger *l = &w->led;
    bool genuine = false;
    memset(r, 0, sizeof *r);
    r->op = q->op;
    r->channel = q->channel;
    r->request_id = q->request_id;
    snprintf(r->order_no, sizeof r->order_no, "%s", q->order_no);
    snprintf(r->refund_no, sizeof r->refund_no, "%s", q->refund_no);
    /* The body names the order (and the refund) it answers, as both gateways' bodies do. */
    r->said.order_no_given = true;
    snprintf(r->said.order_no, sizeof r->said.order_no, "%s", q->order_no);
    if (q->op == GW_REFUND || q->op == GW_REFUND_QUERY) {
        r->said.refund_no_given = true;
        snprintf(r->said.refund_no, sizeof r->said.refund_no, "%s", q->refund_no);
    }

    qr_settle(w, at);
    if (!w->sc.qr && l->trade == T_WAITING && at >= l->confirm_until) {
        l->trade = w->sc.customer_pays ? T_PAID : T_FAILED;
        l->charged = w->sc.customer_pays;
        trace(w, "gateway: the customer %s", w->sc.customer_pays ? "paid" : "gave up");
    }
    if (w->sc.qr && (q->op == GW_QUERY || q->op == GW_QR_CREATE || q->op == GW_QR_CLOSE))
        return qr_handle(w, q, at, r);
    switch (q->op) {
    case GW_PAY:
        l->pays_arrived++;
        if (l->trade == T_CLOSED) {
            r->kind = GW_FAILED;
            snprintf(r->reason, sizeof r->reason, "order closed");
            break;
        }
        if (l->trade != T_NONE || l->pays_arrived > 1) {
            r->kind = GW_FAILED;
            snprintf(r->reason, sizeof r->reason, "duplicate order number");
            break;
        }
        if (q->amount_fen != l->amount)
            fail(w, "pay request for %" PRId64 " fen, order is %" PRId64, q->amount_fen, l->amount);
        switch (w->sc.outcome) {
        case OUT_SUCCESS:
            l->trade = T_PAID;
            l->charged = true;
            r->kind = GW_SUCCESS;
            r->said.amount_given = true;
            r->said.amount_fen = q->amount_fen;
            genuine = true;
            break;
        case OUT_NO_FUNDS:
            l->trade = T_FAILED;
            r->kind = GW_FAILED;
            snprintf(r->reason, sizeof r->reason, "balance too low");
            break;
        case OUT_CONFIRM:
            l->trade = T_WAITING;
            l->confirm_until = at + w->sc.confirm_ms;
            r->kind = GW_PAYING;
            break;
        case OUT_SYSERR_CHARGED:
            l->trade = T_PAID;
            l->charged = true;
            r->kind = GW_UNKNOWN;
            snprintf(r->reason, sizeof r->reason, "system error");
            break;
        case OUT_SYSERR_NOTHING:
            r->kind = GW_UNKNOWN;
            snprintf(r->reason, sizeof r->reason, "system error");
            break;
        }
        break;
    case GW_QUERY:
        l->queries_seen++;
        switch (l->trade) {
        case T_NONE:
            r->kind = GW_UNKNOWN;
            r->no_such_order = true;
            break;
        case T_WAITING: r->kind = GW_PAYING; break;
        case T_PAID:
            r->kind = GW_SUCCESS;
            r->said.amount_given = true;
            r->said.amount_fen = l->amount;
            genuine = true;
            break;
        case T_FAILED:
        case T_CLOSED:
        case T_REVERSED: r->kind = GW_FAILED; break;
        }
        if (l->queries_seen == w->sc.forge_query && l->trade != T_PAID) {
            /* A SUCCESS that does not name this order, or states no amount, proves nothing
             * and must not be believed. (Another amount for this order is another sale:
             * REFERRED, tested in the table.) */
            r->kind = GW_SUCCESS;
            r->said.amount_given = chance(&w->rng, 50);
            r->said.amount_fen = l->amount;
            r->said.order_no_given = !r->said.amount_given;
            r->no_such_order = false;
            genuine = false;
        }
        break;
    case GW_CANCEL:
        if (unhealthy(w, at) && chance(&w->rng, w->sc.retry_pct)) {
            r->kind = chance(&w->rng, 50) ? GW_SUCCESS : GW_UNKNOWN;
            r->retry = true;
            break;
        }
        switch (l->trade) {
        case T_NONE:
        case T_FAILED:
        case T_CLOSED:
            l->trade = l->trade == T_FAILED ? T_FAILED : T_CLOSED;
            r->kind = GW_SUCCESS;
            break;
        case T_WAITING:
            if (w->sc.userpaying_blocks) {
                r->kind = GW_UNKNOWN;
                snprintf(r->reason, sizeof r->reason, "USERPAYING");
            } else {
                l->trade = T_CLOSED;
                r->kind = GW_SUCCESS;
            }
            break;
        case T_PAID:
            if (w->sc.refuse_paid_cancel || l->refunded > 0) {
                r->kind = GW_FAILED;
                snprintf(r->reason, sizeof r->reason, "trade cannot be reversed");
            } else {
                l->trade = T_REVERSED;
                l->reversed = true;
                r->kind = GW_SUCCESS;
                r->cancel_refunded = true;
            }
            break;
        case T_REVERSED:
            r->kind = GW_SUCCESS;
            r->cancel_refunded = true;
            break;
        }
        break;
    case GW_REFUND: {
        int found = -1;
        for (int i = 0; i < l->nrefunds; i++)
            if (strcmp(l->refunds[i].no, q->refund_no) == 0)
                found = i;
        if (found >= 0) {
            /* Idempotent: the same request number gets the first answer again. */
            bool same = l->refunds[found].fen == q->amount_fen;
            r->kind = same && l->refunds[found].ok ? GW_SUCCESS : GW_FAILED;
            r->said.refund_given = r->kind == GW_SUCCESS;
            r->said.refund_fen = r->kind == GW_SUCCESS ? q->amount_fen : 0;
            break;
        }
        bool ok =
            l->trade == T_PAID && q->amount_fen > 0 && q->amount_fen <= q->total_fen - l->refunded;
        if (l->nrefunds < 8) {
            snprintf(l->refunds[l->nrefunds].no, sizeof l->refunds[0].no, "%s", q->refund_no);
            l->refunds[l->nrefunds].fen = q->amount_fen;
            l->refunds[l->nrefunds++].ok = ok;
        }
        if (ok)
            l->refunded += q->amount_fen;
        r->kind = ok ? GW_SUCCESS : GW_FAILED;
        r->said.refund_given = ok;
        r->said.refund_fen = ok ? q->amount_fen : 0;
        if (!ok)
            snprintf(r->reason, sizeof r->reason, "refund refused");
        break;
    }
    case GW_REFUND_QUERY: {
        int found = -1;
        for (int i = 0; i < l->nrefunds; i++)
            if (strcmp(l->refunds[i].no, q->refund_no) == 0)
                found = i;
        r->kind = found >= 0 && l->refunds[found].ok ? GW_SUCCESS : GW_FAILED;
        r->no_such_refund = found < 0;
        r->said.refund_no_given = found >= 0;
        snprintf(r->said.refund_no, sizeof r->said.refund_no, "%s", q->refund_no);
        r->said.refund_given = r->kind == GW_SUCCESS;
        r->said.refund_fen = r->kind == GW_SUCCESS ? l->refunds[found].fen : 0;
        break;
    }
    case GW_QR_CREATE:
    case GW_QR_CLOSE:
        fail(w, "a barcode payment sent a QR request (%s)", script_op_name(q->op));
        break;
    }
    if (w->sc.qr && (q->op == GW_PAY || q->op == GW_CANCEL))
        fail(w, "a QR payment sent a %s request", script_op_name(q->op));
    if (!r->reason[0])
        snprintf(r->reason, sizeof r->reason, "%s", script_op_name(q->op));
    return genuine;
}

/* The loop carries out an ENGINE_SEND: the request goes on its way, or the network says no. */
static void send(struct world *w, enum gw_op op)
{
    struct gw_request q;
    engine_request(&w->p, op, &q);
    if (w->outstanding)
        fail(w, "a %s request while a %s request is still out", script_op_name(op),
             script_op_name(w->outstanding_op));
    if (strcmp(q.order_no, w->p.order_no) != 0)
        fail(w, "request for the wrong order");
    w->outstanding = true;
    w->outstanding_op = op;
    if (op == GW_PAY) {
        if (++w->pay_sends > 1)
            fail(w, "a second pay request for one order");
        if (strlen(q.auth_code) == 0)
            fail(w, "pay request without a payment code");
        w->pay_sent_t = w->t;
    }
    if (op == GW_CANCEL && w->pay_sent_t != NEVER && w->t < w->pay_sent_t + w->pol.min_cancel_ms)
        fail(w, "cancel %" PRId64 " ms after the pay request", w->t - w->pay_sent_t);
    if (op != GW_PAY && q.auth_code[0])
        fail(w, "the payment code travels with a %s request", script_op_name(op));
    trace(w, "send %s%s%s", script_op_name(op), op == GW_REFUND ? " " : "",
          op == GW_REFUND ? q.refund_no : "");

    struct gw_reply r;
    if (unhealthy(w, w->t) && gateway_down(w, w->t)) {
        unknown_reply(&q, &r, "connection refused");
        r.unreachable = true;
        deliver(w, w->t + between(&w->rng, 20, 3000), &r, false);
        return;
    }
    int64_t lat = between(&w->rng, 30, 900);
    bool lost_request = op == GW_PAY && w->sc.pay_fate != 0;
    bool lost_reply = unhealthy(w, w->t) && chance(&w->rng, w->sc.lost_pct);
    if ((lost_request || lost_reply) && !chance(&w->rng, w->sc.silent_pct)) {
        unknown_reply(&q, &r, "timed out");
        deliver(w, w->t + 10000, &r, false);
    }
    if (op == GW_PAY && w->sc.pay_fate == 2)
        return;
    int64_t at = w->t + (op == GW_PAY && w->sc.pay_fate == 1 ? w->sc.pay_late_ms : lat);
    for (int i = 0; i < SLOTS; i++) {
        if (!w->arr[i].used) {
            w->arr[i] = (struct arrival){
                true, at, q, w->epoch, lost_request || lost_reply, between(&w->rng, 30, 900)};
            return;
        }
    }
    fail(w, "model: too many requests on their way");
}

/* ---------------------------------------------------------------- driving the engine */

static void zero_runtime(struct payment *p)
{
    p->sent_mono = 0;
    p->timer_at = 0;
    p->backoff_ms = 0;
    p->in_flight = false;
    p->customer_confirming = false;
}

/* The screen shows the payment: a QR is shown only once the journal holds it, and only the
 * gateway's payload; the customer may scan it from then on. */
static void qr_shown(struct world *w)
{
    if (w->p.qr_payload[0] == '\0')
        return;
    if (w->p.kind != PAY_KIND_QR || strcmp(w->p.qr_payload, QR_PAYLOAD) != 0)
        fail(w, "a QR shown that the gateway never gave: %s", w->p.qr_payload);
    if (!w->journaled || strcmp(w->journal.qr_payload, w->p.qr_payload) != 0)
        fail(w, "a QR shown before the journal holds it");
    if (w->qr_shown_t != NEVER)
        return;
    w->qr_shown_t = w->t;
    if (w->sc.qr_scan_delay != NEVER)
        w->qr_scan_at = w->t + w->sc.qr_scan_delay;
}

/* Checks that hold after every completed step. */
static void after_step(struct world *w, const struct payment *before, const struct engine_event *ev,
                       bool genuine)
{
    const struct payment *p = &w->p;
    if (w->journaled) {
        const char *d = script_decision_differs(&w->journal, p);
        if (d)
            fail(w, "%s changed but the journal still has the old value", d);
        else if (script_journaled_differs(&w->journal, p))
            w->counts->counter_lag++;
    } else if (p->order_no[0]) {
        fail(w, "a payment exists that was never journaled");
    }
    if (!pay_state_unresolved(p->state) && p->auth_code[0])
        fail(w, "final state %s keeps the payment code", pay_state_name(p->state));
    if (p->state == PAY_PAID && before->state != PAY_PAID && before->state != PAY_REFUNDING) {
        if (ev->type != EV_REPLY || !genuine)
            fail(w, "PAID without a SUCCESS reply that reflects a charge");
        if (!w->led.charged || w->led.reversed)
            fail(w, "PAID but the ledger has no standing charge");
    }
    if ((p->state == PAY_FAILED || p->state == PAY_CANCELLED) && before->state != p->state &&
        w->led.charged && !w->led.reversed)
        fail(w, "%s while the ledger holds a charge", pay_state_name(p->state));
    if (p->state == PAY_PAID && before->state != PAY_PAID && w->sc.nrefunds &&
        w->refund_at == NEVER && w->next_refund < w->sc.nrefunds)
        w->refund_at = w->t + between(&w->rng, 500, 30000);
}

/* One engine step, its actions carried out in order; a crash may strike before any action.
 * Returns false if the terminal crashed (the caller reboots it). */
static bool run_event(struct world *w, struct engine_event *ev, enum engine_status *st,
                      bool genuine)
{
    struct payment before;
    struct engine_actions out;
    memcpy(&before, &w->p, sizeof before);
    ev->now = mono(w);
    ev->wall = wall(w);
    *st = engine_step(&w->p, &w->pol, ev, &out);
    w->counts->steps++;
    char acts[256];
    script_render(&out, acts, sizeof acts);
    trace(w, "  -> %s, %s: %s", engine_status_reason(*st), pay_state_name(w->p.state), acts);

    if (*st != ENGINE_OK && out.n)
        fail(w, "a %s step has actions", engine_status_reason(*st));
    if (w->p.state != before.state && (out.n == 0 || out.a[0].type != ENGINE_JOURNAL))
        fail(w, "state changed without ENGINE_JOURNAL first");

    for (int i = 0; i < out.n; i++) {
        if (unhealthy(w, w->t) && chance(&w->rng, w->sc.crash_pct) && !w->failed) {
            trace(w, "CRASH before action %d", i);
            return false;
        }
        const struct engine_action *a = &out.a[i];
        switch (a->type) {
        case ENGINE_JOURNAL:
            memcpy(&w->journal, &w->p, sizeof w->journal);
            w->journaled = true;
            break;
        case ENGINE_SEND: send(w, a->op); break;
        case ENGINE_TIMER:
            if (a->at <= ev->now)
                fail(w, "timer armed at %" PRId64 ", not after now %" PRId64, a->at, ev->now);
            break;
        case ENGINE_SHOW: qr_shown(w); break;
        }
    }
    after_step(w, &before, ev, genuine);
    return true;
}

static void reboot(struct world *w)
{
    w->counts->crashes++;
    w->epoch++;
    w->outstanding = false;
    w->t +=
        chance(&w->rng, 10) ? between(&w->rng, 600000, 7200000) : between(&w->rng, 2000, 120000);
    w->boot_t = w->t;
    w->mono_base = between(&w->rng, 0, 40000);
    if (chance(&w->rng, 25))
        w->wall_offset -= between(&w->rng, 1, 7200000);
    trace(w, "BOOT epoch %d, mono %" PRId64 ", wall offset %" PRId64, w->epoch, w->mono_base,
          w->wall_offset);
    memset(&w->p, 0, sizeof w->p);
    if (w->journaled) {
        memcpy(&w->p, &w->journal, sizeof w->p);
        zero_runtime(&w->p);
    }
}

/* Reboots until the terminal stays up; then resumes the journaled payment. */
static void crash(struct world *w)
{
    for (;;) {
        reboot(w);
        if (!w->journaled || !pay_state_unresolved(w->p.state))
            return;
        struct engine_event ev = {.type = EV_RESUME};
        enum engine_status st;
        w->counts->resumes++;
        trace(w, "resume %s", pay_state_name(w->p.state));
        if (run_event(w, &ev, &st, false)) {
            if (st != ENGINE_OK)
                fail(w, "resume of an unresolved payment: %s", engine_status_reason(st));
            return;
        }
    }
}

static void run(struct world *w, struct engine_event *ev, enum engine_status *st, bool genuine)
{
    if (!run_event(w, ev, st, genuine))
        crash(w);
}

/* An event nobody waits for: it must be STALE and change nothing. */
static void probe_stale(struct world *w, struct engine_event *ev, const char *what)
{
    struct payment before;
    struct engine_actions out;
    memcpy(&before, &w->p, sizeof before);
    ev->now = mono(w);
    ev->wall = wall(w);
    enum engine_status st = engine_step(&w->p, &w->pol, ev, &out);
    w->counts->stale++;
    trace(w, "stale %s -> %s", what, engine_status_reason(st));
    if (st != ENGINE_STALE || out.n != 0 || memcmp(&before, &w->p, sizeof before) != 0)
        fail(w, "stale %s was not ignored (%s, %d actions, state %s)", what,
             engine_status_reason(st), out.n, pay_state_name(w->p.state));
}

/* Replies of another kind than the request that is out, or for another refund. */
static bool wrong_op(const struct world *w, const struct gw_reply *r)
{
    return r->op != w->outstanding_op || r->request_id != w->p.in_flight_id ||
           ((r->op == GW_REFUND || r->op == GW_REFUND_QUERY) &&
            strcmp(r->refund_no, w->p.refund_no) != 0);
}

static void inject_stale(struct world *w)
{
    struct engine_event ev = {.type = EV_TIMER};
    struct gw_reply r;
    int kind = (int)between(&w->rng, 0, 3);
    if (kind == 0 && w->p.timer_at > mono(w) && !w->p.in_flight) {
        probe_stale(w, &ev, "early timer");
    } else if (kind == 1 && w->p.in_flight && mono(w) < w->p.reply_deadline) {
        probe_stale(w, &ev, "timer while a request is out, before its deadline");
    } else if (kind == 2 && w->nhistory) {
        r = w->history[between(&w->rng, 0, w->nhistory - 1)];
        snprintf(r.order_no, sizeof r.order_no, "T9-K7Q2MX3A-000001");
        ev = (struct engine_event){.type = EV_REPLY, .reply = &r};
        probe_stale(w, &ev, "reply for another order");
    } else if (kind == 3 && w->nhistory) {
        r = w->history[between(&w->rng, 0, w->nhistory - 1)];
        if (!w->p.in_flight || wrong_op(w, &r)) {
            ev = (struct engine_event){.type = EV_REPLY, .reply = &r};
            probe_stale(w, &ev, w->p.in_flight ? "old reply of another kind" : "old reply");
        }
    }
}

/* ---------------------------------------------------------------- one payment */

static void make_scenario(struct world *w)
{
    struct rng *g = &w->rng;
    struct scenario *s = &w->sc;
    memset(s, 0, sizeof *s);
    s->pay_fate = chance(g, 75) ? 0 : chance(g, 60) ? 1 : 2;
    s->pay_late_ms = between(g, 2000, 90000);
    int o = (int)between(g, 0, 99);
    s->outcome = o < 35   ? OUT_SUCCESS
                 : o < 50 ? OUT_NO_FUNDS
                 : o < 80 ? OUT_CONFIRM
                 : o < 90 ? OUT_SYSERR_CHARGED
                          : OUT_SYSERR_NOTHING;
    s->confirm_ms = between(g, 1000, 80000);
    s->customer_pays = chance(g, 75);
    s->refuse_paid_cancel = chance(g, 15);
    s->userpaying_blocks = chance(g, 50);
    s->retry_pct = chance(g, 30) ? (int)between(g, 10, 60) : 0;
    s->lost_pct = chance(g, 40) ? (int)between(g, 5, 40) : 0;
    s->silent_pct = chance(g, 30) ? (int)between(g, 10, 100) : 0;
    s->healthy_from = between(g, 0, 600000);
    for (int i = 0; i < 2; i++) {
        s->down_from[i] = chance(g, 30) ? between(g, 0, 400000) : NEVER;
        s->down_until[i] =
            s->down_from[i] == NEVER ? NEVER : s->down_from[i] + between(g, 3000, 300000);
        if (s->down_from[i] != NEVER && s->down_until[i] > s->healthy_from)
            s->healthy_from = s->down_until[i];
    }
    s->crash_pct = chance(g, 40) ? (int)between(g, 1, 8) : 0;
    s->scan_at = chance(g, 95) ? between(g, 300, 5000) : NEVER;
    /* A cashier who never scans aborts the order sooner or later. */
    s->abort_at = chance(g, 30) || s->scan_at == NEVER ? between(g, 0, 80000) : NEVER;
    s->nrefunds = chance(g, 40) ? (int)between(g, 1, 3) : 0;
    for (int i = 0; i < s->nrefunds; i++)
        s->refund_asks[i] = chance(g, 15) ? -1 : chance(g, 40) ? 0 : between(g, 1, 5000);
    s->forge_query = chance(g, 5) ? (int)between(g, 1, 6) : -1;
    s->stale_pct = chance(g, 50) ? (int)between(g, 5, 30) : 0;
    s->qr = chance(g, 33);
    s->qr_channel = chance(g, 50) ? CHANNEL_WECHAT : CHANNEL_ALIPAY;
    int when = (int)between(g, 0, 99);
    s->qr_scan_delay = when < 50   ? between(g, 0, 30000)
                       : when < 70 ? between(g, 30000, 200000)
                       : when < 80 ? between(g, 200000, 400000)
                                   : NEVER;
    s->qr_unbound_pct = chance(g, 30) ? (int)between(g, 10, 60) : 0;
    s->qr_create_refused = chance(g, 3);
    if (s->qr)
        s->nrefunds = chance(g, 20) ? 1 : 0;
}

/* Mostly the defaults; sometimes any coherent policy, down to a window as short as the gap. */
static struct policy make_policy(struct world *w)
{
    struct rng *g = &w->rng;
    struct policy p = policy_default();
    if (chance(g, 75))
        return p;
    p.first_query_ms = between(g, 100, 6000);
    p.query_every_ms = between(g, 100, 10000);
    p.min_cancel_ms = between(g, 0, 20000);
    p.window_ms = p.min_cancel_ms + (chance(g, 20) ? 0 : between(g, 0, 60000));
    p.backoff_first_ms = between(g, 100, 5000);
    p.backoff_max_ms = p.backoff_first_ms + between(g, 0, 90000);
    p.qr_window_ms = between(g, 1000, 240000);
    if (policy_check(&p))
        fail(w, "model: incoherent policy: %s", policy_check(&p));
    return p;
}

static int64_t timer_true_time(const struct world *w)
{
    if (!w->p.order_no[0] || w->p.timer_at == 0)
        return NEVER;
    return w->p.timer_at - w->mono_base + w->boot_t;
}

/* The cashier starts the QR payment instead of scanning a code. */
static void cashier_qr(struct world *w)
{
    struct engine_event ev = {.type = EV_QR, .channel = w->sc.qr_channel};
    enum engine_status st;
    trace(w, "qr %s", pay_channel_name(w->sc.qr_channel));
    run(w, &ev, &st, false);
    if (st != ENGINE_OK && st != ENGINE_REFUSED)
        fail(w, "qr: %s", engine_status_reason(st));
}

static void cashier_scan(struct world *w)
{
    struct engine_event ev = {
        .type = EV_SCAN, .code = SCRIPT_WECHAT_CODE, .channel = CHANNEL_WECHAT};
    enum engine_status st;
    if (chance(&w->rng, 20)) {
        /* A bad scan first: refused, nothing journaled, nothing sent. */
        struct engine_event bad = {
            .type = EV_SCAN, .code = "6212345678901234567", .channel = CHANNEL_NONE};
        struct payment before;
        memcpy(&before, &w->p, sizeof before);
        trace(w, "scan (UnionPay)");
        run_event(w, &bad, &st, false); /* no actions, so no crash either */
        if (st == ENGINE_OK || memcmp(&before, &w->p, sizeof before) != 0)
            fail(w, "an unsupported code changed the payment");
    }
    trace(w, "scan");
    run(w, &ev, &st, false);
    if (st != ENGINE_OK && st != ENGINE_REFUSED)
        fail(w, "scan: %s", engine_status_reason(st));
}

static void cashier_refund(struct world *w)
{
    w->refund_at = NEVER;
    if (w->p.state == PAY_REFUNDING) {
        /* Asking again while it is under way is refused and changes nothing. */
        struct engine_event ev = {
            .type = EV_REFUND, .refund_no = w->p.refund_no, .refund_fen = w->p.refund_fen};
        struct payment before;
        memcpy(&before, &w->p, sizeof before);
        enum engine_status st;
        trace(w, "refund %s again", w->p.refund_no);
        if (!run_event(w, &ev, &st, false)) {
            crash(w);
            return;
        }
        if (st != ENGINE_REFUSED || memcmp(&before, &w->p, sizeof before) != 0)
            fail(w, "a refund asked while one is under way was not refused unchanged");
        w->refund_at = w->t + between(&w->rng, 1000, 20000);
        return;
    }
    if (w->p.state != PAY_PAID || w->next_refund >= w->sc.nrefunds)
        return;
    int64_t remaining = w->p.amount_fen - w->p.refunded_fen;
    int64_t ask = w->sc.refund_asks[w->next_refund++];
    int64_t fen = ask == 0  ? remaining
                  : ask < 0 ? remaining + 1
                            : (ask < remaining ? ask : remaining);
    char no[ORDER_NO_MAX + 1];
    if (!refund_no_format(w->p.order_no, (unsigned)++w->refund_counter, no)) {
        fail(w, "no refund number for %s", w->p.order_no);
        return;
    }
    struct engine_event ev = {.type = EV_REFUND, .refund_no = no, .refund_fen = fen};
    enum engine_status st;
    trace(w, "refund %s of %" PRId64 " (remaining %" PRId64 ")", no, fen, remaining);
    run(w, &ev, &st, false);
    enum engine_status want = fen > remaining ? ENGINE_INVALID : ENGINE_OK;
    if (st != want)
        fail(w, "refund of %" PRId64 " with %" PRId64 " remaining: %s", fen, remaining,
             engine_status_reason(st));
    if (w->next_refund < w->sc.nrefunds)
        w->refund_at = w->t + between(&w->rng, 1000, 30000);
}

static void cashier_abort(struct world *w)
{
    struct engine_event ev = {.type = EV_ABORT};
    struct payment before;
    memcpy(&before, &w->p, sizeof before);
    enum engine_status st;
    trace(w, "abort");
    if (!w->p.order_no[0])
        return;
    run(w, &ev, &st, false);
    if (st == ENGINE_REFUSED && pay_state_unresolved(before.state) && before.state != PAY_REFUNDING)
        fail(w, "abort refused in %s", pay_state_name(before.state));
}

static void gateway_arrival(struct world *w, struct arrival *a)
{
    struct gw_reply r;
    trace(w, "gateway gets %s (sent in epoch %d) at %" PRId64, script_op_name(a->req.op), a->epoch,
          a->at);
    bool genuine = gateway_handle(w, &a->req, a->at, &r);
    trace(w, "gateway: %s, ledger %s",
          r.kind == GW_SUCCESS  ? "SUCCESS"
          : r.kind == GW_FAILED ? "FAILED"
          : r.kind == GW_PAYING ? "PAYING"
                                : "UNKNOWN",
          trade_name(w->led.trade));
    if (a->reply_lost)
        return;
    int saved = w->epoch;
    w->epoch = a->epoch;
    if (unhealthy(w, a->at) && gateway_down(w, a->at) && chance(&w->rng, 50)) {
        /* The gateway went down after doing the work: the client times out. */
        struct gw_reply timeout;
        unknown_reply(&a->req, &timeout, "timed out");
        deliver(w, a->at + 10000, &timeout, false);
    } else {
        deliver(w, a->at + a->reply_lat, &r, genuine);
    }
    w->epoch = saved;
}

static void terminal_reply(struct world *w, struct delivery *d)
{
    if (d->epoch != w->epoch)
        return; /* the process that sent it is gone */
    if (!w->p.in_flight || d->r.request_id != w->p.in_flight_id) {
        /* Its deadline passed first: the engine took it as lost and moved on. */
        struct engine_event late = {.type = EV_REPLY, .reply = &d->r};
        probe_stale(w, &late, "reply after its deadline");
        return;
    }
    w->outstanding = false;
    const char *kinds[] = {"SUCCESS", "FAILED", "PAYING", "UNKNOWN"};
    trace(w, "reply %s %s%s%s%s", script_op_name(d->r.op), kinds[d->r.kind],
          d->r.retry ? " retry" : "", d->r.cancel_refunded ? " refunded" : "",
          d->r.no_such_order ? " no-such-order" : "");
    struct engine_event ev = {.type = EV_REPLY, .reply = &d->r};
    enum engine_status st;
    struct gw_reply copy = d->r;
    run(w, &ev, &st, d->genuine_success);
    if (st != ENGINE_OK)
        fail(w, "the awaited %s reply was not taken: %s", script_op_name(copy.op),
             engine_status_reason(st));
    w->history[w->nhistory < 8 ? w->nhistory++ : (int)between(&w->rng, 0, 7)] = copy;
}

static void settle_world(struct world *w)
{
    const struct payment *p = &w->p;
    const struct ledger *l = &w->led;
    qr_settle(w, NEVER - 1); /* a customer still paying pays, unless closed or expired */
    if (!w->journaled) {
        w->counts->no_payment++;
        if (l->charged || l->pays_arrived)
            fail(w, "the gateway saw a pay for an order the journal never held");
        return;
    }
    if (pay_state_unresolved(p->state)) {
        fail(w, "ended unresolved in %s", pay_state_name(p->state));
        return;
    }
    w->counts->final[p->state]++;
    if (w->sc.qr) {
        w->counts->qr++;
        w->counts->qr_paid += p->state == PAY_PAID || p->state == PAY_REFUNDED;
        w->counts->qr_closed += p->state == PAY_CANCELLED;
        if (p->kind != PAY_KIND_QR && p->state != PAY_FAILED)
            fail(w, "a QR payment ended as a %s one", pay_kind_name(p->kind));
    }
    switch (p->state) {
    case PAY_PAID:
    case PAY_REFUNDED:
        if (!l->charged || l->reversed)
            fail(w, "%s but the ledger holds no standing charge", pay_state_name(p->state));
        if (p->refunded_fen != l->refunded)
            fail(w, "refunded %" PRId64 " in the journal, %" PRId64 " on the ledger",
                 p->refunded_fen, l->refunded);
        if (p->state == PAY_REFUNDED && l->refunded != p->amount_fen)
            fail(w, "REFUNDED but the ledger refunded %" PRId64, l->refunded);
        break;
    case PAY_FAILED:
    case PAY_CANCELLED:
        if (l->charged && !l->reversed)
            fail(w, "%s but the customer was charged", pay_state_name(p->state));
        if (p->cancel_refunded) {
            w->counts->cancelled_refunded++;
            if (!l->reversed)
                fail(w, "cancel_refunded but the ledger reversed nothing");
        }
        break;
    default: break;
    }
    if (w->journal.auth_code[0])
        fail(w, "the journal keeps the payment code of a final payment");
    if (memcmp(&w->journal.state, &p->state, sizeof p->state) != 0)
        fail(w, "the journal holds %s, memory %s", pay_state_name(w->journal.state),
             pay_state_name(p->state));
}

static void run_sequence(struct world *w, uint64_t seed, struct counts *counts, bool tracing)
{
    memset(w, 0, sizeof *w);
    w->tracing = tracing;
    w->seed = seed;
    w->rng.s = seed * UINT64_C(0x9E3779B97F4A7C15) + 1;
    w->counts = counts;
    w->pay_sent_t = NEVER;
    w->refund_at = NEVER;
    w->qr_shown_t = NEVER;
    w->qr_scan_at = NEVER;
    w->led.qr_created_at = NEVER;
    w->led.qr_expires = NEVER;
    w->epoch = 1;
    w->mono_base = between(&w->rng, 0, 40000);
    make_scenario(w);
    w->pol = make_policy(w);
    counts->sequences++;

    char order[ORDER_NO_MAX + 1];
    order_no_format("T1", "K7Q2MX3A", (uint32_t)(seed % 1000000) + 1, order);
    struct engine_event ev = {
        .type = EV_CREATE, .order_no = order, .amount_fen = between(&w->rng, 1, 100000)};
    enum engine_status st;
    w->led.amount = ev.amount_fen;
    trace(w, "create %s for %" PRId64 " fen", order, ev.amount_fen);
    run(w, &ev, &st, false);
    int64_t scan_at = w->sc.scan_at, abort_at = w->sc.abort_at;

    for (long n = 0; !w->failed; n++) {
        int64_t settled = w->sc.healthy_from > w->boot_t ? w->sc.healthy_from : w->boot_t;
        if (n > 20000 || w->t > settled + 3600000) {
            fail(w, "no end in sight after %ld events", n);
            break;
        }
        int64_t next = NEVER;
        int which = -1, slot = -1;
        for (int i = 0; i < SLOTS; i++) {
            if (w->arr[i].used && w->arr[i].at < next)
                next = w->arr[i].at, which = 0, slot = i;
            if (w->del[i].used && w->del[i].at < next)
                next = w->del[i].at, which = 1, slot = i;
        }
        int64_t tt = timer_true_time(w);
        if (tt < next)
            next = tt, which = 2;
        if (scan_at < next)
            next = scan_at, which = 3;
        if (abort_at < next)
            next = abort_at, which = 4;
        if (w->refund_at < next)
            next = w->refund_at, which = 5;
        if (w->qr_scan_at < next)
            next = w->qr_scan_at, which = 6;
        if (which < 0)
            break;
        if (next > w->t)
            w->t = next;
        if (w->p.order_no[0] && chance(&w->rng, w->sc.stale_pct))
            inject_stale(w);
        switch (which) {
        case 0: {
            struct arrival a = w->arr[slot];
            w->arr[slot].used = false;
            gateway_arrival(w, &a);
            break;
        }
        case 1: {
            struct delivery d = w->del[slot];
            w->del[slot].used = false;
            terminal_reply(w, &d);
            break;
        }
        case 2: {
            struct engine_event te = {.type = EV_TIMER};
            if (w->p.in_flight) {
                /* The request's deadline: the terminal gives up waiting for its reply. */
                w->outstanding = false;
                w->counts->deadlines++;
            }
            trace(w, "timer");
            run(w, &te, &st, false);
            if (st != ENGINE_OK)
                fail(w, "the armed timer was not taken: %s", engine_status_reason(st));
            break;
        }
        case 3:
            scan_at = NEVER;
            if (w->p.order_no[0] && w->sc.qr)
                cashier_qr(w);
            else if (w->p.order_no[0])
                cashier_scan(w);
            break;
        case 4:
            abort_at = NEVER;
            cashier_abort(w);
            break;
        case 5: cashier_refund(w); break;
        case 6: customer_scans(w); break;
        }
    }
    if (!w->failed)
        settle_world(w);
}

int main(void)
{
    const char *e = getenv("POSTERM_CORE_SEQUENCES");
    long sequences = e ? atol(e) : 10000;
    e = getenv("POSTERM_CORE_SEED");
    uint64_t first = e ? strtoull(e, NULL, 10) : 1;
    trace_live = getenv("POSTERM_CORE_TRACE") != NULL;

    static struct world w;
    struct counts counts;
    memset(&counts, 0, sizeof counts);
    for (long i = 0; i < sequences; i++) {
        uint64_t seed = first + (uint64_t)i;
        if (trace_live)
            printf("seed %" PRIu64 ":\n", seed);
        run_sequence(&w, seed, &counts, trace_live);
        if (!w.failed)
            continue;
        if (++counts.failures > 5)
            continue;
        if (!trace_live) {
            struct counts again;
            memset(&again, 0, sizeof again);
            run_sequence(&w, seed, &again, true);
        }
        report_failure(&w);
    }
    printf("%ld sequences (seeds %" PRIu64 "..%" PRIu64 "), %ld steps, %ld crashes, %ld resumes, "
           "%ld stale events, %ld reply deadlines\n",
           counts.sequences, first, first + (uint64_t)sequences - 1, counts.steps, counts.crashes,
           counts.resumes, counts.stale, counts.deadlines);
    printf("final: PAID %ld, FAILED %ld, CANCELLED %ld (%ld with the money returned), "
           "REFUNDED %ld, no payment journaled %ld\n",
           counts.final[PAY_PAID], counts.final[PAY_FAILED], counts.final[PAY_CANCELLED],
           counts.cancelled_refunded, counts.final[PAY_REFUNDED], counts.no_payment);
    printf("QR payments %ld: paid %ld, closed %ld; customer scans refused %ld (%ld after the "
           "payment ended)\n",
           counts.qr, counts.qr_paid, counts.qr_closed, counts.qr_scans_refused,
           counts.qr_late_scans);
    printf("steps whose counters or last reason wait for the next transition's journal: %ld\n",
           counts.counter_lag);
    printf("sequences that broke the invariant: %ld\n", counts.failures);
    CHECK_EQ_INT(counts.failures, 0);
    CHECK(counts.sequences == sequences);
    return check_done();
}
