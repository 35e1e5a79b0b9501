/*
 * wechatpay.h - WeChat Pay APIv3 code pay: codepay, query by out_trade_no, reverse, refund.
 *
 * Requests carry the WECHATPAY2-SHA256-RSA2048 Authorization header; a reply is believed only
 * when its Wechatpay-Signature verifies against the configured platform public key, its
 * Wechatpay-Serial is the configured one, its Wechatpay-Timestamp is within five minutes and
 * its Wechatpay-Nonce was not seen before. Such a reply is bound to this exchange
 * (gw_reply.exchange_bound) when the nonce is provably new (struct wechatpay_nonces).
 * Rules and their sources: drivers/gateway/README.md ("WeChat Pay").
 */
#ifndef POSTERM_WECHATPAY_H
#define POSTERM_WECHATPAY_H

#include <stdint.h>

#include "crypto.h"
#include "wire.h"

/* Replies whose Wechatpay-Timestamp is this far from our clock (or further) are refused
 * (wechatpay-go core/consts FiveMinute). */
#define WECHATPAY_MAX_SKEW_S 300
/* Length of the request nonce (nonce_str) we generate. */
#define WECHATPAY_NONCE_LEN 32
/* Reply nonces remembered at most (each about 80 bytes); past this the oldest is dropped and
 * replies no newer than it are no longer exchange-bound (never wrongly believed new). */
#define WECHATPAY_NONCES_MAX 4096
/* A reply nonce longer than this is not remembered (WeChat's are 32 characters). */
#define WECHATPAY_NONCE_MAX 64

/*
 * The reply nonces seen while their signature is valid (the five minutes of the timestamp
 * check), so that a captured reply played back is refused. A fresh cache knows nothing of
 * what an earlier process saw: replies stamped at or before its creation are never called
 * new (they may be replays from before a restart), though they are still read.
 */
struct wechatpay_nonces;
/* now: unix time of creation. NULL when out of memory. */
struct wechatpay_nonces *wechatpay_nonces_new(int64_t now);
void wechatpay_nonces_free(struct wechatpay_nonces *n);

struct wechatpay_keys {
    const char *base_url; /* e.g. https://api.mch.weixin.qq.com */
    const char *appid;
    const char *mchid;
    const char *merchant_serial;           /* serial of the merchant API certificate */
    const char *device_id;                 /* terminal id, sent as scene_info.device_id */
    const struct crypto_key *merchant_key; /* signs requests */
    const struct crypto_key *platform_key; /* verifies replies */
    const char *platform_serial;           /* the Wechatpay-Serial replies must carry */
    const char *notify_url; /* Native orders: the required notify_url (the terminal polls;
                             * the merchant's own HTTPS endpoint); NULL or "" refuses them */
    struct crypto_rng *rng;
};

/* The signed message of a request: "METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n". Caller frees. */
char *wechatpay_request_message(const char *method, const char *path, int64_t timestamp,
                                const char *nonce, const char *body);

/* Builds the signed request for req at unix time now with the given nonce. */
enum gateway_status wechatpay_build(const struct wechatpay_keys *keys, const struct gw_request *req,
                                    int64_t now, const char *nonce, struct wire_request *out);

/* A signed GET of an absolute URL (its path and query are what is signed): the bill request
 * and the bill download (drivers/gateway/bill_query.h). */
enum gateway_status wechatpay_build_get(const struct wechatpay_keys *keys, const char *url,
                                        int64_t now, const char *nonce, struct wire_request *out);

/* Whether a reply is signed by the platform key with the configured serial and stamped within
 * five minutes of now (W2, W10); why says why not. No nonce is remembered: for replies that
 * only carry data (the bill's address), never for one that decides a payment. */
bool wechatpay_reply_authentic(const struct wechatpay_keys *keys, const struct wire_response *resp,
                               int64_t now, char *why, size_t whylen);

/* Reads a reply into *out (always filled; UNKNOWN unless verified and definite). now is the
 * unix time the reply is judged at (for the timestamp window). seen records the reply's nonce
 * and refuses one seen before; with seen NULL no nonce is checked and exchange_bound stays
 * false. out->said holds what the verified body states; out->server_time the signed
 * Wechatpay-Timestamp (even when too far off to be believed), else the Date header, else 0. */
void wechatpay_parse(const struct wechatpay_keys *keys, struct wechatpay_nonces *seen,
                     const struct gw_request *req, const struct wire_response *resp, int64_t now,
                     struct gw_reply *out);

/* Decrypts an APIv3 encrypted resource ({"algorithm":"AEAD_AES_256_GCM","ciphertext",
 * "nonce","associated_data"}, as in /v3/certificates and notifications) with the 32-byte
 * APIv3 key. Returns a malloc'd NUL-terminated plaintext, or NULL when the object is not
 * such a resource or does not authenticate. */
char *wechatpay_decrypt_resource(const unsigned char apiv3_key[32], const char *resource_json,
                                 size_t len);

#endif
