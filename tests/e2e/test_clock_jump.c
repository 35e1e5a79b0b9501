/*
 * test_clock_jump.c - the wall clock moved an hour back or forward in the middle of a payment
 * neither cancels it early nor lets it wait forever.
 *
 * usage: test_clock_jump PATH/TO/posterm-sim
 *
 * The real event loop (app/loop.c) runs in this process with a real journal file and the real
 * gateway client against a real posterm-sim; only the loop's clock is ours (struct
 * loop_clock: the system's clocks plus offsets we move). The engine times a payment on the
 * monotonic clock and uses the wall clock only to carry the elapsed time across a restart:
 *   a. in one run, wall +1 h then -1 h while the customer confirms: the cancel moment does not
 *      move and the payment ends PAID;
 *   b. restart with the wall clock 1 h back: the resumed payment gets its whole window again
 *      (never less, never more) and ends PAID within it;
 *   c. restart with the wall clock 1 h forward: the window is over, the cancel is decided
 *      during recovery and lands; it does not wait.
 * A "restart" closes the loop, the gateway client and the journal without finishing anything
 * and opens them again, as a new process would.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "config.h"
#include "engine.h"
#include "gateway.h"
#include "journal.h"
#include "loop.h"
#include "sim_client.h"
#include "sim_gateway_config.h"

#define HOUR_MS           INT64_C(3600000)
#define ALIPAY_CONFIRMING "2876543210123403" /* ..03: the customer confirms, then pays */

static struct simproc sim;
static struct config cfg;

/* --- the clock: the system's, plus offsets the test moves ------------------------------- */

static int64_t wall_offset;

static int64_t clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
static int64_t fake_mono(void *ctx)
{
    (void)ctx;
    return clock_ms(CLOCK_MONOTONIC);
}
static int64_t fake_wall(void *ctx)
{
    (void)ctx;
    return clock_ms(CLOCK_REALTIME) + wall_offset;
}
static const struct loop_clock fake_clock = {fake_mono, fake_wall, NULL};

/* --- what the loop tells its front ----------------------------------------------------- */

static struct payment last; /* the payment as last shown */
static char events[64][24]; /* transition names, in order */
static int nevents;

static void on_change(void *ctx, const struct payment *p, const char *event)
{
    (void)ctx;
    last = *p;
    if (event[0] && nevents < 64 && (nevents == 0 || strcmp(events[nevents - 1], event) != 0))
        snprintf(events[nevents++], sizeof events[0], "%s", event);
}

static void on_message(void *ctx, const struct loop_message *m)
{
    (void)ctx;
    printf("  [%s] %s\n",
           m->level == LOOP_ERROR  ? "error"
           : m->level == LOOP_WARN ? "warn"
                                   : "info",
           m->text);
}

static bool saw(const char *event)
{
    for (int i = 0; i < nevents; i++)
        if (strcmp(events[i], event) == 0)
            return true;
    return false;
}

/* --- one "process": journal, gateway client and loop ------------------------------------ */

struct run {
    struct journal *journal;
    struct gateway *gateway;
    struct loop *loop;
};

static bool start(struct run *r)
{
    char err[512];
    struct loop_observer obs = {.payment_changed = on_change, .message = on_message};
    memset(r, 0, sizeof *r);
    if (journal_open(&r->journal, cfg.journal_path, err, sizeof err) != JOURNAL_OK ||
        gateway_open(&r->gateway, &cfg.gateway, err, sizeof err) != GATEWAY_OK) {
        fprintf(stderr, "start: %s\n", err);
        return false;
    }
    return loop_open(&r->loop, &cfg, r->journal, NULL, r->gateway, NULL, &fake_clock, &obs) ==
           LOOP_OK;
}

/* Everything stops where it is, as when the power goes: nothing is finished or cancelled. */
static void stop(struct run *r)
{
    loop_close(r->loop);
    gateway_close(r->gateway);
    journal_close(r->journal);
}

/* Polls the loop until the shown payment is in state, or timeout_ms of real time passes. */
static bool run_until(struct run *r, enum pay_state state, int64_t timeout_ms)
{
    int64_t until = fake_mono(NULL) + timeout_ms;
    while (fake_mono(NULL) < until) {
        if (last.state == state && last.order_no[0])
            return true;
        loop_poll(r->loop, NULL, 0, 50);
    }
    return last.state == state;
}

/* Recovery loads the unresolved payments; the loop resumes them on its first turns. */
static bool recover(struct run *r, int *resumed)
{
    if (loop_recover(r->loop, resumed) != LOOP_OK)
        return false;
    for (int turn = 0; turn < 20 && !saw("resumed") && !saw("cancel_decided"); turn++)
        loop_poll(r->loop, NULL, 0, 50);
    return true;
}

static int64_t deadline_of_last(void)
{
    return engine_cancel_deadline(&last, &cfg.policy);
}

/* Starts a payment the customer confirms for `seconds`, and runs until it is QUERYING. */
static bool pay_confirming(struct run *r, int seconds, char order[ORDER_NO_MAX + 1])
{
    char script[128];
    snprintf(script, sizeof script, "{\"scenario\":\"confirm_then_paid\",\"seconds\":%d}", seconds);
    nevents = 0;
    memset(&last, 0, sizeof last);
    if (!sim_script(&sim, script) || loop_start_payment(r->loop, 1230) != LOOP_OK ||
        loop_scan(r->loop, ALIPAY_CONFIRMING) != LOOP_OK)
        return false;
    snprintf(order, ORDER_NO_MAX + 1, "%s", last.order_no);
    return run_until(r, PAY_QUERYING, 5000) && last.customer_confirming;
}

/* The simulator's word on an order: charged (1/0) and its state. */
static void gateway_says(const char *order, int *charged, char *state, size_t statelen)
{
    cJSON *audit = sim_audit(&sim);
    const cJSON *t = audit ? audit_trade(audit, order) : NULL;
    *charged = t ? cJSON_GetObjectItem(t, "charged")->valueint : -1;
    snprintf(state, statelen, "%s", t ? json_text(t, "state") : "none");
    cJSON_Delete(audit);
}

/* --- the three cases --------------------------------------------------------------------- */

static void wall_jumps_within_one_run(void)
{
    struct run r;
    char order[ORDER_NO_MAX + 1];
    wall_offset = 0;
    CHECK(start(&r));
    CHECK(pay_confirming(&r, 3, order));
    int64_t cancel_at = deadline_of_last();
    int64_t cancel_at_loop = loop_cancel_at(r.loop);
    CHECK(cancel_at > 0 && cancel_at == cancel_at_loop);

    wall_offset = HOUR_MS; /* an hour forward: past the window by the wall clock */
    for (int i = 0; i < 10; i++)
        loop_poll(r.loop, NULL, 0, 50);
    CHECK_EQ_INT(loop_cancel_at(r.loop), cancel_at);
    CHECK(!saw("cancel_decided"));
    wall_offset = -HOUR_MS; /* an hour back */
    for (int i = 0; i < 10; i++)
        loop_poll(r.loop, NULL, 0, 50);
    CHECK_EQ_INT(loop_cancel_at(r.loop), cancel_at);

    int64_t t0 = fake_mono(NULL);
    CHECK(run_until(&r, PAY_PAID, cfg.policy.window_ms + 5000));
    CHECK(!saw("cancel_decided"));
    CHECK(fake_mono(NULL) <= cancel_at); /* paid inside the window it had from the start */
    int charged;
    char state[32];
    gateway_says(order, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, 1);
    CHECK_EQ_STR(state, "charged");
    printf("a. wall +1 h, then -1 h mid-payment: %s ended %s %.1f s later, cancel moment unmoved\n",
           order, pay_state_name(last.state), (double)(fake_mono(NULL) - t0) / 1000);
    stop(&r);
}

static void restart_with_wall_back(void)
{
    struct run r;
    char order[ORDER_NO_MAX + 1];
    wall_offset = 0;
    CHECK(start(&r));
    CHECK(pay_confirming(&r, 4, order));
    stop(&r);

    wall_offset = -HOUR_MS;
    nevents = 0;
    CHECK(start(&r));
    int resumed = 0;
    CHECK(recover(&r, &resumed));
    CHECK_EQ_INT(resumed, 1);
    CHECK_EQ_STR(last.order_no, order);
    CHECK(saw("resumed"));
    /* The whole window again, measured from now: not less (cancelled early), not more. */
    int64_t left = deadline_of_last() - loop_now(r.loop);
    CHECK(left > cfg.policy.window_ms - 500 && left <= cfg.policy.window_ms);
    CHECK(run_until(&r, PAY_PAID, cfg.policy.window_ms + 5000));
    CHECK(!saw("cancel_decided"));
    int charged;
    char state[32];
    gateway_says(order, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, 1);
    CHECK_EQ_STR(state, "charged");
    printf("b. restart with the wall clock 1 h back: %s resumed with %.1f s of window, ended %s\n",
           order, (double)left / 1000, pay_state_name(last.state));
    stop(&r);
}

static void restart_with_wall_forward(void)
{
    struct run r;
    char order[ORDER_NO_MAX + 1];
    wall_offset = 0;
    CHECK(start(&r));
    CHECK(pay_confirming(&r, 30, order)); /* the customer would confirm for half a minute */
    stop(&r);

    wall_offset = HOUR_MS;
    nevents = 0;
    CHECK(start(&r));
    int resumed = 0;
    int64_t t0 = fake_mono(NULL);
    CHECK(recover(&r, &resumed));
    CHECK_EQ_INT(resumed, 1);
    CHECK(saw("cancel_decided")); /* decided on resuming, before any wait */
    CHECK(!saw("resumed"));
    CHECK(run_until(&r, PAY_CANCELLED, 15000));
    int charged;
    char state[32];
    gateway_says(order, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, 0);
    CHECK_EQ_STR(state, "cancelled");
    printf("c. restart with the wall clock 1 h forward: %s cancelled %.1f s after the restart "
           "(gateway: %s)\n",
           order, (double)(fake_mono(NULL) - t0) / 1000, state);
    stop(&r);
}

/* --- set-up: posterm's settings for this simulator -------------------------------------- */

static bool configure(const char *gw_json)
{
    config_defaults(&cfg);
    if (!sim_gateway_config_read(gw_json, &cfg.gateway))
        return false;
    snprintf(cfg.terminal_id, sizeof cfg.terminal_id, "CLK1");
    snprintf(cfg.gateway.terminal_id, sizeof cfg.gateway.terminal_id, "CLK1");
    if (snprintf(cfg.journal_path, sizeof cfg.journal_path, "%s/journal.db", sim.dir) >=
        (int)sizeof cfg.journal_path)
        return false;
    snprintf(cfg.scanner.source, sizeof cfg.scanner.source, "none");
    cfg.policy = (struct policy){.first_query_ms = 300,
                                 .query_fast_every_ms = 500,
                                 .query_every_ms = 500,
                                 .window_ms = 6000,
                                 .min_cancel_ms = 1500,
                                 .qr_window_ms = 120000,
                                 .backoff_first_ms = 200,
                                 .backoff_max_ms = 1000,
                                 .pay_timeout_ms = 3000,
                                 .query_timeout_ms = 2000,
                                 .cancel_timeout_ms = 2000,
                                 .refund_timeout_ms = 3000,
                                 .reply_margin_ms = 1000};
    cfg.gateway.connect_timeout_ms = 1000;
    cfg.gateway.pay_timeout_ms = 3000;
    cfg.gateway.query_timeout_ms = 2000;
    cfg.gateway.cancel_timeout_ms = 2000;
    cfg.gateway.refund_timeout_ms = 3000;
    return policy_check(&cfg.policy) == NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_clock_jump PATH/TO/posterm-sim\n");
        return 2;
    }
    char gw_json[320];
    if (!simproc_prepare(&sim, argv[1]))
        return 1;
    snprintf(gw_json, sizeof gw_json, "%s/gw.json", sim.dir);
    const char *extra[] = {"--config-out", gw_json, "--quiet", NULL};
    if (!simproc_start(&sim, extra) || !configure(gw_json)) {
        fprintf(stderr, "cannot start posterm-sim or read its settings\n");
        simproc_cleanup(&sim);
        return 1;
    }
    wall_jumps_within_one_run();
    restart_with_wall_back();
    restart_with_wall_forward();
    simproc_stop(&sim);
    simproc_cleanup(&sim);
    return check_done();
}
