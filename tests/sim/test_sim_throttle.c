/*
 * test_sim_throttle.c - posterm-sim --query-limit-ms: a trade query that comes sooner than the
 * limit after the same order's previous query gets the gateway's own frequency refusal,
 * signed like any reply (WeChat 429 FREQUENCY_LIMITED, Alipay 40005 isv.method-call-limited),
 * another order is not held back by it, and once the limit has passed queries are answered.
 *
 * usage: test_sim_throttle PATH/TO/posterm-sim
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sim_client.h"

/* Long enough that two queries sent back to back fall inside it on an emulated, loaded
 * machine (each is one signature and one verification), short enough for a quick test. */
#define LIMIT_MS "3000"

static struct simproc sim;

struct reply {
    struct http_result http;
    cJSON *json;
    bool verified;
};

static void reply_free(struct reply *r)
{
    http_result_free(&r->http);
    cJSON_Delete(r->json);
    memset(r, 0, sizeof *r);
}

static void wechat(const char *method, const char *path, const char *body, struct reply *r)
{
    memset(r, 0, sizeof *r);
    if (wechat_call(&sim, method, path, body, 10000, &r->http) && r->http.rc == CURLE_OK) {
        r->json = cJSON_Parse(r->http.body);
        r->verified = wechat_reply_verified(&sim, &r->http);
    }
}

static void wechat_pay(const char *order)
{
    char body[768];
    struct reply r;
    snprintf(body, sizeof body,
             "{\"appid\":\"%s\",\"mchid\":\"%s\",\"description\":\"posterm test\","
             "\"out_trade_no\":\"%s\",\"payer\":{\"auth_code\":\"134567890123456703\"},"
             "\"amount\":{\"total\":500,\"currency\":\"CNY\"},"
             "\"scene_info\":{\"store_info\":{\"out_id\":\"T0001\"}}}",
             SIM_WECHAT_APPID, SIM_WECHAT_MCHID, order);
    wechat("POST", "/v3/pay/transactions/codepay", body, &r);
    CHECK_EQ_INT(r.http.status, 202); /* ..03: the customer is confirming */
    reply_free(&r);
}

static void wechat_query(const char *order, struct reply *r)
{
    char path[160];
    snprintf(path, sizeof path, "/v3/pay/transactions/out-trade-no/%s?mchid=%s", order,
             SIM_WECHAT_MCHID);
    wechat("GET", path, NULL, r);
}

static void alipay(const char *method, const char *biz, struct reply *r)
{
    memset(r, 0, sizeof *r);
    if (alipay_call(&sim, method, biz, NULL, 10000, &r->http) && r->http.rc == CURLE_OK)
        alipay_reply(&sim, &r->http, method, &r->json, &r->verified);
}

static void alipay_pay(const char *order)
{
    char biz[512];
    struct reply r;
    snprintf(biz, sizeof biz,
             "{\"out_trade_no\":\"%s\",\"scene\":\"bar_code\",\"auth_code\":\"2876543210987654"
             "03\",\"subject\":\"posterm test\",\"total_amount\":\"5.00\"}",
             order);
    alipay("alipay.trade.pay", biz, &r);
    CHECK_EQ_STR(json_text(r.json, "code"), "10003");
    reply_free(&r);
}

static void alipay_query(const char *order, struct reply *r)
{
    char biz[128];
    snprintf(biz, sizeof biz, "{\"out_trade_no\":\"%s\"}", order);
    alipay("alipay.trade.query", biz, r);
}

static int throttled_of(const char *order)
{
    cJSON *audit = sim_audit(&sim);
    const cJSON *t = audit_trade(audit, order);
    int n = t ? (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(t, "queries_throttled"))
              : -1;
    cJSON_Delete(audit);
    return n;
}

static void test_throttle(void)
{
    char w[33], a[33], other[33];
    struct reply r;
    test_order_no(w, "W");
    test_order_no(a, "A");
    test_order_no(other, "W");
    wechat_pay(w);
    alipay_pay(a);
    wechat_pay(other);

    wechat_query(w, &r);
    CHECK_EQ_INT(r.http.status, 200);
    CHECK_EQ_STR(json_text(r.json, "trade_state"), "USERPAYING");
    reply_free(&r);
    alipay_query(a, &r);
    CHECK_EQ_STR(json_text(r.json, "code"), "10000");
    CHECK_EQ_STR(json_text(r.json, "trade_status"), "WAIT_BUYER_PAY");
    reply_free(&r);

    /* Again at once: refused, signed, the refusal of each gateway. */
    wechat_query(w, &r);
    CHECK_EQ_INT(r.http.status, 429);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.json, "code"), "FREQUENCY_LIMITED");
    reply_free(&r);
    alipay_query(a, &r);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.json, "code"), "40005");
    CHECK_EQ_STR(json_text(r.json, "sub_code"), "isv.method-call-limited");
    reply_free(&r);
    /* The limit is per order: another order's first query is answered. */
    wechat_query(other, &r);
    CHECK_EQ_INT(r.http.status, 200);
    reply_free(&r);
    CHECK_EQ_INT(throttled_of(w), 1);
    CHECK_EQ_INT(throttled_of(a), 1);
    CHECK_EQ_INT(throttled_of(other), 0);

    /* The refused query counted too: the next is answered only a whole limit after it. */
    test_sleep_ms(atoi(LIMIT_MS) + 300);
    wechat_query(w, &r);
    CHECK_EQ_INT(r.http.status, 200);
    reply_free(&r);
    alipay_query(a, &r);
    CHECK_EQ_STR(json_text(r.json, "code"), "10000");
    reply_free(&r);
    CHECK_EQ_INT(throttled_of(w), 1);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH/TO/posterm-sim\n", argv[0]);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CHECK(simproc_prepare(&sim, argv[1]));
    static const char *const extra[] = {"--query-limit-ms", LIMIT_MS, NULL};
    CHECK(simproc_start(&sim, extra));
    if (sim.port > 0) {
        test_throttle();
        CHECK_EQ_INT(simproc_stop(&sim), 0);
    }
    simproc_cleanup(&sim);
    curl_global_cleanup();
    return check_done();
}
