/*
 * sim_crypto.h - every cryptographic operation the gateway simulator does, in one place.
 *
 * Written against mbedTLS directly and independently of drivers/gateway, so that a wrong sign
 * string on either side shows up as a rejected request or reply instead of two bugs agreeing.
 * Promises: SHA256withRSA (PKCS#1 v1.5) signatures in standard base64, RSA-2048 key pairs
 * written as PEM (private keys PKCS#8, mode 0600), a throw-away CA and loopback server
 * certificate for HTTPS tests, and random nonces. All functions are safe to call from several
 * threads at once.
 */
#ifndef POSTERM_SIM_CRYPTO_H
#define POSTERM_SIM_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

enum sim_crypto_status {
    SIM_CRYPTO_OK = 0,
    SIM_CRYPTO_ERR_FILE,  /* a file could not be read or written */
    SIM_CRYPTO_ERR_KEY,   /* not a usable key (wrong type, unparsable, wrong size) */
    SIM_CRYPTO_ERR_SPACE, /* the output buffer is too small */
    SIM_CRYPTO_ERR_LIB,   /* mbedTLS refused (random source, signing) */
};

struct sim_key;

/* PEM (PKCS#1 or PKCS#8) private key, or PEM SubjectPublicKeyInfo public key. RSA only.
 * On failure *out is NULL and err names the file and the reason. */
enum sim_crypto_status sim_key_load_private(struct sim_key **out, const char *path, char *err,
                                            size_t errlen);
enum sim_crypto_status sim_key_load_public(struct sim_key **out, const char *path, char *err,
                                           size_t errlen);
void sim_key_free(struct sim_key *key);

/* SHA-1 of data as 40 lower-case hex digits (the WeChat bill's hash_value). */
void sim_sha1_hex(const void *data, size_t len, char out[41]);

/* base64(SHA256withRSA(key, msg)) NUL-terminated into out (344 bytes fit RSA-2048). */
enum sim_crypto_status sim_sign_b64(struct sim_key *key, const void *msg, size_t len, char *out,
                                    size_t outlen);
/* True only when sig_b64 is valid base64 of a signature over msg by key. */
bool sim_verify_b64(struct sim_key *key, const void *msg, size_t len, const char *sig_b64);

/* len random letters and digits plus a NUL (out holds len + 1). */
enum sim_crypto_status sim_random_alnum(char *out, size_t len);

/* Writes a fresh RSA-2048 pair: private_path (PKCS#8 PEM, 0600) and public_path (SPKI PEM). */
enum sim_crypto_status sim_make_rsa_pair(const char *private_path, const char *public_path,
                                         char *err, size_t errlen);

/* Writes dir/ca.pem (a throw-away CA), dir/server.pem and dir/server.key (0600): a server
 * certificate for "localhost" and 127.0.0.1 signed by that CA. */
enum sim_crypto_status sim_make_tls(const char *dir, char *err, size_t errlen);

#endif
