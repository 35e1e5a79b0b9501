/*
 * test_sim_control.c - the simulator as a process tests drive: start-up contract (port file,
 * ready line, config fragment), the control endpoints (health, script, replay, unreachable,
 * clock), the audit of order numbers used twice, the ledger surviving a restart, and a clean
 * exit on SIGTERM.
 *
 * usage: test_sim_control PATH/TO/posterm-sim
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "sim_client.h"

static struct simproc sim;

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *text = calloc(1, 65536);
    if (text != NULL)
        fread(text, 1, 65535, f);
    fclose(f);
    return text;
}

static void pay_fen(const char *order, const char *code, long fen, struct http_result *r)
{
    char body[768];
    snprintf(body, sizeof body,
             "{\"appid\":\"%s\",\"mchid\":\"%s\",\"description\":\"x\",\"out_trade_no\":\"%s\","
             "\"payer\":{\"auth_code\":\"%s\"},\"amount\":{\"total\":%ld,\"currency\":\"CNY\"},"
             "\"scene_info\":{\"store_info\":{\"out_id\":\"T0001\"}}}",
             SIM_WECHAT_APPID, SIM_WECHAT_MCHID, order, code, fen);
    wechat_call(&sim, "POST", "/v3/pay/transactions/codepay", body, 10000, r);
}

static void pay(const char *order, const char *code, struct http_result *r)
{
    pay_fen(order, code, 100, r);
}

static void alipay_pay(const char *order, const char *code, struct http_result *r)
{
    char biz[256];
    snprintf(biz, sizeof biz,
             "{\"out_trade_no\":\"%s\",\"scene\":\"bar_code\",\"auth_code\":\"%s\","
             "\"subject\":\"x\",\"total_amount\":\"1.00\"}",
             order, code);
    alipay_call(&sim, "alipay.trade.pay", biz, NULL, 10000, r);
}

static double num(const cJSON *o, const char *key)
{
    return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static void alipay_query(const char *order, struct http_result *r)
{
    char biz[128];
    snprintf(biz, sizeof biz, "{\"out_trade_no\":\"%s\"}", order);
    alipay_call(&sim, "alipay.trade.query", biz, NULL, 10000, r);
}

static void test_startup_contract(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/stdout.log", sim.dir);
    char *out = slurp(path), expect[96];
    snprintf(expect, sizeof expect, "posterm-sim listening on http://127.0.0.1:%d\n", sim.port);
    CHECK(out != NULL && strstr(out, expect) != NULL);
    free(out);

    snprintf(path, sizeof path, "%s/gateway.json", sim.dir);
    char *text = slurp(path);
    cJSON *cfg = cJSON_Parse(text ? text : "");
    free(text);
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/gateway.do", sim.port);
    const cJSON *gw = cJSON_GetObjectItemCaseSensitive(cfg, "gateway");
    const cJSON *ali = cJSON_GetObjectItemCaseSensitive(gw, "alipay");
    const cJSON *wx = cJSON_GetObjectItemCaseSensitive(gw, "wechat");
    CHECK_EQ_STR(json_text(ali, "base_url"), url);
    CHECK_EQ_STR(json_text(ali, "app_id"), SIM_ALIPAY_APP_ID);
    CHECK_EQ_STR(json_text(wx, "merchant_id"), SIM_WECHAT_MCHID);
    CHECK(strstr(json_text(wx, "private_key_file"), SIM_FILE_WECHAT_MERCHANT_PRIVATE) != NULL);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(gw, "tls_verify")));
    cJSON_Delete(cfg);

    struct http_result r;
    CHECK(sim_http(&sim, "GET", "/_sim/health", NULL, 5000, &r));
    CHECK_EQ_INT(r.status, 200);
    cJSON *h = cJSON_Parse(r.body);
    CHECK_EQ_STR(json_text(h, "status"), "ok");
    CHECK_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(h, "port")), sim.port);
    /* connections accepted so far: at least this request's */
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(h, "connections")) >= 1);
    cJSON_Delete(h);
    http_result_free(&r);

    CHECK(sim_http(&sim, "GET", "/nowhere", NULL, 5000, &r));
    CHECK_EQ_INT(r.status, 404);
    http_result_free(&r);
}

static void test_script(void)
{
    struct http_result r;
    /* Bad entries are refused with a reason and queue nothing. */
    static const char *const bad[] = {
        "not json",
        "{\"scenario\":\"no_such_thing\"}",
        "{\"scenario\":\"http_503\",\"count\":0}",
        "{\"scenario\":\"http_503\",\"op\":\"sing\"}",
        "{\"scenario\":\"http_503\",\"channel\":\"visa\"}",
        "{\"scenario\":\"slow_reply\",\"seconds\":-1}",
        "{\"scenario\":\"http_503\",\"commit\":\"yes\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(sim_http(&sim, "POST", "/_sim/script", bad[i], 5000, &r));
        CHECK_EQ_INT(r.status, 400);
        cJSON *e = cJSON_Parse(r.body);
        CHECK(json_text(e, "error")[0] != '\0');
        cJSON_Delete(e);
        http_result_free(&r);
    }

    /* Two 503s for WeChat only: Alipay is untouched, the third WeChat request is normal. */
    CHECK(sim_script(&sim, "[{\"scenario\":\"http_503\",\"count\":2,\"channel\":\"wechat\"}]"));
    char order[33];
    test_order_no(order, "C");
    alipay_query(order, &r);
    CHECK_EQ_INT(r.status, 200);
    http_result_free(&r);
    for (int i = 0; i < 2; i++) {
        test_order_no(order, "C");
        pay(order, "134567890123456700", &r);
        CHECK_EQ_INT(r.status, 503);
        http_result_free(&r);
    }
    test_order_no(order, "C");
    pay(order, "134567890123456700", &r);
    CHECK_EQ_INT(r.status, 200);
    http_result_free(&r);

    /* A script overrides the code's own scenario; DELETE forgets what is queued. */
    CHECK(sim_script(&sim, "{\"scenario\":\"insufficient_funds\",\"count\":5}"));
    test_order_no(order, "C");
    pay(order, "134567890123456700", &r);
    CHECK_EQ_INT(r.status, 403);
    http_result_free(&r);
    CHECK(sim_http(&sim, "DELETE", "/_sim/script", NULL, 5000, &r));
    CHECK_EQ_INT(r.status, 200);
    http_result_free(&r);
    CHECK(sim_http(&sim, "GET", "/_sim/health", NULL, 5000, &r));
    cJSON *h = cJSON_Parse(r.body);
    CHECK_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(h, "script_pending")), 0);
    cJSON_Delete(h);
    http_result_free(&r);
    test_order_no(order, "C");
    pay(order, "134567890123456700", &r);
    CHECK_EQ_INT(r.status, 200);
    http_result_free(&r);
}

static void *slow_query(void *out)
{
    char order[33];
    test_order_no(order, "S");
    alipay_query(order, out); /* held back 30 s; the client would give up after 10 */
    return NULL;
}

static void test_unreachable(void)
{
    struct http_result r;
    CHECK(sim_http(&sim, "POST", "/_sim/unreachable?seconds=0", NULL, 5000, &r));
    CHECK_EQ_INT(r.status, 400);
    http_result_free(&r);

    /* A reply held back when the gateway goes away is cut off, not delivered later. */
    CHECK(sim_script(&sim, "{\"scenario\":\"slow_reply\",\"seconds\":30,\"op\":\"query\"}"));
    pthread_t slow;
    struct http_result slow_reply;
    CHECK(pthread_create(&slow, NULL, slow_query, &slow_reply) == 0);
    for (int i = 0; i < 100; i++) { /* wait until the simulator has the query */
        CHECK(sim_http(&sim, "GET", "/_sim/health", NULL, 5000, &r));
        cJSON *h = cJSON_Parse(r.body);
        double pending =
            cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(h, "script_pending"));
        cJSON_Delete(h);
        http_result_free(&r);
        if (pending == 0)
            break;
        test_sleep_ms(20);
    }

    CHECK(sim_http(&sim, "POST", "/_sim/unreachable?seconds=3", NULL, 5000, &r));
    CHECK_EQ_INT(r.status, 200);
    http_result_free(&r);
    pthread_join(slow, NULL);
    CHECK(slow_reply.rc == CURLE_GOT_NOTHING || slow_reply.rc == CURLE_RECV_ERROR);
    http_result_free(&slow_reply);
    /* Refused, not merely slow: connecting fails at once. */
    int refused = 0, back = 0;
    for (int i = 0; i < 200 && !back; i++) {
        CHECK(sim_http(&sim, "GET", "/_sim/health", NULL, 2000, &r));
        if (r.rc == CURLE_COULDNT_CONNECT)
            refused++;
        else if (r.rc == CURLE_OK && r.status == 200)
            back = refused > 0;
        http_result_free(&r);
        if (!back)
            test_sleep_ms(50);
    }
    CHECK(refused > 0);
    CHECK(back);

    /* And it serves signed requests again, on the same port. */
    char order[33];
    test_order_no(order, "C");
    pay(order, "134567890123456700", &r);
    CHECK_EQ_INT(r.status, 200);
    CHECK(wechat_reply_verified(&sim, &r));
    http_result_free(&r);
    CHECK(sim_http(&sim, "DELETE", "/_sim/script", NULL, 5000, &r));
    http_result_free(&r);
}

/* An HTTP Date header as unix seconds; 0 when absent or not an IMF-fixdate. */
static long long reply_date(const struct http_result *r)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    char v[64], wday[4], mon[4];
    int d, y, hh, mm, ss;
    if (!http_header(r, "Date", v, sizeof v) ||
        sscanf(v, "%3s, %2d %3s %4d %2d:%2d:%2d GMT", wday, &d, mon, &y, &hh, &mm, &ss) != 7 ||
        strstr(months, mon) == NULL)
        return 0;
    int m = (int)(strstr(months, mon) - months) / 3 + 1;
    /* days from 1970-01-01 (Howard Hinnant's days_from_civil) */
    long long yy = y - (m <= 2), era = yy / 400, yoe = yy - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long days = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
    return days * 86400 + hh * 3600 + mm * 60 + ss;
}

static long long reply_wechat_ts(const struct http_result *r)
{
    char v[32];
    return http_header(r, "Wechatpay-Timestamp", v, sizeof v) ? atoll(v) : 0;
}

/* Within a few seconds of want (the request took some time). */
static bool near(long long got, long long want)
{
    return got >= want - 5 && got <= want + 5;
}

static void test_clock(void)
{
    struct http_result r;
    static const char *const bad[] = {"", "{}", "{\"offset_s\":\"900\"}", "{\"offset_s\":1.5}",
                                      "{\"offset_s\":400000000}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(sim_http(&sim, "POST", "/_sim/clock", bad[i], 5000, &r));
        CHECK_EQ_INT(r.status, 400);
        http_result_free(&r);
    }

    /* Untouched, every gateway reply carries the system's time. */
    char order[33];
    test_order_no(order, "K");
    alipay_query(order, &r);
    CHECK(near(reply_date(&r), (long long)time(NULL)));
    http_result_free(&r);

    CHECK(sim_http(&sim, "POST", "/_sim/clock", "{\"offset_s\":900}", 5000, &r));
    CHECK_EQ_INT(r.status, 200);
    cJSON *o = cJSON_Parse(r.body);
    CHECK_EQ_INT(num(o, "offset_s"), 900);
    cJSON_Delete(o);
    http_result_free(&r);
    CHECK(sim_http(&sim, "GET", "/_sim/health", NULL, 5000, &r));
    o = cJSON_Parse(r.body);
    CHECK_EQ_INT(num(o, "clock_offset_s"), 900);
    cJSON_Delete(o);
    http_result_free(&r);

    /* Alipay: a payment goes through; the Date says the gateway's time. */
    test_order_no(order, "K");
    alipay_pay(order, "287654321012345600", &r);
    CHECK_EQ_INT(r.status, 200);
    long long now = (long long)time(NULL);
    CHECK(near(reply_date(&r), now + 900));
    http_result_free(&r);

    /* WeChat: a request stamped with the terminal's (our) time is 15 minutes old to the
     * gateway: refused, in a reply signed with the gateway's time. */
    test_order_no(order, "K");
    char path[160];
    snprintf(path, sizeof path, "/v3/pay/transactions/out-trade-no/%s?mchid=%s", order,
             SIM_WECHAT_MCHID);
    wechat_call(&sim, "GET", path, NULL, 5000, &r);
    CHECK_EQ_INT(r.status, 401);
    CHECK(strstr(r.body ? r.body : "", "SIGN_ERROR") != NULL);
    CHECK(wechat_reply_verified(&sim, &r));
    CHECK(near(reply_wechat_ts(&r), now + 900));
    CHECK(near(reply_date(&r), now + 900));
    http_result_free(&r);
    /* Stamped with the gateway's time, the same request is answered (no such order). */
    wechat_call_with(&sim, "GET", path, NULL, sim.wechat_merchant_private, SIM_WECHAT_MCHID,
                     SIM_WECHAT_MERCHANT_SERIAL, (long long)time(NULL) + 900, 5000, &r);
    CHECK_EQ_INT(r.status, 404);
    CHECK(wechat_reply_verified(&sim, &r));
    CHECK(near(reply_wechat_ts(&r), now + 900));
    http_result_free(&r);

    /* Behind works the same way; 0 puts the clock right again. */
    CHECK(sim_http(&sim, "POST", "/_sim/clock", "{\"offset_s\":-3600}", 5000, &r));
    CHECK_EQ_INT(r.status, 200);
    http_result_free(&r);
    alipay_query(order, &r);
    CHECK(near(reply_date(&r), (long long)time(NULL) - 3600));
    http_result_free(&r);
    CHECK(sim_http(&sim, "POST", "/_sim/clock", "{\"offset_s\":0}", 5000, &r));
    CHECK_EQ_INT(r.status, 200);
    http_result_free(&r);
    wechat_call(&sim, "GET", path, NULL, 5000, &r);
    CHECK_EQ_INT(r.status, 404);
    CHECK(near(reply_wechat_ts(&r), (long long)time(NULL)));
    http_result_free(&r);
}

static void trade_facts(const char *order, double *charged, char *state, size_t size)
{
    cJSON *audit = sim_audit(&sim);
    const cJSON *t = audit_trade(audit, order);
    *charged = t ? num(t, "charged") : -1;
    snprintf(state, size, "%s", t ? json_text(t, "state") : "");
    cJSON_Delete(audit);
}

/* The replayed signed refusal: the next pay is charged, but answered with the exact bytes
 * of an earlier order's refusal (signature headers and nonce included). */
static void test_replay(void)
{
    struct http_result r, first, again;
    char refused[33], victim[33], state[32], h1[512], h2[512];
    double charged;

    /* Bad requests: a reason, nothing armed. */
    static const char *const bad[] = {
        "not json",
        "{\"from_order\":\"X\"}",
        "{\"op\":\"sing\",\"from_order\":\"X\"}",
        "{\"op\":\"any\",\"from_order\":\"X\"}",
        "{\"op\":\"pay\"}",
        "{\"op\":\"pay\",\"from_order\":\"X\",\"channel\":\"visa\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(sim_http(&sim, "POST", "/_sim/replay", bad[i], 5000, &r));
        CHECK_EQ_INT(r.status, 400);
        http_result_free(&r);
    }
    CHECK(sim_http(&sim, "POST", "/_sim/replay",
                   "{\"op\":\"pay\",\"from_order\":\"NEVER_SEEN_ORDER\"}", 5000, &r));
    CHECK_EQ_INT(r.status, 404);
    http_result_free(&r);

    /* WeChat: a signed NOTENOUGH for one order... */
    test_order_no(refused, "P");
    pay(refused, "134567890123456701", &first);
    CHECK_EQ_INT(first.status, 403);
    CHECK(wechat_reply_verified(&sim, &first));
    char arm[160];
    snprintf(arm, sizeof arm, "{\"op\":\"pay\",\"from_order\":\"%s\"}", refused);
    CHECK(sim_http(&sim, "POST", "/_sim/replay", arm, 5000, &r));
    CHECK_EQ_INT(r.status, 200);
    cJSON *o = cJSON_Parse(r.body);
    const cJSON *armed = cJSON_GetObjectItemCaseSensitive(o, "armed");
    CHECK_EQ_STR(json_text(armed, "channel"), "wechat");
    CHECK_EQ_INT(num(armed, "status"), 403);
    cJSON_Delete(o);
    http_result_free(&r);
    /* ...answers the next pay, which the gateway did charge. */
    test_order_no(victim, "P");
    pay(victim, "134567890123456700", &again);
    CHECK_EQ_INT(again.status, 403);
    CHECK(again.len == first.len && memcmp(again.body, first.body, first.len) == 0);
    CHECK(wechat_reply_verified(&sim, &again));
    CHECK(http_header(&first, "Wechatpay-Nonce", h1, sizeof h1));
    CHECK(http_header(&again, "Wechatpay-Nonce", h2, sizeof h2));
    CHECK_EQ_STR(h2, h1);
    CHECK(http_header(&first, "Wechatpay-Signature", h1, sizeof h1));
    CHECK(http_header(&again, "Wechatpay-Signature", h2, sizeof h2));
    CHECK_EQ_STR(h2, h1);
    http_result_free(&first);
    http_result_free(&again);
    trade_facts(victim, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, 1);
    CHECK_EQ_STR(state, "charged");
    /* Used once: the pay after it gets its own reply. */
    test_order_no(victim, "P");
    pay(victim, "134567890123456700", &r);
    CHECK_EQ_INT(r.status, 200);
    http_result_free(&r);

    /* Alipay, aimed at one order: another order's request is not touched. */
    CHECK(sim_script(&sim, "{\"scenario\":\"unbound_refusal\"}"));
    test_order_no(refused, "P");
    alipay_pay(refused, "287654321098765400", &first);
    CHECK(strstr(first.body, "ACQ.BUYER_BALANCE_NOT_ENOUGH") != NULL);
    test_order_no(victim, "P");
    snprintf(arm, sizeof arm, "{\"op\":\"pay\",\"from_order\":\"%s\",\"order\":\"%s\"}", refused,
             victim);
    CHECK(sim_http(&sim, "POST", "/_sim/replay", arm, 5000, &r));
    CHECK_EQ_INT(r.status, 200);
    http_result_free(&r);
    char bystander[33];
    test_order_no(bystander, "P");
    alipay_pay(bystander, "287654321098765400", &r);
    CHECK(strstr(r.body, "\"10000\"") != NULL);
    http_result_free(&r);
    alipay_pay(victim, "287654321098765400", &again);
    CHECK(again.len == first.len && memcmp(again.body, first.body, first.len) == 0);
    http_result_free(&first);
    http_result_free(&again);
    trade_facts(victim, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, 1);

    CHECK(sim_http(&sim, "GET", "/_sim/health", NULL, 5000, &r));
    o = cJSON_Parse(r.body);
    CHECK_EQ_INT(num(o, "replayed"), 2);
    CHECK_EQ_INT(num(o, "replays_pending"), 0);
    cJSON_Delete(o);
    http_result_free(&r);
    /* DELETE forgets what is armed. */
    CHECK(sim_http(&sim, "POST", "/_sim/replay", arm, 5000, &r));
    http_result_free(&r);
    CHECK(sim_http(&sim, "DELETE", "/_sim/replay", NULL, 5000, &r));
    CHECK_EQ_INT(r.status, 200);
    http_result_free(&r);
    CHECK(sim_http(&sim, "GET", "/_sim/health", NULL, 5000, &r));
    o = cJSON_Parse(r.body);
    CHECK_EQ_INT(num(o, "replays_pending"), 0);
    cJSON_Delete(o);
    http_result_free(&r);
}

/* One order number, two sales: answered as the real gateways do, and listed by the audit. */
static void test_reused_order_numbers(void)
{
    struct http_result r;
    char order[33], clean[33];
    test_order_no(order, "U");
    pay_fen(order, "134567890123451200", 500, &r);
    CHECK_EQ_INT(r.status, 200);
    http_result_free(&r);
    /* The same pay again (a resend) is no other sale. */
    pay_fen(order, "134567890123451200", 500, &r);
    CHECK_EQ_INT(r.status, 400);
    CHECK(strstr(r.body, "ORDERPAID") != NULL);
    http_result_free(&r);
    test_order_no(clean, "U");
    pay_fen(clean, "134567890123451300", 500, &r);
    http_result_free(&r);
    cJSON *audit = sim_audit(&sim);
    CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(audit, "reused_orders")), 0);
    cJSON_Delete(audit);

    /* Another customer, same amount: ORDERPAID, nothing charged, listed. */
    pay_fen(order, "134567890123459900", 500, &r);
    CHECK_EQ_INT(r.status, 400);
    CHECK(strstr(r.body, "ORDERPAID") != NULL);
    http_result_free(&r);
    /* Another amount: refused as inconsistent, listed. */
    pay_fen(order, "134567890123451200", 700, &r);
    CHECK_EQ_INT(r.status, 400);
    CHECK(strstr(r.body, "INVALID_REQUEST") != NULL);
    http_result_free(&r);
    audit = sim_audit(&sim);
    const cJSON *reused = cJSON_GetObjectItemCaseSensitive(audit, "reused_orders");
    CHECK_EQ_INT(cJSON_GetArraySize(reused), 1);
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetArrayItem(reused, 0)), order);
    CHECK_EQ_INT(num(cJSON_GetObjectItemCaseSensitive(audit, "totals"), "reused_orders"), 1);
    const cJSON *t = audit_trade(audit, order);
    CHECK_EQ_INT(num(t, "charged"), 1);
    const cJSON *others = cJSON_GetObjectItemCaseSensitive(t, "other_pays");
    CHECK_EQ_INT(cJSON_GetArraySize(others), 2);
    CHECK_EQ_STR(json_text(cJSON_GetArrayItem(others, 0), "code_last4"), "9900");
    CHECK_EQ_INT(num(cJSON_GetArrayItem(others, 0), "amount_fen"), 500);
    CHECK_EQ_INT(num(cJSON_GetArrayItem(others, 1), "amount_fen"), 700);
    cJSON_Delete(audit);
}

static void test_ledger_survives_restart(void)
{
    char ledger[400], port_arg[16], order[33];
    snprintf(ledger, sizeof ledger, "%s/ledger.json", sim.dir);
    const char *args[] = {"--ledger", ledger, "--quiet", NULL};
    CHECK(simproc_start(&sim, args));
    struct http_result r;
    test_order_no(order, "L");
    pay(order, "134567890123456700", &r);
    CHECK_EQ_INT(r.status, 200);
    http_result_free(&r);
    /* A customer still confirming when the simulator stops keeps confirming after it. */
    char confirming[33];
    CHECK(sim_script(&sim, "{\"scenario\":\"confirm_then_paid\",\"seconds\":60}"));
    test_order_no(confirming, "L");
    pay(confirming, "134567890123456700", &r);
    CHECK_EQ_INT(r.status, 202);
    http_result_free(&r);
    CHECK_EQ_INT(simproc_stop(&sim), 0);

    snprintf(port_arg, sizeof port_arg, "%d", sim.port);
    const char *again[] = {"--ledger", ledger, "--port", port_arg, "--quiet", NULL};
    CHECK(simproc_start(&sim, again));
    cJSON *audit = sim_audit(&sim);
    const cJSON *t = audit_trade(audit, order);
    CHECK(t != NULL);
    CHECK_EQ_STR(json_text(t, "state"), "charged");
    t = audit_trade(audit, confirming);
    CHECK_EQ_STR(json_text(t, "state"), "paying");
    double left = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(t, "confirm_remaining_ms"));
    CHECK(left > 0 && left <= 60000);
    cJSON_Delete(audit);
    /* The reloaded trade is still the same trade: a repeated pay does not charge again. */
    pay(order, "134567890123456700", &r);
    CHECK_EQ_INT(r.status, 400);
    http_result_free(&r);
    pay(order, "134567890123451100", &r); /* another sale with this number */
    CHECK_EQ_INT(r.status, 400);
    http_result_free(&r);
    audit = sim_audit(&sim);
    CHECK_EQ_INT(cJSON_GetNumberValue(
                     cJSON_GetObjectItemCaseSensitive(audit_trade(audit, order), "charged")),
                 1);
    cJSON_Delete(audit);
    CHECK_EQ_INT(simproc_stop(&sim), 0);
    /* What another sale did with an order number survives a restart too. */
    CHECK(simproc_start(&sim, again));
    audit = sim_audit(&sim);
    const cJSON *others = cJSON_GetObjectItemCaseSensitive(audit_trade(audit, order), "other_pays");
    CHECK_EQ_INT(cJSON_GetArraySize(others), 1);
    CHECK_EQ_STR(json_text(cJSON_GetArrayItem(others, 0), "code_last4"), "1100");
    CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(audit, "reused_orders")), 1);
    cJSON_Delete(audit);
    CHECK_EQ_INT(simproc_stop(&sim), 0);

    /* A file that is not a ledger stops the simulator with a message, not an empty ledger. */
    FILE *f = fopen(ledger, "w");
    if (f != NULL) {
        fputs("{\"not\":\"a ledger\"}", f);
        fclose(f);
    }
    CHECK(!simproc_start(&sim, args));
}

static void test_bad_start(void)
{
    /* Keys that are missing: exit status 1 with the file named, no port file. */
    char log[400];
    snprintf(log, sizeof log, "%s/stderr.log", sim.dir);
    struct simproc other = sim;
    snprintf(other.keys, sizeof other.keys, "%.255s/empty", sim.dir);
    CHECK(!simproc_start(&other, NULL));
    char *text = slurp(log);
    CHECK(text != NULL && strstr(text, "alipay_app_public.pem") != NULL);
    free(text);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH/TO/posterm-sim\n", argv[0]);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CHECK(simproc_prepare(&sim, argv[1]));
    char cfg[400];
    snprintf(cfg, sizeof cfg, "%s/gateway.json", sim.dir);
    const char *args[] = {"--config-out", cfg, NULL};
    CHECK(simproc_start(&sim, args));
    if (sim.port > 0) {
        test_startup_contract();
        test_script();
        test_unreachable();
        test_clock();
        test_replay();
        test_reused_order_numbers();
        CHECK_EQ_INT(simproc_stop(&sim), 0);
        test_ledger_survives_restart();
        test_bad_start();
    }
    simproc_cleanup(&sim);
    curl_global_cleanup();
    return check_done();
}
