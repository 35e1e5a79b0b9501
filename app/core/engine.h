/*
 * engine.h - the payment state machine. Pure: no I/O, no clock, no allocation.
 *
 * Feed it one event for one payment; it updates the payment and returns the actions the
 * caller must carry out, in order. A step that changes anything the journal keeps puts
 * exactly one ENGINE_JOURNAL first: the caller commits the payment as the step left it (one
 * transaction, so the event row records the state after its own event) and, if that commit
 * fails, throws the step away - the payment stays as it was before the event, nothing is
 * sent, nothing shown (write-ahead). Time arrives inside the event (a monotonic `now` for
 * timers, a wall clock for the journal) so tests run a 90-second payment in microseconds
 * with a fake clock.
 *
 * The promises, each defended by tests/unit/core:
 *  - A reply proves only what its verified body says about this payment (gateway_port.h
 *    gw_facts): it ends an operation only when it names this order (a refusal may instead
 *    be bound to the exchange by its signature); PAID also needs the order's amount stated;
 *    a refund needs its refund number and is recorded at the amount the gateway states.
 *  - Our order number with another amount is another sale: REFERRED, never cancelled.
 *  - UNKNOWN is never failure and never success: it leads to a query or a cancel retry.
 *  - Every request carries an id its reply must echo and a deadline (its timeout plus
 *    policy.reply_margin_ms); a reply that never comes counts as UNKNOWN at the deadline.
 *  - One pay request per order, ever; the engine never sends a second one.
 *  - No cancel earlier than policy.min_cancel_ms after the pay request.
 *  - A cancel is retried with back-off, forever, until the gateway answers definitely.
 *  - A QR payment (EV_QR) shows only a payload a verified create about this order gave, is
 *    journaled before it is shown, and is never called closed on a close that proves nothing:
 *    an unpaid QR order is closed at its window's end (or on abort) and the close retried
 *    forever, like a cancel (engine.c "dynamic QR").
 */
#ifndef POSTERM_ENGINE_H
#define POSTERM_ENGINE_H

#include <stdint.h>

#include "gateway_port.h"
#include "payment.h"
#include "policy.h"

enum engine_event_type {
    EV_CREATE, /* a new order: order_no, amount */
    EV_SCAN,   /* a validated payment code and its channel */
    EV_REPLY,  /* a gateway reply for this payment */
    EV_TIMER,  /* this payment's timer fired */
    EV_ABORT,  /* the cashier aborts the payment */
    EV_RESUME, /* loaded from the journal after a restart */
    EV_REFUND, /* the cashier refunds (part of) a PAID payment */
    EV_QR,     /* the customer will scan the terminal's QR: channel (a new payment only) */
};

struct engine_event {
    enum engine_event_type type;
    int64_t now;  /* monotonic ms */
    int64_t wall; /* wall clock, unix ms (journal timestamps, and recovery's elapsed time) */
    /* EV_CREATE */
    const char *order_no;
    int64_t amount_fen;
    /* EV_SCAN */
    const char *code;
    enum pay_channel channel; /* EV_SCAN, EV_QR */
    /* EV_REPLY */
    const struct gw_reply *reply;
    /* EV_REFUND */
    const char *refund_no;
    int64_t refund_fen;
    const char *refund_key; /* the caller's idempotency key, or NULL */
};

enum engine_action_type {
    ENGINE_JOURNAL, /* commit the payment (and an event row: name, detail) before anything else */
    ENGINE_SEND,    /* submit a request: op */
    ENGINE_TIMER,   /* arm the payment's one timer at `at` (monotonic ms); replaces any earlier */
    ENGINE_SHOW,    /* the payment changed in a way the cashier should see */
};

struct engine_action {
    enum engine_action_type type;
    enum gw_op op;    /* ENGINE_SEND */
    int64_t at;       /* ENGINE_TIMER */
    const char *name; /* ENGINE_JOURNAL: the transition's name, e.g. "pay_intent" */
    char detail[160]; /* ENGINE_JOURNAL: plain words for the event log */
};

/* The longest step is JOURNAL, SEND, TIMER, SHOW (a cancel decided and sent). */
#define ENGINE_MAX_ACTIONS 4

struct engine_actions {
    int n;
    struct engine_action a[ENGINE_MAX_ACTIONS];
};

enum engine_status {
    ENGINE_OK = 0,
    ENGINE_REFUSED, /* the event makes no sense in this state (e.g. a scan while paying) */
    ENGINE_STALE,   /* a reply or timer nobody is waiting for: ignored, nothing changed */
    ENGINE_INVALID, /* the event itself is malformed (bad amount, refund above paid, ...) */
};

enum engine_status engine_step(struct payment *p, const struct policy *pol,
                               const struct engine_event *ev, struct engine_actions *out);

const char *engine_status_reason(enum engine_status st);

/* Monotonic ms at which an unresolved pay is cancelled if still undecided (0 if none); for a
 * QR payment, when its QR is closed: the end of the countdown the screen shows. */
int64_t engine_cancel_deadline(const struct payment *p, const struct policy *pol);

/* Builds the request for op from the payment (what the loop hands to the gateway). */
void engine_request(const struct payment *p, enum gw_op op, struct gw_request *req);

#endif
