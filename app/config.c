/*
 * config.c - the one table of settings, the walk that checks a JSON file against it, and the
 * rules on what a terminal may trust: which gateway URLs, which timings, which files.
 *
 * The table is the documentation's twin: a key that is not in it is an error, so a typo in a
 * terminal's config ("windw_ms") stops posterm at start instead of silently using a default.
 * The trust rules: nothing anyone on the network or another local user could
 * change is believed (lab settings for the simulator are allowed on loopback only, and listed
 * by config_lab_settings for the screen).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "money.h"
#include "order_no.h"
#include "pin.h"

enum field_type { F_STRING, F_INT, F_BOOL, F_MONEY, F_USB_ID, F_CHOICE, F_MONEY_LIST };

struct field {
    const char *key; /* dotted path, e.g. "policy.window_ms" */
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
    /* issue 23: the query cadence while the customer is confirming */
    {"policy.query_fast_every_ms", F_INT, AT(policy.query_fast_every_ms), 100, 600000, NULL},
    {"policy.query_fast_for_ms", F_INT, AT(policy.query_fast_for_ms), 0, 3600000, NULL},
    {"policy.window_ms", F_INT, AT(policy.window_ms), 1000, 3600000, NULL},
    {"policy.min_cancel_ms", F_INT, AT(policy.min_cancel_ms), 0, 3600000, NULL},
    {"policy.backoff_first_ms", F_INT, AT(policy.backoff_first_ms), 100, 600000, NULL},
    {"policy.backoff_max_ms", F_INT, AT(policy.backoff_max_ms), 100, 3600000, NULL},
    {"policy.reply_margin_ms", F_INT, AT(policy.reply_margin_ms), 0, 60000, NULL},
    {"policy.qr_window_ms", F_INT, AT(policy.qr_window_ms), 1000, 3600000, NULL},

    {"http.connect_timeout_ms", F_INT, AT(gateway.connect_timeout_ms), 100, 120000, NULL},
    {"http.pay_timeout_ms", F_INT, AT(gateway.pay_timeout_ms), 100, 120000, NULL},
    {"http.query_timeout_ms", F_INT, AT(gateway.query_timeout_ms), 100, 120000, NULL},
    {"http.cancel_timeout_ms", F_INT, AT(gateway.cancel_timeout_ms), 100, 120000, NULL},
    {"http.refund_timeout_ms", F_INT, AT(gateway.refund_timeout_ms), 100, 120000, NULL},
    {"http.gateway_slow_ms", F_INT, AT(gateway_slow_ms), 100, 60000, NULL},
    {"http.tls_verify", F_BOOL, AT(gateway.tls_verify), 0, 0, NULL},
    {"http.ca_file", F_STRING, AT(gateway.ca_file), 0, 0, NULL},
    {"http.pinned_public_key", F_STRING, AT(gateway.pinned_public_key), 0, 0, NULL},

    {"alipay.enabled", F_BOOL, AT(gateway.alipay.enabled), 0, 0, NULL},
    {"alipay.gateway_url", F_STRING, AT(gateway.alipay.base_url), 0, 0, NULL},
    {"alipay.app_id", F_STRING, AT(gateway.alipay.app_id), 0, 0, NULL},
    {"alipay.private_key_file", F_STRING, AT(gateway.alipay.private_key_file), 0, 0, NULL},
    {"alipay.alipay_public_key_file", F_STRING, AT(gateway.alipay.platform_public_key_file), 0, 0,
     NULL},

    {"wechat.enabled", F_BOOL, AT(gateway.wechat.enabled), 0, 0, NULL},
    {"wechat.base_url", F_STRING, AT(gateway.wechat.base_url), 0, 0, NULL},
    {"wechat.appid", F_STRING, AT(gateway.wechat.app_id), 0, 0, NULL},
    {"wechat.mchid", F_STRING, AT(gateway.wechat.merchant_id), 0, 0, NULL},
    {"wechat.merchant_serial", F_STRING, AT(gateway.wechat.merchant_serial), 0, 0, NULL},
    {"wechat.private_key_file", F_STRING, AT(gateway.wechat.private_key_file), 0, 0, NULL},
    {"wechat.platform_public_key_file", F_STRING, AT(gateway.wechat.platform_public_key_file), 0, 0,
     NULL},
    {"wechat.platform_serial", F_STRING, AT(gateway.wechat.platform_serial), 0, 0, NULL},
    {"wechat.apiv3_key_file", F_STRING, AT(gateway.wechat.apiv3_key_file), 0, 0, NULL},
    {"wechat.notify_url", F_STRING, AT(gateway.wechat.notify_url), 0, 0, NULL},

    {"scanner.source", F_CHOICE, AT(scanner.source), 0, 0,
     "auto|usb-keyboard|hidpos|evdev|stdin|none"},
    {"scanner.vid", F_USB_ID, AT(scanner.vid), 0, 0xffff, NULL},
    {"scanner.pid", F_USB_ID, AT(scanner.pid), 0, 0xffff, NULL},
    {"scanner.evdev", F_STRING, AT(scanner.evdev_path), 0, 0, NULL},
    {"scanner.layout", F_CHOICE, AT(scanner.layout), 0, 0, "us|azerty"},
    {"scanner.suffix", F_CHOICE, AT(scanner.suffix), 0, 0, "enter|tab|none"},
    {"scanner.gap_ms", F_INT, AT(scanner.gap_ms), 5, 5000, NULL},
    {"scanner.dedupe_ms", F_INT, AT(scanner.dedupe_ms), 0, 60000, NULL},
    {"scanner.max_length", F_INT, AT(scanner.max_length), 8, 256, NULL},

    {"merchant.name", F_STRING, AT(merchant.name), 0, 0, NULL},
    {"merchant.store", F_STRING, AT(merchant.store), 0, 0, NULL},

    {"printer.kind", F_CHOICE, AT(printer.kind), 0, 0, "none|usb|lp|tcp|virtual"},
    {"printer.vid", F_USB_ID, AT(printer.vid), 0, 0xffff, NULL},
    {"printer.pid", F_USB_ID, AT(printer.pid), 0, 0xffff, NULL},
    {"printer.path", F_STRING, AT(printer.path), 0, 0, NULL},
    {"printer.host", F_STRING, AT(printer.host), 0, 0, NULL},
    {"printer.port", F_INT, AT(printer.port), 1, 65535, NULL},
    {"printer.paper_mm", F_INT, AT(printer.paper_mm), 58, 80, NULL},
    {"printer.native_qr", F_BOOL, AT(printer.native_qr), 0, 0, NULL},
    {"printer.merchant_copy", F_BOOL, AT(printer.merchant_copy), 0, 0, NULL},
    {"printer.eod", F_BOOL, AT(printer.eod), 0, 0, NULL},

    {"refund.supervisor_pin_hash", F_STRING, AT(refund.supervisor_pin_hash), 0, 0, NULL},
    {"refund.max_amount", F_MONEY, AT(refund.max_fen), 1, INT64_C(100000000000), NULL},
    {"refund.max_day_amount", F_MONEY, AT(refund.max_day_fen), 1, INT64_C(100000000000), NULL},
    {"api.enabled", F_BOOL, AT(api.enabled), 0, 0, NULL},
    {"api.socket", F_STRING, AT(api.socket), 0, 0, NULL},
    {"api.max_clients", F_INT, AT(api.max_clients), 1, 64, NULL},
    {"api.max_line", F_INT, AT(api.max_line), 256, 65536, NULL},
    {"api.max_queue", F_INT, AT(api.max_queue), 4096, 4194304, NULL},
    /* the register API over TCP (issue 22) */
    {"api.listen", F_STRING, AT(api.listen), 0, 0, NULL},
    {"api.tls_cert", F_STRING, AT(api.tls_cert), 0, 0, NULL},
    {"api.tls_key", F_STRING, AT(api.tls_key), 0, 0, NULL},
    {"api.tls_client_ca", F_STRING, AT(api.tls_client_ca), 0, 0, NULL},
    /* head office over MQTT (issue 24, app/FLEET.md) */
    {"fleet.host", F_STRING, AT(fleet.host), 0, 0, NULL},
    {"fleet.port", F_INT, AT(fleet.port), 0, 65535, NULL},
    {"fleet.merchant", F_STRING, AT(fleet.merchant), 0, 0, NULL},
    {"fleet.tls", F_BOOL, AT(fleet.tls), 0, 0, NULL},
    {"fleet.ca_file", F_STRING, AT(fleet.ca_file), 0, 0, NULL},
    {"fleet.cert_file", F_STRING, AT(fleet.cert_file), 0, 0, NULL},
    {"fleet.key_file", F_STRING, AT(fleet.key_file), 0, 0, NULL},
    {"fleet.username", F_STRING, AT(fleet.username), 0, 0, NULL},
    {"fleet.password_file", F_STRING, AT(fleet.password_file), 0, 0, NULL},
    {"fleet.keepalive_s", F_INT, AT(fleet.keepalive_s), 5, 3600, NULL},
    {"fleet.reconnect_max_ms", F_INT, AT(fleet.reconnect_max_ms), 100, 3600000, NULL},
    {"screen.bell", F_BOOL, AT(screen.bell), 0, 0, NULL},
    {"screen.code_before_amount", F_CHOICE, AT(screen.code_before_amount), 0, 0, "refuse|keep"},
    {"screen.customer_scans", F_CHOICE, AT(screen.customer_scans), 0, 0, "off|wechat|alipay"},
    {"screen.qr_style", F_CHOICE, AT(screen.qr_style), 0, 0, "blocks|text"},
    {"screen.quick_amounts", F_MONEY_LIST, AT(screen.quick_amounts), 1, INT64_C(100000000000),
     NULL},
    /* the reconciliation of the daily bills (issue 21) */
    {"reconcile.daily_at", F_STRING, AT(reconcile_daily_at), 0, 0, NULL},
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
    cfg->gateway_slow_ms = 2000;
    snprintf(cfg->scanner.source, sizeof cfg->scanner.source, "auto");
    snprintf(cfg->scanner.layout, sizeof cfg->scanner.layout, "us");
    snprintf(cfg->scanner.suffix, sizeof cfg->scanner.suffix, "enter");
    cfg->scanner.gap_ms = 80;
    cfg->scanner.dedupe_ms = 3000;
    cfg->scanner.max_length = 64;
    snprintf(cfg->printer.kind, sizeof cfg->printer.kind, "none");
    cfg->printer.port = 9100;
    cfg->printer.paper_mm = 58;
    cfg->printer.native_qr = true;
    cfg->printer.eod = true;
    cfg->screen.bell = true;
    snprintf(cfg->screen.code_before_amount, sizeof cfg->screen.code_before_amount, "refuse");
    snprintf(cfg->screen.customer_scans, sizeof cfg->screen.customer_scans, "off");
    snprintf(cfg->screen.qr_style, sizeof cfg->screen.qr_style, "blocks");
    snprintf(cfg->api.socket, sizeof cfg->api.socket, "/run/posterm/register.sock");
    cfg->api.max_clients = 16;
    cfg->api.max_line = 4096;
    cfg->api.max_queue = 65536;
    cfg->fleet.tls = true;
    cfg->fleet.keepalive_s = 30;
    cfg->fleet.reconnect_max_ms = 30000;
}

static bool fail(char *err, size_t errlen, const char *file, const char *key, const char *fmt, ...)
{
    char reason[PATH_MAX + 300];
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
    case F_MONEY_LIST: {
        struct config_quick_amounts *q = (struct config_quick_amounts *)dst;
        if (!cJSON_IsArray(v))
            return fail(err, errlen, file, f->key, "must be a list of amounts such as [\"10.00\"]");
        if (cJSON_GetArraySize(v) > CONFIG_QUICK_AMOUNTS_MAX)
            return fail(err, errlen, file, f->key, "at most %d amounts", CONFIG_QUICK_AMOUNTS_MAX);
        q->n = 0;
        for (const cJSON *a = v->child; a; a = a->next) {
            int64_t fen;
            enum money_status st =
                cJSON_IsString(a) ? money_parse(a->valuestring, f->max, &fen) : MONEY_GARBAGE;
            if (st != MONEY_OK)
                return fail(err, errlen, file, f->key, "amount %d: %s", q->n + 1,
                            money_status_reason(st));
            q->fen[q->n++] = fen;
        }
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

static bool printable_utf8(const char *s);

static bool id_chars(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_'))
            return false;
    return true;
}

/* "cashiers": [{"id": ..., "name": ..., "pin_hash": ...}, ...] - a list, so not a field. */
static bool set_cashiers(struct config *cfg, const cJSON *list, const char *file, char *err,
                         size_t errlen)
{
    if (!cJSON_IsArray(list))
        return fail(err, errlen, file, "cashiers", "must be a list of {id, name, pin_hash}");
    cfg->cashier_count = 0;
    int i = 0;
    for (const cJSON *c = list->child; c; c = c->next, i++) {
        char key[48];
        snprintf(key, sizeof key, "cashiers[%d]", i);
        if (i >= CONFIG_CASHIERS_MAX)
            return fail(err, errlen, file, key, "at most %d cashiers", CONFIG_CASHIERS_MAX);
        if (!cJSON_IsObject(c))
            return fail(err, errlen, file, key, "must be an object {id, name, pin_hash}");
        struct config_cashier *out = &cfg->cashiers[i];
        memset(out, 0, sizeof *out);
        for (const cJSON *m = c->child; m; m = m->next) {
            if (m->string[0] == '_')
                continue;
            char *dst = strcmp(m->string, "id") == 0         ? out->id
                        : strcmp(m->string, "name") == 0     ? out->name
                        : strcmp(m->string, "pin_hash") == 0 ? out->pin_hash
                                                             : NULL;
            size_t cap = dst == out->id     ? sizeof out->id
                         : dst == out->name ? sizeof out->name
                                            : sizeof out->pin_hash;
            snprintf(key, sizeof key, "cashiers[%d].%s", i, m->string);
            if (dst == NULL)
                return fail(err, errlen, file, key, "unknown key");
            if (!cJSON_IsString(m) || strlen(m->valuestring) >= cap)
                return fail(err, errlen, file, key, "must be a string of at most %zu bytes",
                            cap - 1);
            snprintf(dst, cap, "%s", m->valuestring);
        }
        snprintf(key, sizeof key, "cashiers[%d]", i);
        if (out->id[0] == '\0' || !id_chars(out->id))
            return fail(err, errlen, file, key,
                        "id: 1 to 32 letters, digits, '-' or '_' (it is recorded with each "
                        "payment)");
        if (!printable_utf8(out->name))
            return fail(err, errlen, file, key, "name: printable UTF-8 text");
        if (!pin_hash_well_formed(out->pin_hash))
            return fail(err, errlen, file, key,
                        "pin_hash: %s; make one with posterm --hash-pin (the PIN is read from "
                        "standard input)",
                        pin_status_reason(PIN_BAD_HASH));
        for (int k = 0; k < i; k++)
            if (strcmp(cfg->cashiers[k].id, out->id) == 0)
                return fail(err, errlen, file, key, "id %s is listed twice", out->id);
        cfg->cashier_count = i + 1;
    }
    return true;
}

const struct config_cashier *config_cashier(const struct config *cfg, const char *id)
{
    for (int i = 0; id && i < cfg->cashier_count; i++)
        if (strcmp(cfg->cashiers[i].id, id) == 0)
            return &cfg->cashiers[i];
    return NULL;
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
        if (prefix == NULL && strcmp(key, "cashiers") == 0) {
            if (!set_cashiers(cfg, m, file, err, errlen))
                return false;
        } else if (f) {
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

/* --- the network posterm trusts: gateway URLs ------------------------------------------- */

struct gw_url {
    bool https;
    bool bracketed; /* the host was an IPv6 literal in [ ] */
    char host[256];
};

/* Reads the scheme and host of a gateway URL the way curl splits one: the authority runs to
 * the first / ? or #, a userinfo ends at its @, an IPv6 literal sits in [ ], a port follows
 * a colon. Anything that two readers could split differently (a second @, a backslash, a
 * space) is refused, so the host checked here is the host curl connects to. Returns NULL, or
 * why the URL is refused. */
static const char *url_parse(const char *url, struct gw_url *u)
{
    size_t skip;
    if (strncasecmp(url, "https://", 8) == 0) {
        u->https = true;
        skip = 8;
    } else if (strncasecmp(url, "http://", 7) == 0) {
        u->https = false;
        skip = 7;
    } else {
        return "must start with https://";
    }
    for (const char *c = url; *c; c++)
        if ((unsigned char)*c <= ' ' || *c == 0x7f || *c == '\\')
            return "must not contain spaces, control characters or backslashes";
    const char *auth = url + skip;
    const char *end = auth + strcspn(auth, "/?#");
    const char *at = memchr(auth, '@', (size_t)(end - auth));
    if (at) {
        if (memchr(at + 1, '@', (size_t)(end - at - 1)))
            return "has more than one @ before the host";
        auth = at + 1;
    }
    const char *host = auth, *after;
    u->bracketed = auth < end && *auth == '[';
    if (u->bracketed) {
        const char *close = memchr(auth, ']', (size_t)(end - auth));
        if (close == NULL)
            return "has an IPv6 address without its closing ]";
        host = auth + 1;
        after = close + 1;
        if (after < end && *after != ':')
            return "has text between the host's ] and the port";
    } else {
        const char *colon = memchr(auth, ':', (size_t)(end - auth));
        after = colon ? colon : end;
    }
    size_t hlen = (size_t)((u->bracketed ? after - 1 : after) - host);
    if (after < end)
        for (const char *d = after + 1; d < end; d++)
            if (*d < '0' || *d > '9')
                return "has a port that is not a number";
    if (hlen == 0)
        return "has no host";
    if (hlen >= sizeof u->host)
        return "has a host name longer than 255 characters";
    memcpy(u->host, host, hlen);
    u->host[hlen] = '\0';
    return NULL;
}

/* This machine itself: 127.0.0.0/8, ::1 or "localhost" (which curl answers itself, without
 * asking a name server). Written numbers only: "127.0.0.1.example.com" is a name. */
static bool url_is_loopback(const struct gw_url *u)
{
    if (u->bracketed) {
        struct in6_addr a6;
        return inet_pton(AF_INET6, u->host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
    }
    if (strcasecmp(u->host, "localhost") == 0)
        return true;
    struct in_addr a4;
    return inet_pton(AF_INET, u->host, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

/* The broker's host (a name or an address, never a URL) is this machine itself. */
static bool host_is_loopback(const char *host)
{
    struct gw_url u = {.bracketed = strchr(host, ':') != NULL};
    snprintf(u.host, sizeof u.host, "%s", host);
    return url_is_loopback(&u);
}

struct channel_url {
    const struct gw_channel_config *ch;
    const char *key; /* the config key of its URL */
};

static void channel_urls(const struct config *cfg, struct channel_url out[2])
{
    out[0] = (struct channel_url){&cfg->gateway.alipay, "alipay.gateway_url"};
    out[1] = (struct channel_url){&cfg->gateway.wechat, "wechat.base_url"};
}

/* WeChat Pay: "do not call the reverse right after the pay; call it at least 15 s after the
 * pay" (撤销订单, pay.weixin.qq.com/doc/v2/merchant/4011937361; the same in the v3 codepay
 * and the global docs). A reverse sooner may find the order not yet there, and the gateway
 * client reads a reverse's ORDER_NOT_EXIST as "nothing was charged" (drivers/gateway/README.md
 * W5): that reading holds only when the pay had 15 s to land first. */
#define WECHAT_MIN_REVERSE_MS 15000

/* The network rules: https everywhere but towards the simulator on this machine; a WeChat
 * reverse never sooner than WeChat allows, unless WeChat is the simulator; no request waiting
 * past the payment window. Needs the channels' URLs to be present (check_whole). */
static bool check_network(const struct config *cfg, const char *file, char *err, size_t errlen)
{
    struct channel_url urls[2];
    channel_urls(cfg, urls);
    bool all_loopback = true, wechat_loopback = false;
    for (int i = 0; i < 2; i++) {
        if (!urls[i].ch->enabled)
            continue;
        struct gw_url u;
        const char *bad = url_parse(urls[i].ch->base_url, &u);
        if (bad)
            return fail(err, errlen, file, urls[i].key, "%s", bad);
        bool loopback = url_is_loopback(&u);
        if (!u.https && !loopback)
            return fail(err, errlen, file, urls[i].key,
                        "http:// to %s: anyone on the network could read or forge the "
                        "gateway's replies; use https:// (http:// is only for a simulator on a "
                        "loopback host)",
                        u.host);
        all_loopback = all_loopback && loopback;
        if (urls[i].ch == &cfg->gateway.wechat)
            wechat_loopback = loopback;
    }
    /* WeChat requires notify_url on a QR (Native) order, a public URL without a query
     * (drivers/gateway/README.md WQ1); posterm polls and never serves it. */
    const char *notify = cfg->gateway.wechat.notify_url;
    if (cfg->gateway.wechat.enabled && notify[0] != '\0') {
        struct gw_url u;
        const char *bad = url_parse(notify, &u);
        if (bad)
            return fail(err, errlen, file, "wechat.notify_url", "%s", bad);
        if (!u.https && !wechat_loopback)
            return fail(err, errlen, file, "wechat.notify_url",
                        "must be an https:// URL (WeChat Pay refuses any other)");
        if (strpbrk(notify, "?#"))
            return fail(err, errlen, file, "wechat.notify_url",
                        "must not carry a query or a fragment (WeChat Pay refuses them)");
    }
    if (!cfg->gateway.tls_verify && !all_loopback)
        return fail(err, errlen, file, "http.tls_verify",
                    "false lets anyone on the network pose as the gateway; allowed only when every "
                    "enabled gateway is on a loopback host (a simulator)");
    if (cfg->gateway.wechat.enabled && cfg->policy.min_cancel_ms < WECHAT_MIN_REVERSE_MS &&
        !wechat_loopback)
        return fail(err, errlen, file, "policy.min_cancel_ms",
                    "below %d while WeChat Pay is enabled: WeChat allows a reverse only 15 s after "
                    "the pay (shorter only for a simulator on a loopback host)",
                    WECHAT_MIN_REVERSE_MS);
    const struct {
        const char *key;
        long ms;
    } timeouts[] = {
        {"http.pay_timeout_ms", cfg->gateway.pay_timeout_ms},
        {"http.query_timeout_ms", cfg->gateway.query_timeout_ms},
        {"http.cancel_timeout_ms", cfg->gateway.cancel_timeout_ms},
        {"http.refund_timeout_ms", cfg->gateway.refund_timeout_ms},
    };
    for (size_t i = 0; i < sizeof timeouts / sizeof timeouts[0]; i++) {
        if (timeouts[i].ms > cfg->policy.window_ms)
            return fail(err, errlen, file, timeouts[i].key,
                        "%ld is longer than policy.window_ms (%lld): a request could still be "
                        "waiting when the payment window closes",
                        timeouts[i].ms, (long long)cfg->policy.window_ms);
    }
    return true;
}

unsigned config_lab_flags(const struct config *cfg)
{
    unsigned flags = 0;
    struct channel_url urls[2];
    channel_urls(cfg, urls);
    for (int i = 0; i < 2; i++) {
        struct gw_url u;
        if (urls[i].ch->enabled && url_parse(urls[i].ch->base_url, &u) == NULL && !u.https)
            flags |= CONFIG_LAB_PLAIN_HTTP;
    }
    if (!cfg->gateway.tls_verify)
        flags |= CONFIG_LAB_NO_TLS_VERIFY;
    if (cfg->gateway.wechat.enabled && cfg->policy.min_cancel_ms < WECHAT_MIN_REVERSE_MS)
        flags |= CONFIG_LAB_EARLY_CANCEL;
    return flags;
}

size_t config_lab_settings(const struct config *cfg, char *out, size_t outlen)
{
    char items[3][64];
    size_t n = 0;
    unsigned flags = config_lab_flags(cfg);
    if (flags & CONFIG_LAB_PLAIN_HTTP)
        snprintf(items[n++], sizeof items[0], "http:// gateway (loopback only)");
    if (flags & CONFIG_LAB_NO_TLS_VERIFY)
        snprintf(items[n++], sizeof items[0], "TLS verification off");
    if (flags & CONFIG_LAB_EARLY_CANCEL)
        snprintf(items[n++], sizeof items[0], "min_cancel_ms %lld < %d",
                 (long long)cfg->policy.min_cancel_ms, WECHAT_MIN_REVERSE_MS);
    size_t used = 0;
    if (outlen > 0)
        out[0] = '\0';
    for (size_t i = 0; i < n && used < outlen; i++) {
        int w = snprintf(out + used, outlen - used, "%s%s", i ? ", " : "", items[i]);
        used = w < 0 ? outlen : used + (size_t)w;
    }
    return n;
}

/* --- the files posterm trusts: StrictModes ------------------------------------------------ */

/* Writes why a file is not trusted; returns false for the caller to return. */
static bool refuse(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return false;
}

/* Who may own a file or folder that decides what posterm trusts: root, or posterm's own user.
 * Anyone else could rewrite it. */
static bool owner_trusted(const struct stat *st)
{
    return st->st_uid == 0 || st->st_uid == geteuid();
}

/* Why a folder on the way to a trusted file lets someone else replace what is in it, or NULL.
 * A folder group or others may write lets them rename any entry and put their own in its
 * place, whoever owns the entry. The one exception is a sticky folder owned by root (/tmp):
 * there only an entry's owner (or root) may rename or remove it, so a folder or file that
 * belongs to root or to posterm's user (checked on its own) cannot be swapped by anyone
 * else, and a name someone else made first belongs to them and is refused for that. */
static const char *folder_problem(const struct stat *st)
{
    if (!S_ISDIR(st->st_mode))
        return "is not a folder";
    if (!owner_trusted(st))
        return "belongs to another user";
    if ((st->st_mode & 022) && !(st->st_uid == 0 && (st->st_mode & S_ISVTX)))
        return "lets group or others write in it";
    return NULL;
}

/* A refusal naming the part at fault, its owner and mode, and (for a mode) the fix. */
static bool path_refused(char *why, size_t whylen, const char *path, const struct stat *st,
                         const char *what, const char *problem)
{
    bool mode = (st->st_mode & 022) && strstr(problem, "another user") == NULL;
    return refuse(why, whylen,
                  "%s %s %s (uid %u, mode %04o): only root and posterm's user (uid %u) may "
                  "change what posterm trusts%s%s",
                  what, path, problem, (unsigned)st->st_uid, (unsigned)(st->st_mode & 07777),
                  (unsigned)geteuid(), mode ? "; run chmod go-w " : "", mode ? path : "");
}

/* OpenSSH's StrictModes (misc.c safe_path) for one file: it and every folder on its way from
 * / must belong to root or posterm's user, and none may be writable by group or others.
 * Unlike safe_path, which checks the folders of the resolved name only, this resolves the
 * name one part at a time: the folder holding each symbolic link on the way is checked too
 * (a link in a folder others may write could be pointed elsewhere), and so is each link's
 * owner. When `opened` is given, the file found must be that very file (same device and
 * inode), so what was checked is what was read. On refusal `why` says which part and why. */
static bool file_trusted(const char *path, const struct stat *opened, char *why, size_t whylen)
{
    char todo[2 * PATH_MAX], done[PATH_MAX] = "", next[PATH_MAX + 256];
    struct stat st;
    if (path[0] == '/') {
        snprintf(todo, sizeof todo, "%s", path);
    } else {
        if (getcwd(done, sizeof done) == NULL)
            return refuse(why, whylen, "%s: cannot tell the current folder: %s", path,
                          strerror(errno));
        snprintf(todo, sizeof todo, "%s/%s", done, path);
        done[0] = '\0';
    }
    if (lstat("/", &st) != 0)
        return refuse(why, whylen, "/: %s", strerror(errno));
    if (folder_problem(&st))
        return path_refused(why, whylen, "/", &st, "the folder", folder_problem(&st));
    int links = 0;
    size_t pos = 0;
    for (;;) {
        while (todo[pos] == '/')
            pos++;
        if (todo[pos] == '\0')
            break;
        size_t len = strcspn(todo + pos, "/");
        const char *rest = todo + pos + len;
        while (*rest == '/')
            rest++;
        bool last = *rest == '\0';
        if (len == 1 && todo[pos] == '.') {
            pos += len;
            continue;
        }
        if (len == 2 && todo[pos] == '.' && todo[pos + 1] == '.') {
            char *slash = strrchr(done, '/');
            if (slash)
                *slash = '\0';
            pos += len;
            continue;
        }
        int w = snprintf(next, sizeof next, "%s/%.*s", done, (int)len, todo + pos);
        if (w < 0 || (size_t)w >= sizeof done)
            return refuse(why, whylen, "%s: path too long", path);
        if (lstat(next, &st) != 0)
            return refuse(why, whylen, "%s: %s", next, strerror(errno));
        if (S_ISLNK(st.st_mode)) {
            if (++links > 40)
                return refuse(why, whylen, "%s: too many symbolic links", path);
            if (!owner_trusted(&st))
                return path_refused(why, whylen, next, &st, "the link", "belongs to another user");
            char target[PATH_MAX];
            ssize_t tl = readlink(next, target, sizeof target - 1);
            if (tl < 0 || (size_t)tl >= sizeof target - 1)
                return refuse(why, whylen, "%s: cannot read the link", next);
            target[tl] = '\0';
            char joined[sizeof todo];
            w = snprintf(joined, sizeof joined, "%s/%s", target, rest);
            if (w < 0 || (size_t)w >= sizeof joined)
                return refuse(why, whylen, "%s: path too long", path);
            memcpy(todo, joined, (size_t)w + 1);
            pos = 0;
            if (target[0] == '/')
                done[0] = '\0';
            continue;
        }
        if (!last) {
            const char *problem = folder_problem(&st);
            if (problem)
                return path_refused(why, whylen, next, &st, "the folder", problem);
            memcpy(done, next, (size_t)w + 1);
            pos += len;
            continue;
        }
        if (!S_ISREG(st.st_mode))
            return refuse(why, whylen, "%s: not a regular file", next);
        if (!owner_trusted(&st))
            return path_refused(why, whylen, next, &st, "the file", "belongs to another user");
        if (st.st_mode & 022)
            return path_refused(why, whylen, next, &st, "the file",
                                "may be written by group or others");
        if (opened && (opened->st_dev != st.st_dev || opened->st_ino != st.st_ino))
            return refuse(why, whylen, "%s: changed while it was being checked", path);
        return true;
    }
    return refuse(why, whylen, "%s: not a regular file", path);
}

/* The files that decide whom posterm believes: the CA bundle, a pinned key given as a file,
 * and the public keys of the enabled gateways. The private keys are read by the gateway,
 * which refuses any that group or others may read (crypto.c read_file). */
static bool check_trusted_files(const struct config *cfg, const char *file, char *err,
                                size_t errlen)
{
    const struct gateway_config *g = &cfg->gateway;
    const struct {
        const char *key, *path;
        bool wanted;
    } files[] = {
        {"http.ca_file", g->ca_file, g->ca_file[0] != '\0'},
        /* curl takes either "sha256//HASH;..." or the name of a PEM/DER key file */
        {"http.pinned_public_key", g->pinned_public_key,
         g->pinned_public_key[0] != '\0' && strncmp(g->pinned_public_key, "sha256//", 8) != 0},
        {"alipay.alipay_public_key_file", g->alipay.platform_public_key_file, g->alipay.enabled},
        {"wechat.platform_public_key_file", g->wechat.platform_public_key_file, g->wechat.enabled},
        /* the register API's TLS: whom it lets drive the terminal, and as whom it answers */
        {"api.tls_client_ca", cfg->api.tls_client_ca, cfg->api.tls_client_ca[0] != '\0'},
        {"api.tls_cert", cfg->api.tls_cert, cfg->api.tls_cert[0] != '\0'},
        {"api.tls_key", cfg->api.tls_key, cfg->api.tls_key[0] != '\0'},
        {"fleet.ca_file", cfg->fleet.ca_file, cfg->fleet.host[0] && cfg->fleet.ca_file[0]},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char why[PATH_MAX + 200];
        if (files[i].wanted && !file_trusted(files[i].path, NULL, why, sizeof why))
            return fail(err, errlen, file, files[i].key, "%s", why);
    }
    /* The API's TLS key is posterm's own secret, held as the gateway holds its keys (crypto.c
     * read_file): group and others may not even read it. */
    struct stat st;
    if (cfg->api.tls_key[0] && stat(cfg->api.tls_key, &st) == 0 && (st.st_mode & 077) != 0)
        return fail(err, errlen, file, "api.tls_key",
                    "%s: mode %03o lets group or others at a secret; run chmod 600 %s",
                    cfg->api.tls_key, (unsigned)(st.st_mode & 0777), cfg->api.tls_key);
    return true;
}

static bool require(const char *value, const char *file, const char *key, char *err, size_t errlen)
{
    if (value[0] != '\0')
        return true;
    return fail(err, errlen, file, key, "missing (required when the channel is enabled)");
}

/* True for UTF-8 text without control characters: what a receipt can print. */
static bool printable_utf8(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        int more = *u < 0x80             ? 0
                   : (*u & 0xe0) == 0xc0 ? 1
                   : (*u & 0xf0) == 0xe0 ? 2
                   : (*u & 0xf8) == 0xf0 ? 3
                                         : -1;
        if (more < 0 || *u < 0x20 || *u == 0x7f || (more == 1 && *u < 0xc2))
            return false;
        for (u++; more > 0; more--, u++)
            if ((*u & 0xc0) != 0x80)
                return false;
    }
    return true;
}

/* The printer's keys that depend on its kind, and the names it prints. */
static bool check_printer(const struct config *cfg, const char *file, char *err, size_t errlen)
{
    const struct config_printer *pr = &cfg->printer;
    if (!printable_utf8(cfg->merchant.name))
        return fail(err, errlen, file, "merchant.name",
                    "must be UTF-8 text without control "
                    "characters");
    if (!printable_utf8(cfg->merchant.store))
        return fail(err, errlen, file, "merchant.store",
                    "must be UTF-8 text without control "
                    "characters");
    if (pr->paper_mm != 58 && pr->paper_mm != 80)
        return fail(err, errlen, file, "printer.paper_mm", "must be 58 or 80");
    if ((strcmp(pr->kind, "lp") == 0 || strcmp(pr->kind, "virtual") == 0) && pr->path[0] == '\0')
        return fail(err, errlen, file, "printer.path", "missing (required for printer.kind %s)",
                    pr->kind);
    if (strcmp(pr->kind, "tcp") == 0 && pr->host[0] == '\0')
        return fail(err, errlen, file, "printer.host", "missing (required for printer.kind tcp)");
    if ((pr->vid == 0) != (pr->pid == 0))
        return fail(err, errlen, file, "printer.vid",
                    "set both printer.vid and printer.pid, or "
                    "neither");
    return true;
}

/* Head office's broker: named by a host and a merchant that make a topic; TLS everywhere but
 * towards a broker on this machine (as http:// for the gateways). */
static bool check_fleet(const struct config *cfg, const char *file, char *err, size_t errlen)
{
    const struct config_fleet *f = &cfg->fleet;
    if (f->host[0] == '\0')
        return true;
    struct in6_addr a6;
    if (strpbrk(f->host, "/@[] \t") != NULL ||
        (strchr(f->host, ':') && inet_pton(AF_INET6, f->host, &a6) != 1))
        return fail(err, errlen, file, "fleet.host",
                    "must be a host name or address, not a URL (the port is fleet.port)");
    size_t n = strlen(f->merchant);
    if (n == 0 || strspn(f->merchant, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                      "0123456789_-") != n)
        return fail(err, errlen, file, "fleet.merchant",
                    "must be 1 to 32 characters of A-Z a-z 0-9 _ - (it names the topics)");
    if (!f->tls && !host_is_loopback(f->host))
        return fail(err, errlen, file, "fleet.tls",
                    "may be false only for a broker on a loopback host");
    if ((f->cert_file[0] == '\0') != (f->key_file[0] == '\0'))
        return fail(err, errlen, file, "fleet.cert_file",
                    "set both fleet.cert_file and fleet.key_file, or neither");
    return true;
}

/* Checks that need more than one key. */
/* --- the register API over TCP (issue 22) ------------------------------------------------ */

/* api.listen split into host and port: "127.0.0.1:7000", "[::1]:7000". The host must be an
 * IP address: a name would be looked up, and what it means could change. */
static bool api_listen_parse(struct config_api *api, const char *file, char *err, size_t errlen)
{
    const char *text = api->listen, *colon = strrchr(text, ':');
    const char *host = text, *host_end = colon;
    if (text[0] == '[') {
        host = text + 1;
        host_end = strchr(text, ']');
        if (host_end == NULL || host_end + 1 != colon)
            host_end = NULL;
    }
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : 0;
    bool bare_v6 = text[0] != '[' && colon && memchr(text, ':', (size_t)(colon - text));
    if (colon == NULL || host_end == NULL || host_end == host || colon[1] == '\0' || *end ||
        bare_v6 || port < 1 || port > 65535 || (size_t)(host_end - host) >= sizeof api->listen_host)
        return fail(err, errlen, file, "api.listen",
                    "must be IP:PORT (127.0.0.1:7000, [::1]:7000), not \"%s\"", text);
    snprintf(api->listen_host, sizeof api->listen_host, "%.*s", (int)(host_end - host), host);
    snprintf(api->listen_port, sizeof api->listen_port, "%ld", port);
    unsigned char addr[16];
    bool v4 = inet_pton(AF_INET, api->listen_host, addr) == 1;
    if (!v4 && inet_pton(AF_INET6, api->listen_host, addr) != 1)
        return fail(err, errlen, file, "api.listen",
                    "the host must be an IP address (a name could come to mean another), not "
                    "\"%s\"",
                    api->listen_host);
    return true;
}

static bool api_listen_loopback(const char *host)
{
    unsigned char addr[16];
    if (inet_pton(AF_INET, host, addr) == 1)
        return addr[0] == 127;
    static const unsigned char one[16] = {[15] = 1};
    return inet_pton(AF_INET6, host, addr) == 1 && memcmp(addr, one, sizeof one) == 0;
}

/* Plain TCP only on loopback; anywhere else TLS with client certificates, all three files. */
static bool check_api(struct config *cfg, const char *file, char *err, size_t errlen)
{
    struct config_api *api = &cfg->api;
    bool files[3] = {api->tls_cert[0] != '\0', api->tls_key[0] != '\0',
                     api->tls_client_ca[0] != '\0'};
    bool any = files[0] || files[1] || files[2], all = files[0] && files[1] && files[2];
    if (any && !api->listen[0])
        return fail(err, errlen, file, "api.tls_cert",
                    "TLS is for api.listen (TCP), which is not set: the Unix socket needs none");
    if (!api->listen[0])
        return true;
    if (!api->enabled)
        return fail(err, errlen, file, "api.listen", "set, but api.enabled is false: turn it on");
    if (!api_listen_parse(api, file, err, errlen))
        return false;
    if (any && !all)
        return fail(err, errlen, file,
                    !files[0]   ? "api.tls_cert"
                    : !files[1] ? "api.tls_key"
                                : "api.tls_client_ca",
                    "missing: TLS needs the certificate, its key and the registers' CA");
    if (!all && !api_listen_loopback(api->listen_host))
        return fail(err, errlen, file, "api.listen",
                    "%s is not loopback: plain TCP would let anyone on the network drive the "
                    "terminal; set api.tls_cert, api.tls_key and api.tls_client_ca (TLS with "
                    "client certificates) or listen on 127.0.0.1",
                    api->listen_host);
    return true;
}

static bool check_whole(struct config *cfg, const char *file, char *err, size_t errlen)
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
        return fail(err, errlen, file, "alipay.enabled",
                    "no payment channel enabled (alipay or wechat)");
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
          require(w->platform_public_key_file, file, "wechat.platform_public_key_file", err,
                  errlen) &&
          require(w->platform_serial, file, "wechat.platform_serial", err, errlen) &&
          require(w->apiv3_key_file, file, "wechat.apiv3_key_file", err, errlen)))
        return false;
    if (cfg->refund.supervisor_pin_hash[0] &&
        !pin_hash_well_formed(cfg->refund.supervisor_pin_hash))
        return fail(err, errlen, file, "refund.supervisor_pin_hash",
                    "%s; make one with posterm --hash-pin (the PIN is read from standard input)",
                    pin_status_reason(PIN_BAD_HASH));
    if (cfg->reconcile_daily_at[0] && config_minute_of_day(cfg->reconcile_daily_at) < 0)
        return fail(err, errlen, file, "reconcile.daily_at",
                    "must be a time of day HH:MM (00:00 to 23:59), e.g. \"10:30\"");
    return check_printer(cfg, file, err, errlen) && check_network(cfg, file, err, errlen) &&
           check_api(cfg, file, err, errlen) && check_fleet(cfg, file, err, errlen);
}

int config_minute_of_day(const char *hhmm)
{
    if (hhmm == NULL || strlen(hhmm) != 5 || hhmm[2] != ':')
        return -1;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (hhmm[i] < '0' || hhmm[i] > '9'))
            return -1;
    int h = (hhmm[0] - '0') * 10 + hhmm[1] - '0', m = (hhmm[3] - '0') * 10 + hhmm[4] - '0';
    return h < 24 && m < 60 ? h * 60 + m : -1;
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
    /* The config names the gateways and the keys that prove their replies: whoever may
     * change it may redirect every payment. */
    struct stat opened;
    char why[PATH_MAX + 200];
    if (fstat(fileno(f), &opened) != 0) {
        fclose(f);
        return fail(err, errlen, path, NULL, "cannot stat: %s", strerror(errno));
    }
    if (!file_trusted(path, &opened, why, sizeof why)) {
        fclose(f);
        return fail(err, errlen, path, NULL, "%s", why);
    }
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
        ok = config_parse(cfg, path, buf, n, err, errlen) &&
             check_trusted_files(cfg, path, err, errlen);
    free(buf);
    return ok;
}
