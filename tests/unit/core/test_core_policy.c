/*
 * test_core_policy.c - the timing rules: the documented defaults, a sentence naming the
 * field at fault for each incoherent policy, the query cadence (fast while the customer is
 * likely confirming, then slower) and the back-off that doubles up to its cap.
 */
#include "check.h"
#include "policy.h"

static void expect_rejected(struct policy p, const char *field)
{
    const char *why = policy_check(&p);
    CHECK(why != NULL);
    if (why && strncmp(why, field, strlen(field)) != 0)
        fprintf(stderr, "  \"%s\" does not name %s\n", why, field);
    CHECK(why && strncmp(why, field, strlen(field)) == 0);
}

static void test_defaults(void)
{
    struct policy p = policy_default();
    CHECK_EQ_INT(p.first_query_ms, 1000);
    CHECK_EQ_INT(p.query_fast_every_ms, 2000);
    CHECK_EQ_INT(p.query_fast_for_ms, 20000);
    CHECK_EQ_INT(p.query_every_ms, 5000);
    CHECK_EQ_INT(p.window_ms, 45000);
    CHECK_EQ_INT(p.min_cancel_ms, 15000);
    CHECK_EQ_INT(p.backoff_first_ms, 2000);
    CHECK_EQ_INT(p.backoff_max_ms, 60000);
    CHECK_EQ_INT(p.qr_window_ms, 120000);
    CHECK(policy_check(&p) == NULL);
}

static void test_check(void)
{
    struct policy p = policy_default();
    p.first_query_ms = 99;
    expect_rejected(p, "first_query_ms");
    p = policy_default();
    p.query_every_ms = 0;
    expect_rejected(p, "query_every_ms");
    p = policy_default();
    p.query_fast_every_ms = 99;
    expect_rejected(p, "query_fast_every_ms");
    p = policy_default();
    p.query_fast_for_ms = -1;
    expect_rejected(p, "query_fast_for_ms");
    p = policy_default();
    p.min_cancel_ms = -1;
    expect_rejected(p, "min_cancel_ms");
    p = policy_default();
    p.window_ms = p.min_cancel_ms - 1;
    expect_rejected(p, "window_ms");
    p = policy_default();
    p.backoff_first_ms = 50;
    expect_rejected(p, "backoff_first_ms");
    p = policy_default();
    p.backoff_max_ms = p.backoff_first_ms - 1;
    expect_rejected(p, "backoff_max_ms");
    p = policy_default();
    p.qr_window_ms = 999;
    expect_rejected(p, "qr_window_ms");

    /* The edges that are still coherent. */
    p = policy_default();
    p.first_query_ms = p.query_every_ms = p.backoff_first_ms = p.backoff_max_ms = 100;
    p.query_fast_every_ms = 100;
    p.query_fast_for_ms = 0;
    p.min_cancel_ms = 0;
    p.window_ms = 0;
    CHECK(policy_check(&p) == NULL);
    p = policy_default();
    p.window_ms = p.min_cancel_ms;
    CHECK(policy_check(&p) == NULL);
    p = policy_default();
    p.qr_window_ms = 1000;
    CHECK(policy_check(&p) == NULL);
}

static void test_backoff(void)
{
    struct policy p = policy_default();
    static const int64_t want[] = {2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000};
    int64_t b = 0;
    for (int i = 0; i < 8; i++) {
        b = policy_next_backoff(&p, b);
        CHECK_EQ_INT(b, want[i]);
    }
    CHECK_EQ_INT(policy_next_backoff(&p, -5), 2000);

    /* Never above the cap and never shrinking, whatever the settings. */
    int bad = 0;
    for (int64_t first = 100; first <= 5000; first += 700) {
        for (int64_t max = first; max <= 90000; max += 3300) {
            p.backoff_first_ms = first;
            p.backoff_max_ms = max;
            int64_t cur = 0;
            for (int i = 0; i < 40; i++) {
                int64_t next = policy_next_backoff(&p, cur);
                if (next > max || next < first || next < cur)
                    bad++;
                cur = next;
            }
            if (cur != max)
                bad++;
        }
    }
    CHECK_EQ_INT(bad, 0);
}

static void test_query_gap(void)
{
    struct policy p = policy_default();
    /* Fast from the pay request to query_fast_for_ms (exclusive), then the later pace. */
    CHECK_EQ_INT(policy_next_query_gap(&p, 0), 2000);
    CHECK_EQ_INT(policy_next_query_gap(&p, 19999), 2000);
    CHECK_EQ_INT(policy_next_query_gap(&p, 20000), 5000);
    CHECK_EQ_INT(policy_next_query_gap(&p, 600000), 5000);
    /* A clock that stepped back (a reconstructed send time): still the fast pace. */
    CHECK_EQ_INT(policy_next_query_gap(&p, -3000), 2000);
    /* query_fast_for_ms 0 turns the fast phase off. */
    p.query_fast_for_ms = 0;
    CHECK_EQ_INT(policy_next_query_gap(&p, 0), 5000);
    /* The fast phase never slows querying down (a lab policy querying every 500 ms). */
    p = policy_default();
    p.query_every_ms = 500;
    CHECK_EQ_INT(policy_next_query_gap(&p, 1000), 500);
}

int main(void)
{
    test_defaults();
    test_check();
    test_query_gap();
    test_backoff();
    return check_done();
}
