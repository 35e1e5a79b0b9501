/*
 * fuzz_alipay_reply.c - alipay_parse() on any bytes, with the signature check in the path.
 *
 * First byte: bits 0-1 the operation (bit 7 makes it a refund query, bit 6 a QR create or, with
 * bit 0, a QR close), bit 2 the mode. Raw mode: the
 * rest is the whole body as received (signature almost never verifies: exercises the scanner, JSON
 * and refusals). Signed mode: the rest is the response object; the harness wraps and signs it with
 * the "Alipay" test key so the code mapping behind a valid signature is reached too. Invariant
 * checked: a reply is only SUCCESS/FAILED/PAYING in signed mode.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reply_facts.h"
#include "alipay.h"

static struct crypto_rng *rng;
static struct crypto_key *app_key, *ali_priv, *ali_pub;
static struct alipay_keys keys;

static struct crypto_key *gen(struct crypto_key **pub)
{
    static char priv_pem[4096], pub_pem[1024];
    struct crypto_key *k = NULL;
    /* 1024 bits keeps each signed input cheap; the parser does not care about the size */
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
    app_key = gen(NULL);
    ali_priv = gen(&ali_pub);
    keys.gateway_url = "https://openapi.alipay.com/gateway.do";
    keys.app_id = "2021000000000001";
    keys.app_key = app_key;
    keys.alipay_key = ali_pub;
    keys.rng = rng;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct gw_request req;
    memset(&req, 0, sizeof req);
    req.op = (data[0] & 128)  ? GW_REFUND_QUERY
             : (data[0] & 64) ? ((data[0] & 1) ? GW_QR_CLOSE : GW_QR_CREATE)
                              : (enum gw_op)(data[0] & 3);
    req.qr_window_s = 60;
    req.channel = CHANNEL_ALIPAY;
    req.request_id = data[0];
    snprintf(req.order_no, sizeof req.order_no, "T01202611230001");
    snprintf(req.refund_no, sizeof req.refund_no, "R01202611230001");
    bool sign = data[0] & 4;
    const char *rest = (const char *)data + 1;
    size_t n = size - 1;

    struct wire_response resp;
    struct gw_reply out;
    memset(&resp, 0, sizeof resp);
    resp.status = 200;
    char *body = NULL;
    if (sign) {
        char key[64], sig[CRYPTO_SIG_B64_MAX];
        snprintf(key, sizeof key, "%s_response", alipay_method(req.op));
        for (char *c = key; *c; c++)
            if (*c == '.')
                *c = '_';
        if (crypto_rsa_sign_b64(ali_priv, rng, rest, n, sig, sizeof sig) != CRYPTO_OK)
            abort();
        size_t cap = n + strlen(key) + strlen(sig) + 32;
        body = malloc(cap);
        int head = snprintf(body, cap, "{\"%s\":", key);
        memcpy(body + head, rest, n);
        int tail = snprintf(body + head + n, cap - head - n, ",\"sign\":\"%s\"}", sig);
        resp.body = body;
        resp.body_len = (size_t)head + n + (size_t)tail;
    } else {
        body = malloc(n ? n : 1);
        if (n)
            memcpy(body, rest, n);
        resp.body = body;
        resp.body_len = n;
    }
    alipay_parse(&keys, &req, &resp, &out);
    if (!sign && out.kind != GW_UNKNOWN)
        abort(); /* a forged answer was believed */
    if (out.exchange_bound)
        abort(); /* Alipay's signature binds no exchange */
    check_facts(&req, &out);
    free(body);
    return 0;
}
