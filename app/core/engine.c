/*
 * engine.c - the payment state machine.
 *
 * engine_step() is one switch on the event, and inside it one switch on the state: every
 * arrow of the state diagram in ARCHITECTURE.md ("The payment lifecycle") is a case below,
 * and every case that changes the state puts ENGINE_JOURNAL first so the caller commits
 * before it sends. Nothing here knows about
 * sockets, files or clocks.
 */
#include "engine.h"

#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "money.h"
#include "order_no.h"
#include "paycode.h"

/* Every step's longest sequence is JOURNAL, SEND, TIMER, SHOW (start_cancel); a step that
 * would push more is a bug in this file, caught by the assertion and by the test that runs
 * every (state, event) pair (tests/unit/core/test_core_engine_bounds.c). */
static struct engine_action *push(struct engine_actions *out, enum engine_action_type type)
{
    if (out->n >= ENGINE_MAX_ACTIONS)
        abort(); /* a bug in this file: never in a release, see the bounds test */
    struct engine_action *a = &out->a[out->n++];
    memset(a, 0, sizeof *a);
    a->type = type;
    return a;
}

/* One JOURNAL per step, and first: the loop commits the whole step as one transaction, so
 * the event row it writes records the state after its own event, and a failed commit leaves
 * the payment exactly as it was. */
static void journal(struct engine_actions *out, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void journal(struct engine_actions *out, const char *name, const char *fmt, ...)
{
    if (out->n != 0)
        abort(); /* a bug in this file: one JOURNAL per step, first */
    struct engine_action *a = push(out, ENGINE_JOURNAL);
    a->name = name;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->detail, sizeof a->detail, fmt, ap);
    va_end(ap);
}

static void arm_timer(struct payment *p, struct engine_actions *out, int64_t at)
{
    p->timer_at = at;
    push(out, ENGINE_TIMER)->at = at;
}

static int64_t request_timeout(const struct policy *pol, enum gw_op op)
{
    switch (op) {
    case GW_PAY: return pol->pay_timeout_ms;
    case GW_QUERY:
    case GW_REFUND_QUERY: return pol->query_timeout_ms; /* the transport's, for both queries */
    case GW_CANCEL: return pol->cancel_timeout_ms;
    case GW_REFUND: return pol->refund_timeout_ms;
    case GW_QR_CREATE:
    case GW_QR_CLOSE: return pol->query_timeout_ms; /* the transport's (gateway.c) */
    }
    return pol->pay_timeout_ms;
}

/* Every request gets an id its reply must echo, and a deadline: the transport gives up at
 * its own timeout, and a reply that is lost on the way in (dropped, never queued) must not
 * leave the payment waiting until a restart. The timer is the deadline while in flight. */
static void send_request(struct payment *p, const struct policy *pol, int64_t now,
                         struct engine_actions *out, enum gw_op op)
{
    push(out, ENGINE_SEND)->op = op;
    p->in_flight = true;
    p->in_flight_op = (int)op;
    p->in_flight_id = ++p->request_seq;
    p->reply_deadline = now + request_timeout(pol, op) + pol->reply_margin_ms;
    arm_timer(p, out, p->reply_deadline);
    if (op == GW_QUERY)
        p->queries++;
    else if (op == GW_CANCEL || op == GW_QR_CLOSE)
        p->cancels++;
}

static void show(struct engine_actions *out)
{
    push(out, ENGINE_SHOW);
}

static void set_error(struct payment *p, enum pay_cause cause, const char *reason)
{
    p->last_cause = cause;
    snprintf(p->last_error, sizeof p->last_error, "%s", reason ? reason : "");
}

static void clear_error(struct payment *p)
{
    set_error(p, PAY_CAUSE_NONE, "");
}

static void enter_state(struct payment *p, enum pay_state s, int64_t wall)
{
    p->state = s;
    p->updated_at = wall;
    if (!pay_state_unresolved(s)) {
        /* Nothing more is sent for a final payment: no code, no timer. */
        p->auth_code[0] = '\0';
        p->timer_at = 0;
    }
    if (s != PAY_QUERYING)
        p->customer_confirming = false;
}

int64_t engine_cancel_deadline(const struct payment *p, const struct policy *pol)
{
    if (p->state != PAY_PAYING && p->state != PAY_QUERYING)
        return 0;
    if (p->kind == PAY_KIND_QR)
        return p->sent_mono + (int64_t)p->qr_window_s * 1000;
    return p->sent_mono + pol->window_ms;
}

static int64_t earliest_cancel(const struct payment *p, const struct policy *pol)
{
    return p->sent_mono + pol->min_cancel_ms;
}

/* What the cashier reads on a cancelled payment: why it was cancelled, not the last
 * transport error met on the way (those stay in the event log). */
static void set_cancel_reason(struct payment *p)
{
    if (p->abort_requested)
        set_error(p, PAY_CAUSE_ABORTED, "cancelled by the cashier");
    else
        set_error(p, PAY_CAUSE_WINDOW_CLOSED, "no definite answer within the payment window");
}

/* Enter CANCELLING and send the cancel: the decision is journaled before the request. */
static void start_cancel(struct payment *p, const struct policy *pol, const struct engine_event *ev,
                         struct engine_actions *out, const char *why)
{
    enter_state(p, PAY_CANCELLING, ev->wall);
    p->backoff_ms = 0;
    journal(out, "cancel_decided", "%s", why);
    send_request(p, pol, ev->now, out, GW_CANCEL);
    show(out);
}

/*
 * The pay is undecided and nothing is in flight. True: the cancel is due now. False: *at is
 * when to act next - the next query (`delay` from now, never past the window) or, once the
 * window has closed or the cashier aborted, the moment a cancel becomes allowed.
 */
static bool cancel_due(const struct payment *p, const struct policy *pol, int64_t now,
                       int64_t delay, int64_t *at)
{
    int64_t allowed = earliest_cancel(p, pol);
    int64_t deadline = p->sent_mono + pol->window_ms;
    if (p->abort_requested || now >= deadline) {
        if (now >= allowed)
            return true;
        *at = allowed;
        return false;
    }
    *at = now + delay < deadline ? now + delay : deadline;
    return false;
}

static const char *cancel_why(const struct payment *p)
{
    return p->abort_requested ? "cashier aborted" : "payment window closed";
}

/* --- what a reply proves ------------------------------------------------------------------
 * The parsers report what a verified body says; these rules alone decide what is believed.
 * A reply ends an operation only when it names this payment's order (or, for a refusal, when
 * its signature binds it to this very exchange); paid also needs the order's amount; a refund
 * needs its refund number and the amount the gateway states. */

static bool names_order(const struct payment *p, const struct gw_reply *r)
{
    return r->said.order_no_given && strcmp(r->said.order_no, p->order_no) == 0;
}

static bool names_other_order(const struct payment *p, const struct gw_reply *r)
{
    return r->said.order_no_given && strcmp(r->said.order_no, p->order_no) != 0;
}

static bool names_refund(const struct payment *p, const struct gw_reply *r)
{
    return r->said.refund_no_given && strcmp(r->said.refund_no, p->refund_no) == 0;
}

/* A refusal is believed when it is about this order: it names it, or the channel binds the
 * signed body to this exchange (drivers/gateway/README.md) and it names no other order. */
static bool refusal_binds(const struct payment *p, const struct gw_reply *r)
{
    return names_order(p, r) || (r->exchange_bound && !names_other_order(p, r));
}

enum verdict {
    V_PAID,     /* the order is paid, at its amount */
    V_FAILED,   /* definitely not paid */
    V_PAYING,   /* the customer is still confirming */
    V_UNKNOWN,  /* nothing proven: ask again */
    V_NOT_OURS, /* our order number, another amount: another sale, never to be cancelled */
};

/* The verdict on a pay or query reply; why and *cause get the words. */
static enum verdict judge_trade(const struct payment *p, const struct gw_reply *r, char *why,
                                size_t whylen, enum pay_cause *cause)
{
    char got[MONEY_TEXT_MAX], want[MONEY_TEXT_MAX];
    snprintf(why, whylen, "%s", r->reason);
    *cause = r->cause;
    switch (r->kind) {
    case GW_SUCCESS:
        *cause = PAY_CAUSE_BAD_REPLY;
        if (!names_order(p, r)) {
            snprintf(why, whylen, "a success that does not name this order: not believed");
            return V_UNKNOWN;
        }
        if (!r->said.amount_given) {
            snprintf(why, whylen, "a success that does not state the amount: not believed");
            return V_UNKNOWN;
        }
        if (r->said.amount_fen != p->amount_fen) {
            *cause = PAY_CAUSE_AMOUNT_MISMATCH;
            snprintf(why, whylen, "gateway reported %s for this order number, order is %s",
                     money_format(r->said.amount_fen, got), money_format(p->amount_fen, want));
            return V_NOT_OURS;
        }
        *cause = PAY_CAUSE_NONE;
        return V_PAID;
    case GW_FAILED:
        /* "No such order" is never a failure: the pay may still be on its way. */
        if (r->no_such_order)
            return V_UNKNOWN;
        if (!refusal_binds(p, r)) {
            snprintf(why, whylen, "%.100s (the reply names no order: checking)", r->reason);
            return V_UNKNOWN;
        }
        return V_FAILED;
    case GW_PAYING: return V_PAYING;
    case GW_UNKNOWN: return V_UNKNOWN;
    }
    return V_UNKNOWN;
}

static void take_trade_no(struct payment *p, const struct gw_reply *r)
{
    if (r->said.trade_no_given && r->said.trade_no[0])
        snprintf(p->trade_no, sizeof p->trade_no, "%s", r->said.trade_no);
}

static void become_paid(struct payment *p, const struct gw_reply *r, int64_t wall,
                        struct engine_actions *out, const char *name)
{
    take_trade_no(p, r);
    clear_error(p);
    enter_state(p, PAY_PAID, wall);
    journal(out, name, "trade %s", p->trade_no[0] ? p->trade_no : "(no trade number)");
    show(out);
}

static void become_failed(struct payment *p, enum pay_cause cause, const char *why, int64_t wall,
                          struct engine_actions *out, const char *via)
{
    set_error(p, cause, why);
    enter_state(p, PAY_FAILED, wall);
    journal(out, "pay_failed", "%s%s", via, why);
    show(out);
}

/* The terminal stops and leaves the payment to the merchant: a trade it cannot call its own,
 * or a refund the gateway cannot finish. Nothing is cancelled or sent again. */
static void become_referred(struct payment *p, enum pay_cause cause, const char *why, int64_t wall,
                            struct engine_actions *out)
{
    set_error(p, cause, why);
    enter_state(p, PAY_REFERRED, wall);
    journal(out, "referred", "%s", why);
    show(out);
}

/* An undecided answer in PAYING or QUERYING: cancel when due, else wait for the next query. */
static void keep_checking(struct payment *p, const struct policy *pol,
                          const struct engine_event *ev, struct engine_actions *out, int64_t delay,
                          const char *name, bool changed)
{
    int64_t at;
    if (cancel_due(p, pol, ev->now, delay, &at)) {
        start_cancel(p, pol, ev, out, cancel_why(p));
        return;
    }
    if (name)
        journal(out, name, "%s", p->last_error[0] ? p->last_error : "customer confirming");
    arm_timer(p, out, at);
    if (name || changed)
        show(out);
}

/* Replies to the pay request (in PAYING) and to queries (in QUERYING). */
static enum engine_status on_trade_reply(struct payment *p, const struct policy *pol,
                                         const struct engine_event *ev, struct engine_actions *out)
{
    const struct gw_reply *r = ev->reply;
    bool first = p->state == PAY_PAYING;
    char why[160];
    enum pay_cause cause;

    switch (judge_trade(p, r, why, sizeof why, &cause)) {
    case V_PAID: become_paid(p, r, ev->wall, out, "paid"); return ENGINE_OK;
    case V_FAILED:
        become_failed(p, cause, why, ev->wall, out, first ? "" : "query: ");
        return ENGINE_OK;
    case V_NOT_OURS: become_referred(p, cause, why, ev->wall, out); return ENGINE_OK;
    case V_PAYING:
    case V_UNKNOWN: {
        bool paying = r->kind == GW_PAYING;
        bool was = p->customer_confirming;
        if (first)
            take_trade_no(p, r); /* journaled with this step; a query's waits for its end */
        if (paying)
            clear_error(p);
        else
            set_error(p, cause, why);
        if (first)
            enter_state(p, PAY_QUERYING, ev->wall);
        p->customer_confirming = paying;
        /* Only a customer still confirming is worth the fast pace: a query the gateway
         * refused (too frequent: WeChat FREQUENCY_LIMITED, Alipay 40005), failed or left
         * unanswered waits the slow gap, so a stricter limit than ours cannot keep refusing
         * every query until the fast phase ends. */
        int64_t gap =
            paying ? policy_next_query_gap(pol, ev->now - p->sent_mono) : pol->query_every_ms;
        keep_checking(p, pol, ev, out, first ? pol->first_query_ms : gap,
                      first ? (paying ? "pay_confirming" : "pay_unknown") : NULL,
                      was != p->customer_confirming);
        return ENGINE_OK;
    }
    }
    return ENGINE_INVALID;
}

static void retry_later(struct payment *p, const struct policy *pol, int64_t now,
                        struct engine_actions *out)
{
    p->backoff_ms = policy_next_backoff(pol, p->backoff_ms);
    arm_timer(p, out, now + p->backoff_ms);
    show(out);
}

static void become_cancelled(struct payment *p, int64_t wall, struct engine_actions *out,
                             const char *detail)
{
    set_cancel_reason(p);
    enter_state(p, PAY_CANCELLED, wall);
    journal(out, "cancelled", "%s", detail);
    show(out);
}

/* In CANCELLING: replies to the cancel, or to the query sent after a refused cancel. */
static enum engine_status on_cancelling_reply(struct payment *p, const struct policy *pol,
                                              const struct engine_event *ev,
                                              struct engine_actions *out)
{
    const struct gw_reply *r = ev->reply;

    if (r->op == GW_CANCEL) {
        bool binds = refusal_binds(p, r);
        /* Money once reported returned stays returned, whatever a later retry answers. */
        if (binds && r->cancel_refunded)
            p->cancel_refunded = true;
        if (r->kind == GW_SUCCESS && !r->retry && binds) {
            take_trade_no(p, r);
            /* WeChat's reverse answers the same whether money had been taken or not. */
            become_cancelled(p, ev->wall, out,
                             p->cancel_refunded             ? "paid money returned"
                             : p->channel == CHANNEL_WECHAT ? "reversed: any money taken returned"
                                                            : "closed");
            return ENGINE_OK;
        }
        if (r->kind == GW_FAILED) {
            /* The gateway will not cancel (e.g. the trade is past reversal): find out
             * whether it was paid rather than retrying what can never succeed. The query's
             * own reply must then prove what it says. */
            set_error(p, r->cause, r->reason);
            journal(out, "cancel_refused", "%s", r->reason);
            send_request(p, pol, ev->now, out, GW_QUERY);
            show(out);
            return ENGINE_OK;
        }
        if (r->kind == GW_SUCCESS && !binds)
            set_error(p, PAY_CAUSE_BAD_REPLY, "a cancel reply that does not name this order");
        else
            set_error(p, r->cause, r->reason);
        retry_later(p, pol, ev->now, out);
        return ENGINE_OK;
    }

    /* GW_QUERY after a refused cancel. */
    char why[160];
    enum pay_cause cause;
    switch (judge_trade(p, r, why, sizeof why, &cause)) {
    case V_PAID: become_paid(p, r, ev->wall, out, "paid_cancel_refused"); return ENGINE_OK;
    case V_FAILED: become_cancelled(p, ev->wall, out, "trade closed"); return ENGINE_OK;
    case V_NOT_OURS: become_referred(p, cause, why, ev->wall, out); return ENGINE_OK;
    case V_PAYING:
    case V_UNKNOWN: break;
    }
    set_error(p, cause, why);
    retry_later(p, pol, ev->now, out);
    return ENGINE_OK;
}

/* The amount a refund reply states for this refund: its own, or the order's new refunded
 * total less what the journal already holds (Alipay's cumulative refund_fee). */
static bool stated_refund(const struct payment *p, const struct gw_reply *r, int64_t *fen)
{
    if (r->said.refund_given)
        *fen = r->said.refund_fen;
    else if (r->said.refunded_total_given)
        *fen = r->said.refunded_total_fen - p->refunded_fen;
    else
        return false;
    return true;
}

static void become_refunded(struct payment *p, int64_t fen, int64_t wall,
                            struct engine_actions *out)
{
    char amount[MONEY_TEXT_MAX], asked[MONEY_TEXT_MAX];
    p->refunded_fen += fen;
    if (fen == p->refund_fen)
        journal(out, "refunded", "%s refunded (%s)", money_format(fen, amount), p->refund_no);
    else
        journal(out, "refunded", "%s refunded (%s; %s asked)", money_format(fen, amount),
                p->refund_no, money_format(p->refund_fen, asked));
    p->refund_fen = 0;
    p->refund_key[0] = '\0';
    clear_error(p);
    enter_state(p, p->refunded_fen >= p->amount_fen ? PAY_REFUNDED : PAY_PAID, wall);
    show(out);
}

/* A refund success that names its number: believed at the amount the gateway states. */
static void refund_succeeded(struct payment *p, const struct policy *pol,
                             const struct engine_event *ev, struct engine_actions *out)
{
    const struct gw_reply *r = ev->reply;
    int64_t fen = 0;
    char why[160], got[MONEY_TEXT_MAX], left[MONEY_TEXT_MAX];
    if (!stated_refund(p, r, &fen) || fen <= 0) {
        set_error(p, PAY_CAUSE_BAD_REPLY, "a refund success that states no amount: checking");
        retry_later(p, pol, ev->now, out);
        return;
    }
    if (fen > p->amount_fen - p->refunded_fen) {
        snprintf(why, sizeof why, "gateway states a refund of %s, only %s was left to refund",
                 money_format(fen, got), money_format(p->amount_fen - p->refunded_fen, left));
        become_referred(p, PAY_CAUSE_REFUND_AMOUNT, why, ev->wall, out);
        return;
    }
    become_refunded(p, fen, ev->wall, out);
}

/* In REFUNDING: replies to the refund and to the refund query. */
static enum engine_status on_refund_reply(struct payment *p, const struct policy *pol,
                                          const struct engine_event *ev, struct engine_actions *out)
{
    const struct gw_reply *r = ev->reply;
    bool binds = names_refund(p, r) || (!r->said.refund_no_given && refusal_binds(p, r));

    switch (r->kind) {
    case GW_SUCCESS:
        if (names_refund(p, r)) {
            refund_succeeded(p, pol, ev, out);
            return ENGINE_OK;
        }
        if (r->op == GW_REFUND && !r->said.refund_no_given && names_order(p, r)) {
            /* Alipay's refund reply names the order, not the refund: ask about this
             * refund number before believing it. */
            send_request(p, pol, ev->now, out, GW_REFUND_QUERY);
            return ENGINE_OK;
        }
        set_error(p, PAY_CAUSE_BAD_REPLY, "a refund success that does not name this refund");
        retry_later(p, pol, ev->now, out);
        return ENGINE_OK;
    case GW_FAILED:
        if (!binds) {
            set_error(p, r->cause, r->reason);
            retry_later(p, pol, ev->now, out);
            return ENGINE_OK;
        }
        if (r->refund_abnormal) {
            become_referred(p, PAY_CAUSE_REFUND_BY_HAND, r->reason, ev->wall, out);
            return ENGINE_OK;
        }
        if (r->op == GW_REFUND_QUERY && r->no_such_refund) {
            /* The refund never arrived: send it again, under the same number. */
            send_request(p, pol, ev->now, out, GW_REFUND);
            return ENGINE_OK;
        }
        set_error(p, r->cause, r->reason);
        journal(out, "refund_failed", "%s: %s", p->refund_no, r->reason);
        p->refund_fen = 0;
        p->refund_key[0] = '\0';
        enter_state(p, PAY_PAID, ev->wall);
        show(out);
        return ENGINE_OK;
    case GW_PAYING:
    case GW_UNKNOWN:
        set_error(p, r->cause, r->reason);
        retry_later(p, pol, ev->now, out);
        return ENGINE_OK;
    }
    return ENGINE_INVALID;
}

/* --- dynamic QR: the customer scans the terminal ------------------------------------------
 * A QR payment (kind PAY_KIND_QR) goes through the same states, read for a QR order:
 *   PAYING      the create is out, or waits to go again: no QR shown yet
 *   QUERYING    the QR is shown (its payload journaled first): queried until paid
 *   CANCELLING  the order is being closed: retried with back-off, forever, like a cancel
 *   PAID, FAILED (the create refused), CANCELLED (closed: nothing taken), REFERRED
 *
 *   state       event                                     next / journaled / request
 *   NEW         qr                                        PAYING / pay_intent / QR_CREATE
 *   PAYING      create: a payload about this order        QUERYING / pay_confirming (the QR
 *                                                           is shown); query timer
 *               create: refused, about this order         FAILED / pay_failed
 *               create: anything else                     back-off, then the create again
 *   QUERYING    timer                                     QUERY
 *               query: paid, this order at its amount     PAID / paid
 *               query: closed (refused, expired)          FAILED / pay_failed
 *               query: our order, another amount          REFERRED / referred
 *   PAYING,     the window's end, or abort with nothing   CANCELLING / cancel_decided / QR_CLOSE
 *   QUERYING    out (a request out: abort_requested, decided at its reply or deadline)
 *   CANCELLING  close: closed, about this order           CANCELLED / cancelled
 *               close: closed, about no order (a 204
 *                 not bound to this exchange)             QUERY
 *               close: refused (paid, or anything)        cancel_refused / QUERY
 *               close: no such order, past the expiry     QUERY
 *               close: otherwise                          back-off, then the close again
 *               query: paid                               PAID / paid_cancel_refused
 *               query: closed, or no such order past
 *                 the gateway's expiry                    CANCELLED / cancelled
 *               query: otherwise                          back-off, then the close again
 *   resume      PAYING: the create again; QUERYING: a query (both: the close when the window
 *               is over or the cashier aborted); CANCELLING: the close again
 *
 * The journal names are the barcode payment's for the same steps (the payment's kind tells
 * them apart), so history, reports and the screen's event words need nothing new; the
 * details name the QR ("wechat QR shown").
 *
 * Alipay's precreated order exists only once scanned (drivers/gateway/README.md, "Dynamic
 * QR"): its close before the scan answers "no such order" and closes nothing, so the order is
 * called closed only once the gateway's own expiry has passed and a query finds nothing. */

/* The window the create asked for (journaled): a config changed across a restart neither
 * cuts short the countdown the customer was shown nor moves the gateway's expiry. */
static int64_t qr_window_end(const struct payment *p)
{
    return p->sent_mono + (int64_t)p->qr_window_s * 1000;
}

/* The latest moment the gateway still takes a payment of this order (monotonic ms): the last
 * create leaves before the window's end; the gateway's expiry is at least a minute (WeChat),
 * whole minutes (Alipay), counted from when a create arrived. */
static int64_t qr_gateway_expiry(const struct payment *p, const struct policy *pol)
{
    int64_t minutes = (p->qr_window_s + 59) / 60;
    return qr_window_end(p) + (minutes > 1 ? minutes : 1) * 60000 + pol->query_timeout_ms +
           pol->reply_margin_ms;
}

static void start_close(struct payment *p, const struct policy *pol, const struct engine_event *ev,
                        struct engine_actions *out, const char *why)
{
    enter_state(p, PAY_CANCELLING, ev->wall);
    p->backoff_ms = 0;
    journal(out, "cancel_decided", "%s", why);
    send_request(p, pol, ev->now, out, GW_QR_CLOSE);
    show(out);
}

/* Nothing decided and nothing out: true when the close is due and started, else the timer
 * is armed at `at` (never past the window's end). */
static bool qr_next(struct payment *p, const struct policy *pol, const struct engine_event *ev,
                    struct engine_actions *out, int64_t at)
{
    if (p->abort_requested || ev->now >= qr_window_end(p)) {
        start_close(p, pol, ev, out,
                    p->abort_requested ? "cashier aborted" : "payment window closed");
        return true;
    }
    arm_timer(p, out, at < qr_window_end(p) ? at : qr_window_end(p));
    return false;
}

static void become_closed(struct payment *p, int64_t wall, struct engine_actions *out,
                          const char *detail)
{
    set_cancel_reason(p);
    enter_state(p, PAY_CANCELLED, wall);
    journal(out, "cancelled", "%s", detail);
    show(out);
}

static enum engine_status qr_create_reply(struct payment *p, const struct policy *pol,
                                          const struct engine_event *ev, struct engine_actions *out)
{
    const struct gw_reply *r = ev->reply;
    /* Alipay's reply names the order; WeChat's holds the payload alone, so only its signature
     * over this very exchange ties it to this order (refusal_binds covers both). */
    bool about_this = refusal_binds(p, r);
    int64_t end = qr_window_end(p);
    if (r->kind == GW_SUCCESS && about_this && r->said.qr_given && !p->abort_requested &&
        ev->now < end) {
        snprintf(p->qr_payload, sizeof p->qr_payload, "%s", r->said.qr_payload);
        clear_error(p);
        enter_state(p, PAY_QUERYING, ev->wall);
        journal(out, "pay_confirming", "%s QR shown", pay_channel_name(p->channel));
        arm_timer(p, out,
                  ev->now + pol->first_query_ms < end ? ev->now + pol->first_query_ms : end);
        show(out);
        return ENGINE_OK;
    }
    if (r->kind == GW_FAILED && about_this && !r->no_such_order) {
        become_failed(p, r->cause, r->reason, ev->wall, out, "QR create: ");
        return ENGINE_OK;
    }
    if (r->kind == GW_SUCCESS && !about_this)
        set_error(p, PAY_CAUSE_BAD_REPLY, "a QR create reply not bound to this order");
    else if (r->kind == GW_SUCCESS && !r->said.qr_given)
        set_error(p, PAY_CAUSE_BAD_REPLY, "a QR create reply without a QR");
    else if (r->kind != GW_SUCCESS)
        set_error(p, r->cause, r->reason);
    /* The same create again returns the order's QR (both gateways): resend after a back-off. */
    p->backoff_ms = policy_next_backoff(pol, p->backoff_ms);
    if (!qr_next(p, pol, ev, out, ev->now + p->backoff_ms))
        show(out);
    return ENGINE_OK;
}

static enum engine_status qr_query_reply(struct payment *p, const struct policy *pol,
                                         const struct engine_event *ev, struct engine_actions *out)
{
    char why[160];
    enum pay_cause cause;
    switch (judge_trade(p, ev->reply, why, sizeof why, &cause)) {
    case V_PAID: become_paid(p, ev->reply, ev->wall, out, "paid"); return ENGINE_OK;
    case V_FAILED: become_failed(p, cause, why, ev->wall, out, "query: "); return ENGINE_OK;
    case V_NOT_OURS: become_referred(p, cause, why, ev->wall, out); return ENGINE_OK;
    case V_PAYING:
    case V_UNKNOWN: break;
    }
    /* Waiting, or (Alipay) no trade until the customer scans: nothing wrong to show. */
    if (ev->reply->kind == GW_PAYING || ev->reply->no_such_order)
        clear_error(p);
    else
        set_error(p, cause, why);
    qr_next(p, pol, ev, out, ev->now + pol->query_every_ms);
    return ENGINE_OK;
}

/* In CANCELLING: the close's reply, or the query's that checks what a close left open. */
static enum engine_status qr_closing_reply(struct payment *p, const struct policy *pol,
                                           const struct engine_event *ev,
                                           struct engine_actions *out)
{
    const struct gw_reply *r = ev->reply;
    bool expired = ev->now >= qr_gateway_expiry(p, pol);
    if (r->op == GW_QR_CLOSE) {
        if (r->kind == GW_SUCCESS && refusal_binds(p, r)) {
            take_trade_no(p, r);
            become_closed(p, ev->wall, out, "closed");
            return ENGINE_OK;
        }
        if (r->kind == GW_FAILED) {
            /* Refused: paid (close_refused_paid), or closed already; only a query that states
             * order and amount makes it PAID. */
            set_error(p, r->cause, r->reason);
            journal(out, "cancel_refused", "%s", r->reason);
            send_request(p, pol, ev->now, out, GW_QUERY);
            show(out);
            return ENGINE_OK;
        }
        if (r->kind == GW_SUCCESS || (r->no_such_order && expired)) {
            /* A 204 about no order in particular, or an order unknown past its expiry. */
            set_error(p, r->kind == GW_SUCCESS ? PAY_CAUSE_BAD_REPLY : r->cause,
                      r->kind == GW_SUCCESS ? "a close reply not bound to this order: checking"
                                            : r->reason);
            send_request(p, pol, ev->now, out, GW_QUERY);
            show(out);
            return ENGINE_OK;
        }
        set_error(p, r->cause, r->reason);
        retry_later(p, pol, ev->now, out);
        return ENGINE_OK;
    }
    char why[160];
    enum pay_cause cause;
    switch (judge_trade(p, r, why, sizeof why, &cause)) {
    case V_PAID: become_paid(p, r, ev->wall, out, "paid_cancel_refused"); return ENGINE_OK;
    case V_FAILED: become_closed(p, ev->wall, out, "trade closed"); return ENGINE_OK;
    case V_NOT_OURS: become_referred(p, cause, why, ev->wall, out); return ENGINE_OK;
    case V_PAYING:
    case V_UNKNOWN: break;
    }
    if (r->no_such_order && expired) {
        become_closed(p, ev->wall, out, "trade closed");
        return ENGINE_OK;
    }
    set_error(p, cause, why);
    retry_later(p, pol, ev->now, out);
    return ENGINE_OK;
}

static enum engine_status qr_timer(struct payment *p, const struct policy *pol,
                                   const struct engine_event *ev, struct engine_actions *out)
{
    switch (p->state) {
    case PAY_PAYING:
        if (p->abort_requested || ev->now >= qr_window_end(p))
            qr_next(p, pol, ev, out, 0);
        else
            send_request(p, pol, ev->now, out, GW_QR_CREATE);
        return ENGINE_OK;
    case PAY_QUERYING:
        if (p->abort_requested || ev->now >= qr_window_end(p))
            qr_next(p, pol, ev, out, 0);
        else
            send_request(p, pol, ev->now, out, GW_QUERY);
        return ENGINE_OK;
    case PAY_CANCELLING: send_request(p, pol, ev->now, out, GW_QR_CLOSE); return ENGINE_OK;
    default: return ENGINE_STALE;
    }
}

static enum engine_status qr_abort(struct payment *p, const struct policy *pol,
                                   const struct engine_event *ev, struct engine_actions *out)
{
    switch (p->state) {
    case PAY_PAYING:
    case PAY_QUERYING:
        if (p->abort_requested)
            return ENGINE_OK;
        p->abort_requested = true;
        if (!p->in_flight) {
            start_close(p, pol, ev, out, "cashier aborted");
            return ENGINE_OK;
        }
        journal(out, "abort_requested", "by cashier");
        show(out);
        return ENGINE_OK;
    case PAY_CANCELLING: return ENGINE_OK;
    default: return ENGINE_REFUSED;
    }
}

static enum engine_status qr_resume(struct payment *p, const struct policy *pol,
                                    const struct engine_event *ev, struct engine_actions *out)
{
    switch (p->state) {
    case PAY_PAYING:
    case PAY_QUERYING:
        if (p->abort_requested || ev->now >= qr_window_end(p)) {
            start_close(p, pol, ev, out,
                        p->abort_requested ? "resumed: cashier had aborted"
                                           : "resumed: payment window closed");
            return ENGINE_OK;
        }
        journal(out, "resumed", "%s",
                p->state == PAY_PAYING ? "creating the QR again" : "QR shown again: querying");
        send_request(p, pol, ev->now, out, p->state == PAY_PAYING ? GW_QR_CREATE : GW_QUERY);
        show(out);
        return ENGINE_OK;
    case PAY_CANCELLING:
        journal(out, "resumed", "closing the QR order again");
        send_request(p, pol, ev->now, out, GW_QR_CLOSE);
        show(out);
        return ENGINE_OK;
    default: return ENGINE_STALE;
    }
}

/* EV_QR: a new order the customer pays by scanning; nothing has left the terminal yet. */
static enum engine_status on_qr(struct payment *p, const struct policy *pol,
                                const struct engine_event *ev, struct engine_actions *out)
{
    if (p->state != PAY_NEW || p->order_no[0] == '\0')
        return ENGINE_REFUSED;
    if (ev->channel != CHANNEL_WECHAT && ev->channel != CHANNEL_ALIPAY)
        return ENGINE_INVALID;
    p->kind = PAY_KIND_QR;
    p->channel = ev->channel;
    p->qr_window_s = (int32_t)((pol->qr_window_ms + 999) / 1000);
    p->pay_sent_at = ev->wall;
    p->sent_mono = ev->now;
    p->backoff_ms = 0;
    enter_state(p, PAY_PAYING, ev->wall);
    journal(out, "pay_intent", "%s QR, %d s to pay", pay_channel_name(p->channel), p->qr_window_s);
    send_request(p, pol, ev->now, out, GW_QR_CREATE);
    show(out);
    return ENGINE_OK;
}

/* A reply for a QR payment (a refund's reply goes the barcode way: a paid QR order refunds as
 * any other). */
static enum engine_status qr_reply(struct payment *p, const struct policy *pol,
                                   const struct engine_event *ev, struct engine_actions *out)
{
    switch (p->state) {
    case PAY_PAYING: return qr_create_reply(p, pol, ev, out);
    case PAY_QUERYING: return qr_query_reply(p, pol, ev, out);
    case PAY_CANCELLING: return qr_closing_reply(p, pol, ev, out);
    default: return ENGINE_STALE;
    }
}

static enum engine_status answer(struct payment *p, const struct policy *pol,
                                 const struct engine_event *ev, struct engine_actions *out)
{
    p->in_flight = false;
    p->timer_at = 0;
    if (p->kind == PAY_KIND_QR && p->state != PAY_REFUNDING)
        return qr_reply(p, pol, ev, out);
    switch (p->state) {
    case PAY_PAYING:
    case PAY_QUERYING: return on_trade_reply(p, pol, ev, out);
    case PAY_CANCELLING: return on_cancelling_reply(p, pol, ev, out);
    case PAY_REFUNDING: return on_refund_reply(p, pol, ev, out);
    default: return ENGINE_STALE;
    }
}

static enum engine_status on_reply(struct payment *p, const struct policy *pol,
                                   const struct engine_event *ev, struct engine_actions *out)
{
    const struct gw_reply *r = ev->reply;
    if (r == NULL)
        return ENGINE_INVALID;
    /* Only the answer to the request out now counts: a late or repeated reply to an
     * earlier request (another op, another id) must not pass for it. */
    if (!p->in_flight || strcmp(r->order_no, p->order_no) != 0 || (int)r->op != p->in_flight_op ||
        r->request_id != p->in_flight_id ||
        ((r->op == GW_REFUND || r->op == GW_REFUND_QUERY) &&
         strcmp(r->refund_no, p->refund_no) != 0))
        return ENGINE_STALE;
    return answer(p, pol, ev, out);
}

/* The request in flight outlived its deadline: its reply is taken as lost (UNKNOWN). */
static enum engine_status reply_lost(struct payment *p, const struct policy *pol,
                                     const struct engine_event *ev, struct engine_actions *out)
{
    struct gw_reply r;
    memset(&r, 0, sizeof r);
    r.op = (enum gw_op)p->in_flight_op;
    r.channel = p->channel;
    r.request_id = p->in_flight_id;
    snprintf(r.order_no, sizeof r.order_no, "%s", p->order_no);
    snprintf(r.refund_no, sizeof r.refund_no, "%s", p->refund_no);
    r.kind = GW_UNKNOWN;
    r.retry = r.op == GW_CANCEL;
    r.cause = PAY_CAUSE_NO_ANSWER;
    snprintf(r.reason, sizeof r.reason, "no reply within %lld s",
             (long long)((request_timeout(pol, r.op) + pol->reply_margin_ms) / 1000));
    struct engine_event lost = *ev;
    lost.type = EV_REPLY;
    lost.reply = &r;
    return answer(p, pol, &lost, out);
}

static enum engine_status on_timer(struct payment *p, const struct policy *pol,
                                   const struct engine_event *ev, struct engine_actions *out)
{
    if (p->timer_at == 0 || ev->now < p->timer_at)
        return ENGINE_STALE;
    if (p->in_flight)
        return ev->now >= p->reply_deadline ? reply_lost(p, pol, ev, out) : ENGINE_STALE;
    p->timer_at = 0;
    if (p->kind == PAY_KIND_QR && p->state != PAY_REFUNDING)
        return qr_timer(p, pol, ev, out);

    int64_t at;
    switch (p->state) {
    case PAY_QUERYING:
        if (p->abort_requested || ev->now >= p->sent_mono + pol->window_ms) {
            if (cancel_due(p, pol, ev->now, 0, &at))
                start_cancel(p, pol, ev, out, cancel_why(p));
            else
                arm_timer(p, out, at);
            return ENGINE_OK;
        }
        send_request(p, pol, ev->now, out, GW_QUERY);
        return ENGINE_OK;
    case PAY_CANCELLING: send_request(p, pol, ev->now, out, GW_CANCEL); return ENGINE_OK;
    case PAY_REFUNDING:
        /* Ask what became of the refund before sending it again. */
        send_request(p, pol, ev->now, out, GW_REFUND_QUERY);
        return ENGINE_OK;
    default: return ENGINE_STALE;
    }
}

static enum engine_status on_abort(struct payment *p, const struct policy *pol,
                                   const struct engine_event *ev, struct engine_actions *out)
{
    if (p->kind == PAY_KIND_QR)
        return qr_abort(p, pol, ev, out);
    switch (p->state) {
    case PAY_NEW:
        /* Nothing left the terminal: there is nothing to cancel at the gateway. */
        set_error(p, PAY_CAUSE_ABORTED_BEFORE_SCAN, "aborted before a payment code was scanned");
        enter_state(p, PAY_FAILED, ev->wall);
        journal(out, "aborted", "before scan");
        show(out);
        return ENGINE_OK;
    case PAY_PAYING:
    case PAY_QUERYING: {
        if (p->abort_requested)
            return ENGINE_OK;
        p->abort_requested = true;
        int64_t at = 0;
        /* A request in flight decides on its reply, or at its deadline; otherwise now. */
        if (!p->in_flight && cancel_due(p, pol, ev->now, 0, &at)) {
            start_cancel(p, pol, ev, out, "cashier aborted");
            return ENGINE_OK;
        }
        journal(out, "abort_requested", "by cashier");
        if (!p->in_flight)
            arm_timer(p, out, at);
        show(out);
        return ENGINE_OK;
    }
    case PAY_CANCELLING: return ENGINE_OK;
    default: return ENGINE_REFUSED;
    }
}

/* After a restart: runtime fields are zero; rebuild them from the journaled wall times. */
static enum engine_status on_resume(struct payment *p, const struct policy *pol,
                                    const struct engine_event *ev, struct engine_actions *out)
{
    /* A clock that went back across the reboot counts as no time passed: the payment gets
     * its whole window again rather than being cancelled early. */
    if (!pay_state_unresolved(p->state))
        return ENGINE_STALE;
    int64_t elapsed =
        p->pay_sent_at > 0 && ev->wall > p->pay_sent_at ? ev->wall - p->pay_sent_at : 0;
    p->sent_mono = ev->now - elapsed;
    p->in_flight = false;
    p->timer_at = 0;
    p->backoff_ms = 0;
    if (p->kind == PAY_KIND_QR && p->state != PAY_REFUNDING)
        return qr_resume(p, pol, ev, out);

    switch (p->state) {
    case PAY_NEW:
        set_error(p, PAY_CAUSE_RESTARTED_BEFORE_SCAN,
                  "terminal restarted before a payment code was scanned");
        enter_state(p, PAY_FAILED, ev->wall);
        journal(out, "aborted", "restart before scan");
        show(out);
        return ENGINE_OK;
    case PAY_PAYING:
    case PAY_QUERYING:
        if (p->abort_requested || elapsed >= pol->window_ms) {
            /* Past its window the pay is cancelled without a query: the customer was never
             * shown success, so the money must go back rather than stay. */
            if (ev->now >= earliest_cancel(p, pol)) {
                start_cancel(p, pol, ev, out,
                             p->abort_requested ? "resumed: cashier had aborted"
                                                : "resumed: payment window closed");
                return ENGINE_OK;
            }
        }
        enter_state(p, PAY_QUERYING, ev->wall);
        journal(out, "resumed", "querying the pay's fate");
        if (p->abort_requested)
            arm_timer(p, out, earliest_cancel(p, pol));
        else
            send_request(p, pol, ev->now, out, GW_QUERY);
        show(out);
        return ENGINE_OK;
    case PAY_CANCELLING:
        journal(out, "resumed", "sending the cancel again");
        send_request(p, pol, ev->now, out, GW_CANCEL);
        show(out);
        return ENGINE_OK;
    case PAY_REFUNDING:
        journal(out, "resumed", "sending refund %s again", p->refund_no);
        send_request(p, pol, ev->now, out, GW_REFUND);
        show(out);
        return ENGINE_OK;
    default: return ENGINE_STALE;
    }
}

static enum engine_status on_create(struct payment *p, const struct engine_event *ev,
                                    struct engine_actions *out)
{
    if (p->state != PAY_NEW || p->order_no[0] != '\0')
        return ENGINE_REFUSED;
    if (ev->order_no == NULL || !order_no_valid(ev->order_no) || ev->amount_fen <= 0)
        return ENGINE_INVALID;
    memset(p, 0, sizeof *p);
    snprintf(p->order_no, sizeof p->order_no, "%s", ev->order_no);
    p->amount_fen = ev->amount_fen;
    p->state = PAY_NEW;
    p->created_at = p->updated_at = ev->wall;
    char amount[MONEY_TEXT_MAX];
    journal(out, "created", "%s", money_format(p->amount_fen, amount));
    show(out);
    return ENGINE_OK;
}

static enum engine_status on_scan(struct payment *p, const struct policy *pol,
                                  const struct engine_event *ev, struct engine_actions *out)
{
    if (p->state != PAY_NEW || p->order_no[0] == '\0')
        return ENGINE_REFUSED;
    enum pay_channel channel;
    if (ev->code == NULL || paycode_channel(ev->code, &channel) != PAYCODE_OK ||
        channel != ev->channel)
        return ENGINE_INVALID;

    snprintf(p->auth_code, sizeof p->auth_code, "%s", ev->code);
    paycode_last4(ev->code, p->code_last4);
    p->channel = channel;
    p->pay_sent_at = ev->wall;
    p->sent_mono = ev->now;
    enter_state(p, PAY_PAYING, ev->wall);
    journal(out, "pay_intent", "%s code ...%s", pay_channel_name(channel), p->code_last4);
    send_request(p, pol, ev->now, out, GW_PAY);
    show(out);
    return ENGINE_OK;
}

static enum engine_status on_refund(struct payment *p, const struct policy *pol,
                                    const struct engine_event *ev, struct engine_actions *out)
{
    /* One refund at a time: another while one is under way is refused (the loop says why),
     * and a request number once used is never used for a second refund. */
    if (p->state != PAY_PAID)
        return ENGINE_REFUSED;
    if (ev->refund_no == NULL || !order_no_valid(ev->refund_no) || ev->refund_fen <= 0 ||
        ev->refund_fen > p->amount_fen - p->refunded_fen ||
        strcmp(ev->refund_no, p->refund_no) == 0 ||
        (ev->refund_key && strlen(ev->refund_key) >= sizeof p->refund_key))
        return ENGINE_INVALID;

    snprintf(p->refund_no, sizeof p->refund_no, "%s", ev->refund_no);
    snprintf(p->refund_key, sizeof p->refund_key, "%s", ev->refund_key ? ev->refund_key : "");
    p->refund_fen = ev->refund_fen;
    p->backoff_ms = 0;
    enter_state(p, PAY_REFUNDING, ev->wall);
    char amount[MONEY_TEXT_MAX];
    journal(out, "refund_requested", "%s (%s)", money_format(p->refund_fen, amount), p->refund_no);
    send_request(p, pol, ev->now, out, GW_REFUND);
    show(out);
    return ENGINE_OK;
}

enum engine_status engine_step(struct payment *p, const struct policy *pol,
                               const struct engine_event *ev, struct engine_actions *out)
{
    out->n = 0;
    switch (ev->type) {
    case EV_CREATE: return on_create(p, ev, out);
    case EV_SCAN: return on_scan(p, pol, ev, out);
    case EV_REPLY: return on_reply(p, pol, ev, out);
    case EV_TIMER: return on_timer(p, pol, ev, out);
    case EV_ABORT: return on_abort(p, pol, ev, out);
    case EV_RESUME: return on_resume(p, pol, ev, out);
    case EV_REFUND: return on_refund(p, pol, ev, out);
    case EV_QR: return on_qr(p, pol, ev, out);
    }
    return ENGINE_INVALID;
}

const char *engine_status_reason(enum engine_status st)
{
    switch (st) {
    case ENGINE_OK: return "ok";
    case ENGINE_REFUSED: return "not possible in this state";
    case ENGINE_STALE: return "nothing is waiting for this";
    case ENGINE_INVALID: return "invalid request";
    }
    return "?";
}

void engine_request(const struct payment *p, enum gw_op op, struct gw_request *req)
{
    memset(req, 0, sizeof *req);
    req->op = op;
    req->request_id = p->in_flight_id;
    req->channel = p->channel;
    snprintf(req->order_no, sizeof req->order_no, "%s", p->order_no);
    req->total_fen = p->amount_fen;
    switch (op) {
    case GW_PAY:
        snprintf(req->auth_code, sizeof req->auth_code, "%s", p->auth_code);
        req->amount_fen = p->amount_fen;
        break;
    case GW_REFUND:
    case GW_REFUND_QUERY:
        snprintf(req->refund_no, sizeof req->refund_no, "%s", p->refund_no);
        req->amount_fen = p->refund_fen;
        break;
    case GW_QUERY:
    case GW_CANCEL:
    case GW_QR_CLOSE: req->amount_fen = p->amount_fen; break;
    case GW_QR_CREATE:
        req->amount_fen = p->amount_fen;
        req->qr_window_s = p->qr_window_s;
        break;
    }
}
