/*
 * test_gateway_crypto.c - crypto.h against published vectors, against the openssl CLI (an
 * independent implementation), and on every bad input it must refuse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "crypto.h"

/* wechatpay-apiv3/wechatpay-go core/auth/signers/sha256withrsa_signer_test.go: the SDK's
 * test key (its PEM label "TESTING KEY" renamed to "PRIVATE KEY" as that test does), the
 * message "source" and the signature the SDK expects. PKCS#1 v1.5 is deterministic, so any
 * correct implementation reproduces it byte for byte. */
static const char wechat_sdk_test_key[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDZUJN33V+dSfvd\n"
    "fL0Mu+39XrZNXFFMQSy1V15FpncHeV47SmV0TzTqZc7hHB0ddqAdDi8Z5k3TKqb7\n"
    "6sOwYr5TcAfuR6PIPaleyE0/0KrljBum2Isa2Nyq7Dgc3ElBQ6YN4l/a+DpvKaz1\n"
    "FSKmKrhLNskqokWVSlu4g8OlKlbPXQ9ibII14MZRQrrkTmHYHzfi7GXXM0thAKuR\n"
    "0HNvyhTHBh4/lrYM3GaMvmWwkwvsMavnOex6+eioZHBOb1/EIZ/LzC6zuHArPpyW\n"
    "3daGaZ1rtQB1vVzTyERAVVFsXXgBHvfFud3w3ShsJYk8JvMwK2RpJ5/gV0QSARcm\n"
    "LDRUAlPzAgMBAAECggEBAMc7rDeUaXiWv6bMGbZ3BTXpg1FhdddnWUnYE8HfX/km\n"
    "OFI7XtBHXcgYFpcjYz4D5787pcsk7ezPidAj58zqenuclmjKnUmT3pfbI5eCA2v4\n"
    "C9HnbYDrmUPK1ZcADtka4D6ScDccpNYNa1g2TFHzkIrEa6H+q7S3O2fqxY/DRVtN\n"
    "0JIXalBb8daaqL5QVzSmM2BMVnHy+YITJWIkP2a3pKs9C0W65JGDsnG0wVrHinHF\n"
    "+cnhFZIbaPEI//DAFMc9NkrWOKVRTEgcCUxCFaHOZVNxDWZD7A2ZfJB2rK6eg//y\n"
    "gEiFDR2h6mTaDowMB4YF2n2dsIO4/dCG8vPHI20jn4ECgYEA/ZGu6lEMlO0XZnam\n"
    "AZGtiNgLcCfM/C2ZERZE7QTRPZH1WdK92Al9ndldsswFw4baJrJLCmghjF/iG4zi\n"
    "hhBvLnOLksnZUfjdumxoHDWXo2QBWbI5QsWIE7AuTiWgWj1I7X4fCXSQf6i+M/y2\n"
    "6TogQ7d0ANpZFyOkTNMn/tiJvLECgYEA22XqlamG/yfAGWery5KNH2DGlTIyd6xJ\n"
    "WtJ9j3jU99lZ0bCQ5xhiBbU9ImxCi3zgTsoqLWgA/p00HhNFNoUcTl9ofc0G3zwT\n"
    "D1y0ZzcnVKxGJdZ6ohW52V0hJStAigtjYAsUgjm7//FH7PiQDBDP1Wa6xSRkDQU/\n"
    "aSbQxvEE8+MCgYEA3bb8krW7opyM0XL9RHH0oqsFlVO30Oit5lrqebS0oHl3Zsr2\n"
    "ZGgoBlWBsEzk3UqUhTFwm/DhJLTSJ/TQPRkxnhQ5/mewNhS9C7yua7wQkzVmWN+V\n"
    "YeUGTvDGDF6qDz12/vJAgSwDDRym8x4NcXD5tTw7mmNRcwIfL22SkysThIECgYAV\n"
    "BgccoEoXWS/HP2/u6fQr9ZIR6eV8Ij5FPbZacTG3LlS1Cz5XZra95UgebFFUHHtC\n"
    "EY1JHJY7z8SWvTH8r3Su7eWNaIAoFBGffzqqSVazfm6aYZsOvRY6BfqPHT3p/H1h\n"
    "Tq6AbBffxrcltgvXnCTORjHPglU0CjSxVs7awW3AEQKBgB5WtaC8VLROM7rkfVIq\n"
    "+RXqE5vtJfa3e3N7W3RqxKp4zHFAPfr82FK5CX2bppEaxY7SEZVvVInKDc5gKdG/\n"
    "jWNRBmvvftZhY59PILHO2X5vO4FXh7suEjy6VIh0gsnK36mmRboYIBGsNuDHjXLe\n"
    "BDa+8mDLkWu5nHEhOxy2JJZl\n"
    "-----END PRIVATE KEY-----\n";
static const char wechat_sdk_expected_sig[] =
    "BKyAfU4iMCuvXMXS0Wzam3V/cnxZ+JaqigPM5OhljS2iOT95OO6Fsuml2JkFANJU9K6q9bLlDhPXuoVz+pp4hAm6"
    "pHU4ld815U4jsKu1RkyaII+1CYBUYC8TK0XtJ8FwUXXz8vZHh58rrAVN1XwNyvD1vfpxrMT4SL536GLwvpUHlCqI"
    "MzoZUguLli/K8V29QiOhuH6IEqLNJn8e9b3nwNcQ7be3CzYGpDAKBfDGPCqCv8Rw5zndhlffk2FEA70G4hvMwe51"
    "qMN/RAJbknXG23bSlObuTCN7Ndj1aJGH6/L+hdwfLpUtJm4QYVazzW7DFD27EpSQEqA8bX9+8m1rLg==";

static struct crypto_rng *rng;
static char dir[] = "/tmp/posterm-crypto-XXXXXX";

static void hex(const unsigned char *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f)
        return;
    fwrite(data, 1, len, f);
    fclose(f);
    chmod(path, mode);
}

static void test_published_wechat_signature(void)
{
    struct crypto_key *key;
    char sig[CRYPTO_SIG_B64_MAX];
    CHECK_EQ_INT(crypto_key_parse_private(&key, wechat_sdk_test_key, rng), CRYPTO_OK);
    if (!key)
        return;
    CHECK_EQ_INT(crypto_rsa_sign_b64(key, rng, "source", 6, sig, sizeof sig), CRYPTO_OK);
    CHECK_EQ_STR(sig, wechat_sdk_expected_sig);
    /* the private key carries the public half, so it verifies too */
    CHECK_EQ_INT(crypto_rsa_verify_b64(key, "source", 6, wechat_sdk_expected_sig,
                                       strlen(wechat_sdk_expected_sig)),
                 CRYPTO_OK);
    CHECK_EQ_INT(crypto_rsa_verify_b64(key, "sourcE", 6, wechat_sdk_expected_sig,
                                       strlen(wechat_sdk_expected_sig)),
                 CRYPTO_ERR_VERIFY);
    crypto_key_free(key);
}

static void test_digests(void)
{
    unsigned char d[CRYPTO_SHA256_LEN];
    char h[2 * CRYPTO_SHA256_LEN + 1];
    /* FIPS 180-2 appendix B.1 */
    crypto_sha256("abc", 3, d);
    hex(d, sizeof d, h);
    CHECK_EQ_STR(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* RFC 4231 test case 2 */
    crypto_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, d);
    hex(d, sizeof d, h);
    CHECK_EQ_STR(h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void test_gcm(void)
{
    unsigned char out[64], ct[64];
    size_t n = 0;
    /* wechatpay-go utils/aes_test.go (TestDecryptAes256Gcm): its key is 16 bytes, so AES-128 */
    const char *k16 = "testAPIv3Key0000";
    unsigned char raw[64];
    size_t rawn = 0;
    const char *b64 = "FsdXzxryWfKwvLJKf8LG/ToRPTRh8RN9wROC";
    CHECK_EQ_INT(crypto_base64_decode(b64, strlen(b64), raw, sizeof raw, &rawn), CRYPTO_OK);
    CHECK_EQ_INT(crypto_aes_gcm_decrypt((const unsigned char *)k16, 16, "wCq51qZv4Yfg", 12,
                                        "Dl56FrqWQJF1t9LtC3vEUsniZKvbqdR8", 32, raw, rawn, out,
                                        sizeof out, &n),
                 CRYPTO_OK);
    CHECK_EQ_INT(n, 11);
    CHECK(memcmp(out, "Hello World", 11) == 0);
    /* same vector, wrong key (the SDK test's "wrong aes key" case) */
    CHECK_EQ_INT(crypto_aes_gcm_decrypt((const unsigned char *)"testAPIv3Key1111", 16,
                                        "wCq51qZv4Yfg", 12, "Dl56FrqWQJF1t9LtC3vEUsniZKvbqdR8", 32,
                                        raw, rawn, out, sizeof out, &n),
                 CRYPTO_ERR_VERIFY);
    /* wrong associated data */
    CHECK_EQ_INT(crypto_aes_gcm_decrypt((const unsigned char *)k16, 16, "wCq51qZv4Yfg", 12,
                                        "Dl56FrqWQJF1t9LtC3vEUsniZKvbqdR9", 32, raw, rawn, out,
                                        sizeof out, &n),
                 CRYPTO_ERR_VERIFY);
    /* shorter than a tag */
    CHECK_EQ_INT(crypto_aes_gcm_decrypt((const unsigned char *)k16, 16, "wCq51qZv4Yfg", 12, "", 0,
                                        raw, 15, out, sizeof out, &n),
                 CRYPTO_ERR_INPUT);
    /* bad key length */
    CHECK_EQ_INT(crypto_aes_gcm_decrypt((const unsigned char *)k16, 13, "wCq51qZv4Yfg", 12, "", 0,
                                        raw, rawn, out, sizeof out, &n),
                 CRYPTO_ERR_INPUT);

    /* McGrew & Viega, "The Galois/Counter Mode of Operation", test case 14 (AES-256) */
    unsigned char key[32] = {0}, iv[12] = {0}, zeros[16] = {0};
    char h[80];
    CHECK_EQ_INT(crypto_aes_gcm_encrypt(key, 32, iv, 12, NULL, 0, zeros, 16, ct, sizeof ct, &n),
                 CRYPTO_OK);
    CHECK_EQ_INT(n, 32);
    hex(ct, n, h);
    CHECK_EQ_STR(h, "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");
    CHECK_EQ_INT(crypto_aes_gcm_decrypt(key, 32, iv, 12, NULL, 0, ct, n, out, sizeof out, &n),
                 CRYPTO_OK);
    CHECK(n == 16 && memcmp(out, zeros, 16) == 0);
    ct[3] ^= 1;
    CHECK_EQ_INT(crypto_aes_gcm_decrypt(key, 32, iv, 12, NULL, 0, ct, 32, out, sizeof out, &n),
                 CRYPTO_ERR_VERIFY);
    /* output buffer too small is refused, not overrun */
    CHECK_EQ_INT(crypto_aes_gcm_encrypt(key, 32, iv, 12, NULL, 0, zeros, 16, ct, 31, &n),
                 CRYPTO_ERR_INPUT);
}

static void test_base64(void)
{
    char out[16];
    unsigned char raw[16];
    size_t n;
    CHECK_EQ_INT(crypto_base64_encode("foobar", 6, out, sizeof out), CRYPTO_OK);
    CHECK_EQ_STR(out, "Zm9vYmFy"); /* RFC 4648 section 10 */
    CHECK_EQ_INT(crypto_base64_encode("foobar", 6, out, 8), CRYPTO_ERR_INPUT);
    CHECK_EQ_INT(crypto_base64_decode("Zm9vYg==", 8, raw, sizeof raw, &n), CRYPTO_OK);
    CHECK(n == 4 && memcmp(raw, "foob", 4) == 0);
    CHECK_EQ_INT(crypto_base64_decode("Zm9v!g==", 8, raw, sizeof raw, &n), CRYPTO_ERR_INPUT);
    CHECK_EQ_INT(crypto_base64_decode("", 0, raw, sizeof raw, &n), CRYPTO_ERR_INPUT);
    CHECK_EQ_INT(crypto_base64_decode("Zm9vYmFyZm9vYmFyZm9vYmFy", 24, raw, 4, &n),
                 CRYPTO_ERR_INPUT);
}

static void test_nonce(void)
{
    char a[33], b[33];
    CHECK_EQ_INT(crypto_rng_alnum(rng, a, 32), CRYPTO_OK);
    CHECK_EQ_INT(crypto_rng_alnum(rng, b, 32), CRYPTO_OK);
    CHECK_EQ_INT(strlen(a), 32);
    CHECK(strspn(a, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") == 32);
    CHECK(strcmp(a, b) != 0);
}

/* A generated key signs and verifies; openssl agrees both ways; every tampering is refused. */
static void test_round_trip_against_openssl(void)
{
    static char priv[4096], pub[1024];
    char path_priv[256], path_pub[256], path_msg[256], path_sig[256], cmd[1200], err[256];
    char sig[CRYPTO_SIG_B64_MAX];
    const char *msg = "app_id=2014072300007148&biz_content={\"out_trade_no\":\"T1\"}&charset=utf-8";
    struct crypto_key *k_priv = NULL, *k_pub = NULL;

    CHECK_EQ_INT(crypto_rsa_generate_pem(rng, 2048, priv, sizeof priv, pub, sizeof pub), CRYPTO_OK);
    snprintf(path_priv, sizeof path_priv, "%s/app_private.pem", dir);
    snprintf(path_pub, sizeof path_pub, "%s/app_public.pem", dir);
    snprintf(path_msg, sizeof path_msg, "%s/msg", dir);
    snprintf(path_sig, sizeof path_sig, "%s/sig.bin", dir);
    write_file(path_priv, priv, strlen(priv), 0600);
    write_file(path_pub, pub, strlen(pub), 0644);
    write_file(path_msg, msg, strlen(msg), 0644);

    CHECK_EQ_INT(crypto_key_load_private_file(&k_priv, path_priv, rng, err, sizeof err), CRYPTO_OK);
    CHECK_EQ_INT(crypto_key_load_public_file(&k_pub, path_pub, err, sizeof err), CRYPTO_OK);
    if (!k_priv || !k_pub)
        return;
    CHECK_EQ_INT(crypto_rsa_sign_b64(k_priv, rng, msg, strlen(msg), sig, sizeof sig), CRYPTO_OK);
    CHECK_EQ_INT(crypto_rsa_verify_b64(k_pub, msg, strlen(msg), sig, strlen(sig)), CRYPTO_OK);

    /* our signature, checked by openssl */
    snprintf(cmd, sizeof cmd,
             "printf '%%s' '%s' | base64 -d > %s && "
             "openssl dgst -sha256 -verify %s -signature %s %s >/dev/null",
             sig, path_sig, path_pub, path_sig, path_msg);
    CHECK_EQ_INT(system(cmd), 0);
    /* openssl's signature, checked by us, and byte-identical (PKCS#1 v1.5 is deterministic) */
    char sig_openssl[CRYPTO_SIG_B64_MAX] = "";
    snprintf(cmd, sizeof cmd, "openssl dgst -sha256 -sign %s %s | base64 -w0", path_priv, path_msg);
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL);
    if (p) {
        CHECK(fgets(sig_openssl, sizeof sig_openssl, p) != NULL);
        pclose(p);
    }
    CHECK_EQ_STR(sig_openssl, sig);
    CHECK_EQ_INT(crypto_rsa_verify_b64(k_pub, msg, strlen(msg), sig_openssl, strlen(sig_openssl)),
                 CRYPTO_OK);

    /* tampering of every kind */
    CHECK_EQ_INT(crypto_rsa_verify_b64(k_pub, msg, strlen(msg) - 1, sig, strlen(sig)),
                 CRYPTO_ERR_VERIFY);
    char bad[CRYPTO_SIG_B64_MAX];
    strcpy(bad, sig);
    bad[10] = bad[10] == 'A' ? 'B' : 'A';
    CHECK_EQ_INT(crypto_rsa_verify_b64(k_pub, msg, strlen(msg), bad, strlen(bad)),
                 CRYPTO_ERR_VERIFY);
    CHECK_EQ_INT(crypto_rsa_verify_b64(k_pub, msg, strlen(msg), sig, strlen(sig) - 4),
                 CRYPTO_ERR_VERIFY); /* truncated */
    CHECK_EQ_INT(crypto_rsa_verify_b64(k_pub, msg, strlen(msg), "", 0), CRYPTO_ERR_VERIFY);
    CHECK_EQ_INT(crypto_rsa_verify_b64(k_pub, msg, strlen(msg), "%%%%", 4), CRYPTO_ERR_VERIFY);
    /* a different key's valid signature */
    struct crypto_key *other = NULL;
    char other_sig[CRYPTO_SIG_B64_MAX];
    CHECK_EQ_INT(crypto_key_parse_private(&other, wechat_sdk_test_key, rng), CRYPTO_OK);
    if (other) {
        CHECK_EQ_INT(crypto_rsa_sign_b64(other, rng, msg, strlen(msg), other_sig, sizeof other_sig),
                     CRYPTO_OK);
        CHECK_EQ_INT(crypto_rsa_verify_b64(k_pub, msg, strlen(msg), other_sig, strlen(other_sig)),
                     CRYPTO_ERR_VERIFY);
        crypto_key_free(other);
    }
    crypto_key_free(k_priv);
    crypto_key_free(k_pub);
}

static void test_key_files(void)
{
    char path[256], err[512], cmd[1024];
    struct crypto_key *key = NULL;
    snprintf(path, sizeof path, "%s/open.pem", dir);
    write_file(path, wechat_sdk_test_key, strlen(wechat_sdk_test_key), 0640);
    CHECK_EQ_INT(crypto_key_load_private_file(&key, path, rng, err, sizeof err),
                 CRYPTO_ERR_TOO_OPEN);
    CHECK(key == NULL);
    CHECK(strstr(err, path) != NULL); /* names the file */
    CHECK(strstr(err, "chmod 600") != NULL);
    CHECK(strstr(err, "MII") == NULL); /* and never its content */
    chmod(path, 0604);
    CHECK_EQ_INT(crypto_key_load_private_file(&key, path, rng, err, sizeof err),
                 CRYPTO_ERR_TOO_OPEN);
    chmod(path, 0400);
    CHECK_EQ_INT(crypto_key_load_private_file(&key, path, rng, err, sizeof err), CRYPTO_OK);
    crypto_key_free(key);

    snprintf(path, sizeof path, "%s/missing.pem", dir);
    CHECK_EQ_INT(crypto_key_load_private_file(&key, path, rng, err, sizeof err), CRYPTO_ERR_FILE);
    CHECK(strstr(err, path) != NULL);
    CHECK_EQ_INT(crypto_key_load_private_file(&key, dir, rng, err, sizeof err), CRYPTO_ERR_FILE);

    snprintf(path, sizeof path, "%s/garbage.pem", dir);
    write_file(path, "not a key\n", 10, 0600);
    CHECK_EQ_INT(crypto_key_load_private_file(&key, path, rng, err, sizeof err), CRYPTO_ERR_KEY);
    CHECK(strstr(err, path) != NULL);
    CHECK_EQ_INT(crypto_key_load_public_file(&key, path, err, sizeof err), CRYPTO_ERR_KEY);
    CHECK_EQ_INT(crypto_key_parse_public(&key, "-----BEGIN CERTIFICATE-----\nAAAA\n"),
                 CRYPTO_ERR_KEY);

    /* a public key given as a certificate: its key verifies, its serial reads as WeChat's */
    char key_path[256], crt_path[256];
    snprintf(key_path, sizeof key_path, "%s/platform.key", dir);
    snprintf(crt_path, sizeof crt_path, "%s/platform.crt", dir);
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s -days 2 "
             "-subj /CN=platform -set_serial 0x5157F09EFDC096DE15EBE81A47057A72 2>/dev/null",
             key_path, crt_path);
    CHECK_EQ_INT(system(cmd), 0);
    chmod(key_path, 0600);
    struct crypto_key *crt = NULL, *priv = NULL;
    char serial[80], sig[CRYPTO_SIG_B64_MAX];
    CHECK_EQ_INT(crypto_key_load_public_file(&crt, crt_path, err, sizeof err), CRYPTO_OK);
    CHECK_EQ_INT(crypto_key_load_private_file(&priv, key_path, rng, err, sizeof err), CRYPTO_OK);
    if (crt && priv) {
        CHECK(crypto_key_cert_serial(crt, serial, sizeof serial));
        CHECK_EQ_STR(serial, "5157F09EFDC096DE15EBE81A47057A72");
        CHECK(!crypto_key_cert_serial(priv, serial, sizeof serial));
        CHECK_EQ_INT(crypto_rsa_sign_b64(priv, rng, "x", 1, sig, sizeof sig), CRYPTO_OK);
        CHECK_EQ_INT(crypto_rsa_verify_b64(crt, "x", 1, sig, strlen(sig)), CRYPTO_OK);
    }
    crypto_key_free(crt);
    crypto_key_free(priv);

    /* the APIv3 key: a secret file like the private key */
    unsigned char buf[32];
    size_t n;
    snprintf(path, sizeof path, "%s/apiv3.key", dir);
    write_file(path, "0123456789abcdef0123456789abcdef", 32, 0644);
    CHECK_EQ_INT(crypto_read_secret_file(path, buf, sizeof buf, &n, err, sizeof err),
                 CRYPTO_ERR_TOO_OPEN);
    CHECK(strstr(err, "0123456789") == NULL);
    chmod(path, 0600);
    CHECK_EQ_INT(crypto_read_secret_file(path, buf, sizeof buf, &n, err, sizeof err), CRYPTO_OK);
    CHECK_EQ_INT(n, 32);
    CHECK_EQ_INT(crypto_read_secret_file(path, buf, 16, &n, err, sizeof err), CRYPTO_ERR_INPUT);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    CHECK_EQ_INT(crypto_rng_open(&rng), CRYPTO_OK);
    if (!rng)
        return check_done();
    test_published_wechat_signature();
    test_digests();
    test_gcm();
    test_base64();
    test_nonce();
    test_round_trip_against_openssl();
    test_key_files();
    crypto_rng_close(rng);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_EQ_INT(system(cmd), 0);
    return check_done();
}
