/*
 * key_pair.h - a fresh RSA-2048 pair for the channel tests, so no key is checked in: one
 * plays the merchant, another the gateway.
 */
#ifndef POSTERM_TEST_KEY_PAIR_H
#define POSTERM_TEST_KEY_PAIR_H

#include "check.h"
#include "crypto.h"

static inline void make_key_pair(struct crypto_rng *rng, struct crypto_key **priv,
                                 struct crypto_key **pub)
{
    static char priv_pem[4096], pub_pem[1024];
    CHECK_EQ_INT(
        crypto_rsa_generate_pem(rng, 2048, priv_pem, sizeof priv_pem, pub_pem, sizeof pub_pem),
        CRYPTO_OK);
    CHECK_EQ_INT(crypto_key_parse_private(priv, priv_pem, rng), CRYPTO_OK);
    CHECK_EQ_INT(crypto_key_parse_public(pub, pub_pem), CRYPTO_OK);
}

#endif
