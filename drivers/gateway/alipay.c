/*
 * alipay.c - Alipay OpenAPI requests and replies, without sockets.
 *
 * Promise: GW_SUCCESS and GW_FAILED only for a reply whose "<method>_response" bytes verified
 * against the Alipay public key and whose code is definite. Everything else is GW_UNKNOWN.
 * Every mapping rule names its source in drivers/gateway/README.md ("Alipay").
 */
#include "alipay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "money.h"
#include "paycode.h"
#include "reply_fields.h"

/* --- a growable string ----------------------------------------------------------------- */

struct text {
    char *s;
    size_t len, cap;
    bool failed;
};

static void text_add(struct text *t, const char *s, size_t n)
{
    if (t->failed)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *p = realloc(t->s, cap);
        if (!p) {
            t->failed = true;
            return;
        }
        t->s = p;
        t->cap = cap;
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

static void text_str(struct text *t, const char *s)
{
    text_add(t, s, strlen(s));
}

/* application/x-www-form-urlencoded: RFC 3986 unreserved characters pass, the rest is %XX. */
static void text_urlencode(struct text *t, const char *s)
{
    static const char hexd[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            text_add(t, (const char *)p, 1);
        } else {
            char e[3] = {'%', hexd[*p >> 4], hexd[*p & 15]};
            text_add(t, e, 3);
        }
    }
}

/* --- requests -------------------------------------------------------------------------- */

const char *alipay_method(enum gw_op op)
{
    switch (op) {
    case GW_PAY: return "alipay.trade.pay";
    case GW_QUERY: return "alipay.trade.query";
    case GW_CANCEL: return "alipay.trade.cancel";
    case GW_REFUND: return "alipay.trade.refund";
    case GW_REFUND_QUERY: return "alipay.trade.fastpay.refund.query";
    case GW_QR_CREATE: return "alipay.trade.precreate";
    case GW_QR_CLOSE: return "alipay.trade.close";
    }
    return "";
}

void alipay_timestamp(int64_t unix_seconds, char out[20])
{
    /* Alipay reads the timestamp as Beijing time (UTC+8, no daylight saving) */
    time_t t = (time_t)(unix_seconds + 8 * 3600);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm);
}

char *alipay_sign_content(const char *const *keys, const char *const *values, int n)
{
    int order[16];
    int m = 0;
    for (int i = 0; i < n && m < 16; i++) {
        if (strcmp(keys[i], "sign") == 0 || !keys[i][0] || !values[i] || !values[i][0])
            continue;
        /* insertion sort by key, byte order (Java String.compareTo on ASCII keys) */
        int j = m++;
        while (j > 0 && strcmp(keys[order[j - 1]], keys[i]) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    struct text t = {0};
    for (int k = 0; k < m; k++) {
        if (k)
            text_str(&t, "&");
        text_str(&t, keys[order[k]]);
        text_str(&t, "=");
        text_str(&t, values[order[k]]);
    }
    if (t.failed || !t.s) {
        free(t.s);
        return NULL;
    }
    return t.s;
}

/* biz_content as compact JSON; NULL on allocation failure. */
static char *biz_content(const struct gw_request *req)
{
    char amount[MONEY_TEXT_MAX];
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "out_trade_no", req->order_no);
    switch (req->op) {
    case GW_PAY:
        cJSON_AddStringToObject(o, "scene", "bar_code");
        cJSON_AddStringToObject(o, "auth_code", req->auth_code);
        cJSON_AddStringToObject(o, "subject", req->subject[0] ? req->subject : req->order_no);
        cJSON_AddStringToObject(o, "total_amount", money_format(req->amount_fen, amount));
        break;
    case GW_REFUND:
        cJSON_AddStringToObject(o, "refund_amount", money_format(req->amount_fen, amount));
        cJSON_AddStringToObject(o, "out_request_no", req->refund_no);
        break;
    case GW_REFUND_QUERY: cJSON_AddStringToObject(o, "out_request_no", req->refund_no); break;
    case GW_QR_CREATE: {
        /* a precreated trade exists at Alipay only once scanned, so a close before that
         * finds nothing to close: the QR's own expiry is what makes a late scan fail
         * (README.md "Dynamic QR", AQ2) */
        char minutes[16];
        snprintf(minutes, sizeof minutes, "%ldm", ((long)req->qr_window_s + 59) / 60);
        cJSON_AddStringToObject(o, "subject", req->subject[0] ? req->subject : req->order_no);
        cJSON_AddStringToObject(o, "total_amount", money_format(req->amount_fen, amount));
        cJSON_AddStringToObject(o, "timeout_express", minutes);
        break;
    }
    case GW_QUERY:
    case GW_CANCEL:
    case GW_QR_CLOSE: break;
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

enum gateway_status alipay_build_call(const struct alipay_keys *keys, const char *method,
                                      const char *biz, int64_t now, struct wire_request *out)
{
    char ts[20], sig[CRYPTO_SIG_B64_MAX];
    memset(out, 0, sizeof *out);
    alipay_timestamp(now, ts);
    const char *k[] = {"app_id",    "method",    "format",  "charset",
                       "sign_type", "timestamp", "version", "biz_content"};
    const char *v[] = {keys->app_id, method, "JSON", "utf-8", "RSA2", ts, "1.0", biz};
    enum { NPARAMS = 8, NURL = 7 }; /* all but biz_content go into the URL, as the SDKs do */
    char *content = alipay_sign_content(k, v, NPARAMS);
    enum gateway_status st = GATEWAY_OK;
    if (!content)
        return GATEWAY_ERR_NOMEM;
    if (crypto_rsa_sign_b64(keys->app_key, keys->rng, content, strlen(content), sig, sizeof sig) !=
        CRYPTO_OK)
        st = GATEWAY_ERR_INTERNAL;
    crypto_wipe(content, strlen(content)); /* a pay's holds the customer's payment code */
    free(content);

    struct text url = {0}, body = {0};
    if (st == GATEWAY_OK) {
        text_str(&url, keys->gateway_url);
        text_str(&url, strchr(keys->gateway_url, '?') ? "&" : "?");
        for (int i = 0; i < NURL; i++) {
            text_str(&url, k[i]);
            text_str(&url, "=");
            text_urlencode(&url, v[i]);
            text_str(&url, "&");
        }
        text_str(&url, "sign=");
        text_urlencode(&url, sig);
        text_str(&body, "biz_content=");
        text_urlencode(&body, biz);
        if (url.failed || body.failed)
            st = GATEWAY_ERR_NOMEM;
        else if (url.len >= sizeof out->url)
            st = GATEWAY_ERR_INTERNAL;
    }
    if (st == GATEWAY_OK) {
        snprintf(out->method, sizeof out->method, "POST");
        memcpy(out->url, url.s, url.len + 1);
        out->body = body.s;
        out->body_len = body.len;
        body.s = NULL;
        if (!wire_add_header(out, "Content-Type",
                             "application/x-www-form-urlencoded;charset=utf-8") ||
            !wire_add_header(out, "Accept", "application/json"))
            st = GATEWAY_ERR_INTERNAL;
        snprintf(out->log_line, sizeof out->log_line, "alipay %s", method);
    }
    free(url.s);
    if (body.s) {
        crypto_wipe(body.s, body.len);
        free(body.s);
    }
    if (st != GATEWAY_OK)
        wire_request_free(out);
    return st;
}

enum gateway_status alipay_build(const struct alipay_keys *keys, const struct gw_request *req,
                                 int64_t now, struct wire_request *out)
{
    memset(out, 0, sizeof *out);
    if ((req->op == GW_PAY && (!req->auth_code[0] || req->amount_fen <= 0)) ||
        (req->op == GW_REFUND && (!req->refund_no[0] || req->amount_fen <= 0)) ||
        (req->op == GW_REFUND_QUERY && !req->refund_no[0]) ||
        (req->op == GW_QR_CREATE && (req->amount_fen <= 0 || req->qr_window_s <= 0)) ||
        !req->order_no[0])
        return GATEWAY_ERR_INTERNAL;
    char *biz = biz_content(req);
    if (!biz)
        return GATEWAY_ERR_NOMEM;
    enum gateway_status st = alipay_build_call(keys, alipay_method(req->op), biz, now, out);
    if (st == GATEWAY_OK) {
        char masked[AUTH_CODE_MAX + 1] = "", amount[MONEY_TEXT_MAX] = "";
        if (req->op == GW_PAY)
            paycode_mask(req->auth_code, masked, sizeof masked);
        bool with_amount = req->op == GW_PAY || req->op == GW_REFUND || req->op == GW_QR_CREATE;
        bool with_refund = req->op == GW_REFUND || req->op == GW_REFUND_QUERY;
        snprintf(out->log_line, sizeof out->log_line, "alipay %s order %s%s%s%s%s%s%s",
                 gw_op_name(req->op), req->order_no, with_refund ? " refund " : "",
                 with_refund ? req->refund_no : "", masked[0] ? " code " : "", masked,
                 with_amount ? " " : "", with_amount ? money_format(req->amount_fen, amount) : "");
    }
    crypto_wipe(biz, strlen(biz)); /* it holds the customer's payment code */
    free(biz);
    return st;
}

/* --- replies: locating the signed bytes ------------------------------------------------ */

/* Where one top-level member's value lies in the raw body. */
struct span {
    const char *at;
    size_t len;
    int count; /* how many times the key occurred */
};

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

/* p at an opening quote; returns the character after the closing one, or NULL. */
static const char *skip_string(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        if (*p == '\\')
            p++;
        else if (*p == '"')
            return p + 1;
    }
    return NULL;
}

/* Skips one JSON value (the body already parsed as valid JSON, so brackets balance). */
static const char *skip_value(const char *p, const char *end)
{
    if (p >= end)
        return NULL;
    if (*p == '"')
        return skip_string(p, end);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        while (p < end) {
            if (*p == '"') {
                p = skip_string(p, end);
                if (!p)
                    return NULL;
                continue;
            }
            if (*p == '{' || *p == '[')
                depth++;
            if (*p == '}' || *p == ']') {
                if (--depth == 0)
                    return p + 1;
            }
            p++;
        }
        return NULL;
    }
    while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\t' &&
           *p != '\r' && *p != '\n')
        p++;
    return p;
}

/* Finds the raw value of each wanted top-level key (the Java SDK's extractSignContent, done
 * by walking the top-level object so that a key inside a string or a nested object can never
 * be mistaken for it). False when the text is not an object. */
static bool find_members(const char *body, size_t len, const char *const *names, struct span *spans,
                         int n)
{
    const char *p = body, *end = body + len;
    p = skip_ws(p, end);
    if (p >= end || *p != '{')
        return false;
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}')
        return true;
    while (p < end) {
        if (*p != '"')
            return false;
        const char *key = p + 1;
        const char *after = skip_string(p, end);
        if (!after)
            return false;
        size_t klen = (size_t)(after - 1 - key);
        p = skip_ws(after, end);
        if (p >= end || *p != ':')
            return false;
        p = skip_ws(p + 1, end);
        const char *vend = skip_value(p, end);
        if (!vend)
            return false;
        for (int i = 0; i < n; i++) {
            if (strlen(names[i]) == klen && memcmp(names[i], key, klen) == 0) {
                spans[i].at = p;
                spans[i].len = (size_t)(vend - p);
                spans[i].count++;
            }
        }
        p = skip_ws(vend, end);
        if (p < end && *p == ',') {
            p = skip_ws(p + 1, end);
            continue;
        }
        return p < end && *p == '}';
    }
    return false;
}

/* --- replies: codes -------------------------------------------------------------------- */

/* alipay.trade.pay sub_codes that are definite: no money moved, a new code is needed.
 * Source: alipay.trade.pay error table (README.md "Alipay pay codes"). */
static const struct code_words pay_failures[] = {
    {"ACQ.PAYMENT_AUTH_CODE_INVALID", PAY_CAUSE_CODE_INVALID,
     "payment code invalid or expired: ask for a new one"},
    {"ACQ.BUYER_BALANCE_NOT_ENOUGH", PAY_CAUSE_BALANCE, "buyer's balance is not enough"},
    {"ACQ.BUYER_BANKCARD_BALANCE_NOT_ENOUGH", PAY_CAUSE_BALANCE,
     "buyer's bank card balance is not enough"},
    {"ACQ.ERROR_BALANCE_PAYMENT_DISABLE", PAY_CAUSE_BUYER_ACCOUNT,
     "buyer has balance payment switched off"},
    {"ACQ.BUYER_SELLER_EQUAL", PAY_CAUSE_BUYER_ACCOUNT, "buyer and seller are the same account"},
    {"ACQ.BUYER_ENABLE_STATUS_FORBID", PAY_CAUSE_BUYER_ACCOUNT, "buyer's account may not pay"},
    {"ACQ.PULL_MOBILE_CASHIER_FAIL", PAY_CAUSE_SCAN_AGAIN,
     "could not reach the buyer's phone: scan a fresh code"},
    {"ACQ.MOBILE_PAYMENT_SWITCH_OFF", PAY_CAUSE_BUYER_ACCOUNT,
     "buyer has mobile payment switched off"},
    {"ACQ.PAYMENT_FAIL", PAY_CAUSE_SCAN_AGAIN,
     "payment failed: scan a fresh code or use another method"},
    {"ACQ.BUYER_PAYMENT_AMOUNT_DAY_LIMIT_ERROR", PAY_CAUSE_BUYER_LIMIT,
     "buyer's daily limit reached"},
    {"ACQ.BUYER_PAYMENT_AMOUNT_MONTH_LIMIT_ERROR", PAY_CAUSE_BUYER_LIMIT,
     "buyer's monthly limit reached"},
    {"ACQ.BEYOND_PAY_RESTRICTION", PAY_CAUSE_MERCHANT_LIMIT, "merchant's collection limit reached"},
    {"ACQ.BEYOND_PER_RECEIPT_RESTRICTION", PAY_CAUSE_MERCHANT_LIMIT,
     "merchant's monthly collection limit reached"},
    {"ACQ.ERROR_BUYER_CERTIFY_LEVEL_LIMIT", PAY_CAUSE_BUYER_ACCOUNT,
     "buyer's identity is not verified"},
    {"ACQ.PAYMENT_REQUEST_HAS_RISK", PAY_CAUSE_RISK,
     "payment refused for risk: use another method"},
    {"ACQ.NO_PAYMENT_INSTRUMENTS_AVAILABLE", PAY_CAUSE_BUYER_ACCOUNT,
     "buyer has no usable payment method"},
    {"ACQ.USER_FACE_PAYMENT_SWITCH_OFF", PAY_CAUSE_BUYER_ACCOUNT,
     "buyer has in-store payment switched off"},
    {"ACQ.SELLER_BEEN_BLOCKED", PAY_CAUSE_MERCHANT_SETUP, "merchant account is frozen"},
    {"ACQ.INVALID_STORE_ID", PAY_CAUSE_MERCHANT_SETUP, "store id is not valid"},
    {"ACQ.TOTAL_FEE_EXCEED", PAY_CAUSE_AMOUNT_LIMIT, "amount above the limit"},
    {"ACQ.INVALID_PARAMETER", PAY_CAUSE_REQUEST_REFUSED, "request refused: invalid parameter"},
    {"ACQ.ACCESS_FORBIDDEN", PAY_CAUSE_MERCHANT_SETUP, "merchant may not use this API"},
    {"ACQ.EXIST_FORBIDDEN_WORD", PAY_CAUSE_REQUEST_REFUSED, "order text contains a forbidden word"},
    {"ACQ.PARTNER_ERROR", PAY_CAUSE_MERCHANT_SETUP, "app_id is wrong"},
    {NULL, PAY_CAUSE_NONE, NULL},
};

/* Answers to a pay that speak of a trade already holding our order number. Order numbers
 * never repeat, so they can only mean an earlier copy of this very request reached Alipay (a
 * resend): never a failure, never a success; the query decides (README.md "Resent pays"). */
static const char *const pay_duplicates[] = {
    "ACQ.TRADE_HAS_SUCCESS",
    "ACQ.TRADE_HAS_CLOSE",
    "ACQ.CONTEXT_INCONSISTENT",
    "ACQ.TRADE_BUYER_NOT_MATCH",
    NULL,
};

/* alipay.trade.cancel sub_codes that will not change on retry (README.md "Alipay cancel"). */
static const struct code_words cancel_failures[] = {
    {"ACQ.TRADE_CANCEL_TIME_OUT", PAY_CAUSE_CANCEL_TOO_LATE, "too late to cancel: refund instead"},
    {"ACQ.CANCEL_NOT_ALLOWED", PAY_CAUSE_NOT_CANCELLABLE, "this trade may not be cancelled"},
    {"ACQ.TRADE_HAS_FINISHED", PAY_CAUSE_NOT_CANCELLABLE,
     "trade is finished and may not be cancelled"},
    {"ACQ.REASON_TRADE_BEEN_FREEZEN", PAY_CAUSE_NOT_CANCELLABLE, "trade is frozen: contact Alipay"},
    {"ACQ.REASON_TRADE_REFUND_FEE_ERR", PAY_CAUSE_NOT_CANCELLABLE,
     "trade was already refunded: cannot cancel"},
    {"ACQ.INVALID_PARAMETER", PAY_CAUSE_REQUEST_REFUSED, "request refused: invalid parameter"},
    {NULL, PAY_CAUSE_NONE, NULL},
};

/* alipay.trade.refund sub_codes that are definite refusals (README.md "Alipay refund"). */
static const struct code_words refund_failures[] = {
    {"ACQ.TRADE_NOT_EXIST", PAY_CAUSE_NOT_REFUNDABLE, "no such trade to refund"},
    {"ACQ.TRADE_STATUS_ERROR", PAY_CAUSE_NOT_REFUNDABLE, "trade is not in a refundable state"},
    {"ACQ.TRADE_HAS_FINISHED", PAY_CAUSE_NOT_REFUNDABLE,
     "trade is finished and may not be refunded"},
    {"ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", PAY_CAUSE_REFUND_AMOUNT, "refund amount does not match"},
    {"ACQ.REFUND_FEE_ERROR", PAY_CAUSE_REFUND_AMOUNT, "refund amount is not valid"},
    {"ACQ.REASON_TRADE_BEEN_FREEZEN", PAY_CAUSE_NOT_REFUNDABLE, "trade is frozen: contact Alipay"},
    {"ACQ.SELLER_BALANCE_NOT_ENOUGH", PAY_CAUSE_MERCHANT_BALANCE,
     "merchant balance too low to refund"},
    {"ACQ.DISCORDANT_REPEAT_REQUEST", PAY_CAUSE_ORDER_CONFLICT,
     "refund number reused with different details"},
    {"ACQ.INVALID_PARAMETER", PAY_CAUSE_REQUEST_REFUSED, "request refused: invalid parameter"},
    {NULL, PAY_CAUSE_NONE, NULL},
};

/* alipay.trade.precreate sub_codes that are definite: no trade was created (README.md AQ1). */
static const struct code_words qr_create_failures[] = {
    {"ACQ.INVALID_PARAMETER", PAY_CAUSE_REQUEST_REFUSED, "request refused: invalid parameter"},
    {"ACQ.ACCESS_FORBIDDEN", PAY_CAUSE_MERCHANT_SETUP, "merchant may not use this API"},
    {"ACQ.EXIST_FORBIDDEN_WORD", PAY_CAUSE_REQUEST_REFUSED, "order text contains a forbidden word"},
    {"ACQ.PARTNER_ERROR", PAY_CAUSE_MERCHANT_SETUP, "app_id is wrong"},
    {"ACQ.TOTAL_FEE_EXCEED", PAY_CAUSE_AMOUNT_LIMIT, "amount not valid or above the limit"},
    {"ACQ.SELLER_BEEN_BLOCKED", PAY_CAUSE_MERCHANT_SETUP, "merchant account is blocked"},
    {NULL, PAY_CAUSE_NONE, NULL},
};

/* alipay.trade.close refusals: the trade no longer waits for the buyer ("only a trade waiting
 * for the buyer's payment can be closed", README.md AQ2). */
static const char *const close_not_waiting[] = {
    "ACQ.TRADE_STATUS_ERROR",
    "ACQ.REASON_ILLEGAL_STATUS",
    "ACQ.REASON_TRADE_STATUS_INVALID",
    "ACQ.TRADE_HAS_SUCCESS",
    NULL,
};

/* The one QR payload form Alipay's precreate gives (README.md AQ1). */
static const char *const alipay_qr_forms[] = {"https://qr.alipay.com/", NULL};

/* A money fact, "12.30" into fen. False when present but not an exact amount. */
static bool money_fact(const cJSON *o, const char *name, bool *given, int64_t *fen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    int64_t parsed = 0;
    if (!v)
        return true;
    if (!cJSON_IsString(v))
        return false;
    enum money_status st = money_parse(v->valuestring, 0, &parsed);
    if (st != MONEY_OK && st != MONEY_ZERO)
        return false;
    *fen = st == MONEY_ZERO ? 0 : parsed;
    *given = true;
    return true;
}

/* Fills said from the verified "<method>_response" object (A8 in README.md). False when a
 * fact is there but malformed: the reply is then not read at all. */
static bool read_facts(const cJSON *o, enum gw_op op, struct gw_facts *f)
{
    if (op == GW_QR_CREATE && !json_qr_fact(o, "qr_code", alipay_qr_forms, &f->qr_given,
                                            f->qr_payload, sizeof f->qr_payload))
        return false;
    return json_text_fact(o, "out_trade_no", &f->order_no_given, f->order_no, sizeof f->order_no) &&
           json_text_fact(o, "out_request_no", &f->refund_no_given, f->refund_no,
                          sizeof f->refund_no) &&
           json_text_fact(o, "trade_no", &f->trade_no_given, f->trade_no, sizeof f->trade_no) &&
           money_fact(o, "total_amount", &f->amount_given, &f->amount_fen) &&
           money_fact(o, "refund_amount", &f->refund_given, &f->refund_fen) &&
           money_fact(o, "refund_fee", &f->refunded_total_given, &f->refunded_total_fen);
}

/* alipay.trade.fastpay.refund.query answered 10000 (A9 in README.md). */
static void map_refund_query(const cJSON *o, const struct gw_request *req, struct gw_reply *r)
{
    const char *status = json_string(o, "refund_status");
    const struct gw_facts *f = &r->said;
    if (status && strcmp(status, "REFUND_SUCCESS") == 0) {
        reply_set(r, GW_SUCCESS, PAY_CAUSE_NONE, status, "refunded");
    } else if (status) {
        reply_set(r, GW_UNKNOWN, PAY_CAUSE_RESULT_UNKNOWN, status,
                  "Alipay refund query: unknown refund_status");
    } else if ((f->refund_no_given && strcmp(f->refund_no, req->refund_no) == 0) ||
               (f->order_no_given && strcmp(f->order_no, req->order_no) == 0)) {
        /* "not returned: the refund request was not received, or failed"; the remedy the
         * docs give is the same refund again with the same out_request_no */
        r->no_such_refund = true;
        reply_set(r, GW_FAILED, PAY_CAUSE_NOT_FOUND_YET, "10000",
                  "Alipay has no finished refund %s: not received or failed", req->refund_no);
    } else {
        reply_set(r, GW_UNKNOWN, PAY_CAUSE_RESULT_UNKNOWN, "10000",
                  "Alipay refund query names neither the refund nor the order: result unknown");
    }
}

static void map_success(const cJSON *o, const struct gw_request *req, struct gw_reply *r)
{
    const char *retry_flag, *action, *status;
    switch (req->op) {
    case GW_PAY: reply_set(r, GW_SUCCESS, PAY_CAUSE_NONE, "10000", "paid"); return;
    case GW_QUERY:
        status = json_string(o, "trade_status");
        if (!status) {
            reply_set(r, GW_UNKNOWN, PAY_CAUSE_BAD_REPLY, "10000",
                      "Alipay query reply has no trade_status");
        } else if (strcmp(status, "TRADE_SUCCESS") == 0 || strcmp(status, "TRADE_FINISHED") == 0) {
            reply_set(r, GW_SUCCESS, PAY_CAUSE_NONE, status, "paid");
        } else if (strcmp(status, "WAIT_BUYER_PAY") == 0) {
            reply_set(r, GW_PAYING, PAY_CAUSE_NONE, status, "waiting for the customer to confirm");
        } else if (strcmp(status, "TRADE_CLOSED") == 0) {
            reply_set(r, GW_FAILED, PAY_CAUSE_ORDER_CLOSED, status,
                      "trade closed without payment (or fully refunded)");
        } else {
            reply_set(r, GW_UNKNOWN, PAY_CAUSE_RESULT_UNKNOWN, "10000",
                      "Alipay query: unknown trade_status");
        }
        return;
    case GW_CANCEL:
        retry_flag = json_string(o, "retry_flag");
        action = json_string(o, "action");
        if (retry_flag && strcmp(retry_flag, "Y") == 0) {
            r->retry = true;
            reply_set(r, GW_UNKNOWN, PAY_CAUSE_CANCEL_RETRY, "10000",
                      "Alipay asks for the cancel to be sent again");
        } else if (retry_flag && strcmp(retry_flag, "N") == 0) {
            r->cancel_refunded = action && strcmp(action, "refund") == 0;
            reply_set(r, GW_SUCCESS, PAY_CAUSE_NONE, action ? action : "10000",
                      r->cancel_refunded ? "cancelled: the paid amount was returned"
                      : action           ? "cancelled: trade closed unpaid"
                                         : "cancelled: no trade existed");
        } else {
            reply_set(r, GW_UNKNOWN, PAY_CAUSE_BAD_REPLY, "10000",
                      "Alipay cancel reply has no retry_flag");
        }
        return;
    case GW_REFUND: reply_set(r, GW_SUCCESS, PAY_CAUSE_NONE, "10000", "refunded"); return;
    case GW_REFUND_QUERY: map_refund_query(o, req, r); return;
    case GW_QR_CREATE:
        if (r->said.qr_given)
            reply_set(r, GW_SUCCESS, PAY_CAUSE_NONE, "10000", "QR order created");
        else
            reply_set(r, GW_UNKNOWN, PAY_CAUSE_BAD_REPLY, "10000",
                      "Alipay precreate reply has no qr_code");
        return;
    case GW_QR_CLOSE: reply_set(r, GW_SUCCESS, PAY_CAUSE_NONE, "10000", "closed unpaid"); return;
    }
}

static void map_business_failure(const cJSON *o, const struct gw_request *req, const char *code,
                                 struct gw_reply *r)
{
    const char *sub = json_string(o, "sub_code");
    const struct code_words *entry;
    if (!sub)
        sub = "";
    if (strcmp(sub, "ACQ.SYSTEM_ERROR") == 0 || strcmp(sub, "AQC.SYSTEM_ERROR") == 0) {
        r->retry = req->op == GW_CANCEL;
        reply_set(r, GW_UNKNOWN, PAY_CAUSE_RESULT_UNKNOWN, sub,
                  "Alipay system error: result unknown");
        return;
    }
    switch (req->op) {
    case GW_PAY:
        if (code_listed(pay_duplicates, sub)) {
            reply_set(r, GW_UNKNOWN, PAY_CAUSE_RESULT_UNKNOWN, sub,
                      "Alipay already holds a trade with this number (%s): an earlier copy of "
                      "this request may have reached it; the query decides",
                      sub);
            return;
        }
        if ((entry = code_words_find(pay_failures, sub))) {
            reply_set(r, GW_FAILED, entry->cause, sub, "%s", entry->words);
            return;
        }
        break;
    case GW_QUERY:
        if (strcmp(sub, "ACQ.TRADE_NOT_EXIST") == 0) {
            r->no_such_order = true;
            reply_set(r, GW_UNKNOWN, PAY_CAUSE_NOT_FOUND_YET, sub,
                      "Alipay does not know the order (yet)");
            return;
        }
        break;
    case GW_CANCEL: {
        const char *retry_flag = json_string(o, "retry_flag");
        if ((entry = code_words_find(cancel_failures, sub)) &&
            !(retry_flag && strcmp(retry_flag, "Y") == 0)) {
            reply_set(r, GW_FAILED, entry->cause, sub, "%s", entry->words);
            return;
        }
        r->retry = true;
        break;
    }
    case GW_REFUND:
        if ((entry = code_words_find(refund_failures, sub))) {
            reply_set(r, GW_FAILED, entry->cause, sub, "%s", entry->words);
            return;
        }
        break;
    case GW_QR_CREATE:
        if (code_listed(pay_duplicates, sub)) {
            reply_set(r, GW_UNKNOWN, PAY_CAUSE_RESULT_UNKNOWN, sub,
                      "Alipay already holds a trade with this number (%s): the query decides", sub);
            return;
        }
        if ((entry = code_words_find(qr_create_failures, sub))) {
            reply_set(r, GW_FAILED, entry->cause, sub, "%s", entry->words);
            return;
        }
        break;
    case GW_QR_CLOSE:
        if (strcmp(sub, "ACQ.TRADE_NOT_EXIST") == 0) {
            /* a precreated trade exists only once scanned: nothing was closed, and a scan
             * may still come until the QR expires (AQ2) */
            r->no_such_order = true;
            reply_set(r, GW_UNKNOWN, PAY_CAUSE_NOT_FOUND_YET, sub,
                      "Alipay has no trade to close (not scanned yet): the QR stays payable "
                      "until it expires");
            return;
        }
        if (code_listed(close_not_waiting, sub)) {
            r->close_refused_paid = true;
            reply_set(r, GW_FAILED, PAY_CAUSE_NOT_CANCELLABLE, sub,
                      "Alipay will not close: the trade no longer waits for payment (paid); "
                      "the query tells the amount");
            return;
        }
        if (strcmp(sub, "ACQ.INVALID_PARAMETER") == 0) {
            reply_set(r, GW_FAILED, PAY_CAUSE_REQUEST_REFUSED, sub,
                      "request refused: invalid parameter");
            return;
        }
        break;
    case GW_REFUND_QUERY:
        if (strcmp(sub, "ACQ.TRADE_NOT_EXIST") == 0) {
            /* no such trade, so no such refund of it */
            r->no_such_refund = true;
            reply_set(r, GW_FAILED, PAY_CAUSE_NOT_REFUNDABLE, sub,
                      "Alipay does not know the trade, so no refund of it");
            return;
        }
        break;
    }
    reply_set(r, GW_UNKNOWN, PAY_CAUSE_RESULT_UNKNOWN, sub[0] ? sub : code,
              "Alipay answered %s %s: result unknown", code, sub);
}

static void map_codes(const cJSON *o, const struct gw_request *req, struct gw_reply *r)
{
    const char *code = json_string(o, "code");
    if (!code) {
        reply_set(r, GW_UNKNOWN, PAY_CAUSE_BAD_REPLY, NULL, "Alipay reply has no code");
        return;
    }
    if (strcmp(code, "10000") == 0) {
        map_success(o, req, r);
    } else if (strcmp(code, "10003") == 0) {
        reply_set(r, req->op == GW_PAY ? GW_PAYING : GW_UNKNOWN, PAY_CAUSE_NONE, code,
                  "waiting for the customer to confirm");
    } else if (strcmp(code, "40004") == 0) {
        map_business_failure(o, req, code, r);
    } else if (strcmp(code, "20001") == 0 || strcmp(code, "40001") == 0 ||
               strcmp(code, "40002") == 0 || strcmp(code, "40006") == 0) {
        /* The gateway refused the request before any business step (missing or invalid
         * parameter, signature, permission): nothing happened. A query learns nothing from
         * it, so it stays unknown there. */
        const char *sub = json_string(o, "sub_code");
        bool query = req->op == GW_QUERY || req->op == GW_REFUND_QUERY;
        reply_set(r, query ? GW_UNKNOWN : GW_FAILED, PAY_CAUSE_MERCHANT_SETUP, sub ? sub : code,
                  "Alipay refused the request (%s %s): check the configuration", code,
                  sub ? sub : "");
        r->retry = req->op == GW_CANCEL;
    } else {
        /* 20000 (service unavailable) and anything new */
        r->retry = req->op == GW_CANCEL;
        reply_set(r, GW_UNKNOWN, PAY_CAUSE_RESULT_UNKNOWN, code,
                  "Alipay answered %s: result unknown", code);
    }
}

char *alipay_verified_object(const struct alipay_keys *keys, const char *method, const char *body,
                             size_t len, char *why, size_t whylen)
{
    char key[96];
    snprintf(key, sizeof key, "%s_response", method);
    for (char *c = key; *c; c++)
        if (*c == '.')
            *c = '_';
    const char *names[] = {key, "sign"};
    struct span spans[2] = {{0}};
    const char *end = NULL;
    cJSON *root = body && len && len <= WIRE_BODY_MAX && !memchr(body, '\0', len)
                      ? cJSON_ParseWithLengthOpts(body, len, &end, false)
                      : NULL;
    char *copy = NULL;
    const char *sign = root ? json_string(root, "sign") : NULL;
    if (!root || !cJSON_IsObject(root) || skip_ws(end, body + len) != body + len)
        snprintf(why, whylen, "reply is not JSON");
    else if (!find_members(body, len, names, spans, 2) || spans[0].count != 1 ||
             spans[1].count != 1 || !sign)
        snprintf(why, whylen, "reply has no single signed %s", key);
    else if (spans[0].at[0] != '{')
        snprintf(why, whylen, "%s is not an object", key);
    else if (crypto_rsa_verify_b64(keys->alipay_key, spans[0].at, spans[0].len, sign,
                                   strlen(sign)) != CRYPTO_OK)
        snprintf(why, whylen, "reply signature does not verify");
    else if (!(copy = malloc(spans[0].len + 1)))
        snprintf(why, whylen, "out of memory");
    else {
        memcpy(copy, spans[0].at, spans[0].len);
        copy[spans[0].len] = '\0';
    }
    cJSON_Delete(root);
    return copy;
}

void alipay_parse(const struct alipay_keys *keys, const struct gw_request *req,
                  const struct wire_response *resp, struct gw_reply *out)
{
    char key[64];
    const char *method = alipay_method(req->op);
    reply_start(out, req);
    out->server_time = wire_date(resp);
    if (resp->status != 200) {
        reply_set(out, GW_UNKNOWN, PAY_CAUSE_BAD_REPLY, NULL, "Alipay HTTP status %ld",
                  resp->status);
        return;
    }
    if (!resp->body || resp->body_len == 0 || resp->body_len > WIRE_BODY_MAX ||
        memchr(resp->body, '\0', resp->body_len)) {
        reply_set(out, GW_UNKNOWN, PAY_CAUSE_BAD_REPLY, NULL, "Alipay reply empty or oversized");
        return;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(resp->body, resp->body_len, &end, false);
    if (!root || !cJSON_IsObject(root) ||
        skip_ws(end, resp->body + resp->body_len) != resp->body + resp->body_len) {
        cJSON_Delete(root);
        reply_set(out, GW_UNKNOWN, PAY_CAUSE_BAD_REPLY, NULL, "Alipay reply is not valid JSON");
        return;
    }

    /* "alipay.trade.pay" -> "alipay_trade_pay_response" */
    snprintf(key, sizeof key, "%s_response", method);
    for (char *c = key; *c; c++)
        if (*c == '.')
            *c = '_';
    const char *names[] = {key, "error_response", "sign"};
    struct span spans[3] = {{0}};
    if (!find_members(resp->body, resp->body_len, names, spans, 3) || spans[0].count > 1 ||
        spans[1].count > 1 || spans[2].count > 1) {
        cJSON_Delete(root);
        reply_set(out, GW_UNKNOWN, PAY_CAUSE_BAD_REPLY, NULL,
                  "Alipay reply has a repeated or unreadable member");
        return;
    }
    int which = spans[0].count ? 0 : spans[1].count ? 1 : -1;
    const cJSON *obj = which >= 0 ? cJSON_GetObjectItemCaseSensitive(root, names[which]) : NULL;
    const char *sign = json_string(root, "sign");
    if (!cJSON_IsObject(obj)) {
        reply_set(out, GW_UNKNOWN, PAY_CAUSE_BAD_REPLY, NULL, "Alipay reply has no %s object", key);
    } else if (!sign) {
        /* error replies may come unsigned: unauthenticated, so they decide nothing */
        reply_set(out, GW_UNKNOWN, PAY_CAUSE_BAD_REPLY, NULL, "Alipay reply is not signed");
    } else if (crypto_rsa_verify_b64(keys->alipay_key, spans[which].at, spans[which].len, sign,
                                     strlen(sign)) != CRYPTO_OK) {
        reply_set(out, GW_UNKNOWN, PAY_CAUSE_BAD_REPLY, NULL,
                  "Alipay reply signature does not verify");
    } else if (!read_facts(obj, req->op, &out->said)) {
        memset(&out->said, 0, sizeof out->said);
        reply_set(out, GW_UNKNOWN, PAY_CAUSE_BAD_REPLY, NULL,
                  "Alipay reply has a malformed order, refund or trade number, amount or QR "
                  "payload");
    } else if (out->said.order_no_given && strcmp(out->said.order_no, req->order_no) != 0) {
        /* defence in depth: the engine compares too (README.md "What a reply says") */
        reply_set(out, GW_UNKNOWN, PAY_CAUSE_BAD_REPLY, NULL,
                  "Alipay reply is about another order");
    } else {
        map_codes(obj, req, out);
    }
    forget_qr_unless_believed(out);
    cJSON_Delete(root);
}
