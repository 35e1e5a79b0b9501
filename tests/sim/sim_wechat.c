/*
 * sim_wechat.c - the WeChat Pay APIv3 gateway for code payments: codepay, query by
 * out_trade_no (or transaction id), reverse, domestic refunds and their query; and for the
 * dynamic QR: Native orders and their close (204, no body).
 *
 * Requests must carry "Authorization: WECHATPAY2-SHA256-RSA2048 mchid=..,nonce_str=..,
 * signature=..,timestamp=..,serial_no=.." signed over "METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n"
 * with the merchant key; anything else is 401 SIGN_ERROR. Every reply, errors included, is
 * signed over "TIMESTAMP\nNONCE\nBODY\n" with the platform key and carries the Wechatpay-*
 * headers. Business errors are non-2xx replies with {"code","message"}.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim.h"

#define API_PAY      "/v3/pay/transactions/codepay"
#define API_BY_ORDER "/v3/pay/transactions/out-trade-no/"
#define API_BY_ID    "/v3/pay/transactions/id/"
#define API_REFUND   "/v3/refund/domestic/refunds"
#define API_NATIVE   "/v3/pay/transactions/native"

static cJSON *error_body(const char *code, const char *message)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "code", code);
    cJSON_AddStringToObject(o, "message", message);
    return o;
}

struct answer {
    unsigned status;
    cJSON *json; /* NULL with 204: no body */
};

static struct answer fail(unsigned status, const char *code, const char *message)
{
    return (struct answer){status, error_body(code, message)};
}

/* Authorization header fields; false unless all five are present. */
struct auth {
    char mchid[64], nonce[64], signature[700], timestamp[32], serial[128];
};

static bool parse_auth(const char *header, struct auth *a)
{
    static const char scheme[] = "WECHATPAY2-SHA256-RSA2048 ";
    memset(a, 0, sizeof *a);
    if (header == NULL || strncmp(header, scheme, sizeof scheme - 1) != 0)
        return false;
    const char *p = header + sizeof scheme - 1;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *eq = strchr(p, '=');
        if (eq == NULL || eq[1] != '"')
            return false;
        const char *val = eq + 2, *end = strchr(val, '"');
        if (end == NULL)
            return false;
        size_t klen = (size_t)(eq - p), vlen = (size_t)(end - val);
        struct {
            const char *name;
            char *dst;
            size_t size;
        } fields[] = {
            {"mchid", a->mchid, sizeof a->mchid},
            {"nonce_str", a->nonce, sizeof a->nonce},
            {"signature", a->signature, sizeof a->signature},
            {"timestamp", a->timestamp, sizeof a->timestamp},
            {"serial_no", a->serial, sizeof a->serial},
        };
        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
            if (strlen(fields[i].name) == klen && strncmp(p, fields[i].name, klen) == 0) {
                if (vlen >= fields[i].size)
                    return false;
                memcpy(fields[i].dst, val, vlen);
                fields[i].dst[vlen] = '\0';
            }
        }
        p = end + 1;
    }
    return a->mchid[0] && a->nonce[0] && a->signature[0] && a->timestamp[0] && a->serial[0];
}

static void reject_signature(struct sim *s)
{
    pthread_mutex_lock(&s->lock);
    s->rejected_signatures++;
    pthread_mutex_unlock(&s->lock);
}

/* NULL-returning checks give the 401 reply in *out. */
static bool authenticate(struct sim *s, const struct sim_request *req, struct answer *out)
{
    struct auth a;
    if (!parse_auth(req->authorization, &a)) {
        reject_signature(s);
        *out = fail(401, "SIGN_ERROR", "Authorization 头缺失或格式错误");
        return false;
    }
    if (strcmp(a.mchid, SIM_WECHAT_MCHID) != 0) {
        reject_signature(s);
        *out = fail(401, "SIGN_ERROR", "商户号不存在");
        return false;
    }
    if (strcmp(a.serial, SIM_WECHAT_MERCHANT_SERIAL) != 0) {
        reject_signature(s);
        *out = fail(401, "SIGN_ERROR", "商户证书序列号有误");
        return false;
    }
    char *end = NULL;
    long long ts = strtoll(a.timestamp, &end, 10);
    long long now = (long long)sim_wall_s();
    if (end == a.timestamp || *end != '\0' || ts - now > SIM_WECHAT_MAX_SKEW_S ||
        now - ts > SIM_WECHAT_MAX_SKEW_S) {
        reject_signature(s);
        *out = fail(401, "SIGN_ERROR", "请求时间戳与当前时间相差过大");
        return false;
    }
    size_t len = strlen(req->method) + strlen(req->raw_uri) + strlen(a.timestamp) +
                 strlen(a.nonce) + req->body_len + 8;
    char *msg = malloc(len);
    if (msg == NULL) {
        *out = fail(500, "SYSTEM_ERROR", "系统错误");
        return false;
    }
    int n = snprintf(msg, len, "%s\n%s\n%s\n%s\n", req->method, req->raw_uri, a.timestamp, a.nonce);
    memcpy(msg + n, req->body, req->body_len);
    msg[n + req->body_len] = '\n';
    bool ok =
        sim_verify_b64(s->wechat_merchant_public, msg, (size_t)n + req->body_len + 1, a.signature);
    free(msg);
    if (!ok) {
        reject_signature(s);
        *out = fail(401, "SIGN_ERROR", "签名错误");
        return false;
    }
    return true;
}

static const char *trade_state(const struct sim_trade *t, const char **desc)
{
    switch (t->state) {
    case TRADE_PAYING: *desc = "需要用户输入支付密码"; return "USERPAYING";
    case TRADE_WAITING: *desc = "未支付"; return "NOTPAY";
    case TRADE_CHARGED:
        if (t->refunded_fen > 0) {
            *desc = "转入退款";
            return "REFUND";
        }
        *desc = "支付成功";
        return "SUCCESS";
    case TRADE_REFUNDED: *desc = "转入退款"; return "REFUND";
    case TRADE_CANCELLED: *desc = "已撤销"; return "REVOKED";
    case TRADE_CLOSED:
        if (t->qr_payload[0] != '\0') {
            *desc = "已关闭";
            return "CLOSED";
        }
        break;
    }
    *desc = "支付失败";
    return "PAYERROR";
}

static cJSON *transaction(const struct sim_trade *t)
{
    const char *desc;
    const char *state = trade_state(t, &desc);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "appid", SIM_WECHAT_APPID);
    cJSON_AddStringToObject(o, "mchid", SIM_WECHAT_MCHID);
    cJSON_AddStringToObject(o, "out_trade_no", t->out_trade_no);
    if (t->charged > 0) {
        char when[32];
        sim_time_wechat(t->paid_wall, when);
        cJSON_AddStringToObject(o, "transaction_id", t->trade_no);
        cJSON_AddStringToObject(o, "bank_type", "OTHERS");
        cJSON_AddStringToObject(o, "success_time", when);
        cJSON *payer = cJSON_AddObjectToObject(o, "payer");
        cJSON_AddStringToObject(payer, "openid", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o");
    }
    cJSON_AddStringToObject(o, "trade_type", t->qr_payload[0] ? "NATIVE" : "MICROPAY");
    cJSON_AddStringToObject(o, "trade_state", state);
    cJSON_AddStringToObject(o, "trade_state_desc", desc);
    cJSON *amount = cJSON_AddObjectToObject(o, "amount");
    cJSON_AddNumberToObject(amount, "total", (double)t->amount_fen);
    if (t->charged > 0)
        cJSON_AddNumberToObject(amount, "payer_total", (double)t->amount_fen);
    cJSON_AddStringToObject(amount, "currency", "CNY");
    cJSON_AddStringToObject(amount, "payer_currency", "CNY");
    return o;
}

static struct answer pay_answer(enum sim_pay_result r, const struct sim_trade *t)
{
    switch (r) {
    case SIM_PAY_CHARGED: return (struct answer){200, transaction(t)};
    case SIM_PAY_PAYING: return fail(202, "USERPAYING", "需要用户输入支付密码");
    case SIM_PAY_NO_FUNDS: return fail(403, "NOTENOUGH", "用户余额不足");
    case SIM_PAY_CODE_INVALID:
        return fail(403, "AUTHCODEEXPIRE", "二维码已过期，请用户在微信上刷新后再试");
    case SIM_PAY_ORDER_CLOSED: return fail(400, "ORDER_CLOSED", "订单已关闭");
    case SIM_PAY_ALREADY_PAID: return fail(400, "ORDERPAID", "该订单已支付");
    case SIM_PAY_INCONSISTENT: return fail(400, "INVALID_REQUEST", "参数与首次请求时不一致");
    }
    return fail(500, "SYSTEM_ERROR", "系统错误");
}

static struct answer refund_answer(enum sim_refund_result r, const struct sim_trade *t,
                                   const struct sim_refund *rf, int64_t now)
{
    switch (r) {
    case SIM_REFUND_DONE:
    case SIM_REFUND_REPEATED: {
        char when[32];
        sim_time_wechat(sim_wall_s(), when);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "refund_id", rf->refund_id);
        cJSON_AddStringToObject(o, "out_refund_no", rf->request_no);
        cJSON_AddStringToObject(o, "transaction_id", t->trade_no);
        cJSON_AddStringToObject(o, "out_trade_no", t->out_trade_no);
        cJSON_AddStringToObject(o, "channel", "ORIGINAL");
        cJSON_AddStringToObject(o, "user_received_account", "支付用户零钱");
        bool settled = now >= rf->settles_at;
        if (settled)
            cJSON_AddStringToObject(o, "success_time", when);
        cJSON_AddStringToObject(o, "create_time", when);
        cJSON_AddStringToObject(o, "status", settled ? "SUCCESS" : "PROCESSING");
        cJSON_AddStringToObject(o, "funds_account", "AVAILABLE");
        cJSON *amount = cJSON_AddObjectToObject(o, "amount");
        cJSON_AddNumberToObject(amount, "total", (double)t->amount_fen);
        cJSON_AddNumberToObject(amount, "refund", (double)rf->amount_fen);
        cJSON_AddNumberToObject(amount, "payer_total", (double)t->amount_fen);
        cJSON_AddNumberToObject(amount, "payer_refund", (double)rf->amount_fen);
        cJSON_AddNumberToObject(amount, "settlement_refund", (double)rf->amount_fen);
        cJSON_AddNumberToObject(amount, "settlement_total", (double)t->amount_fen);
        cJSON_AddNumberToObject(amount, "discount_refund", 0);
        cJSON_AddStringToObject(amount, "currency", "CNY");
        return (struct answer){200, o};
    }
    case SIM_REFUND_NOT_FOUND: return fail(404, "RESOURCE_NOT_EXISTS", "订单不存在");
    case SIM_REFUND_NOT_PAID: return fail(400, "INVALID_REQUEST", "订单未支付或已关闭，不能退款");
    case SIM_REFUND_EXCEEDS: return fail(403, "NOT_ENOUGH", "申请退款金额超过订单可退金额");
    case SIM_REFUND_INCONSISTENT: return fail(400, "INVALID_REQUEST", "退款参数与首次请求时不一致");
    }
    return fail(500, "SYSTEM_ERROR", "系统错误");
}

static struct answer qr_answer(enum sim_qr_result r, const struct sim_trade *t)
{
    switch (r) {
    case SIM_QR_CREATED:
    case SIM_QR_REPEATED: {
        /* the documented reply holds code_url alone */
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "code_url", t->qr_payload);
        return (struct answer){200, o};
    }
    case SIM_QR_CLOSED: return fail(400, "ORDER_CLOSED", "订单已关闭");
    case SIM_QR_PAID: return fail(400, "ORDERPAID", "该订单已支付");
    case SIM_QR_INCONSISTENT: return fail(400, "INVALID_REQUEST", "参数与首次请求时不一致");
    }
    return fail(500, "SYSTEM_ERROR", "系统错误");
}

static struct answer close_answer(enum sim_close_result r)
{
    switch (r) {
    case SIM_CLOSE_CLOSED:
    case SIM_CLOSE_REPEATED: return (struct answer){204, NULL};
    case SIM_CLOSE_PAID: return fail(400, "ORDERPAID", "订单已支付，不能关单");
    case SIM_CLOSE_NOT_FOUND: return fail(404, "ORDER_NOT_EXIST", "订单不存在");
    }
    return fail(500, "SYSTEM_ERROR", "系统错误");
}

/* time_expire, RFC 3339 "2026-11-24T09:31:11+08:00" (any offset), as unix s; -1 when not. */
static int64_t rfc3339_seconds(const char *text)
{
    struct tm tm;
    char sign;
    int oh, om, n = 0;
    memset(&tm, 0, sizeof tm);
    if (strlen(text) != 25 ||
        sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%c%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &sign, &oh, &om, &n) != 9 ||
        n != 25 || (sign != '+' && sign != '-') || tm.tm_mon < 1 || tm.tm_mon > 12 ||
        tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    int64_t offset = (oh * 3600LL + om * 60LL) * (sign == '+' ? 1 : -1);
    return (int64_t)timegm(&tm) - offset;
}

static bool order_no_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 6 || n > 32)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  c == '_' || c == '-' || c == '|' || c == '*';
        if (!ok)
            return false;
    }
    return true;
}

static const char *str_at(const cJSON *o, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* Integer JSON number, false when absent or not a whole number. */
static bool int_at(const cJSON *o, const char *key, int64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int64_t)v->valuedouble)
        return false;
    *out = (int64_t)v->valuedouble;
    return true;
}

/* mchid=... from the raw query string. */
static bool query_mchid_ok(const char *query)
{
    static const char key[] = "mchid=";
    for (const char *p = query; p && *p;) {
        if (strncmp(p, key, sizeof key - 1) == 0) {
            const char *v = p + sizeof key - 1;
            size_t len = strcspn(v, "&");
            return len == strlen(SIM_WECHAT_MCHID) && strncmp(v, SIM_WECHAT_MCHID, len) == 0;
        }
        p = strchr(p, '&');
        if (p)
            p++;
    }
    return false;
}

struct call {
    enum sim_op op;
    bool refund_query; /* SIM_OP_QUERY of a refund (request_no), not of a trade */
    char order[65];
    const char *auth_code;
    const char *subject; /* pay: the description */
    int64_t amount_fen;
    int64_t total_fen;
    const char *request_no;
    int64_t expires_wall; /* Native: time_expire */
};

static bool http_fault(enum sim_fault f)
{
    return f == FAULT_HTTP_500 || f == FAULT_HTTP_502 || f == FAULT_HTTP_503;
}

/* Route and validate; false with the error answer in *out. */
static bool read_call(struct sim *s, const struct sim_request *req, const cJSON *body,
                      struct call *c, struct answer *out)
{
    const char *path = req->path;
    bool post = strcmp(req->method, "POST") == 0, get = strcmp(req->method, "GET") == 0;
    size_t by_order = strlen(API_BY_ORDER), by_id = strlen(API_BY_ID);
    if (post && strcmp(path, API_PAY) == 0) {
        c->op = SIM_OP_PAY;
    } else if (post && strcmp(path, API_NATIVE) == 0) {
        c->op = SIM_OP_QR;
    } else if (post && strcmp(path, API_REFUND) == 0) {
        c->op = SIM_OP_REFUND;
    } else if (get && strncmp(path, API_REFUND "/", sizeof API_REFUND) == 0 &&
               path[sizeof API_REFUND] != '\0') {
        c->op = SIM_OP_QUERY;
        c->refund_query = true;
        c->request_no = path + sizeof API_REFUND;
        return true;
    } else if (strncmp(path, API_BY_ORDER, by_order) == 0) {
        const char *no = path + by_order;
        const char *slash = strchr(no, '/');
        size_t len = slash ? (size_t)(slash - no) : strlen(no);
        if (len == 0 || len >= sizeof c->order) {
            *out = fail(400, "PARAM_ERROR", "out_trade_no 格式错误");
            return false;
        }
        memcpy(c->order, no, len);
        c->order[len] = '\0';
        if (slash == NULL && get) {
            c->op = SIM_OP_QUERY;
        } else if (slash != NULL && post && strcmp(slash, "/reverse") == 0) {
            c->op = SIM_OP_CANCEL;
        } else if (slash != NULL && post && strcmp(slash, "/close") == 0) {
            c->op = SIM_OP_CLOSE;
        } else {
            *out = fail(404, "NOT_FOUND", "请求的资源不存在");
            return false;
        }
    } else if (get && strncmp(path, API_BY_ID, by_id) == 0) {
        c->op = SIM_OP_QUERY;
        pthread_mutex_lock(&s->lock);
        const char *order = sim_ledger_order_of(s->ledger, path + by_id);
        snprintf(c->order, sizeof c->order, "%s", order ? order : "");
        pthread_mutex_unlock(&s->lock);
        if (order == NULL) {
            *out = fail(404, "ORDER_NOT_EXIST", "订单不存在");
            return false;
        }
    } else {
        *out = fail(404, "NOT_FOUND", "请求的资源不存在");
        return false;
    }

    if (c->op == SIM_OP_QUERY) {
        if (!query_mchid_ok(req->query)) {
            *out = fail(400, "PARAM_ERROR", "mchid 缺失或与商户号不符");
            return false;
        }
        return true;
    }
    if (!cJSON_IsObject(body)) {
        *out = fail(400, "PARAM_ERROR", "请求体不是合法的JSON对象");
        return false;
    }
    if (c->op == SIM_OP_REFUND) {
        const char *order = str_at(body, "out_trade_no");
        const char *txn = str_at(body, "transaction_id");
        if ((order == NULL || *order == '\0') && txn != NULL) {
            pthread_mutex_lock(&s->lock);
            order = sim_ledger_order_of(s->ledger, txn);
            snprintf(c->order, sizeof c->order, "%s", order ? order : "");
            pthread_mutex_unlock(&s->lock);
            if (order == NULL) {
                *out = fail(404, "RESOURCE_NOT_EXISTS", "订单不存在");
                return false;
            }
        } else if (order != NULL && strlen(order) < sizeof c->order) {
            snprintf(c->order, sizeof c->order, "%s", order);
        } else {
            *out = fail(400, "PARAM_ERROR", "缺少参数 out_trade_no 或 transaction_id");
            return false;
        }
        c->request_no = str_at(body, "out_refund_no");
        const cJSON *amount = cJSON_GetObjectItemCaseSensitive(body, "amount");
        const char *currency = str_at(amount, "currency");
        if (c->request_no == NULL || *c->request_no == '\0' || strlen(c->request_no) > 64) {
            *out = fail(400, "PARAM_ERROR", "缺少参数 out_refund_no");
            return false;
        }
        if (!int_at(amount, "refund", &c->amount_fen) || !int_at(amount, "total", &c->total_fen) ||
            c->amount_fen <= 0 || currency == NULL || strcmp(currency, "CNY") != 0) {
            *out = fail(400, "PARAM_ERROR", "amount.refund / amount.total / amount.currency 有误");
            return false;
        }
        return true;
    }
    if (c->op == SIM_OP_CLOSE) {
        /* the close names the merchant alone */
        const char *mchid = str_at(body, "mchid");
        if (mchid == NULL || strcmp(mchid, SIM_WECHAT_MCHID) != 0) {
            *out = fail(400, "PARAM_ERROR", "mchid 缺失或与商户号不符");
            return false;
        }
        return true;
    }
    /* pay, reverse and Native orders name the app and merchant in the body. */
    const char *appid = str_at(body, "appid"), *mchid = str_at(body, "mchid");
    if (appid == NULL || mchid == NULL) {
        *out = fail(400, "PARAM_ERROR", "缺少参数 appid 或 mchid");
        return false;
    }
    if (strcmp(appid, SIM_WECHAT_APPID) != 0 || strcmp(mchid, SIM_WECHAT_MCHID) != 0) {
        *out = fail(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配");
        return false;
    }
    if (c->op == SIM_OP_CANCEL)
        return true;

    const char *desc = str_at(body, "description"), *order = str_at(body, "out_trade_no");
    const cJSON *payer = cJSON_GetObjectItemCaseSensitive(body, "payer");
    const cJSON *amount = cJSON_GetObjectItemCaseSensitive(body, "amount");
    const cJSON *scene = cJSON_GetObjectItemCaseSensitive(body, "scene_info");
    const cJSON *store = cJSON_GetObjectItemCaseSensitive(scene, "store_info");
    const char *currency = str_at(amount, "currency");
    if (desc == NULL || *desc == '\0' || strlen(desc) > 127) {
        *out = fail(400, "PARAM_ERROR", "缺少参数 description 或其过长");
        return false;
    }
    if (order == NULL || !order_no_valid(order)) {
        *out = fail(400, "PARAM_ERROR", "out_trade_no 缺失或格式错误（6-32位字母数字_-|*）");
        return false;
    }
    snprintf(c->order, sizeof c->order, "%s", order);
    c->subject = desc;
    if (!int_at(amount, "total", &c->amount_fen) || c->amount_fen <= 0 ||
        (currency != NULL && strcmp(currency, "CNY") != 0)) {
        *out = fail(400, "PARAM_ERROR", "amount.total 须为正整数（分），currency 为 CNY");
        return false;
    }
    if (c->op == SIM_OP_QR) {
        const char *notify = str_at(body, "notify_url"), *expire = str_at(body, "time_expire");
        if (notify == NULL || strlen(notify) > 255 ||
            (strncmp(notify, "https://", 8) != 0 && strncmp(notify, "http://", 7) != 0)) {
            *out = fail(400, "PARAM_ERROR", "notify_url 缺失或格式错误");
            return false;
        }
        int64_t created = sim_wall_s();
        /* without time_expire an order is payable seven days; never less than a minute */
        c->expires_wall = expire ? rfc3339_seconds(expire) : created + 7 * 86400;
        if (expire && c->expires_wall < 0) {
            *out = fail(400, "PARAM_ERROR", "time_expire 格式错误（rfc3339）");
            return false;
        }
        if (c->expires_wall < created + 60)
            c->expires_wall = created + 60;
        return true;
    }
    const char *out_id = str_at(store, "out_id");
    if (!cJSON_IsObject(scene) || out_id == NULL || *out_id == '\0') {
        *out = fail(400, "PARAM_ERROR", "缺少参数 scene_info.store_info.out_id");
        return false;
    }
    c->auth_code = str_at(payer, "auth_code");
    if (c->auth_code == NULL || !sim_code_is_wechat(c->auth_code)) {
        *out = fail(400, "PARAM_ERROR", "付款码无效，请扫描微信支付付款码（10-15开头的18位数字）");
        return false;
    }
    return true;
}

/* Signs the reply and sets its headers, or spoils them as the fault says: other bytes signed
 * (bad_signature), no signature (unsigned_reply), a probe (signature_probe), or a timestamp
 * ten minutes old, correctly signed (stale_timestamp). */
static void sign_reply(struct sim *s, struct sim_reply *rep, enum sim_fault fault)
{
    char ts[24], nonce[33], request_id[33], sig[512] = "";
    long long when = (long long)sim_wall_s() - (fault == FAULT_STALE_TIMESTAMP ? 600 : 0);
    snprintf(ts, sizeof ts, "%lld", when);
    sim_random_alnum(nonce, 32);
    sim_random_alnum(request_id, 32);
    size_t len = strlen(ts) + strlen(nonce) + rep->body_len + 8;
    char *msg = malloc(len);
    if (msg != NULL) {
        int n = snprintf(msg, len, "%s\n%s\n", ts, nonce);
        memcpy(msg + n, rep->body, rep->body_len);
        msg[n + rep->body_len] = fault == FAULT_BAD_SIGNATURE ? ' ' : '\n';
        sim_sign_b64(s->wechat_platform_private, msg, (size_t)n + rep->body_len + 1, sig,
                     sizeof sig);
        free(msg);
    }
    if (fault == FAULT_SIGNATURE_PROBE) {
        /* WeChat's own check that merchants verify: this must never verify. */
        char noise[65];
        sim_random_alnum(noise, 64);
        snprintf(sig, sizeof sig, "WECHATPAY/SIGNTEST/%s", noise);
    }
    sim_reply_header(rep, "Wechatpay-Timestamp", ts);
    sim_reply_header(rep, "Wechatpay-Nonce", nonce);
    if (fault != FAULT_UNSIGNED)
        sim_reply_header(rep, "Wechatpay-Signature", sig);
    sim_reply_header(rep, "Wechatpay-Serial", SIM_WECHAT_PLATFORM_SERIAL);
    sim_reply_header(rep, "Request-Id", request_id);
}

void sim_wechat_handle(struct sim *s, const struct sim_request *req, struct sim_reply *rep)
{
    struct answer a = {0, NULL};
    struct sim_plan plan = {"", BIZ_NORMAL, FAULT_NONE, 0, 0, false, 0, 0};
    struct call c;
    memset(&c, 0, sizeof c);
    cJSON *body = NULL;
    if (!authenticate(s, req, &a))
        goto send;
    /* The APIv3 basic rules: JSON both ways, and the request must say so. */
    if (req->accept == NULL || strstr(req->accept, "application/json") == NULL) {
        a = fail(400, "INVALID_REQUEST", "请求须设置 HTTP 头 Accept: application/json");
        goto send;
    }
    if (strcmp(req->method, "POST") == 0 &&
        (req->content_type == NULL || strncmp(req->content_type, "application/json", 16) != 0)) {
        a = fail(400, "INVALID_REQUEST", "请求须设置 HTTP 头 Content-Type: application/json");
        goto send;
    }
    if (strcmp(req->method, "GET") == 0 && strcmp(req->path, "/v3/bill/tradebill") == 0) {
        a.json = sim_bill_wechat_answer(s, req, &a.status);
        snprintf(rep->summary, sizeof rep->summary, "wechat bill");
        goto send;
    }
    if (strcmp(req->method, "GET") == 0 && strcmp(req->path, "/v3/billdownload/file") == 0) {
        /* the file's reply carries no signature: hash_value vouches for it */
        sim_bill_wechat_file(s, req, rep);
        snprintf(rep->summary, sizeof rep->summary, "wechat bill file");
        return;
    }
    if (req->body_len > 0)
        body = cJSON_ParseWithLength(req->body, req->body_len);
    if (!read_call(s, req, body, &c, &a))
        goto send;

    pthread_mutex_lock(&s->lock);
    plan = sim_plan_for(s, CHANNEL_WECHAT, c.op, c.auth_code ? c.auth_code : "");
    sim_reply_summary(rep, CHANNEL_WECHAT, c.op, c.order, c.auth_code, plan.name);
    if (http_fault(plan.fault) && !plan.commit) {
        pthread_mutex_unlock(&s->lock);
        rep->fault = plan.fault;
        cJSON_Delete(body);
        return;
    }
    int64_t now = sim_now_ms();
    struct sim_trade *t = NULL;
    if (plan.biz == BIZ_SYSTEM_ERROR) {
        a = fail(500, "SYSTEM_ERROR", "系统错误");
    } else if (c.op == SIM_OP_PAY) {
        enum sim_pay_result r = sim_ledger_pay(s->ledger, CHANNEL_WECHAT, c.order, c.auth_code,
                                               c.amount_fen, &plan, now, &t);
        sim_ledger_note_subject(s->ledger, t, c.subject, now);
        a = t ? pay_answer(r, t) : fail(500, "SYSTEM_ERROR", "系统错误");
    } else if (c.op == SIM_OP_QUERY && c.refund_query) {
        const struct sim_refund *rf =
            plan.biz == BIZ_HIDDEN ? NULL
                                   : sim_ledger_find_refund(s->ledger, c.request_no, now, &t);
        a = rf ? refund_answer(SIM_REFUND_REPEATED, t, rf, now)
               : fail(404, "RESOURCE_NOT_EXISTS", "退款单不存在");
    } else if (c.op == SIM_OP_QUERY) {
        t = plan.biz == BIZ_HIDDEN ? NULL : sim_ledger_query(s->ledger, c.order, now);
        if (t != NULL && sim_ledger_query_throttled(t, s->query_limit_ms, now)) {
            /* APIv3 common error codes: 429 FREQUENCY_LIMITED "频率超限" */
            a = fail(429, "FREQUENCY_LIMITED", "频率超限，请降低请求接口频率");
        } else {
            if (t != NULL)
                t->query_requests++;
            a = t ? (struct answer){200, transaction(t)}
                  : fail(404, "ORDER_NOT_EXIST", "订单不存在");
        }
    } else if (c.op == SIM_OP_QR) {
        enum sim_qr_result r = sim_ledger_qr_create(
            s->ledger, CHANNEL_WECHAT, c.order, c.amount_fen, c.expires_wall, plan.name, now, &t);
        a = t ? qr_answer(r, t) : fail(500, "SYSTEM_ERROR", "系统错误");
    } else if (c.op == SIM_OP_CLOSE) {
        a = close_answer(sim_ledger_qr_close(s->ledger, c.order, true, now, &t));
    } else if (c.op == SIM_OP_CANCEL) {
        enum sim_cancel_result r = sim_ledger_cancel(s->ledger, CHANNEL_WECHAT, c.order,
                                                     plan.biz == BIZ_CANCEL_REFUSED, true, now, &t);
        if (r == SIM_CANCEL_BUSY) {
            a = fail(400, "USERPAYING", "用户正在支付中，不能撤销，请稍后重试");
        } else if (t == NULL || r == SIM_CANCEL_RETRY) {
            a = fail(500, "SYSTEM_ERROR", "系统错误，请稍后重试");
        } else {
            a.status = 200;
            a.json = cJSON_CreateObject();
            cJSON_AddStringToObject(a.json, "appid", SIM_WECHAT_APPID);
            cJSON_AddStringToObject(a.json, "mchid", SIM_WECHAT_MCHID);
            cJSON_AddStringToObject(a.json, "out_trade_no", c.order);
        }
    } else {
        const struct sim_refund *rf = NULL;
        enum sim_refund_result r =
            sim_ledger_refund(s->ledger, c.order, c.request_no, c.amount_fen, c.total_fen,
                              plan.biz == BIZ_REFUND_SLOW ? plan.seconds : 0,
                              sim_plan_grant(&plan, c.amount_fen), now, &t, &rf);
        a = refund_answer(r, t, rf, now);
    }
    pthread_mutex_unlock(&s->lock);

send:;
    if (plan.fault == FAULT_NO_ORDER)
        cJSON_DeleteItemFromObjectCaseSensitive(a.json, "out_trade_no");
    if (plan.fault == FAULT_NO_AMOUNT)
        sim_json_drop_amounts(a.json);
    if (plan.fault == FAULT_OTHER_ORDER && cJSON_HasObjectItem(a.json, "out_trade_no")) {
        char other[80];
        sim_other_order(str_at(a.json, "out_trade_no"), other, sizeof other);
        cJSON_ReplaceItemInObjectCaseSensitive(a.json, "out_trade_no", cJSON_CreateString(other));
    }
    char *text = a.json ? cJSON_PrintUnformatted(a.json) : strdup("");
    if (text != NULL && plan.fault == FAULT_MALFORMED)
        sim_text_malform(text);
    sim_reply_body(rep, a.status, "application/json; charset=utf-8", text);
    sign_reply(s, rep, plan.fault);
    rep->fault = plan.fault;
    rep->delay_s = plan.seconds;
    cJSON_Delete(a.json);
    cJSON_Delete(body);
}
