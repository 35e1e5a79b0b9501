/*
 * test_config_fleet.c - the fleet block (issue 24, head office over MQTT): off by default and
 * in the example; on with a host and a merchant; TLS on unless turned off, which only a
 * loopback broker allows; a host that is a URL, a merchant that would break the topics, a
 * client certificate without its key, a port out of range: each refused naming its key.
 *
 * usage: test_config_fleet EXAMPLE.json
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../check.h"
#include "config.h"

static cJSON *example;

/* The example with fleet.host and fleet.merchant set (MQTT on). */
static cJSON *fleet_on(const char *host)
{
    cJSON *d = cJSON_Duplicate(example, 1);
    cJSON *fleet = cJSON_GetObjectItemCaseSensitive(d, "fleet");
    cJSON_ReplaceItemInObjectCaseSensitive(fleet, "host", cJSON_CreateString(host));
    cJSON_ReplaceItemInObjectCaseSensitive(fleet, "merchant", cJSON_CreateString("shop_7"));
    return d;
}

static void set(cJSON *d, const char *key, cJSON *value)
{
    cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(d, "fleet"), key,
                                           value);
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

static void defaults_and_on(void)
{
    struct config cfg;
    char err[1024];
    config_defaults(&cfg);
    CHECK(cfg.fleet.host[0] == '\0');
    CHECK(cfg.fleet.tls);
    CHECK_EQ_INT(cfg.fleet.keepalive_s, 30);
    CHECK_EQ_INT(cfg.fleet.reconnect_max_ms, 30000);

    CHECK(parse(cJSON_Duplicate(example, 1), &cfg, err, sizeof err));
    CHECK(cfg.fleet.host[0] == '\0');

    bool ok = parse(fleet_on("mqtt.example.com"), &cfg, err, sizeof err);
    CHECK(ok);
    if (!ok)
        fprintf(stderr, "  %s\n", err);
    CHECK_EQ_STR(cfg.fleet.host, "mqtt.example.com");
    CHECK_EQ_STR(cfg.fleet.merchant, "shop_7");
    CHECK(cfg.fleet.tls);

    /* A broker on this machine may go without TLS (a test or a shop's own box). */
    const char *loopback[] = {"127.0.0.1", "127.3.4.5", "localhost", "::1"};
    for (size_t i = 0; i < sizeof loopback / sizeof loopback[0]; i++) {
        cJSON *d = fleet_on(loopback[i]);
        set(d, "tls", cJSON_CreateFalse());
        CHECK(parse(d, &cfg, err, sizeof err));
        CHECK(!cfg.fleet.tls);
    }
}

static void refusals(void)
{
    const char *remote[] = {"mqtt.example.com", "10.0.0.7", "127.0.0.1.example.com", "::2"};
    for (size_t i = 0; i < sizeof remote / sizeof remote[0]; i++) {
        cJSON *d = fleet_on(remote[i]);
        set(d, "tls", cJSON_CreateFalse());
        expect_refused(d, "t.json: fleet.tls: may be false only", remote[i]);
    }
    expect_refused(fleet_on("mqtts://mqtt.example.com"), "t.json: fleet.host: ", "a URL");
    expect_refused(fleet_on("user@mqtt.example.com"), "t.json: fleet.host: ", "a userinfo");
    expect_refused(fleet_on("mqtt.example.com:8883"), "t.json: fleet.host: ", "a port");
    expect_refused(fleet_on("[::1]"), "t.json: fleet.host: ", "brackets");

    const char *merchants[] = {"",  "shop/7", "shop+",
                               "#", "shop 7", "a_merchant_name_of_33_characters_"};
    for (size_t i = 0; i < sizeof merchants / sizeof merchants[0]; i++) {
        cJSON *d = fleet_on("mqtt.example.com");
        set(d, "merchant", cJSON_CreateString(merchants[i]));
        expect_refused(d, "t.json: fleet.merchant: ", merchants[i]);
    }

    cJSON *d = fleet_on("mqtt.example.com");
    set(d, "cert_file", cJSON_CreateString("/etc/posterm/mqtt.crt"));
    expect_refused(d, "t.json: fleet.cert_file: ", "a certificate without its key");
    d = fleet_on("mqtt.example.com");
    set(d, "port", cJSON_CreateNumber(65536));
    expect_refused(d, "t.json: fleet.port: ", "port 65536");
    d = fleet_on("mqtt.example.com");
    set(d, "keepalive_s", cJSON_CreateNumber(1));
    expect_refused(d, "t.json: fleet.keepalive_s: ", "keepalive 1 s");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_config_fleet EXAMPLE.json\n");
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
    defaults_and_on();
    refusals();
    cJSON_Delete(example);
    return check_done();
}
