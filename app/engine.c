/*
 * engine.c - the payment state machine.
 *
 * engine_step() is one switch on the event, and inside it one switch on the state: every
 * arrow of DESIGN.md's diagram is a case below, and every case that changes the state puts
 * ENGINE_JOURNAL first so the caller commits before it sends. Nothing here knows about
 * sockets, files or clocks.
 */
#include "engine.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "money.h"
#include "order_no.h"
#include "paycode.h"

static struct engine_action *push(struct engine_actions *out, enum engine_action_type type)
{
    /* ENGINE_MAX_ACTIONS is sized for the longest step below (journal, send, show). */
    struct engine_action *a = &out->a[out->n < ENGINE_MAX_ACTIONS ? out->n++ : out->n - 1];
    memset(a, 0, sizeof *a);
    a->type = type;
    return a;
}

static void journal(struct engine_actions *out, const char *name, const char *fmt, ...)
{
    struct engine_action *a = push(out, ENGINE_JOURNAL);
    a->name = name;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(a->detail, sizeof a->detail, fmt, ap);
        va_end(ap);
    }
}

static void send_request(struct payment *p, struct engine_actions *out, enum gw_op op)
{
    push(out, ENGINE_SEND)->op = op;
    p->in_flight = true;
    p->in_flight_op = (int)op;
    p->timer_at = 0;
    if (op == GW_QUERY)
        p->queries++;
    else if (op == GW_CANCEL)
        p->cancels++;
}

static void arm_timer(struct payment *p, struct engine_actions *out, int64_t at)
{
    p->timer_at = at;
    push(out, ENGINE_TIMER)->at = at;
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

/* A payment that reached a final state no longer needs its full code (DESIGN.md). */
static void enter_state(struct payment *p, enum pay_state s, int64_t wall)
{
    p->state = s;
    p->updated_at = wall;
    if (!pay_state_unresolved(s))
        p->auth_code[0] = '\0';
    if (s != PAY_QUERYING)
        p->customer_confirming = false;
}

int64_t engine_cancel_deadline(const struct payment *p, const struct policy *pol)
{
    if (p->state != PAY_PAYING && p->state != PAY_QUERYING)
        return 0;
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
static void start_cancel(struct payment *p, const struct policy *pol, int64_t wall,
                         struct engine_actions *out, const char *why)
{
    (void)pol;
    enter_state(p, PAY_CANCELLING, wall);
    p->backoff_ms = 0;
    journal(out, "cancel_decided", "%s", why);
    send_request(p, out, GW_CANCEL);
    show(out);
}

/*
 * The pay is undecided (PAYING/UNKNOWN so far) and nothing is in flight: either cancel now,
 * or arm the timer for the next query, or for the moment the cancel becomes allowed.
 * `delay` is the gap before the next query.
 */
static void poll_or_cancel(struct payment *p, const struct policy *pol, int64_t now, int64_t wall,
                           int64_t delay, struct engine_actions *out)
{
    int64_t allowed = earliest_cancel(p, pol);
    int64_t deadline = p->sent_mono + pol->window_ms;

    if (p->abort_requested || now >= deadline) {
        if (now >= allowed) {
            start_cancel(p, pol, wall, out,
                         p->abort_requested ? "cashier aborted" : "payment window closed");
            return;
        }
        arm_timer(p, out, allowed);
        return;
    }
    int64_t at = now + delay;
    arm_timer(p, out, at < deadline ? at : deadline);
}

/* A SUCCESS whose stated amount is not the order's is not believed. */
static bool amount_mismatch(const struct payment *p, const struct gw_reply *r, char *why,
                            size_t whylen)
{
    if (!r->said.amount_given || r->said.amount_fen == p->amount_fen)
        return false;
    char got[MONEY_TEXT_MAX], want[MONEY_TEXT_MAX];
    snprintf(why, whylen, "gateway reported %s, order is %s", money_format(r->said.amount_fen, got),
             money_format(p->amount_fen, want));
    return true;
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

/* The kind the engine acts on: a SUCCESS stating another amount is not believed, and "no
 * such order" is never a failure - the pay may still be on its way. why and *cause get the
 * reason. */
static enum gw_kind believed_kind(const struct payment *p, const struct gw_reply *r, char *why,
                                  size_t whylen, enum pay_cause *cause)
{
    snprintf(why, whylen, "%s", r->reason);
    *cause = r->cause;
    if (r->kind == GW_SUCCESS && amount_mismatch(p, r, why, whylen)) {
        *cause = PAY_CAUSE_AMOUNT_MISMATCH;
        return GW_UNKNOWN;
    }
    if (r->kind == GW_FAILED && r->no_such_order)
        return GW_UNKNOWN;
    return r->kind;
}

static void become_failed(struct payment *p, enum pay_cause cause, const char *why, int64_t wall,
                          struct engine_actions *out, const char *via)
{
    set_error(p, cause, why);
    enter_state(p, PAY_FAILED, wall);
    journal(out, "pay_failed", "%s%s", via, why);
    show(out);
}

/* Replies to the pay request itself, in PAYING. */
static enum engine_status on_pay_reply(struct payment *p, const struct policy *pol,
                                       const struct engine_event *ev, struct engine_actions *out)
{
    const struct gw_reply *r = ev->reply;
    char why[160];
    enum pay_cause cause;
    enum gw_kind kind = believed_kind(p, r, why, sizeof why, &cause);

    switch (kind) {
    case GW_SUCCESS:
        become_paid(p, r, ev->wall, out, "paid");
        return ENGINE_OK;
    case GW_FAILED:
        become_failed(p, cause, why, ev->wall, out, "");
        return ENGINE_OK;
    case GW_PAYING:
    case GW_UNKNOWN:
        take_trade_no(p, r);
        if (kind == GW_PAYING)
            clear_error(p);
        else
            set_error(p, cause, why);
        p->customer_confirming = kind == GW_PAYING;
        enter_state(p, PAY_QUERYING, ev->wall);
        journal(out, kind == GW_PAYING ? "pay_confirming" : "pay_unknown", "%s", why);
        poll_or_cancel(p, pol, ev->now, ev->wall, pol->first_query_ms, out);
        show(out);
        return ENGINE_OK;
    }
    return ENGINE_INVALID;
}

/* Replies to a query, in QUERYING. Only a definite answer ends polling. */
static enum engine_status on_query_reply(struct payment *p, const struct policy *pol,
                                         const struct engine_event *ev, struct engine_actions *out)
{
    const struct gw_reply *r = ev->reply;
    char why[160];
    enum pay_cause cause;
    enum gw_kind kind = believed_kind(p, r, why, sizeof why, &cause);

    switch (kind) {
    case GW_SUCCESS:
        become_paid(p, r, ev->wall, out, "paid");
        return ENGINE_OK;
    case GW_FAILED:
        become_failed(p, cause, why, ev->wall, out, "query: ");
        return ENGINE_OK;
    case GW_PAYING:
    case GW_UNKNOWN: {
        bool was = p->customer_confirming;
        p->customer_confirming = kind == GW_PAYING;
        if (kind == GW_PAYING)
            clear_error(p);
        else
            set_error(p, cause, why);
        poll_or_cancel(p, pol, ev->now, ev->wall, pol->query_every_ms, out);
        if (was != p->customer_confirming)
            show(out);
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

/* In CANCELLING: replies to the cancel, or to the query sent after a refused cancel. */
static enum engine_status on_cancelling_reply(struct payment *p, const struct policy *pol,
                                              const struct engine_event *ev,
                                              struct engine_actions *out)
{
    const struct gw_reply *r = ev->reply;

    if (r->op == GW_CANCEL) {
        if (r->kind == GW_SUCCESS && !r->retry) {
            p->cancel_refunded = r->cancel_refunded;
            take_trade_no(p, r);
            set_cancel_reason(p);
            enter_state(p, PAY_CANCELLED, ev->wall);
            journal(out, "cancelled", "%s", p->cancel_refunded ? "paid money returned" : "closed");
            show(out);
            return ENGINE_OK;
        }
        if (r->kind == GW_FAILED) {
            /* The gateway will not cancel (e.g. the trade is past reversal): find out whether
             * it was paid rather than retrying something that can never succeed. */
            set_error(p, r->cause, r->reason);
            journal(out, "cancel_refused", "%s", r->reason);
            send_request(p, out, GW_QUERY);
            show(out);
            return ENGINE_OK;
        }
        set_error(p, r->cause, r->reason);
        retry_later(p, pol, ev->now, out);
        return ENGINE_OK;
    }

    /* GW_QUERY after a refused cancel. */
    char why[160];
    enum pay_cause cause;
    enum gw_kind kind = believed_kind(p, r, why, sizeof why, &cause);
    if (kind == GW_SUCCESS) {
        become_paid(p, r, ev->wall, out, "paid_cancel_refused");
        return ENGINE_OK;
    }
    if (kind == GW_FAILED) {
        set_cancel_reason(p);
        enter_state(p, PAY_CANCELLED, ev->wall);
        journal(out, "cancelled", "trade closed: %s", why);
        show(out);
        return ENGINE_OK;
    }
    set_error(p, cause, why);
    retry_later(p, pol, ev->now, out);
    return ENGINE_OK;
}

static enum engine_status on_refund_reply(struct payment *p, const struct policy *pol,
                                          const struct engine_event *ev,
                                          struct engine_actions *out)
{
    const struct gw_reply *r = ev->reply;
    char amount[MONEY_TEXT_MAX];

    switch (r->kind) {
    case GW_SUCCESS:
        p->refunded_fen += p->refund_fen;
        journal(out, "refunded", "%s refunded (%s)", money_format(p->refund_fen, amount),
                p->refund_no);
        p->refund_fen = 0;
        clear_error(p);
        enter_state(p, p->refunded_fen >= p->amount_fen ? PAY_REFUNDED : PAY_PAID, ev->wall);
        show(out);
        return ENGINE_OK;
    case GW_FAILED:
        set_error(p, r->cause, r->reason);
        journal(out, "refund_failed", "%s: %s", p->refund_no, r->reason);
        p->refund_fen = 0;
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

static enum engine_status on_reply(struct payment *p, const struct policy *pol,
                                   const struct engine_event *ev, struct engine_actions *out)
{
    const struct gw_reply *r = ev->reply;
    if (r == NULL)
        return ENGINE_INVALID;
    if (!p->in_flight || strcmp(r->order_no, p->order_no) != 0)
        return ENGINE_STALE;

    /* A late or repeated reply to an earlier request must not pass for the one out now. */
    if ((int)r->op != p->in_flight_op ||
        (r->op == GW_REFUND && strcmp(r->refund_no, p->refund_no) != 0))
        return ENGINE_STALE;
    p->in_flight = false;

    switch (p->state) {
    case PAY_PAYING: return on_pay_reply(p, pol, ev, out);
    case PAY_QUERYING: return on_query_reply(p, pol, ev, out);
    case PAY_CANCELLING: return on_cancelling_reply(p, pol, ev, out);
    case PAY_REFUNDING: return on_refund_reply(p, pol, ev, out);
    default: return ENGINE_STALE;
    }
}

static enum engine_status on_timer(struct payment *p, const struct policy *pol,
                                   const struct engine_event *ev, struct engine_actions *out)
{
    if (p->in_flight || p->timer_at == 0 || ev->now < p->timer_at)
        return ENGINE_STALE;
    p->timer_at = 0;

    switch (p->state) {
    case PAY_QUERYING:
        if (p->abort_requested || ev->now >= p->sent_mono + pol->window_ms) {
            poll_or_cancel(p, pol, ev->now, ev->wall, 0, out);
            return ENGINE_OK;
        }
        send_request(p, out, GW_QUERY);
        return ENGINE_OK;
    case PAY_CANCELLING:
        send_request(p, out, GW_CANCEL);
        return ENGINE_OK;
    case PAY_REFUNDING:
        send_request(p, out, GW_REFUND);
        return ENGINE_OK;
    default:
        return ENGINE_STALE;
    }
}

static enum engine_status on_abort(struct payment *p, const struct policy *pol,
                                   const struct engine_event *ev, struct engine_actions *out)
{
    switch (p->state) {
    case PAY_NEW:
        /* Nothing left the terminal: there is nothing to cancel at the gateway. */
        set_error(p, PAY_CAUSE_ABORTED_BEFORE_SCAN, "aborted before a payment code was scanned");
        enter_state(p, PAY_FAILED, ev->wall);
        journal(out, "aborted", "before scan");
        show(out);
        return ENGINE_OK;
    case PAY_PAYING:
    case PAY_QUERYING:
        if (p->abort_requested)
            return ENGINE_OK;
        p->abort_requested = true;
        journal(out, "abort_requested", "by cashier");
        /* A request in flight decides on its reply; otherwise decide now. */
        if (!p->in_flight)
            poll_or_cancel(p, pol, ev->now, ev->wall, 0, out);
        show(out);
        return ENGINE_OK;
    case PAY_CANCELLING:
        return ENGINE_OK;
    default:
        return ENGINE_REFUSED;
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
    int64_t elapsed = p->pay_sent_at > 0 && ev->wall > p->pay_sent_at ? ev->wall - p->pay_sent_at : 0;
    p->sent_mono = ev->now - elapsed;
    p->in_flight = false;
    p->timer_at = 0;
    p->backoff_ms = 0;

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
                start_cancel(p, pol, ev->wall, out,
                             p->abort_requested ? "resumed: cashier had aborted"
                                                : "resumed: payment window closed");
                return ENGINE_OK;
            }
        }
        enter_state(p, PAY_QUERYING, ev->wall);
        journal(out, "resumed", "querying the pay's fate");
        if (p->abort_requested) {
            arm_timer(p, out, earliest_cancel(p, pol));
        } else {
            send_request(p, out, GW_QUERY);
        }
        show(out);
        return ENGINE_OK;
    case PAY_CANCELLING:
        journal(out, "resumed", "sending the cancel again");
        send_request(p, out, GW_CANCEL);
        show(out);
        return ENGINE_OK;
    case PAY_REFUNDING:
        journal(out, "resumed", "sending refund %s again", p->refund_no);
        send_request(p, out, GW_REFUND);
        show(out);
        return ENGINE_OK;
    default:
        return ENGINE_STALE;
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

static enum engine_status on_scan(struct payment *p, const struct engine_event *ev,
                                  struct engine_actions *out)
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
    send_request(p, out, GW_PAY);
    show(out);
    return ENGINE_OK;
}

static enum engine_status on_refund(struct payment *p, const struct policy *pol,
                                    const struct engine_event *ev, struct engine_actions *out)
{
    (void)pol;
    if (p->state == PAY_REFUNDING && ev->refund_no && strcmp(ev->refund_no, p->refund_no) == 0)
        return ENGINE_OK; /* the same request again: already under way */
    if (p->state == PAY_PAID && ev->refund_no && strcmp(ev->refund_no, p->refund_no) == 0)
        return ENGINE_OK; /* that request number was answered already */
    if (p->state != PAY_PAID)
        return ENGINE_REFUSED;
    if (ev->refund_no == NULL || !order_no_valid(ev->refund_no) || ev->refund_fen <= 0 ||
        ev->refund_fen > p->amount_fen - p->refunded_fen)
        return ENGINE_INVALID;

    snprintf(p->refund_no, sizeof p->refund_no, "%s", ev->refund_no);
    p->refund_fen = ev->refund_fen;
    p->backoff_ms = 0;
    enter_state(p, PAY_REFUNDING, ev->wall);
    char amount[MONEY_TEXT_MAX];
    journal(out, "refund_requested", "%s (%s)", money_format(p->refund_fen, amount), p->refund_no);
    send_request(p, out, GW_REFUND);
    show(out);
    return ENGINE_OK;
}

enum engine_status engine_step(struct payment *p, const struct policy *pol,
                               const struct engine_event *ev, struct engine_actions *out)
{
    out->n = 0;
    switch (ev->type) {
    case EV_CREATE: return on_create(p, ev, out);
    case EV_SCAN: return on_scan(p, ev, out);
    case EV_REPLY: return on_reply(p, pol, ev, out);
    case EV_TIMER: return on_timer(p, pol, ev, out);
    case EV_ABORT: return on_abort(p, pol, ev, out);
    case EV_RESUME: return on_resume(p, pol, ev, out);
    case EV_REFUND: return on_refund(p, pol, ev, out);
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
        req->amount_fen = p->amount_fen;
        break;
    }
}
