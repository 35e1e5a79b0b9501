/*
 * policy.h - when to query, when to give up and cancel, how fast to retry.
 *
 * All durations are milliseconds. The defaults follow common barcode-pay practice (query an
 * undecided pay within seconds, give the customer under a minute, never reverse a WeChat pay
 * within 15 s of it: drivers/gateway/README.md W5); every one is overridable in the config
 * file.
 */
#ifndef POSTERM_POLICY_H
#define POSTERM_POLICY_H

#include <stdint.h>

struct policy {
    int64_t first_query_ms;   /* after a PAYING/UNKNOWN pay reply */
    int64_t query_every_ms;   /* between later queries */
    int64_t window_ms;        /* payment window, from the moment the pay request left */
    int64_t min_cancel_ms;    /* never cancel sooner than this after the pay request */
    int64_t qr_window_ms;     /* a QR payment's window, from its create: then it is closed */
    int64_t backoff_first_ms; /* first retry of a cancel or refund */
    int64_t backoff_max_ms;   /* retries double up to this, and go on forever */
    /* The transport's own timeout for each request (config http.*_timeout_ms); the engine
     * gives every request in flight this long plus reply_margin_ms before it counts the
     * reply as lost (UNKNOWN), so no payment waits on a reply that will never come. */
    int64_t pay_timeout_ms;
    int64_t query_timeout_ms;
    int64_t cancel_timeout_ms;
    int64_t refund_timeout_ms;
    int64_t reply_margin_ms;
};

/* 3 s, 5 s, 45 s, 15 s, QR 120 s, 2 s, 60 s. */
struct policy policy_default(void);

/* Returns NULL if the policy is coherent, else a sentence naming the field at fault. */
const char *policy_check(const struct policy *p);

/* The next back-off after `current` (0 = first): doubles from backoff_first up to backoff_max. */
int64_t policy_next_backoff(const struct policy *p, int64_t current);

#endif
