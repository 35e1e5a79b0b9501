/*
 * crypto.h - the one door to mbedTLS: RSA (PKCS#1 v1.5, SHA-256) sign and verify, SHA-256,
 * HMAC-SHA256, AES-256-GCM, base64 and a CTR-DRBG seeded from the OS.
 *
 * Nothing else in posterm includes an mbedTLS header, so moving from Debian 12's mbedTLS 2.28
 * to 3.x changes crypto.c alone (its shim section lists the calls that differ).
 * Secret files (private keys, the WeChat APIv3 key) are refused when group or others may read
 * them; messages name the file and never contain key material.
 */
#ifndef POSTERM_CRYPTO_H
#define POSTERM_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum crypto_status {
    CRYPTO_OK = 0,
    CRYPTO_ERR_FILE,     /* missing, unreadable, not a regular file, or too large */
    CRYPTO_ERR_TOO_OPEN, /* a secret file readable or writable by group or others */
    CRYPTO_ERR_KEY,      /* the file or text holds no usable RSA key */
    CRYPTO_ERR_INPUT,    /* bad base64, wrong lengths, output buffer too small */
    CRYPTO_ERR_VERIFY,   /* signature does not match, or GCM tag does not authenticate */
    CRYPTO_ERR_RNG,      /* the OS entropy source failed */
    CRYPTO_ERR_NOMEM,
};

const char *crypto_status_reason(enum crypto_status st);

/* Size of a SHA-256 digest, an AES-256 key, and the GCM tag WeChat appends. */
#define CRYPTO_SHA256_LEN     32
#define CRYPTO_AES256_KEY_LEN 32
#define CRYPTO_GCM_TAG_LEN    16
/* Largest base64 signature produced or accepted (RSA up to 8192 bits), with its NUL. */
#define CRYPTO_SIG_B64_MAX 1400

/* --- randomness --- */
struct crypto_rng;
enum crypto_status crypto_rng_open(struct crypto_rng **out);
void crypto_rng_close(struct crypto_rng *rng);
enum crypto_status crypto_rng_bytes(struct crypto_rng *rng, unsigned char *buf, size_t len);
/* len random characters from [0-9A-Za-z], NUL-terminated (out holds len + 1). */
enum crypto_status crypto_rng_alnum(struct crypto_rng *rng, char *out, size_t len);

/* --- RSA keys --- */
struct crypto_key;
/* A private key (PKCS#1 or PKCS#8 PEM). The file must be a regular file with no group/other
 * permission bits (mode & 077 == 0). err names the file on failure. */
enum crypto_status crypto_key_load_private_file(struct crypto_key **out, const char *path,
                                                struct crypto_rng *rng, char *err, size_t errlen);
/* A public key: "PUBLIC KEY" / "RSA PUBLIC KEY" PEM, or a certificate PEM (its key is used).
 * Public keys are not secret, so their file mode is not checked. */
enum crypto_status crypto_key_load_public_file(struct crypto_key **out, const char *path, char *err,
                                               size_t errlen);
/* The same from text in memory (tests, and keys embedded in published examples). */
enum crypto_status crypto_key_parse_private(struct crypto_key **out, const char *pem,
                                            struct crypto_rng *rng);
enum crypto_status crypto_key_parse_public(struct crypto_key **out, const char *pem);
void crypto_key_free(struct crypto_key *key);
/* For a key loaded from a certificate: its serial number in upper-case hex, no separators
 * (the form WeChat uses in Wechatpay-Serial). Returns false when the key has no certificate. */
bool crypto_key_cert_serial(const struct crypto_key *key, char *out, size_t outlen);

/* --- trust anchors --- */
/* Whether a CA file (PEM bundle or one DER certificate) holds at least one certificate that
 * parses, so that a ca_file good for nothing is refused at start, not at the first payment.
 * Returns how many certificates it read, 0 with err naming the file and the cause. */
int crypto_ca_file_count(const char *path, char *err, size_t errlen);

/* A fresh RSA key pair as PEM text (PKCS#1 private, SubjectPublicKeyInfo public). For tests and
 * the simulator; the terminal itself never makes keys. */
enum crypto_status crypto_rsa_generate_pem(struct crypto_rng *rng, unsigned bits, char *priv_pem,
                                           size_t priv_cap, char *pub_pem, size_t pub_cap);

/* SHA256withRSA (PKCS#1 v1.5) over msg, written as standard base64 with a NUL into sig_b64
 * (CRYPTO_SIG_B64_MAX bytes are always enough). */
enum crypto_status crypto_rsa_sign_b64(const struct crypto_key *key, struct crypto_rng *rng,
                                       const void *msg, size_t msglen, char *sig_b64,
                                       size_t sig_cap);
/* CRYPTO_OK only when sig_b64 is valid base64 of a PKCS#1 v1.5 SHA-256 signature of msg by key. */
enum crypto_status crypto_rsa_verify_b64(const struct crypto_key *key, const void *msg,
                                         size_t msglen, const char *sig_b64, size_t sig_len);

/* --- digests --- */
void crypto_sha256(const void *data, size_t len, unsigned char out[CRYPTO_SHA256_LEN]);
void crypto_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                        unsigned char out[CRYPTO_SHA256_LEN]);

/* SHA-1, fed piece by piece: only to check a digest a gateway publishes (WeChat's bill
 * hash_value); never for a signature. */
#define CRYPTO_SHA1_LEN 20
struct crypto_sha1;
struct crypto_sha1 *crypto_sha1_new(void); /* NULL when out of memory */
void crypto_sha1_update(struct crypto_sha1 *h, const void *data, size_t len);
/* Writes the digest and frees h. */
void crypto_sha1_finish(struct crypto_sha1 *h, unsigned char out[CRYPTO_SHA1_LEN]);

/* --- AES-GCM (WeChat APIv3 resources use AES-256 with the APIv3 key; ciphertext is the data
 * followed by the 16-byte tag). key_len is 16, 24 or 32. --- */
enum crypto_status crypto_aes_gcm_decrypt(const unsigned char *key, size_t key_len,
                                          const void *nonce, size_t nonce_len, const void *aad,
                                          size_t aad_len, const unsigned char *in, size_t in_len,
                                          unsigned char *out, size_t out_cap, size_t *out_len);
enum crypto_status crypto_aes_gcm_encrypt(const unsigned char *key, size_t key_len,
                                          const void *nonce, size_t nonce_len, const void *aad,
                                          size_t aad_len, const unsigned char *in, size_t in_len,
                                          unsigned char *out, size_t out_cap, size_t *out_len);

/* --- base64 (standard alphabet, padded) --- */
/* Writes a NUL-terminated string; CRYPTO_ERR_INPUT when out is too small. */
enum crypto_status crypto_base64_encode(const void *in, size_t len, char *out, size_t out_cap);
enum crypto_status crypto_base64_decode(const char *in, size_t len, unsigned char *out,
                                        size_t out_cap, size_t *out_len);

/* --- secret files --- */
/* Reads a whole secret file (at most cap bytes) after checking it is a regular file with no
 * group/other permission bits. The WeChat APIv3 key is read this way. */
enum crypto_status crypto_read_secret_file(const char *path, unsigned char *buf, size_t cap,
                                           size_t *len, char *err, size_t errlen);

/* Overwrites memory that held a secret in a way the compiler may not drop. */
void crypto_wipe(void *buf, size_t len);

#endif
