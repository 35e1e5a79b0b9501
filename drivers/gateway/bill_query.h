/*
 * bill_query.h - where a day's trade bill is, and the request that fetches it.
 *
 * Alipay: alipay.data.dataservice.bill.downloadurl.query (bill_type=trade), signed and its
 * reply verified as every Alipay call; the file at bill_download_url is fetched unsigned.
 * WeChat Pay: GET /v3/bill/tradebill?bill_date=..&bill_type=ALL&tar_type=GZIP, signed and its
 * reply verified; the file at download_url is fetched with a signed GET, and its reply carries
 * no signature: hash_value vouches for it (bill_wechat_read_gzip checks it).
 * Pure like alipay.h and wechatpay.h: the time and nonce are arguments; the transfer is
 * bill_download.h's. Sources: drivers/gateway/README.md ("Bills").
 */
#ifndef POSTERM_BILL_QUERY_H
#define POSTERM_BILL_QUERY_H

#include <stdint.h>

#include "alipay.h"
#include "wechatpay.h"

enum bill_link_status {
    BILL_LINK_OK,      /* link filled */
    BILL_LINK_NO_BILL, /* the gateway says there is no bill for that day (nothing traded) */
    BILL_LINK_REFUSED, /* a verified refusal of the request (date, rights): retrying will not help
                        */
    BILL_LINK_UNKNOWN, /* anything else, the bill still being made included: try again later */
};

const char *bill_link_status_name(enum bill_link_status st);

struct bill_link {
    char url[WIRE_URL_LEN];
    char hash_type[16];   /* WeChat: "SHA1"; Alipay: "" */
    char hash_value[129]; /* WeChat: hex digest of the uncompressed bill; Alipay: "" */
};

/* bill_date: "yyyy-MM-dd" (GATEWAY_ERR_INTERNAL when it is not). */
enum gateway_status bill_alipay_query_build(const struct alipay_keys *keys, const char *bill_date,
                                            int64_t now, struct wire_request *out);
enum bill_link_status bill_alipay_query_parse(const struct alipay_keys *keys,
                                              const struct wire_response *resp,
                                              struct bill_link *link, char *why, size_t whylen);
/* The plain GET of bill_download_url. */
enum gateway_status bill_alipay_download_build(const struct bill_link *link,
                                               struct wire_request *out);

enum gateway_status bill_wechat_query_build(const struct wechatpay_keys *keys,
                                            const char *bill_date, int64_t now, const char *nonce,
                                            struct wire_request *out);
/* now: the unix time the reply is judged at (its signed timestamp must be within 5 minutes). */
enum bill_link_status bill_wechat_query_parse(const struct wechatpay_keys *keys,
                                              const struct wire_response *resp, int64_t now,
                                              struct bill_link *link, char *why, size_t whylen);
/* The signed GET of download_url. */
enum gateway_status bill_wechat_download_build(const struct wechatpay_keys *keys,
                                               const struct bill_link *link, int64_t now,
                                               const char *nonce, struct wire_request *out);

#endif
