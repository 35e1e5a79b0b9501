/*
 * sim_alipay.c - the Alipay OpenAPI gateway (gateway.do): alipay.trade.pay, .query, .cancel,
 * .refund, .fastpay.refund.query, and the dynamic QR's .precreate and .close, as the real one
 * answers them. A precreated order exists at Alipay only once the customer has scanned it:
 * before that, its query and its close answer ACQ.TRADE_NOT_EXIST (README.md).
 *
 * Requests: form-encoded (protocol fields may also come in the query string), RSA2 signature
 * over every non-empty parameter but `sign`, sorted by key, joined k=v& with raw values.
 * Replies: {"<method>_response":{...},"sign":"..."}, signed over the exact bytes of the
 * response object with the platform key. A request whose signature does not verify gets
 * 40002 isv.invalid-signature, whose sub_msg quotes the string the gateway checked (as the
 * real gateway does), which is what one needs to find a wrong sign string.
 */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim.h"

#define FORM_MAX 48

struct form {
    struct {
        char *key, *value;
    } p[FORM_MAX];
    int n;
    bool overflow;
};

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* application/x-www-form-urlencoded decoding: '+' is a space, %XX a byte. */
static char *form_decode(const char *s, size_t len)
{
    char *out = malloc(len + 1), *o = out;
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '+') {
            *o++ = ' ';
        } else if (s[i] == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            *o++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

static void form_parse(struct form *f, const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && s[end] != '&')
            end++;
        if (end > i) {
            size_t eq = i;
            while (eq < end && s[eq] != '=')
                eq++;
            if (f->n == FORM_MAX) {
                f->overflow = true;
                return;
            }
            f->p[f->n].key = form_decode(s + i, eq - i);
            f->p[f->n].value = eq < end ? form_decode(s + eq + 1, end - eq - 1) : strdup("");
            f->n++;
        }
        i = end + 1;
    }
}

static void form_free(struct form *f)
{
    for (int i = 0; i < f->n; i++) {
        free(f->p[i].key);
        free(f->p[i].value);
    }
}

/* First occurrence, "" when absent. */
static const char *form_get(const struct form *f, const char *key)
{
    for (int i = 0; i < f->n; i++)
        if (f->p[i].key && strcmp(f->p[i].key, key) == 0)
            return f->p[i].value ? f->p[i].value : "";
    return "";
}

static int key_order(const void *a, const void *b)
{
    const char *const *x = a, *const *y = b;
    return strcmp(*x, *y);
}

/* The RSA2 sign content: all parameters except sign, empty ones dropped, sorted, raw. */
static char *sign_content(const struct form *f)
{
    const char *keys[FORM_MAX];
    int n = 0;
    size_t total = 1;
    for (int i = 0; i < f->n; i++) {
        const char *k = f->p[i].key, *v = f->p[i].value;
        if (k == NULL || v == NULL || *k == '\0' || *v == '\0' || strcmp(k, "sign") == 0)
            continue;
        bool seen = false;
        for (int j = 0; j < n; j++)
            seen = seen || strcmp(keys[j], k) == 0;
        if (seen)
            continue;
        keys[n++] = k;
        total += strlen(k) + strlen(v) + 2;
    }
    qsort(keys, (size_t)n, sizeof keys[0], key_order);
    char *out = malloc(total), *o = out;
    if (out == NULL)
        return NULL;
    *o = '\0';
    for (int i = 0; i < n; i++)
        o += sprintf(o, "%s%s=%s", i ? "&" : "", keys[i], form_get(f, keys[i]));
    return out;
}

static cJSON *failure(const char *code, const char *msg, const char *sub_code, const char *sub_msg)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "code", code);
    cJSON_AddStringToObject(o, "msg", msg);
    if (sub_code) {
        cJSON_AddStringToObject(o, "sub_code", sub_code);
        cJSON_AddStringToObject(o, "sub_msg", sub_msg);
    }
    return o;
}

static cJSON *missing(const char *sub_code, const char *sub_msg)
{
    return failure("40001", "Missing Required Arguments", sub_code, sub_msg);
}

static cJSON *invalid(const char *sub_code, const char *sub_msg)
{
    return failure("40002", "Invalid Arguments", sub_code, sub_msg);
}

static cJSON *business(const char *sub_code, const char *sub_msg)
{
    return failure("40004", "Business Failed", sub_code, sub_msg);
}

static void add_yuan(cJSON *o, const char *name, int64_t fen)
{
    char y[32];
    sim_yuan_format(fen, y);
    cJSON_AddStringToObject(o, name, y);
}

static void add_time(cJSON *o, const char *name, int64_t unix_s)
{
    char t[32];
    sim_time_alipay(unix_s, t);
    cJSON_AddStringToObject(o, name, t);
}

static cJSON *success(const struct sim_trade *t, const char *code, const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "code", code);
    cJSON_AddStringToObject(o, "msg", msg);
    cJSON_AddStringToObject(o, "trade_no", t->trade_no);
    cJSON_AddStringToObject(o, "out_trade_no", t->out_trade_no);
    cJSON_AddStringToObject(o, "buyer_logon_id", "159****5620");
    return o;
}

static cJSON *pay_reply(enum sim_pay_result r, const struct sim_trade *t)
{
    switch (r) {
    case SIM_PAY_CHARGED: {
        cJSON *o = success(t, "10000", "Success");
        add_yuan(o, "total_amount", t->amount_fen);
        add_yuan(o, "receipt_amount", t->amount_fen);
        add_yuan(o, "buyer_pay_amount", t->amount_fen);
        add_yuan(o, "invoice_amount", t->amount_fen);
        add_time(o, "gmt_payment", t->paid_wall);
        cJSON *bills = cJSON_AddArrayToObject(o, "fund_bill_list");
        cJSON *bill = cJSON_CreateObject();
        cJSON_AddStringToObject(bill, "fund_channel", "ALIPAYACCOUNT");
        add_yuan(bill, "amount", t->amount_fen);
        cJSON_AddItemToArray(bills, bill);
        cJSON_AddStringToObject(o, "buyer_user_id", "2088102177846880");
        return o;
    }
    case SIM_PAY_PAYING: {
        cJSON *o = success(t, "10003", " order success pay inprocess");
        add_yuan(o, "total_amount", t->amount_fen);
        return o;
    }
    case SIM_PAY_NO_FUNDS: return business("ACQ.BUYER_BALANCE_NOT_ENOUGH", "买家余额不足");
    case SIM_PAY_CODE_INVALID:
        return business("ACQ.PAYMENT_AUTH_CODE_INVALID",
                        "支付失败，获取顾客账户信息失败，请顾客刷新付款码后重新收款");
    case SIM_PAY_ORDER_CLOSED: return business("ACQ.TRADE_HAS_CLOSE", "交易已经关闭");
    case SIM_PAY_ALREADY_PAID: return business("ACQ.TRADE_HAS_SUCCESS", "交易已被支付");
    case SIM_PAY_INCONSISTENT: return business("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改");
    }
    return business("ACQ.SYSTEM_ERROR", "系统错误");
}

/* alipay.trade.fastpay.refund.query: 10000 either way; the refund's facts and refund_status
 * REFUND_SUCCESS only when the gateway has that refund and it has settled. A request number
 * it does not know is a bare 10000 (the documented "no refund_status: not received or
 * failed"). */
static cJSON *refund_query_reply(const struct sim_trade *t, const struct sim_refund *rf,
                                 int64_t now)
{
    if (t == NULL)
        return business("ACQ.TRADE_NOT_EXIST", "交易不存在");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "code", "10000");
    cJSON_AddStringToObject(o, "msg", "Success");
    if (rf == NULL)
        return o;
    cJSON_AddStringToObject(o, "trade_no", t->trade_no);
    cJSON_AddStringToObject(o, "out_trade_no", t->out_trade_no);
    cJSON_AddStringToObject(o, "out_request_no", rf->request_no);
    add_yuan(o, "total_amount", t->amount_fen);
    add_yuan(o, "refund_amount", rf->amount_fen);
    if (now >= rf->settles_at)
        cJSON_AddStringToObject(o, "refund_status", "REFUND_SUCCESS");
    return o;
}

static const char *trade_status(const struct sim_trade *t)
{
    switch (t->state) {
    case TRADE_PAYING:
    case TRADE_WAITING: return "WAIT_BUYER_PAY";
    case TRADE_CHARGED: return "TRADE_SUCCESS";
    case TRADE_REFUNDED:
    case TRADE_CANCELLED:
    case TRADE_CLOSED: return "TRADE_CLOSED";
    }
    return "TRADE_CLOSED";
}

static cJSON *query_reply(const struct sim_trade *t)
{
    if (t == NULL)
        return business("ACQ.TRADE_NOT_EXIST", "交易不存在");
    cJSON *o = success(t, "10000", "Success");
    cJSON_AddStringToObject(o, "trade_status", trade_status(t));
    add_yuan(o, "total_amount", t->amount_fen);
    if (t->charged > 0) {
        add_yuan(o, "receipt_amount", t->amount_fen);
        add_yuan(o, "buyer_pay_amount", t->amount_fen);
        add_time(o, "send_pay_date", t->paid_wall);
    }
    cJSON_AddStringToObject(o, "buyer_user_id", "2088102177846880");
    return o;
}

static cJSON *cancel_reply(enum sim_cancel_result r, const struct sim_trade *t)
{
    if (r == SIM_CANCEL_RETRY) {
        cJSON *o = business("ACQ.SYSTEM_ERROR", "系统错误，请重试");
        cJSON_AddStringToObject(o, "retry_flag", "Y");
        return o;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "code", "10000");
    cJSON_AddStringToObject(o, "msg", "Success");
    if (t->trade_no[0])
        cJSON_AddStringToObject(o, "trade_no", t->trade_no);
    cJSON_AddStringToObject(o, "out_trade_no", t->out_trade_no);
    cJSON_AddStringToObject(o, "retry_flag", "N");
    cJSON_AddStringToObject(o, "action", r == SIM_CANCEL_REFUNDED ? "refund" : "close");
    if (r == SIM_CANCEL_REFUNDED)
        add_time(o, "gmt_refund_pay", sim_wall_s());
    return o;
}

static cJSON *qr_reply(enum sim_qr_result r, const struct sim_trade *t)
{
    switch (r) {
    case SIM_QR_CREATED:
    case SIM_QR_REPEATED: {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "code", "10000");
        cJSON_AddStringToObject(o, "msg", "Success");
        cJSON_AddStringToObject(o, "out_trade_no", t->out_trade_no);
        cJSON_AddStringToObject(o, "qr_code", t->qr_payload);
        return o;
    }
    case SIM_QR_CLOSED: return business("ACQ.TRADE_HAS_CLOSE", "交易已经关闭");
    case SIM_QR_PAID: return business("ACQ.TRADE_HAS_SUCCESS", "交易已被支付");
    case SIM_QR_INCONSISTENT: return business("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改");
    }
    return business("ACQ.SYSTEM_ERROR", "系统错误");
}

static cJSON *close_reply(enum sim_close_result r, const struct sim_trade *t)
{
    switch (r) {
    case SIM_CLOSE_CLOSED:
    case SIM_CLOSE_REPEATED: return success(t, "10000", "Success");
    case SIM_CLOSE_PAID: return business("ACQ.TRADE_STATUS_ERROR", "交易状态不合法");
    case SIM_CLOSE_NOT_FOUND: return business("ACQ.TRADE_NOT_EXIST", "交易不存在");
    }
    return business("ACQ.SYSTEM_ERROR", "系统错误");
}

/* timeout_express "90m", "2h", "1d" (1m to 15d; "1c" is not taken) in seconds; -1 when not. */
static int64_t timeout_seconds(const char *text)
{
    char *end = NULL;
    long n = strtol(text, &end, 10);
    if (end == text || n < 1 || strlen(end) != 1)
        return -1;
    int64_t s = *end == 'm' ? n * 60LL : *end == 'h' ? n * 3600LL : *end == 'd' ? n * 86400LL : -1;
    return s >= 60 && s <= 15 * 86400LL ? s : -1;
}

static cJSON *refund_reply(enum sim_refund_result r, const struct sim_trade *t,
                           const struct sim_refund *rf, int64_t now)
{
    switch (r) {
    case SIM_REFUND_DONE:
    case SIM_REFUND_REPEATED: {
        cJSON *o = success(t, "10000", "Success");
        /* fund_change Y: money moved in this call. Still processing: not yet. */
        bool moved = r == SIM_REFUND_DONE && now >= rf->settles_at;
        cJSON_AddStringToObject(o, "fund_change", moved ? "Y" : "N");
        add_yuan(o, "refund_fee", t->refunded_fen);
        add_time(o, "gmt_refund_pay", sim_wall_s());
        cJSON_AddStringToObject(o, "buyer_user_id", "2088102177846880");
        add_yuan(o, "send_back_fee", rf->amount_fen);
        return o;
    }
    case SIM_REFUND_NOT_FOUND: return business("ACQ.TRADE_NOT_EXIST", "交易不存在");
    case SIM_REFUND_NOT_PAID: return business("ACQ.TRADE_STATUS_ERROR", "交易状态不合法");
    case SIM_REFUND_EXCEEDS: return business("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限");
    case SIM_REFUND_INCONSISTENT:
        return business("ACQ.INVALID_PARAMETER", "同一退款请求号的退款金额与首次请求不一致");
    }
    return business("ACQ.SYSTEM_ERROR", "系统错误");
}

/* "yyyy-MM-dd HH:mm:ss" with plausible field values. */
static bool timestamp_valid(const char *ts)
{
    static const char shape[] = "dddd-dd-dd dd:dd:dd";
    if (strlen(ts) != sizeof shape - 1)
        return false;
    for (size_t i = 0; i < sizeof shape - 1; i++)
        if (shape[i] == 'd' ? (ts[i] < '0' || ts[i] > '9') : ts[i] != shape[i])
            return false;
    int mon = atoi(ts + 5), day = atoi(ts + 8), hour = atoi(ts + 11), min = atoi(ts + 14),
        sec = atoi(ts + 17);
    return mon >= 1 && mon <= 12 && day >= 1 && day <= 31 && hour <= 23 && min <= 59 && sec <= 60;
}

struct call {
    enum sim_op op;
    bool refund_query;      /* SIM_OP_QUERY of a refund (request_no), not of a trade */
    const char *order;      /* out_trade_no (resolved from trade_no when only that came) */
    const char *auth_code;  /* pay */
    const char *subject;    /* pay */
    int64_t amount_fen;     /* pay: total; refund: this refund */
    const char *request_no; /* refund */
    int64_t pay_within_s;   /* precreate: timeout_express */
};

/* Checks biz_content for the method; NULL when it is usable, else the reply. */
static cJSON *read_biz(struct sim *s, const cJSON *biz, struct call *c)
{
    const char *order = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(biz, "out_trade_no"));
    const char *trade_no = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(biz, "trade_no"));
    if ((order == NULL || *order == '\0') && trade_no != NULL && c->op != SIM_OP_PAY) {
        pthread_mutex_lock(&s->lock);
        order = sim_ledger_order_of(s->ledger, trade_no);
        pthread_mutex_unlock(&s->lock);
        if (order == NULL)
            return business("ACQ.TRADE_NOT_EXIST", "交易不存在");
    }
    if (order == NULL || *order == '\0' || strlen(order) > 64)
        return business("ACQ.INVALID_PARAMETER", "参数无效: out_trade_no");
    c->order = order;
    if (c->op == SIM_OP_PAY) {
        const char *scene = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(biz, "scene"));
        const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(biz, "auth_code"));
        const char *subject =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(biz, "subject"));
        const char *total =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(biz, "total_amount"));
        if (scene == NULL || strcmp(scene, "bar_code") != 0)
            return business("ACQ.INVALID_PARAMETER", "参数无效: scene 必须为 bar_code");
        if (subject == NULL || *subject == '\0' || strlen(subject) > 256)
            return business("ACQ.INVALID_PARAMETER", "参数无效: subject");
        if (total == NULL || !sim_yuan_parse(total, &c->amount_fen) || c->amount_fen <= 0 ||
            c->amount_fen > 10000000000LL)
            return business("ACQ.INVALID_PARAMETER", "参数无效: total_amount");
        if (code == NULL || !sim_code_is_alipay(code))
            return business("ACQ.PAYMENT_AUTH_CODE_INVALID",
                            "支付失败，获取顾客账户信息失败，请顾客刷新付款码后重新收款");
        c->auth_code = code;
        c->subject = subject;
    } else if (c->op == SIM_OP_QR) {
        const char *subject =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(biz, "subject"));
        const char *total =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(biz, "total_amount"));
        const char *timeout =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(biz, "timeout_express"));
        if (subject == NULL || *subject == '\0' || strlen(subject) > 256)
            return business("ACQ.INVALID_PARAMETER", "参数无效: subject");
        if (total == NULL || !sim_yuan_parse(total, &c->amount_fen) || c->amount_fen <= 0 ||
            c->amount_fen > 10000000000LL)
            return business("ACQ.INVALID_PARAMETER", "参数无效: total_amount");
        /* without one the QR stays payable two hours */
        c->pay_within_s = timeout ? timeout_seconds(timeout) : 7200;
        if (c->pay_within_s < 0)
            return business("ACQ.INVALID_PARAMETER", "参数无效: timeout_express");
    } else if (c->refund_query) {
        const char *req =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(biz, "out_request_no"));
        if (req == NULL || *req == '\0' || strlen(req) > 64)
            return business("ACQ.INVALID_PARAMETER", "参数无效: out_request_no");
        c->request_no = req;
    } else if (c->op == SIM_OP_REFUND) {
        const char *amount =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(biz, "refund_amount"));
        const char *req =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(biz, "out_request_no"));
        if (amount == NULL || !sim_yuan_parse(amount, &c->amount_fen) || c->amount_fen <= 0)
            return business("ACQ.INVALID_PARAMETER", "参数无效: refund_amount");
        /* Without out_request_no the refund is keyed by the trade: one full refund. */
        c->request_no = req && *req ? req : order;
        if (strlen(c->request_no) > 64)
            return business("ACQ.INVALID_PARAMETER", "参数无效: out_request_no");
    }
    return NULL;
}

static const struct {
    const char *method;
    enum sim_op op;
    bool refund_query;
} methods[] = {
    {"alipay.trade.pay", SIM_OP_PAY, false},
    {"alipay.trade.query", SIM_OP_QUERY, false},
    {"alipay.trade.cancel", SIM_OP_CANCEL, false},
    {"alipay.trade.refund", SIM_OP_REFUND, false},
    {"alipay.trade.fastpay.refund.query", SIM_OP_QUERY, true},
    {"alipay.trade.precreate", SIM_OP_QR, false},
    {"alipay.trade.close", SIM_OP_CLOSE, false},
};

/* Protocol checks and the signature; NULL when the request may proceed. */
static cJSON *check_protocol(struct sim *s, const struct form *f, char **sign_string)
{
    const char *app_id = form_get(f, "app_id");
    const char *sign = form_get(f, "sign");
    const char *sign_type = form_get(f, "sign_type");
    const char *timestamp = form_get(f, "timestamp");
    const char *version = form_get(f, "version");
    const char *charset = form_get(f, "charset");
    const char *format = form_get(f, "format");
    if (f->overflow)
        return invalid("isv.invalid-parameter", "参数过多");
    if (*app_id == '\0')
        return missing("isv.missing-app-id", "缺少AppID参数");
    if (strcmp(app_id, SIM_ALIPAY_APP_ID) != 0)
        return invalid("isv.invalid-app-id", "无效的AppID参数");
    if (*sign == '\0')
        return missing("isv.missing-signature", "缺少签名参数");
    if (*sign_type == '\0')
        return missing("isv.missing-signature-type", "缺少签名类型参数");
    if (strcmp(sign_type, "RSA2") != 0)
        return invalid("isv.invalid-signature-type", "无效的签名类型参数");
    if (*timestamp == '\0')
        return missing("isv.missing-timestamp", "缺少时间戳参数");
    if (!timestamp_valid(timestamp))
        return invalid("isv.invalid-timestamp", "非法的时间戳参数");
    if (*version == '\0')
        return missing("isv.missing-version", "缺少版本参数");
    if (strcmp(version, "1.0") != 0)
        return invalid("isv.invalid-parameter", "参数无效: version");
    if (*charset != '\0' && strcasecmp(charset, "utf-8") != 0)
        return invalid("isv.invalid-charset", "字符集错误");
    if (*format != '\0' && strcasecmp(format, "json") != 0)
        return invalid("isv.invalid-format", "无效的数据格式参数");
    char *content = sign_content(f);
    if (content == NULL)
        return failure("20000", "Service Currently Unavailable", "isp.unknow-error", "系统繁忙");
    if (!sim_verify_b64(s->alipay_app_public, content, strlen(content), sign)) {
        pthread_mutex_lock(&s->lock);
        s->rejected_signatures++;
        pthread_mutex_unlock(&s->lock);
        size_t len = strlen(content) + 200;
        char *msg = malloc(len);
        cJSON *o;
        if (msg) {
            snprintf(msg, len,
                     "验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符"
                     "串为：%s",
                     content);
            o = invalid("isv.invalid-signature", msg);
            free(msg);
        } else {
            o = invalid("isv.invalid-signature", "验签出错");
        }
        free(content);
        return o;
    }
    *sign_string = content;
    return NULL;
}

static const char *json_order(const cJSON *o)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "out_trade_no"));
    return v ? v : "";
}

static bool http_fault(enum sim_fault f)
{
    return f == FAULT_HTTP_500 || f == FAULT_HTTP_502 || f == FAULT_HTTP_503;
}

void sim_alipay_handle(struct sim *s, const struct sim_request *req, struct sim_reply *rep)
{
    struct form f = {0};
    form_parse(&f, req->query, strlen(req->query));
    if (req->content_type &&
        strncasecmp(req->content_type, "application/x-www-form-urlencoded", 33) == 0)
        form_parse(&f, req->body, req->body_len);

    char key[64] = "error_response";
    cJSON *resp = NULL, *biz = NULL;
    char *checked = NULL;
    struct sim_plan plan = {"", BIZ_NORMAL, FAULT_NONE, 0, 0, false, 0, 0};
    struct call c = {0};
    const char *method = form_get(&f, "method");
    size_t m = 0;
    while (m < sizeof methods / sizeof methods[0] && strcmp(methods[m].method, method) != 0)
        m++;
    if (*method == '\0') {
        resp = missing("isv.missing-method", "缺少方法名参数");
        goto send;
    }
    bool bill = strcmp(method, "alipay.data.dataservice.bill.downloadurl.query") == 0;
    if (m == sizeof methods / sizeof methods[0] && !bill) {
        resp = invalid("isv.invalid-method", "不存在的方法名");
        goto send;
    }
    snprintf(key, sizeof key, "%s_response", method);
    for (char *p = key; *p; p++)
        if (*p == '.')
            *p = '_';
    if ((resp = check_protocol(s, &f, &checked)) != NULL)
        goto send;
    if (bill) {
        biz = cJSON_Parse(form_get(&f, "biz_content"));
        resp = sim_bill_alipay_answer(s, req, biz);
        const cJSON *day = cJSON_GetObjectItemCaseSensitive(biz, "bill_date");
        snprintf(rep->summary, sizeof rep->summary, "alipay bill %.20s",
                 cJSON_IsString(day) ? day->valuestring : "?");
        goto send;
    }
    c.op = methods[m].op;
    c.refund_query = methods[m].refund_query;
    biz = cJSON_Parse(form_get(&f, "biz_content"));
    if (!cJSON_IsObject(biz)) {
        resp = missing("isv.missing-biz-content", "缺少biz_content参数或其不是JSON对象");
        goto send;
    }
    if ((resp = read_biz(s, biz, &c)) != NULL)
        goto send;

    pthread_mutex_lock(&s->lock);
    plan = sim_plan_for(s, CHANNEL_ALIPAY, c.op, c.auth_code ? c.auth_code : "");
    sim_reply_summary(rep, CHANNEL_ALIPAY, c.op, c.order, c.auth_code, plan.name);
    if (http_fault(plan.fault) && !plan.commit) {
        pthread_mutex_unlock(&s->lock);
        rep->fault = plan.fault;
        goto out;
    }
    int64_t now = sim_now_ms();
    struct sim_trade *t = NULL;
    if (plan.biz == BIZ_SYSTEM_ERROR) {
        resp = failure("20000", "Service Currently Unavailable", "ACQ.SYSTEM_ERROR", "系统错误");
    } else if (c.op == SIM_OP_PAY) {
        enum sim_pay_result r = sim_ledger_pay(s->ledger, CHANNEL_ALIPAY, c.order, c.auth_code,
                                               c.amount_fen, &plan, now, &t);
        sim_ledger_note_subject(s->ledger, t, c.subject, now);
        resp = t ? pay_reply(r, t) : business("ACQ.SYSTEM_ERROR", "系统错误");
        /* A refusal names the order it refuses (unbound_refusal takes it out again below). */
        if (!cJSON_HasObjectItem(resp, "out_trade_no"))
            cJSON_AddStringToObject(resp, "out_trade_no", c.order);
    } else if (c.op == SIM_OP_QUERY && c.refund_query) {
        t = plan.biz == BIZ_HIDDEN ? NULL : sim_ledger_query(s->ledger, c.order, now);
        resp = refund_query_reply(t, sim_ledger_trade_refund(t, c.request_no), now);
    } else if (c.op == SIM_OP_QUERY) {
        t = plan.biz == BIZ_HIDDEN ? NULL : sim_ledger_query(s->ledger, c.order, now);
        if (t != NULL && t->qr_payload[0] != '\0' && !t->scanned)
            t = NULL; /* a precreated trade exists from its scan on */
        if (t != NULL && sim_ledger_query_throttled(t, s->query_limit_ms, now)) {
            /* OpenAPI public error 40005 "Call Limited": isv.method-call-limited */
            resp = failure("40005", "Call Limited", "isv.method-call-limited",
                           "API调用次数超限，包含调用频率超限");
        } else {
            if (t != NULL)
                t->query_requests++;
            resp = query_reply(t);
        }
    } else if (c.op == SIM_OP_QR) {
        enum sim_qr_result r =
            sim_ledger_qr_create(s->ledger, CHANNEL_ALIPAY, c.order, c.amount_fen,
                                 sim_wall_s() + c.pay_within_s, plan.name, now, &t);
        resp = t ? qr_reply(r, t) : business("ACQ.SYSTEM_ERROR", "系统错误");
        if (!cJSON_HasObjectItem(resp, "out_trade_no"))
            cJSON_AddStringToObject(resp, "out_trade_no", c.order);
    } else if (c.op == SIM_OP_CLOSE) {
        enum sim_close_result r = sim_ledger_qr_close(s->ledger, c.order, false, now, &t);
        resp = close_reply(r, t);
        if (r == SIM_CLOSE_PAID)
            cJSON_AddStringToObject(resp, "out_trade_no", c.order);
    } else if (c.op == SIM_OP_CANCEL) {
        enum sim_cancel_result r = sim_ledger_cancel(
            s->ledger, CHANNEL_ALIPAY, c.order, plan.biz == BIZ_CANCEL_REFUSED, false, now, &t);
        resp = t ? cancel_reply(r, t) : business("ACQ.SYSTEM_ERROR", "系统错误");
    } else {
        const struct sim_refund *rf = NULL;
        enum sim_refund_result r =
            sim_ledger_refund(s->ledger, c.order, c.request_no, c.amount_fen, -1,
                              plan.biz == BIZ_REFUND_SLOW ? plan.seconds : 0,
                              sim_plan_grant(&plan, c.amount_fen), now, &t, &rf);
        resp = refund_reply(r, t, rf, now);
    }
    pthread_mutex_unlock(&s->lock);

send:;
    if (plan.fault == FAULT_NO_ORDER)
        cJSON_DeleteItemFromObjectCaseSensitive(resp, "out_trade_no");
    if (plan.fault == FAULT_NO_AMOUNT)
        sim_json_drop_amounts(resp);
    if (plan.fault == FAULT_OTHER_ORDER && cJSON_HasObjectItem(resp, "out_trade_no")) {
        char other[80];
        sim_other_order(json_order(resp), other, sizeof other);
        cJSON_ReplaceItemInObjectCaseSensitive(resp, "out_trade_no", cJSON_CreateString(other));
    }
    char *text = cJSON_PrintUnformatted(resp);
    char sig[512] = "";
    if (text != NULL) {
        size_t len = strlen(text);
        if (plan.fault == FAULT_BAD_SIGNATURE || plan.fault == FAULT_SIGNATURE_PROBE) {
            /* A genuine platform signature, over other bytes: only a verifier notices. */
            text[len - 1] = ' ';
            sim_sign_b64(s->alipay_platform_private, text, len, sig, sizeof sig);
            text[len - 1] = '}';
        } else {
            sim_sign_b64(s->alipay_platform_private, text, len, sig, sizeof sig);
        }
        size_t blen = strlen(key) + len + strlen(sig) + 32;
        char *body = malloc(blen);
        if (body != NULL) {
            if (plan.fault == FAULT_UNSIGNED)
                snprintf(body, blen, "{\"%s\":%s}", key, text);
            else
                snprintf(body, blen, "{\"%s\":%s,\"sign\":\"%s\"}", key, text, sig);
            if (plan.fault == FAULT_MALFORMED)
                sim_text_malform(body);
            sim_reply_body(rep, 200, "text/html;charset=utf-8", body);
        }
        free(text);
    }
    rep->fault = plan.fault;
    rep->delay_s = plan.seconds;
out:
    cJSON_Delete(resp);
    cJSON_Delete(biz);
    free(checked);
    form_free(&f);
}
