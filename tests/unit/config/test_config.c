/*
 * test_config.c - the config loader: the shipped example loads, and every kind of mistake
 * is refused as "FILE: key: reason".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../check.h"
#include "config.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    *len = fread(buf, 1, (size_t)n, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static bool parse(const char *json, struct config *cfg, char *err, size_t errlen)
{
    config_defaults(cfg);
    return config_parse(cfg, "t.json", json, strlen(json), err, errlen);
}

/* Parses the example after applying one change to it (set key to value, or delete it). */
static bool parse_changed(const cJSON *example, const char *section, const char *key, cJSON *value,
                          char *err, size_t errlen)
{
    cJSON *doc = cJSON_Duplicate(example, 1);
    cJSON *obj = section ? cJSON_GetObjectItem(doc, section) : doc;
    if (value && cJSON_GetObjectItem(obj, key))
        cJSON_ReplaceItemInObject(obj, key, value);
    else if (value)
        cJSON_AddItemToObject(obj, key, value);
    else
        cJSON_DeleteItemFromObject(obj, key);
    char *text = cJSON_PrintUnformatted(doc);
    struct config cfg;
    bool ok = parse(text, &cfg, err, errlen);
    free(text);
    cJSON_Delete(doc);
    return ok;
}

static void expect_error(bool ok, const char *err, const char *want)
{
    CHECK(!ok);
    if (ok || strstr(err, want) == NULL) {
        fprintf(stderr, "  wanted \"%s\" in \"%s\"\n", want, err);
        check_failed++;
    } else {
        check_passed++;
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_config EXAMPLE.json\n");
        return 2;
    }
    char err[512];
    struct config cfg;

    /* The shipped example is valid and every value lands where it should. It is parsed, not
     * loaded: the key files it names (/etc/posterm/keys) are a terminal's, not this machine's
     * (config_load and its file checks: test_config_files). */
    size_t len;
    char *text = slurp(argv[1], &len);
    CHECK(text != NULL);
    if (text == NULL)
        return check_done();
    config_defaults(&cfg);
    bool ok = config_parse(&cfg, argv[1], text, len, err, sizeof err);
    if (!ok)
        fprintf(stderr, "example: %s\n", err);
    CHECK(ok);
    CHECK_EQ_STR(cfg.terminal_id, "T0001");
    CHECK_EQ_INT(cfg.max_amount_fen, 5000000);
    CHECK_EQ_INT(cfg.policy.window_ms, 45000);
    CHECK_EQ_INT(cfg.policy.min_cancel_ms, 15000);
    CHECK_EQ_INT(cfg.gateway.pay_timeout_ms, 15000);
    CHECK_EQ_INT(cfg.gateway_slow_ms, 2000);
    CHECK(cfg.gateway.tls_verify);
    CHECK(cfg.gateway.alipay.enabled && cfg.gateway.wechat.enabled);
    CHECK_EQ_STR(cfg.gateway.wechat.merchant_id, "1900000000");
    CHECK_EQ_STR(cfg.gateway.alipay.platform_public_key_file,
                 "/etc/posterm/keys/alipay_public_key.pem");
    CHECK_EQ_STR(cfg.scanner.suffix, "enter");
    CHECK_EQ_INT(cfg.scanner.dedupe_ms, 3000);
    CHECK_EQ_STR(cfg.merchant.name, "posterm 便利店");
    CHECK_EQ_STR(cfg.merchant.store, "Store 1 / 一号店");
    CHECK_EQ_STR(cfg.printer.kind, "none");
    CHECK_EQ_INT(cfg.printer.paper_mm, 58);
    CHECK_EQ_INT(cfg.printer.port, 9100);
    CHECK(cfg.printer.native_qr && cfg.printer.eod && !cfg.printer.merchant_copy);
    CHECK(cfg.screen.bell);
    CHECK_EQ_STR(cfg.screen.code_before_amount, "refuse");
    CHECK_EQ_STR(cfg.screen.customer_scans, "off");
    CHECK_EQ_STR(cfg.screen.qr_style, "blocks");
    CHECK_EQ_INT(cfg.screen.quick_amounts.n, 4);
    CHECK_EQ_INT(cfg.screen.quick_amounts.fen[0], 1000);
    CHECK_EQ_INT(cfg.screen.quick_amounts.fen[3], 10000);

    cJSON *example = cJSON_Parse(text);
    CHECK(example != NULL);

    /* Every required key, missing in turn. */
    static const struct {
        const char *section, *key, *reported;
    } required[] = {
        {NULL, "terminal_id", "t.json: terminal_id: missing"},
        {"alipay", "gateway_url", "t.json: alipay.gateway_url: missing"},
        {"alipay", "app_id", "t.json: alipay.app_id: missing"},
        {"alipay", "private_key_file", "t.json: alipay.private_key_file: missing"},
        {"alipay", "alipay_public_key_file", "t.json: alipay.alipay_public_key_file: missing"},
        {"wechat", "base_url", "t.json: wechat.base_url: missing"},
        {"wechat", "appid", "t.json: wechat.appid: missing"},
        {"wechat", "mchid", "t.json: wechat.mchid: missing"},
        {"wechat", "merchant_serial", "t.json: wechat.merchant_serial: missing"},
        {"wechat", "private_key_file", "t.json: wechat.private_key_file: missing"},
        {"wechat", "platform_public_key_file", "t.json: wechat.platform_public_key_file: missing"},
        {"wechat", "platform_serial", "t.json: wechat.platform_serial: missing"},
        {"wechat", "apiv3_key_file", "t.json: wechat.apiv3_key_file: missing"},
    };
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        expect_error(
            parse_changed(example, required[i].section, required[i].key, NULL, err, sizeof err),
            err, required[i].reported);

    /* The register API over TCP: plain on loopback only, TLS needs all three files. */
    {
        static const struct {
            const char *listen, *cert, *want; /* want NULL: accepted */
        } tcp[] = {
            {"127.0.0.1:7000", "", NULL},
            {"[::1]:7001", "", NULL},
            {"10.0.0.5:7000", "", "api.listen: 10.0.0.5 is not loopback"},
            {"0.0.0.0:7000", "", "api.listen: 0.0.0.0 is not loopback"},
            {"[::]:7000", "", "api.listen: :: is not loopback"},
            {"localhost:7000", "", "api.listen: the host must be an IP address"},
            {"127.0.0.1", "", "api.listen: must be IP:PORT"},
            {"127.0.0.1:0", "", "api.listen: must be IP:PORT"},
            {"127.0.0.1:70000", "", "api.listen: must be IP:PORT"},
            {"::1:7000", "", "api.listen: must be IP:PORT"},
            {"10.0.0.5:7000", "/etc/posterm/api.pem", "api.tls_key: missing"},
            {"", "/etc/posterm/api.pem", "api.tls_cert: TLS is for api.listen"},
        };
        for (size_t i = 0; i < sizeof tcp / sizeof tcp[0]; i++) {
            cJSON *api = cJSON_CreateObject();
            cJSON_AddBoolToObject(api, "enabled", true);
            cJSON_AddStringToObject(api, "listen", tcp[i].listen);
            cJSON_AddStringToObject(api, "tls_cert", tcp[i].cert);
            bool ok = parse_changed(example, NULL, "api", api, err, sizeof err);
            if (tcp[i].want)
                expect_error(ok, err, tcp[i].want);
            else
                CHECK(ok);
        }
        cJSON *api = cJSON_CreateObject();
        cJSON_AddStringToObject(api, "listen", "[::1]:7001");
        expect_error(parse_changed(example, NULL, "api", cJSON_Duplicate(api, 1), err, sizeof err),
                     err, "api.listen: set, but api.enabled is false");
        cJSON_AddBoolToObject(api, "enabled", true);
        cJSON *doc = cJSON_Duplicate(example, 1);
        cJSON_ReplaceItemInObject(doc, "api", api);
        char *t = cJSON_PrintUnformatted(doc);
        CHECK(parse(t, &cfg, err, sizeof err));
        CHECK_EQ_STR(cfg.api.listen_host, "::1");
        CHECK_EQ_STR(cfg.api.listen_port, "7001");
        free(t);
        cJSON_Delete(doc);
        /* With the three files, any address (the files' trust is config_load's). */
        api = cJSON_CreateObject();
        cJSON_AddBoolToObject(api, "enabled", true);
        cJSON_AddStringToObject(api, "listen", "10.0.0.5:7000");
        cJSON_AddStringToObject(api, "tls_cert", "/etc/posterm/api.pem");
        cJSON_AddStringToObject(api, "tls_key", "/etc/posterm/api.key");
        cJSON_AddStringToObject(api, "tls_client_ca", "/etc/posterm/registers.pem");
        CHECK(parse_changed(example, NULL, "api", api, err, sizeof err));
    }

    /* A channel that is off needs none of its keys. */
    {
        cJSON *doc = cJSON_Duplicate(example, 1);
        cJSON *ali = cJSON_GetObjectItem(doc, "alipay");
        cJSON_ReplaceItemInObject(ali, "enabled", cJSON_CreateFalse());
        cJSON_DeleteItemFromObject(ali, "app_id");
        char *t = cJSON_PrintUnformatted(doc);
        CHECK(parse(t, &cfg, err, sizeof err));
        CHECK(!cfg.gateway.alipay.enabled);
        free(t);
        cJSON_Delete(doc);
    }

    /* Wrong types, out of range, unknown keys. */
    expect_error(
        parse_changed(example, "policy", "window_ms", cJSON_CreateString("45"), err, sizeof err),
        err, "t.json: policy.window_ms: must be a whole number");
    expect_error(
        parse_changed(example, "policy", "window_ms", cJSON_CreateNumber(45.5), err, sizeof err),
        err, "t.json: policy.window_ms: must be a whole number");
    expect_error(
        parse_changed(example, "policy", "window_ms", cJSON_CreateNumber(1e18), err, sizeof err),
        err, "t.json: policy.window_ms: must be between 1000 and 3600000");
    /* Beyond what int64 holds: refused by range, never converted (found by fuzz_config). */
    expect_error(
        parse("{\"terminal_id\":\"T1\",\"policy\":{\"window_ms\":1e300}}", &cfg, err, sizeof err),
        err, "t.json: policy.window_ms: must be between 1000 and 3600000");
    expect_error(
        parse("{\"terminal_id\":\"T1\",\"policy\":{\"window_ms\":-1e999}}", &cfg, err, sizeof err),
        err, "t.json: policy.window_ms: must be between 1000 and 3600000");
    expect_error(
        parse("{\"terminal_id\":\"T1\",\"scanner\":{\"vid\":-1e300}}", &cfg, err, sizeof err), err,
        "t.json: scanner.vid: must be between 0x0000 and 0xffff");
    expect_error(
        parse("{\"terminal_id\":\"T1\",\"scanner\":{\"pid\":1e19}}", &cfg, err, sizeof err), err,
        "t.json: scanner.pid: must be between 0x0000 and 0xffff");
    expect_error(
        parse_changed(example, "policy", "window_ms", cJSON_CreateNumber(5000), err, sizeof err),
        err, "t.json: policy.window_ms: must not be shorter than min_cancel_ms");
    /* The header's "slow": 2 s unless set, a whole number of milliseconds in 100..60000. */
    {
        cJSON *doc = cJSON_Duplicate(example, 1);
        cJSON *http = cJSON_GetObjectItem(doc, "http");
        cJSON_DeleteItemFromObject(http, "gateway_slow_ms");
        char *json = cJSON_PrintUnformatted(doc);
        CHECK(parse(json, &cfg, err, sizeof err));
        CHECK_EQ_INT(cfg.gateway_slow_ms, 2000);
        free(json);
        cJSON_AddItemToObject(http, "gateway_slow_ms", cJSON_CreateNumber(3500));
        json = cJSON_PrintUnformatted(doc);
        CHECK(parse(json, &cfg, err, sizeof err));
        CHECK_EQ_INT(cfg.gateway_slow_ms, 3500);
        free(json);
        cJSON_Delete(doc);
    }
    static const double bad_slow[] = {0, 99, 60001, -2000, 1e300};
    for (size_t i = 0; i < sizeof bad_slow / sizeof bad_slow[0]; i++)
        expect_error(parse_changed(example, "http", "gateway_slow_ms",
                                   cJSON_CreateNumber(bad_slow[i]), err, sizeof err),
                     err, "t.json: http.gateway_slow_ms: must be between 100 and 60000");
    expect_error(parse_changed(example, "http", "gateway_slow_ms", cJSON_CreateNumber(1500.5), err,
                               sizeof err),
                 err, "t.json: http.gateway_slow_ms: must be a whole number");
    expect_error(parse_changed(example, "http", "gateway_slow_ms", cJSON_CreateString("2s"), err,
                               sizeof err),
                 err, "t.json: http.gateway_slow_ms: must be a whole number");
    expect_error(
        parse_changed(example, "http", "tls_verify", cJSON_CreateString("yes"), err, sizeof err),
        err, "t.json: http.tls_verify: must be true or false");
    expect_error(
        parse_changed(example, NULL, "language", cJSON_CreateString("fr"), err, sizeof err), err,
        "t.json: language: must be one of en|zh");
    expect_error(
        parse_changed(example, NULL, "max_amount", cJSON_CreateString("12.345"), err, sizeof err),
        err, "t.json: max_amount: at most two decimals");
    expect_error(
        parse_changed(example, NULL, "max_amount", cJSON_CreateNumber(100), err, sizeof err), err,
        "t.json: max_amount: must be a string");
    expect_error(
        parse_changed(example, NULL, "terminal_id", cJSON_CreateString("T-1"), err, sizeof err),
        err, "t.json: terminal_id: must be 1 to 12 characters");
    expect_error(parse_changed(example, NULL, "terminal_id", cJSON_CreateString("ABCDEFGHIJKLM"),
                               err, sizeof err),
                 err, "t.json: terminal_id: must be 1 to 12 characters");
    expect_error(
        parse_changed(example, "scanner", "vid", cJSON_CreateString("0x1ffff"), err, sizeof err),
        err, "t.json: scanner.vid: must be between 0x0000 and 0xffff");
    expect_error(
        parse_changed(example, "scanner", "vid", cJSON_CreateString("zebra"), err, sizeof err), err,
        "t.json: scanner.vid: must be a hex id");
    /* The printer and the names it prints. */
    expect_error(
        parse_changed(example, "printer", "kind", cJSON_CreateString("serial"), err, sizeof err),
        err, "t.json: printer.kind: must be one of none|usb|lp|tcp|virtual");
    expect_error(
        parse_changed(example, "printer", "paper_mm", cJSON_CreateNumber(72), err, sizeof err), err,
        "t.json: printer.paper_mm: must be 58 or 80");
    expect_error(
        parse_changed(example, "printer", "paper_mm", cJSON_CreateNumber(112), err, sizeof err),
        err, "t.json: printer.paper_mm: ");
    expect_error(
        parse_changed(example, "printer", "kind", cJSON_CreateString("virtual"), err, sizeof err),
        err, "t.json: printer.path: missing (required for printer.kind virtual)");
    expect_error(
        parse_changed(example, "printer", "kind", cJSON_CreateString("lp"), err, sizeof err), err,
        "t.json: printer.path: missing (required for printer.kind lp)");
    expect_error(
        parse_changed(example, "printer", "kind", cJSON_CreateString("tcp"), err, sizeof err), err,
        "t.json: printer.host: missing (required for printer.kind tcp)");
    expect_error(
        parse_changed(example, "printer", "vid", cJSON_CreateString("0x04b8"), err, sizeof err),
        err, "t.json: printer.vid: set both printer.vid and printer.pid, or neither");
    expect_error(
        parse_changed(example, "merchant", "name", cJSON_CreateString("Caf\xe9"), err, sizeof err),
        err, "t.json: merchant.name: must be UTF-8 text without control characters");
    expect_error(parse_changed(example, "merchant", "store", cJSON_CreateString("one\ttwo"), err,
                               sizeof err),
                 err, "t.json: merchant.store: must be UTF-8 text without control characters");
    expect_error(
        parse_changed(example, "printer", "native_qr", cJSON_CreateString("yes"), err, sizeof err),
        err, "t.json: printer.native_qr: must be true or false");
    expect_error(
        parse_changed(example, "policy", "windw_ms", cJSON_CreateNumber(1), err, sizeof err), err,
        "t.json: policy.windw_ms: unknown key");
    expect_error(parse_changed(example, NULL, "colour", cJSON_CreateString("red"), err, sizeof err),
                 err, "t.json: colour: unknown key");
    expect_error(parse_changed(example, NULL, "policy", cJSON_CreateNumber(3), err, sizeof err),
                 err, "t.json: policy: must be an object");
    {
        char longv[400];
        memset(longv, 'a', sizeof longv - 1);
        longv[sizeof longv - 1] = '\0';
        expect_error(
            parse_changed(example, "http", "ca_file", cJSON_CreateString(longv), err, sizeof err),
            err, "t.json: http.ca_file: longer than 255 characters");
    }

    /* Not JSON, not an object, no channel, unreadable file. */
    expect_error(parse("{\"terminal_id\": ", &cfg, err, sizeof err), err, "t.json: not valid JSON");
    expect_error(parse("[1,2]", &cfg, err, sizeof err), err, "t.json: must be a JSON object");
    expect_error(parse("{\"terminal_id\":\"T1\"}", &cfg, err, sizeof err), err,
                 "t.json: alipay.enabled: no payment channel enabled");
    config_defaults(&cfg);
    expect_error(config_load(&cfg, "/nonexistent/posterm.json", err, sizeof err), err,
                 "/nonexistent/posterm.json: cannot open: No such file or directory");

    /* A huge file is refused without being parsed. */
    {
        char path[] = "/tmp/posterm-config-XXXXXX";
        int fd = mkstemp(path);
        FILE *f = fdopen(fd, "w");
        fputc('{', f);
        for (int i = 0; i < (1 << 20); i++)
            fputc(' ', f);
        fputc('}', f);
        fclose(f);
        config_defaults(&cfg);
        expect_error(config_load(&cfg, path, err, sizeof err), err, "larger than 1 MiB");
        remove(path);
    }

    /* The screen's section: the bell off, the code kept; quick amounts are amounts, six at
     * most. Without the section: the bell on, a code before the amount refused, no quick ones. */
    CHECK(parse_changed(example, "screen", "bell", cJSON_CreateFalse(), err, sizeof err));
    expect_error(
        parse_changed(example, "screen", "bell", cJSON_CreateString("no"), err, sizeof err), err,
        "t.json: screen.bell: must be true or false");
    expect_error(parse_changed(example, "screen", "code_before_amount", cJSON_CreateString("eat"),
                               err, sizeof err),
                 err, "t.json: screen.code_before_amount: must be one of refuse|keep");
    CHECK(parse_changed(example, "screen", "customer_scans", cJSON_CreateString("alipay"), err,
                        sizeof err));
    expect_error(parse_changed(example, "screen", "customer_scans", cJSON_CreateString("cash"), err,
                               sizeof err),
                 err, "t.json: screen.customer_scans: must be one of off|wechat|alipay");
    expect_error(
        parse_changed(example, "screen", "qr_style", cJSON_CreateString("ascii"), err, sizeof err),
        err, "t.json: screen.qr_style: must be one of blocks|text");

    /* The daily reconciliation: a time of day, or "" for none. */
    CHECK(parse_changed(example, "reconcile", "daily_at", cJSON_CreateString("10:30"), err,
                        sizeof err));
    CHECK(parse_changed(example, "reconcile", "daily_at", cJSON_CreateString(""), err, sizeof err));
    const char *not_times[] = {"24:00", "10:60", "1030", "9:30", "10:3a", " 10:30"};
    for (size_t i = 0; i < sizeof not_times / sizeof not_times[0]; i++)
        expect_error(parse_changed(example, "reconcile", "daily_at",
                                   cJSON_CreateString(not_times[i]), err, sizeof err),
                     err,
                     "t.json: reconcile.daily_at: must be a time of day HH:MM (00:00 to 23:59), "
                     "e.g. \"10:30\"");
    CHECK_EQ_INT(config_minute_of_day("00:00"), 0);
    CHECK_EQ_INT(config_minute_of_day("23:59"), 23 * 60 + 59);
    CHECK_EQ_INT(config_minute_of_day(NULL), -1);
    {
        const char *seven[] = {"1", "2", "3", "4", "5", "6", "7"};
        expect_error(parse_changed(example, "screen", "quick_amounts",
                                   cJSON_CreateStringArray(seven, 7), err, sizeof err),
                     err, "t.json: screen.quick_amounts: at most 6 amounts");
        const char *bad[] = {"10", "1.234"};
        expect_error(parse_changed(example, "screen", "quick_amounts",
                                   cJSON_CreateStringArray(bad, 2), err, sizeof err),
                     err, "t.json: screen.quick_amounts: amount 2: ");
        const char *zero[] = {"0"};
        expect_error(parse_changed(example, "screen", "quick_amounts",
                                   cJSON_CreateStringArray(zero, 1), err, sizeof err),
                     err, "t.json: screen.quick_amounts: amount 1: ");
        expect_error(parse_changed(example, "screen", "quick_amounts", cJSON_CreateString("10"),
                                   err, sizeof err),
                     err, "t.json: screen.quick_amounts: must be a list of amounts");
    }
    {
        cJSON *doc = cJSON_Duplicate(example, 1);
        cJSON_DeleteItemFromObject(doc, "screen");
        char *plain = cJSON_PrintUnformatted(doc);
        CHECK(parse(plain, &cfg, err, sizeof err));
        CHECK(cfg.screen.bell);
        CHECK_EQ_STR(cfg.screen.code_before_amount, "refuse");
        CHECK_EQ_INT(cfg.screen.quick_amounts.n, 0);
        free(plain);
        cJSON_Delete(doc);
    }

    cJSON_Delete(example);
    free(text);
    return check_done();
}
