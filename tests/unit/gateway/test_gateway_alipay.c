/*
 * test_gateway_alipay.c - Alipay request building and reply parsing, without sockets.
 *
 * Keys are generated here: one pair plays the merchant app, one plays Alipay. Every code and
 * trade state the channel maps is checked, and so is every way a reply can be broken.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alipay.h"
#include "check.h"
#include "key_pair.h"

static struct crypto_rng *rng;
static struct crypto_key *app_priv, *app_pub, *ali_priv, *ali_pub;
static struct alipay_keys keys;

static struct gw_request request(enum gw_op op)
{
    struct gw_request r;
    memset(&r, 0, sizeof r);
    r.op = op;
    r.channel = CHANNEL_ALIPAY;
    snprintf(r.order_no, sizeof r.order_no, "T01202611230001");
    if (op == GW_PAY) {
        snprintf(r.auth_code, sizeof r.auth_code, "286412345678901234");
        r.amount_fen = 1230;
        snprintf(r.subject, sizeof r.subject, "Coffee \"large\" & cake");
    }
    if (op == GW_REFUND) {
        r.amount_fen = 500;
        r.total_fen = 1230;
    }
    if (op == GW_REFUND || op == GW_REFUND_QUERY)
        snprintf(r.refund_no, sizeof r.refund_no, "R01202611230001");
    if (op == GW_QR_CREATE) {
        r.amount_fen = 1230;
        r.qr_window_s = 90;
        snprintf(r.subject, sizeof r.subject, "Coffee");
    }
    r.request_id = 9;
    return r;
}

/* Percent-decoding of one query/form value. */
static void urldecode(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n + 1) {
            unsigned v;
            sscanf(s + i + 1, "%2x", &v);
            out[o++] = (char)v;
            i += 2;
        } else {
            out[o++] = s[i] == '+' ? ' ' : s[i];
        }
    }
    out[o] = '\0';
}

/* Value of name=... in an a=b&c=d string, decoded. */
static bool param(const char *qs, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    for (const char *p = qs; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
        if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
            const char *v = p + nl + 1;
            const char *e = strchr(v, '&');
            size_t n = e ? (size_t)(e - v) : strlen(v);
            if (n >= cap)
                return false;
            urldecode(v, n, out);
            return true;
        }
    }
    return false;
}

static void test_timestamp_is_beijing_time(void)
{
    char ts[20];
    alipay_timestamp(0, ts);
    CHECK_EQ_STR(ts, "1970-01-01 08:00:00");
    setenv("TZ", "America/New_York", 1);
    tzset();
    alipay_timestamp(1795483781, ts); /* 2026-11-24 01:29:41 UTC */
    CHECK_EQ_STR(ts, "2026-11-24 09:29:41");
    unsetenv("TZ");
    tzset();
}

/* The sign string of wangyu19810820/PayDemo AlipaySignatureDemo.java (an app-pay request built
 * by the official Java SDK's rules): same parameters in, the same text out. */
static void test_sign_content_published_example(void)
{
    const char *k[] = {"timestamp", "method",      "app_id", "sign_type", "charset",
                       "version",   "biz_content", "sign",   "notify_url"};
    const char *v[] = {
        "2018-08-10 10:15:00",
        "alipay.trade.app.pay",
        "2018070560549460",
        "RSA2",
        "utf-8",
        "1.0",
        ("{\"seller_id\":\"\",\"total_amount\":\"0.01\",\"subject\":\"1\","
         "\"out_trade_no\":\"S6RE1P8R48R5V11\",\"product_code\":\"QUICK_MSECURITY_PAY\"}"),
        "ignored",
        ""};
    char *s = alipay_sign_content(k, v, 9);
    CHECK_EQ_STR(s, "app_id=2018070560549460&biz_content={\"seller_id\":\"\",\"total_amount\":"
                    "\"0.01\",\"subject\":\"1\",\"out_trade_no\":\"S6RE1P8R48R5V11\","
                    "\"product_code\":\"QUICK_MSECURITY_PAY\"}&charset=utf-8&method=alipay.trade."
                    "app.pay&sign_type=RSA2&timestamp=2018-08-10 10:15:00&version=1.0");
    free(s);
}

static void test_build_pay(void)
{
    struct gw_request req = request(GW_PAY);
    struct wire_request w;
    char ts[64], sig[1024], biz[512], method[64], app[64];
    CHECK_EQ_INT(alipay_build(&keys, &req, 1795483781, &w), GATEWAY_OK);
    CHECK_EQ_STR(w.method, "POST");
    CHECK(strncmp(w.url, "https://openapi.alipay.com/gateway.do?", 38) == 0);
    const char *qs = strchr(w.url, '?') + 1;
    CHECK(param(qs, "timestamp", ts, sizeof ts));
    CHECK_EQ_STR(ts, "2026-11-24 09:29:41");
    CHECK(param(qs, "method", method, sizeof method));
    CHECK_EQ_STR(method, "alipay.trade.pay");
    CHECK(param(qs, "app_id", app, sizeof app));
    CHECK_EQ_STR(app, "2021000000000001");
    CHECK(param(qs, "sign", sig, sizeof sig));
    CHECK(w.body && param(w.body, "biz_content", biz, sizeof biz));
    CHECK_EQ_STR(biz, "{\"out_trade_no\":\"T01202611230001\",\"scene\":\"bar_code\",\"auth_code\":"
                      "\"286412345678901234\",\"subject\":\"Coffee \\\"large\\\" & cake\","
                      "\"total_amount\":\"12.30\"}");
    /* the signature covers exactly the SDK's sorted string */
    char content[1024];
    snprintf(content, sizeof content,
             "app_id=2021000000000001&biz_content=%s&charset=utf-8&format=JSON&method=alipay.trade."
             "pay&sign_type=RSA2&timestamp=2026-11-24 09:29:41&version=1.0",
             biz);
    CHECK_EQ_INT(crypto_rsa_verify_b64(app_pub, content, strlen(content), sig, strlen(sig)),
                 CRYPTO_OK);
    CHECK(strstr(w.headers[0], "application/x-www-form-urlencoded") != NULL);
    /* the log line masks the payment code and holds no signature */
    CHECK(strstr(w.log_line, "286412345678901234") == NULL);
    CHECK(strstr(w.log_line, "****1234") != NULL && strstr(w.log_line, "12.30") != NULL);
    wire_request_free(&w);

    /* fen to yuan exactly, at the edges */
    const int64_t fens[] = {1, 10, 100, 99999999, 100000000000LL};
    const char *yuans[] = {"0.01", "0.10", "1.00", "999999.99", "1000000000.00"};
    for (int i = 0; i < 5; i++) {
        req.amount_fen = fens[i];
        CHECK_EQ_INT(alipay_build(&keys, &req, 0, &w), GATEWAY_OK);
        CHECK(param(w.body, "biz_content", biz, sizeof biz));
        char want[64];
        snprintf(want, sizeof want, "\"total_amount\":\"%s\"", yuans[i]);
        CHECK(strstr(biz, want) != NULL);
        wire_request_free(&w);
    }
    req.amount_fen = 0;
    CHECK_EQ_INT(alipay_build(&keys, &req, 0, &w), GATEWAY_ERR_INTERNAL);
}

static void test_build_others(void)
{
    struct gw_request req = request(GW_REFUND);
    struct wire_request w;
    char biz[512], method[64];
    CHECK_EQ_INT(alipay_build(&keys, &req, 0, &w), GATEWAY_OK);
    CHECK(param(w.body, "biz_content", biz, sizeof biz));
    CHECK_EQ_STR(biz, "{\"out_trade_no\":\"T01202611230001\",\"refund_amount\":\"5.00\","
                      "\"out_request_no\":\"R01202611230001\"}");
    wire_request_free(&w);
    req = request(GW_CANCEL);
    CHECK_EQ_INT(alipay_build(&keys, &req, 0, &w), GATEWAY_OK);
    CHECK(param(strchr(w.url, '?') + 1, "method", method, sizeof method));
    CHECK_EQ_STR(method, "alipay.trade.cancel");
    CHECK(param(w.body, "biz_content", biz, sizeof biz));
    CHECK_EQ_STR(biz, "{\"out_trade_no\":\"T01202611230001\"}");
    wire_request_free(&w);
    req = request(GW_REFUND_QUERY);
    CHECK_EQ_INT(alipay_build(&keys, &req, 0, &w), GATEWAY_OK);
    CHECK(param(strchr(w.url, '?') + 1, "method", method, sizeof method));
    CHECK_EQ_STR(method, "alipay.trade.fastpay.refund.query");
    CHECK(param(w.body, "biz_content", biz, sizeof biz));
    CHECK_EQ_STR(biz, "{\"out_trade_no\":\"T01202611230001\",\"out_request_no\":"
                      "\"R01202611230001\"}");
    wire_request_free(&w);
    req.refund_no[0] = '\0';
    CHECK_EQ_INT(alipay_build(&keys, &req, 0, &w), GATEWAY_ERR_INTERNAL);
}

/* A reply as Alipay sends it: {"<key>":<obj>,"sign":"..."} signed over obj's exact bytes. */
static char body[8192];
static struct wire_response signed_reply(const char *key, const char *obj,
                                         const struct crypto_key *signer)
{
    char sig[CRYPTO_SIG_B64_MAX];
    struct wire_response r;
    memset(&r, 0, sizeof r);
    CHECK_EQ_INT(crypto_rsa_sign_b64(signer, rng, obj, strlen(obj), sig, sizeof sig), CRYPTO_OK);
    snprintf(body, sizeof body, "{\"%s\":%s,\"sign\":\"%s\"}", key, obj, sig);
    r.status = 200;
    r.body = body;
    r.body_len = strlen(body);
    return r;
}

static struct gw_reply parse(enum gw_op op, const char *obj)
{
    struct gw_request req = request(op);
    char key[64];
    snprintf(key, sizeof key, "%s_response", alipay_method(op));
    for (char *c = key; *c; c++)
        if (*c == '.')
            *c = '_';
    struct wire_response resp = signed_reply(key, obj, ali_priv);
    struct gw_reply out;
    alipay_parse(&keys, &req, &resp, &out);
    return out;
}

static void test_pay_codes(void)
{
    struct gw_reply r;
    r = parse(GW_PAY, "{\"code\":\"10000\",\"msg\":\"Success\",\"trade_no\":\"2026112322001\","
                      "\"out_trade_no\":\"T01202611230001\",\"total_amount\":\"12.30\"}");
    CHECK_EQ_INT(r.kind, GW_SUCCESS);
    CHECK_EQ_INT(r.said.amount_fen, 1230);
    CHECK_EQ_STR(r.said.trade_no, "2026112322001");
    CHECK_EQ_STR(r.order_no, "T01202611230001");
    CHECK_EQ_INT(r.op, GW_PAY);
    CHECK_EQ_INT(r.channel, CHANNEL_ALIPAY);

    r = parse(GW_PAY, "{\"code\":\"10003\",\"msg\":\"order success pay inprocess\"}");
    CHECK_EQ_INT(r.kind, GW_PAYING);
    r = parse(GW_PAY, "{\"code\":\"20000\",\"msg\":\"Service Currently Unavailable\","
                      "\"sub_code\":\"isp.unknow-error\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    r = parse(GW_PAY, "{\"code\":\"40004\",\"msg\":\"Business Failed\",\"sub_code\":"
                      "\"ACQ.SYSTEM_ERROR\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    r = parse(GW_PAY, "{\"code\":\"40004\",\"msg\":\"Business Failed\",\"sub_code\":"
                      "\"ACQ.BUYER_BALANCE_NOT_ENOUGH\",\"sub_msg\":\"\\u4f59\\u989d\"}");
    CHECK_EQ_INT(r.kind, GW_FAILED);
    CHECK_EQ_STR(r.code, "ACQ.BUYER_BALANCE_NOT_ENOUGH");
    CHECK(strstr(r.reason, "balance") != NULL);
    CHECK_EQ_INT(r.cause, PAY_CAUSE_BALANCE);
    r = parse(GW_PAY, "{\"code\":\"40004\",\"sub_code\":\"ACQ.PAYMENT_AUTH_CODE_INVALID\"}");
    CHECK_EQ_INT(r.kind, GW_FAILED);
    CHECK_EQ_INT(r.cause, PAY_CAUSE_CODE_INVALID);
    /* an order already holding our number: a resent pay; the query decides */
    const char *dups[] = {"ACQ.TRADE_HAS_SUCCESS", "ACQ.TRADE_HAS_CLOSE",
                          "ACQ.CONTEXT_INCONSISTENT", "ACQ.TRADE_BUYER_NOT_MATCH"};
    for (size_t i = 0; i < sizeof dups / sizeof dups[0]; i++) {
        char obj[160];
        snprintf(obj, sizeof obj,
                 "{\"code\":\"40004\",\"msg\":\"Business Failed\",\"sub_code\":"
                 "\"%s\"}",
                 dups[i]);
        r = parse(GW_PAY, obj);
        CHECK_EQ_INT(r.kind, GW_UNKNOWN);
        CHECK_EQ_INT(r.cause, PAY_CAUSE_RESULT_UNKNOWN);
        CHECK_EQ_STR(r.code, dups[i]);
    }
    r = parse(GW_PAY, "{\"code\":\"40004\",\"sub_code\":\"ACQ.SOMETHING_NEW\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    CHECK_EQ_INT(r.cause, PAY_CAUSE_RESULT_UNKNOWN);
    r = parse(GW_PAY, "{\"code\":\"40004\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    r = parse(GW_PAY, "{\"code\":\"40002\",\"msg\":\"Invalid Arguments\",\"sub_code\":"
                      "\"isv.invalid-signature\"}");
    CHECK_EQ_INT(r.kind, GW_FAILED);
    CHECK_EQ_STR(r.code, "isv.invalid-signature");
    CHECK_EQ_INT(r.cause, PAY_CAUSE_MERCHANT_SETUP);
    r = parse(GW_PAY, "{\"code\":\"99999\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    /* a definite-looking answer with an amount that is not exact is not believed */
    r = parse(GW_PAY, "{\"code\":\"10000\",\"total_amount\":\"12.305\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    r = parse(GW_PAY, "{\"code\":\"10000\",\"total_amount\":12.30}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    r = parse(GW_PAY, "{\"code\":10000}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    r = parse(GW_PAY, "{\"code\":\"10000\",\"out_trade_no\":\"SOMEONE_ELSE\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
}

static void test_query_states(void)
{
    struct gw_reply r;
    r = parse(GW_QUERY, "{\"code\":\"10000\",\"trade_status\":\"TRADE_SUCCESS\",\"total_amount\":"
                        "\"12.30\",\"trade_no\":\"X1\"}");
    CHECK_EQ_INT(r.kind, GW_SUCCESS);
    CHECK_EQ_INT(r.said.amount_fen, 1230);
    r = parse(GW_QUERY, "{\"code\":\"10000\",\"trade_status\":\"TRADE_FINISHED\"}");
    CHECK_EQ_INT(r.kind, GW_SUCCESS);
    r = parse(GW_QUERY, "{\"code\":\"10000\",\"trade_status\":\"WAIT_BUYER_PAY\"}");
    CHECK_EQ_INT(r.kind, GW_PAYING);
    r = parse(GW_QUERY, "{\"code\":\"10000\",\"trade_status\":\"TRADE_CLOSED\"}");
    CHECK_EQ_INT(r.kind, GW_FAILED);
    r = parse(GW_QUERY, "{\"code\":\"10000\",\"trade_status\":\"SOMETHING\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    r = parse(GW_QUERY, "{\"code\":\"10000\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    r = parse(GW_QUERY, "{\"code\":\"10000\",\"trade_status\":[\"TRADE_SUCCESS\"]}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    r = parse(GW_QUERY, "{\"code\":\"40004\",\"sub_code\":\"ACQ.TRADE_NOT_EXIST\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    CHECK(r.no_such_order);
    r = parse(GW_QUERY, "{\"code\":\"40004\",\"sub_code\":\"ACQ.SYSTEM_ERROR\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    CHECK(!r.no_such_order);
    /* a refused query says nothing about the trade: never FAILED */
    r = parse(GW_QUERY, "{\"code\":\"40002\",\"sub_code\":\"isv.invalid-signature\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    r = parse(GW_QUERY, "{\"code\":\"10003\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
}

static void test_cancel(void)
{
    struct gw_reply r;
    r = parse(GW_CANCEL, "{\"code\":\"10000\",\"retry_flag\":\"N\",\"action\":\"close\"}");
    CHECK_EQ_INT(r.kind, GW_SUCCESS);
    CHECK(!r.cancel_refunded && !r.retry);
    r = parse(GW_CANCEL, "{\"code\":\"10000\",\"retry_flag\":\"N\",\"action\":\"refund\","
                         "\"trade_no\":\"X9\"}");
    CHECK_EQ_INT(r.kind, GW_SUCCESS);
    CHECK(r.cancel_refunded);
    CHECK_EQ_STR(r.said.trade_no, "X9");
    r = parse(GW_CANCEL, "{\"code\":\"10000\",\"retry_flag\":\"N\"}");
    CHECK_EQ_INT(r.kind, GW_SUCCESS);
    CHECK(!r.cancel_refunded);
    r = parse(GW_CANCEL, "{\"code\":\"10000\",\"retry_flag\":\"Y\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    CHECK(r.retry);
    r = parse(GW_CANCEL, "{\"code\":\"10000\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    r = parse(GW_CANCEL, "{\"code\":\"40004\",\"sub_code\":\"ACQ.TRADE_CANCEL_TIME_OUT\","
                         "\"retry_flag\":\"N\"}");
    CHECK_EQ_INT(r.kind, GW_FAILED);
    CHECK_EQ_INT(r.cause, PAY_CAUSE_CANCEL_TOO_LATE);
    r = parse(GW_CANCEL, "{\"code\":\"40004\",\"sub_code\":\"ACQ.SYSTEM_ERROR\",\"retry_flag\":"
                         "\"Y\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    CHECK(r.retry);
    r = parse(GW_CANCEL, "{\"code\":\"40004\",\"sub_code\":\"ACQ.SELLER_BALANCE_NOT_ENOUGH\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    CHECK(r.retry);
    r = parse(GW_CANCEL, "{\"code\":\"20000\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    CHECK(r.retry);
}

static void test_refund(void)
{
    struct gw_reply r;
    r = parse(GW_REFUND, "{\"code\":\"10000\",\"fund_change\":\"Y\",\"refund_fee\":\"5.00\"}");
    CHECK_EQ_INT(r.kind, GW_SUCCESS);
    CHECK_EQ_STR(r.refund_no, "R01202611230001");
    CHECK_EQ_INT(r.request_id, 9);
    /* refund_fee is the order's refunded total, never this refund's amount */
    CHECK(r.said.refunded_total_given && r.said.refunded_total_fen == 500);
    CHECK(!r.said.refund_given && !r.said.refund_no_given);
    r = parse(GW_REFUND, "{\"code\":\"40004\",\"sub_code\":\"ACQ.TRADE_NOT_EXIST\"}");
    CHECK_EQ_INT(r.kind, GW_FAILED);
    CHECK_EQ_INT(r.cause, PAY_CAUSE_NOT_REFUNDABLE);
    r = parse(GW_REFUND, "{\"code\":\"40004\",\"sub_code\":\"ACQ.SYSTEM_ERROR\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
}

static void test_refund_query(void)
{
    struct gw_reply r;
    r = parse(GW_REFUND_QUERY,
              "{\"code\":\"10000\",\"msg\":\"Success\",\"trade_no\":\"2026112322001\","
              "\"out_trade_no\":\"T01202611230001\",\"out_request_no\":"
              "\"R01202611230001\",\"total_amount\":\"12.30\",\"refund_amount\":"
              "\"5.00\",\"refund_status\":\"REFUND_SUCCESS\"}");
    CHECK_EQ_INT(r.kind, GW_SUCCESS);
    CHECK_EQ_INT(r.op, GW_REFUND_QUERY);
    CHECK(r.said.refund_given && r.said.refund_fen == 500);
    CHECK(r.said.amount_given && r.said.amount_fen == 1230);
    CHECK(r.said.refund_no_given && strcmp(r.said.refund_no, "R01202611230001") == 0);
    CHECK(!r.no_such_refund && !r.exchange_bound);
    /* no refund_status: "not received, or failed", believed as such only about our refund */
    r = parse(GW_REFUND_QUERY, "{\"code\":\"10000\",\"msg\":\"Success\",\"out_trade_no\":"
                               "\"T01202611230001\",\"out_request_no\":\"R01202611230001\"}");
    CHECK_EQ_INT(r.kind, GW_FAILED);
    CHECK(r.no_such_refund);
    r = parse(GW_REFUND_QUERY, "{\"code\":\"10000\",\"msg\":\"Success\",\"out_trade_no\":"
                               "\"T01202611230001\"}");
    CHECK_EQ_INT(r.kind, GW_FAILED);
    CHECK(r.no_such_refund);
    r = parse(GW_REFUND_QUERY, "{\"code\":\"10000\",\"msg\":\"Success\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    CHECK(!r.no_such_refund);
    r = parse(GW_REFUND_QUERY, "{\"code\":\"10000\",\"out_request_no\":\"R01202611230002\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    CHECK(!r.no_such_refund);
    /* another refund's success is not ours; another order's is refused outright */
    r = parse(GW_REFUND_QUERY, "{\"code\":\"10000\",\"out_request_no\":\"R01202611230002\","
                               "\"refund_status\":\"REFUND_SUCCESS\",\"refund_amount\":\"5.00\"}");
    CHECK_EQ_INT(r.kind, GW_SUCCESS); /* the engine compares the refund number */
    CHECK_EQ_STR(r.said.refund_no, "R01202611230002");
    r = parse(GW_REFUND_QUERY, "{\"code\":\"10000\",\"out_trade_no\":\"T01202611230009\","
                               "\"refund_status\":\"REFUND_SUCCESS\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    r = parse(GW_REFUND_QUERY, "{\"code\":\"10000\",\"refund_status\":\"REFUND_PROCESSING\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    r = parse(GW_REFUND_QUERY, "{\"code\":\"40004\",\"sub_code\":\"ACQ.TRADE_NOT_EXIST\"}");
    CHECK_EQ_INT(r.kind, GW_FAILED);
    CHECK(r.no_such_refund);
    r = parse(GW_REFUND_QUERY, "{\"code\":\"40004\",\"sub_code\":\"ACQ.SYSTEM_ERROR\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    CHECK(!r.no_such_refund);
    r = parse(GW_REFUND_QUERY, "{\"code\":\"40002\",\"sub_code\":\"isv.invalid-signature\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN); /* a refused query says nothing about the refund */
}

/* Which facts each reply states (the engine decides what they prove). -1 / NULL: not given. */
struct fact_row {
    enum gw_op op;
    const char *obj;
    enum gw_kind kind;
    const char *order, *refund_no, *trade;
    int64_t amount, refund, refunded_total;
};

static void test_facts_table(void)
{
    static const char *T = "T01202611230001", *R = "R01202611230001", *X = "2026112322001";
    const struct fact_row rows[] = {
        {GW_PAY,
         "{\"code\":\"10000\",\"msg\":\"Success\",\"trade_no\":\"2026112322001\","
         "\"out_trade_no\":\"T01202611230001\",\"total_amount\":\"12.30\"}",
         GW_SUCCESS, T, NULL, X, 1230, -1, -1},
        {GW_PAY, "{\"code\":\"10000\",\"msg\":\"Success\"}", GW_SUCCESS, NULL, NULL, NULL, -1, -1,
         -1},
        {GW_PAY, "{\"code\":\"10000\",\"total_amount\":\"0.00\"}", GW_SUCCESS, NULL, NULL, NULL, 0,
         -1, -1},
        {GW_PAY,
         "{\"code\":\"10003\",\"out_trade_no\":\"T01202611230001\",\"trade_no\":"
         "\"2026112322001\"}",
         GW_PAYING, T, NULL, X, -1, -1, -1},
        {GW_PAY,
         "{\"code\":\"40004\",\"msg\":\"Business Failed\",\"sub_code\":"
         "\"ACQ.BUYER_BALANCE_NOT_ENOUGH\"}",
         GW_FAILED, NULL, NULL, NULL, -1, -1, -1},
        {GW_PAY,
         "{\"code\":\"40004\",\"sub_code\":\"ACQ.BUYER_BALANCE_NOT_ENOUGH\","
         "\"out_trade_no\":\"T01202611230001\"}",
         GW_FAILED, T, NULL, NULL, -1, -1, -1},
        {GW_QUERY,
         "{\"code\":\"10000\",\"trade_status\":\"TRADE_SUCCESS\",\"out_trade_no\":"
         "\"T01202611230001\",\"trade_no\":\"2026112322001\",\"total_amount\":\"12.30\"}",
         GW_SUCCESS, T, NULL, X, 1230, -1, -1},
        {GW_QUERY,
         "{\"code\":\"10000\",\"trade_status\":\"TRADE_CLOSED\",\"out_trade_no\":"
         "\"T01202611230001\",\"total_amount\":\"12.30\"}",
         GW_FAILED, T, NULL, NULL, 1230, -1, -1},
        {GW_QUERY, "{\"code\":\"40004\",\"sub_code\":\"ACQ.TRADE_NOT_EXIST\"}", GW_UNKNOWN, NULL,
         NULL, NULL, -1, -1, -1},
        {GW_CANCEL,
         "{\"code\":\"10000\",\"trade_no\":\"2026112322001\",\"out_trade_no\":"
         "\"T01202611230001\",\"retry_flag\":\"N\",\"action\":\"refund\"}",
         GW_SUCCESS, T, NULL, X, -1, -1, -1},
        {GW_CANCEL, "{\"code\":\"40004\",\"sub_code\":\"ACQ.TRADE_CANCEL_TIME_OUT\"}", GW_FAILED,
         NULL, NULL, NULL, -1, -1, -1},
        {GW_REFUND,
         "{\"code\":\"10000\",\"trade_no\":\"2026112322001\",\"out_trade_no\":"
         "\"T01202611230001\",\"fund_change\":\"Y\",\"refund_fee\":\"7.00\"}",
         GW_SUCCESS, T, NULL, X, -1, -1, 700},
        {GW_REFUND,
         "{\"code\":\"40004\",\"sub_code\":\"ACQ.REFUND_AMT_NOT_EQUAL_TOTAL\","
         "\"out_trade_no\":\"T01202611230001\",\"refund_fee\":\"0.00\","
         "\"send_back_fee\":\"0.00\"}",
         GW_FAILED, T, NULL, NULL, -1, -1, 0},
        {GW_REFUND, "{\"code\":\"40004\",\"sub_code\":\"ACQ.SELLER_BALANCE_NOT_ENOUGH\"}",
         GW_FAILED, NULL, NULL, NULL, -1, -1, -1},
        {GW_REFUND_QUERY,
         "{\"code\":\"10000\",\"trade_no\":\"2026112322001\",\"out_trade_no\":"
         "\"T01202611230001\",\"out_request_no\":\"R01202611230001\","
         "\"total_amount\":\"12.30\",\"refund_amount\":\"5.00\","
         "\"refund_status\":\"REFUND_SUCCESS\"}",
         GW_SUCCESS, T, R, X, 1230, 500, -1},
        {GW_REFUND_QUERY, "{\"code\":\"40004\",\"sub_code\":\"ACQ.TRADE_NOT_EXIST\"}", GW_FAILED,
         NULL, NULL, NULL, -1, -1, -1},
        /* a malformed fact: nothing is taken from the body, and it decides nothing */
        {GW_PAY,
         "{\"code\":\"10000\",\"out_trade_no\":\"T01202611230001\",\"total_amount\":"
         "\"12.305\"}",
         GW_UNKNOWN, NULL, NULL, NULL, -1, -1, -1},
        {GW_REFUND, "{\"code\":\"10000\",\"refund_fee\":5}", GW_UNKNOWN, NULL, NULL, NULL, -1, -1,
         -1},
        {GW_REFUND_QUERY,
         "{\"code\":\"10000\",\"out_request_no\":[\"R01202611230001\"],"
         "\"refund_status\":\"REFUND_SUCCESS\"}",
         GW_UNKNOWN, NULL, NULL, NULL, -1, -1, -1},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct fact_row *row = &rows[i];
        struct gw_reply r = parse(row->op, row->obj);
        const struct gw_facts *f = &r.said;
        bool ok = r.kind == row->kind && f->order_no_given == (row->order != NULL) &&
                  f->refund_no_given == (row->refund_no != NULL) &&
                  f->trade_no_given == (row->trade != NULL) &&
                  f->amount_given == (row->amount >= 0) && f->refund_given == (row->refund >= 0) &&
                  f->refunded_total_given == (row->refunded_total >= 0) &&
                  (!row->order || strcmp(f->order_no, row->order) == 0) &&
                  (!row->refund_no || strcmp(f->refund_no, row->refund_no) == 0) &&
                  (!row->trade || strcmp(f->trade_no, row->trade) == 0) &&
                  (row->amount < 0 || f->amount_fen == row->amount) &&
                  (row->refund < 0 || f->refund_fen == row->refund) &&
                  (row->refunded_total < 0 || f->refunded_total_fen == row->refunded_total);
        CHECK(ok);
        if (!ok)
            fprintf(stderr,
                    "  row %zu (%s): kind %d order %d refund_no %d trade %d amount %d/%lld "
                    "refund %d/%lld total refunded %d/%lld\n",
                    i, gw_op_name(row->op), r.kind, f->order_no_given, f->refund_no_given,
                    f->trade_no_given, f->amount_given, (long long)f->amount_fen, f->refund_given,
                    (long long)f->refund_fen, f->refunded_total_given,
                    (long long)f->refunded_total_fen);
        CHECK_EQ_INT(r.request_id, 9);
        CHECK(!r.exchange_bound); /* Alipay's signature covers no timestamp and no nonce */
    }
}

/* The HTTP Date header is the only clock Alipay shows. */
static void test_server_time(void)
{
    struct gw_request req = request(GW_PAY);
    struct gw_reply out;
    struct wire_response resp = signed_reply(
        "alipay_trade_pay_response", "{\"code\":\"10000\",\"total_amount\":\"12.30\"}", ali_priv);
    alipay_parse(&keys, &req, &resp, &out);
    CHECK_EQ_INT(out.server_time, 0);
    const char *date = "Date: Tue, 24 Nov 2026 01:29:41 GMT\r\n";
    wire_response_add_header(&resp, date, strlen(date));
    alipay_parse(&keys, &req, &resp, &out);
    CHECK_EQ_INT(out.kind, GW_SUCCESS);
    CHECK_EQ_INT(out.server_time, 1795483781LL);
    resp.status = 502; /* any answer at all shows the gateway's clock */
    alipay_parse(&keys, &req, &resp, &out);
    CHECK_EQ_INT(out.kind, GW_UNKNOWN);
    CHECK_EQ_INT(out.server_time, 1795483781LL);
}

static struct gw_reply parse_raw(const char *text, long status)
{
    struct gw_request req = request(GW_PAY);
    struct wire_response resp;
    struct gw_reply out;
    memset(&resp, 0, sizeof resp);
    resp.status = status;
    resp.body = text;
    resp.body_len = strlen(text);
    alipay_parse(&keys, &req, &resp, &out);
    return out;
}

static void test_broken_replies(void)
{
    const char *ok = "{\"code\":\"10000\",\"total_amount\":\"12.30\"}";
    char sig[CRYPTO_SIG_B64_MAX], text[8192];
    struct gw_reply r;
    CHECK_EQ_INT(crypto_rsa_sign_b64(ali_priv, rng, ok, strlen(ok), sig, sizeof sig), CRYPTO_OK);

    /* the good one, in several legal layouts: sign first, spaces, nested braces in strings */
    snprintf(text, sizeof text, "{\"sign\":\"%s\", \"alipay_trade_pay_response\" : %s }", sig, ok);
    CHECK_EQ_INT(parse_raw(text, 200).kind, GW_SUCCESS);
    const char *tricky =
        "{\"code\":\"10000\",\"msg\":\"a \\\"}\\\" {b\",\"total_amount\":\"1.00\"}";
    char tsig[CRYPTO_SIG_B64_MAX];
    CHECK_EQ_INT(crypto_rsa_sign_b64(ali_priv, rng, tricky, strlen(tricky), tsig, sizeof tsig),
                 CRYPTO_OK);
    snprintf(text, sizeof text, "{\"alipay_trade_pay_response\":%s,\"sign\":\"%s\"}", tricky, tsig);
    r = parse_raw(text, 200);
    CHECK_EQ_INT(r.kind, GW_SUCCESS);
    CHECK_EQ_INT(r.said.amount_fen, 100);

    /* HTTP status other than 200 */
    snprintf(text, sizeof text, "{\"alipay_trade_pay_response\":%s,\"sign\":\"%s\"}", ok, sig);
    CHECK_EQ_INT(parse_raw(text, 503).kind, GW_UNKNOWN);
    CHECK_EQ_INT(parse_raw(text, 0).kind, GW_UNKNOWN);
    /* re-serialised (one space added inside the signed object) */
    snprintf(text, sizeof text,
             "{\"alipay_trade_pay_response\":{\"code\": \"10000\","
             "\"total_amount\":\"12.30\"},\"sign\":\"%s\"}",
             sig);
    CHECK_EQ_INT(parse_raw(text, 200).kind, GW_UNKNOWN);
    /* signed by the wrong key (the app's own) */
    char wrong[CRYPTO_SIG_B64_MAX];
    CHECK_EQ_INT(crypto_rsa_sign_b64(app_priv, rng, ok, strlen(ok), wrong, sizeof wrong),
                 CRYPTO_OK);
    snprintf(text, sizeof text, "{\"alipay_trade_pay_response\":%s,\"sign\":\"%s\"}", ok, wrong);
    CHECK_EQ_INT(parse_raw(text, 200).kind, GW_UNKNOWN);
    /* no sign; sign not a string; sign garbage */
    snprintf(text, sizeof text, "{\"alipay_trade_pay_response\":%s}", ok);
    CHECK_EQ_INT(parse_raw(text, 200).kind, GW_UNKNOWN);
    snprintf(text, sizeof text, "{\"alipay_trade_pay_response\":%s,\"sign\":42}", ok);
    CHECK_EQ_INT(parse_raw(text, 200).kind, GW_UNKNOWN);
    snprintf(text, sizeof text, "{\"alipay_trade_pay_response\":%s,\"sign\":\"!!\"}", ok);
    CHECK_EQ_INT(parse_raw(text, 200).kind, GW_UNKNOWN);
    /* an unsigned business failure is not believed either */
    CHECK_EQ_INT(parse_raw("{\"alipay_trade_pay_response\":{\"code\":\"40004\",\"sub_code\":"
                           "\"ACQ.BUYER_BALANCE_NOT_ENOUGH\"}}",
                           200)
                     .kind,
                 GW_UNKNOWN);
    /* the response for another method */
    snprintf(text, sizeof text, "{\"alipay_trade_query_response\":%s,\"sign\":\"%s\"}", ok, sig);
    CHECK_EQ_INT(parse_raw(text, 200).kind, GW_UNKNOWN);
    /* the key given twice (which copy was signed, which one read?) */
    snprintf(text, sizeof text,
             "{\"alipay_trade_pay_response\":%s,\"alipay_trade_pay_response\":"
             "{\"code\":\"10000\"},\"sign\":\"%s\"}",
             ok, sig);
    CHECK_EQ_INT(parse_raw(text, 200).kind, GW_UNKNOWN);
    /* truncated, trailing garbage, not JSON, not an object, empty */
    snprintf(text, sizeof text, "{\"alipay_trade_pay_response\":%s,\"sign\":\"%s\"}", ok, sig);
    text[strlen(text) - 5] = '\0';
    CHECK_EQ_INT(parse_raw(text, 200).kind, GW_UNKNOWN);
    snprintf(text, sizeof text, "{\"alipay_trade_pay_response\":%s,\"sign\":\"%s\"}xx", ok, sig);
    CHECK_EQ_INT(parse_raw(text, 200).kind, GW_UNKNOWN);
    CHECK_EQ_INT(parse_raw("<html>502 Bad Gateway</html>", 200).kind, GW_UNKNOWN);
    CHECK_EQ_INT(parse_raw("[1,2]", 200).kind, GW_UNKNOWN);
    CHECK_EQ_INT(parse_raw("", 200).kind, GW_UNKNOWN);
    /* a body with a NUL inside */
    struct gw_request req = request(GW_PAY);
    struct wire_response resp = {0};
    struct gw_reply out;
    snprintf(text, sizeof text, "{\"alipay_trade_pay_response\":%s,\"sign\":\"%s\"}", ok, sig);
    size_t n = strlen(text);
    text[n] = '\0';
    text[n + 1] = ' ';
    resp.status = 200;
    resp.body = text;
    resp.body_len = n + 2;
    alipay_parse(&keys, &req, &resp, &out);
    CHECK_EQ_INT(out.kind, GW_UNKNOWN);
    /* a huge body */
    size_t big = WIRE_BODY_MAX + 100;
    char *huge = malloc(big + 1);
    if (huge) {
        memset(huge, ' ', big);
        memcpy(huge, text, n);
        huge[big] = '\0';
        resp.body = huge;
        resp.body_len = big;
        alipay_parse(&keys, &req, &resp, &out);
        CHECK_EQ_INT(out.kind, GW_UNKNOWN);
        free(huge);
    }
    /* deep nesting does not crash the scanner */
    char *deep = malloc(200100);
    if (deep) {
        size_t d = 0;
        d += (size_t)sprintf(deep, "{\"alipay_trade_pay_response\":");
        for (int i = 0; i < 100000; i++)
            deep[d++] = '[';
        for (int i = 0; i < 100000; i++)
            deep[d++] = ']';
        strcpy(deep + d, "}");
        CHECK_EQ_INT(parse_raw(deep, 200).kind, GW_UNKNOWN);
        free(deep);
    }
}

static void test_error_response(void)
{
    struct gw_request req = request(GW_PAY);
    struct gw_reply out;
    struct wire_response resp =
        signed_reply("error_response",
                     "{\"code\":\"40002\",\"msg\":\"Invalid Arguments\",\"sub_code\":"
                     "\"isv.invalid-app-id\"}",
                     ali_priv);
    alipay_parse(&keys, &req, &resp, &out);
    CHECK_EQ_INT(out.kind, GW_FAILED);
    CHECK_EQ_STR(out.code, "isv.invalid-app-id");
}

/* --- dynamic QR: alipay.trade.precreate and alipay.trade.close ----------------------------- */

static void test_build_qr(void)
{
    struct gw_request req = request(GW_QR_CREATE);
    struct wire_request w;
    char biz[512], method[64], ts[64], sig[1024], content[1024];
    CHECK_EQ_INT(alipay_build(&keys, &req, 1795483781, &w), GATEWAY_OK);
    const char *qs = strchr(w.url, '?') + 1;
    CHECK(param(qs, "method", method, sizeof method));
    CHECK_EQ_STR(method, "alipay.trade.precreate");
    CHECK(param(w.body, "biz_content", biz, sizeof biz));
    /* 90 s rounds up to whole minutes: the QR never outlives what was asked by less */
    CHECK_EQ_STR(biz, "{\"out_trade_no\":\"T01202611230001\",\"subject\":\"Coffee\","
                      "\"total_amount\":\"12.30\",\"timeout_express\":\"2m\"}");
    /* signed as every request: the SDK's sorted string */
    CHECK(param(qs, "timestamp", ts, sizeof ts) && param(qs, "sign", sig, sizeof sig));
    snprintf(content, sizeof content,
             "app_id=2021000000000001&biz_content=%s&charset=utf-8&format=JSON&method=alipay.trade."
             "precreate&sign_type=RSA2&timestamp=%s&version=1.0",
             biz, ts);
    CHECK_EQ_INT(crypto_rsa_verify_b64(app_pub, content, strlen(content), sig, strlen(sig)),
                 CRYPTO_OK);
    CHECK(strstr(w.log_line, "qr create") != NULL && strstr(w.log_line, "12.30") != NULL);
    wire_request_free(&w);

    req.qr_window_s = 60;
    CHECK_EQ_INT(alipay_build(&keys, &req, 0, &w), GATEWAY_OK);
    CHECK(param(w.body, "biz_content", biz, sizeof biz));
    CHECK(strstr(biz, "\"timeout_express\":\"1m\"") != NULL);
    wire_request_free(&w);
    req.qr_window_s = 0;
    CHECK_EQ_INT(alipay_build(&keys, &req, 0, &w), GATEWAY_ERR_INTERNAL);
    req = request(GW_QR_CREATE);
    req.amount_fen = 0;
    CHECK_EQ_INT(alipay_build(&keys, &req, 0, &w), GATEWAY_ERR_INTERNAL);

    req = request(GW_QR_CLOSE);
    CHECK_EQ_INT(alipay_build(&keys, &req, 0, &w), GATEWAY_OK);
    CHECK(param(strchr(w.url, '?') + 1, "method", method, sizeof method));
    CHECK_EQ_STR(method, "alipay.trade.close");
    CHECK(param(w.body, "biz_content", biz, sizeof biz));
    CHECK_EQ_STR(biz, "{\"out_trade_no\":\"T01202611230001\"}");
    wire_request_free(&w);
}

/* The reply of the precreate documentation (open.alitrip.com articleId=104629), about our
 * order number. */
#define PRECREATE_OK(qr)                                                                           \
    "{\"code\":\"10000\",\"msg\":\"\\u5904\\u7406\\u6210\\u529f\",\"out_trade_no\":"               \
    "\"T01202611230001\",\"qr_code\":\"" qr "\"}"

static void test_qr_create_replies(void)
{
    struct gw_reply r =
        parse(GW_QR_CREATE, PRECREATE_OK("https://qr.alipay.com/bavh4wjlxf12tper3a"));
    CHECK_EQ_INT(r.kind, GW_SUCCESS);
    CHECK(r.said.qr_given);
    CHECK_EQ_STR(r.said.qr_payload, "https://qr.alipay.com/bavh4wjlxf12tper3a");
    CHECK(r.said.order_no_given);
    CHECK_EQ_INT(r.op, GW_QR_CREATE);
    CHECK(!r.exchange_bound);

    /* the longest payload believed, and one character more */
    char obj[512], qr[GW_QR_PAYLOAD_MAX + 2];
    snprintf(qr, sizeof qr, "https://qr.alipay.com/");
    while (strlen(qr) < GW_QR_PAYLOAD_MAX)
        strcat(qr, "a");
    snprintf(obj, sizeof obj, PRECREATE_OK("%s"), qr);
    r = parse(GW_QR_CREATE, obj);
    CHECK_EQ_INT(r.kind, GW_SUCCESS);
    CHECK_EQ_INT(strlen(r.said.qr_payload), GW_QR_PAYLOAD_MAX);
    strcat(qr, "a");
    snprintf(obj, sizeof obj, PRECREATE_OK("%s"), qr);
    r = parse(GW_QR_CREATE, obj);
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    CHECK(!r.said.qr_given && !r.said.order_no_given);

    /* anything but Alipay's own form is refused, and the whole reply with it */
    const char *bad[] = {
        "http://qr.alipay.com/bax03431",           /* not https */
        "https://qr.alipay.com.evil.example/bax0", /* another host */
        "https://qr.alipay.com/",                  /* no token */
        "https://qr.alipay.com/bax0?next=evil",    /* a query */
        "https://qr.alipay.com/../bax0",           /* a path */
        "https://qr.alipay.com/bax0#x",            /* a fragment */
        "weixin://wxpay/bizpayurl?pr=p4lpSuKzz",   /* the other channel's */
        "HTTPS://QR.ALIPAY.COM/bax0",              /* not as given */
        "https://qr.alipay.com/bax\\u00e90",       /* not ASCII */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(obj, sizeof obj, PRECREATE_OK("%s"), bad[i]);
        r = parse(GW_QR_CREATE, obj);
        CHECK_EQ_INT(r.kind, GW_UNKNOWN);
        CHECK_EQ_INT(r.cause, PAY_CAUSE_BAD_REPLY);
        CHECK(!r.said.qr_given);
    }
    r = parse(GW_QR_CREATE, "{\"code\":\"10000\",\"out_trade_no\":\"T01202611230001\","
                            "\"qr_code\":42}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    /* a 10000 without the payload says nothing to draw */
    r = parse(GW_QR_CREATE, "{\"code\":\"10000\",\"out_trade_no\":\"T01202611230001\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    CHECK_EQ_INT(r.cause, PAY_CAUSE_BAD_REPLY);
    /* about another order */
    r = parse(GW_QR_CREATE, "{\"code\":\"10000\",\"out_trade_no\":\"T01202611230002\","
                            "\"qr_code\":\"https://qr.alipay.com/bax0\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    CHECK(!r.said.qr_given);
    /* signed by the wrong key */
    struct gw_request req = request(GW_QR_CREATE);
    struct wire_response resp =
        signed_reply("alipay_trade_precreate_response",
                     PRECREATE_OK("https://qr.alipay.com/bavh4wjlxf12tper3a"), app_priv);
    alipay_parse(&keys, &req, &resp, &r);
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    CHECK(!r.said.qr_given);
    /* the reply of another method (a pay's object) is not a precreate reply */
    resp = signed_reply("alipay_trade_pay_response",
                        PRECREATE_OK("https://qr.alipay.com/bavh4wjlxf12tper3a"), ali_priv);
    alipay_parse(&keys, &req, &resp, &r);
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    /* a body that is not JSON */
    resp.body = "{\"alipay_trade_precreate_response\":{\"code\":\"10000\",";
    resp.body_len = strlen(resp.body);
    alipay_parse(&keys, &req, &resp, &r);
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    CHECK(!r.said.qr_given);
    /* only the precreate reply's qr_code is read */
    r = parse(GW_QUERY, "{\"code\":\"10000\",\"trade_status\":\"WAIT_BUYER_PAY\","
                        "\"qr_code\":\"https://qr.alipay.com/bax0\"}");
    CHECK_EQ_INT(r.kind, GW_PAYING);
    CHECK(!r.said.qr_given);

    /* refusals: definite ones create nothing; a trade already holding the number is left
     * to the query; a system error is unknown */
    r = parse(GW_QR_CREATE, "{\"code\":\"40004\",\"sub_code\":\"ACQ.TOTAL_FEE_EXCEED\"}");
    CHECK_EQ_INT(r.kind, GW_FAILED);
    CHECK_EQ_INT(r.cause, PAY_CAUSE_AMOUNT_LIMIT);
    r = parse(GW_QR_CREATE, "{\"code\":\"40004\",\"sub_code\":\"ACQ.INVALID_PARAMETER\"}");
    CHECK_EQ_INT(r.kind, GW_FAILED);
    r = parse(GW_QR_CREATE, "{\"code\":\"40002\",\"sub_code\":\"isv.invalid-signature\"}");
    CHECK_EQ_INT(r.kind, GW_FAILED);
    CHECK_EQ_INT(r.cause, PAY_CAUSE_MERCHANT_SETUP);
    const char *unknown[] = {"ACQ.TRADE_HAS_SUCCESS", "ACQ.TRADE_HAS_CLOSE",
                             "ACQ.CONTEXT_INCONSISTENT", "ACQ.SYSTEM_ERROR", "ACQ.SOMETHING_NEW"};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        snprintf(obj, sizeof obj, "{\"code\":\"40004\",\"sub_code\":\"%s\"}", unknown[i]);
        r = parse(GW_QR_CREATE, obj);
        CHECK_EQ_INT(r.kind, GW_UNKNOWN);
        CHECK(!r.said.qr_given);
    }
    r = parse(GW_QR_CREATE, "{\"code\":\"10003\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
}

static void test_qr_close_replies(void)
{
    struct gw_reply r;
    /* the close documentation's reply (kancloud.cn thinkphp5-alipay/405848), our order */
    r = parse(GW_QR_CLOSE, "{\"code\":\"10000\",\"msg\":\"Success\",\"out_trade_no\":"
                           "\"T01202611230001\",\"trade_no\":\"2017091821001004920266543823\"}");
    CHECK_EQ_INT(r.kind, GW_SUCCESS);
    CHECK(r.said.order_no_given && r.said.trade_no_given);
    CHECK(!r.close_refused_paid);

    /* "only a trade waiting for the buyer can be closed": paid, it is refused as such */
    const char *paid[] = {"ACQ.TRADE_STATUS_ERROR", "ACQ.REASON_ILLEGAL_STATUS",
                          "ACQ.REASON_TRADE_STATUS_INVALID", "ACQ.TRADE_HAS_SUCCESS"};
    for (size_t i = 0; i < sizeof paid / sizeof paid[0]; i++) {
        char obj[256];
        snprintf(obj, sizeof obj,
                 "{\"code\":\"40004\",\"msg\":\"Business Failed\",\"sub_code\":\"%s\","
                 "\"out_trade_no\":\"T01202611230001\"}",
                 paid[i]);
        r = parse(GW_QR_CLOSE, obj);
        CHECK_EQ_INT(r.kind, GW_FAILED);
        CHECK(r.close_refused_paid);
        CHECK(!r.no_such_order);
    }
    /* not scanned yet: no trade at Alipay, nothing closed, the QR stays payable */
    r = parse(GW_QR_CLOSE, "{\"code\":\"40004\",\"sub_code\":\"ACQ.TRADE_NOT_EXIST\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    CHECK(r.no_such_order);
    CHECK(!r.close_refused_paid);
    r = parse(GW_QR_CLOSE, "{\"code\":\"40004\",\"sub_code\":\"ACQ.SYSTEM_ERROR\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    r = parse(GW_QR_CLOSE, "{\"code\":\"20000\",\"sub_code\":\"isp.unknow-error\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    r = parse(GW_QR_CLOSE, "{\"code\":\"40004\",\"sub_code\":\"ACQ.SOMETHING_NEW\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    CHECK(!r.close_refused_paid);
    r = parse(GW_QR_CLOSE, "{\"code\":\"40004\",\"sub_code\":\"ACQ.INVALID_PARAMETER\"}");
    CHECK_EQ_INT(r.kind, GW_FAILED);
    CHECK(!r.close_refused_paid);
    /* about another order; a paid refusal about another order */
    r = parse(GW_QR_CLOSE, "{\"code\":\"10000\",\"out_trade_no\":\"T01202611230002\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    r = parse(GW_QR_CLOSE, "{\"code\":\"40004\",\"sub_code\":\"ACQ.TRADE_STATUS_ERROR\","
                           "\"out_trade_no\":\"T01202611230002\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    CHECK(!r.close_refused_paid);
    /* signed by the wrong key */
    struct gw_request req = request(GW_QR_CLOSE);
    struct wire_response resp =
        signed_reply("alipay_trade_close_response",
                     "{\"code\":\"10000\",\"out_trade_no\":\"T01202611230001\"}", app_priv);
    alipay_parse(&keys, &req, &resp, &r);
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    /* unsigned */
    resp.body = "{\"alipay_trade_close_response\":{\"code\":\"10000\"}}";
    resp.body_len = strlen(resp.body);
    alipay_parse(&keys, &req, &resp, &r);
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
}

int main(void)
{
    CHECK_EQ_INT(crypto_rng_open(&rng), CRYPTO_OK);
    if (!rng)
        return check_done();
    make_key_pair(rng, &app_priv, &app_pub);
    make_key_pair(rng, &ali_priv, &ali_pub);
    keys.gateway_url = "https://openapi.alipay.com/gateway.do";
    keys.app_id = "2021000000000001";
    keys.app_key = app_priv;
    keys.alipay_key = ali_pub;
    keys.rng = rng;

    test_timestamp_is_beijing_time();
    test_sign_content_published_example();
    test_build_pay();
    test_build_others();
    test_pay_codes();
    test_query_states();
    test_cancel();
    test_refund();
    test_refund_query();
    test_facts_table();
    test_server_time();
    test_broken_replies();
    test_error_response();
    test_build_qr();
    test_qr_create_replies();
    test_qr_close_replies();

    crypto_key_free(app_priv);
    crypto_key_free(app_pub);
    crypto_key_free(ali_priv);
    crypto_key_free(ali_pub);
    crypto_rng_close(rng);
    return check_done();
}
