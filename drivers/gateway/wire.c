/*
 * wire.c - the plain data that channels and the transport pass each other, and the reply
 * helpers both channels share.
 */
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void wire_request_free(struct wire_request *req)
{
    free(req->body);
    req->body = NULL;
    req->body_len = 0;
}

bool wire_add_header(struct wire_request *req, const char *name, const char *value)
{
    if (req->nheaders >= WIRE_HEADERS_MAX)
        return false;
    int n = snprintf(req->headers[req->nheaders], WIRE_HEADER_LEN, "%s: %s", name, value);
    if (n < 0 || n >= WIRE_HEADER_LEN)
        return false;
    req->nheaders++;
    return true;
}

const char *wire_header(const struct wire_response *resp, const char *name)
{
    for (int i = 0; i < resp->nheaders; i++)
        if (strcasecmp(resp->headers[i].name, name) == 0)
            return resp->headers[i].value;
    return NULL;
}

static size_t trim_len(const char *s, size_t len)
{
    while (len > 0 &&
           (s[len - 1] == '\r' || s[len - 1] == '\n' || s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    return len;
}

/* The headers some channel reads; every other one (a CDN may add dozens) is dropped. */
static bool header_wanted(const char *name, size_t len)
{
    static const char *const wanted[] = {"Date", "Request-Id"};
    static const char prefix[] = "Wechatpay-";
    if (len > sizeof prefix - 1 && strncasecmp(name, prefix, sizeof prefix - 1) == 0)
        return true;
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++)
        if (strlen(wanted[i]) == len && strncasecmp(name, wanted[i], len) == 0)
            return true;
    return false;
}

void wire_response_add_header(struct wire_response *resp, const char *line, size_t len)
{
    const char *colon = memchr(line, ':', len);
    if (!colon || resp->nheaders >= WIRE_RESPONSE_HEADERS_MAX)
        return;
    size_t nlen = (size_t)(colon - line);
    if (nlen == 0 || nlen >= sizeof resp->headers[0].name || !header_wanted(line, nlen))
        return;
    const char *v = colon + 1;
    size_t vlen = len - nlen - 1;
    while (vlen > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        vlen--;
    }
    vlen = trim_len(v, vlen);
    struct wire_header *h = &resp->headers[resp->nheaders++];
    memcpy(h->name, line, nlen);
    h->name[nlen] = '\0';
    if (vlen >= sizeof h->value)
        vlen = sizeof h->value - 1;
    memcpy(h->value, v, vlen);
    h->value[vlen] = '\0';
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil),
 * so that no TZ setting or timegm() is involved. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int64_t wire_date(const struct wire_response *resp)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    const char *v = wire_header(resp, "Date");
    char wday[4], mon[4];
    int d, y, hh, mm, ss, end = -1;
    if (!v ||
        sscanf(v, "%3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d GMT%n", wday, &d, mon, &y, &hh, &mm,
               &ss, &end) != 7 ||
        end < 0 || (size_t)end != strlen(v))
        return 0;
    const char *m = strlen(mon) == 3 ? strstr(months, mon) : NULL;
    if (!m || (m - months) % 3 != 0 || d < 1 || d > 31 || y < 1970 || hh < 0 || hh > 23 || mm < 0 ||
        mm > 59 || ss < 0 || ss > 60)
        return 0;
    return days_from_civil(y, (int)(m - months) / 3 + 1, d) * 86400 + hh * 3600 + mm * 60 + ss;
}

void reply_start(struct gw_reply *r, const struct gw_request *req)
{
    memset(r, 0, sizeof *r);
    r->op = req->op;
    r->channel = req->channel;
    r->request_id = req->request_id;
    snprintf(r->order_no, sizeof r->order_no, "%s", req->order_no);
    snprintf(r->refund_no, sizeof r->refund_no, "%s", req->refund_no);
    r->kind = GW_UNKNOWN;
    r->cause = PAY_CAUSE_NO_ANSWER;
    snprintf(r->reason, sizeof r->reason, "no answer yet");
}

void reply_set(struct gw_reply *r, enum gw_kind kind, enum pay_cause cause, const char *code,
               const char *fmt, ...)
{
    va_list ap;
    r->kind = kind;
    r->cause = cause;
    snprintf(r->code, sizeof r->code, "%s", code ? code : "");
    va_start(ap, fmt);
    vsnprintf(r->reason, sizeof r->reason, fmt, ap);
    va_end(ap);
}

void forget_qr_unless_believed(struct gw_reply *r)
{
    if (r->kind != GW_SUCCESS) {
        r->said.qr_given = false;
        memset(r->said.qr_payload, 0, sizeof r->said.qr_payload);
    }
}

const char *gw_op_name(enum gw_op op)
{
    switch (op) {
    case GW_PAY: return "pay";
    case GW_QUERY: return "query";
    case GW_CANCEL: return "cancel";
    case GW_REFUND: return "refund";
    case GW_REFUND_QUERY: return "refund query";
    case GW_QR_CREATE: return "qr create";
    case GW_QR_CLOSE: return "qr close";
    }
    return "?";
}
