/*
 * fuzz_wechatpay_reply.c - wechatpay_parse() on any bytes, with the signature check in the path.
 *
 * First byte: bits 0-1 the operation (bit 6 makes it a refund query, bit 7 a QR create or, with
 * bit 0, a QR close), bits 2-4 the HTTP status
 * (from a table), bit 5 the mode.
 * Raw mode: the rest is "header lines, a blank line, the body" as received; nothing can be
 * believed. Signed mode: the rest is the body; the harness adds the four Wechatpay-* headers
 * signed with the "platform" test key and a nonce never used before, so the state and code
 * mapping is reached too; every tenth signed input is played twice, and the copy must be
 * refused as a replay.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reply_facts.h"
#include "wechatpay.h"

#define NOW 1795483781LL

static struct crypto_rng *rng;
static struct crypto_key *mch_key, *plat_priv, *plat_pub;
static struct wechatpay_keys keys;
static struct wechatpay_nonces *seen;

static struct crypto_key *gen(struct crypto_key **pub)
{
    static char priv_pem[4096], pub_pem[1024];
    struct crypto_key *k = NULL;
    if (crypto_rsa_generate_pem(rng, 1024, priv_pem, sizeof priv_pem, pub_pem, sizeof pub_pem) ||
        crypto_key_parse_private(&k, priv_pem, rng) ||
        (pub && crypto_key_parse_public(pub, pub_pem)))
        abort();
    return k;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (crypto_rng_open(&rng) != CRYPTO_OK)
        abort();
    mch_key = gen(NULL);
    plat_priv = gen(&plat_pub);
    keys.base_url = "https://api.mch.weixin.qq.com";
    keys.appid = "wxd678efh567hg6787";
    keys.mchid = "1900000109";
    keys.merchant_serial = "3775B6A4";
    keys.device_id = "POS01";
    keys.merchant_key = mch_key;
    keys.platform_key = plat_pub;
    keys.platform_serial = "ABCDEF0123";
    keys.rng = rng;
    seen = wechatpay_nonces_new(NOW - 1000);
    if (!seen)
        abort();
    return 0;
}

static void add(struct wire_response *r, const char *line)
{
    wire_response_add_header(r, line, strlen(line));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const long statuses[] = {200, 202, 204, 400, 403, 404, 500, 0};
    if (size < 1)
        return 0;
    struct gw_request req;
    memset(&req, 0, sizeof req);
    req.op = (data[0] & 64)    ? GW_REFUND_QUERY
             : (data[0] & 128) ? ((data[0] & 1) ? GW_QR_CLOSE : GW_QR_CREATE)
                               : (enum gw_op)(data[0] & 3);
    req.qr_window_s = 60;
    req.channel = CHANNEL_WECHAT;
    req.request_id = data[0];
    snprintf(req.order_no, sizeof req.order_no, "T01202611230001");
    snprintf(req.refund_no, sizeof req.refund_no, "R01202611230001");
    bool sign = data[0] & 32;
    const char *rest = (const char *)data + 1;
    size_t n = size - 1;

    struct wire_response resp;
    struct gw_reply out;
    memset(&resp, 0, sizeof resp);
    resp.status = statuses[(data[0] >> 2) & 7];
    char *copy = malloc(n + 1);
    memcpy(copy, rest, n);
    copy[n] = '\0';
    static unsigned long counter;
    char nonce[32];
    snprintf(nonce, sizeof nonce, "N0NCE%lu", ++counter);
    if (sign) {
        char line[1600], sig[CRYPTO_SIG_B64_MAX];
        size_t mlen = n + 64;
        char *msg = malloc(mlen);
        int head = snprintf(msg, mlen, "%lld\n%s\n", NOW, nonce);
        memcpy(msg + head, copy, n);
        msg[head + n] = '\n';
        if (crypto_rsa_sign_b64(plat_priv, rng, msg, head + n + 1, sig, sizeof sig))
            abort();
        free(msg);
        snprintf(line, sizeof line, "Wechatpay-Timestamp: %lld", NOW);
        add(&resp, line);
        snprintf(line, sizeof line, "Wechatpay-Nonce: %s", nonce);
        add(&resp, line);
        snprintf(line, sizeof line, "Wechatpay-Signature: %s", sig);
        add(&resp, line);
        add(&resp, "Wechatpay-Serial: ABCDEF0123");
        resp.body = copy;
        resp.body_len = n;
    } else {
        /* header lines up to the first empty line, then the body */
        char *p = copy, *end = copy + n;
        while (p < end) {
            char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
            if (len == 0) {
                p = nl ? nl + 1 : end;
                break;
            }
            wire_response_add_header(&resp, p, len);
            p = nl ? nl + 1 : end;
        }
        resp.body = p;
        resp.body_len = (size_t)(end - p);
    }
    wechatpay_parse(&keys, seen, &req, &resp, NOW, &out);
    if (!sign && out.kind != GW_UNKNOWN)
        abort(); /* a forged answer was believed */
    if (!sign && out.exchange_bound)
        abort();
    check_facts(&req, &out);
    if (sign && out.exchange_bound && counter % 10 == 0) {
        wechatpay_parse(&keys, seen, &req, &resp, NOW, &out);
        if (out.kind != GW_UNKNOWN || out.exchange_bound)
            abort(); /* a replay was believed */
    }
    free(copy);
    return 0;
}
