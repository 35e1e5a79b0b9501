/*
 * test_config_network.c - the network rules of config_parse: https unless the gateway is a
 * simulator on a loopback host (the host read as curl reads it, tricks included), TLS
 * verification off only towards loopback, WeChat's 15 s before a reverse, no request timeout
 * longer than the payment window, policy.reply_margin_ms, WeChat's notify_url for QR orders
 * (https and no query, http only beside a simulator), policy.qr_window_ms, and the list of lab
 * settings a terminal must show.
 *
 * usage: test_config_network EXAMPLE.json
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../check.h"
#include "config.h"

static cJSON *example;

/* A copy of the example to change; parse() frees it. */
static cJSON *doc(void)
{
    return cJSON_Duplicate(example, 1);
}

static void set(cJSON *d, const char *section, const char *key, cJSON *value)
{
    cJSON *obj = cJSON_GetObjectItemCaseSensitive(d, section);
    if (cJSON_GetObjectItemCaseSensitive(obj, key))
        cJSON_ReplaceItemInObjectCaseSensitive(obj, key, value);
    else
        cJSON_AddItemToObject(obj, key, value);
}

static void set_str(cJSON *d, const char *section, const char *key, const char *v)
{
    set(d, section, key, cJSON_CreateString(v));
}

static void set_num(cJSON *d, const char *section, const char *key, double v)
{
    set(d, section, key, cJSON_CreateNumber(v));
}

static bool parse(cJSON *d, struct config *cfg, char *err, size_t errlen)
{
    char *text = cJSON_PrintUnformatted(d);
    cJSON_Delete(d);
    config_defaults(cfg);
    bool ok = config_parse(cfg, "t.json", text, strlen(text), err, errlen);
    free(text);
    return ok;
}

static void expect_ok(cJSON *d, const char *what)
{
    struct config cfg;
    char err[1024];
    if (parse(d, &cfg, err, sizeof err)) {
        check_passed++;
    } else {
        check_failed++;
        fprintf(stderr, "  %s: refused: %s\n", what, err);
    }
}

static void expect_refused(cJSON *d, const char *want, const char *what)
{
    struct config cfg;
    char err[1024];
    if (parse(d, &cfg, err, sizeof err)) {
        check_failed++;
        fprintf(stderr, "  %s: accepted, should be refused with \"%s\"\n", what, want);
    } else if (strstr(err, want) == NULL) {
        check_failed++;
        fprintf(stderr, "  %s: wanted \"%s\" in \"%s\"\n", what, want, err);
    } else {
        check_passed++;
    }
}

/* The example with WeChat's URL set to url (Alipay off), so only that URL is judged. */
static cJSON *wechat_at(const char *url)
{
    cJSON *d = doc();
    set(d, "alipay", "enabled", cJSON_CreateFalse());
    set_str(d, "wechat", "base_url", url);
    return d;
}

static void urls(void)
{
    /* Plain http to a real gateway: refused, for each channel, naming the key and the host. */
    {
        cJSON *d = doc();
        set_str(d, "alipay", "gateway_url", "http://openapi.alipay.com/gateway.do");
        expect_refused(
            d, "t.json: alipay.gateway_url: http:// to openapi.alipay.com: anyone on the network",
            "alipay http://");
    }
    expect_refused(wechat_at("http://api.mch.weixin.qq.com"),
                   "t.json: wechat.base_url: http:// to api.mch.weixin.qq.com", "wechat http://");
    expect_refused(wechat_at("HTTP://api.mch.weixin.qq.com"), "wechat.base_url: http:// to",
                   "HTTP:// in capitals");
    expect_refused(wechat_at("ftp://api.mch.weixin.qq.com"),
                   "wechat.base_url: must start with https://", "another scheme");
    expect_refused(wechat_at("api.mch.weixin.qq.com"), "wechat.base_url: must start with https://",
                   "no scheme");

    /* A disabled channel's URL is not judged. */
    {
        cJSON *d = doc();
        set(d, "alipay", "enabled", cJSON_CreateFalse());
        set_str(d, "alipay", "gateway_url", "http://openapi.alipay.com/gateway.do");
        expect_ok(d, "http:// on a disabled channel");
    }

    /* The simulator on this machine: every spelling of loopback. */
    static const char *const loopback[] = {
        "http://127.0.0.1:8480",
        "http://127.0.0.1",
        "http://127.9.8.7:1/x",
        "http://[::1]:8480",
        "http://[::1]/",
        "http://localhost:8480",
        "HTTP://LocalHost",
        "http://user:pw@127.0.0.1:5/",
        "http://127.0.0.1:8480?q#f",
        "https://127.0.0.1:8443",
        "http://[0:0:0:0:0:0:0:1]",
    };
    for (size_t i = 0; i < sizeof loopback / sizeof loopback[0]; i++)
        expect_ok(wechat_at(loopback[i]), loopback[i]);

    /* Hosts that only look like loopback, or URLs two readers could split differently. */
    static const struct {
        const char *url, *want;
    } tricks[] = {
        {"http://127.0.0.1@evil.example/", "http:// to evil.example"},
        {"http://127.0.0.1:80@evil.example/", "http:// to evil.example"},
        {"http://127.0.0.1.evil.example/", "http:// to 127.0.0.1.evil.example"},
        {"http://evil.example#@127.0.0.1/", "http:// to evil.example"},
        {"http://evil.example?@127.0.0.1/", "http:// to evil.example"},
        {"http://evil.example/@127.0.0.1/", "http:// to evil.example"},
        {"http://localhost.evil.example/", "http:// to localhost.evil.example"},
        {"http://128.0.0.1/", "http:// to 128.0.0.1"},
        {"http://0x7f000001/", "http:// to 0x7f000001"},
        {"http://2130706433/", "http:// to 2130706433"},
        {"http://[127.0.0.1]/", "http:// to 127.0.0.1"},
        {"http://[::2]/", "http:// to ::2"},
        {"http://[::ffff:127.0.0.1]/", "http:// to ::ffff:127.0.0.1"},
        {"http://a@b@127.0.0.1/", "more than one @"},
        {"http://127.0.0.1\\@evil.example/", "backslashes"},
        {"http://127.0.0.1 @evil.example/", "spaces"},
        {"http://[::1]evil.example/", "between the host's ] and the port"},
        {"http://[::1/", "without its closing ]"},
        {"http://127.0.0.1:80x/", "port that is not a number"},
        {"http:///gateway.do", "has no host"},
        {"http://user@/x", "has no host"},
    };
    for (size_t i = 0; i < sizeof tricks / sizeof tricks[0]; i++)
        expect_refused(wechat_at(tricks[i].url), tricks[i].want, tricks[i].url);
}

static void tls_verify(void)
{
    cJSON *d = doc();
    set(d, "http", "tls_verify", cJSON_CreateFalse());
    expect_refused(d,
                   "t.json: http.tls_verify: false lets anyone on the network pose as the gateway",
                   "tls_verify false towards real gateways");

    /* One gateway local, the other not: still refused. */
    d = doc();
    set(d, "http", "tls_verify", cJSON_CreateFalse());
    set_str(d, "alipay", "gateway_url", "https://127.0.0.1:8443/gateway.do");
    expect_refused(d, "http.tls_verify:", "tls_verify false with WeChat remote");

    d = doc();
    set(d, "http", "tls_verify", cJSON_CreateFalse());
    set_str(d, "alipay", "gateway_url", "https://127.0.0.1:8443/gateway.do");
    set_str(d, "wechat", "base_url", "https://[::1]:8443");
    expect_ok(d, "tls_verify false, both gateways on loopback");

    d = doc();
    set(d, "http", "tls_verify", cJSON_CreateFalse());
    set_str(d, "alipay", "gateway_url", "https://localhost/gateway.do");
    set(d, "wechat", "enabled", cJSON_CreateFalse());
    expect_ok(d, "tls_verify false, the one enabled gateway on loopback");
}

static void min_cancel(void)
{
    cJSON *d = doc();
    set_num(d, "policy", "min_cancel_ms", 14999);
    expect_refused(d, "t.json: policy.min_cancel_ms: below 15000 while WeChat Pay is enabled",
                   "min_cancel 14999 with WeChat");

    d = doc();
    set_num(d, "policy", "min_cancel_ms", 15000);
    expect_ok(d, "min_cancel 15000 with WeChat");

    /* Alipay has no such rule. */
    d = doc();
    set_num(d, "policy", "min_cancel_ms", 1500);
    set(d, "wechat", "enabled", cJSON_CreateFalse());
    expect_ok(d, "min_cancel 1500, WeChat off");

    /* The simulator: a lab setting, allowed on loopback only. */
    d = doc();
    set_num(d, "policy", "min_cancel_ms", 1500);
    set_str(d, "wechat", "base_url", "http://127.0.0.1:8480");
    expect_ok(d, "min_cancel 1500, WeChat on loopback");

    /* WeChat remote while Alipay is local: the rule is WeChat's, its host decides. */
    d = doc();
    set_num(d, "policy", "min_cancel_ms", 1500);
    set_str(d, "alipay", "gateway_url", "http://127.0.0.1:8480/gateway.do");
    expect_refused(d, "policy.min_cancel_ms: below 15000", "min_cancel 1500, only Alipay local");
}

static void timeouts(void)
{
    static const char *const keys[] = {"pay_timeout_ms", "query_timeout_ms", "cancel_timeout_ms",
                                       "refund_timeout_ms"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char want[160];
        snprintf(want, sizeof want,
                 "t.json: http.%s: 20001 is longer than policy.window_ms (20000)", keys[i]);
        cJSON *d = doc();
        set_num(d, "policy", "window_ms", 20000);
        set_num(d, "http", keys[i], 20001);
        expect_refused(d, want, keys[i]);
        d = doc();
        set_num(d, "policy", "window_ms", 20000);
        set_num(d, "http", keys[i], 20000);
        expect_ok(d, "a timeout equal to the window");
    }
    /* The connect timeout is part of each request's timeout, not a request of its own. */
    cJSON *d = doc();
    set_num(d, "policy", "window_ms", 20000);
    set_num(d, "http", "connect_timeout_ms", 30000);
    expect_ok(d, "connect timeout beyond the window");

    /* The engine's per-request deadlines come from the http timeouts. */
    struct config cfg;
    char err[512];
    d = doc();
    set_num(d, "http", "query_timeout_ms", 7000);
    CHECK(parse(d, &cfg, err, sizeof err));
    CHECK_EQ_INT(cfg.policy.query_timeout_ms, 7000);
    CHECK_EQ_INT(cfg.policy.pay_timeout_ms, 15000);
}

static void reply_margin(void)
{
    struct config cfg;
    char err[512];
    cJSON *d = doc();
    CHECK(parse(d, &cfg, err, sizeof err));
    CHECK_EQ_INT(cfg.policy.reply_margin_ms, 5000);
    d = doc();
    set_num(d, "policy", "reply_margin_ms", 7000);
    CHECK(parse(d, &cfg, err, sizeof err));
    CHECK_EQ_INT(cfg.policy.reply_margin_ms, 7000);
    d = doc();
    set_num(d, "policy", "reply_margin_ms", 0);
    CHECK(parse(d, &cfg, err, sizeof err));
    CHECK_EQ_INT(cfg.policy.reply_margin_ms, 0);
    d = doc();
    set_num(d, "policy", "reply_margin_ms", 60001);
    expect_refused(d, "t.json: policy.reply_margin_ms: must be between 0 and 60000",
                   "margin 60001");
    d = doc();
    set_num(d, "policy", "reply_margin_ms", -1);
    expect_refused(d, "t.json: policy.reply_margin_ms: must be between 0 and 60000", "margin -1");
}

static void lab_settings(void)
{
    struct config cfg;
    char err[512], out[200];

    CHECK(parse(doc(), &cfg, err, sizeof err));
    memset(out, 'x', sizeof out);
    CHECK_EQ_INT(config_lab_settings(&cfg, out, sizeof out), 0);
    CHECK_EQ_STR(out, "");

    cJSON *d = doc();
    set_str(d, "alipay", "gateway_url", "http://127.0.0.1:8480/gateway.do");
    set_str(d, "wechat", "base_url", "http://127.0.0.1:8480");
    set(d, "http", "tls_verify", cJSON_CreateFalse());
    set_num(d, "policy", "min_cancel_ms", 1500);
    CHECK(parse(d, &cfg, err, sizeof err));
    CHECK_EQ_INT(config_lab_settings(&cfg, out, sizeof out), 3);
    CHECK_EQ_STR(
        out, "http:// gateway (loopback only), TLS verification off, min_cancel_ms 1500 < 15000");
    /* The same as flags, which the screen words in the cashier's language. */
    CHECK_EQ_INT(config_lab_flags(&cfg),
                 CONFIG_LAB_PLAIN_HTTP | CONFIG_LAB_NO_TLS_VERIFY | CONFIG_LAB_EARLY_CANCEL);

    /* Cut to the room given, always terminated; the count is still the whole count. */
    char small[12];
    CHECK_EQ_INT(config_lab_settings(&cfg, small, sizeof small), 3);
    CHECK_EQ_STR(small, "http:// gat");
    CHECK_EQ_INT(config_lab_settings(&cfg, NULL, 0), 3);

    /* https to the simulator with verification on is no lab setting; one http channel is. */
    d = doc();
    set_str(d, "alipay", "gateway_url", "https://127.0.0.1:8443/gateway.do");
    set_str(d, "wechat", "base_url", "http://[::1]:8480");
    CHECK(parse(d, &cfg, err, sizeof err));
    CHECK_EQ_INT(config_lab_settings(&cfg, out, sizeof out), 1);
    CHECK_EQ_STR(out, "http:// gateway (loopback only)");
    CHECK_EQ_INT(config_lab_flags(&cfg), CONFIG_LAB_PLAIN_HTTP);

    /* A short min_cancel with WeChat off breaks no rule and is not listed. */
    d = doc();
    set_num(d, "policy", "min_cancel_ms", 1500);
    set(d, "wechat", "enabled", cJSON_CreateFalse());
    CHECK(parse(d, &cfg, err, sizeof err));
    CHECK_EQ_INT(config_lab_settings(&cfg, out, sizeof out), 0);
}

/* wechat.notify_url: WeChat refuses a Native order without an https URL free of a query. */
static void notify_url(void)
{
    cJSON *d = doc();
    set_str(d, "wechat", "notify_url", "https://shop.example/posterm/notify");
    struct config cfg;
    char err[1024];
    CHECK(parse(d, &cfg, err, sizeof err));
    CHECK_EQ_STR(cfg.gateway.wechat.notify_url, "https://shop.example/posterm/notify");
    d = doc();
    set_str(d, "wechat", "notify_url", "http://shop.example/notify");
    expect_refused(d, "t.json: wechat.notify_url: must be an https:// URL", "notify_url http");
    d = doc();
    set_str(d, "wechat", "notify_url", "https://shop.example/notify?x=1");
    expect_refused(d, "wechat.notify_url: must not carry a query", "notify_url query");
    d = doc();
    set_str(d, "wechat", "notify_url", "shop.example/notify");
    expect_refused(d, "wechat.notify_url: must start with https://", "notify_url no scheme");
    /* Beside a simulator on loopback, http is a lab setting like the gateway's own URL. */
    d = wechat_at("http://127.0.0.1:8480");
    set_str(d, "wechat", "notify_url", "http://127.0.0.1:8480/notify");
    set(d, "http", "tls_verify", cJSON_CreateTrue());
    expect_ok(d, "notify_url http beside a simulator");
    /* Empty: allowed (WeChat QR payments are then refused by the loop). */
    d = doc();
    set_str(d, "wechat", "notify_url", "");
    expect_ok(d, "notify_url empty");
    d = doc();
    set(d, "wechat", "enabled", cJSON_CreateFalse());
    set_str(d, "wechat", "notify_url", "http://shop.example/notify?x");
    expect_ok(d, "notify_url on a disabled channel");
}

static void qr_window(void)
{
    cJSON *d = doc();
    set_num(d, "policy", "qr_window_ms", 999);
    expect_refused(d, "policy.qr_window_ms", "qr_window_ms below 1000");
    d = doc();
    set_num(d, "policy", "qr_window_ms", 300000);
    struct config cfg;
    char err[1024];
    CHECK(parse(d, &cfg, err, sizeof err));
    CHECK_EQ_INT(cfg.policy.qr_window_ms, 300000);
    config_defaults(&cfg);
    CHECK_EQ_INT(cfg.policy.qr_window_ms, 120000);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_config_network EXAMPLE.json\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    static char text[65536];
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f)
        fclose(f);
    text[n] = '\0';
    example = cJSON_Parse(text);
    CHECK(example != NULL);
    if (example == NULL)
        return check_done();
    expect_ok(doc(), "the example");
    urls();
    tls_verify();
    min_cancel();
    timeouts();
    reply_margin();
    notify_url();
    qr_window();
    lab_settings();
    cJSON_Delete(example);
    return check_done();
}
