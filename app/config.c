/*
 * config.c - the one table of settings, and the walk that checks a JSON file against it.
 *
 * The table is the documentation's twin: a key that is not in it is an error, so a typo in a
 * terminal's config ("windw_ms") stops posterm at start instead of silently using a default.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "money.h"
#include "order_no.h"

enum field_type { F_STRING, F_INT, F_BOOL, F_MONEY, F_USB_ID, F_CHOICE };

struct field {
    const char *key;     /* dotted path, e.g. "policy.window_ms" */
    enum field_type type;
    size_t offset;       /* into struct config */
    size_t size;         /* F_STRING/F_CHOICE: buffer size; F_INT: sizeof the integer */
    int64_t min, max;    /* F_INT, F_MONEY */
    const char *choices; /* F_CHOICE: "a|b|c" */
};

#define AT(member) offsetof(struct config, member), sizeof(((struct config *)0)->member)

static const struct field fields[] = {
    {"terminal_id", F_STRING, AT(terminal_id), 0, 0, NULL},
    {"journal", F_STRING, AT(journal_path), 0, 0, NULL},
    {"log", F_STRING, AT(log_path), 0, 0, NULL},
    {"language", F_CHOICE, AT(language), 0, 0, "en|zh"},
    {"subject", F_STRING, AT(subject), 0, 0, NULL},
    {"max_amount", F_MONEY, AT(max_amount_fen), 1, INT64_C(100000000000), NULL},

    {"policy.first_query_ms", F_INT, AT(policy.first_query_ms), 100, 600000, NULL},
    {"policy.query_every_ms", F_INT, AT(policy.query_every_ms), 100, 600000, NULL},
    {"policy.window_ms", F_INT, AT(policy.window_ms), 1000, 3600000, NULL},
    {"policy.min_cancel_ms", F_INT, AT(policy.min_cancel_ms), 0, 3600000, NULL},
    {"policy.backoff_first_ms", F_INT, AT(policy.backoff_first_ms), 100, 600000, NULL},
    {"policy.backoff_max_ms", F_INT, AT(policy.backoff_max_ms), 100, 3600000, NULL},

    {"http.connect_timeout_ms", F_INT, AT(gateway.connect_timeout_ms), 100, 120000, NULL},
    {"http.pay_timeout_ms", F_INT, AT(gateway.pay_timeout_ms), 100, 120000, NULL},
    {"http.query_timeout_ms", F_INT, AT(gateway.query_timeout_ms), 100, 120000, NULL},
    {"http.cancel_timeout_ms", F_INT, AT(gateway.cancel_timeout_ms), 100, 120000, NULL},
    {"http.refund_timeout_ms", F_INT, AT(gateway.refund_timeout_ms), 100, 120000, NULL},
    {"http.tls_verify", F_BOOL, AT(gateway.tls_verify), 0, 0, NULL},
    {"http.ca_file", F_STRING, AT(gateway.ca_file), 0, 0, NULL},
    {"http.pinned_public_key", F_STRING, AT(gateway.pinned_public_key), 0, 0, NULL},

    {"alipay.enabled", F_BOOL, AT(gateway.alipay.enabled), 0, 0, NULL},
    {"alipay.gateway_url", F_STRING, AT(gateway.alipay.base_url), 0, 0, NULL},
    {"alipay.app_id", F_STRING, AT(gateway.alipay.app_id), 0, 0, NULL},
    {"alipay.private_key_file", F_STRING, AT(gateway.alipay.private_key_file), 0, 0, NULL},
    {"alipay.alipay_public_key_file", F_STRING, AT(gateway.alipay.platform_public_key_file), 0, 0, NULL},

    {"wechat.enabled", F_BOOL, AT(gateway.wechat.enabled), 0, 0, NULL},
    {"wechat.base_url", F_STRING, AT(gateway.wechat.base_url), 0, 0, NULL},
    {"wechat.appid", F_STRING, AT(gateway.wechat.app_id), 0, 0, NULL},
    {"wechat.mchid", F_STRING, AT(gateway.wechat.merchant_id), 0, 0, NULL},
    {"wechat.merchant_serial", F_STRING, AT(gateway.wechat.merchant_serial), 0, 0, NULL},
    {"wechat.private_key_file", F_STRING, AT(gateway.wechat.private_key_file), 0, 0, NULL},
    {"wechat.platform_public_key_file", F_STRING, AT(gateway.wechat.platform_public_key_file), 0, 0, NULL},
    {"wechat.platform_serial", F_STRING, AT(gateway.wechat.platform_serial), 0, 0, NULL},
    {"wechat.apiv3_key_file", F_STRING, AT(gateway.wechat.apiv3_key_file), 0, 0, NULL},

    {"scanner.source", F_CHOICE, AT(scanner.source), 0, 0, "auto|usb-keyboard|hidpos|evdev|stdin|none"},
    {"scanner.vid", F_USB_ID, AT(scanner.vid), 0, 0xffff, NULL},
    {"scanner.pid", F_USB_ID, AT(scanner.pid), 0, 0xffff, NULL},
    {"scanner.evdev", F_STRING, AT(scanner.evdev_path), 0, 0, NULL},
    {"scanner.layout", F_CHOICE, AT(scanner.layout), 0, 0, "us|azerty"},
    {"scanner.suffix", F_CHOICE, AT(scanner.suffix), 0, 0, "enter|tab|none"},
    {"scanner.gap_ms", F_INT, AT(scanner.gap_ms), 5, 5000, NULL},
    {"scanner.dedupe_ms", F_INT, AT(scanner.dedupe_ms), 0, 60000, NULL},
    {"scanner.max_length", F_INT, AT(scanner.max_length), 8, 256, NULL},
};

void config_defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->journal_path, sizeof cfg->journal_path, "/var/lib/posterm/journal.db");
    snprintf(cfg->language, sizeof cfg->language, "en");
    snprintf(cfg->subject, sizeof cfg->subject, "posterm purchase");
    cfg->max_amount_fen = INT64_C(5000000); /* 50,000.00 yuan */
    cfg->policy = policy_default();
    cfg->gateway.tls_verify = true;
    cfg->gateway.connect_timeout_ms = 3000;
    cfg->gateway.pay_timeout_ms = 15000;
    cfg->gateway.query_timeout_ms = 5000;
    cfg->gateway.cancel_timeout_ms = 10000;
    cfg->gateway.refund_timeout_ms = 15000;
    snprintf(cfg->scanner.source, sizeof cfg->scanner.source, "auto");
    snprintf(cfg->scanner.layout, sizeof cfg->scanner.layout, "us");
    snprintf(cfg->scanner.suffix, sizeof cfg->scanner.suffix, "enter");
    cfg->scanner.gap_ms = 80;
    cfg->scanner.dedupe_ms = 3000;
    cfg->scanner.max_length = 64;
}

static bool fail(char *err, size_t errlen, const char *file, const char *key, const char *fmt, ...)
{
    char reason[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    if (key)
        snprintf(err, errlen, "%s: %s: %s", file, key, reason);
    else
        snprintf(err, errlen, "%s: %s", file, reason);
    return false;
}

static const struct field *field_named(const char *key)
{
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (strcmp(fields[i].key, key) == 0)
            return &fields[i];
    return NULL;
}

/* True when some key lives below `prefix.` (so an object is expected there). */
static bool section_named(const char *prefix)
{
    size_t n = strlen(prefix);
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (strncmp(fields[i].key, prefix, n) == 0 && fields[i].key[n] == '.')
            return true;
    return false;
}

static bool choice_allowed(const char *choices, const char *v)
{
    size_t vl = strlen(v);
    for (const char *c = choices; *c;) {
        const char *bar = strchr(c, '|');
        size_t cl = bar ? (size_t)(bar - c) : strlen(c);
        if (cl == vl && strncmp(c, v, vl) == 0)
            return true;
        if (!bar)
            break;
        c = bar + 1;
    }
    return false;
}

static bool set_field(struct config *cfg, const struct field *f, const cJSON *v, const char *file,
                      char *err, size_t errlen)
{
    char *dst = (char *)cfg + f->offset;
    switch (f->type) {
    case F_STRING:
    case F_CHOICE:
        if (!cJSON_IsString(v))
            return fail(err, errlen, file, f->key, "must be a string");
        if (strlen(v->valuestring) >= f->size)
            return fail(err, errlen, file, f->key, "longer than %zu characters", f->size - 1);
        if (f->type == F_CHOICE && !choice_allowed(f->choices, v->valuestring))
            return fail(err, errlen, file, f->key, "must be one of %s", f->choices);
        memcpy(dst, v->valuestring, strlen(v->valuestring) + 1);
        return true;
    case F_BOOL:
        if (!cJSON_IsBool(v))
            return fail(err, errlen, file, f->key, "must be true or false");
        *(bool *)dst = cJSON_IsTrue(v);
        return true;
    case F_INT: {
        /* cJSON keeps numbers as doubles: accept only whole numbers it holds exactly. Only a
         * double within int64 may be converted (1e300 would be undefined behaviour). */
        if (!cJSON_IsNumber(v))
            return fail(err, errlen, file, f->key, "must be a whole number");
        double d = v->valuedouble;
        bool fits = d >= -9223372036854775808.0 && d < 9223372036854775808.0;
        if (fits && d != (double)(int64_t)d)
            return fail(err, errlen, file, f->key, "must be a whole number");
        if (!fits || d < (double)f->min || d > (double)f->max)
            return fail(err, errlen, file, f->key, "must be between %lld and %lld",
                        (long long)f->min, (long long)f->max);
        int64_t n = (int64_t)d;
        if (f->size == sizeof(int64_t))
            *(int64_t *)dst = n;
        else if (f->size == sizeof(long))
            *(long *)dst = (long)n;
        else
            *(int *)dst = (int)n;
        return true;
    }
    case F_MONEY: {
        if (!cJSON_IsString(v))
            return fail(err, errlen, file, f->key, "must be a string such as \"500.00\"");
        int64_t fen;
        enum money_status st = money_parse(v->valuestring, f->max, &fen);
        if (st != MONEY_OK)
            return fail(err, errlen, file, f->key, "%s", money_status_reason(st));
        *(int64_t *)dst = fen;
        return true;
    }
    case F_USB_ID: {
        long id;
        if (cJSON_IsString(v)) {
            char *end;
            errno = 0;
            id = strtol(v->valuestring, &end, 16);
            if (errno || end == v->valuestring || *end)
                return fail(err, errlen, file, f->key, "must be a hex id such as \"0x0c2e\"");
        } else if (cJSON_IsNumber(v)) {
            if (!(v->valuedouble >= (double)f->min && v->valuedouble <= (double)f->max))
                return fail(err, errlen, file, f->key, "must be between 0x0000 and 0xffff");
            id = (long)v->valuedouble;
        } else {
            return fail(err, errlen, file, f->key, "must be a hex id such as \"0x0c2e\"");
        }
        if (id < f->min || id > f->max)
            return fail(err, errlen, file, f->key, "must be between 0x0000 and 0xffff");
        *(int *)dst = (int)id;
        return true;
    }
    }
    return fail(err, errlen, file, f->key, "unsupported type");
}

static bool walk(struct config *cfg, const cJSON *obj, const char *prefix, const char *file,
                 char *err, size_t errlen)
{
    for (const cJSON *m = obj->child; m; m = m->next) {
        char key[128];
        int n = prefix ? snprintf(key, sizeof key, "%s.%s", prefix, m->string)
                       : snprintf(key, sizeof key, "%s", m->string);
        if (n < 0 || (size_t)n >= sizeof key)
            return fail(err, errlen, file, m->string, "unknown key");
        if (m->string[0] == '_')
            continue; /* "_note" keys let a config carry its own comments */
        const struct field *f = field_named(key);
        if (f) {
            if (!set_field(cfg, f, m, file, err, errlen))
                return false;
        } else if (section_named(key)) {
            if (!cJSON_IsObject(m))
                return fail(err, errlen, file, key, "must be an object");
            if (!walk(cfg, m, key, file, err, errlen))
                return false;
        } else {
            return fail(err, errlen, file, key, "unknown key");
        }
    }
    return true;
}

static bool require(const char *value, const char *file, const char *key, char *err, size_t errlen)
{
    if (value[0] != '\0')
        return true;
    return fail(err, errlen, file, key, "missing (required when the channel is enabled)");
}

/* Checks that need more than one key. */
static bool check_whole(const struct config *cfg, const char *file, char *err, size_t errlen)
{
    if (cfg->terminal_id[0] == '\0')
        return fail(err, errlen, file, "terminal_id", "missing");
    if (!terminal_id_valid(cfg->terminal_id))
        return fail(err, errlen, file, "terminal_id", "must be 1 to %d characters of A-Z a-z 0-9 _",
                    TERMINAL_ID_MAX);
    if (cfg->journal_path[0] == '\0')
        return fail(err, errlen, file, "journal", "missing");
    const char *bad = policy_check(&cfg->policy);
    if (bad) {
        char key[64];
        snprintf(key, sizeof key, "policy.%.*s", (int)strcspn(bad, ":"), bad);
        return fail(err, errlen, file, key, "%s", strchr(bad, ':') + 2);
    }
    const struct gw_channel_config *a = &cfg->gateway.alipay, *w = &cfg->gateway.wechat;
    if (!a->enabled && !w->enabled)
        return fail(err, errlen, file, "alipay.enabled", "no payment channel enabled (alipay or wechat)");
    if (a->enabled &&
        !(require(a->base_url, file, "alipay.gateway_url", err, errlen) &&
          require(a->app_id, file, "alipay.app_id", err, errlen) &&
          require(a->private_key_file, file, "alipay.private_key_file", err, errlen) &&
          require(a->platform_public_key_file, file, "alipay.alipay_public_key_file", err, errlen)))
        return false;
    if (w->enabled &&
        !(require(w->base_url, file, "wechat.base_url", err, errlen) &&
          require(w->app_id, file, "wechat.appid", err, errlen) &&
          require(w->merchant_id, file, "wechat.mchid", err, errlen) &&
          require(w->merchant_serial, file, "wechat.merchant_serial", err, errlen) &&
          require(w->private_key_file, file, "wechat.private_key_file", err, errlen) &&
          require(w->platform_public_key_file, file, "wechat.platform_public_key_file", err, errlen) &&
          require(w->platform_serial, file, "wechat.platform_serial", err, errlen) &&
          require(w->apiv3_key_file, file, "wechat.apiv3_key_file", err, errlen)))
        return false;
    return true;
}

bool config_parse(struct config *cfg, const char *name, const char *text, size_t len, char *err,
                  size_t errlen)
{
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (root == NULL) {
        const char *at = cJSON_GetErrorPtr();
        long off = at && at >= text && at <= text + len ? (long)(at - text) : -1;
        return fail(err, errlen, name, NULL, "not valid JSON (near byte %ld)", off);
    }
    bool ok = cJSON_IsObject(root) ? walk(cfg, root, NULL, name, err, errlen)
                                   : fail(err, errlen, name, NULL, "must be a JSON object");
    cJSON_Delete(root);
    /* The engine gives each request its transport timeout plus a margin (policy.h). */
    cfg->policy.pay_timeout_ms = cfg->gateway.pay_timeout_ms;
    cfg->policy.query_timeout_ms = cfg->gateway.query_timeout_ms;
    cfg->policy.cancel_timeout_ms = cfg->gateway.cancel_timeout_ms;
    cfg->policy.refund_timeout_ms = cfg->gateway.refund_timeout_ms;
    if (!ok || !check_whole(cfg, name, err, errlen))
        return false;
    /* The gateway names the device in its requests (WeChat's device_id). */
    snprintf(cfg->gateway.terminal_id, sizeof cfg->gateway.terminal_id, "%s", cfg->terminal_id);
    return true;
}

bool config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return fail(err, errlen, path, NULL, "cannot open: %s", strerror(errno));
    /* A config is a few kilobytes; anything huge is not a config. */
    enum { LIMIT = 1 << 20 };
    char *buf = malloc(LIMIT);
    if (buf == NULL) {
        fclose(f);
        return fail(err, errlen, path, NULL, "out of memory");
    }
    size_t n = fread(buf, 1, LIMIT, f);
    bool too_big = n == LIMIT;
    bool read_error = ferror(f);
    fclose(f);
    bool ok;
    if (read_error)
        ok = fail(err, errlen, path, NULL, "read error");
    else if (too_big)
        ok = fail(err, errlen, path, NULL, "larger than 1 MiB: not a config file");
    else
        ok = config_parse(cfg, path, buf, n, err, errlen);
    free(buf);
    return ok;
}
