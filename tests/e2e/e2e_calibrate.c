/*
 * e2e_calibrate.c - how fast this run can do what a payment costs most: RSA-2048 signatures.
 *
 *   e2e_calibrate KEY.pem N
 *
 * Signs N SHA-256 digests with the private key (SHA256withRSA, the signature both gateways
 * demand of every request and posterm-sim makes of every reply, with the same mbedTLS) and
 * prints the median of N one-signature times in microseconds. Built for the target, so under
 * qemu-user it runs emulated, as posterm and posterm-sim do: the e2e harness divides it by the
 * figure of a quiet x86-64 machine to size its payment windows and waits (harness.slowdown).
 */
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/version.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ROUNDS 64

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int by_value(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int rounds = argc == 3 ? atoi(argv[2]) : 0;
    if (rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "usage: e2e_calibrate KEY.pem N (1..%d)\n", MAX_ROUNDS);
        return 2;
    }
    mbedtls_pk_context key;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_pk_init(&key);
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    int rc = 1;
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    int parsed = mbedtls_pk_parse_keyfile(&key, argv[1], NULL, mbedtls_ctr_drbg_random, &drbg);
#else
    int parsed = mbedtls_pk_parse_keyfile(&key, argv[1], NULL);
#endif
    if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, NULL, 0) != 0 || parsed != 0) {
        fprintf(stderr, "e2e_calibrate: %s: not a usable private key\n", argv[1]);
        goto out;
    }
    long long took[MAX_ROUNDS];
    for (int i = 0; i < rounds; i++) {
        unsigned char hash[32], sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
        size_t len = 0;
        char text[64];
        snprintf(text, sizeof text, "posterm calibration %d", i);
        long long start = now_us();
        if (mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), (const unsigned char *)text,
                       strlen(text), hash) != 0 ||
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
            mbedtls_pk_sign(&key, MBEDTLS_MD_SHA256, hash, sizeof hash, sig, sizeof sig, &len,
                            mbedtls_ctr_drbg_random, &drbg) != 0
#else
            mbedtls_pk_sign(&key, MBEDTLS_MD_SHA256, hash, sizeof hash, sig, &len,
                            mbedtls_ctr_drbg_random, &drbg) != 0
#endif
        ) {
            fprintf(stderr, "e2e_calibrate: signing failed\n");
            goto out;
        }
        took[i] = now_us() - start;
    }
    qsort(took, (size_t)rounds, sizeof took[0], by_value);
    printf("%lld\n", took[rounds / 2]);
    rc = 0;
out:
    mbedtls_pk_free(&key);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
    return rc;
}
