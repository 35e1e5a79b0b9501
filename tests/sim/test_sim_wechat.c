/*
 * test_sim_wechat.c - the simulator speaking WeChat Pay APIv3 to a signing client: every
 * scenario of the code table, 401 SIGN_ERROR for bad requests, signed replies (errors too),
 * reverse rules, cancel before pay, refund idempotency, replies that leave out a fact, short
 * refunds, and the ledger after each.
 *
 * usage: test_sim_wechat PATH/TO/posterm-sim
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "sim_client.h"

static struct simproc sim;

/* An 18-digit WeChat payment code ending in the scenario's two digits. */
static const char *code_ending(const char *digits)
{
    static char code[32];
    snprintf(code, sizeof code, "1345678901234567%s", digits);
    return code;
}

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

static void call(const char *method, const char *path, const char *body, long timeout_ms,
                 struct reply *r)
{
    memset(r, 0, sizeof *r);
    if (!wechat_call(&sim, method, path, body, timeout_ms, &r->http))
        return;
    if (r->http.rc == CURLE_OK) {
        r->json = cJSON_Parse(r->http.body);
        r->verified = wechat_reply_verified(&sim, &r->http);
    }
}

static void pay_body(char *out, size_t size, const char *order, const char *code, long fen)
{
    snprintf(out, size,
             "{\"appid\":\"%s\",\"mchid\":\"%s\",\"description\":\"posterm \\\"test\\\"\","
             "\"out_trade_no\":\"%s\",\"payer\":{\"auth_code\":\"%s\"},"
             "\"amount\":{\"total\":%ld,\"currency\":\"CNY\"},"
             "\"scene_info\":{\"store_info\":{\"out_id\":\"T0001\"}}}",
             SIM_WECHAT_APPID, SIM_WECHAT_MCHID, order, code, fen);
}

static void pay(const char *order, const char *code, long fen, long timeout_ms, struct reply *r)
{
    char body[768];
    pay_body(body, sizeof body, order, code, fen);
    call("POST", "/v3/pay/transactions/codepay", body, timeout_ms, r);
}

static void query(const char *order, struct reply *r)
{
    char path[160];
    snprintf(path, sizeof path, "/v3/pay/transactions/out-trade-no/%s?mchid=%s", order,
             SIM_WECHAT_MCHID);
    call("GET", path, NULL, 10000, r);
}

static void reverse(const char *order, struct reply *r)
{
    char path[160], body[160];
    snprintf(path, sizeof path, "/v3/pay/transactions/out-trade-no/%s/reverse", order);
    snprintf(body, sizeof body, "{\"appid\":\"%s\",\"mchid\":\"%s\"}", SIM_WECHAT_APPID,
             SIM_WECHAT_MCHID);
    call("POST", path, body, 10000, r);
}

static void refund(const char *order, const char *refund_no, long fen, long total, struct reply *r)
{
    char body[400];
    snprintf(body, sizeof body,
             "{\"out_trade_no\":\"%s\",\"out_refund_no\":\"%s\",\"reason\":\"test\","
             "\"amount\":{\"refund\":%ld,\"total\":%ld,\"currency\":\"CNY\"}}",
             order, refund_no, fen, total);
    call("POST", "/v3/refund/domestic/refunds", body, 10000, r);
}

static double num(const cJSON *o, const char *key)
{
    return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static void audit_of(const char *order, int *charged, char *state, size_t size)
{
    cJSON *audit = sim_audit(&sim);
    const cJSON *t = audit_trade(audit, order);
    *charged = t ? (int)num(t, "charged") : -1;
    snprintf(state, size, "%s", t ? json_text(t, "state") : "");
    cJSON_Delete(audit);
}

static void test_success(void)
{
    char order[33];
    struct reply r;
    test_order_no(order, "W");
    pay(order, code_ending("00"), 1230, 10000, &r);
    CHECK_EQ_INT(r.http.status, 200);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.json, "trade_state"), "SUCCESS");
    CHECK_EQ_STR(json_text(r.json, "out_trade_no"), order);
    CHECK_EQ_INT(num(cJSON_GetObjectItemCaseSensitive(r.json, "amount"), "total"), 1230);
    CHECK(strlen(json_text(r.json, "transaction_id")) == 28);
    char transaction[64];
    snprintf(transaction, sizeof transaction, "%s", json_text(r.json, "transaction_id"));
    reply_free(&r);

    query(order, &r);
    CHECK_EQ_INT(r.http.status, 200);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.json, "trade_state"), "SUCCESS");
    reply_free(&r);

    char path[160];
    snprintf(path, sizeof path, "/v3/pay/transactions/id/%s?mchid=%s", transaction,
             SIM_WECHAT_MCHID);
    call("GET", path, NULL, 10000, &r);
    CHECK_EQ_STR(json_text(r.json, "out_trade_no"), order);
    reply_free(&r);

    pay(order, code_ending("00"), 1230, 10000, &r);
    CHECK_EQ_INT(r.http.status, 400);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.json, "code"), "ORDERPAID");
    reply_free(&r);
    pay(order, code_ending("00"), 999, 10000, &r);
    CHECK_EQ_STR(json_text(r.json, "code"), "INVALID_REQUEST");
    reply_free(&r);

    int charged;
    char state[32];
    audit_of(order, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, 1);
    CHECK_EQ_STR(state, "charged");
}

static void test_refusals(void)
{
    static const struct {
        const char *digits;
        long status;
        const char *code;
    } cases[] = {
        {"01", 403, "NOTENOUGH"},
        {"02", 403, "AUTHCODEEXPIRE"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char order[33], state[32];
        int charged;
        struct reply r;
        test_order_no(order, "W");
        pay(order, code_ending(cases[i].digits), 500, 10000, &r);
        CHECK_EQ_INT(r.http.status, cases[i].status);
        CHECK(r.verified);
        CHECK_EQ_STR(json_text(r.json, "code"), cases[i].code);
        reply_free(&r);
        query(order, &r);
        CHECK_EQ_STR(json_text(r.json, "trade_state"), "PAYERROR");
        reply_free(&r);
        audit_of(order, &charged, state, sizeof state);
        CHECK_EQ_INT(charged, 0);
        CHECK_EQ_STR(state, "closed");
    }
}

static void test_request_checks(void)
{
    char order[33], body[768];
    struct reply r;
    test_order_no(order, "W");
    /* scene_info is required by codepay. */
    snprintf(body, sizeof body,
             "{\"appid\":\"%s\",\"mchid\":\"%s\",\"description\":\"x\",\"out_trade_no\":\"%s\","
             "\"payer\":{\"auth_code\":\"%s\"},\"amount\":{\"total\":100}}",
             SIM_WECHAT_APPID, SIM_WECHAT_MCHID, order, code_ending("00"));
    call("POST", "/v3/pay/transactions/codepay", body, 10000, &r);
    CHECK_EQ_INT(r.http.status, 400);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.json, "code"), "PARAM_ERROR");
    reply_free(&r);
    /* An Alipay code sent to WeChat. */
    pay(order, "287654321098765400", 100, 10000, &r);
    CHECK_EQ_INT(r.http.status, 400);
    reply_free(&r);
    /* Another merchant's appid. */
    snprintf(body, sizeof body,
             "{\"appid\":\"wx0000000000000000\",\"mchid\":\"%s\",\"description\":\"x\","
             "\"out_trade_no\":\"%s\",\"payer\":{\"auth_code\":\"%s\"},\"amount\":{\"total\":100},"
             "\"scene_info\":{\"store_info\":{\"out_id\":\"T1\"}}}",
             SIM_WECHAT_MCHID, order, code_ending("00"));
    call("POST", "/v3/pay/transactions/codepay", body, 10000, &r);
    CHECK_EQ_STR(json_text(r.json, "code"), "APPID_MCHID_NOT_MATCH");
    reply_free(&r);
    /* The APIv3 basic rules: Accept and Content-Type say JSON. */
    {
        struct http_result h;
        char url[160];
        snprintf(url, sizeof url, "/v3/pay/transactions/out-trade-no/%s?mchid=%s", order,
                 SIM_WECHAT_MCHID);
        CHECK(wechat_call_headers(&sim, "GET", url, NULL, "Accept: text/html", NULL, &h));
        CHECK_EQ_INT(h.status, 400);
        CHECK(strstr(h.body, "INVALID_REQUEST") != NULL);
        http_result_free(&h);
        pay_body(body, sizeof body, order, code_ending("00"), 100);
        CHECK(wechat_call_headers(&sim, "POST", "/v3/pay/transactions/codepay", body,
                                  "Accept: application/json", "Content-Type: text/plain", &h));
        CHECK_EQ_INT(h.status, 400);
        CHECK(strstr(h.body, "INVALID_REQUEST") != NULL);
        http_result_free(&h);
    }
    /* Query without ?mchid=. */
    char path[160];
    snprintf(path, sizeof path, "/v3/pay/transactions/out-trade-no/%s", order);
    call("GET", path, NULL, 10000, &r);
    CHECK_EQ_INT(r.http.status, 400);
    reply_free(&r);
    int charged;
    char state[32];
    audit_of(order, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, -1);
}

static void test_signatures(void)
{
    char order[33], body[768], state[32];
    int charged;
    struct reply r;
    test_order_no(order, "W");
    pay_body(body, sizeof body, order, code_ending("00"), 100);
    const char *path = "/v3/pay/transactions/codepay";
    long long now = (long long)time(NULL);
    struct {
        struct sim_key *key;
        const char *mchid, *serial;
        long long ts;
    } bad[] = {
        {sim.alipay_app_private, SIM_WECHAT_MCHID, SIM_WECHAT_MERCHANT_SERIAL, now}, /* wrong key */
        {sim.wechat_merchant_private, "1900000999", SIM_WECHAT_MERCHANT_SERIAL, now},
        {sim.wechat_merchant_private, SIM_WECHAT_MCHID, "0000", now},
        {sim.wechat_merchant_private, SIM_WECHAT_MCHID, SIM_WECHAT_MERCHANT_SERIAL, now - 600},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&r, 0, sizeof r);
        CHECK(wechat_call_with(&sim, "POST", path, body, bad[i].key, bad[i].mchid, bad[i].serial,
                               bad[i].ts, 10000, &r.http));
        r.json = cJSON_Parse(r.http.body);
        CHECK_EQ_INT(r.http.status, 401);
        CHECK_EQ_STR(json_text(r.json, "code"), "SIGN_ERROR");
        CHECK(wechat_reply_verified(&sim, &r.http));
        reply_free(&r);
    }
    /* No Authorization at all. */
    struct http_result h;
    CHECK(sim_http(&sim, "POST", path, body, 10000, &h));
    CHECK_EQ_INT(h.status, 401);
    http_result_free(&h);
    /* The same client, correctly signed: accepted (the order simply does not exist). */
    memset(&r, 0, sizeof r);
    CHECK(wechat_call_with(&sim, "GET", "/v3/pay/transactions/out-trade-no/X1?mchid=1900000109",
                           NULL, sim.wechat_merchant_private, SIM_WECHAT_MCHID,
                           SIM_WECHAT_MERCHANT_SERIAL, now, 10000, &r.http));
    CHECK_EQ_INT(r.http.status, 404);
    reply_free(&r);
    audit_of(order, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, -1);
}

static void test_confirming(void)
{
    char order[33], state[32];
    int charged;
    struct reply r;
    test_order_no(order, "W");
    pay(order, code_ending("03"), 888, 10000, &r);
    CHECK_EQ_INT(r.http.status, 202);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.json, "code"), "USERPAYING");
    reply_free(&r);
    query(order, &r);
    CHECK_EQ_STR(json_text(r.json, "trade_state"), "USERPAYING");
    reply_free(&r);
    /* WeChat refuses to reverse while the customer is confirming. */
    reverse(order, &r);
    CHECK_EQ_INT(r.http.status, 400);
    CHECK_EQ_STR(json_text(r.json, "code"), "USERPAYING");
    reply_free(&r);

    CHECK(sim_script(&sim,
                     "{\"scenario\":\"confirm_then_paid\",\"seconds\":1,\"channel\":\"wechat\"}"));
    test_order_no(order, "W");
    pay(order, code_ending("00"), 888, 10000, &r);
    CHECK_EQ_INT(r.http.status, 202);
    reply_free(&r);
    test_sleep_ms(1300);
    query(order, &r);
    CHECK_EQ_STR(json_text(r.json, "trade_state"), "SUCCESS");
    reply_free(&r);

    /* confirm_ms: the customer confirms for a time in ms (here 1.5 s). */
    CHECK(!sim_script(&sim, "{\"scenario\":\"success\",\"confirm_ms\":1500}"));
    CHECK(!sim_script(&sim, "{\"scenario\":\"confirm_then_paid\",\"confirm_ms\":1.5}"));
    CHECK(sim_script(&sim, "{\"scenario\":\"confirm_then_paid\",\"confirm_ms\":1500}"));
    test_order_no(order, "W");
    pay(order, code_ending("00"), 888, 10000, &r);
    CHECK_EQ_INT(r.http.status, 202);
    reply_free(&r);
    query(order, &r);
    CHECK_EQ_STR(json_text(r.json, "trade_state"), "USERPAYING");
    reply_free(&r);
    test_sleep_ms(1700);
    query(order, &r);
    CHECK_EQ_STR(json_text(r.json, "trade_state"), "SUCCESS");
    reply_free(&r);

    CHECK(sim_script(&sim, "{\"scenario\":\"confirm_then_gave_up\",\"seconds\":1}"));
    test_order_no(order, "W");
    pay(order, code_ending("04"), 888, 10000, &r);
    CHECK_EQ_INT(r.http.status, 202);
    reply_free(&r);
    test_sleep_ms(1300);
    query(order, &r);
    CHECK_EQ_STR(json_text(r.json, "trade_state"), "PAYERROR");
    reply_free(&r);
    audit_of(order, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, 0);
    /* Once the customer has given up, the reverse goes through. */
    reverse(order, &r);
    CHECK_EQ_INT(r.http.status, 200);
    reply_free(&r);
}

static void test_faults(void)
{
    char order[33], state[32];
    int charged;
    struct reply r;

    test_order_no(order, "W");
    pay(order, code_ending("05"), 100, 500, &r);
    CHECK_EQ_INT(r.http.rc, CURLE_OPERATION_TIMEDOUT);
    reply_free(&r);
    audit_of(order, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, 1);

    test_order_no(order, "W");
    pay(order, code_ending("06"), 100, 10000, &r);
    CHECK_EQ_INT(r.http.rc, CURLE_GOT_NOTHING);
    reply_free(&r);
    audit_of(order, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, 1);

    test_order_no(order, "W");
    pay(order, code_ending("07"), 100, 10000, &r);
    CHECK_EQ_INT(r.http.status, 503);
    CHECK(!r.verified);
    reply_free(&r);
    audit_of(order, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, -1);
    query(order, &r);
    CHECK_EQ_INT(r.http.status, 404);
    CHECK_EQ_STR(json_text(r.json, "code"), "ORDER_NOT_EXIST");
    reply_free(&r);

    /* Malformed: correctly signed, but not JSON. */
    test_order_no(order, "W");
    pay(order, code_ending("08"), 100, 10000, &r);
    CHECK_EQ_INT(r.http.status, 200);
    CHECK(r.json == NULL);
    CHECK(r.verified);
    reply_free(&r);
    audit_of(order, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, 1);

    test_order_no(order, "W");
    pay(order, code_ending("09"), 100, 10000, &r);
    CHECK_EQ_INT(r.http.rc, CURLE_PARTIAL_FILE);
    reply_free(&r);
    audit_of(order, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, 1);

    test_order_no(order, "W");
    pay(order, code_ending("10"), 100, 10000, &r);
    CHECK_EQ_INT(r.http.status, 200);
    CHECK_EQ_STR(json_text(r.json, "trade_state"), "SUCCESS");
    CHECK(!r.verified);
    reply_free(&r);

    test_order_no(order, "W");
    pay(order, code_ending("13"), 100, 10000, &r);
    CHECK_EQ_INT(r.http.status, 500);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.json, "code"), "SYSTEM_ERROR");
    reply_free(&r);
    audit_of(order, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, -1);

    /* Signature trouble on a committed charge. */
    char header[700];
    test_order_no(order, "W");
    pay(order, code_ending("16"), 100, 10000, &r);
    CHECK_EQ_INT(r.http.status, 200);
    CHECK(!http_header(&r.http, "Wechatpay-Signature", header, sizeof header));
    CHECK(http_header(&r.http, "Wechatpay-Timestamp", header, sizeof header));
    CHECK(!r.verified);
    reply_free(&r);
    test_order_no(order, "W");
    pay(order, code_ending("17"), 100, 10000, &r);
    CHECK(http_header(&r.http, "Wechatpay-Signature", header, sizeof header));
    CHECK(strncmp(header, "WECHATPAY/SIGNTEST/", 19) == 0);
    CHECK(!r.verified);
    reply_free(&r);
    test_order_no(order, "W");
    pay(order, code_ending("18"), 100, 10000, &r);
    CHECK(r.verified); /* correctly signed: only the clock check catches it */
    CHECK(http_header(&r.http, "Wechatpay-Timestamp", header, sizeof header));
    CHECK(atoll(header) <= (long long)time(NULL) - 590);
    reply_free(&r);
    test_order_no(order, "W");
    pay(order, code_ending("19"), 100, 10000, &r);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.json, "trade_state"), "SUCCESS");
    CHECK(strcmp(json_text(r.json, "out_trade_no"), order) != 0);
    reply_free(&r);
    audit_of(order, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, 1);

    static const struct {
        const char *digits;
        long status;
    } pages[] = {{"14", 500}, {"15", 502}};
    for (size_t i = 0; i < 2; i++) {
        test_order_no(order, "W");
        pay(order, code_ending(pages[i].digits), 100, 10000, &r);
        CHECK_EQ_INT(r.http.status, pages[i].status);
        CHECK(r.json == NULL);
        reply_free(&r);
    }

    /* Scripted faults hit other operations too: the next two queries get 502. */
    test_order_no(order, "W");
    pay(order, code_ending("00"), 100, 10000, &r);
    reply_free(&r);
    CHECK(sim_script(&sim, "{\"scenario\":\"http_502\",\"count\":2,\"op\":\"query\"}"));
    for (int i = 0; i < 2; i++) {
        query(order, &r);
        CHECK_EQ_INT(r.http.status, 502);
        reply_free(&r);
    }
    query(order, &r);
    CHECK_EQ_INT(r.http.status, 200);
    reply_free(&r);
}

static void test_query_not_found(void)
{
    char order[33];
    struct reply r;
    CHECK(sim_script(&sim, "{\"scenario\":\"query_not_found\",\"seconds\":1}"));
    test_order_no(order, "W");
    pay(order, code_ending("00"), 300, 10000, &r);
    CHECK_EQ_INT(r.http.rc, CURLE_GOT_NOTHING);
    reply_free(&r);
    query(order, &r);
    CHECK_EQ_INT(r.http.status, 404);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.json, "code"), "ORDER_NOT_EXIST");
    reply_free(&r);
    test_sleep_ms(1300);
    query(order, &r);
    CHECK_EQ_STR(json_text(r.json, "trade_state"), "SUCCESS");
    reply_free(&r);

    test_order_no(order, "W");
    pay(order, code_ending("11"), 300, 10000, &r);
    CHECK_EQ_INT(r.http.rc, CURLE_GOT_NOTHING);
    reply_free(&r);
    query(order, &r);
    CHECK_EQ_INT(r.http.status, 404);
    reply_free(&r);
}

static void test_reverse(void)
{
    char order[33], state[32];
    int charged;
    struct reply r;
    test_order_no(order, "W");
    pay(order, code_ending("12"), 456, 10000, &r);
    CHECK_EQ_INT(r.http.status, 200);
    reply_free(&r);
    for (int i = 0; i < 3; i++) {
        reverse(order, &r);
        CHECK_EQ_INT(r.http.status, 500);
        CHECK(r.verified);
        CHECK_EQ_STR(json_text(r.json, "code"), "SYSTEM_ERROR");
        reply_free(&r);
    }
    reverse(order, &r);
    CHECK_EQ_INT(r.http.status, 200);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.json, "out_trade_no"), order);
    reply_free(&r);
    query(order, &r);
    CHECK_EQ_STR(json_text(r.json, "trade_state"), "REVOKED");
    reply_free(&r);
    cJSON *audit = sim_audit(&sim);
    const cJSON *t = audit_trade(audit, order);
    CHECK_EQ_STR(json_text(t, "cancel_action"), "refund");
    CHECK_EQ_INT(num(t, "refunded_fen"), 456);
    CHECK_EQ_INT(num(t, "cancel_requests"), 4);
    cJSON_Delete(audit);

    /* Reverse before pay, then the late pay is refused. */
    test_order_no(order, "W");
    reverse(order, &r);
    CHECK_EQ_INT(r.http.status, 200);
    reply_free(&r);
    pay(order, code_ending("00"), 456, 10000, &r);
    CHECK_EQ_INT(r.http.status, 400);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.json, "code"), "ORDER_CLOSED");
    reply_free(&r);
    query(order, &r);
    CHECK_EQ_STR(json_text(r.json, "trade_state"), "REVOKED");
    reply_free(&r);
    audit_of(order, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, 0);
    audit = sim_audit(&sim);
    t = audit_trade(audit, order);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "cancel_before_pay")));
    CHECK_EQ_INT(num(t, "late_pays_refused"), 1);
    cJSON_Delete(audit);
}

static void test_refunds(void)
{
    char order[33];
    struct reply r;
    test_order_no(order, "W");
    pay(order, code_ending("00"), 1000, 10000, &r);
    reply_free(&r);
    refund(order, "RW1", 300, 1000, &r);
    CHECK_EQ_INT(r.http.status, 200);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.json, "status"), "SUCCESS");
    CHECK_EQ_STR(json_text(r.json, "out_refund_no"), "RW1");
    CHECK_EQ_INT(num(cJSON_GetObjectItemCaseSensitive(r.json, "amount"), "refund"), 300);
    char refund_id[64];
    snprintf(refund_id, sizeof refund_id, "%s", json_text(r.json, "refund_id"));
    reply_free(&r);
    refund(order, "RW1", 300, 1000, &r);
    CHECK_EQ_INT(r.http.status, 200);
    CHECK_EQ_STR(json_text(r.json, "refund_id"), refund_id);
    reply_free(&r);
    refund(order, "RW1", 200, 1000, &r);
    CHECK_EQ_INT(r.http.status, 400);
    reply_free(&r);
    refund(order, "RW2", 100, 999, &r); /* wrong order total */
    CHECK_EQ_INT(r.http.status, 400);
    reply_free(&r);
    refund(order, "RW2", 701, 1000, &r);
    CHECK_EQ_INT(r.http.status, 403);
    CHECK_EQ_STR(json_text(r.json, "code"), "NOT_ENOUGH");
    reply_free(&r);
    query(order, &r);
    CHECK_EQ_STR(json_text(r.json, "trade_state"), "REFUND");
    reply_free(&r);
    refund(order, "RW2", 700, 1000, &r);
    CHECK_EQ_INT(r.http.status, 200);
    reply_free(&r);
    char unknown[33];
    test_order_no(unknown, "W");
    refund(unknown, "RW1", 100, 100, &r);
    CHECK_EQ_INT(r.http.status, 404);
    reply_free(&r);

    cJSON *audit = sim_audit(&sim);
    const cJSON *t = audit_trade(audit, order);
    CHECK_EQ_STR(json_text(t, "state"), "refunded");
    CHECK_EQ_INT(num(t, "refunded_fen"), 1000);
    CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(t, "refunds")), 2);
    cJSON_Delete(audit);

    /* ..20: the order's refunds stay PROCESSING for 5 s; repeating the request says so too. */
    test_order_no(order, "W");
    pay(order, code_ending("20"), 1000, 10000, &r);
    CHECK_EQ_INT(r.http.status, 200);
    reply_free(&r);
    refund(order, "RP1", 1000, 1000, &r);
    CHECK_EQ_INT(r.http.status, 200);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.json, "status"), "PROCESSING");
    reply_free(&r);
    refund(order, "RP1", 1000, 1000, &r);
    CHECK_EQ_STR(json_text(r.json, "status"), "PROCESSING");
    reply_free(&r);
    /* Scripted to 1 s on another order: then SUCCESS. */
    test_order_no(order, "W");
    pay(order, code_ending("00"), 1000, 10000, &r);
    reply_free(&r);
    CHECK(sim_script(&sim, "{\"scenario\":\"refund_processing\",\"seconds\":1}"));
    refund(order, "RP2", 400, 1000, &r);
    CHECK_EQ_STR(json_text(r.json, "status"), "PROCESSING");
    reply_free(&r);
    audit = sim_audit(&sim);
    t = audit_trade(audit, order);
    const cJSON *rf = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(t, "refunds"), 0);
    CHECK_EQ_STR(json_text(rf, "status"), "processing");
    CHECK_EQ_INT(num(t, "refunded_fen"), 400); /* committed, only not settled */
    cJSON_Delete(audit);
    call("GET", "/v3/refund/domestic/refunds/RP2", NULL, 10000, &r);
    CHECK_EQ_INT(r.http.status, 200);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.json, "status"), "PROCESSING");
    reply_free(&r);
    test_sleep_ms(1300);
    call("GET", "/v3/refund/domestic/refunds/RP2", NULL, 10000, &r);
    CHECK_EQ_STR(json_text(r.json, "status"), "SUCCESS");
    CHECK_EQ_STR(json_text(r.json, "out_trade_no"), order);
    CHECK_EQ_INT(num(cJSON_GetObjectItemCaseSensitive(r.json, "amount"), "refund"), 400);
    reply_free(&r);
    refund(order, "RP2", 400, 1000, &r);
    CHECK_EQ_STR(json_text(r.json, "status"), "SUCCESS");
    reply_free(&r);
    call("GET", "/v3/refund/domestic/refunds/NO_SUCH_REFUND", NULL, 10000, &r);
    CHECK_EQ_INT(r.http.status, 404);
    CHECK_EQ_STR(json_text(r.json, "code"), "RESOURCE_NOT_EXISTS");
    reply_free(&r);
}

/* Verified replies that leave out a fact; a refund granted for less than asked. */
static void test_missing_facts(void)
{
    char order[33], state[32];
    int charged;
    struct reply r;
    CHECK(sim_script(&sim, "{\"scenario\":\"success_no_amount\"}"));
    test_order_no(order, "W");
    pay(order, code_ending("00"), 1230, 10000, &r);
    CHECK_EQ_INT(r.http.status, 200);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.json, "trade_state"), "SUCCESS");
    CHECK_EQ_STR(json_text(r.json, "out_trade_no"), order);
    CHECK(!cJSON_HasObjectItem(r.json, "amount"));
    reply_free(&r);
    audit_of(order, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, 1);
    cJSON *audit = sim_audit(&sim);
    CHECK_EQ_INT(num(audit_trade(audit, order), "query_requests"), 0);
    cJSON_Delete(audit);
    query(order, &r);
    CHECK_EQ_INT(num(cJSON_GetObjectItemCaseSensitive(r.json, "amount"), "total"), 1230);
    reply_free(&r);
    audit = sim_audit(&sim);
    CHECK_EQ_INT(num(audit_trade(audit, order), "query_requests"), 1);
    cJSON_Delete(audit);

    CHECK(sim_script(&sim, "{\"scenario\":\"success_no_order\"}"));
    test_order_no(order, "W");
    pay(order, code_ending("00"), 1230, 10000, &r);
    CHECK_EQ_INT(r.http.status, 200);
    CHECK(r.verified);
    CHECK(!cJSON_HasObjectItem(r.json, "out_trade_no"));
    CHECK_EQ_INT(num(cJSON_GetObjectItemCaseSensitive(r.json, "amount"), "total"), 1230);
    reply_free(&r);

    /* WeChat's error bodies never name the order: unbound_refusal is its NOTENOUGH. */
    CHECK(sim_script(&sim, "{\"scenario\":\"unbound_refusal\"}"));
    test_order_no(order, "W");
    pay(order, code_ending("00"), 1230, 10000, &r);
    CHECK_EQ_INT(r.http.status, 403);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.json, "code"), "NOTENOUGH");
    reply_free(&r);
    audit_of(order, &charged, state, sizeof state);
    CHECK_EQ_INT(charged, 0);

    /* Default short refund: half of what was asked, stated in the reply and the query. */
    test_order_no(order, "W");
    pay(order, code_ending("00"), 1000, 10000, &r);
    reply_free(&r);
    CHECK(sim_script(&sim, "{\"scenario\":\"refund_short\"}"));
    refund(order, "RS1", 600, 1000, &r);
    CHECK_EQ_INT(r.http.status, 200);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.json, "status"), "SUCCESS");
    CHECK_EQ_INT(num(cJSON_GetObjectItemCaseSensitive(r.json, "amount"), "refund"), 300);
    reply_free(&r);
    refund(order, "RS1", 600, 1000, &r); /* the same request again: the same refund */
    CHECK_EQ_INT(r.http.status, 200);
    CHECK_EQ_INT(num(cJSON_GetObjectItemCaseSensitive(r.json, "amount"), "refund"), 300);
    reply_free(&r);
    call("GET", "/v3/refund/domestic/refunds/RS1", NULL, 10000, &r);
    CHECK_EQ_INT(num(cJSON_GetObjectItemCaseSensitive(r.json, "amount"), "refund"), 300);
    reply_free(&r);
    audit = sim_audit(&sim);
    CHECK_EQ_INT(num(audit_trade(audit, order), "refunded_fen"), 300);
    cJSON_Delete(audit);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH/TO/posterm-sim\n", argv[0]);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CHECK(simproc_prepare(&sim, argv[1]));
    CHECK(simproc_start(&sim, NULL));
    if (sim.port > 0) {
        test_success();
        test_refusals();
        test_request_checks();
        test_signatures();
        test_confirming();
        test_faults();
        test_query_not_found();
        test_reverse();
        test_refunds();
        test_missing_facts();
        CHECK_EQ_INT(simproc_stop(&sim), 0);
    }
    simproc_cleanup(&sim);
    curl_global_cleanup();
    return check_done();
}
