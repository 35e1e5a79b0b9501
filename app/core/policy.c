/*
 * policy.c - the timing rules' defaults and their sanity checks.
 */
#include "policy.h"

struct policy policy_default(void)
{
    return (struct policy){
        .first_query_ms = 1000,
        .query_fast_every_ms = 2000,
        .query_fast_for_ms = 20000,
        .query_every_ms = 5000,
        .window_ms = 45000,
        .min_cancel_ms = 15000,
        .qr_window_ms = 120000,
        .backoff_first_ms = 2000,
        .backoff_max_ms = 60000,
        .pay_timeout_ms = 15000,
        .query_timeout_ms = 5000,
        .cancel_timeout_ms = 10000,
        .refund_timeout_ms = 15000,
        .reply_margin_ms = 5000,
    };
}

const char *policy_check(const struct policy *p)
{
    if (p->first_query_ms < 100)
        return "first_query_ms: must be at least 100";
    if (p->query_every_ms < 100)
        return "query_every_ms: must be at least 100";
    if (p->query_fast_every_ms < 100)
        return "query_fast_every_ms: must be at least 100";
    if (p->query_fast_for_ms < 0)
        return "query_fast_for_ms: must not be negative";
    if (p->min_cancel_ms < 0)
        return "min_cancel_ms: must not be negative";
    if (p->window_ms < p->min_cancel_ms)
        return "window_ms: must not be shorter than min_cancel_ms";
    if (p->qr_window_ms < 1000)
        return "qr_window_ms: must be at least 1000";
    if (p->backoff_first_ms < 100)
        return "backoff_first_ms: must be at least 100";
    if (p->backoff_max_ms < p->backoff_first_ms)
        return "backoff_max_ms: must not be shorter than backoff_first_ms";
    if (p->pay_timeout_ms <= 0 || p->query_timeout_ms <= 0 || p->cancel_timeout_ms <= 0 ||
        p->refund_timeout_ms <= 0)
        return "http timeouts: must be above 0";
    if (p->reply_margin_ms < 0)
        return "reply_margin_ms: must not be negative";
    return 0;
}

int64_t policy_next_query_gap(const struct policy *p, int64_t since_pay_ms)
{
    if (since_pay_ms < p->query_fast_for_ms && p->query_fast_every_ms < p->query_every_ms)
        return p->query_fast_every_ms;
    return p->query_every_ms;
}

int64_t policy_next_backoff(const struct policy *p, int64_t current)
{
    if (current <= 0)
        return p->backoff_first_ms;
    if (current >= p->backoff_max_ms / 2)
        return p->backoff_max_ms;
    return current * 2;
}
