/*
 * payment.h - the record of one payment, as the core decides it and the journal keeps it.
 *
 * This is plain data shared by the core (which changes it), storage/ (which persists it)
 * and ui/ (which shows it). Only the engine changes a payment's state; everyone else reads.
 * Money is int64 fen everywhere; never a float.
 */
#ifndef POSTERM_PAYMENT_H
#define POSTERM_PAYMENT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "pay_cause.h"

enum pay_channel {
    CHANNEL_NONE = 0,
    CHANNEL_WECHAT = 1,
    CHANNEL_ALIPAY = 2,
};

/* The lifecycle (ARCHITECTURE.md "The payment lifecycle"). Values are stored in the journal
 * by name, never by number, so the order here may change. */
enum pay_state {
    PAY_NEW,        /* order created, nothing sent */
    PAY_PAYING,     /* intent journaled, pay request out, no reply yet */
    PAY_QUERYING,   /* pay answered PAYING or UNKNOWN: polling within the window */
    PAY_CANCELLING, /* decided to cancel: retried until the gateway answers definitely */
    PAY_PAID,       /* final (may still be refunded) */
    PAY_FAILED,     /* final: definite failure, no money taken */
    PAY_CANCELLED,  /* final: cancelled; cancel_refunded says whether money had to go back */
    PAY_REFUNDING,  /* a refund of a PAID payment is being sent */
    PAY_REFUNDED,   /* final: fully refunded */
    PAY_REFERRED,   /* final for the terminal: left for the merchant (the gateway shows another
                     * amount for our order number, or a refund it cannot finish); listed in
                     * the end-of-day report until settled in the merchant portal */
};

/* How the customer pays: the terminal scans the customer's payment code, or the customer scans
 * the terminal's QR (a dynamic QR order, engine.c "dynamic QR"). Journaled by name. */
enum pay_kind {
    PAY_KIND_BARCODE = 0,
    PAY_KIND_QR = 1,
};

#define ORDER_NO_MAX  32 /* WeChat's limit on out_trade_no / out_refund_no */
#define AUTH_CODE_MAX 32 /* longest payment code accepted (Alipay: 24) */

/* The longest QR payload believed (gateway_port.h GW_QR_PAYLOAD_MAX). */
#define QR_PAYLOAD_MAX 128

struct payment {
    /* --- journaled --- */
    char order_no[ORDER_NO_MAX + 1];
    enum pay_channel channel;
    int64_t amount_fen;
    char auth_code[AUTH_CODE_MAX + 1]; /* memory only: from the scan until the pay request is
                                        * built, then wiped; never journaled */
    char code_last4[5];
    enum pay_state state;
    bool abort_requested;      /* cashier asked to abort; cancel goes out after the minimum gap */
    bool cancel_refunded;      /* the cancel reported money returned (a paid trade reversed) */
    int64_t created_at;        /* wall clock, unix ms */
    int64_t pay_sent_at;       /* wall clock, unix ms, when the pay request left; 0 = never */
    int64_t updated_at;        /* wall clock, unix ms */
    uint32_t queries;          /* query requests sent (journaled with the next transition) */
    uint32_t cancels;          /* cancel requests sent (journaled with the next transition) */
    char trade_no[65];         /* gateway's trade number once known */
    char last_error[160];      /* plain words, no secrets (journaled with the next transition) */
    enum pay_cause last_cause; /* the same, as a value the screen words in its language */
    int64_t refunded_fen;      /* refunded so far (partial refunds add up) */
    char refund_no[ORDER_NO_MAX + 1]; /* the refund in progress, else the last one sent */
    int64_t refund_fen;               /* amount of the refund in progress; 0 = none */
    uint32_t request_seq;             /* requests sent for this payment; each request's id */
    char refund_key[65]; /* the refund in progress: the caller's idempotency key ("" = none),
                          * journaled with its refund row */
    enum pay_kind kind;  /* barcode, or a QR the customer scans */
    char qr_payload[QR_PAYLOAD_MAX + 1]; /* QR: what the QR encodes, once a believed create gave
                                          * it ("" before): journaled before it is shown, so a
                                          * restart shows the same QR. Not a secret */
    int32_t qr_window_s; /* QR: the window the create asked the gateway for, seconds */

    /* --- this process only (rebuilt by recovery) --- */
    int64_t sent_mono;        /* monotonic ms when the pay request left (or reconstructed) */
    int64_t timer_at;         /* monotonic ms of the armed timer; 0 = none */
    int64_t backoff_ms;       /* current cancel/refund retry delay */
    bool in_flight;           /* a request is out and its reply not yet in */
    int in_flight_op;         /* which one (enum gw_op): a reply of another op is stale */
    uint32_t in_flight_id;    /* its request id: a reply with another id is stale */
    int64_t reply_deadline;   /* monotonic ms: no reply by then counts as UNKNOWN */
    bool customer_confirming; /* last reply said PAYING (for the screen) */
};

static inline const char *pay_state_name(enum pay_state s)
{
    switch (s) {
    case PAY_NEW: return "NEW";
    case PAY_PAYING: return "PAYING";
    case PAY_QUERYING: return "QUERYING";
    case PAY_CANCELLING: return "CANCELLING";
    case PAY_PAID: return "PAID";
    case PAY_FAILED: return "FAILED";
    case PAY_CANCELLED: return "CANCELLED";
    case PAY_REFUNDING: return "REFUNDING";
    case PAY_REFUNDED: return "REFUNDED";
    case PAY_REFERRED: return "REFERRED";
    }
    return "?";
}

/* Returns false when name is not a state's name. */
static inline bool pay_state_from_name(const char *name, enum pay_state *out)
{
    for (int s = PAY_NEW; s <= PAY_REFERRED; s++) {
        if (strcmp(name, pay_state_name((enum pay_state)s)) == 0) {
            *out = (enum pay_state)s;
            return true;
        }
    }
    return false;
}

/* Unresolved: the terminal still owes this payment work (recovery resumes these). */
static inline bool pay_state_unresolved(enum pay_state s)
{
    return s == PAY_NEW || s == PAY_PAYING || s == PAY_QUERYING || s == PAY_CANCELLING ||
           s == PAY_REFUNDING;
}

/* Not started: failed before any payment code was scanned (the amount abandoned, or the
 * terminal restarted first), so nothing ever reached a gateway. History and reports show it
 * apart from a failure, which a cashier would read as a customer turned away. */
static inline bool pay_not_started(const struct payment *p)
{
    return p->state == PAY_FAILED && (p->last_cause == PAY_CAUSE_ABORTED_BEFORE_SCAN ||
                                      p->last_cause == PAY_CAUSE_RESTARTED_BEFORE_SCAN);
}

static inline const char *pay_kind_name(enum pay_kind k)
{
    return k == PAY_KIND_QR ? "qr" : "barcode";
}

/* Returns false when name is not a kind's name. */
static inline bool pay_kind_from_name(const char *name, enum pay_kind *out)
{
    if (strcmp(name, "barcode") == 0)
        *out = PAY_KIND_BARCODE;
    else if (strcmp(name, "qr") == 0)
        *out = PAY_KIND_QR;
    else
        return false;
    return true;
}

static inline const char *pay_channel_name(enum pay_channel c)
{
    switch (c) {
    case CHANNEL_WECHAT: return "wechat";
    case CHANNEL_ALIPAY: return "alipay";
    case CHANNEL_NONE: break;
    }
    return "none";
}

static inline enum pay_channel pay_channel_from_name(const char *name)
{
    if (strcmp(name, "wechat") == 0)
        return CHANNEL_WECHAT;
    if (strcmp(name, "alipay") == 0)
        return CHANNEL_ALIPAY;
    return CHANNEL_NONE;
}

#endif
