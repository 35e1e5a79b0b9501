/*
 * test_sim_tls.c - the simulator over HTTPS with a throw-away CA from --make-tls: a client
 * that trusts that CA (verification on) gets signed answers from both gateways; a client
 * that does not is refused; plain HTTP to the HTTPS port gets no gateway answer.
 *
 * usage: test_sim_tls PATH/TO/posterm-sim
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sim_client.h"

static struct simproc sim;

static void test_trusted(void)
{
    struct http_result r;
    CHECK(sim_http(&sim, "GET", "/_sim/health", NULL, 10000, &r));
    CHECK_EQ_INT(r.rc, CURLE_OK);
    CHECK_EQ_INT(r.status, 200);
    cJSON *h = cJSON_Parse(r.body);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h, "tls")));
    cJSON_Delete(h);
    http_result_free(&r);

    char order[33], body[768];
    test_order_no(order, "T");
    snprintf(body, sizeof body,
             "{\"appid\":\"%s\",\"mchid\":\"%s\",\"description\":\"tls\",\"out_trade_no\":\"%s\","
             "\"payer\":{\"auth_code\":\"134567890123456700\"},"
             "\"amount\":{\"total\":100,\"currency\":\"CNY\"},"
             "\"scene_info\":{\"store_info\":{\"out_id\":\"T0001\"}}}",
             SIM_WECHAT_APPID, SIM_WECHAT_MCHID, order);
    CHECK(wechat_call(&sim, "POST", "/v3/pay/transactions/codepay", body, 10000, &r));
    CHECK_EQ_INT(r.status, 200);
    CHECK(wechat_reply_verified(&sim, &r));
    http_result_free(&r);

    char biz[256];
    test_order_no(order, "T");
    snprintf(biz, sizeof biz,
             "{\"out_trade_no\":\"%s\",\"scene\":\"bar_code\",\"auth_code\":\"287654321098765400\","
             "\"subject\":\"tls\",\"total_amount\":\"1.00\"}",
             order);
    CHECK(alipay_call(&sim, "alipay.trade.pay", biz, NULL, 10000, &r));
    cJSON *resp = NULL;
    bool verified = false;
    CHECK(alipay_reply(&sim, &r, "alipay.trade.pay", &resp, &verified));
    CHECK(verified);
    CHECK_EQ_STR(json_text(resp, "code"), "10000");
    cJSON_Delete(resp);
    http_result_free(&r);
}

static void test_untrusted(void)
{
    struct http_result r;
    char ca[sizeof sim.ca];
    memcpy(ca, sim.ca, sizeof ca);
    sim.ca[0] = '\0'; /* the system's CAs do not know the throw-away CA */
    CHECK(sim_http(&sim, "GET", "/_sim/health", NULL, 10000, &r));
    CHECK_EQ_INT(r.rc, CURLE_PEER_FAILED_VERIFICATION);
    http_result_free(&r);
    memcpy(sim.ca, ca, sizeof ca);

    char base[sizeof sim.base];
    memcpy(base, sim.base, sizeof base);
    snprintf(sim.base, sizeof sim.base, "http://127.0.0.1:%d", sim.port);
    CHECK(sim_http(&sim, "GET", "/_sim/health", NULL, 10000, &r));
    CHECK(r.rc != CURLE_OK || r.status != 200);
    http_result_free(&r);
    memcpy(sim.base, base, sizeof base);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH/TO/posterm-sim\n", argv[0]);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CHECK(simproc_prepare(&sim, argv[1]));
    char tls[300], cert[320], key[320], cfg[320];
    snprintf(tls, sizeof tls, "%.250s/tls", sim.dir);
    snprintf(cert, sizeof cert, "%s/server.pem", tls);
    snprintf(key, sizeof key, "%s/server.key", tls);
    snprintf(cfg, sizeof cfg, "%.250s/gateway.json", sim.dir);
    const char *make[] = {"--make-tls", tls, NULL};
    CHECK_EQ_INT(sim_run(sim.bin, make), 0);
    snprintf(sim.ca, sizeof sim.ca, "%s/ca.pem", tls);
    const char *args[] = {"--tls-cert", cert, "--tls-key", key, "--config-out", cfg, NULL};
    CHECK(simproc_start(&sim, args));
    if (sim.port > 0) {
        CHECK(strncmp(sim.base, "https://", 8) == 0);
        test_trusted();
        test_untrusted();
        /* posterm's settings name the CA that signed the certificate. */
        FILE *f = fopen(cfg, "r");
        char text[4096] = "";
        if (f != NULL) {
            text[fread(text, 1, sizeof text - 1, f)] = '\0';
            fclose(f);
        }
        cJSON *c = cJSON_Parse(text);
        const cJSON *gw = cJSON_GetObjectItemCaseSensitive(c, "gateway");
        CHECK(strstr(json_text(gw, "ca_file"), "/tls/ca.pem") != NULL);
        CHECK(strncmp(json_text(cJSON_GetObjectItemCaseSensitive(gw, "wechat"), "base_url"),
                      "https://127.0.0.1:", 18) == 0);
        cJSON_Delete(c);
        CHECK_EQ_INT(simproc_stop(&sim), 0);
    }
    simproc_cleanup(&sim);
    curl_global_cleanup();
    return check_done();
}
