/*
 * test_gateway_bill_query.c - the bill address requests and their replies: what each verified
 * reply means (link, no bill, refused, unknown), and that an unsigned, badly signed, stale or
 * incomplete reply never gives a link.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bill_query.h"
#include "check.h"
#include "key_pair.h"

static struct crypto_rng *rng;
static struct crypto_key *merchant_priv, *merchant_pub, *gateway_priv, *gateway_pub;

#define METHOD_KEY "alipay_data_dataservice_bill_downloadurl_query_response"

static struct alipay_keys ali(void)
{
    return (struct alipay_keys){.gateway_url = "https://openapi.example/gateway.do",
                                .app_id = "2021000100000001",
                                .app_key = merchant_priv,
                                .alipay_key = gateway_pub,
                                .rng = rng};
}

static enum bill_link_status alipay_reply(long status, const char *obj, bool good_sig,
                                          struct bill_link *link)
{
    static char body[4096];
    char sig[CRYPTO_SIG_B64_MAX], why[256];
    CHECK_EQ_INT(crypto_rsa_sign_b64(good_sig ? gateway_priv : merchant_priv, rng, obj, strlen(obj),
                                     sig, sizeof sig),
                 CRYPTO_OK);
    snprintf(body, sizeof body, "{\"" METHOD_KEY "\":%s,\"sign\":\"%s\"}", obj, sig);
    struct wire_response resp = {.status = status, .body = body, .body_len = strlen(body)};
    struct alipay_keys k = ali();
    return bill_alipay_query_parse(&k, &resp, link, why, sizeof why);
}

static void test_alipay(void)
{
    struct alipay_keys k = ali();
    struct wire_request req;
    struct bill_link link;
    CHECK_EQ_INT(bill_alipay_query_build(&k, "2026-12-06", 1765000000, &req), GATEWAY_OK);
    CHECK(strstr(req.url, "method=alipay.data.dataservice.bill.downloadurl.query") != NULL);
    CHECK(strstr(req.body, "bill_type%22%3A%22trade") != NULL);
    CHECK(strstr(req.body, "2026-12-06") != NULL);
    wire_request_free(&req);
    CHECK_EQ_INT(bill_alipay_query_build(&k, "2026-12-6", 1765000000, &req), GATEWAY_ERR_INTERNAL);
    CHECK_EQ_INT(bill_alipay_query_build(&k, "2026-12", 1765000000, &req), GATEWAY_ERR_INTERNAL);

    CHECK_EQ_INT(alipay_reply(200,
                              "{\"code\":\"10000\",\"msg\":\"Success\",\"bill_download_url\":"
                              "\"http://dwbillcenter.alipay.com/downloadBillFile.resource?"
                              "bizType=trade&fileType=csv.zip\"}",
                              true, &link),
                 BILL_LINK_OK);
    CHECK(strncmp(link.url, "http://dwbillcenter.alipay.com/", 31) == 0);
    CHECK_EQ_INT(bill_alipay_download_build(&link, &req), GATEWAY_OK);
    CHECK_EQ_STR(req.method, "GET");
    CHECK_EQ_INT(req.nheaders, 0); /* a plain GET: nothing of ours travels with it */
    wire_request_free(&req);
    CHECK_EQ_INT(alipay_reply(200,
                              "{\"code\":\"40004\",\"msg\":\"Business Failed\",\"sub_code\":"
                              "\"isp.bill_not_exist\",\"sub_msg\":\"账单不存在\"}",
                              true, &link),
                 BILL_LINK_NO_BILL);
    CHECK_EQ_INT(
        alipay_reply(200, "{\"code\":\"40004\",\"sub_code\":\"BILL_NOT_EXIST\"}", true, &link),
        BILL_LINK_NO_BILL);
    CHECK_EQ_INT(alipay_reply(200, "{\"code\":\"40004\",\"sub_code\":\"isv.invalid-arguments\"}",
                              true, &link),
                 BILL_LINK_REFUSED);
    CHECK_EQ_INT(
        alipay_reply(200, "{\"code\":\"20000\",\"sub_code\":\"isp.unknow-error\"}", true, &link),
        BILL_LINK_UNKNOWN);
    /* not believed: another key's signature, a URL that is not http(s), no URL, no 200 */
    CHECK_EQ_INT(alipay_reply(200, "{\"code\":\"10000\",\"bill_download_url\":\"http://a/b\"}",
                              false, &link),
                 BILL_LINK_UNKNOWN);
    CHECK_EQ_INT(link.url[0], '\0');
    CHECK_EQ_INT(alipay_reply(200, "{\"code\":\"10000\",\"bill_download_url\":\"file:///etc\"}",
                              true, &link),
                 BILL_LINK_UNKNOWN);
    CHECK_EQ_INT(alipay_reply(200, "{\"code\":\"10000\"}", true, &link), BILL_LINK_UNKNOWN);
    CHECK_EQ_INT(
        alipay_reply(502, "{\"code\":\"10000\",\"bill_download_url\":\"http://a/b\"}", true, &link),
        BILL_LINK_UNKNOWN);
}

static struct wechatpay_keys wx(void)
{
    return (struct wechatpay_keys){.base_url = "https://api.mch.example",
                                   .appid = "wx5f1e0c1a2b3c4d5e",
                                   .mchid = "1900000109",
                                   .merchant_serial = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
                                   .merchant_key = merchant_priv,
                                   .platform_key = gateway_pub,
                                   .platform_serial = "PUB_KEY_ID_0001",
                                   .rng = rng};
}

static enum bill_link_status wechat_reply(long status, const char *body, long long ts,
                                          bool signed_reply, struct bill_link *link)
{
    struct wire_response resp = {.status = status, .body = body, .body_len = strlen(body)};
    char msg[4096], sig[CRYPTO_SIG_B64_MAX], line[2048], why[256];
    snprintf(msg, sizeof msg, "%lld\nNONCE123\n%s\n", ts, body);
    CHECK_EQ_INT(crypto_rsa_sign_b64(gateway_priv, rng, msg, strlen(msg), sig, sizeof sig),
                 CRYPTO_OK);
    snprintf(line, sizeof line, "Wechatpay-Timestamp: %lld\r\n", ts);
    wire_response_add_header(&resp, line, strlen(line));
    snprintf(line, sizeof line, "Wechatpay-Nonce: NONCE123\r\n");
    wire_response_add_header(&resp, line, strlen(line));
    snprintf(line, sizeof line, "Wechatpay-Serial: PUB_KEY_ID_0001\r\n");
    wire_response_add_header(&resp, line, strlen(line));
    if (signed_reply) {
        snprintf(line, sizeof line, "Wechatpay-Signature: %s\r\n", sig);
        wire_response_add_header(&resp, line, strlen(line));
    }
    struct wechatpay_keys k = wx();
    return bill_wechat_query_parse(&k, &resp, 1765000000, link, why, sizeof why);
}

static void test_wechat(void)
{
    struct wechatpay_keys k = wx();
    struct wire_request req;
    struct bill_link link;
    CHECK_EQ_INT(bill_wechat_query_build(&k, "2026-12-06", 1765000000, "N1", &req), GATEWAY_OK);
    CHECK_EQ_STR(req.url, "https://api.mch.example/v3/bill/tradebill?bill_date=2026-12-06&"
                          "bill_type=ALL&tar_type=GZIP");
    CHECK_EQ_STR(req.method, "GET");
    CHECK(strncmp(req.headers[0], "Authorization: WECHATPAY2-SHA256-RSA2048 mchid=\"1900000109\"",
                  58) == 0);
    wire_request_free(&req);
    CHECK_EQ_INT(bill_wechat_query_build(&k, "20261206", 1765000000, "N1", &req),
                 GATEWAY_ERR_INTERNAL);

    const char *ok = "{\"hash_type\":\"SHA1\",\"hash_value\":\"79bb0f45fc4c42234a918000b2668d689e2"
                     "bde04\",\"download_url\":\"https://api.mch.example/v3/billdownload/file?"
                     "token=6XIv5TUPto\"}";
    CHECK_EQ_INT(wechat_reply(200, ok, 1765000000, true, &link), BILL_LINK_OK);
    CHECK_EQ_STR(link.hash_type, "SHA1");
    CHECK_EQ_STR(link.hash_value, "79bb0f45fc4c42234a918000b2668d689e2bde04");
    CHECK_EQ_INT(bill_wechat_download_build(&k, &link, 1765000000, "N2", &req), GATEWAY_OK);
    CHECK_EQ_STR(req.url, "https://api.mch.example/v3/billdownload/file?token=6XIv5TUPto");
    CHECK(strstr(req.headers[0], "nonce_str=\"N2\"") != NULL);
    wire_request_free(&req);
    CHECK_EQ_INT(
        wechat_reply(400, "{\"code\":\"NO_STATEMENT_EXIST\",\"message\":\"请求的账单文件不存在\"}",
                     1765000000, true, &link),
        BILL_LINK_NO_BILL);
    CHECK_EQ_INT(wechat_reply(400, "{\"code\":\"STATEMENT_CREATING\",\"message\":\"账单生成中\"}",
                              1765000000, true, &link),
                 BILL_LINK_UNKNOWN);
    CHECK_EQ_INT(wechat_reply(400, "{\"code\":\"PARAM_ERROR\",\"message\":\"参数错误\"}",
                              1765000000, true, &link),
                 BILL_LINK_REFUSED);
    CHECK_EQ_INT(wechat_reply(500, "{\"code\":\"SYSTEM_ERROR\"}", 1765000000, true, &link),
                 BILL_LINK_UNKNOWN);
    /* not believed: unsigned, stamped ten minutes off, incomplete */
    CHECK_EQ_INT(wechat_reply(200, ok, 1765000000, false, &link), BILL_LINK_UNKNOWN);
    CHECK_EQ_INT(wechat_reply(200, ok, 1765000000 - 600, true, &link), BILL_LINK_UNKNOWN);
    CHECK_EQ_INT(wechat_reply(200, "{\"hash_type\":\"SHA1\",\"download_url\":\"https://a/b\"}",
                              1765000000, true, &link),
                 BILL_LINK_UNKNOWN);
    CHECK_EQ_INT(link.url[0], '\0');
}

int main(void)
{
    CHECK_EQ_INT(crypto_rng_open(&rng), CRYPTO_OK);
    make_key_pair(rng, &merchant_priv, &merchant_pub);
    make_key_pair(rng, &gateway_priv, &gateway_pub);
    test_alipay();
    test_wechat();
    crypto_key_free(merchant_priv);
    crypto_key_free(merchant_pub);
    crypto_key_free(gateway_priv);
    crypto_key_free(gateway_pub);
    crypto_rng_close(rng);
    return check_done();
}
