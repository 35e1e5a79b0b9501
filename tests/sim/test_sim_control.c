/*
 * test_sim_control.c - the simulator as a process tests drive: start-up contract (port file,
 * ready line, config fragment), the control endpoints (health, script, unreachable), the
 * ledger surviving a restart, and a clean exit on SIGTERM.
 *
 * usage: test_sim_control PATH/TO/posterm-sim
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void pay(const char *order, const char *code, struct http_result *r)
{
    char body[768];
    snprintf(body, sizeof body,
             "{\"appid\":\"%s\",\"mchid\":\"%s\",\"description\":\"x\",\"out_trade_no\":\"%s\","
             "\"payer\":{\"auth_code\":\"%s\"},\"amount\":{\"total\":100,\"currency\":\"CNY\"},"
             "\"scene_info\":{\"store_info\":{\"out_id\":\"T0001\"}}}",
             SIM_WECHAT_APPID, SIM_WECHAT_MCHID, order, code);
    wechat_call(&sim, "POST", "/v3/pay/transactions/codepay", body, 10000, r);
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
        double pending = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(h, "script_pending"));
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
    audit = sim_audit(&sim);
    CHECK_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(audit_trade(audit, order),
                                                                       "charged")),
                 1);
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
        CHECK_EQ_INT(simproc_stop(&sim), 0);
        test_ledger_survives_restart();
        test_bad_start();
    }
    simproc_cleanup(&sim);
    curl_global_cleanup();
    return check_done();
}
