/*
 * gateway.c - the front of gateway.h: loads the keys, routes each request to its channel,
 * sends it through http.c and queues the mapped reply.
 *
 * Every transfer ends in exactly one reply: room for it in the reply queue is taken when the
 * request is submitted, so queueing it cannot fail later. A transport failure is GW_UNKNOWN
 * with unreachable set; what the channel parser says otherwise is passed on unchanged.
 */
#include "gateway.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alipay.h"
#include "crypto.h"
#include "http.h"
#include "wechatpay.h"
#include "wire.h"

#define DEFAULT_ALIPAY_URL "https://openapi.alipay.com/gateway.do"
#define DEFAULT_WECHAT_URL "https://api.mch.weixin.qq.com"

struct gateway;

struct pending {
    struct gateway *g;
    struct gw_request req;
    char log_line[160];
};

struct gateway {
    struct gateway_config cfg;
    struct http *http;
    struct crypto_rng *rng;
    struct crypto_key *alipay_app, *alipay_pub, *wechat_mch, *wechat_plat;
    unsigned char apiv3_key[32];
    char wechat_serial[128];
    char device_id[33];
    struct alipay_keys alipay;
    struct wechatpay_keys wechat;
    struct wechatpay_nonces *wechat_nonces; /* reply nonces seen: replays are refused */
    struct gw_reply *replies;               /* FIFO ring; cap >= count + pending at all times */
    size_t head, count, cap;
    int pending;
    gateway_log_fn log;
    void *log_ctx;
};

static void log_line(struct gateway *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_line(struct gateway *g, const char *fmt, ...)
{
    char line[400];
    va_list ap;
    if (!g->log)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    g->log(g->log_ctx, line);
}

void gateway_set_log(struct gateway *g, gateway_log_fn fn, void *ctx)
{
    g->log = fn;
    g->log_ctx = ctx;
}

static bool load_private(struct gateway *g, struct crypto_key **k, const char *path,
                         const char *key_name, char *err, size_t errlen)
{
    char why[512];
    if (!path[0]) {
        snprintf(err, errlen, "%s: not set", key_name);
        return false;
    }
    if (crypto_key_load_private_file(k, path, g->rng, why, sizeof why) != CRYPTO_OK) {
        snprintf(err, errlen, "%s: %s", key_name, why);
        return false;
    }
    return true;
}

static bool load_public(struct crypto_key **k, const char *path, const char *key_name, char *err,
                        size_t errlen)
{
    char why[512];
    if (!path[0]) {
        snprintf(err, errlen, "%s: not set", key_name);
        return false;
    }
    if (crypto_key_load_public_file(k, path, why, sizeof why) != CRYPTO_OK) {
        snprintf(err, errlen, "%s: %s", key_name, why);
        return false;
    }
    return true;
}

static bool open_alipay(struct gateway *g, char *err, size_t errlen)
{
    const struct gw_channel_config *c = &g->cfg.alipay;
    if (!c->app_id[0]) {
        snprintf(err, errlen, "alipay.app_id: not set");
        return false;
    }
    if (!load_private(g, &g->alipay_app, c->private_key_file, "alipay.private_key_file", err,
                      errlen) ||
        !load_public(&g->alipay_pub, c->platform_public_key_file, "alipay.alipay_public_key_file",
                     err, errlen))
        return false;
    g->alipay.gateway_url = c->base_url[0] ? c->base_url : DEFAULT_ALIPAY_URL;
    g->alipay.app_id = c->app_id;
    g->alipay.app_key = g->alipay_app;
    g->alipay.alipay_key = g->alipay_pub;
    g->alipay.rng = g->rng;
    return true;
}

static bool open_wechat(struct gateway *g, char *err, size_t errlen)
{
    const struct gw_channel_config *c = &g->cfg.wechat;
    char why[512];
    unsigned char key[64];
    size_t n = 0;
    if (!c->app_id[0] || !c->merchant_id[0] || !c->merchant_serial[0]) {
        snprintf(err, errlen, "wechat: %s not set",
                 !c->app_id[0]        ? "appid"
                 : !c->merchant_id[0] ? "mchid"
                                      : "merchant_serial");
        return false;
    }
    if (!load_private(g, &g->wechat_mch, c->private_key_file, "wechat.private_key_file", err,
                      errlen) ||
        !load_public(&g->wechat_plat, c->platform_public_key_file,
                     "wechat.platform_public_key_file", err, errlen))
        return false;
    if (!c->apiv3_key_file[0]) {
        snprintf(err, errlen, "wechat.apiv3_key_file: not set");
        return false;
    }
    if (crypto_read_secret_file(c->apiv3_key_file, key, sizeof key, &n, why, sizeof why) !=
        CRYPTO_OK) {
        snprintf(err, errlen, "wechat.apiv3_key_file: %s", why);
        return false;
    }
    while (n > 0 && (key[n - 1] == '\n' || key[n - 1] == '\r'))
        n--; /* editors add one */
    if (n != sizeof g->apiv3_key) {
        crypto_wipe(key, sizeof key);
        snprintf(err, errlen, "wechat.apiv3_key_file: %s: the APIv3 key is 32 characters",
                 c->apiv3_key_file);
        return false;
    }
    memcpy(g->apiv3_key, key, sizeof g->apiv3_key);
    crypto_wipe(key, sizeof key);
    /* the serial replies must carry: configured, or read from the platform certificate */
    snprintf(g->wechat_serial, sizeof g->wechat_serial, "%s", c->platform_serial);
    if (!g->wechat_serial[0] &&
        !crypto_key_cert_serial(g->wechat_plat, g->wechat_serial, sizeof g->wechat_serial)) {
        snprintf(err, errlen, "wechat.platform_serial: not set (needed with a bare public key)");
        return false;
    }
    g->wechat.base_url = c->base_url[0] ? c->base_url : DEFAULT_WECHAT_URL;
    g->wechat.appid = c->app_id;
    g->wechat.mchid = c->merchant_id;
    g->wechat.merchant_serial = c->merchant_serial;
    g->wechat.device_id = g->device_id;
    g->wechat.merchant_key = g->wechat_mch;
    g->wechat.platform_key = g->wechat_plat;
    g->wechat.platform_serial = g->wechat_serial;
    g->wechat.notify_url = c->notify_url;
    g->wechat.rng = g->rng;
    g->wechat_nonces = wechatpay_nonces_new((int64_t)time(NULL));
    if (!g->wechat_nonces) {
        snprintf(err, errlen, "wechat: out of memory");
        return false;
    }
    return true;
}

enum gateway_status gateway_open(struct gateway **out, const struct gateway_config *cfg, char *err,
                                 size_t errlen)
{
    struct gateway *g = calloc(1, sizeof *g);
    char why[512];
    *out = NULL;
    if (errlen)
        err[0] = '\0';
    if (!g)
        return GATEWAY_ERR_NOMEM;
    g->cfg = *cfg;
    snprintf(g->device_id, sizeof g->device_id, "%s",
             cfg->terminal_id[0] ? cfg->terminal_id : "posterm");
    enum gateway_status st = GATEWAY_OK;
    if (crypto_rng_open(&g->rng) != CRYPTO_OK) {
        snprintf(err, errlen, "random number source: cannot be seeded");
        st = GATEWAY_ERR_INTERNAL;
    } else if ((cfg->alipay.enabled && !open_alipay(g, err, errlen)) ||
               (cfg->wechat.enabled && !open_wechat(g, err, errlen))) {
        st = GATEWAY_ERR_CONFIG;
    } else if (cfg->ca_file[0] && crypto_ca_file_count(cfg->ca_file, why, sizeof why) == 0) {
        /* libcurl would only find out at the first payment, as a TLS failure */
        snprintf(err, errlen, "http.ca_file: %s", why);
        st = GATEWAY_ERR_CONFIG;
    } else {
        struct http_options opt = {
            .tls_verify = cfg->tls_verify,
            .ca_file = cfg->ca_file,
            .pinned_public_key = cfg->pinned_public_key,
            .connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 3000,
        };
        st = http_open(&g->http, &opt);
        if (st != GATEWAY_OK)
            snprintf(err, errlen, "libcurl: cannot start");
    }
    if (st != GATEWAY_OK) {
        gateway_close(g);
        return st;
    }
    *out = g;
    return GATEWAY_OK;
}

void gateway_warm_up(struct gateway *g)
{
    if (g->cfg.alipay.enabled)
        (void)http_warm_up(g->http, g->alipay.gateway_url);
    if (g->cfg.wechat.enabled)
        (void)http_warm_up(g->http, g->wechat.base_url);
}

void gateway_close(struct gateway *g)
{
    if (!g)
        return;
    http_close(g->http); /* answers and frees what is still in flight */
    crypto_key_free(g->alipay_app);
    crypto_key_free(g->alipay_pub);
    crypto_key_free(g->wechat_mch);
    crypto_key_free(g->wechat_plat);
    crypto_rng_close(g->rng);
    crypto_wipe(g->apiv3_key, sizeof g->apiv3_key);
    wechatpay_nonces_free(g->wechat_nonces);
    free(g->replies);
    free(g);
}

/* Makes room for one more reply than are queued or owed, before a request goes out. */
static bool reserve_reply(struct gateway *g)
{
    size_t need = g->count + (size_t)g->pending + 1;
    if (need <= g->cap)
        return true;
    size_t cap = g->cap ? g->cap * 2 : 16;
    while (cap < need)
        cap *= 2;
    struct gw_reply *p = malloc(cap * sizeof *p);
    if (!p)
        return false;
    for (size_t i = 0; i < g->count; i++)
        p[i] = g->replies[(g->head + i) % g->cap];
    free(g->replies);
    g->replies = p;
    g->head = 0;
    g->cap = cap;
    return true;
}

/* Never fails: reserve_reply() made room when the request was submitted. */
static void push_reply(struct gateway *g, const struct gw_reply *r)
{
    g->replies[(g->head + g->count) % g->cap] = *r;
    g->count++;
}

static const char *kind_name(enum gw_kind k)
{
    switch (k) {
    case GW_SUCCESS: return "SUCCESS";
    case GW_FAILED: return "FAILED";
    case GW_PAYING: return "PAYING";
    case GW_UNKNOWN: return "UNKNOWN";
    }
    return "?";
}

static void on_done(void *ctx, const struct wire_response *resp, const char *error)
{
    struct pending *p = ctx;
    struct gateway *g = p->g;
    struct gw_reply r;
    if (error) {
        reply_start(&r, &p->req);
        r.unreachable = resp->status == 0;
        r.retry = p->req.op == GW_CANCEL;
        reply_set(&r, GW_UNKNOWN, PAY_CAUSE_NO_ANSWER, NULL, "no answer from the gateway: %s",
                  error);
    } else if (p->req.channel == CHANNEL_ALIPAY) {
        alipay_parse(&g->alipay, &p->req, resp, &r);
    } else {
        wechatpay_parse(&g->wechat, g->wechat_nonces, &p->req, resp, (int64_t)time(NULL), &r);
    }
    log_line(g, "%s -> %s %s%s%s (HTTP %ld)", p->log_line, kind_name(r.kind), r.code,
             r.code[0] ? ": " : "", r.reason, resp->status);
    g->pending--;
    push_reply(g, &r);
    crypto_wipe(&p->req, sizeof p->req); /* it held the payment code */
    free(p);
}

static long timeout_for(const struct gateway_config *cfg, enum gw_op op)
{
    /* a QR order is created and closed as quickly as it is queried: no customer waits inside
     * either request */
    long t = op == GW_PAY ? cfg->pay_timeout_ms
             : op == GW_QUERY || op == GW_REFUND_QUERY || op == GW_QR_CREATE || op == GW_QR_CLOSE
                 ? cfg->query_timeout_ms
             : op == GW_CANCEL ? cfg->cancel_timeout_ms
                               : cfg->refund_timeout_ms;
    return t > 0 ? t : 15000;
}

enum gateway_status gateway_submit(struct gateway *g, const struct gw_request *req)
{
    struct wire_request w;
    enum gateway_status st;
    int64_t now = (int64_t)time(NULL);
    if (req->channel == CHANNEL_ALIPAY && g->cfg.alipay.enabled) {
        st = alipay_build(&g->alipay, req, now, &w);
    } else if (req->channel == CHANNEL_WECHAT && g->cfg.wechat.enabled) {
        char nonce[WECHATPAY_NONCE_LEN + 1];
        if (crypto_rng_alnum(g->rng, nonce, WECHATPAY_NONCE_LEN) != CRYPTO_OK)
            return GATEWAY_ERR_INTERNAL;
        st = wechatpay_build(&g->wechat, req, now, nonce, &w);
    } else {
        log_line(g, "order %s: channel %s is not configured", req->order_no,
                 pay_channel_name(req->channel));
        return GATEWAY_ERR_CHANNEL;
    }
    if (st != GATEWAY_OK) {
        log_line(g, "order %s: %s request could not be built", req->order_no, gw_op_name(req->op));
        return st;
    }
    struct pending *p = calloc(1, sizeof *p);
    if (!p || !reserve_reply(g)) {
        free(p);
        wire_request_free(&w);
        return GATEWAY_ERR_NOMEM;
    }
    p->g = g;
    p->req = *req;
    snprintf(p->log_line, sizeof p->log_line, "%s", w.log_line);
    /* A pay goes out on a connection of its own: on a kept-alive one that died, libcurl
     * would send it again by itself (README.md "Resent pays"). */
    st = http_start(g->http, &w, timeout_for(&g->cfg, req->op), req->op == GW_PAY, on_done, p);
    if (w.body)
        crypto_wipe(w.body, w.body_len);
    wire_request_free(&w);
    if (st != GATEWAY_OK) {
        free(p);
        return st;
    }
    log_line(g, "%s: sent", p->log_line);
    g->pending++;
    return GATEWAY_OK;
}

int gateway_pollfds(struct gateway *g, struct pollfd *fds, int max, int64_t *timeout_ms)
{
    return http_pollfds(g->http, fds, max, timeout_ms);
}

enum gateway_status gateway_perform(struct gateway *g, const struct pollfd *fds, int nfds)
{
    http_perform(g->http, fds, nfds);
    return GATEWAY_OK;
}

bool gateway_next_reply(struct gateway *g, struct gw_reply *out)
{
    if (g->count == 0)
        return false;
    *out = g->replies[g->head];
    g->head = (g->head + 1) % g->cap;
    g->count--;
    return true;
}

int gateway_pending(const struct gateway *g)
{
    return g->pending;
}
