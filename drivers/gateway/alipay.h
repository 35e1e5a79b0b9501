/*
 * alipay.h - Alipay OpenAPI, barcode scene: alipay.trade.pay / query / cancel / refund, and
 * alipay.trade.fastpay.refund.query.
 *
 * Requests are signed RSA2 (SHA256withRSA) over the sorted "k=v&..." string the official SDKs
 * build; replies are believed only when the Alipay public key verifies the exact bytes of the
 * "<method>_response" object as received. Rules and their sources: drivers/gateway/README.md.
 */
#ifndef POSTERM_ALIPAY_H
#define POSTERM_ALIPAY_H

#include <stdint.h>

#include "crypto.h"
#include "wire.h"

struct alipay_keys {
    const char *gateway_url; /* e.g. https://openapi.alipay.com/gateway.do */
    const char *app_id;
    const struct crypto_key *app_key;    /* merchant application private key: signs requests */
    const struct crypto_key *alipay_key; /* Alipay public key: verifies replies */
    struct crypto_rng *rng;
};

/* The method name for an operation, e.g. "alipay.trade.pay". */
const char *alipay_method(enum gw_op op);

/* The "yyyy-MM-dd HH:mm:ss" timestamp in Beijing time (UTC+8) for a Unix time, whatever
 * the terminal's TZ. out holds 20 bytes. */
void alipay_timestamp(int64_t unix_seconds, char out[20]);

/* The exact text that is signed for a request: every non-empty parameter except "sign",
 * sorted by key, joined as k=v with '&', values not URL-encoded. Caller frees. */
char *alipay_sign_content(const char *const *keys, const char *const *values, int n);

/* Builds the signed HTTP request for req at unix time now. GATEWAY_ERR_INTERNAL when the request
 * cannot be expressed (e.g. a field too long); nothing is then sent. */
enum gateway_status alipay_build(const struct alipay_keys *keys, const struct gw_request *req,
                                 int64_t now, struct wire_request *out);

/* A signed call of any method with the given biz_content JSON (the bill's address query,
 * drivers/gateway/bill_query.h); alipay_build is this with the payment's own content. */
enum gateway_status alipay_build_call(const struct alipay_keys *keys, const char *method,
                                      const char *biz_content, int64_t now,
                                      struct wire_request *out);

/* The exact text of the "<method>_response" object of a reply body, when the body is JSON
 * holding it once with a "sign" that verifies over those bytes (A2); malloc'd, caller frees.
 * NULL otherwise, with why saying why. */
char *alipay_verified_object(const struct alipay_keys *keys, const char *method, const char *body,
                             size_t len, char *why, size_t whylen);

/* Reads a reply into *out (always filled; UNKNOWN unless verified and definite). out->said
 * holds what the verified response object states; out->server_time the Date header (0 when
 * absent); out->exchange_bound stays false: the signature covers no timestamp and no nonce. */
void alipay_parse(const struct alipay_keys *keys, const struct gw_request *req,
                  const struct wire_response *resp, struct gw_reply *out);

#endif
