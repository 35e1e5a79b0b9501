/*
 * pay_cause.h - why a payment failed, was cancelled or is still being checked, as a value.
 *
 * The gateway drivers and the engine give each problem plain English words (last_error) for
 * the log and the journal's readers; next to them they set one of these causes, which has no
 * language. The screen words a cause in the cashier's language (ui/cause_text.h), so a Chinese
 * screen never has to show the gateway's English. Causes are journaled by name, never by
 * number: the order here may change, a name may not.
 */
#ifndef POSTERM_PAY_CAUSE_H
#define POSTERM_PAY_CAUSE_H

#include <stdbool.h>
#include <string.h>

enum pay_cause {
    PAY_CAUSE_NONE,  /* nothing to explain */
    PAY_CAUSE_OTHER, /* only the English words explain it (e.g. an older journal) */
    /* the customer's side: a new code or another method is needed */
    PAY_CAUSE_BALANCE,       /* balance (or the card's) not enough */
    PAY_CAUSE_CODE_INVALID,  /* payment code not valid */
    PAY_CAUSE_CODE_EXPIRED,  /* payment code expired */
    PAY_CAUSE_SCAN_AGAIN,    /* the payment did not go through: scan a fresh code */
    PAY_CAUSE_BUYER_LIMIT,   /* the customer's daily or monthly limit */
    PAY_CAUSE_BUYER_ACCOUNT, /* the customer's account cannot pay this way */
    PAY_CAUSE_RISK,          /* refused by the gateway's risk control */
    /* the merchant's side */
    PAY_CAUSE_MERCHANT_LIMIT,  /* the merchant's collection limit */
    PAY_CAUSE_AMOUNT_LIMIT,    /* amount above what the gateway allows */
    PAY_CAUSE_MERCHANT_SETUP,  /* the terminal's merchant settings were refused */
    PAY_CAUSE_REQUEST_REFUSED, /* the request itself was refused (parameter, wording) */
    PAY_CAUSE_ORDER_CONFLICT,  /* order number already used, or another buyer's */
    PAY_CAUSE_ORDER_CLOSED,    /* order closed or reversed without payment */
    /* cancels and refunds */
    PAY_CAUSE_CANCEL_TOO_LATE,  /* past the time a cancel is allowed: refund instead */
    PAY_CAUSE_NOT_CANCELLABLE,  /* the gateway will not cancel this trade */
    PAY_CAUSE_NOT_REFUNDABLE,   /* the trade cannot be refunded (state, closed, unknown) */
    PAY_CAUSE_REFUND_AMOUNT,    /* the refund amount was refused */
    PAY_CAUSE_MERCHANT_BALANCE, /* merchant balance too low to refund */
    PAY_CAUSE_REFUND_BY_HAND,   /* the refund must be finished in the merchant portal */
    PAY_CAUSE_CANCEL_RETRY,     /* the gateway asked for the cancel to be sent again */
    /* no definite answer (yet) */
    PAY_CAUSE_NO_ANSWER,       /* no HTTP answer: network, DNS, TLS, timeout */
    PAY_CAUSE_BAD_REPLY,       /* an answer that is not believed: signature, format, status */
    PAY_CAUSE_RESULT_UNKNOWN,  /* the gateway answered without saying what happened */
    PAY_CAUSE_NOT_FOUND_YET,   /* the gateway does not know the order (yet) */
    PAY_CAUSE_AMOUNT_MISMATCH, /* the gateway stated another amount: not believed */
    /* the terminal's own decisions */
    PAY_CAUSE_ABORTED,               /* the cashier aborted: cancelled */
    PAY_CAUSE_WINDOW_CLOSED,         /* no definite answer within the payment window: cancelled */
    PAY_CAUSE_ABORTED_BEFORE_SCAN,   /* aborted before a code was scanned: nothing sent */
    PAY_CAUSE_RESTARTED_BEFORE_SCAN, /* the terminal restarted before a code was scanned */
};
#define PAY_CAUSE_LAST PAY_CAUSE_RESTARTED_BEFORE_SCAN

static inline const char *pay_cause_name(enum pay_cause c)
{
    switch (c) {
    case PAY_CAUSE_NONE: return "";
    case PAY_CAUSE_OTHER: return "other";
    case PAY_CAUSE_BALANCE: return "balance";
    case PAY_CAUSE_CODE_INVALID: return "code_invalid";
    case PAY_CAUSE_CODE_EXPIRED: return "code_expired";
    case PAY_CAUSE_SCAN_AGAIN: return "scan_again";
    case PAY_CAUSE_BUYER_LIMIT: return "buyer_limit";
    case PAY_CAUSE_BUYER_ACCOUNT: return "buyer_account";
    case PAY_CAUSE_RISK: return "risk";
    case PAY_CAUSE_MERCHANT_LIMIT: return "merchant_limit";
    case PAY_CAUSE_AMOUNT_LIMIT: return "amount_limit";
    case PAY_CAUSE_MERCHANT_SETUP: return "merchant_setup";
    case PAY_CAUSE_REQUEST_REFUSED: return "request_refused";
    case PAY_CAUSE_ORDER_CONFLICT: return "order_conflict";
    case PAY_CAUSE_ORDER_CLOSED: return "order_closed";
    case PAY_CAUSE_CANCEL_TOO_LATE: return "cancel_too_late";
    case PAY_CAUSE_NOT_CANCELLABLE: return "not_cancellable";
    case PAY_CAUSE_NOT_REFUNDABLE: return "not_refundable";
    case PAY_CAUSE_REFUND_AMOUNT: return "refund_amount";
    case PAY_CAUSE_MERCHANT_BALANCE: return "merchant_balance";
    case PAY_CAUSE_REFUND_BY_HAND: return "refund_by_hand";
    case PAY_CAUSE_CANCEL_RETRY: return "cancel_retry";
    case PAY_CAUSE_NO_ANSWER: return "no_answer";
    case PAY_CAUSE_BAD_REPLY: return "bad_reply";
    case PAY_CAUSE_RESULT_UNKNOWN: return "result_unknown";
    case PAY_CAUSE_NOT_FOUND_YET: return "not_found_yet";
    case PAY_CAUSE_AMOUNT_MISMATCH: return "amount_mismatch";
    case PAY_CAUSE_ABORTED: return "aborted";
    case PAY_CAUSE_WINDOW_CLOSED: return "window_closed";
    case PAY_CAUSE_ABORTED_BEFORE_SCAN: return "aborted_before_scan";
    case PAY_CAUSE_RESTARTED_BEFORE_SCAN: return "restarted_before_scan";
    }
    return "other";
}

/* A name this build does not know (a newer build's journal) reads as OTHER: the English
 * words journaled with it still explain it. */
static inline enum pay_cause pay_cause_from_name(const char *name)
{
    for (int c = PAY_CAUSE_NONE; c <= PAY_CAUSE_LAST; c++)
        if (strcmp(name, pay_cause_name((enum pay_cause)c)) == 0)
            return (enum pay_cause)c;
    return PAY_CAUSE_OTHER;
}

#endif
