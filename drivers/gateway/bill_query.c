/*
 * bill_query.c - the bill address requests of both gateways and what their replies say.
 */
#include "bill_query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "reply_fields.h"

#define ALIPAY_BILL_METHOD "alipay.data.dataservice.bill.downloadurl.query"

const char *bill_link_status_name(enum bill_link_status st)
{
    static const char *const names[] = {"ok", "no bill", "refused", "unknown"};
    return (unsigned)st < sizeof names / sizeof *names ? names[st] : "?";
}

static bool is_date(const char *s)
{
    static const char form[] = "dddd-dd-dd";
    if (!s || strlen(s) != sizeof form - 1)
        return false;
    for (size_t i = 0; form[i]; i++)
        if (form[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != form[i])
            return false;
    return true;
}

/* Only http(s) URLs without spaces or control characters are fetched. */
static bool take_url(const char *url, struct bill_link *link)
{
    if (!url || (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0) ||
        strlen(url) >= sizeof link->url)
        return false;
    for (const char *p = url; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return false;
    snprintf(link->url, sizeof link->url, "%s", url);
    return true;
}

/* "There is no report for the day": BILL_NOT_EXIST in the English doc, isp.bill_not_exist as
 * the SDKs see it (README.md "Bills", B2). */
static bool no_bill(const char *sub_code)
{
    static const char tail[] = "bill_not_exist";
    size_t n = strlen(sub_code);
    return n >= sizeof tail - 1 && strcasecmp(sub_code + n - (sizeof tail - 1), tail) == 0;
}

enum gateway_status bill_alipay_query_build(const struct alipay_keys *keys, const char *bill_date,
                                            int64_t now, struct wire_request *out)
{
    char biz[96];
    memset(out, 0, sizeof *out);
    if (!is_date(bill_date))
        return GATEWAY_ERR_INTERNAL;
    snprintf(biz, sizeof biz, "{\"bill_type\":\"trade\",\"bill_date\":\"%s\"}", bill_date);
    enum gateway_status st = alipay_build_call(keys, ALIPAY_BILL_METHOD, biz, now, out);
    if (st == GATEWAY_OK)
        snprintf(out->log_line, sizeof out->log_line, "alipay bill address %s", bill_date);
    return st;
}

enum bill_link_status bill_alipay_query_parse(const struct alipay_keys *keys,
                                              const struct wire_response *resp,
                                              struct bill_link *link, char *why, size_t whylen)
{
    memset(link, 0, sizeof *link);
    if (resp->status != 200) {
        snprintf(why, whylen, "Alipay HTTP status %ld", resp->status);
        return BILL_LINK_UNKNOWN;
    }
    char *text =
        alipay_verified_object(keys, ALIPAY_BILL_METHOD, resp->body, resp->body_len, why, whylen);
    if (!text)
        return BILL_LINK_UNKNOWN;
    cJSON *o = cJSON_Parse(text);
    free(text);
    const char *code = json_string(o, "code"), *sub = json_string(o, "sub_code");
    const char *url = json_string(o, "bill_download_url");
    enum bill_link_status st = BILL_LINK_UNKNOWN;
    if (code && strcmp(code, "10000") == 0) {
        if (take_url(url, link))
            st = BILL_LINK_OK;
        else
            snprintf(why, whylen, "bill_download_url is missing or not an http(s) URL");
    } else if (code && strcmp(code, "40004") == 0 && sub && no_bill(sub)) {
        st = BILL_LINK_NO_BILL;
        snprintf(why, whylen, "no bill for that day (%.64s)", sub);
    } else if (code && (strcmp(code, "40004") == 0 || strcmp(code, "40002") == 0 ||
                        strcmp(code, "40006") == 0)) {
        st = BILL_LINK_REFUSED;
        snprintf(why, whylen, "Alipay refused the bill request: %s %.64s", code, sub ? sub : "");
    } else {
        snprintf(why, whylen, "Alipay answered %.16s %.64s", code ? code : "no code",
                 sub ? sub : "");
    }
    cJSON_Delete(o);
    return st;
}

enum gateway_status bill_alipay_download_build(const struct bill_link *link,
                                               struct wire_request *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->method, sizeof out->method, "GET");
    snprintf(out->url, sizeof out->url, "%s", link->url);
    snprintf(out->log_line, sizeof out->log_line, "alipay bill download");
    return GATEWAY_OK;
}

enum gateway_status bill_wechat_query_build(const struct wechatpay_keys *keys,
                                            const char *bill_date, int64_t now, const char *nonce,
                                            struct wire_request *out)
{
    char url[WIRE_URL_LEN];
    memset(out, 0, sizeof *out);
    if (!is_date(bill_date))
        return GATEWAY_ERR_INTERNAL;
    size_t base = strlen(keys->base_url);
    while (base && keys->base_url[base - 1] == '/')
        base--;
    int n =
        snprintf(url, sizeof url, "%.*s/v3/bill/tradebill?bill_date=%s&bill_type=ALL&tar_type=GZIP",
                 (int)base, keys->base_url, bill_date);
    if (n < 0 || (size_t)n >= sizeof url)
        return GATEWAY_ERR_INTERNAL;
    enum gateway_status st = wechatpay_build_get(keys, url, now, nonce, out);
    if (st == GATEWAY_OK)
        snprintf(out->log_line, sizeof out->log_line, "wechat bill address %s", bill_date);
    return st;
}

enum bill_link_status bill_wechat_query_parse(const struct wechatpay_keys *keys,
                                              const struct wire_response *resp, int64_t now,
                                              struct bill_link *link, char *why, size_t whylen)
{
    memset(link, 0, sizeof *link);
    if (resp->status == 0 || resp->status >= 500) {
        snprintf(why, whylen, "WeChat Pay HTTP status %ld", resp->status);
        return BILL_LINK_UNKNOWN;
    }
    if (!wechatpay_reply_authentic(keys, resp, now, why, whylen))
        return BILL_LINK_UNKNOWN;
    cJSON *o = resp->body_len && resp->body_len <= WIRE_BODY_MAX
                   ? cJSON_ParseWithLength(resp->body, resp->body_len)
                   : NULL;
    const char *type = json_string(o, "hash_type"), *value = json_string(o, "hash_value");
    const char *url = json_string(o, "download_url"), *code = json_string(o, "code");
    enum bill_link_status st = BILL_LINK_UNKNOWN;
    if (resp->status == 200) {
        if (type && value && strlen(type) < sizeof link->hash_type &&
            strlen(value) < sizeof link->hash_value && take_url(url, link)) {
            snprintf(link->hash_type, sizeof link->hash_type, "%s", type);
            snprintf(link->hash_value, sizeof link->hash_value, "%s", value);
            st = BILL_LINK_OK;
        } else {
            memset(link, 0, sizeof *link);
            snprintf(why, whylen, "reply lacks hash_type, hash_value or an http(s) download_url");
        }
    } else if (code && strcmp(code, "NO_STATEMENT_EXIST") == 0) {
        st = BILL_LINK_NO_BILL;
        snprintf(why, whylen, "no bill for that day (%s)", code);
    } else if (code && strcmp(code, "STATEMENT_CREATING") == 0) {
        snprintf(why, whylen, "the bill is still being made (%s)", code);
    } else if (resp->status >= 400 && resp->status < 500 && code) {
        st = BILL_LINK_REFUSED;
        snprintf(why, whylen, "WeChat Pay refused the bill request: %ld %.64s", resp->status, code);
    } else {
        snprintf(why, whylen, "WeChat Pay answered %ld %.64s", resp->status, code ? code : "");
    }
    cJSON_Delete(o);
    return st;
}

enum gateway_status bill_wechat_download_build(const struct wechatpay_keys *keys,
                                               const struct bill_link *link, int64_t now,
                                               const char *nonce, struct wire_request *out)
{
    enum gateway_status st = wechatpay_build_get(keys, link->url, now, nonce, out);
    if (st == GATEWAY_OK)
        snprintf(out->log_line, sizeof out->log_line, "wechat bill download");
    return st;
}
