/*
 * sim_wire.c - the small pieces both gateways' wire formats share: money strings, Beijing
 * time stamps, the monotonic clock, payment-code routing, and building a reply.
 */
#include "sim.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t sim_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One clock per process, read by every server thread: an atomic, not the sim lock, so that
 * code holding the lock and code not holding it read it alike. */
static _Atomic int64_t clock_offset_s;

int64_t sim_wall_s(void)
{
    return (int64_t)time(NULL) + atomic_load(&clock_offset_s);
}

int64_t sim_clock_offset(void)
{
    return atomic_load(&clock_offset_s);
}

void sim_clock_set_offset(int64_t seconds)
{
    atomic_store(&clock_offset_s, seconds);
}

static _Atomic int time_scale_percent = 100;

void sim_time_scale_set(int percent)
{
    atomic_store(&time_scale_percent, percent);
}

int sim_scaled_seconds(int seconds)
{
    int64_t scaled = ((int64_t)seconds * atomic_load(&time_scale_percent) + 99) / 100;
    return scaled > 3600 * 10 ? 3600 * 10 : (int)scaled;
}

int64_t sim_scaled_ms(int64_t ms)
{
    return (ms * atomic_load(&time_scale_percent) + 99) / 100;
}

int64_t sim_plan_grant(const struct sim_plan *plan, int64_t asked_fen)
{
    if (plan->biz != BIZ_REFUND_SHORT)
        return 0;
    if (plan->fen > 0)
        return plan->fen;
    return asked_fen / 2 > 0 ? asked_fen / 2 : 1;
}

void sim_reply_body(struct sim_reply *rep, unsigned status, const char *content_type, char *text)
{
    free(rep->body);
    rep->status = status;
    snprintf(rep->content_type, sizeof rep->content_type, "%s", content_type);
    rep->body = text;
    rep->body_len = text ? strlen(text) : 0;
}

void sim_reply_header(struct sim_reply *rep, const char *name, const char *value)
{
    if (rep->nheaders >= SIM_REPLY_HEADERS)
        return;
    snprintf(rep->headers[rep->nheaders].name, sizeof rep->headers[0].name, "%s", name);
    snprintf(rep->headers[rep->nheaders].value, sizeof rep->headers[0].value, "%s", value);
    rep->nheaders++;
}

void sim_reply_summary(struct sim_reply *rep, enum pay_channel ch, enum sim_op op,
                       const char *order, const char *auth_code, const char *scenario)
{
    size_t len = auth_code ? strlen(auth_code) : 0;
    snprintf(rep->summary, sizeof rep->summary, "%s %s %s%s%s (%s)", pay_channel_name(ch),
             sim_op_name(op), order, len >= 4 ? " code ****" : "",
             len >= 4 ? auth_code + len - 4 : "", scenario);
    rep->channel = ch;
    rep->op = op;
    snprintf(rep->order, sizeof rep->order, "%s", order ? order : "");
}

void sim_json_drop_amounts(cJSON *o)
{
    /* Alipay's money fields and WeChat's amount object (all top level): what "paid 12.30"
     * rests on. */
    static const char *const names[] = {
        "amount",       "total_amount",   "receipt_amount", "buyer_pay_amount", "invoice_amount",
        "point_amount", "fund_bill_list", "refund_fee",     "send_back_fee",    "refund_amount"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        cJSON_DeleteItemFromObjectCaseSensitive(o, names[i]);
}

void sim_other_order(const char *order, char *out, size_t size)
{
    /* Same length, last character changed: a careless prefix comparison would miss it. */
    snprintf(out, size, "%s", order);
    size_t len = strlen(out);
    if (len > 0)
        out[len - 1] = out[len - 1] == '9' ? '8' : '9';
}

void sim_text_malform(char *text)
{
    /* What a misbehaving proxy returns: the start of the real reply, then an HTML page. */
    static const char tail[] = "<html><body>upstream error</body></html>";
    size_t len = strlen(text);
    size_t keep = len / 2;
    if (keep + sizeof tail - 1 <= len)
        memcpy(text + keep, tail, sizeof tail);
    else if (len > 0)
        text[0] = '<';
}

void sim_yuan_format(int64_t fen, char out[32])
{
    snprintf(out, 32, "%lld.%02lld", (long long)(fen / 100), (long long)(fen % 100));
}

bool sim_yuan_parse(const char *text, int64_t *fen)
{
    int64_t whole = 0, cents = 0;
    int int_digits = 0, frac_digits = 0;
    const char *p = text;
    while (*p >= '0' && *p <= '9') {
        if (++int_digits > 11)
            return false;
        whole = whole * 10 + (*p++ - '0');
    }
    if (int_digits == 0)
        return false;
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') {
            if (++frac_digits > 2)
                return false;
            cents = cents * 10 + (*p++ - '0');
        }
        if (frac_digits == 0)
            return false;
        if (frac_digits == 1)
            cents *= 10;
    }
    if (*p != '\0')
        return false;
    *fen = whole * 100 + cents;
    return true;
}

static void beijing(int64_t unix_s, struct tm *tm)
{
    time_t t = (time_t)unix_s + 8 * 3600;
    gmtime_r(&t, tm);
}

void sim_time_alipay(int64_t unix_s, char out[32])
{
    struct tm tm;
    beijing(unix_s, &tm);
    strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm);
}

void sim_time_wechat(int64_t unix_s, char out[32])
{
    struct tm tm;
    beijing(unix_s, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%S+08:00", &tm);
}

static bool all_digits(const char *s, size_t *len)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (s[n] < '0' || s[n] > '9')
            return false;
    *len = n;
    return n >= 2;
}

bool sim_code_is_wechat(const char *code)
{
    size_t len;
    if (!all_digits(code, &len) || len != 18)
        return false;
    int prefix = (code[0] - '0') * 10 + (code[1] - '0');
    return prefix >= 10 && prefix <= 15;
}

bool sim_code_is_alipay(const char *code)
{
    size_t len;
    if (!all_digits(code, &len) || len < 16 || len > 24)
        return false;
    int prefix = (code[0] - '0') * 10 + (code[1] - '0');
    return prefix >= 25 && prefix <= 30;
}
