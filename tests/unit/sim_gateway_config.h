/*
 * sim_gateway_config.h - the gateway settings posterm-sim writes with --config-out, read into
 * posterm's own gateway_config, for tests that run the real client against the simulator.
 *
 * Only what the simulator decides is filled in (both channels and its CA file); timeouts,
 * terminal id and TLS policy stay the caller's.
 */
#ifndef POSTERM_TEST_SIM_GATEWAY_CONFIG_H
#define POSTERM_TEST_SIM_GATEWAY_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "gateway.h"

static inline void sim_config_copy(char *dst, size_t cap, const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    snprintf(dst, cap, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

static inline void sim_config_channel(struct gw_channel_config *c, const cJSON *o)
{
    c->enabled = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "enabled"));
    sim_config_copy(c->base_url, sizeof c->base_url, o, "base_url");
    sim_config_copy(c->app_id, sizeof c->app_id, o, "app_id");
    sim_config_copy(c->merchant_id, sizeof c->merchant_id, o, "merchant_id");
    sim_config_copy(c->merchant_serial, sizeof c->merchant_serial, o, "merchant_serial");
    sim_config_copy(c->private_key_file, sizeof c->private_key_file, o, "private_key_file");
    sim_config_copy(c->platform_public_key_file, sizeof c->platform_public_key_file, o,
                    "platform_public_key_file");
    sim_config_copy(c->platform_serial, sizeof c->platform_serial, o, "platform_serial");
    sim_config_copy(c->apiv3_key_file, sizeof c->apiv3_key_file, o, "apiv3_key_file");
    sim_config_copy(c->notify_url, sizeof c->notify_url, o, "notify_url");
}

/* False when the file cannot be read or has no "gateway" object. */
static inline bool sim_gateway_config_read(const char *path, struct gateway_config *c)
{
    static char text[16384];
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    cJSON *root = cJSON_Parse(text);
    const cJSON *gw = cJSON_GetObjectItemCaseSensitive(root, "gateway");
    if (!gw) {
        cJSON_Delete(root);
        return false;
    }
    sim_config_channel(&c->alipay, cJSON_GetObjectItemCaseSensitive(gw, "alipay"));
    sim_config_channel(&c->wechat, cJSON_GetObjectItemCaseSensitive(gw, "wechat"));
    sim_config_copy(c->ca_file, sizeof c->ca_file, gw, "ca_file");
    cJSON_Delete(root);
    return true;
}

#endif
