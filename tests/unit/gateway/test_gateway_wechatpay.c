/*
 * test_gateway_wechatpay.c - WeChat Pay APIv3 request signing and reply parsing, no sockets.
 *
 * One generated key pair plays the merchant, one plays the WeChat Pay platform. Every trade
 * state and error code the channel maps is checked, and every way a reply can be broken.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "key_pair.h"
#include "wechatpay.h"

#define NOW             1795483781LL
#define PLATFORM_SERIAL "5157F09EFDC096DE15EBE81A47057A72"

static struct crypto_rng *rng;
static struct crypto_key *mch_priv, *mch_pub, *plat_priv, *plat_pub;
static struct wechatpay_keys keys;
/* The nonces the replies of this test were seen with; made long before NOW, so that replies
 * stamped near NOW are provably new. */
static struct wechatpay_nonces *seen;

static struct gw_request request(enum gw_op op)
{
    struct gw_request r;
    memset(&r, 0, sizeof r);
    r.op = op;
    r.channel = CHANNEL_WECHAT;
    snprintf(r.order_no, sizeof r.order_no, "T01202611230001");
    if (op == GW_PAY) {
        snprintf(r.auth_code, sizeof r.auth_code, "134567890123456789");
        r.amount_fen = 1230;
        snprintf(r.subject, sizeof r.subject, "Coffee");
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
    r.request_id = 7;
    return r;
}

/* Pulls name="value" out of the Authorization header. */
static bool auth_param(const char *auth, const char *name, char *out, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof pat, "%s=\"", name);
    const char *p = strstr(auth, pat);
    if (!p)
        return false;
    p += strlen(pat);
    const char *e = strchr(p, '"');
    if (!e || (size_t)(e - p) >= cap)
        return false;
    memcpy(out, p, (size_t)(e - p));
    out[e - p] = '\0';
    return true;
}

static void test_message_format(void)
{
    /* The signing example of the APIv3 signature guide (pay.weixin.qq.com, "签名生成"):
     * GET /v3/certificates at 1554208460 with nonce 593BEC0C930BF1AFEB40B4A08C8FB242. */
    char *m = wechatpay_request_message("GET", "/v3/certificates", 1554208460,
                                        "593BEC0C930BF1AFEB40B4A08C8FB242", "");
    CHECK_EQ_STR(m, "GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n");
    free(m);
}

static void check_signed(const struct wire_request *w, const char *method, const char *path)
{
    const char *auth = NULL;
    for (int i = 0; i < w->nheaders; i++)
        if (strncmp(w->headers[i], "Authorization: ", 15) == 0)
            auth = w->headers[i] + 15;
    CHECK(auth != NULL);
    if (!auth)
        return;
    CHECK(strncmp(auth, "WECHATPAY2-SHA256-RSA2048 ", 26) == 0);
    char mchid[32], nonce[64], ts[32], serial[64], sig[CRYPTO_SIG_B64_MAX];
    CHECK(auth_param(auth, "mchid", mchid, sizeof mchid));
    CHECK(auth_param(auth, "nonce_str", nonce, sizeof nonce));
    CHECK(auth_param(auth, "timestamp", ts, sizeof ts));
    CHECK(auth_param(auth, "serial_no", serial, sizeof serial));
    CHECK(auth_param(auth, "signature", sig, sizeof sig));
    CHECK_EQ_STR(mchid, "1900000109");
    CHECK_EQ_STR(nonce, "NONCE0123456789ABCDEFGHIJKLMNOPQ");
    CHECK_EQ_STR(ts, "1795483781");
    CHECK_EQ_STR(serial, "3775B6A45ACD588826D15E583A95F5DD00000000");
    char *msg = wechatpay_request_message(method, path, NOW, nonce, w->body ? w->body : "");
    CHECK_EQ_INT(crypto_rsa_verify_b64(mch_pub, msg, strlen(msg), sig, strlen(sig)), CRYPTO_OK);
    free(msg);
}

static void test_build(void)
{
    struct wire_request w;
    struct gw_request req = request(GW_PAY);
    const char *nonce = "NONCE0123456789ABCDEFGHIJKLMNOPQ";
    CHECK_EQ_INT(wechatpay_build(&keys, &req, NOW, nonce, &w), GATEWAY_OK);
    CHECK_EQ_STR(w.method, "POST");
    CHECK_EQ_STR(w.url, "https://api.mch.weixin.qq.com/v3/pay/transactions/codepay");
    CHECK_EQ_STR(w.body, "{\"appid\":\"wxd678efh567hg6787\",\"mchid\":\"1900000109\","
                         "\"description\":\"Coffee\",\"out_trade_no\":\"T01202611230001\","
                         "\"payer\":{\"auth_code\":\"134567890123456789\"},\"amount\":{\"total\":"
                         "1230,\"currency\":\"CNY\"},\"scene_info\":{\"store_info\":{\"out_id\":"
                         "\"POS01\"},\"device_id\":\"POS01\"}}");
    check_signed(&w, "POST", "/v3/pay/transactions/codepay");
    CHECK(strstr(w.log_line, "134567890123456789") == NULL);
    CHECK(strstr(w.log_line, "12.30") != NULL);
    wire_request_free(&w);

    req = request(GW_QUERY);
    CHECK_EQ_INT(wechatpay_build(&keys, &req, NOW, nonce, &w), GATEWAY_OK);
    CHECK_EQ_STR(w.method, "GET");
    CHECK_EQ_STR(w.url, "https://api.mch.weixin.qq.com/v3/pay/transactions/out-trade-no/"
                        "T01202611230001?mchid=1900000109");
    CHECK_EQ_STR(w.body, "");
    check_signed(&w, "GET", "/v3/pay/transactions/out-trade-no/T01202611230001?mchid=1900000109");
    wire_request_free(&w);

    req = request(GW_CANCEL);
    CHECK_EQ_INT(wechatpay_build(&keys, &req, NOW, nonce, &w), GATEWAY_OK);
    CHECK_EQ_STR(w.url, "https://api.mch.weixin.qq.com/v3/pay/transactions/out-trade-no/"
                        "T01202611230001/reverse");
    CHECK_EQ_STR(w.body, "{\"appid\":\"wxd678efh567hg6787\",\"mchid\":\"1900000109\"}");
    check_signed(&w, "POST", "/v3/pay/transactions/out-trade-no/T01202611230001/reverse");
    wire_request_free(&w);

    req = request(GW_REFUND);
    CHECK_EQ_INT(wechatpay_build(&keys, &req, NOW, nonce, &w), GATEWAY_OK);
    CHECK_EQ_STR(w.url, "https://api.mch.weixin.qq.com/v3/refund/domestic/refunds");
    CHECK_EQ_STR(w.body, "{\"out_trade_no\":\"T01202611230001\",\"out_refund_no\":"
                         "\"R01202611230001\",\"amount\":{\"refund\":500,\"total\":1230,"
                         "\"currency\":\"CNY\"}}");
    check_signed(&w, "POST", "/v3/refund/domestic/refunds");
    wire_request_free(&w);

    /* a base URL with a path (a proxy or the simulator): the path is signed too */
    struct wechatpay_keys k2 = keys;
    k2.base_url = "http://127.0.0.1:8443/wx";
    req = request(GW_QUERY);
    CHECK_EQ_INT(wechatpay_build(&k2, &req, NOW, nonce, &w), GATEWAY_OK);
    CHECK_EQ_STR(w.url, "http://127.0.0.1:8443/wx/v3/pay/transactions/out-trade-no/"
                        "T01202611230001?mchid=1900000109");
    check_signed(&w, "GET",
                 "/wx/v3/pay/transactions/out-trade-no/T01202611230001?mchid=1900000109");
    wire_request_free(&w);

    /* an order number that would change the path is escaped */
    snprintf(req.order_no, sizeof req.order_no, "A/../B?x");
    CHECK_EQ_INT(wechatpay_build(&keys, &req, NOW, nonce, &w), GATEWAY_OK);
    CHECK(strstr(w.url, "/out-trade-no/A%2F%2E%2E%2FB%3Fx?mchid=") != NULL);
    wire_request_free(&w);

    /* amounts stay integers, even large ones */
    req = request(GW_PAY);
    req.amount_fen = 900719925474099LL;
    CHECK_EQ_INT(wechatpay_build(&keys, &req, NOW, nonce, &w), GATEWAY_OK);
    CHECK(strstr(w.body, "\"total\":900719925474099,") != NULL);
    wire_request_free(&w);
    req.amount_fen = 0;
    CHECK_EQ_INT(wechatpay_build(&keys, &req, NOW, nonce, &w), GATEWAY_ERR_INTERNAL);
    req = request(GW_REFUND);
    req.total_fen = 100; /* refund above the total */
    CHECK_EQ_INT(wechatpay_build(&keys, &req, NOW, nonce, &w), GATEWAY_ERR_INTERNAL);
}

/* A reply as the platform sends it. */
struct signed_reply {
    struct wire_response resp;
    char body[4096];
};

/* Every reply gets a nonce of its own, as WeChat Pay's do. */
static void sign_reply(struct signed_reply *s, long status, const char *body, long long ts,
                       const char *serial, const struct crypto_key *signer)
{
    static unsigned counter;
    char msg[5000], sig[CRYPTO_SIG_B64_MAX], line[1600], nonce[40];
    memset(s, 0, sizeof *s);
    snprintf(nonce, sizeof nonce, "REPLYNONCE%08u", ++counter);
    snprintf(s->body, sizeof s->body, "%s", body);
    s->resp.status = status;
    s->resp.body = s->body;
    s->resp.body_len = strlen(s->body);
    snprintf(msg, sizeof msg, "%lld\n%s\n%s\n", ts, nonce, body);
    CHECK_EQ_INT(crypto_rsa_sign_b64(signer, rng, msg, strlen(msg), sig, sizeof sig), CRYPTO_OK);
    snprintf(line, sizeof line, "Wechatpay-Timestamp: %lld\r\n", ts);
    wire_response_add_header(&s->resp, line, strlen(line));
    snprintf(line, sizeof line, "wechatpay-nonce: %s\r\n", nonce);
    wire_response_add_header(&s->resp, line, strlen(line));
    snprintf(line, sizeof line, "Wechatpay-Signature: %s\r\n", sig);
    wire_response_add_header(&s->resp, line, strlen(line));
    snprintf(line, sizeof line, "Wechatpay-Serial: %s\r\n", serial);
    wire_response_add_header(&s->resp, line, strlen(line));
    snprintf(line, sizeof line, "Request-Id: 08F78BB5AF0610D302839A2F2D2CB4F2\r\n");
    wire_response_add_header(&s->resp, line, strlen(line));
}

static struct gw_reply parse(enum gw_op op, long status, const char *body)
{
    static struct signed_reply s;
    struct gw_request req = request(op);
    struct gw_reply out;
    sign_reply(&s, status, body, NOW - 2, PLATFORM_SERIAL, plat_priv);
    wechatpay_parse(&keys, seen, &req, &s.resp, NOW, &out);
    return out;
}

static const char *trade(const char *state)
{
    static char b[512];
    snprintf(b, sizeof b,
             "{\"appid\":\"wxd678efh567hg6787\",\"mchid\":\"1900000109\","
             "\"out_trade_no\":\"T01202611230001\",\"transaction_id\":"
             "\"4200000001202611230001\",\"trade_type\":\"MICROPAY\",\"trade_state\":"
             "\"%s\",\"amount\":{\"total\":1230,\"payer_total\":1230,\"currency\":"
             "\"CNY\"}}",
             state);
    return b;
}

static void test_pay(void)
{
    struct gw_reply r = parse(GW_PAY, 200, trade("SUCCESS"));
    CHECK_EQ_INT(r.kind, GW_SUCCESS);
    CHECK_EQ_INT(r.said.amount_fen, 1230);
    CHECK_EQ_STR(r.said.trade_no, "4200000001202611230001");
    CHECK_EQ_STR(r.order_no, "T01202611230001");
    CHECK_EQ_INT(r.channel, CHANNEL_WECHAT);
    CHECK_EQ_INT(parse(GW_PAY, 200, trade("USERPAYING")).kind, GW_PAYING);
    CHECK_EQ_INT(parse(GW_PAY, 202, "{\"code\":\"USERPAYING\",\"message\":\"need password\"}").kind,
                 GW_PAYING);
    CHECK_EQ_INT(parse(GW_PAY, 400, "{\"code\":\"USERPAYING\",\"message\":\"x\"}").kind, GW_PAYING);
    CHECK_EQ_INT(parse(GW_PAY, 500, "{\"code\":\"SYSTEM_ERROR\",\"message\":\"x\"}").kind,
                 GW_UNKNOWN);
    CHECK_EQ_INT(parse(GW_PAY, 403, "{\"code\":\"SYSTEMERROR\",\"message\":\"x\"}").kind,
                 GW_UNKNOWN);
    CHECK_EQ_INT(parse(GW_PAY, 403, "{\"code\":\"BANKERROR\",\"message\":\"x\"}").kind, GW_UNKNOWN);
    CHECK_EQ_INT(parse(GW_PAY, 403, "{\"code\":\"BANK_ERROR\",\"message\":\"x\"}").kind,
                 GW_UNKNOWN);
    r = parse(GW_PAY, 403, "{\"code\":\"NOT_ENOUGH\",\"message\":\"x\"}");
    CHECK_EQ_INT(r.kind, GW_FAILED);
    CHECK_EQ_STR(r.code, "NOT_ENOUGH");
    CHECK(strstr(r.reason, "balance") != NULL);
    CHECK_EQ_INT(r.cause, PAY_CAUSE_BALANCE);
    CHECK_EQ_INT(parse(GW_PAY, 400, "{\"code\":\"AUTH_CODE_EXPIRE\",\"message\":\"x\"}").cause,
                 PAY_CAUSE_CODE_EXPIRED);
    CHECK_EQ_INT(parse(GW_PAY, 403, "{\"code\":\"BRAND_NEW_CODE\",\"message\":\"x\"}").cause,
                 PAY_CAUSE_RESULT_UNKNOWN);
    CHECK_EQ_INT(parse(GW_PAY, 400, "{\"message\":\"no code\"}").cause, PAY_CAUSE_BAD_REPLY);
    CHECK_EQ_INT(parse(GW_PAY, 403, "{\"code\":\"NOTENOUGH\",\"message\":\"x\"}").kind, GW_FAILED);
    CHECK_EQ_INT(parse(GW_PAY, 400, "{\"code\":\"AUTH_CODE_INVALID\",\"message\":\"x\"}").kind,
                 GW_FAILED);
    CHECK_EQ_INT(parse(GW_PAY, 400, "{\"code\":\"AUTHCODEEXPIRE\",\"message\":\"x\"}").kind,
                 GW_FAILED);
    CHECK_EQ_INT(parse(GW_PAY, 400, "{\"code\":\"ORDERPAID\",\"message\":\"x\"}").kind, GW_UNKNOWN);
    CHECK_EQ_INT(parse(GW_PAY, 403, "{\"code\":\"BRAND_NEW_CODE\",\"message\":\"x\"}").kind,
                 GW_UNKNOWN);
    CHECK_EQ_INT(parse(GW_PAY, 502, "{\"code\":\"NOT_ENOUGH\"}").kind, GW_UNKNOWN); /* 5xx */
    CHECK_EQ_INT(parse(GW_PAY, 400, "{\"message\":\"no code\"}").kind, GW_UNKNOWN);
    CHECK_EQ_INT(parse(GW_PAY, 200, trade("NOTPAY")).kind, GW_UNKNOWN);
    CHECK_EQ_INT(parse(GW_PAY, 201, trade("SUCCESS")).kind, GW_UNKNOWN);
}

static void test_query(void)
{
    CHECK_EQ_INT(parse(GW_QUERY, 200, trade("SUCCESS")).kind, GW_SUCCESS);
    struct gw_reply r = parse(GW_QUERY, 200, trade("REFUND"));
    CHECK_EQ_INT(r.kind, GW_SUCCESS);
    CHECK_EQ_INT(r.said.amount_fen, 1230);
    CHECK_EQ_INT(parse(GW_QUERY, 200, trade("USERPAYING")).kind, GW_PAYING);
    CHECK_EQ_INT(parse(GW_QUERY, 200, trade("NOTPAY")).kind, GW_PAYING);
    CHECK_EQ_INT(parse(GW_QUERY, 200, trade("CLOSED")).kind, GW_FAILED);
    CHECK_EQ_INT(parse(GW_QUERY, 200, trade("REVOKED")).kind, GW_FAILED);
    CHECK_EQ_INT(parse(GW_QUERY, 200, trade("PAYERROR")).kind, GW_FAILED);
    CHECK_EQ_INT(parse(GW_QUERY, 200, trade("PAYERROR")).cause, PAY_CAUSE_SCAN_AGAIN);
    CHECK_EQ_INT(parse(GW_QUERY, 200, trade("REVOKED")).cause, PAY_CAUSE_ORDER_CLOSED);
    CHECK_EQ_INT(parse(GW_QUERY, 200, trade("USERPAYING")).cause, PAY_CAUSE_NONE);
    CHECK_EQ_INT(parse(GW_QUERY, 200, trade("WHATEVER")).kind, GW_UNKNOWN);
    r = parse(GW_QUERY, 404, "{\"code\":\"ORDER_NOT_EXIST\",\"message\":\"x\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    CHECK(r.no_such_order);
    r = parse(GW_QUERY, 404, "{\"code\":\"ORDERNOTEXIST\",\"message\":\"x\"}");
    CHECK(r.no_such_order && r.kind == GW_UNKNOWN);
    /* a refused query never says FAILED */
    CHECK_EQ_INT(parse(GW_QUERY, 400, "{\"code\":\"PARAM_ERROR\",\"message\":\"x\"}").kind,
                 GW_UNKNOWN);
    /* wrong types */
    CHECK_EQ_INT(parse(GW_QUERY, 200, "{\"trade_state\":7}").kind, GW_UNKNOWN);
    CHECK_EQ_INT(parse(GW_QUERY, 200,
                       "{\"trade_state\":\"SUCCESS\",\"amount\":{\"total\":"
                       "\"1230\"}}")
                     .kind,
                 GW_UNKNOWN);
    CHECK_EQ_INT(parse(GW_QUERY, 200,
                       "{\"trade_state\":\"SUCCESS\",\"amount\":{\"total\":"
                       "12.3}}")
                     .kind,
                 GW_UNKNOWN);
    CHECK_EQ_INT(parse(GW_QUERY, 200,
                       "{\"trade_state\":\"SUCCESS\",\"amount\":{\"total\":"
                       "-5}}")
                     .kind,
                 GW_UNKNOWN);
    CHECK_EQ_INT(parse(GW_QUERY, 200,
                       "{\"trade_state\":\"SUCCESS\",\"amount\":{\"total\":"
                       "1e300}}")
                     .kind,
                 GW_UNKNOWN);
    CHECK_EQ_INT(parse(GW_QUERY, 200, "{\"trade_state\":\"SUCCESS\",\"amount\":5}").kind,
                 GW_UNKNOWN);
    CHECK_EQ_INT(
        parse(GW_QUERY, 200, "{\"trade_state\":\"SUCCESS\",\"out_trade_no\":\"OTHER\"}").kind,
        GW_UNKNOWN);
}

static void test_reverse(void)
{
    struct gw_reply r = parse(GW_CANCEL, 204, "");
    CHECK_EQ_INT(r.kind, GW_SUCCESS);
    CHECK(!r.retry && !r.cancel_refunded);
    CHECK_EQ_INT(parse(GW_CANCEL, 200,
                       "{\"appid\":\"wxd678efh567hg6787\",\"mchid\":\"1900000109\","
                       "\"out_trade_no\":\"T01202611230001\"}")
                     .kind,
                 GW_SUCCESS);
    r = parse(GW_CANCEL, 200, "{\"recall\":true}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    CHECK(r.retry);
    r = parse(GW_CANCEL, 400, "{\"code\":\"USERPAYING\",\"message\":\"x\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    CHECK(r.retry);
    r = parse(GW_CANCEL, 500, "{\"code\":\"SYSTEMERROR\",\"message\":\"x\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    CHECK(r.retry);
    CHECK_EQ_INT(parse(GW_CANCEL, 404, "{\"code\":\"ORDER_NOT_EXIST\",\"message\":\"x\"}").kind,
                 GW_SUCCESS);
    CHECK_EQ_INT(parse(GW_CANCEL, 404, "{\"code\":\"ORDERNOTEXIST\",\"message\":\"x\"}").kind,
                 GW_SUCCESS);
    CHECK_EQ_INT(parse(GW_CANCEL, 400, "{\"code\":\"REVERSE_EXPIRE\",\"message\":\"x\"}").kind,
                 GW_FAILED);
    CHECK_EQ_INT(parse(GW_CANCEL, 403, "{\"code\":\"SOMETHING_ELSE\",\"message\":\"x\"}").kind,
                 GW_UNKNOWN);
}

static const char *refund_body(const char *status)
{
    static char b[700];
    snprintf(b, sizeof b,
             "{\"refund_id\":\"50000000382019052709732678859\",\"out_refund_no\":"
             "\"R01202611230001\",\"transaction_id\":\"4200000001202611230001\","
             "\"out_trade_no\":\"T01202611230001\",\"channel\":\"ORIGINAL\","
             "\"status\":\"%s\",\"amount\":{\"total\":1230,\"refund\":500,"
             "\"payer_total\":1230,\"payer_refund\":500,\"currency\":\"CNY\"}}",
             status);
    return b;
}

static void test_refund(void)
{
    struct gw_reply r = parse(GW_REFUND, 200, refund_body("SUCCESS"));
    CHECK_EQ_INT(r.kind, GW_SUCCESS);
    CHECK(r.said.refund_given && r.said.refund_fen == 500);
    CHECK(r.said.amount_given && r.said.amount_fen == 1230);
    CHECK(r.said.refund_no_given);
    CHECK_EQ_STR(r.said.refund_no, "R01202611230001");
    CHECK_EQ_STR(r.said.trade_no, "4200000001202611230001"); /* the trade's, not refund_id */
    CHECK(!r.said.refunded_total_given);
    CHECK_EQ_STR(r.refund_no, "R01202611230001");
    CHECK_EQ_INT(r.request_id, 7);
    CHECK_EQ_INT(parse(GW_REFUND, 200, refund_body("PROCESSING")).kind, GW_PAYING);
    CHECK_EQ_INT(parse(GW_REFUND, 200, "{\"status\":\"PROCESSING\"}").kind, GW_PAYING);
    CHECK_EQ_INT(parse(GW_REFUND, 200, refund_body("CLOSED")).kind, GW_FAILED);
    /* ABNORMAL never ends by asking again: a person finishes it in the merchant portal */
    r = parse(GW_REFUND, 200, refund_body("ABNORMAL"));
    CHECK_EQ_INT(r.kind, GW_FAILED);
    CHECK(r.refund_abnormal);
    CHECK_EQ_INT(r.cause, PAY_CAUSE_REFUND_BY_HAND);
    CHECK(!parse(GW_REFUND, 200, refund_body("SUCCESS")).refund_abnormal);
    CHECK_EQ_INT(parse(GW_REFUND, 200, "{}").kind, GW_UNKNOWN);
    CHECK_EQ_INT(parse(GW_REFUND, 403, "{\"code\":\"NOT_ENOUGH\",\"message\":\"x\"}").kind,
                 GW_FAILED);
    CHECK_EQ_INT(parse(GW_REFUND, 403, "{\"code\":\"NOT_ENOUGH\",\"message\":\"x\"}").cause,
                 PAY_CAUSE_MERCHANT_BALANCE);
    CHECK_EQ_INT(parse(GW_REFUND, 500, "{\"code\":\"SYSTEM_ERROR\",\"message\":\"x\"}").kind,
                 GW_UNKNOWN);
    CHECK_EQ_INT(parse(GW_REFUND, 429, "{\"code\":\"FREQUENCY_LIMITED\",\"message\":\"x\"}").kind,
                 GW_UNKNOWN);
    /* a refund reply for a smaller amount says so */
    r = parse(GW_REFUND, 200,
              "{\"out_refund_no\":\"R01202611230001\",\"status\":\"SUCCESS\","
              "\"amount\":{\"refund\":100,\"total\":1230}}");
    CHECK_EQ_INT(r.kind, GW_SUCCESS);
    CHECK_EQ_INT(r.said.refund_fen, 100);
}

static void test_refund_query(void)
{
    struct wire_request w;
    struct gw_request req = request(GW_REFUND_QUERY);
    const char *nonce = "NONCE0123456789ABCDEFGHIJKLMNOPQ";
    CHECK_EQ_INT(wechatpay_build(&keys, &req, NOW, nonce, &w), GATEWAY_OK);
    CHECK_EQ_STR(w.method, "GET");
    CHECK_EQ_STR(w.url, "https://api.mch.weixin.qq.com/v3/refund/domestic/refunds/R01202611230001");
    CHECK_EQ_STR(w.body, "");
    check_signed(&w, "GET", "/v3/refund/domestic/refunds/R01202611230001");
    for (int i = 0; i < w.nheaders; i++)
        CHECK(strncmp(w.headers[i], "Content-Type", 12) != 0);
    wire_request_free(&w);
    req.refund_no[0] = '\0';
    CHECK_EQ_INT(wechatpay_build(&keys, &req, NOW, nonce, &w), GATEWAY_ERR_INTERNAL);

    struct gw_reply r = parse(GW_REFUND_QUERY, 200, refund_body("SUCCESS"));
    CHECK_EQ_INT(r.kind, GW_SUCCESS);
    CHECK_EQ_INT(r.op, GW_REFUND_QUERY);
    CHECK(r.said.refund_no_given && r.said.refund_given && r.said.refund_fen == 500);
    CHECK(!r.no_such_refund);
    CHECK_EQ_INT(parse(GW_REFUND_QUERY, 200, refund_body("PROCESSING")).kind, GW_PAYING);
    CHECK_EQ_INT(parse(GW_REFUND_QUERY, 200, refund_body("CLOSED")).kind, GW_FAILED);
    r = parse(GW_REFUND_QUERY, 200, refund_body("ABNORMAL"));
    CHECK_EQ_INT(r.kind, GW_FAILED);
    CHECK(r.refund_abnormal);
    CHECK_EQ_INT(r.cause, PAY_CAUSE_REFUND_BY_HAND);
    r = parse(GW_REFUND_QUERY, 404, "{\"code\":\"RESOURCE_NOT_EXISTS\",\"message\":\"x\"}");
    CHECK_EQ_INT(r.kind, GW_FAILED);
    CHECK(r.no_such_refund);
    CHECK(!r.said.order_no_given && !r.said.refund_no_given);
    r = parse(GW_REFUND_QUERY, 500, "{\"code\":\"SYSTEM_ERROR\",\"message\":\"x\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    CHECK(!r.no_such_refund);
    r = parse(GW_REFUND_QUERY, 400, "{\"code\":\"PARAM_ERROR\",\"message\":\"x\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN); /* a refused query says nothing about the refund */
    /* the same 404 to a refund is about the trade, not the refund number */
    r = parse(GW_REFUND, 404, "{\"code\":\"RESOURCE_NOT_EXISTS\",\"message\":\"x\"}");
    CHECK_EQ_INT(r.kind, GW_FAILED);
    CHECK(!r.no_such_refund);
}

/* Answers that speak of an order already holding our number: a resent pay, never FAILED. */
static void test_duplicate_order_answers(void)
{
    const char *codes[] = {"ORDERPAID",      "ORDER_PAID",     "OUT_TRADE_NO_USED",
                           "ORDER_CLOSED",   "ORDERCLOSED",    "ORDERREVERSED",
                           "ORDER_REVERSED", "BUYER_MISMATCH", "INVALID_REQUEST"};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        char body[200];
        snprintf(body, sizeof body, "{\"code\":\"%s\",\"message\":\"201 商户订单号重复\"}",
                 codes[i]);
        struct gw_reply r = parse(GW_PAY, 400, body);
        CHECK_EQ_INT(r.kind, GW_UNKNOWN);
        CHECK_EQ_INT(r.cause, PAY_CAUSE_RESULT_UNKNOWN);
        CHECK_EQ_STR(r.code, codes[i]);
        if (r.kind != GW_UNKNOWN)
            fprintf(stderr, "  code %s\n", codes[i]);
    }
    /* other operations keep their own reading of the same codes */
    CHECK_EQ_INT(parse(GW_CANCEL, 400, "{\"code\":\"ORDER_REVERSED\",\"message\":\"x\"}").kind,
                 GW_SUCCESS);
    CHECK_EQ_INT(parse(GW_REFUND, 400, "{\"code\":\"INVALID_REQUEST\",\"message\":\"x\"}").kind,
                 GW_FAILED);
}

/* Which facts each reply states (the engine decides what they prove). -1 / NULL: not given. */
struct fact_row {
    enum gw_op op;
    long status;
    const char *body;
    enum gw_kind kind;
    const char *order, *refund_no, *trade;
    int64_t amount, refund;
};

static void check_facts(const struct fact_row *row, const struct gw_reply *r, int line)
{
    const struct gw_facts *f = &r->said;
    bool ok = r->kind == row->kind && f->order_no_given == (row->order != NULL) &&
              f->refund_no_given == (row->refund_no != NULL) &&
              f->trade_no_given == (row->trade != NULL) && f->amount_given == (row->amount >= 0) &&
              f->refund_given == (row->refund >= 0) && !f->refunded_total_given &&
              (!row->order || strcmp(f->order_no, row->order) == 0) &&
              (!row->refund_no || strcmp(f->refund_no, row->refund_no) == 0) &&
              (!row->trade || strcmp(f->trade_no, row->trade) == 0) &&
              (row->amount < 0 || f->amount_fen == row->amount) &&
              (row->refund < 0 || f->refund_fen == row->refund) &&
              (row->order || f->order_no[0] == '\0') && (row->amount >= 0 || f->amount_fen == 0);
    CHECK(ok);
    if (!ok)
        fprintf(stderr,
                "  row %d (%s %ld): kind %d order %d/%s refund_no %d trade %d amount "
                "%d/%lld refund %d/%lld\n",
                line, gw_op_name(row->op), row->status, r->kind, f->order_no_given, f->order_no,
                f->refund_no_given, f->trade_no_given, f->amount_given, (long long)f->amount_fen,
                f->refund_given, (long long)f->refund_fen);
}

static void test_facts_table(void)
{
    static const char *T = "T01202611230001", *R = "R01202611230001", *X = "4200000001202611230001";
    const char *no_such = "{\"code\":\"ORDER_NOT_EXIST\",\"message\":\"x\"}";
    const char *refused = "{\"code\":\"NOT_ENOUGH\",\"message\":\"x\"}";
    char paid[512], notpay[512], closed[512], refunded[700];
    /* trade() and refund_body() return a static buffer: copy each one */
    snprintf(paid, sizeof paid, "%s", trade("SUCCESS"));
    snprintf(notpay, sizeof notpay, "%s", trade("NOTPAY"));
    snprintf(closed, sizeof closed, "%s", trade("CLOSED"));
    snprintf(refunded, sizeof refunded, "%s", refund_body("SUCCESS"));
    struct fact_row rows[] = {
        {GW_PAY, 200, paid, GW_SUCCESS, T, NULL, X, 1230, -1},
        {GW_PAY, 200, "{\"trade_state\":\"SUCCESS\"}", GW_SUCCESS, NULL, NULL, NULL, -1, -1},
        {GW_PAY, 200, "{\"trade_state\":\"SUCCESS\",\"amount\":{\"total\":0}}", GW_SUCCESS, NULL,
         NULL, NULL, 0, -1},
        {GW_PAY, 202, "{\"code\":\"USERPAYING\",\"message\":\"x\"}", GW_PAYING, NULL, NULL, NULL,
         -1, -1},
        {GW_PAY, 403, refused, GW_FAILED, NULL, NULL, NULL, -1, -1},
        {GW_QUERY, 200, paid, GW_SUCCESS, T, NULL, X, 1230, -1},
        {GW_QUERY, 200, notpay, GW_PAYING, T, NULL, X, 1230, -1},
        {GW_QUERY, 200, closed, GW_FAILED, T, NULL, X, 1230, -1},
        {GW_QUERY, 404, no_such, GW_UNKNOWN, NULL, NULL, NULL, -1, -1},
        {GW_CANCEL, 200,
         "{\"appid\":\"wxd678efh567hg6787\",\"mchid\":\"1900000109\","
         "\"out_trade_no\":\"T01202611230001\"}",
         GW_SUCCESS, T, NULL, NULL, -1, -1},
        {GW_CANCEL, 204, "", GW_SUCCESS, NULL, NULL, NULL, -1, -1},
        {GW_CANCEL, 404, no_such, GW_SUCCESS, NULL, NULL, NULL, -1, -1},
        {GW_REFUND, 200, refunded, GW_SUCCESS, T, R, X, 1230, 500},
        {GW_REFUND, 403, refused, GW_FAILED, NULL, NULL, NULL, -1, -1},
        {GW_REFUND_QUERY, 200, refunded, GW_SUCCESS, T, R, X, 1230, 500},
        {GW_REFUND_QUERY, 404, "{\"code\":\"RESOURCE_NOT_EXISTS\",\"message\":\"x\"}", GW_FAILED,
         NULL, NULL, NULL, -1, -1},
        /* a malformed fact: nothing is taken from the body, and it decides nothing */
        {GW_QUERY, 200,
         "{\"out_trade_no\":\"T01202611230001\",\"trade_state\":\"SUCCESS\","
         "\"amount\":{\"total\":\"1230\"}}",
         GW_UNKNOWN, NULL, NULL, NULL, -1, -1},
        {GW_PAY, 200, "{\"out_trade_no\":7,\"trade_state\":\"SUCCESS\"}", GW_UNKNOWN, NULL, NULL,
         NULL, -1, -1},
        {GW_REFUND, 200,
         "{\"out_refund_no\":\"R01202611230001\",\"status\":\"SUCCESS\","
         "\"amount\":{\"refund\":5.5}}",
         GW_UNKNOWN, NULL, NULL, NULL, -1, -1},
        {GW_PAY, 403,
         "{\"code\":\"NOT_ENOUGH\",\"out_trade_no\":\"T0120261123000100000000000000"
         "0000000000000000000000000000000000\"}",
         GW_UNKNOWN, NULL, NULL, NULL, -1, -1},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct gw_reply r = parse(rows[i].op, rows[i].status, rows[i].body);
        check_facts(&rows[i], &r, (int)i);
        CHECK_EQ_INT(r.request_id, 7);
        CHECK(r.exchange_bound);
    }
}

/* A captured reply played back is refused; a reply is exchange-bound only when its nonce is
 * provably new. */
static void test_replay(void)
{
    static struct signed_reply s;
    struct gw_request req = request(GW_PAY);
    struct gw_reply out;
    sign_reply(&s, 403, "{\"code\":\"NOT_ENOUGH\",\"message\":\"x\"}", NOW - 1, PLATFORM_SERIAL,
               plat_priv);
    wechatpay_parse(&keys, seen, &req, &s.resp, NOW, &out);
    CHECK_EQ_INT(out.kind, GW_FAILED);
    CHECK(out.exchange_bound);
    /* the same signed refusal for the next order, a minute later */
    snprintf(req.order_no, sizeof req.order_no, "T01202611230002");
    wechatpay_parse(&keys, seen, &req, &s.resp, NOW + 60, &out);
    CHECK_EQ_INT(out.kind, GW_UNKNOWN);
    CHECK_EQ_INT(out.cause, PAY_CAUSE_BAD_REPLY);
    CHECK_EQ_STR(out.reason, "replayed reply (nonce seen before)");
    CHECK(!out.exchange_bound);
    /* without a nonce cache nothing is bound (the parse is otherwise the same) */
    sign_reply(&s, 200, trade("SUCCESS"), NOW, PLATFORM_SERIAL, plat_priv);
    req = request(GW_PAY);
    wechatpay_parse(&keys, NULL, &req, &s.resp, NOW, &out);
    CHECK_EQ_INT(out.kind, GW_SUCCESS);
    CHECK(!out.exchange_bound);
    /* a cache made a second after the reply was stamped cannot know whether an earlier
     * process saw it: read, not bound */
    struct wechatpay_nonces *fresh = wechatpay_nonces_new(NOW + 1);
    wechatpay_parse(&keys, fresh, &req, &s.resp, NOW, &out);
    CHECK_EQ_INT(out.kind, GW_SUCCESS);
    CHECK(!out.exchange_bound);
    wechatpay_parse(&keys, fresh, &req, &s.resp, NOW, &out);
    CHECK_EQ_INT(out.kind, GW_UNKNOWN); /* but it is remembered from now on */
    sign_reply(&s, 200, trade("SUCCESS"), NOW + 1, PLATFORM_SERIAL, plat_priv);
    wechatpay_parse(&keys, fresh, &req, &s.resp, NOW + 1, &out);
    CHECK_EQ_INT(out.kind, GW_SUCCESS); /* stamped in the second the cache began: new */
    CHECK(out.exchange_bound);
    wechatpay_nonces_free(fresh);
    /* a stale or unverified reply is not remembered: the good copy still goes through */
    sign_reply(&s, 200, trade("SUCCESS"), NOW, PLATFORM_SERIAL, plat_priv);
    wechatpay_parse(&keys, seen, &req, &s.resp, NOW + 400, &out);
    CHECK_EQ_INT(out.kind, GW_UNKNOWN);
    wechatpay_parse(&keys, seen, &req, &s.resp, NOW, &out);
    CHECK_EQ_INT(out.kind, GW_SUCCESS);
    CHECK(out.exchange_bound);
}

/* Past WECHATPAY_NONCES_MAX the oldest nonce is forgotten, and from then on no reply stamped
 * at or before it is called new: a forgotten replay is read, never exchange-bound. A 1024-bit
 * platform key keeps the 4097 signatures quick. */
static void test_nonce_cache_overflow(void)
{
    struct crypto_key *priv = NULL, *pub = NULL;
    static char priv_pem[4096], pub_pem[1024];
    CHECK_EQ_INT(
        crypto_rsa_generate_pem(rng, 1024, priv_pem, sizeof priv_pem, pub_pem, sizeof pub_pem),
        CRYPTO_OK);
    CHECK_EQ_INT(crypto_key_parse_private(&priv, priv_pem, rng), CRYPTO_OK);
    CHECK_EQ_INT(crypto_key_parse_public(&pub, pub_pem), CRYPTO_OK);
    if (!priv || !pub)
        return;
    struct wechatpay_keys k = keys;
    k.platform_key = pub;
    struct wechatpay_nonces *cache = wechatpay_nonces_new(NOW - 1000);
    static struct signed_reply first, s;
    struct gw_request req = request(GW_PAY);
    struct gw_reply out;
    int bound = 0;
    sign_reply(&first, 200, trade("SUCCESS"), NOW - 200, PLATFORM_SERIAL, priv);
    wechatpay_parse(&k, cache, &req, &first.resp, NOW, &out);
    bound += out.exchange_bound;
    for (int i = 1; i < WECHATPAY_NONCES_MAX; i++) {
        sign_reply(&s, 200, trade("SUCCESS"), NOW - 100, PLATFORM_SERIAL, priv);
        wechatpay_parse(&k, cache, &req, &s.resp, NOW, &out);
        bound += out.exchange_bound;
    }
    CHECK_EQ_INT(bound, WECHATPAY_NONCES_MAX);
    /* full: a newer reply pushes out the oldest (stamped NOW - 200) and is still new */
    sign_reply(&s, 200, trade("SUCCESS"), NOW - 50, PLATFORM_SERIAL, priv);
    wechatpay_parse(&k, cache, &req, &s.resp, NOW, &out);
    CHECK_EQ_INT(out.kind, GW_SUCCESS);
    CHECK(out.exchange_bound);
    /* the forgotten one played back: read, but not bound */
    wechatpay_parse(&k, cache, &req, &first.resp, NOW, &out);
    CHECK_EQ_INT(out.kind, GW_SUCCESS);
    CHECK(!out.exchange_bound);
    /* the remembered ones are still refused */
    wechatpay_parse(&k, cache, &req, &s.resp, NOW, &out);
    CHECK_EQ_INT(out.kind, GW_UNKNOWN);
    wechatpay_nonces_free(cache);
    crypto_key_free(priv);
    crypto_key_free(pub);
}

/* A reply stamped more than five minutes from our clock is not believed, but its signed time
 * is reported so that the loop can say the clock is wrong. */
static void test_clock(void)
{
    static struct signed_reply s;
    struct gw_request req = request(GW_PAY);
    struct gw_reply out;
    sign_reply(&s, 200, trade("SUCCESS"), NOW - 2, PLATFORM_SERIAL, plat_priv);
    wechatpay_parse(&keys, seen, &req, &s.resp, NOW, &out);
    CHECK_EQ_INT(out.kind, GW_SUCCESS);
    CHECK_EQ_INT(out.server_time, NOW - 2);
    /* our clock an hour slow, then an hour fast */
    sign_reply(&s, 200, trade("SUCCESS"), NOW + 3600, PLATFORM_SERIAL, plat_priv);
    wechatpay_parse(&keys, seen, &req, &s.resp, NOW, &out);
    CHECK_EQ_INT(out.kind, GW_UNKNOWN);
    CHECK_EQ_INT(out.cause, PAY_CAUSE_BAD_REPLY);
    CHECK_EQ_INT(out.server_time, NOW + 3600);
    CHECK(strstr(out.reason, "clock") != NULL);
    sign_reply(&s, 200, trade("SUCCESS"), NOW - 3600, PLATFORM_SERIAL, plat_priv);
    wechatpay_parse(&keys, seen, &req, &s.resp, NOW, &out);
    CHECK_EQ_INT(out.kind, GW_UNKNOWN);
    CHECK_EQ_INT(out.server_time, NOW - 3600);
    /* a timestamp whose signature does not verify is not a time; Date is used instead */
    sign_reply(&s, 200, trade("SUCCESS"), NOW - 3600, PLATFORM_SERIAL, mch_priv);
    wechatpay_parse(&keys, seen, &req, &s.resp, NOW, &out);
    CHECK_EQ_INT(out.kind, GW_UNKNOWN);
    CHECK_EQ_INT(out.server_time, 0);
    const char *date = "Date: Tue, 24 Nov 2026 01:29:41 GMT\r\n";
    wire_response_add_header(&s.resp, date, strlen(date));
    wechatpay_parse(&keys, seen, &req, &s.resp, NOW, &out);
    CHECK_EQ_INT(out.server_time, 1795483781LL);
    /* Date in the one form servers send, and nothing else */
    struct wire_response d;
    const char *dates[][2] = {
        {"Date: Tue, 24 Nov 2026 01:29:41 GMT", "1795483781"},
        {"Date: Thu, 01 Jan 1970 00:00:00 GMT", "0"},
        {"Date: Sun, 06 Nov 1994 08:49:37 GMT", "784111777"},
        {"Date: Tue, 29 Feb 2028 23:59:59 GMT", "1835481599"},
        {"Date: Tue, 24 Nov 2026 01:29:41 UTC", "0"},
        {"Date: Tuesday, 24-Nov-26 01:29:41 GMT", "0"},
        {"Date: Tue, 24 Foo 2026 01:29:41 GMT", "0"},
        {"Date: Tue, 24 Nov 2026 25:29:41 GMT", "0"},
        {"Date: Tue, 24 Nov 2026 01:29:41 GMT junk", "0"},
        {"Date: 1795483781", "0"},
    };
    for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
        memset(&d, 0, sizeof d);
        wire_response_add_header(&d, dates[i][0], strlen(dates[i][0]));
        CHECK_EQ_INT(wire_date(&d), atoll(dates[i][1]));
    }
    memset(&d, 0, sizeof d);
    CHECK_EQ_INT(wire_date(&d), 0);
}

static int kind_of(struct signed_reply *s, enum gw_op op)
{
    struct gw_request req = request(op);
    struct gw_reply out;
    wechatpay_parse(&keys, seen, &req, &s->resp, NOW, &out);
    return out.kind;
}

static void drop_header(struct signed_reply *s, const char *name)
{
    for (int i = 0; i < s->resp.nheaders; i++)
        if (strcasecmp(s->resp.headers[i].name, name) == 0)
            s->resp.headers[i].name[0] = 'X';
}

static void test_broken(void)
{
    static struct signed_reply s;
    const char *ok = trade("SUCCESS");

    sign_reply(&s, 200, ok, NOW, PLATFORM_SERIAL, plat_priv);
    CHECK_EQ_INT(kind_of(&s, GW_PAY), GW_SUCCESS);
    const char *names[] = {"Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature",
                           "Wechatpay-Serial"};
    for (int i = 0; i < 4; i++) {
        sign_reply(&s, 200, ok, NOW, PLATFORM_SERIAL, plat_priv);
        drop_header(&s, names[i]);
        CHECK_EQ_INT(kind_of(&s, GW_PAY), GW_UNKNOWN);
    }
    /* wrong serial, signed by the merchant's key, or by nobody we know */
    sign_reply(&s, 200, ok, NOW, "PUB_KEY_ID_0000000000000000000000000000", plat_priv);
    CHECK_EQ_INT(kind_of(&s, GW_PAY), GW_UNKNOWN);
    sign_reply(&s, 200, ok, NOW, PLATFORM_SERIAL, mch_priv);
    CHECK_EQ_INT(kind_of(&s, GW_PAY), GW_UNKNOWN);
    /* the serial in another case is the same serial */
    sign_reply(&s, 200, ok, NOW, "5157f09efdc096de15ebe81a47057a72", plat_priv);
    CHECK_EQ_INT(kind_of(&s, GW_PAY), GW_SUCCESS);
    /* timestamps: inside the window, at its edges, outside, not a number */
    sign_reply(&s, 200, ok, NOW - 299, PLATFORM_SERIAL, plat_priv);
    CHECK_EQ_INT(kind_of(&s, GW_PAY), GW_SUCCESS);
    sign_reply(&s, 200, ok, NOW + 299, PLATFORM_SERIAL, plat_priv);
    CHECK_EQ_INT(kind_of(&s, GW_PAY), GW_SUCCESS);
    sign_reply(&s, 200, ok, NOW - 300, PLATFORM_SERIAL, plat_priv);
    CHECK_EQ_INT(kind_of(&s, GW_PAY), GW_UNKNOWN);
    sign_reply(&s, 200, ok, NOW + 301, PLATFORM_SERIAL, plat_priv);
    CHECK_EQ_INT(kind_of(&s, GW_PAY), GW_UNKNOWN);
    sign_reply(&s, 200, ok, NOW, PLATFORM_SERIAL, plat_priv);
    snprintf(s.resp.headers[0].value, sizeof s.resp.headers[0].value, "%lldx", NOW);
    CHECK_EQ_INT(kind_of(&s, GW_PAY), GW_UNKNOWN);
    /* the body changed after signing, or cut short */
    sign_reply(&s, 200, ok, NOW, PLATFORM_SERIAL, plat_priv);
    char *st = strstr(s.body, "1230");
    st[0] = '9';
    CHECK_EQ_INT(kind_of(&s, GW_PAY), GW_UNKNOWN);
    sign_reply(&s, 200, ok, NOW, PLATFORM_SERIAL, plat_priv);
    s.resp.body_len -= 10;
    CHECK_EQ_INT(kind_of(&s, GW_PAY), GW_UNKNOWN);
    /* the probe signature WeChat documents as one that must fail */
    sign_reply(&s, 200, ok, NOW, PLATFORM_SERIAL, plat_priv);
    snprintf(s.resp.headers[2].value, sizeof s.resp.headers[2].value,
             "WECHATPAY/SIGNTEST/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
    CHECK_EQ_INT(kind_of(&s, GW_PAY), GW_UNKNOWN);
    /* signed, but not JSON / not an object / trailing garbage */
    sign_reply(&s, 200, "{\"trade_state\":\"SUCCESS\"", NOW, PLATFORM_SERIAL, plat_priv);
    CHECK_EQ_INT(kind_of(&s, GW_PAY), GW_UNKNOWN);
    sign_reply(&s, 200, "[\"SUCCESS\"]", NOW, PLATFORM_SERIAL, plat_priv);
    CHECK_EQ_INT(kind_of(&s, GW_PAY), GW_UNKNOWN);
    sign_reply(&s, 200, "{\"trade_state\":\"SUCCESS\"} {}", NOW, PLATFORM_SERIAL, plat_priv);
    CHECK_EQ_INT(kind_of(&s, GW_PAY), GW_UNKNOWN);
    sign_reply(&s, 200, "", NOW, PLATFORM_SERIAL, plat_priv);
    CHECK_EQ_INT(kind_of(&s, GW_PAY), GW_UNKNOWN);
    /* an unsigned definite failure is not believed */
    sign_reply(&s, 403, "{\"code\":\"NOT_ENOUGH\",\"message\":\"x\"}", NOW, PLATFORM_SERIAL,
               plat_priv);
    drop_header(&s, "Wechatpay-Signature");
    CHECK_EQ_INT(kind_of(&s, GW_PAY), GW_UNKNOWN);
    /* a reply with many other headers (proxies, CDNs) before the Wechatpay-* ones */
    sign_reply(&s, 200, ok, NOW, PLATFORM_SERIAL, plat_priv);
    {
        struct wire_header mine[5];
        memcpy(mine, s.resp.headers, sizeof mine);
        s.resp.nheaders = 0;
        for (int i = 0; i < 30; i++) {
            char line[64];
            snprintf(line, sizeof line, "X-Edge-%d: hop", i);
            wire_response_add_header(&s.resp, line, strlen(line));
        }
        for (int i = 0; i < 5; i++)
            s.resp.headers[s.resp.nheaders++] = mine[i];
        CHECK_EQ_INT(kind_of(&s, GW_PAY), GW_SUCCESS);
    }
    /* no reply at all */
    struct wire_response none = {0};
    struct gw_request req = request(GW_PAY);
    struct gw_reply out;
    wechatpay_parse(&keys, seen, &req, &none, NOW, &out);
    CHECK_EQ_INT(out.kind, GW_UNKNOWN);
    /* a huge body */
    size_t big = WIRE_BODY_MAX + 1;
    char *huge = malloc(big);
    if (huge) {
        memset(huge, ' ', big);
        sign_reply(&s, 200, ok, NOW, PLATFORM_SERIAL, plat_priv);
        s.resp.body = huge;
        s.resp.body_len = big;
        CHECK_EQ_INT(kind_of(&s, GW_PAY), GW_UNKNOWN);
        free(huge);
    }
}

static void test_decrypt_resource(void)
{
    unsigned char key[32], ct[256];
    size_t n;
    char b64[512], json[1024];
    memcpy(key, "0123456789abcdef0123456789ABCDEF", 32);
    const char *plain = "{\"serial_no\":\"5157F09EFDC096DE15EBE81A47057A72\"}";
    CHECK_EQ_INT(crypto_aes_gcm_encrypt(key, 32, "fdasflkja484", 12, "certificate", 11,
                                        (const unsigned char *)plain, strlen(plain), ct, sizeof ct,
                                        &n),
                 CRYPTO_OK);
    CHECK_EQ_INT(crypto_base64_encode(ct, n, b64, sizeof b64), CRYPTO_OK);
    snprintf(json, sizeof json,
             "{\"algorithm\":\"AEAD_AES_256_GCM\",\"nonce\":\"fdasflkja484\","
             "\"associated_data\":\"certificate\",\"ciphertext\":\"%s\"}",
             b64);
    char *out = wechatpay_decrypt_resource(key, json, strlen(json));
    CHECK_EQ_STR(out, plain);
    free(out);
    key[0] ^= 1;
    CHECK(wechatpay_decrypt_resource(key, json, strlen(json)) == NULL);
    key[0] ^= 1;
    snprintf(json, sizeof json,
             "{\"algorithm\":\"AEAD_AES_128_GCM\",\"nonce\":\"fdasflkja484\","
             "\"associated_data\":\"certificate\",\"ciphertext\":\"%s\"}",
             b64);
    CHECK(wechatpay_decrypt_resource(key, json, strlen(json)) == NULL);
    CHECK(wechatpay_decrypt_resource(key, "{", 1) == NULL);
    snprintf(json, sizeof json,
             "{\"algorithm\":\"AEAD_AES_256_GCM\",\"nonce\":\"fdasflkja484\","
             "\"associated_data\":\"other\",\"ciphertext\":\"%s\"}",
             b64);
    CHECK(wechatpay_decrypt_resource(key, json, strlen(json)) == NULL);
}

/* --- dynamic QR: Native orders and their close -------------------------------------------- */

static void test_build_qr(void)
{
    struct wire_request w;
    struct gw_request req = request(GW_QR_CREATE);
    const char *nonce = "NONCE0123456789ABCDEFGHIJKLMNOPQ";
    CHECK_EQ_INT(wechatpay_build(&keys, &req, NOW, nonce, &w), GATEWAY_OK);
    CHECK_EQ_STR(w.method, "POST");
    CHECK_EQ_STR(w.url, "https://api.mch.weixin.qq.com/v3/pay/transactions/native");
    /* NOW is 2026-11-24 01:29:41 UTC; 90 s later in Beijing time */
    CHECK_EQ_STR(w.body, "{\"appid\":\"wxd678efh567hg6787\",\"mchid\":\"1900000109\","
                         "\"description\":\"Coffee\",\"out_trade_no\":\"T01202611230001\","
                         "\"time_expire\":\"2026-11-24T09:31:11+08:00\",\"notify_url\":"
                         "\"https://merchant.example/wxpay/notify\",\"amount\":{\"total\":1230,"
                         "\"currency\":\"CNY\"}}");
    check_signed(&w, "POST", "/v3/pay/transactions/native");
    CHECK(strstr(w.log_line, "qr create") != NULL && strstr(w.log_line, "12.30") != NULL);
    wire_request_free(&w);
    /* WeChat Pay allows no less than a minute */
    req.qr_window_s = 30;
    CHECK_EQ_INT(wechatpay_build(&keys, &req, NOW, nonce, &w), GATEWAY_OK);
    CHECK(strstr(w.body, "\"time_expire\":\"2026-11-24T09:30:41+08:00\"") != NULL);
    wire_request_free(&w);
    req.qr_window_s = 0;
    CHECK_EQ_INT(wechatpay_build(&keys, &req, NOW, nonce, &w), GATEWAY_ERR_INTERNAL);
    req = request(GW_QR_CREATE);
    req.amount_fen = -5;
    CHECK_EQ_INT(wechatpay_build(&keys, &req, NOW, nonce, &w), GATEWAY_ERR_INTERNAL);
    /* notify_url is required by Native orders: none configured, none sent */
    struct wechatpay_keys k2 = keys;
    k2.notify_url = "";
    req = request(GW_QR_CREATE);
    CHECK_EQ_INT(wechatpay_build(&k2, &req, NOW, nonce, &w), GATEWAY_ERR_CONFIG);
    k2.notify_url = NULL;
    CHECK_EQ_INT(wechatpay_build(&k2, &req, NOW, nonce, &w), GATEWAY_ERR_CONFIG);

    req = request(GW_QR_CLOSE);
    CHECK_EQ_INT(wechatpay_build(&keys, &req, NOW, nonce, &w), GATEWAY_OK);
    CHECK_EQ_STR(w.method, "POST");
    CHECK_EQ_STR(w.url, "https://api.mch.weixin.qq.com/v3/pay/transactions/out-trade-no/"
                        "T01202611230001/close");
    CHECK_EQ_STR(w.body, "{\"mchid\":\"1900000109\"}");
    check_signed(&w, "POST", "/v3/pay/transactions/out-trade-no/T01202611230001/close");
    wire_request_free(&w);
    /* closing does not need notify_url */
    CHECK_EQ_INT(wechatpay_build(&k2, &req, NOW, nonce, &w), GATEWAY_OK);
    wire_request_free(&w);
}

static void test_qr_create_replies(void)
{
    /* the reply of the Native order documentation (pay.weixin.qq.com/doc/v3/merchant/4012525171) */
    struct gw_reply r =
        parse(GW_QR_CREATE, 200, "{\"code_url\":\"weixin://wxpay/bizpayurl?pr=p4lpSuKzz\"}");
    CHECK_EQ_INT(r.kind, GW_SUCCESS);
    CHECK(r.said.qr_given);
    CHECK_EQ_STR(r.said.qr_payload, "weixin://wxpay/bizpayurl?pr=p4lpSuKzz");
    /* it names no order: only the fresh nonce ties it to this request */
    CHECK(!r.said.order_no_given);
    CHECK(r.exchange_bound);

    const char *bad[] = {
        "weixin://wxpay/bizpayurl?pr=",                        /* no token */
        "weixin://wxpay/bizpayurl?pr=p4l&x=1",                 /* more than the token */
        "weixin://wxpay/bizpayurl?sign=X&appid=wx1",           /* the old mode-one form */
        "https://qr.alipay.com/bax0",                          /* the other channel's */
        "https://evil.example/weixin://wxpay/bizpayurl?pr=p4", /* a prefix further in */
        "weixin://wxpay/bizpayurl?pr=p4 l",                    /* a space */
    };
    char body[512];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(body, sizeof body, "{\"code_url\":\"%s\"}", bad[i]);
        r = parse(GW_QR_CREATE, 200, body);
        CHECK_EQ_INT(r.kind, GW_UNKNOWN);
        CHECK_EQ_INT(r.cause, PAY_CAUSE_BAD_REPLY);
        CHECK(!r.said.qr_given);
    }
    char qr[GW_QR_PAYLOAD_MAX + 2];
    snprintf(qr, sizeof qr, "weixin://wxpay/bizpayurl?pr=");
    while (strlen(qr) < GW_QR_PAYLOAD_MAX + 1)
        strcat(qr, "Z");
    snprintf(body, sizeof body, "{\"code_url\":\"%s\"}", qr);
    CHECK_EQ_INT(parse(GW_QR_CREATE, 200, body).kind, GW_UNKNOWN);
    CHECK_EQ_INT(parse(GW_QR_CREATE, 200, "{\"code_url\":null}").kind, GW_UNKNOWN);
    CHECK_EQ_INT(parse(GW_QR_CREATE, 200, "{}").kind, GW_UNKNOWN);
    CHECK_EQ_INT(parse(GW_QR_CREATE, 200, "{\"code_url\":\"weixin://wxpay/bizpayurl").kind,
                 GW_UNKNOWN);
    CHECK_EQ_INT(parse(GW_QR_CREATE, 204, "").kind, GW_UNKNOWN);
    CHECK_EQ_INT(parse(GW_QR_CREATE, 202, "{\"code_url\":\"weixin://wxpay/bizpayurl?pr=p4\"}").kind,
                 GW_UNKNOWN);
    /* about another order (should WeChat Pay ever add out_trade_no) */
    r = parse(
        GW_QR_CREATE, 200,
        "{\"out_trade_no\":\"T01202611230002\",\"code_url\":\"weixin://wxpay/bizpayurl?pr=p4\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    CHECK(!r.said.qr_given);
    /* signed by the wrong key, or replayed */
    static struct signed_reply sr;
    sign_reply(&sr, 200, "{\"code_url\":\"weixin://wxpay/bizpayurl?pr=p4lpSuKzz\"}", NOW,
               PLATFORM_SERIAL, mch_priv);
    CHECK_EQ_INT(kind_of(&sr, GW_QR_CREATE), GW_UNKNOWN);
    sign_reply(&sr, 200, "{\"code_url\":\"weixin://wxpay/bizpayurl?pr=p4lpSuKzz\"}", NOW,
               PLATFORM_SERIAL, plat_priv);
    CHECK_EQ_INT(kind_of(&sr, GW_QR_CREATE), GW_SUCCESS);
    CHECK_EQ_INT(kind_of(&sr, GW_QR_CREATE), GW_UNKNOWN);
    /* only the Native reply's code_url is read */
    r = parse(GW_QUERY, 200,
              "{\"out_trade_no\":\"T01202611230001\",\"trade_state\":\"NOTPAY\","
              "\"code_url\":\"weixin://wxpay/bizpayurl?pr=p4\"}");
    CHECK_EQ_INT(r.kind, GW_PAYING);
    CHECK(!r.said.qr_given);

    /* refusals */
    r = parse(GW_QR_CREATE, 400, "{\"code\":\"PARAM_ERROR\",\"message\":\"x\"}");
    CHECK_EQ_INT(r.kind, GW_FAILED);
    r = parse(GW_QR_CREATE, 403, "{\"code\":\"NO_AUTH\",\"message\":\"x\"}");
    CHECK_EQ_INT(r.kind, GW_FAILED);
    CHECK_EQ_INT(r.cause, PAY_CAUSE_MERCHANT_SETUP);
    const char *unknown[] = {"ORDERPAID",       "ORDER_CLOSED", "OUT_TRADE_NO_USED",
                             "INVALID_REQUEST", "SYSTEM_ERROR", "SOMETHING_NEW"};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        snprintf(body, sizeof body, "{\"code\":\"%s\",\"message\":\"x\"}", unknown[i]);
        r = parse(GW_QR_CREATE, 400, body);
        CHECK_EQ_INT(r.kind, GW_UNKNOWN);
        CHECK(!r.said.qr_given);
    }
    CHECK_EQ_INT(parse(GW_QR_CREATE, 500, "{\"code\":\"PARAM_ERROR\",\"message\":\"x\"}").kind,
                 GW_UNKNOWN);
}

static void test_qr_close_replies(void)
{
    static struct signed_reply sr;
    struct gw_request req = request(GW_QR_CLOSE);
    struct gw_reply r;

    /* the documented reply: 204, no body, signed over "TIMESTAMP\nNONCE\n\n" */
    r = parse(GW_QR_CLOSE, 204, "");
    CHECK_EQ_INT(r.kind, GW_SUCCESS);
    CHECK(r.exchange_bound);
    CHECK(!r.said.order_no_given && !r.close_refused_paid);
    /* what a 204 proves rests on its signature and its nonce alone */
    sign_reply(&sr, 204, "", NOW, PLATFORM_SERIAL, plat_priv);
    CHECK_EQ_INT(kind_of(&sr, GW_QR_CLOSE), GW_SUCCESS);
    CHECK_EQ_INT(kind_of(&sr, GW_QR_CLOSE), GW_UNKNOWN); /* the same 204 again: a replay */
    sign_reply(&sr, 204, "", NOW, PLATFORM_SERIAL, plat_priv);
    wechatpay_parse(&keys, NULL, &req, &sr.resp, NOW, &r); /* no nonce memory: not bound */
    CHECK_EQ_INT(r.kind, GW_SUCCESS);
    CHECK(!r.exchange_bound);
    sign_reply(&sr, 204, "", NOW, PLATFORM_SERIAL, mch_priv);
    CHECK_EQ_INT(kind_of(&sr, GW_QR_CLOSE), GW_UNKNOWN);
    sign_reply(&sr, 204, "", NOW, PLATFORM_SERIAL, plat_priv);
    drop_header(&sr, "Wechatpay-Signature");
    CHECK_EQ_INT(kind_of(&sr, GW_QR_CLOSE), GW_UNKNOWN);
    sign_reply(&sr, 204, "", NOW - 400, PLATFORM_SERIAL, plat_priv);
    CHECK_EQ_INT(kind_of(&sr, GW_QR_CLOSE), GW_UNKNOWN);
    /* a 204 with a body, signed or not, is not the documented reply */
    CHECK_EQ_INT(parse(GW_QR_CLOSE, 204, "{}").kind, GW_UNKNOWN);
    sign_reply(&sr, 204, "", NOW, PLATFORM_SERIAL, plat_priv);
    sr.resp.body = "x";
    sr.resp.body_len = 1;
    CHECK_EQ_INT(kind_of(&sr, GW_QR_CLOSE), GW_UNKNOWN);
    /* a 200 body is not the close's reply either; a 204 for a create is not a QR */
    CHECK_EQ_INT(parse(GW_QR_CLOSE, 200, "{}").kind, GW_UNKNOWN);

    /* "the order is paid: cannot close" */
    const char *paid[] = {"ORDERPAID", "ORDER_PAID"};
    for (int i = 0; i < 2; i++) {
        char body[128];
        snprintf(body, sizeof body, "{\"code\":\"%s\",\"message\":\"x\"}", paid[i]);
        r = parse(GW_QR_CLOSE, 400, body);
        CHECK_EQ_INT(r.kind, GW_FAILED);
        CHECK(r.close_refused_paid);
        CHECK(r.exchange_bound);
    }
    /* closed already: the repeat of a close whose reply was lost */
    r = parse(GW_QR_CLOSE, 400, "{\"code\":\"ORDER_CLOSED\",\"message\":\"x\"}");
    CHECK_EQ_INT(r.kind, GW_SUCCESS);
    CHECK(!r.close_refused_paid);
    r = parse(GW_QR_CLOSE, 404, "{\"code\":\"ORDER_NOT_EXIST\",\"message\":\"x\"}");
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    CHECK(r.no_such_order);
    r = parse(GW_QR_CLOSE, 400, "{\"code\":\"PARAM_ERROR\",\"message\":\"x\"}");
    CHECK_EQ_INT(r.kind, GW_FAILED);
    CHECK(!r.close_refused_paid);
    CHECK_EQ_INT(parse(GW_QR_CLOSE, 500, "{\"code\":\"SYSTEM_ERROR\",\"message\":\"x\"}").kind,
                 GW_UNKNOWN);
    CHECK_EQ_INT(parse(GW_QR_CLOSE, 500, "{\"code\":\"ORDERPAID\",\"message\":\"x\"}").kind,
                 GW_UNKNOWN);
    CHECK_EQ_INT(parse(GW_QR_CLOSE, 400, "{\"code\":\"SOMETHING_NEW\",\"message\":\"x\"}").kind,
                 GW_UNKNOWN);
    CHECK_EQ_INT(parse(GW_QR_CLOSE, 400, "{\"message\":\"no code\"}").kind, GW_UNKNOWN);
    /* a paid refusal, signed by the wrong key */
    sign_reply(&sr, 400, "{\"code\":\"ORDERPAID\",\"message\":\"x\"}", NOW, PLATFORM_SERIAL,
               mch_priv);
    wechatpay_parse(&keys, seen, &req, &sr.resp, NOW, &r);
    CHECK_EQ_INT(r.kind, GW_UNKNOWN);
    CHECK(!r.close_refused_paid);
}

int main(void)
{
    CHECK_EQ_INT(crypto_rng_open(&rng), CRYPTO_OK);
    if (!rng)
        return check_done();
    make_key_pair(rng, &mch_priv, &mch_pub);
    make_key_pair(rng, &plat_priv, &plat_pub);
    keys.base_url = "https://api.mch.weixin.qq.com";
    keys.appid = "wxd678efh567hg6787";
    keys.mchid = "1900000109";
    keys.merchant_serial = "3775B6A45ACD588826D15E583A95F5DD00000000";
    keys.device_id = "POS01";
    keys.merchant_key = mch_priv;
    keys.platform_key = plat_pub;
    keys.platform_serial = PLATFORM_SERIAL;
    keys.notify_url = "https://merchant.example/wxpay/notify";
    keys.rng = rng;
    seen = wechatpay_nonces_new(NOW - 1000);

    test_message_format();
    test_build();
    test_pay();
    test_query();
    test_reverse();
    test_refund();
    test_refund_query();
    test_duplicate_order_answers();
    test_facts_table();
    test_replay();
    test_nonce_cache_overflow();
    test_clock();
    test_broken();
    test_decrypt_resource();
    test_build_qr();
    test_qr_create_replies();
    test_qr_close_replies();

    wechatpay_nonces_free(seen);
    crypto_key_free(mch_priv);
    crypto_key_free(mch_pub);
    crypto_key_free(plat_priv);
    crypto_key_free(plat_pub);
    crypto_rng_close(rng);
    return check_done();
}
