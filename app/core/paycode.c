/*
 * paycode.c - the table that routes a payment code to its wallet.
 */
#include "paycode.h"

#include <stdio.h>
#include <string.h>

struct paycode_rule {
    int prefix_lo, prefix_hi; /* two-digit prefix range, inclusive */
    size_t len_lo, len_hi;    /* code length range, inclusive */
    enum pay_channel channel; /* CHANNEL_NONE: recognised but not supported */
    const char *name;
};

/* One row per wallet. WeChat: 18 digits, 10-15. Alipay: 16-24 digits, 25-30.
 * UnionPay QuickPass: 19 digits starting 62 - recognised so the cashier is told
 * "not supported" rather than "not a payment code". */
static const struct paycode_rule rules[] = {
    {10, 15, 18, 18, CHANNEL_WECHAT, "WeChat Pay"},
    {25, 30, 16, 24, CHANNEL_ALIPAY, "Alipay"},
    {62, 62, 16, 19, CHANNEL_NONE, "UnionPay"},
};

enum paycode_status paycode_channel(const char *code, enum pay_channel *channel)
{
    *channel = CHANNEL_NONE;
    if (code == NULL || *code == '\0')
        return PAYCODE_EMPTY;
    size_t len = 0;
    for (const char *s = code; *s; s++, len++) {
        if (*s < '0' || *s > '9')
            return PAYCODE_NOT_DIGITS;
        if (len >= AUTH_CODE_MAX)
            return PAYCODE_TOO_LONG;
    }
    if (len < 2)
        return PAYCODE_UNKNOWN;
    int prefix = (code[0] - '0') * 10 + (code[1] - '0');
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        const struct paycode_rule *r = &rules[i];
        if (prefix < r->prefix_lo || prefix > r->prefix_hi)
            continue;
        if (r->channel == CHANNEL_NONE)
            return PAYCODE_UNSUPPORTED;
        if (len < r->len_lo || len > r->len_hi)
            return PAYCODE_BAD_LENGTH;
        *channel = r->channel;
        return PAYCODE_OK;
    }
    return PAYCODE_UNKNOWN;
}

const char *paycode_status_reason(enum paycode_status st)
{
    switch (st) {
    case PAYCODE_OK: return "ok";
    case PAYCODE_EMPTY: return "empty scan";
    case PAYCODE_NOT_DIGITS: return "not a payment code (not all digits)";
    case PAYCODE_TOO_LONG: return "not a payment code (too long)";
    case PAYCODE_UNSUPPORTED: return "wallet not supported here";
    case PAYCODE_UNKNOWN: return "not a WeChat Pay or Alipay payment code";
    case PAYCODE_BAD_LENGTH: return "payment code has the wrong length; scan again";
    }
    return "invalid payment code";
}

void paycode_mask(const char *code, char *out, size_t outlen)
{
    if (outlen == 0)
        return;
    if (code[0] == '\0') {
        out[0] = '\0';
        return;
    }
    size_t len = strlen(code);
    snprintf(out, outlen, "****%s", len > 4 ? code + len - 4 : code);
}

void paycode_last4(const char *code, char out[5])
{
    size_t len = strlen(code);
    const char *tail = len > 4 ? code + len - 4 : code;
    snprintf(out, 5, "%s", tail);
}
