/*
 * test_sim_qr.c - the simulator's dynamic QR orders on both channels, to a signing client:
 * created with a QR payload, "scanned" through POST /_sim/scan, queried and closed; the
 * customer pays at once, after a few seconds, never, or after the close (refused); a close
 * of a paid order is refused as the real gateways refuse it.
 *
 * usage: test_sim_qr PATH/TO/posterm-sim
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sim_client.h"

static struct simproc sim;

struct reply {
    struct http_result http;
    cJSON *json; /* Alipay: the <method>_response object; WeChat: the body (NULL for 204) */
    bool verified;
};

static void reply_free(struct reply *r)
{
    http_result_free(&r->http);
    cJSON_Delete(r->json);
    memset(r, 0, sizeof *r);
}

static double num(const cJSON *o, const char *key)
{
    return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* --- Alipay ------------------------------------------------------------------------------- */

static void ali(const char *method, const char *biz, struct reply *r)
{
    memset(r, 0, sizeof *r);
    if (alipay_call(&sim, method, biz, NULL, 10000, &r->http) && r->http.rc == CURLE_OK)
        alipay_reply(&sim, &r->http, method, &r->json, &r->verified);
}

static void precreate(const char *order, const char *yuan, const char *timeout, struct reply *r)
{
    char biz[256];
    snprintf(biz, sizeof biz,
             "{\"out_trade_no\":\"%s\",\"subject\":\"posterm QR\",\"total_amount\":\"%s\"%s%s%s}",
             order, yuan, timeout ? ",\"timeout_express\":\"" : "", timeout ? timeout : "",
             timeout ? "\"" : "");
    ali("alipay.trade.precreate", biz, r);
}

static void ali_by_order(const char *method, const char *order, struct reply *r)
{
    char biz[128];
    snprintf(biz, sizeof biz, "{\"out_trade_no\":\"%s\"}", order);
    ali(method, biz, r);
}

/* --- WeChat ------------------------------------------------------------------------------- */

static void wx(const char *method, const char *path, const char *body, struct reply *r)
{
    memset(r, 0, sizeof *r);
    if (wechat_call(&sim, method, path, body, 10000, &r->http) && r->http.rc == CURLE_OK) {
        r->json = r->http.len ? cJSON_Parse(r->http.body) : NULL;
        r->verified = wechat_reply_verified(&sim, &r->http);
    }
}

static void native(const char *order, long fen, const char *extra, struct reply *r)
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"appid\":\"%s\",\"mchid\":\"%s\",\"description\":\"posterm QR\","
             "\"out_trade_no\":\"%s\",\"notify_url\":\"https://merchant.example/notify\","
             "\"amount\":{\"total\":%ld,\"currency\":\"CNY\"}%s}",
             SIM_WECHAT_APPID, SIM_WECHAT_MCHID, order, fen, extra ? extra : "");
    wx("POST", "/v3/pay/transactions/native", body, r);
}

static void wx_query(const char *order, struct reply *r)
{
    char path[160];
    snprintf(path, sizeof path, "/v3/pay/transactions/out-trade-no/%s?mchid=%s", order,
             SIM_WECHAT_MCHID);
    wx("GET", path, NULL, r);
}

static void wx_close(const char *order, struct reply *r)
{
    char path[160], body[64];
    snprintf(path, sizeof path, "/v3/pay/transactions/out-trade-no/%s/close", order);
    snprintf(body, sizeof body, "{\"mchid\":\"%s\"}", SIM_WECHAT_MCHID);
    wx("POST", path, body, r);
}

/* --- the customer ------------------------------------------------------------------------- */

/* POST /_sim/scan; the HTTP status, and the result word in result. */
static long scan(const char *json, char *result, size_t size)
{
    struct http_result h;
    long status = 0;
    result[0] = '\0';
    if (sim_http(&sim, "POST", "/_sim/scan", json, 5000, &h)) {
        status = h.status;
        cJSON *o = cJSON_Parse(h.body ? h.body : "");
        snprintf(result, size, "%s", json_text(o, "result"));
        cJSON_Delete(o);
        http_result_free(&h);
    }
    return status;
}

static long scan_order(const char *order, int seconds, char *result, size_t size)
{
    char json[128];
    snprintf(json, sizeof json, "{\"order\":\"%s\",\"seconds\":%d}", order, seconds);
    return scan(json, result, size);
}

/* The audit's trade for order, fields read into the caller's variables. */
struct seen {
    int charged, late_pays_refused;
    char state[16], qr[130];
};

static struct seen audit_of(const char *order)
{
    struct seen s = {-1, -1, "", ""};
    cJSON *audit = sim_audit(&sim);
    const cJSON *t = audit_trade(audit, order);
    if (t != NULL) {
        s.charged = (int)num(t, "charged");
        s.late_pays_refused = (int)num(t, "late_pays_refused");
        snprintf(s.state, sizeof s.state, "%s", json_text(t, "state"));
        snprintf(s.qr, sizeof s.qr, "%s", json_text(t, "qr"));
    }
    cJSON_Delete(audit);
    return s;
}

/* --- Alipay scenarios ------------------------------------------------------------------- */

static void test_alipay_pays_at_once(void)
{
    char order[33], result[32], qr[130], json[256];
    struct reply r;
    test_order_no(order, "QA");
    precreate(order, "12.30", "2m", &r);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.json, "code"), "10000");
    CHECK_EQ_STR(json_text(r.json, "out_trade_no"), order);
    snprintf(qr, sizeof qr, "%s", json_text(r.json, "qr_code"));
    CHECK(strncmp(qr, "https://qr.alipay.com/bax", 25) == 0 && strlen(qr) > 25);
    reply_free(&r);
    /* the same order again: the same QR */
    precreate(order, "12.30", "2m", &r);
    CHECK_EQ_STR(json_text(r.json, "qr_code"), qr);
    reply_free(&r);
    /* before the scan Alipay has no trade */
    ali_by_order("alipay.trade.query", order, &r);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.json, "sub_code"), "ACQ.TRADE_NOT_EXIST");
    reply_free(&r);

    /* the customer scans the payload itself, and pays */
    snprintf(json, sizeof json, "{\"qr\":\"%s\"}", qr);
    CHECK_EQ_INT(scan(json, result, sizeof result), 200);
    CHECK_EQ_STR(result, "paid");
    CHECK_EQ_INT(scan(json, result, sizeof result), 409); /* a second scan pays nothing */
    CHECK_EQ_STR(result, "already");
    ali_by_order("alipay.trade.query", order, &r);
    CHECK_EQ_STR(json_text(r.json, "trade_status"), "TRADE_SUCCESS");
    CHECK_EQ_STR(json_text(r.json, "total_amount"), "12.30");
    reply_free(&r);

    /* a paid order is not closed: "trade status not valid", naming the order */
    ali_by_order("alipay.trade.close", order, &r);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.json, "code"), "40004");
    CHECK_EQ_STR(json_text(r.json, "sub_code"), "ACQ.TRADE_STATUS_ERROR");
    CHECK_EQ_STR(json_text(r.json, "out_trade_no"), order);
    reply_free(&r);
    /* nor precreated again */
    precreate(order, "12.30", NULL, &r);
    CHECK_EQ_STR(json_text(r.json, "sub_code"), "ACQ.TRADE_HAS_SUCCESS");
    reply_free(&r);

    struct seen s = audit_of(order);
    CHECK_EQ_INT(s.charged, 1);
    CHECK_EQ_STR(s.state, "charged");
    CHECK_EQ_STR(s.qr, qr);
}

static void test_alipay_pays_after_seconds(void)
{
    char order[33], result[32];
    struct reply r;
    test_order_no(order, "QA");
    precreate(order, "0.01", NULL, &r);
    reply_free(&r);
    CHECK_EQ_INT(scan_order(order, 2, result, sizeof result), 200);
    CHECK_EQ_STR(result, "confirming");
    ali_by_order("alipay.trade.query", order, &r);
    CHECK_EQ_STR(json_text(r.json, "trade_status"), "WAIT_BUYER_PAY");
    reply_free(&r);
    test_sleep_ms(2600);
    ali_by_order("alipay.trade.query", order, &r);
    CHECK_EQ_STR(json_text(r.json, "trade_status"), "TRADE_SUCCESS");
    reply_free(&r);
    CHECK_EQ_INT(audit_of(order).charged, 1);
}

/* Never scanned: a close finds no trade, and does not stop a later scan (the QR stays
 * payable until it expires); a cancel does, and so does the QR's own expiry. */
static void test_alipay_never_and_close_before_scan(void)
{
    char order[33], result[32];
    struct reply r;
    test_order_no(order, "QA");
    precreate(order, "5.00", "2m", &r);
    reply_free(&r);
    ali_by_order("alipay.trade.close", order, &r);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.json, "sub_code"), "ACQ.TRADE_NOT_EXIST");
    reply_free(&r);
    struct seen s = audit_of(order);
    CHECK_EQ_STR(s.state, "waiting");
    CHECK_EQ_INT(s.charged, 0);
    CHECK_EQ_INT(scan_order(order, 0, result, sizeof result), 200);
    CHECK_EQ_STR(result, "paid");
    CHECK_EQ_INT(audit_of(order).charged, 1);

    test_order_no(order, "QA");
    precreate(order, "5.00", "2m", &r);
    reply_free(&r);
    ali_by_order("alipay.trade.cancel", order, &r);
    CHECK_EQ_STR(json_text(r.json, "action"), "close");
    reply_free(&r);
    CHECK_EQ_INT(scan_order(order, 0, result, sizeof result), 409);
    CHECK_EQ_STR(result, "refused_closed");
    s = audit_of(order);
    CHECK_EQ_INT(s.charged, 0);
    CHECK_EQ_INT(s.late_pays_refused, 1);

    /* expired: the gateway's clock two minutes on, past timeout_express 1m */
    test_order_no(order, "QA");
    precreate(order, "5.00", "1m", &r);
    reply_free(&r);
    CHECK(sim_http(&sim, "POST", "/_sim/clock", "{\"offset_s\":120}", 5000, &r.http));
    http_result_free(&r.http);
    CHECK_EQ_INT(scan_order(order, 0, result, sizeof result), 409);
    CHECK_EQ_STR(result, "refused_expired");
    CHECK(sim_http(&sim, "POST", "/_sim/clock", "{\"offset_s\":0}", 5000, &r.http));
    http_result_free(&r.http);
    CHECK_EQ_INT(audit_of(order).charged, 0);
}

/* Scanned, not yet paid, then closed: the customer's payment is refused, now and later. */
static void test_alipay_pays_after_close(void)
{
    char order[33], result[32];
    struct reply r;
    test_order_no(order, "QA");
    precreate(order, "8.88", NULL, &r);
    reply_free(&r);
    CHECK_EQ_INT(scan_order(order, 2, result, sizeof result), 200);
    ali_by_order("alipay.trade.close", order, &r);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.json, "code"), "10000");
    CHECK_EQ_STR(json_text(r.json, "out_trade_no"), order);
    reply_free(&r);
    test_sleep_ms(2600); /* the moment the customer would have paid */
    ali_by_order("alipay.trade.query", order, &r);
    CHECK_EQ_STR(json_text(r.json, "trade_status"), "TRADE_CLOSED");
    reply_free(&r);
    CHECK_EQ_INT(scan_order(order, 0, result, sizeof result), 409);
    CHECK_EQ_STR(result, "refused_closed");
    /* a close sent again (its reply lost) answers as the first */
    ali_by_order("alipay.trade.close", order, &r);
    CHECK_EQ_STR(json_text(r.json, "code"), "10000");
    reply_free(&r);
    precreate(order, "8.88", NULL, &r);
    CHECK_EQ_STR(json_text(r.json, "sub_code"), "ACQ.TRADE_HAS_CLOSE");
    reply_free(&r);
    struct seen s = audit_of(order);
    CHECK_EQ_INT(s.charged, 0);
    CHECK_EQ_STR(s.state, "closed");
    CHECK_EQ_INT(s.late_pays_refused, 2);
}

static void test_alipay_bad_requests(void)
{
    char order[33];
    struct reply r;
    test_order_no(order, "QA");
    precreate(order, "1.00", "0m", &r);
    CHECK_EQ_STR(json_text(r.json, "sub_code"), "ACQ.INVALID_PARAMETER");
    reply_free(&r);
    precreate(order, "0.00", NULL, &r);
    CHECK_EQ_STR(json_text(r.json, "sub_code"), "ACQ.INVALID_PARAMETER");
    reply_free(&r);
    precreate(order, "1.00", "16d", &r);
    CHECK_EQ_STR(json_text(r.json, "sub_code"), "ACQ.INVALID_PARAMETER");
    reply_free(&r);
    CHECK_EQ_INT(audit_of(order).charged, -1); /* no trade */
    /* signed by another key: refused before any order exists */
    char biz[160];
    snprintf(biz, sizeof biz,
             "{\"out_trade_no\":\"%s\",\"subject\":\"s\",\"total_amount\":\"1.00\"}", order);
    memset(&r, 0, sizeof r);
    CHECK(alipay_call(&sim, "alipay.trade.precreate", biz, sim.wechat_merchant_private, 10000,
                      &r.http));
    CHECK(r.http.body && strstr(r.http.body, "isv.invalid-signature") != NULL);
    http_result_free(&r.http);
    CHECK_EQ_INT(audit_of(order).charged, -1);
}

/* --- WeChat scenarios ------------------------------------------------------------------- */

static void test_wechat_pays_at_once(void)
{
    char order[33], result[32], qr[130];
    struct reply r;
    test_order_no(order, "QW");
    native(order, 1230, NULL, &r);
    CHECK_EQ_INT(r.http.status, 200);
    CHECK(r.verified);
    snprintf(qr, sizeof qr, "%s", json_text(r.json, "code_url"));
    CHECK(strncmp(qr, "weixin://wxpay/bizpayurl?pr=", 28) == 0 && strlen(qr) > 28);
    CHECK(cJSON_GetArraySize(r.json) == 1); /* code_url alone, as documented */
    reply_free(&r);
    native(order, 1230, NULL, &r);
    CHECK_EQ_STR(json_text(r.json, "code_url"), qr);
    reply_free(&r);
    native(order, 1231, NULL, &r);
    CHECK_EQ_INT(r.http.status, 400);
    CHECK_EQ_STR(json_text(r.json, "code"), "INVALID_REQUEST");
    reply_free(&r);
    wx_query(order, &r);
    CHECK_EQ_STR(json_text(r.json, "trade_state"), "NOTPAY");
    CHECK_EQ_STR(json_text(r.json, "trade_type"), "NATIVE");
    reply_free(&r);

    CHECK_EQ_INT(scan_order(order, 0, result, sizeof result), 200);
    CHECK_EQ_STR(result, "paid");
    wx_query(order, &r);
    CHECK_EQ_STR(json_text(r.json, "trade_state"), "SUCCESS");
    CHECK_EQ_INT(num(cJSON_GetObjectItemCaseSensitive(r.json, "amount"), "total"), 1230);
    reply_free(&r);

    /* closing a paid order: ORDERPAID, signed */
    wx_close(order, &r);
    CHECK_EQ_INT(r.http.status, 400);
    CHECK(r.verified);
    CHECK_EQ_STR(json_text(r.json, "code"), "ORDERPAID");
    reply_free(&r);
    native(order, 1230, NULL, &r);
    CHECK_EQ_STR(json_text(r.json, "code"), "ORDERPAID");
    reply_free(&r);
    struct seen s = audit_of(order);
    CHECK_EQ_INT(s.charged, 1);
    CHECK_EQ_STR(s.qr, qr);
}

static void test_wechat_pays_after_seconds(void)
{
    char order[33], result[32];
    struct reply r;
    test_order_no(order, "QW");
    native(order, 1, NULL, &r);
    reply_free(&r);
    CHECK_EQ_INT(scan_order(order, 2, result, sizeof result), 200);
    CHECK_EQ_STR(result, "confirming");
    wx_query(order, &r);
    CHECK_EQ_STR(json_text(r.json, "trade_state"), "USERPAYING");
    reply_free(&r);
    test_sleep_ms(2600);
    wx_query(order, &r);
    CHECK_EQ_STR(json_text(r.json, "trade_state"), "SUCCESS");
    reply_free(&r);
}

/* Never paid, closed: 204 with no body, signed; then the customer's scan is refused. */
static void test_wechat_never_then_pays_after_close(void)
{
    char order[33], result[32];
    struct reply r;
    test_order_no(order, "QW");
    native(order, 500, NULL, &r);
    reply_free(&r);
    wx_close(order, &r);
    CHECK_EQ_INT(r.http.status, 204);
    CHECK_EQ_INT(r.http.len, 0);
    CHECK(r.verified); /* the signature covers "TIMESTAMP\nNONCE\n\n" */
    reply_free(&r);
    wx_query(order, &r);
    CHECK_EQ_STR(json_text(r.json, "trade_state"), "CLOSED");
    reply_free(&r);
    CHECK_EQ_INT(scan_order(order, 0, result, sizeof result), 409);
    CHECK_EQ_STR(result, "refused_closed");
    wx_close(order, &r);
    CHECK_EQ_INT(r.http.status, 204);
    reply_free(&r);
    native(order, 500, NULL, &r);
    CHECK_EQ_STR(json_text(r.json, "code"), "ORDER_CLOSED");
    reply_free(&r);
    struct seen s = audit_of(order);
    CHECK_EQ_INT(s.charged, 0);
    CHECK_EQ_STR(s.state, "closed");
    CHECK_EQ_INT(s.late_pays_refused, 1);

    /* scanned, confirming when the close comes: refused when the customer confirms */
    test_order_no(order, "QW");
    native(order, 500, NULL, &r);
    reply_free(&r);
    CHECK_EQ_INT(scan_order(order, 2, result, sizeof result), 200);
    wx_close(order, &r);
    CHECK_EQ_INT(r.http.status, 204);
    reply_free(&r);
    test_sleep_ms(2600);
    wx_query(order, &r);
    CHECK_EQ_STR(json_text(r.json, "trade_state"), "CLOSED");
    reply_free(&r);
    s = audit_of(order);
    CHECK_EQ_INT(s.charged, 0);
    CHECK_EQ_INT(s.late_pays_refused, 1);
}

static void test_wechat_checks(void)
{
    char order[33], result[32];
    struct reply r;
    test_order_no(order, "QW");
    wx_close(order, &r); /* no such order */
    CHECK_EQ_INT(r.http.status, 404);
    CHECK_EQ_STR(json_text(r.json, "code"), "ORDER_NOT_EXIST");
    reply_free(&r);
    char body[512], path[160];
    snprintf(body, sizeof body,
             "{\"appid\":\"%s\",\"mchid\":\"%s\",\"description\":\"d\",\"out_trade_no\":\"%s\","
             "\"amount\":{\"total\":100,\"currency\":\"CNY\"}}",
             SIM_WECHAT_APPID, SIM_WECHAT_MCHID, order);
    wx("POST", "/v3/pay/transactions/native", body, &r); /* no notify_url */
    CHECK_EQ_INT(r.http.status, 400);
    CHECK_EQ_STR(json_text(r.json, "code"), "PARAM_ERROR");
    reply_free(&r);
    native(order, 100, ",\"time_expire\":\"tomorrow\"", &r);
    CHECK_EQ_STR(json_text(r.json, "code"), "PARAM_ERROR");
    reply_free(&r);
    snprintf(path, sizeof path, "/v3/pay/transactions/out-trade-no/%s/close", order);
    wx("POST", path, "{\"appid\":\"x\"}", &r);
    CHECK_EQ_STR(json_text(r.json, "code"), "PARAM_ERROR");
    reply_free(&r);
    CHECK_EQ_INT(audit_of(order).charged, -1);

    /* time_expire in the past is moved to a minute after the order; past that, refused */
    native(order, 100, ",\"time_expire\":\"2020-01-01T00:00:00+08:00\"", &r);
    CHECK_EQ_INT(r.http.status, 200);
    reply_free(&r);
    CHECK(sim_http(&sim, "POST", "/_sim/clock", "{\"offset_s\":90}", 5000, &r.http));
    http_result_free(&r.http);
    CHECK_EQ_INT(scan_order(order, 0, result, sizeof result), 409);
    CHECK_EQ_STR(result, "refused_expired");
    CHECK(sim_http(&sim, "POST", "/_sim/clock", "{\"offset_s\":0}", 5000, &r.http));
    http_result_free(&r.http);

    /* the control endpoint's own checks */
    CHECK_EQ_INT(scan("{\"order\":\"NOSUCHORDER1\"}", result, sizeof result), 404);
    CHECK_EQ_INT(scan("{}", result, sizeof result), 400);
    CHECK_EQ_INT(scan("{\"order\":\"A\",\"qr\":\"B\"}", result, sizeof result), 400);
    CHECK_EQ_INT(scan("{\"order\":\"A\",\"seconds\":-1}", result, sizeof result), 400);
    CHECK_EQ_INT(scan("{\"order\":\"A\",\"pays\":1}", result, sizeof result), 400);
    CHECK_EQ_INT(scan("not json", result, sizeof result), 400);
}

/* A scripted fault applies to QR requests by their own op name. */
static void test_scripted_fault(void)
{
    char order[33];
    struct reply r;
    CHECK(
        sim_script(&sim, "{\"scenario\":\"bad_signature\",\"op\":\"qr\",\"channel\":\"wechat\"}"));
    test_order_no(order, "QW");
    native(order, 100, NULL, &r);
    CHECK_EQ_INT(r.http.status, 200);
    CHECK(!r.verified);
    reply_free(&r);
    CHECK(sim_script(&sim, "{\"scenario\":\"system_error\",\"op\":\"close\"}"));
    ali_by_order("alipay.trade.close", order, &r);
    CHECK_EQ_STR(json_text(r.json, "code"), "20000");
    reply_free(&r);
}

/* A QR order outlives a restart of the simulator: its payload, that nobody scanned it, that
 * it was closed. */
static void test_ledger_survives_restart(void)
{
    char ledger[400], port_arg[16], ali_order[33], wx_order[33], qr[130], json[256], result[32];
    struct reply r;
    snprintf(ledger, sizeof ledger, "%s/qr-ledger.json", sim.dir);
    const char *args[] = {"--ledger", ledger, "--quiet", NULL};
    CHECK(simproc_start(&sim, args));
    test_order_no(ali_order, "QL");
    precreate(ali_order, "3.00", "2h", &r);
    snprintf(qr, sizeof qr, "%s", json_text(r.json, "qr_code"));
    reply_free(&r);
    test_order_no(wx_order, "QL");
    native(wx_order, 300, NULL, &r);
    reply_free(&r);
    wx_close(wx_order, &r);
    CHECK_EQ_INT(r.http.status, 204);
    reply_free(&r);
    CHECK_EQ_INT(simproc_stop(&sim), 0);

    snprintf(port_arg, sizeof port_arg, "%d", sim.port);
    const char *again[] = {"--ledger", ledger, "--port", port_arg, "--quiet", NULL};
    CHECK(simproc_start(&sim, again));
    struct seen s = audit_of(ali_order);
    CHECK_EQ_STR(s.state, "waiting");
    CHECK_EQ_STR(s.qr, qr);
    ali_by_order("alipay.trade.query", ali_order, &r); /* still not scanned */
    CHECK_EQ_STR(json_text(r.json, "sub_code"), "ACQ.TRADE_NOT_EXIST");
    reply_free(&r);
    snprintf(json, sizeof json, "{\"qr\":\"%s\"}", qr);
    CHECK_EQ_INT(scan(json, result, sizeof result), 200);
    CHECK_EQ_INT(scan_order(wx_order, 0, result, sizeof result), 409);
    CHECK_EQ_STR(result, "refused_closed");
    CHECK_EQ_INT(audit_of(ali_order).charged, 1);
    CHECK_EQ_INT(audit_of(wx_order).charged, 0);
    CHECK_EQ_INT(simproc_stop(&sim), 0);
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
        test_alipay_pays_at_once();
        test_alipay_pays_after_seconds();
        test_alipay_never_and_close_before_scan();
        test_alipay_pays_after_close();
        test_alipay_bad_requests();
        test_wechat_pays_at_once();
        test_wechat_pays_after_seconds();
        test_wechat_never_then_pays_after_close();
        test_wechat_checks();
        test_scripted_fault();
        CHECK_EQ_INT(simproc_stop(&sim), 0);
        test_ledger_survives_restart();
    }
    simproc_cleanup(&sim);
    curl_global_cleanup();
    return check_done();
}
