/*
 * wechatpay.c - WeChat Pay APIv3 requests and replies, without sockets.
 *
 * Promise: GW_SUCCESS, GW_FAILED and GW_PAYING only for a reply whose signature, serial and
 * timestamp verified, whose nonce was not seen before, and whose state or code is definite.
 * Everything else is GW_UNKNOWN. The parser reports what the body says (gw_reply.said); the
 * engine decides what it proves.
 * Every mapping rule names its source in drivers/gateway/README.md ("WeChat Pay").
 */
#include "wechatpay.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "money.h"
#include "paycode.h"
#include "reply_fields.h"

/* --- requests -------------------------------------------------------------------------- */

char *wechatpay_request_message(const char *method, const char *path, int64_t timestamp,
                                const char *nonce, const char *body)
{
    size_t n = strlen(method) + strlen(path) + strlen(nonce) + strlen(body) + 32;
    char *m = malloc(n);
    if (!m)
        return NULL;
    snprintf(m, n, "%s\n%s\n%lld\n%s\n%s\n", method, path, (long long)timestamp, nonce, body);
    return m;
}

/* The path part of base_url ("" for "https://host"), which the server sees and we sign. */
static const char *base_path(const char *base_url)
{
    const char *p = strstr(base_url, "://");
    p = p ? p + 3 : base_url;
    p = strchr(p, '/');
    return p ? p : "";
}

/* order numbers are [0-9A-Za-z_-|*] by WeChat's rule; anything else is percent-encoded so a
 * stray character can never change the path */
static void path_escape(const char *s, char *out, size_t cap)
{
    static const char hexd[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && o + 4 < cap; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_') {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hexd[*p >> 4];
            out[o++] = hexd[*p & 15];
        }
    }
    out[o] = '\0';
}

static void add_fen(cJSON *o, const char *name, int64_t fen)
{
    /* integer fen written as digits, never through a double */
    char digits[24];
    snprintf(digits, sizeof digits, "%lld", (long long)fen);
    cJSON_AddRawToObject(o, name, digits);
}

/* RFC 3339 in Beijing time, as time_expire is written: "2015-05-20T13:29:35+08:00". */
static void beijing_rfc3339(int64_t unix_seconds, char out[32])
{
    time_t t = (time_t)(unix_seconds + 8 * 3600);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%S+08:00", &tm);
}

/* Body JSON for a POST; NULL on allocation failure. */
static char *request_body(const struct wechatpay_keys *keys, const struct gw_request *req,
                          int64_t now)
{
    cJSON *o = cJSON_CreateObject(), *sub, *store;
    if (!o)
        return NULL;
    switch (req->op) {
    case GW_PAY:
        cJSON_AddStringToObject(o, "appid", keys->appid);
        cJSON_AddStringToObject(o, "mchid", keys->mchid);
        cJSON_AddStringToObject(o, "description", req->subject[0] ? req->subject : req->order_no);
        cJSON_AddStringToObject(o, "out_trade_no", req->order_no);
        sub = cJSON_AddObjectToObject(o, "payer");
        if (sub)
            cJSON_AddStringToObject(sub, "auth_code", req->auth_code);
        sub = cJSON_AddObjectToObject(o, "amount");
        if (sub) {
            add_fen(sub, "total", req->amount_fen);
            cJSON_AddStringToObject(sub, "currency", "CNY");
        }
        sub = cJSON_AddObjectToObject(o, "scene_info");
        if (sub) {
            store = cJSON_AddObjectToObject(sub, "store_info");
            if (store)
                cJSON_AddStringToObject(store, "out_id", keys->device_id);
            cJSON_AddStringToObject(sub, "device_id", keys->device_id);
        }
        break;
    case GW_CANCEL:
        cJSON_AddStringToObject(o, "appid", keys->appid);
        cJSON_AddStringToObject(o, "mchid", keys->mchid);
        break;
    case GW_QR_CREATE: {
        /* "the customer can no longer pay after time_expire"; WeChat Pay moves one under a
         * minute away to a minute (WQ1) */
        char expire[32];
        beijing_rfc3339(now + (req->qr_window_s < 60 ? 60 : req->qr_window_s), expire);
        cJSON_AddStringToObject(o, "appid", keys->appid);
        cJSON_AddStringToObject(o, "mchid", keys->mchid);
        cJSON_AddStringToObject(o, "description", req->subject[0] ? req->subject : req->order_no);
        cJSON_AddStringToObject(o, "out_trade_no", req->order_no);
        cJSON_AddStringToObject(o, "time_expire", expire);
        cJSON_AddStringToObject(o, "notify_url", keys->notify_url);
        sub = cJSON_AddObjectToObject(o, "amount");
        if (sub) {
            add_fen(sub, "total", req->amount_fen);
            cJSON_AddStringToObject(sub, "currency", "CNY");
        }
        break;
    }
    case GW_QR_CLOSE: cJSON_AddStringToObject(o, "mchid", keys->mchid); break;
    case GW_REFUND:
        cJSON_AddStringToObject(o, "out_trade_no", req->order_no);
        cJSON_AddStringToObject(o, "out_refund_no", req->refund_no);
        sub = cJSON_AddObjectToObject(o, "amount");
        if (sub) {
            add_fen(sub, "refund", req->amount_fen);
            add_fen(sub, "total", req->total_fen);
            cJSON_AddStringToObject(sub, "currency", "CNY");
        }
        break;
    case GW_QUERY:
    case GW_REFUND_QUERY: break;
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

/* The Authorization header's value for a request (W1). */
static enum gateway_status authorization(const struct wechatpay_keys *keys, const char *method,
                                         const char *path, int64_t now, const char *nonce,
                                         const char *body, char auth[WIRE_HEADER_LEN])
{
    char sig[CRYPTO_SIG_B64_MAX];
    char *msg = wechatpay_request_message(method, path, now, nonce, body);
    enum gateway_status st = GATEWAY_OK;
    if (!msg)
        st = GATEWAY_ERR_NOMEM;
    else if (crypto_rsa_sign_b64(keys->merchant_key, keys->rng, msg, strlen(msg), sig,
                                 sizeof sig) != CRYPTO_OK)
        st = GATEWAY_ERR_INTERNAL;
    free(msg);
    /* header layout of wechatpay-go core/consts HeaderAuthorizationFormat */
    if (st == GATEWAY_OK) {
        int n =
            snprintf(auth, WIRE_HEADER_LEN,
                     "WECHATPAY2-SHA256-RSA2048 mchid=\"%s\",nonce_str=\"%s\",timestamp=\"%lld\","
                     "serial_no=\"%s\",signature=\"%s\"",
                     keys->mchid, nonce, (long long)now, keys->merchant_serial, sig);
        if (n < 0 || n >= WIRE_HEADER_LEN)
            st = GATEWAY_ERR_INTERNAL;
    }
    return st;
}

enum gateway_status wechatpay_build_get(const struct wechatpay_keys *keys, const char *url,
                                        int64_t now, const char *nonce, struct wire_request *out)
{
    char auth[WIRE_HEADER_LEN];
    memset(out, 0, sizeof *out);
    const char *scheme = strstr(url, "://");
    const char *path = scheme ? strchr(scheme + 3, '/') : NULL;
    if (!path || strlen(url) >= sizeof out->url)
        return GATEWAY_ERR_INTERNAL;
    enum gateway_status st = authorization(keys, "GET", path, now, nonce, "", auth);
    if (st != GATEWAY_OK)
        return st;
    snprintf(out->method, sizeof out->method, "GET");
    snprintf(out->url, sizeof out->url, "%s", url);
    if (!wire_add_header(out, "Authorization", auth) ||
        !wire_add_header(out, "Accept", "application/json")) {
        wire_request_free(out);
        return GATEWAY_ERR_INTERNAL;
    }
    snprintf(out->log_line, sizeof out->log_line, "wechat GET %.100s", path);
    return GATEWAY_OK;
}

enum gateway_status wechatpay_build(const struct wechatpay_keys *keys, const struct gw_request *req,
                                    int64_t now, const char *nonce, struct wire_request *out)
{
    char order[3 * ORDER_NO_MAX + 1], mchid[3 * 64 + 1], path[512];
    char auth[WIRE_HEADER_LEN];
    memset(out, 0, sizeof *out);
    if (!req->order_no[0] || (req->op == GW_PAY && (!req->auth_code[0] || req->amount_fen <= 0)) ||
        (req->op == GW_REFUND &&
         (!req->refund_no[0] || req->amount_fen <= 0 || req->total_fen < req->amount_fen)) ||
        (req->op == GW_REFUND_QUERY && !req->refund_no[0]) ||
        (req->op == GW_QR_CREATE && (req->amount_fen <= 0 || req->qr_window_s <= 0)))
        return GATEWAY_ERR_INTERNAL;
    if (req->op == GW_QR_CREATE && (!keys->notify_url || !keys->notify_url[0]))
        return GATEWAY_ERR_CONFIG; /* Native orders require one (WQ1) */
    path_escape(req->order_no, order, sizeof order);
    path_escape(keys->mchid, mchid, sizeof mchid);
    const char *prefix = base_path(keys->base_url);
    const char *method = req->op == GW_QUERY || req->op == GW_REFUND_QUERY ? "GET" : "POST";
    int n = 0;
    switch (req->op) {
    case GW_PAY: n = snprintf(path, sizeof path, "%s/v3/pay/transactions/codepay", prefix); break;
    case GW_QUERY:
        n = snprintf(path, sizeof path, "%s/v3/pay/transactions/out-trade-no/%s?mchid=%s", prefix,
                     order, mchid);
        break;
    case GW_CANCEL:
        n = snprintf(path, sizeof path, "%s/v3/pay/transactions/out-trade-no/%s/reverse", prefix,
                     order);
        break;
    case GW_REFUND: n = snprintf(path, sizeof path, "%s/v3/refund/domestic/refunds", prefix); break;
    case GW_QR_CREATE:
        n = snprintf(path, sizeof path, "%s/v3/pay/transactions/native", prefix);
        break;
    case GW_QR_CLOSE:
        n = snprintf(path, sizeof path, "%s/v3/pay/transactions/out-trade-no/%s/close", prefix,
                     order);
        break;
    case GW_REFUND_QUERY: {
        char refund[3 * ORDER_NO_MAX + 1];
        path_escape(req->refund_no, refund, sizeof refund);
        n = snprintf(path, sizeof path, "%s/v3/refund/domestic/refunds/%s", prefix, refund);
        break;
    }
    }
    if (n < 0 || (size_t)n >= sizeof path)
        return GATEWAY_ERR_INTERNAL;

    char *body = req->op == GW_QUERY || req->op == GW_REFUND_QUERY ? strdup("")
                                                                   : request_body(keys, req, now);
    if (!body)
        return GATEWAY_ERR_NOMEM;
    enum gateway_status st = authorization(keys, method, path, now, nonce, body, auth);
    if (st == GATEWAY_OK) {
        /* the host part of base_url, then the signed path */
        size_t host_len = strlen(keys->base_url) - strlen(prefix);
        n = snprintf(out->url, sizeof out->url, "%.*s%s", (int)host_len, keys->base_url, path);
        if (n < 0 || (size_t)n >= sizeof out->url)
            st = GATEWAY_ERR_INTERNAL;
    }
    if (st == GATEWAY_OK && (!wire_add_header(out, "Authorization", auth) ||
                             !wire_add_header(out, "Accept", "application/json") ||
                             (strcmp(method, "POST") == 0 &&
                              !wire_add_header(out, "Content-Type", "application/json"))))
        st = GATEWAY_ERR_INTERNAL;
    if (st != GATEWAY_OK) {
        crypto_wipe(body, strlen(body));
        free(body);
        wire_request_free(out);
        return st;
    }
    snprintf(out->method, sizeof out->method, "%s", method);
    out->body = body;
    out->body_len = strlen(body);
    char masked[AUTH_CODE_MAX + 1] = "", amount[MONEY_TEXT_MAX] = "";
    if (req->op == GW_PAY)
        paycode_mask(req->auth_code, masked, sizeof masked);
    bool with_amount = req->op == GW_PAY || req->op == GW_REFUND || req->op == GW_QR_CREATE;
    bool with_refund = req->op == GW_REFUND || req->op == GW_REFUND_QUERY;
    snprintf(out->log_line, sizeof out->log_line, "wechat %s order %s%s%s%s%s%s%s",
             gw_op_name(req->op), req->order_no, with_refund ? " refund " : "",
             with_refund ? req->refund_no : "", masked[0] ? " code " : "", masked,
             with_amount ? " " : "", with_amount ? money_format(req->amount_fen, amount) : "");
    return GATEWAY_OK;
}

/* --- replies: authenticity ------------------------------------------------------------- */

/* True when the reply is authentic and fresh; else why says why not. *signed_ts is the
 * Wechatpay-Timestamp once the signature over it verified, even when it is too far from our
 * clock to be believed (the loop's clock alarm reads it), else 0. Rules: wechatpay-go
 * core/auth/validators/wechat_pay_validator.go (four headers non-empty, timestamp within five
 * minutes, SHA256withRSA over "TIMESTAMP\nNONCE\nBODY\n"). */
static bool check_authentic(const struct wechatpay_keys *keys, const struct wire_response *resp,
                            int64_t now, int64_t *signed_ts, char *why, size_t whylen)
{
    const char *ts = wire_header(resp, "Wechatpay-Timestamp");
    const char *nonce = wire_header(resp, "Wechatpay-Nonce");
    const char *sig = wire_header(resp, "Wechatpay-Signature");
    const char *serial = wire_header(resp, "Wechatpay-Serial");
    *signed_ts = 0;
    if (!ts || !*ts || !nonce || !*nonce || !sig || !*sig || !serial || !*serial) {
        snprintf(why, whylen, "reply is not signed (Wechatpay-* headers missing)");
        return false;
    }
    if (strcasecmp(serial, keys->platform_serial) != 0) {
        snprintf(why, whylen, "reply signed with an unexpected key (Wechatpay-Serial)");
        return false;
    }
    char *end;
    errno = 0;
    long long t = strtoll(ts, &end, 10);
    if (errno || *end || end == ts || t <= 0) {
        snprintf(why, whylen, "reply timestamp is not a number");
        return false;
    }
    size_t n = strlen(ts) + strlen(nonce) + resp->body_len + 4;
    char *msg = malloc(n);
    if (!msg) {
        snprintf(why, whylen, "out of memory checking the reply");
        return false;
    }
    size_t o = (size_t)snprintf(msg, n, "%s\n%s\n", ts, nonce);
    if (resp->body_len)
        memcpy(msg + o, resp->body, resp->body_len);
    o += resp->body_len;
    msg[o++] = '\n';
    enum crypto_status st = crypto_rsa_verify_b64(keys->platform_key, msg, o, sig, strlen(sig));
    free(msg);
    if (st != CRYPTO_OK) {
        snprintf(why, whylen, "reply signature does not verify");
        return false;
    }
    *signed_ts = t;
    long long skew = t - (long long)now;
    if (skew >= WECHATPAY_MAX_SKEW_S || skew <= -WECHATPAY_MAX_SKEW_S) {
        /* WeChat's clock is right far more often than a shop terminal's: say which to check */
        snprintf(why, whylen,
                 "reply signed %lld s %s the terminal's clock (over five minutes): check the "
                 "terminal's clock",
                 skew < 0 ? -skew : skew, skew < 0 ? "before" : "after");
        return false;
    }
    return true;
}

bool wechatpay_reply_authentic(const struct wechatpay_keys *keys, const struct wire_response *resp,
                               int64_t now, char *why, size_t whylen)
{
    int64_t signed_ts;
    return check_authentic(keys, resp, now, &signed_ts, why, whylen);
}

/* --- replies: nonces already seen ------------------------------------------------------- */

struct seen_nonce {
    char nonce[WECHATPAY_NONCE_MAX + 1];
    int64_t ts; /* the reply's signed timestamp */
};

struct wechatpay_nonces {
    struct seen_nonce e[WECHATPAY_NONCES_MAX];
    int n;
    /* Replies stamped at or before this may have been seen and forgotten (dropped for room,
     * or seen by an earlier process): their nonce proves nothing. */
    int64_t forgotten_ts;
};

struct wechatpay_nonces *wechatpay_nonces_new(int64_t now)
{
    struct wechatpay_nonces *s = calloc(1, sizeof *s);
    /* A reply an earlier process saw was stamped before we started, unless the gateway's
     * clock runs ahead of ours (README.md "Replays, exchange binding and clocks"). Waiting
     * out the whole five minutes instead would leave every WeChat refusal of the first five
     * minutes after a start to the query. Timestamps are whole seconds: a reply stamped in
     * the second we started is new (an earlier process ended before it). */
    if (s)
        s->forgotten_ts = now - 1;
    return s;
}

void wechatpay_nonces_free(struct wechatpay_nonces *s)
{
    free(s);
}

enum nonce_verdict { NONCE_NEW, NONCE_REPEATED, NONCE_UNSURE };

/* Looks the nonce up and remembers it. Called only for a verified, fresh reply. */
static enum nonce_verdict nonces_note(struct wechatpay_nonces *s, const char *nonce, int64_t ts)
{
    if (strlen(nonce) > WECHATPAY_NONCE_MAX)
        return NONCE_UNSURE;
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->e[i].nonce, nonce) == 0)
            return NONCE_REPEATED;
    int slot = s->n;
    if (s->n == WECHATPAY_NONCES_MAX) {
        /* drop the oldest; anything stamped no later than it may be a forgotten repeat */
        slot = 0;
        for (int i = 1; i < s->n; i++)
            if (s->e[i].ts < s->e[slot].ts)
                slot = i;
        if (s->e[slot].ts > s->forgotten_ts)
            s->forgotten_ts = s->e[slot].ts;
    } else {
        s->n++;
    }
    snprintf(s->e[slot].nonce, sizeof s->e[slot].nonce, "%s", nonce);
    s->e[slot].ts = ts;
    return ts > s->forgotten_ts ? NONCE_NEW : NONCE_UNSURE;
}

/* --- replies: what the body says -------------------------------------------------------- */

/* amount.<name> in fen. False when present but not a whole, non-negative number. */
static bool fen_fact(const cJSON *o, const char *name, bool *given, int64_t *fen)
{
    const cJSON *amount = cJSON_GetObjectItemCaseSensitive(o, "amount");
    if (!amount)
        return true;
    if (!cJSON_IsObject(amount))
        return false;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(amount, name);
    if (!v)
        return true;
    if (!cJSON_IsNumber(v))
        return false;
    double d = v->valuedouble;
    /* 2^53: past this a double no longer holds every integer */
    if (!(d >= 0 && d <= 9007199254740992.0) || d != (double)(int64_t)d)
        return false;
    *fen = (int64_t)d;
    *given = true;
    return true;
}

/* The one code_url form Native orders give (README.md WQ1). */
static const char *const wechat_qr_forms[] = {"weixin://wxpay/bizpayurl?pr=", NULL};

/* Fills said from a verified body (W8 in README.md). False when a fact is there but
 * malformed: the reply is then not read at all. */
static bool read_facts(const cJSON *o, enum gw_op op, struct gw_facts *f)
{
    if (op == GW_QR_CREATE && !json_qr_fact(o, "code_url", wechat_qr_forms, &f->qr_given,
                                            f->qr_payload, sizeof f->qr_payload))
        return false;
    return json_text_fact(o, "out_trade_no", &f->order_no_given, f->order_no, sizeof f->order_no) &&
           json_text_fact(o, "out_refund_no", &f->refund_no_given, f->refund_no,
                          sizeof f->refund_no) &&
           json_text_fact(o, "transaction_id", &f->trade_no_given, f->trade_no,
                          sizeof f->trade_no) &&
           fen_fact(o, "total", &f->amount_given, &f->amount_fen) &&
           fen_fact(o, "refund", &f->refund_given, &f->refund_fen);
}

/* --- replies: states and codes --------------------------------------------------------- */

/* Error codes that are definite for code pay: nothing was charged. Both the APIv3 spellings
 * and the v2 ones WeChat still returns are listed (README.md "WeChat pay codes"). */
static const struct code_words pay_failures[] = {
    {"NOT_ENOUGH", PAY_CAUSE_BALANCE, "customer's balance is not enough"},
    {"NOTENOUGH", PAY_CAUSE_BALANCE, "customer's balance is not enough"},
    {"AUTH_CODE_INVALID", PAY_CAUSE_CODE_INVALID, "payment code invalid: ask for a new one"},
    {"AUTHCODEEXPIRE", PAY_CAUSE_CODE_EXPIRED, "payment code expired: ask for a new one"},
    {"AUTH_CODE_ERROR", PAY_CAUSE_CODE_INVALID, "payment code invalid: ask for a new one"},
    {"AUTH_CODE_EXPIRE", PAY_CAUSE_CODE_EXPIRED, "payment code expired: ask for a new one"},
    {"PAYER_ACCOUNT_ABNORMAL", PAY_CAUSE_BUYER_ACCOUNT, "customer's account is restricted"},
    {"ACCOUNT_ERROR", PAY_CAUSE_BUYER_ACCOUNT, "customer's account is restricted"},
    {"RULE_LIMIT", PAY_CAUSE_BUYER_LIMIT, "refused by a payment rule (limit)"},
    {"TRADE_ERROR", PAY_CAUSE_RISK, "refused by WeChat Pay (trade error)"},
    {"PARAM_ERROR", PAY_CAUSE_REQUEST_REFUSED, "request refused: invalid parameter"},
    {"SIGN_ERROR", PAY_CAUSE_MERCHANT_SETUP,
     "request signature refused: check the merchant key and serial"},
    {"NO_AUTH", PAY_CAUSE_MERCHANT_SETUP, "merchant may not use code pay"},
    {"MCH_NOT_EXISTS", PAY_CAUSE_MERCHANT_SETUP, "merchant id unknown"},
    {"APPID_MCHID_NOT_MATCH", PAY_CAUSE_MERCHANT_SETUP, "appid and mchid do not match"},
    {NULL, PAY_CAUSE_NONE, NULL},
};

/* Answers to a pay that speak of an order already holding our number. Order numbers never
 * repeat, so they can only mean an earlier copy of this very request reached WeChat Pay (a
 * resend): never a failure, never a success; the query decides (README.md "Resent pays").
 * INVALID_REQUEST is here because WeChat Pay answers a repeated order number with it
 * ("201 商户订单号重复"), as well as a repeat with other details. */
static const char *const pay_duplicates[] = {
    "ORDERPAID",     "ORDER_PAID",     "OUT_TRADE_NO_USED", "ORDERCLOSED",     "ORDER_CLOSED",
    "ORDERREVERSED", "ORDER_REVERSED", "BUYER_MISMATCH",    "INVALID_REQUEST", NULL,
};

static const struct code_words reverse_failures[] = {
    {"REVERSE_EXPIRE", PAY_CAUSE_CANCEL_TOO_LATE,
     "too late to reverse (over 7 days): refund instead"},
    {"TRADE_ERROR", PAY_CAUSE_NOT_CANCELLABLE, "WeChat Pay will not reverse this trade"},
    {"PARAM_ERROR", PAY_CAUSE_REQUEST_REFUSED, "request refused: invalid parameter"},
    {"INVALID_REQUEST", PAY_CAUSE_NOT_CANCELLABLE, "WeChat Pay will not reverse this trade now"},
    {"SIGN_ERROR", PAY_CAUSE_MERCHANT_SETUP,
     "request signature refused: check the merchant key and serial"},
    {"NO_AUTH", PAY_CAUSE_MERCHANT_SETUP, "merchant may not reverse"},
    {NULL, PAY_CAUSE_NONE, NULL},
};

static const struct code_words refund_failures[] = {
    {"NOT_ENOUGH", PAY_CAUSE_MERCHANT_BALANCE, "merchant balance too low to refund"},
    {"PARAM_ERROR", PAY_CAUSE_REQUEST_REFUSED, "request refused: invalid parameter"},
    {"INVALID_REQUEST", PAY_CAUSE_NOT_REFUNDABLE, "refund refused: invalid request"},
    {"RESOURCE_NOT_EXISTS", PAY_CAUSE_NOT_REFUNDABLE, "no such trade to refund"},
    {"ORDER_NOT_EXIST", PAY_CAUSE_NOT_REFUNDABLE, "no such trade to refund"},
    {"SIGN_ERROR", PAY_CAUSE_MERCHANT_SETUP,
     "request signature refused: check the merchant key and serial"},
    {"NO_AUTH", PAY_CAUSE_MERCHANT_SETUP, "merchant may not refund"},
    {"USER_ACCOUNT_ABNORMAL", PAY_CAUSE_REFUND_BY_HAND,
     "customer's account is closed: refund by hand"},
    {NULL, PAY_CAUSE_NONE, NULL},
};

/* Native order refusals that are definite: no order was created (README.md WQ1). */
static const struct code_words qr_create_failures[] = {
    {"PARAM_ERROR", PAY_CAUSE_REQUEST_REFUSED, "request refused: invalid parameter"},
    {"SIGN_ERROR", PAY_CAUSE_MERCHANT_SETUP,
     "request signature refused: check the merchant key and serial"},
    {"NO_AUTH", PAY_CAUSE_MERCHANT_SETUP, "merchant may not use Native payments"},
    {"MCH_NOT_EXISTS", PAY_CAUSE_MERCHANT_SETUP, "merchant id unknown"},
    {"APPID_MCHID_NOT_MATCH", PAY_CAUSE_MERCHANT_SETUP, "appid and mchid do not match"},
    {"RULE_LIMIT", PAY_CAUSE_AMOUNT_LIMIT, "refused by a payment rule (limit)"},
    {NULL, PAY_CAUSE_NONE, NULL},
};

/* Close refusals that are definite: WeChat Pay will not close the order (WQ2). */
static const struct code_words qr_close_failures[] = {
    {"PARAM_ERROR", PAY_CAUSE_REQUEST_REFUSED, "request refused: invalid parameter"},
    {"INVALID_REQUEST", PAY_CAUSE_NOT_CANCELLABLE, "WeChat Pay will not close this order now"},
    {"SIGN_ERROR", PAY_CAUSE_MERCHANT_SETUP,
     "request signature refused: check the merchant key and serial"},
    {"NO_AUTH", PAY_CAUSE_MERCHANT_SETUP, "merchant may not close orders"},
    {NULL, PAY_CAUSE_NONE, NULL},
};

static bool is_code(const char *code, const char *a, const char *b)
{
    return strcmp(code, a) == 0 || (b && strcmp(code, b) == 0);
}

/* A 200 body describing the trade (codepay reply and query reply share the shape). */
static void map_trade(const cJSON *o, const struct gw_request *req, struct gw_reply *r)
{
    const char *state = json_string(o, "trade_state");
    if (!state) {
        reply_set(r, GW_UNKNOWN, PAY_CAUSE_BAD_REPLY, NULL, "WeChat reply has no trade_state");
    } else if (strcmp(state, "SUCCESS") == 0 || strcmp(state, "REFUND") == 0) {
        reply_set(r, GW_SUCCESS, PAY_CAUSE_NONE, state,
                  strcmp(state, "REFUND") == 0 ? "paid (a refund has been made since)" : "paid");
    } else if (strcmp(state, "USERPAYING") == 0) {
        reply_set(r, GW_PAYING, PAY_CAUSE_NONE, state, "waiting for the customer to confirm");
    } else if (strcmp(state, "NOTPAY") == 0) {
        /* created, not paid yet: keep polling, the window and the reverse settle it */
        reply_set(r, req->op == GW_QUERY ? GW_PAYING : GW_UNKNOWN, PAY_CAUSE_NONE, state,
                  "not paid yet");
    } else if (strcmp(state, "PAYERROR") == 0) {
        reply_set(r, GW_FAILED, PAY_CAUSE_SCAN_AGAIN, state, "payment failed (e.g. bank refused)");
    } else if (strcmp(state, "CLOSED") == 0 || strcmp(state, "REVOKED") == 0) {
        reply_set(r, GW_FAILED, PAY_CAUSE_ORDER_CLOSED, state,
                  strcmp(state, "REVOKED") == 0 ? "order was reversed" : "order is closed");
    } else {
        reply_set(r, GW_UNKNOWN, PAY_CAUSE_RESULT_UNKNOWN, state,
                  "WeChat reply: unknown trade_state");
    }
}

static void map_error(const char *code, const struct gw_request *req, long status,
                      struct gw_reply *r)
{
    const struct code_words *entry;
    bool system = is_code(code, "SYSTEM_ERROR", "SYSTEMERROR") ||
                  is_code(code, "BANK_ERROR", "BANKERROR") ||
                  strcmp(code, "FREQUENCY_LIMITED") == 0;
    if (status >= 500 || system) {
        r->retry = req->op == GW_CANCEL;
        reply_set(r, GW_UNKNOWN, PAY_CAUSE_RESULT_UNKNOWN, code,
                  "WeChat Pay system error (%s): result unknown", code);
        return;
    }
    switch (req->op) {
    case GW_PAY:
        if (strcmp(code, "USERPAYING") == 0) {
            reply_set(r, GW_PAYING, PAY_CAUSE_NONE, code, "waiting for the customer to confirm");
            return;
        }
        if (code_listed(pay_duplicates, code)) {
            reply_set(r, GW_UNKNOWN, PAY_CAUSE_RESULT_UNKNOWN, code,
                      "WeChat Pay already holds an order with this number (%s): an earlier "
                      "copy of this request may have reached it; the query decides",
                      code);
            return;
        }
        if ((entry = code_words_find(pay_failures, code))) {
            reply_set(r, GW_FAILED, entry->cause, code, "%s", entry->words);
            return;
        }
        break;
    case GW_QUERY:
        if (is_code(code, "ORDER_NOT_EXIST", "ORDERNOTEXIST") ||
            strcmp(code, "RESOURCE_NOT_EXISTS") == 0) {
            r->no_such_order = true;
            reply_set(r, GW_UNKNOWN, PAY_CAUSE_NOT_FOUND_YET, code,
                      "WeChat Pay does not know the order (yet)");
            return;
        }
        break;
    case GW_CANCEL:
        if (is_code(code, "ORDER_NOT_EXIST", "ORDERNOTEXIST") ||
            strcmp(code, "RESOURCE_NOT_EXISTS") == 0) {
            /* no order, nothing charged: nothing to reverse (README.md explains the risk) */
            reply_set(r, GW_SUCCESS, PAY_CAUSE_NONE, code, "cancelled: no trade existed");
            return;
        }
        if (is_code(code, "ORDERREVERSED", "ORDER_REVERSED")) {
            reply_set(r, GW_SUCCESS, PAY_CAUSE_NONE, code, "cancelled: already reversed");
            return;
        }
        if ((entry = code_words_find(reverse_failures, code))) {
            reply_set(r, GW_FAILED, entry->cause, code, "%s", entry->words);
            return;
        }
        /* USERPAYING: "cannot reverse while the customer is paying"; retry later */
        r->retry = true;
        break;
    case GW_REFUND:
        if ((entry = code_words_find(refund_failures, code))) {
            reply_set(r, GW_FAILED, entry->cause, code, "%s", entry->words);
            return;
        }
        break;
    case GW_QR_CREATE:
        if (code_listed(pay_duplicates, code)) {
            reply_set(r, GW_UNKNOWN, PAY_CAUSE_RESULT_UNKNOWN, code,
                      "WeChat Pay already holds an order with this number (%s): the query "
                      "decides",
                      code);
            return;
        }
        if ((entry = code_words_find(qr_create_failures, code))) {
            reply_set(r, GW_FAILED, entry->cause, code, "%s", entry->words);
            return;
        }
        break;
    case GW_QR_CLOSE:
        if (is_code(code, "ORDERPAID", "ORDER_PAID")) {
            /* "the order is paid: cannot close; treat it as a paid trade" (WQ2) */
            r->close_refused_paid = true;
            reply_set(r, GW_FAILED, PAY_CAUSE_NOT_CANCELLABLE, code,
                      "WeChat Pay will not close: the order is paid; the query tells the "
                      "amount");
            return;
        }
        if (is_code(code, "ORDERCLOSED", "ORDER_CLOSED")) {
            /* a repeat of a close whose reply was lost */
            reply_set(r, GW_SUCCESS, PAY_CAUSE_NONE, code, "closed unpaid (already closed)");
            return;
        }
        if (is_code(code, "ORDER_NOT_EXIST", "ORDERNOTEXIST") ||
            strcmp(code, "RESOURCE_NOT_EXISTS") == 0) {
            /* the create may still be on its way: nothing is proven closed */
            r->no_such_order = true;
            reply_set(r, GW_UNKNOWN, PAY_CAUSE_NOT_FOUND_YET, code,
                      "WeChat Pay does not know the order (yet): nothing closed");
            return;
        }
        if ((entry = code_words_find(qr_close_failures, code))) {
            reply_set(r, GW_FAILED, entry->cause, code, "%s", entry->words);
            return;
        }
        break;
    case GW_REFUND_QUERY:
        if (strcmp(code, "RESOURCE_NOT_EXISTS") == 0) {
            /* the refund number is unknown: the refund was never received (W6) */
            r->no_such_refund = true;
            reply_set(r, GW_FAILED, PAY_CAUSE_NOT_FOUND_YET, code,
                      "WeChat Pay does not know refund %s", req->refund_no);
            return;
        }
        break;
    }
    reply_set(r, GW_UNKNOWN, PAY_CAUSE_RESULT_UNKNOWN, code,
              "WeChat Pay answered %ld %s: result unknown", status, code);
}

/* A refund object: the refund reply and the refund query's reply share the shape (W6). */
static void map_refund(const cJSON *o, struct gw_reply *r)
{
    const char *status = json_string(o, "status");
    if (!status) {
        reply_set(r, GW_UNKNOWN, PAY_CAUSE_BAD_REPLY, NULL, "WeChat refund reply has no status");
    } else if (strcmp(status, "SUCCESS") == 0) {
        reply_set(r, GW_SUCCESS, PAY_CAUSE_NONE, status, "refunded");
    } else if (strcmp(status, "PROCESSING") == 0) {
        reply_set(r, GW_PAYING, PAY_CAUSE_NONE, status, "refund in progress");
    } else if (strcmp(status, "CLOSED") == 0) {
        reply_set(r, GW_FAILED, PAY_CAUSE_NOT_REFUNDABLE, status, "refund closed by WeChat Pay");
    } else if (strcmp(status, "ABNORMAL") == 0) {
        /* WeChat Pay will not finish it by itself: asking again never changes it */
        r->refund_abnormal = true;
        reply_set(r, GW_FAILED, PAY_CAUSE_REFUND_BY_HAND, status,
                  "refund abnormal: the customer's account or card refused it; finish it in "
                  "the merchant portal");
    } else {
        reply_set(r, GW_UNKNOWN, PAY_CAUSE_RESULT_UNKNOWN, status, "WeChat refund: unknown status");
    }
}

/* The verified 2xx body of any operation. */
static void map_ok(const cJSON *root, const struct gw_request *req, long status, struct gw_reply *r)
{
    const cJSON *recall = cJSON_GetObjectItemCaseSensitive(root, "recall");
    if (status == 202) {
        /* codepay: accepted, the customer must confirm (e.g. enter the password) */
        const char *code = json_string(root, "code");
        reply_set(r, req->op == GW_PAY ? GW_PAYING : GW_UNKNOWN, PAY_CAUSE_NONE,
                  code ? code : "USERPAYING", "waiting for the customer to confirm");
    } else if (status != 200) {
        reply_set(r, GW_UNKNOWN, PAY_CAUSE_BAD_REPLY, NULL, "WeChat Pay answered HTTP %ld", status);
    } else if (req->op == GW_PAY || req->op == GW_QUERY) {
        map_trade(root, req, r);
    } else if (req->op == GW_QR_CREATE) {
        if (r->said.qr_given)
            reply_set(r, GW_SUCCESS, PAY_CAUSE_NONE, NULL, "QR order created");
        else
            reply_set(r, GW_UNKNOWN, PAY_CAUSE_BAD_REPLY, NULL,
                      "WeChat Native reply has no code_url");
    } else if (req->op == GW_QR_CLOSE) {
        /* the documented close reply is 204 with no body (WQ2) */
        reply_set(r, GW_UNKNOWN, PAY_CAUSE_BAD_REPLY, NULL,
                  "WeChat Pay answered a close with a 200 body instead of 204");
    } else if (req->op == GW_CANCEL) {
        if (cJSON_IsTrue(recall) ||
            (cJSON_IsString(recall) && strcmp(recall->valuestring, "Y") == 0)) {
            r->retry = true;
            reply_set(r, GW_UNKNOWN, PAY_CAUSE_CANCEL_RETRY, NULL,
                      "WeChat Pay asks for the reverse again");
        } else {
            reply_set(r, GW_SUCCESS, PAY_CAUSE_NONE, NULL, "cancelled (reversed)");
        }
    } else {
        map_refund(root, r);
    }
}

void wechatpay_parse(const struct wechatpay_keys *keys, struct wechatpay_nonces *seen,
                     const struct gw_request *req, const struct wire_response *resp, int64_t now,
                     struct gw_reply *out)
{
    char why[160];
    int64_t signed_ts = 0;
    reply_start(out, req);
    out->server_time = wire_date(resp);
    if (resp->status == 0) {
        reply_set(out, GW_UNKNOWN, PAY_CAUSE_NO_ANSWER, NULL, "no reply from WeChat Pay");
        return;
    }
    if (resp->body_len > WIRE_BODY_MAX || (resp->body_len && !resp->body) ||
        (resp->body_len && memchr(resp->body, '\0', resp->body_len))) {
        reply_set(out, GW_UNKNOWN, PAY_CAUSE_BAD_REPLY, NULL, "WeChat reply oversized or binary");
        return;
    }
    bool authentic = check_authentic(keys, resp, now, &signed_ts, why, sizeof why);
    if (signed_ts)
        out->server_time = signed_ts;
    if (!authentic) {
        reply_set(out, GW_UNKNOWN, PAY_CAUSE_BAD_REPLY, NULL, "WeChat Pay HTTP %ld: %s",
                  resp->status, why);
        return;
    }
    if (seen) {
        enum nonce_verdict v = nonces_note(seen, wire_header(resp, "Wechatpay-Nonce"), signed_ts);
        if (v == NONCE_REPEATED) {
            reply_set(out, GW_UNKNOWN, PAY_CAUSE_BAD_REPLY, NULL,
                      "replayed reply (nonce seen before)");
            return;
        }
        out->exchange_bound = v == NONCE_NEW;
    }
    if (resp->status == 204) {
        /* the documented reverse and close replies carry no body: the signature over
         * "TIMESTAMP\nNONCE\n\n" verified above is all there is, and it names no order, so
         * only exchange_bound ties it to this request (README.md "Dynamic QR") */
        if (req->op == GW_CANCEL)
            reply_set(out, GW_SUCCESS, PAY_CAUSE_NONE, NULL, "cancelled (reversed)");
        else if (req->op == GW_QR_CLOSE && resp->body_len == 0)
            reply_set(out, GW_SUCCESS, PAY_CAUSE_NONE, NULL, "closed unpaid");
        else
            reply_set(out, GW_UNKNOWN, PAY_CAUSE_RESULT_UNKNOWN, NULL,
                      "WeChat Pay answered 204 with nothing to read");
        return;
    }
    const char *end = NULL;
    cJSON *root =
        resp->body_len ? cJSON_ParseWithLengthOpts(resp->body, resp->body_len, &end, false) : NULL;
    if (root && end) {
        while (end < resp->body + resp->body_len &&
               (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t'))
            end++;
        if (end != resp->body + resp->body_len) {
            cJSON_Delete(root);
            root = NULL;
        }
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        reply_set(out, GW_UNKNOWN, PAY_CAUSE_BAD_REPLY, NULL,
                  "WeChat Pay HTTP %ld: body is not a JSON object", resp->status);
        return;
    }

    if (!read_facts(root, req->op, &out->said)) {
        memset(&out->said, 0, sizeof out->said);
        reply_set(out, GW_UNKNOWN, PAY_CAUSE_BAD_REPLY, NULL,
                  "WeChat reply has a malformed order number, trade number, amount or QR "
                  "payload");
    } else if (out->said.order_no_given && strcmp(out->said.order_no, req->order_no) != 0) {
        /* defence in depth: the engine compares too (README.md "What a reply says") */
        reply_set(out, GW_UNKNOWN, PAY_CAUSE_BAD_REPLY, NULL,
                  "WeChat reply is about another order");
    } else if (resp->status >= 200 && resp->status < 300) {
        map_ok(root, req, resp->status, out);
    } else {
        const char *code = json_string(root, "code");
        if (!code)
            reply_set(out, GW_UNKNOWN, PAY_CAUSE_BAD_REPLY, NULL,
                      "WeChat Pay HTTP %ld without an error code", resp->status);
        else
            map_error(code, req, resp->status, out);
    }
    forget_qr_unless_believed(out);
    cJSON_Delete(root);
}

/* --- encrypted resources --------------------------------------------------------------- */

char *wechatpay_decrypt_resource(const unsigned char apiv3_key[32], const char *resource_json,
                                 size_t len)
{
    cJSON *o = cJSON_ParseWithLength(resource_json, len);
    char *plain = NULL;
    const char *alg = json_string(o, "algorithm"), *ct = json_string(o, "ciphertext");
    const char *nonce = json_string(o, "nonce"), *aad = json_string(o, "associated_data");
    if (alg && ct && nonce && strcmp(alg, "AEAD_AES_256_GCM") == 0) {
        size_t ctlen = strlen(ct), raw_len = 0, plain_len = 0;
        unsigned char *raw = malloc(ctlen + 1);
        plain = raw ? malloc(ctlen + 1) : NULL;
        if (!plain || crypto_base64_decode(ct, ctlen, raw, ctlen, &raw_len) != CRYPTO_OK ||
            crypto_aes_gcm_decrypt(apiv3_key, 32, nonce, strlen(nonce), aad ? aad : "",
                                   aad ? strlen(aad) : 0, raw, raw_len, (unsigned char *)plain,
                                   ctlen, &plain_len) != CRYPTO_OK) {
            free(plain);
            plain = NULL;
        } else {
            plain[plain_len] = '\0';
        }
        free(raw);
    }
    cJSON_Delete(o);
    return plain;
}
