/*
 * sim_crypto.c - the simulator's signatures, keys and certificates, on mbedTLS 2.28.
 *
 * One random generator serves the whole process; a mutex around it (and one per key around
 * signing, which draws blinding values) keeps concurrent connection threads from sharing
 * generator or RSA state unsafely.
 */
#include "sim_crypto.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/asn1write.h>
#include <mbedtls/base64.h>
#include <mbedtls/md.h>
#include <mbedtls/bignum.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>

struct sim_key {
    mbedtls_pk_context pk;
    pthread_mutex_t lock;
};

static pthread_once_t rng_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t rng_lock = PTHREAD_MUTEX_INITIALIZER;
static mbedtls_entropy_context rng_entropy;
static mbedtls_ctr_drbg_context rng_drbg;
static int rng_seed_status;

static void rng_seed(void)
{
    static const char pers[] = "posterm-sim";
    mbedtls_entropy_init(&rng_entropy);
    mbedtls_ctr_drbg_init(&rng_drbg);
    rng_seed_status = mbedtls_ctr_drbg_seed(&rng_drbg, mbedtls_entropy_func, &rng_entropy,
                                            (const unsigned char *)pers, sizeof pers - 1);
}

/* The f_rng every mbedTLS call here gets: serialised, so any thread may use it. */
static int rng(void *unused, unsigned char *out, size_t len)
{
    (void)unused;
    pthread_once(&rng_once, rng_seed);
    if (rng_seed_status != 0)
        return rng_seed_status;
    pthread_mutex_lock(&rng_lock);
    int rc = mbedtls_ctr_drbg_random(&rng_drbg, out, len);
    pthread_mutex_unlock(&rng_lock);
    return rc;
}

static void lib_error(char *err, size_t errlen, const char *what, const char *path, int rc)
{
    snprintf(err, errlen, "%s%s%s: mbedTLS error -0x%04x", path ? path : "", path ? ": " : "", what,
             (unsigned)-rc);
}

static enum sim_crypto_status key_load(struct sim_key **out, const char *path, bool private_key,
                                       char *err, size_t errlen)
{
    *out = NULL;
    struct sim_key *key = calloc(1, sizeof *key);
    if (key == NULL) {
        snprintf(err, errlen, "%s: out of memory", path);
        return SIM_CRYPTO_ERR_LIB;
    }
    mbedtls_pk_init(&key->pk);
    pthread_mutex_init(&key->lock, NULL);
    if (access(path, R_OK) != 0) {
        snprintf(err, errlen, "%s: cannot read key file", path);
        sim_key_free(key);
        return SIM_CRYPTO_ERR_FILE;
    }
    int rc = private_key ? mbedtls_pk_parse_keyfile(&key->pk, path, NULL)
                         : mbedtls_pk_parse_public_keyfile(&key->pk, path);
    if (rc != 0) {
        snprintf(err, errlen, "%s: not a PEM %s key (mbedTLS error -0x%04x)", path,
                 private_key ? "private" : "public", (unsigned)-rc);
        sim_key_free(key);
        return SIM_CRYPTO_ERR_KEY;
    }
    if (mbedtls_pk_get_type(&key->pk) != MBEDTLS_PK_RSA || mbedtls_pk_get_bitlen(&key->pk) < 2048) {
        snprintf(err, errlen, "%s: not an RSA key of at least 2048 bits", path);
        sim_key_free(key);
        return SIM_CRYPTO_ERR_KEY;
    }
    *out = key;
    return SIM_CRYPTO_OK;
}

enum sim_crypto_status sim_key_load_private(struct sim_key **out, const char *path, char *err,
                                            size_t errlen)
{
    return key_load(out, path, true, err, errlen);
}

enum sim_crypto_status sim_key_load_public(struct sim_key **out, const char *path, char *err,
                                           size_t errlen)
{
    return key_load(out, path, false, err, errlen);
}

void sim_key_free(struct sim_key *key)
{
    if (key == NULL)
        return;
    mbedtls_pk_free(&key->pk);
    pthread_mutex_destroy(&key->lock);
    free(key);
}

enum sim_crypto_status sim_sign_b64(struct sim_key *key, const void *msg, size_t len, char *out,
                                    size_t outlen)
{
    unsigned char hash[32];
    unsigned char sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
    size_t sig_len = 0;
    if (mbedtls_sha256_ret(msg, len, hash, 0) != 0)
        return SIM_CRYPTO_ERR_LIB;
    pthread_mutex_lock(&key->lock);
    int rc =
        mbedtls_pk_sign(&key->pk, MBEDTLS_MD_SHA256, hash, sizeof hash, sig, &sig_len, rng, NULL);
    pthread_mutex_unlock(&key->lock);
    if (rc != 0)
        return SIM_CRYPTO_ERR_LIB;
    size_t written = 0;
    rc = mbedtls_base64_encode((unsigned char *)out, outlen, &written, sig, sig_len);
    if (rc != 0)
        return SIM_CRYPTO_ERR_SPACE;
    return SIM_CRYPTO_OK;
}

bool sim_verify_b64(struct sim_key *key, const void *msg, size_t len, const char *sig_b64)
{
    unsigned char sig[1024];
    size_t sig_len = 0;
    if (sig_b64 == NULL || *sig_b64 == '\0')
        return false;
    if (mbedtls_base64_decode(sig, sizeof sig, &sig_len, (const unsigned char *)sig_b64,
                              strlen(sig_b64)) != 0)
        return false;
    unsigned char hash[32];
    if (mbedtls_sha256_ret(msg, len, hash, 0) != 0)
        return false;
    pthread_mutex_lock(&key->lock);
    int rc = mbedtls_pk_verify(&key->pk, MBEDTLS_MD_SHA256, hash, sizeof hash, sig, sig_len);
    pthread_mutex_unlock(&key->lock);
    return rc == 0;
}

enum sim_crypto_status sim_random_alnum(char *out, size_t len)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyz";
    unsigned char raw[128];
    size_t done = 0;
    while (done < len) {
        size_t chunk = len - done < sizeof raw ? len - done : sizeof raw;
        if (rng(NULL, raw, chunk) != 0)
            return SIM_CRYPTO_ERR_LIB;
        /* 62 letters: the slight bias of % does not matter for a nonce. */
        for (size_t i = 0; i < chunk; i++)
            out[done + i] = alphabet[raw[i] % (sizeof alphabet - 1)];
        done += chunk;
    }
    out[len] = '\0';
    return SIM_CRYPTO_OK;
}

/* Creates path with mode (tightened even if the file existed) and writes len bytes. */
static enum sim_crypto_status write_file(const char *path, const void *data, size_t len,
                                         mode_t mode, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0 || fchmod(fd, mode) != 0) {
        snprintf(err, errlen, "%s: cannot create file", path);
        if (fd >= 0)
            close(fd);
        return SIM_CRYPTO_ERR_FILE;
    }
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n <= 0) {
            snprintf(err, errlen, "%s: write failed", path);
            close(fd);
            return SIM_CRYPTO_ERR_FILE;
        }
        p += n;
        len -= (size_t)n;
    }
    if (close(fd) != 0) {
        snprintf(err, errlen, "%s: write failed", path);
        return SIM_CRYPTO_ERR_FILE;
    }
    return SIM_CRYPTO_OK;
}

/* mbedTLS 2.28 writes RSA private keys only as PKCS#1; merchants' key files (WeChat's
 * apiclient_key.pem, Alipay's Java tooling) are PKCS#8, so wrap it:
 * PrivateKeyInfo ::= SEQUENCE { INTEGER 0, AlgorithmIdentifier rsaEncryption, OCTET STRING }. */
static int write_pkcs8_pem(mbedtls_pk_context *pk, unsigned char *pem, size_t pem_size)
{
    unsigned char pkcs1[4096], der[4200];
    int n = mbedtls_pk_write_key_der(pk, pkcs1, sizeof pkcs1);
    if (n < 0)
        return n;
    unsigned char *start = der, *p = der + sizeof der;
    size_t len = 0;
    int rc;
#define ASN1_ADD(call)                                                                             \
    do {                                                                                           \
        if ((rc = (call)) < 0)                                                                     \
            return rc;                                                                             \
        len += (size_t)rc;                                                                         \
    } while (0)
    ASN1_ADD(mbedtls_asn1_write_raw_buffer(&p, start, pkcs1 + sizeof pkcs1 - n, (size_t)n));
    ASN1_ADD(mbedtls_asn1_write_len(&p, start, (size_t)n));
    ASN1_ADD(mbedtls_asn1_write_tag(&p, start, MBEDTLS_ASN1_OCTET_STRING));
    ASN1_ADD(mbedtls_asn1_write_algorithm_identifier(&p, start, MBEDTLS_OID_PKCS1_RSA,
                                                     MBEDTLS_OID_SIZE(MBEDTLS_OID_PKCS1_RSA), 0));
    ASN1_ADD(mbedtls_asn1_write_int(&p, start, 0));
    ASN1_ADD(mbedtls_asn1_write_len(&p, start, len));
    ASN1_ADD(mbedtls_asn1_write_tag(&p, start, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
#undef ASN1_ADD
    size_t olen = 0;
    return mbedtls_pem_write_buffer("-----BEGIN PRIVATE KEY-----\n", "-----END PRIVATE KEY-----\n",
                                    p, len, pem, pem_size, &olen);
}

enum sim_crypto_status sim_make_rsa_pair(const char *private_path, const char *public_path,
                                         char *err, size_t errlen)
{
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    unsigned char pem[8192];
    enum sim_crypto_status st = SIM_CRYPTO_ERR_LIB;
    int rc = mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA));
    if (rc == 0)
        rc = mbedtls_rsa_gen_key(mbedtls_pk_rsa(pk), rng, NULL, 2048, 65537);
    if (rc != 0) {
        lib_error(err, errlen, "RSA key generation", NULL, rc);
        goto out;
    }
    if ((rc = write_pkcs8_pem(&pk, pem, sizeof pem)) != 0) {
        lib_error(err, errlen, "writing private key", private_path, rc);
        goto out;
    }
    st = write_file(private_path, pem, strlen((char *)pem), 0600, err, errlen);
    if (st != SIM_CRYPTO_OK)
        goto out;
    if ((rc = mbedtls_pk_write_pubkey_pem(&pk, pem, sizeof pem)) != 0) {
        lib_error(err, errlen, "writing public key", public_path, rc);
        st = SIM_CRYPTO_ERR_LIB;
        goto out;
    }
    st = write_file(public_path, pem, strlen((char *)pem), 0644, err, errlen);
out:
    mbedtls_pk_free(&pk);
    mbedtls_platform_zeroize(pem, sizeof pem);
    return st;
}

static int make_ec_key(mbedtls_pk_context *pk)
{
    int rc = mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
    if (rc == 0)
        rc = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*pk), rng, NULL);
    return rc;
}

static void validity_stamp(time_t t, char out[15])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 15, "%Y%m%d%H%M%S", &tm);
}

/* Issues one certificate: subject_key signed by issuer_key. ca selects the CA profile; the
 * leaf profile carries the loopback names and serverAuth. */
static int issue_cert(mbedtls_pk_context *subject_key, const char *subject,
                      mbedtls_pk_context *issuer_key, const char *issuer, bool ca, int serial,
                      unsigned char *pem, size_t pem_size)
{
    /* subjectAltName: dNSName "localhost", iPAddress 127.0.0.1 */
    static const unsigned char san[] = {0x30, 0x11, 0x82, 0x09, 'l',  'o',  'c',  'a',  'l', 'h',
                                        'o',  's',  't',  0x87, 0x04, 0x7f, 0x00, 0x00, 0x01};
    /* extKeyUsage: id-kp-serverAuth */
    static const unsigned char eku[] = {0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06,
                                        0x01, 0x05, 0x05, 0x07, 0x03, 0x01};
    mbedtls_x509write_cert crt;
    mbedtls_mpi sn;
    mbedtls_x509write_crt_init(&crt);
    mbedtls_mpi_init(&sn);
    char not_before[15], not_after[15];
    time_t now = time(NULL);
    validity_stamp(now - 86400, not_before);
    validity_stamp(now + 10L * 365 * 86400, not_after);

    int rc = mbedtls_mpi_lset(&sn, serial);
    mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(&crt, subject_key);
    mbedtls_x509write_crt_set_issuer_key(&crt, issuer_key);
    if (rc == 0)
        rc = mbedtls_x509write_crt_set_subject_name(&crt, subject);
    if (rc == 0)
        rc = mbedtls_x509write_crt_set_issuer_name(&crt, issuer);
    if (rc == 0)
        rc = mbedtls_x509write_crt_set_serial(&crt, &sn);
    if (rc == 0)
        rc = mbedtls_x509write_crt_set_validity(&crt, not_before, not_after);
    if (rc == 0)
        rc = mbedtls_x509write_crt_set_basic_constraints(&crt, ca ? 1 : 0, ca ? 0 : -1);
    if (rc == 0)
        rc = mbedtls_x509write_crt_set_subject_key_identifier(&crt);
    if (rc == 0)
        rc = mbedtls_x509write_crt_set_authority_key_identifier(&crt);
    if (rc == 0)
        rc = mbedtls_x509write_crt_set_key_usage(
            &crt, ca ? (MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN)
                     : MBEDTLS_X509_KU_DIGITAL_SIGNATURE);
    if (rc == 0 && !ca)
        rc = mbedtls_x509write_crt_set_extension(&crt, MBEDTLS_OID_SUBJECT_ALT_NAME,
                                                 MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 0,
                                                 san, sizeof san);
    if (rc == 0 && !ca)
        rc = mbedtls_x509write_crt_set_extension(&crt, MBEDTLS_OID_EXTENDED_KEY_USAGE,
                                                 MBEDTLS_OID_SIZE(MBEDTLS_OID_EXTENDED_KEY_USAGE),
                                                 0, eku, sizeof eku);
    if (rc == 0)
        rc = mbedtls_x509write_crt_pem(&crt, pem, pem_size, rng, NULL);
    mbedtls_x509write_crt_free(&crt);
    mbedtls_mpi_free(&sn);
    return rc;
}

enum sim_crypto_status sim_make_tls(const char *dir, char *err, size_t errlen)
{
    static const char ca_name[] = "CN=posterm-sim throw-away test CA,O=posterm tests";
    mbedtls_pk_context ca_key, server_key;
    mbedtls_pk_init(&ca_key);
    mbedtls_pk_init(&server_key);
    unsigned char pem[8192];
    char path[4096];
    enum sim_crypto_status st = SIM_CRYPTO_ERR_LIB;
    int rc = make_ec_key(&ca_key);
    if (rc == 0)
        rc = make_ec_key(&server_key);
    if (rc != 0) {
        lib_error(err, errlen, "EC key generation", NULL, rc);
        goto out;
    }
    if ((rc = issue_cert(&ca_key, ca_name, &ca_key, ca_name, true, 1, pem, sizeof pem)) != 0) {
        lib_error(err, errlen, "issuing the CA certificate", NULL, rc);
        goto out;
    }
    snprintf(path, sizeof path, "%s/ca.pem", dir);
    if ((st = write_file(path, pem, strlen((char *)pem), 0644, err, errlen)) != SIM_CRYPTO_OK)
        goto out;
    st = SIM_CRYPTO_ERR_LIB;
    if ((rc = issue_cert(&server_key, "CN=localhost,O=posterm tests", &ca_key, ca_name, false, 2,
                         pem, sizeof pem)) != 0) {
        lib_error(err, errlen, "issuing the server certificate", NULL, rc);
        goto out;
    }
    snprintf(path, sizeof path, "%s/server.pem", dir);
    if ((st = write_file(path, pem, strlen((char *)pem), 0644, err, errlen)) != SIM_CRYPTO_OK)
        goto out;
    st = SIM_CRYPTO_ERR_LIB;
    if ((rc = mbedtls_pk_write_key_pem(&server_key, pem, sizeof pem)) != 0) {
        lib_error(err, errlen, "writing the server key", NULL, rc);
        goto out;
    }
    snprintf(path, sizeof path, "%s/server.key", dir);
    st = write_file(path, pem, strlen((char *)pem), 0600, err, errlen);
out:
    mbedtls_pk_free(&ca_key);
    mbedtls_pk_free(&server_key);
    mbedtls_platform_zeroize(pem, sizeof pem);
    return st;
}

void sim_sha1_hex(const void *data, size_t len, char out[41])
{
    unsigned char d[20] = {0};
    mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA1), data, len, d);
    for (int i = 0; i < 20; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}
