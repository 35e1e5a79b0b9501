/*
 * crypto.c - mbedTLS behind crypto.h. The only file in posterm that includes mbedTLS.
 *
 * Built against Debian 12's mbedTLS 2.28. The calls whose signatures changed in 3.x are
 * gathered in the "shim" section below; a 3.x build only has to change that section.
 */
#include "crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/base64.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/gcm.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/rsa.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>

/* Key and certificate files are small; anything bigger is not what the config meant. */
#define KEY_FILE_MAX (64 * 1024)

/* ---------------------------------------------------------------------------------------
 * shim: the mbedTLS calls that differ between 2.28 and 3.x
 * ------------------------------------------------------------------------------------- */
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
static int shim_pk_parse_key(mbedtls_pk_context *pk, const unsigned char *key, size_t len,
                             mbedtls_ctr_drbg_context *drbg)
{
    return mbedtls_pk_parse_key(pk, key, len, NULL, 0, mbedtls_ctr_drbg_random, drbg);
}

static int shim_pk_sign(mbedtls_pk_context *pk, const unsigned char *hash, unsigned char *sig,
                        size_t sig_size, size_t *sig_len, mbedtls_ctr_drbg_context *drbg)
{
    return mbedtls_pk_sign(pk, MBEDTLS_MD_SHA256, hash, CRYPTO_SHA256_LEN, sig, sig_size, sig_len,
                           mbedtls_ctr_drbg_random, drbg);
}

static mbedtls_pk_context *shim_crt_pk(mbedtls_x509_crt *crt)
{
    return &crt->pk;
}
static const mbedtls_x509_buf *shim_crt_serial(const mbedtls_x509_crt *crt)
{
    return &crt->serial;
}
#else
static int shim_pk_parse_key(mbedtls_pk_context *pk, const unsigned char *key, size_t len,
                             mbedtls_ctr_drbg_context *drbg)
{
    (void)drbg; /* 2.28 does not blind the key check */
    return mbedtls_pk_parse_key(pk, key, len, NULL, 0);
}

static int shim_pk_sign(mbedtls_pk_context *pk, const unsigned char *hash, unsigned char *sig,
                        size_t sig_size, size_t *sig_len, mbedtls_ctr_drbg_context *drbg)
{
    (void)sig_size; /* 2.28 trusts MBEDTLS_PK_SIGNATURE_MAX_SIZE */
    return mbedtls_pk_sign(pk, MBEDTLS_MD_SHA256, hash, CRYPTO_SHA256_LEN, sig, sig_len,
                           mbedtls_ctr_drbg_random, drbg);
}

static mbedtls_pk_context *shim_crt_pk(mbedtls_x509_crt *crt)
{
    return &crt->pk;
}
static const mbedtls_x509_buf *shim_crt_serial(const mbedtls_x509_crt *crt)
{
    return &crt->serial;
}
#endif
/* --------------------------------------------------------------------------------------- */

const char *crypto_status_reason(enum crypto_status st)
{
    switch (st) {
    case CRYPTO_OK: return "ok";
    case CRYPTO_ERR_FILE: return "cannot read the file";
    case CRYPTO_ERR_TOO_OPEN: return "file may be read by group or others (chmod 600)";
    case CRYPTO_ERR_KEY: return "not a usable RSA key";
    case CRYPTO_ERR_INPUT: return "malformed input";
    case CRYPTO_ERR_VERIFY: return "signature or tag does not verify";
    case CRYPTO_ERR_RNG: return "random number source failed";
    case CRYPTO_ERR_NOMEM: return "out of memory";
    }
    return "?";
}

void crypto_wipe(void *buf, size_t len)
{
    mbedtls_platform_zeroize(buf, len);
}

/* --- randomness ------------------------------------------------------------------------ */

struct crypto_rng {
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
};

enum crypto_status crypto_rng_open(struct crypto_rng **out)
{
    static const char personal[] = "posterm gateway";
    struct crypto_rng *rng = calloc(1, sizeof *rng);
    *out = NULL;
    if (!rng)
        return CRYPTO_ERR_NOMEM;
    mbedtls_entropy_init(&rng->entropy);
    mbedtls_ctr_drbg_init(&rng->drbg);
    if (mbedtls_ctr_drbg_seed(&rng->drbg, mbedtls_entropy_func, &rng->entropy,
                              (const unsigned char *)personal, sizeof personal - 1) != 0) {
        crypto_rng_close(rng);
        return CRYPTO_ERR_RNG;
    }
    *out = rng;
    return CRYPTO_OK;
}

void crypto_rng_close(struct crypto_rng *rng)
{
    if (!rng)
        return;
    mbedtls_ctr_drbg_free(&rng->drbg);
    mbedtls_entropy_free(&rng->entropy);
    free(rng);
}

enum crypto_status crypto_rng_bytes(struct crypto_rng *rng, unsigned char *buf, size_t len)
{
    /* ctr_drbg hands out at most MBEDTLS_CTR_DRBG_MAX_REQUEST bytes per call */
    while (len > 0) {
        size_t n = len < MBEDTLS_CTR_DRBG_MAX_REQUEST ? len : MBEDTLS_CTR_DRBG_MAX_REQUEST;
        if (mbedtls_ctr_drbg_random(&rng->drbg, buf, n) != 0)
            return CRYPTO_ERR_RNG;
        buf += n;
        len -= n;
    }
    return CRYPTO_OK;
}

enum crypto_status crypto_rng_alnum(struct crypto_rng *rng, char *out, size_t len)
{
    static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    size_t i = 0;
    while (i < len) {
        unsigned char b[32];
        if (crypto_rng_bytes(rng, b, sizeof b) != CRYPTO_OK)
            return CRYPTO_ERR_RNG;
        /* rejection sampling keeps the 62 characters equally likely */
        for (size_t k = 0; k < sizeof b && i < len; k++)
            if (b[k] < 248)
                out[i++] = alphabet[b[k] % 62];
    }
    out[len] = '\0';
    return CRYPTO_OK;
}

/* --- files ----------------------------------------------------------------------------- */

/* Reads path into a fresh NUL-terminated buffer. When secret, refuses any group/other bits. */
static enum crypto_status read_file(const char *path, bool secret, unsigned char **data,
                                    size_t *len, char *err, size_t errlen)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    *data = NULL;
    *len = 0;
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return CRYPTO_ERR_FILE;
    }
    /* fstat on the open descriptor: the file checked is the file read */
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        close(fd);
        return CRYPTO_ERR_FILE;
    }
    if (secret && (st.st_mode & 077) != 0) {
        snprintf(err, errlen, "%s: mode %03o lets group or others at a secret; run chmod 600 %s",
                 path, (unsigned)(st.st_mode & 0777), path);
        close(fd);
        return CRYPTO_ERR_TOO_OPEN;
    }
    if (st.st_size > KEY_FILE_MAX) {
        snprintf(err, errlen, "%s: larger than %d bytes, not a key file", path, KEY_FILE_MAX);
        close(fd);
        return CRYPTO_ERR_FILE;
    }
    unsigned char *buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        close(fd);
        return CRYPTO_ERR_NOMEM;
    }
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    *data = buf;
    *len = got;
    return CRYPTO_OK;
}

static void free_secret(unsigned char *data, size_t len)
{
    if (!data)
        return;
    crypto_wipe(data, len);
    free(data);
}

enum crypto_status crypto_read_secret_file(const char *path, unsigned char *buf, size_t cap,
                                           size_t *len, char *err, size_t errlen)
{
    unsigned char *data;
    size_t n;
    enum crypto_status st = read_file(path, true, &data, &n, err, errlen);
    if (st != CRYPTO_OK)
        return st;
    if (n > cap) {
        snprintf(err, errlen, "%s: longer than the %zu bytes expected", path, cap);
        free_secret(data, n);
        return CRYPTO_ERR_INPUT;
    }
    memcpy(buf, data, n);
    *len = n;
    free_secret(data, n);
    return CRYPTO_OK;
}

/* --- keys ------------------------------------------------------------------------------ */

struct crypto_key {
    mbedtls_pk_context pk;
    mbedtls_x509_crt crt;
    bool has_crt;
};

static mbedtls_pk_context *key_pk(const struct crypto_key *key)
{
    struct crypto_key *k = (struct crypto_key *)key; /* mbedTLS 2.28 takes non-const contexts */
    return k->has_crt ? shim_crt_pk(&k->crt) : &k->pk;
}

static struct crypto_key *key_new(void)
{
    struct crypto_key *key = calloc(1, sizeof *key);
    if (!key)
        return NULL;
    mbedtls_pk_init(&key->pk);
    mbedtls_x509_crt_init(&key->crt);
    return key;
}

void crypto_key_free(struct crypto_key *key)
{
    if (!key)
        return;
    mbedtls_pk_free(&key->pk);
    mbedtls_x509_crt_free(&key->crt);
    free(key);
}

/* pem must be NUL-terminated; len excludes the NUL. */
static enum crypto_status parse_private(struct crypto_key **out, const unsigned char *pem,
                                        size_t len, struct crypto_rng *rng)
{
    struct crypto_key *key = key_new();
    *out = NULL;
    if (!key)
        return CRYPTO_ERR_NOMEM;
    /* mbedTLS wants the terminating NUL counted for PEM input */
    if (shim_pk_parse_key(&key->pk, pem, len + 1, rng ? &rng->drbg : NULL) != 0 ||
        !mbedtls_pk_can_do(&key->pk, MBEDTLS_PK_RSA)) {
        crypto_key_free(key);
        return CRYPTO_ERR_KEY;
    }
    *out = key;
    return CRYPTO_OK;
}

static enum crypto_status parse_public(struct crypto_key **out, const unsigned char *pem,
                                       size_t len)
{
    struct crypto_key *key = key_new();
    *out = NULL;
    if (!key)
        return CRYPTO_ERR_NOMEM;
    if (strstr((const char *)pem, "-----BEGIN CERTIFICATE-----")) {
        if (mbedtls_x509_crt_parse(&key->crt, pem, len + 1) != 0) {
            crypto_key_free(key);
            return CRYPTO_ERR_KEY;
        }
        key->has_crt = true;
    } else if (mbedtls_pk_parse_public_key(&key->pk, pem, len + 1) != 0) {
        crypto_key_free(key);
        return CRYPTO_ERR_KEY;
    }
    if (!mbedtls_pk_can_do(key_pk(key), MBEDTLS_PK_RSA)) {
        crypto_key_free(key);
        return CRYPTO_ERR_KEY;
    }
    *out = key;
    return CRYPTO_OK;
}

enum crypto_status crypto_key_parse_private(struct crypto_key **out, const char *pem,
                                            struct crypto_rng *rng)
{
    return parse_private(out, (const unsigned char *)pem, strlen(pem), rng);
}

enum crypto_status crypto_key_parse_public(struct crypto_key **out, const char *pem)
{
    return parse_public(out, (const unsigned char *)pem, strlen(pem));
}

enum crypto_status crypto_key_load_private_file(struct crypto_key **out, const char *path,
                                                struct crypto_rng *rng, char *err, size_t errlen)
{
    unsigned char *data;
    size_t len;
    enum crypto_status st = read_file(path, true, &data, &len, err, errlen);
    *out = NULL;
    if (st != CRYPTO_OK)
        return st;
    st = parse_private(out, data, len, rng);
    free_secret(data, len);
    if (st == CRYPTO_ERR_KEY)
        snprintf(err, errlen, "%s: no RSA private key in PEM form (PKCS#1 or PKCS#8)", path);
    return st;
}

enum crypto_status crypto_key_load_public_file(struct crypto_key **out, const char *path, char *err,
                                               size_t errlen)
{
    unsigned char *data;
    size_t len;
    enum crypto_status st = read_file(path, false, &data, &len, err, errlen);
    *out = NULL;
    if (st != CRYPTO_OK)
        return st;
    st = parse_public(out, data, len);
    free(data);
    if (st == CRYPTO_ERR_KEY)
        snprintf(err, errlen, "%s: no RSA public key or certificate in PEM form", path);
    return st;
}

int crypto_ca_file_count(const char *path, char *err, size_t errlen)
{
    mbedtls_x509_crt chain;
    int count = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return 0;
    }
    fclose(f);
    mbedtls_x509_crt_init(&chain);
    /* > 0: that many failed but others were read; < 0: none could be read */
    (void)mbedtls_x509_crt_parse_file(&chain, path);
    for (const mbedtls_x509_crt *c = &chain; c; c = c->next)
        if (c->raw.len > 0)
            count++;
    mbedtls_x509_crt_free(&chain);
    if (count == 0)
        snprintf(err, errlen, "%s: holds no certificate that can be read (PEM or DER)", path);
    return count;
}

bool crypto_key_cert_serial(const struct crypto_key *key, char *out, size_t outlen)
{
    if (!key->has_crt)
        return false;
    const mbedtls_x509_buf *serial = shim_crt_serial(&key->crt);
    if (outlen < serial->len * 2 + 1)
        return false;
    for (size_t i = 0; i < serial->len; i++)
        snprintf(out + 2 * i, 3, "%02X", serial->p[i]);
    out[serial->len * 2] = '\0';
    return true;
}

enum crypto_status crypto_rsa_generate_pem(struct crypto_rng *rng, unsigned bits, char *priv_pem,
                                           size_t priv_cap, char *pub_pem, size_t pub_cap)
{
    mbedtls_pk_context pk;
    enum crypto_status st = CRYPTO_OK;
    mbedtls_pk_init(&pk);
    if (mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)) != 0)
        st = CRYPTO_ERR_NOMEM;
    else if (mbedtls_rsa_gen_key(mbedtls_pk_rsa(pk), mbedtls_ctr_drbg_random, &rng->drbg, bits,
                                 65537) != 0)
        st = CRYPTO_ERR_RNG;
    else if (mbedtls_pk_write_key_pem(&pk, (unsigned char *)priv_pem, priv_cap) != 0 ||
             mbedtls_pk_write_pubkey_pem(&pk, (unsigned char *)pub_pem, pub_cap) != 0)
        st = CRYPTO_ERR_INPUT;
    mbedtls_pk_free(&pk);
    return st;
}

/* --- RSA sign / verify ----------------------------------------------------------------- */

enum crypto_status crypto_rsa_sign_b64(const struct crypto_key *key, struct crypto_rng *rng,
                                       const void *msg, size_t msglen, char *sig_b64,
                                       size_t sig_cap)
{
    unsigned char hash[CRYPTO_SHA256_LEN];
    unsigned char sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE > 1024 ? MBEDTLS_PK_SIGNATURE_MAX_SIZE : 1024];
    size_t sig_len = 0;
    mbedtls_pk_context *pk = key_pk(key);
    if (!mbedtls_pk_can_do(pk, MBEDTLS_PK_RSA) || mbedtls_pk_get_len(pk) > sizeof sig)
        return CRYPTO_ERR_KEY;
    crypto_sha256(msg, msglen, hash);
    if (shim_pk_sign(pk, hash, sig, sizeof sig, &sig_len, &rng->drbg) != 0)
        return CRYPTO_ERR_KEY;
    return crypto_base64_encode(sig, sig_len, sig_b64, sig_cap);
}

enum crypto_status crypto_rsa_verify_b64(const struct crypto_key *key, const void *msg,
                                         size_t msglen, const char *sig_b64, size_t sig_len)
{
    unsigned char hash[CRYPTO_SHA256_LEN];
    unsigned char sig[1100];
    size_t n = 0;
    mbedtls_pk_context *pk = key_pk(key);
    if (crypto_base64_decode(sig_b64, sig_len, sig, sizeof sig, &n) != CRYPTO_OK)
        return CRYPTO_ERR_VERIFY;
    /* PKCS#1 v1.5 signatures are exactly as long as the modulus */
    if (n != mbedtls_pk_get_len(pk))
        return CRYPTO_ERR_VERIFY;
    crypto_sha256(msg, msglen, hash);
    if (mbedtls_pk_verify(pk, MBEDTLS_MD_SHA256, hash, sizeof hash, sig, n) != 0)
        return CRYPTO_ERR_VERIFY;
    return CRYPTO_OK;
}

/* --- digests --------------------------------------------------------------------------- */

void crypto_sha256(const void *data, size_t len, unsigned char out[CRYPTO_SHA256_LEN])
{
    mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), data, len, out);
}

void crypto_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                        unsigned char out[CRYPTO_SHA256_LEN])
{
    mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), key, keylen, data, len, out);
}

/* --- AES-GCM ----------------------------------------------------------------------- */

static bool aes_key_len_ok(size_t n)
{
    return n == 16 || n == 24 || n == 32;
}

enum crypto_status crypto_aes_gcm_decrypt(const unsigned char *key, size_t key_len,
                                          const void *nonce, size_t nonce_len, const void *aad,
                                          size_t aad_len, const unsigned char *in, size_t in_len,
                                          unsigned char *out, size_t out_cap, size_t *out_len)
{
    mbedtls_gcm_context gcm;
    enum crypto_status st = CRYPTO_OK;
    *out_len = 0;
    if (in_len < CRYPTO_GCM_TAG_LEN || nonce_len == 0 || !aes_key_len_ok(key_len))
        return CRYPTO_ERR_INPUT;
    size_t n = in_len - CRYPTO_GCM_TAG_LEN;
    if (n > out_cap)
        return CRYPTO_ERR_INPUT;
    mbedtls_gcm_init(&gcm);
    if (mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key, (unsigned)(key_len * 8)) != 0)
        st = CRYPTO_ERR_KEY;
    else if (mbedtls_gcm_auth_decrypt(&gcm, n, nonce, nonce_len, aad, aad_len, in + n,
                                      CRYPTO_GCM_TAG_LEN, in, out) != 0)
        st = CRYPTO_ERR_VERIFY;
    mbedtls_gcm_free(&gcm);
    if (st == CRYPTO_OK)
        *out_len = n;
    else
        crypto_wipe(out, n);
    return st;
}

enum crypto_status crypto_aes_gcm_encrypt(const unsigned char *key, size_t key_len,
                                          const void *nonce, size_t nonce_len, const void *aad,
                                          size_t aad_len, const unsigned char *in, size_t in_len,
                                          unsigned char *out, size_t out_cap, size_t *out_len)
{
    mbedtls_gcm_context gcm;
    enum crypto_status st = CRYPTO_OK;
    *out_len = 0;
    if (nonce_len == 0 || !aes_key_len_ok(key_len) || out_cap < in_len ||
        out_cap - in_len < CRYPTO_GCM_TAG_LEN)
        return CRYPTO_ERR_INPUT;
    mbedtls_gcm_init(&gcm);
    if (mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key, (unsigned)(key_len * 8)) != 0 ||
        mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, in_len, nonce, nonce_len, aad, aad_len,
                                  in, out, CRYPTO_GCM_TAG_LEN, out + in_len) != 0)
        st = CRYPTO_ERR_KEY;
    mbedtls_gcm_free(&gcm);
    if (st == CRYPTO_OK)
        *out_len = in_len + CRYPTO_GCM_TAG_LEN;
    return st;
}

/* --- base64 ---------------------------------------------------------------------------- */

enum crypto_status crypto_base64_encode(const void *in, size_t len, char *out, size_t out_cap)
{
    size_t n = 0;
    if (mbedtls_base64_encode((unsigned char *)out, out_cap, &n, in, len) != 0)
        return CRYPTO_ERR_INPUT;
    return CRYPTO_OK;
}

enum crypto_status crypto_base64_decode(const char *in, size_t len, unsigned char *out,
                                        size_t out_cap, size_t *out_len)
{
    *out_len = 0;
    if (len == 0)
        return CRYPTO_ERR_INPUT;
    if (mbedtls_base64_decode(out, out_cap, out_len, (const unsigned char *)in, len) != 0)
        return CRYPTO_ERR_INPUT;
    return CRYPTO_OK;
}

/* --- SHA-1 (through the md layer, the same calls in mbedTLS 2.28 and 3.x) --- */

struct crypto_sha1 {
    mbedtls_md_context_t ctx;
};

struct crypto_sha1 *crypto_sha1_new(void)
{
    struct crypto_sha1 *h = malloc(sizeof *h);
    if (!h)
        return NULL;
    mbedtls_md_init(&h->ctx);
    if (mbedtls_md_setup(&h->ctx, mbedtls_md_info_from_type(MBEDTLS_MD_SHA1), 0) != 0 ||
        mbedtls_md_starts(&h->ctx) != 0) {
        mbedtls_md_free(&h->ctx);
        free(h);
        return NULL;
    }
    return h;
}

void crypto_sha1_update(struct crypto_sha1 *h, const void *data, size_t len)
{
    mbedtls_md_update(&h->ctx, data, len);
}

void crypto_sha1_finish(struct crypto_sha1 *h, unsigned char out[CRYPTO_SHA1_LEN])
{
    mbedtls_md_finish(&h->ctx, out);
    mbedtls_md_free(&h->ctx);
    free(h);
}
