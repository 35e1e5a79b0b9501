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
    int64_t first_query_ms; /* after a PAYING/UNKNOWN pay reply */
    /* While the customer is most likely confirming on the phone (the first query_fast_for_ms
     * from the pay request), queries follow each other query_fast_every_ms apart, so "paid"
     * shows soon after they confirm; later ones query_every_ms apart. The fast phase never
     * queries slower than query_every_ms. Neither gateway publishes a per-order query limit;
     * the 2 s default is the pace published integration guides recommend in this phase
     * (drivers/gateway/README.md "Query cadence"). */
    int64_t query_fast_every_ms;
    int64_t query_fast_for_ms;
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

/* Queries 1 s after the pay reply, every 2 s for 20 s from the pay request, then every 5 s;
 * window 45 s, no cancel before 15 s, QR 120 s, back-off 2 s doubling to 60 s. */
struct policy policy_default(void);

/* Returns NULL if the policy is coherent, else a sentence naming the field at fault. */
const char *policy_check(const struct policy *p);

/* The gap before the next query of a payment whose pay request left since_pay_ms ago. */
int64_t policy_next_query_gap(const struct policy *p, int64_t since_pay_ms);

/* The next back-off after `current` (0 = first): doubles from backoff_first up to backoff_max. */
int64_t policy_next_backoff(const struct policy *p, int64_t current);

#endif
