/*
 * bench_rsa.c - the time of the RSA-2048 signature both gateways demand of every request,
 * made by posterm's own crypto_rsa_sign_b64() (mbedTLS, SHA256withRSA, PKCS#1 v1.5).
 *
 *   bench_rsa KEY.pem N
 *
 * Loads the private key, signs a request-sized message N times and prints the mean and the
 * fastest signature in microseconds. N = 0 only loads the key: run under an instruction
 * counter with N and with 0, the difference over N is the instructions per signature
 * (tests/bench/rsa_cost.py does this for the arm64 build under qemu-user). Figures only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    char *end = NULL;
    long n = argc == 3 ? strtol(argv[2], &end, 10) : -1;
    if (argc != 3 || end == argv[2] || *end != '\0' || n < 0 || n > 1000000) {
        fprintf(stderr, "usage: bench_rsa KEY.pem N  (N signatures, 0..1000000)\n");
        return 2;
    }
    char err[256] = "no random source";
    struct crypto_rng *rng = NULL;
    struct crypto_key *key = NULL;
    if (crypto_rng_open(&rng) != CRYPTO_OK ||
        crypto_key_load_private_file(&key, argv[1], rng, err, sizeof err) != CRYPTO_OK) {
        fprintf(stderr, "bench_rsa: %s: cannot load the key: %s\n", argv[1], err);
        crypto_rng_close(rng);
        return 1;
    }
    /* About a WeChat codepay's signed text: method, path, timestamp, nonce, JSON body. */
    char msg[400];
    memset(msg, 'x', sizeof msg);
    char sig[CRYPTO_SIG_B64_MAX];
    long long total = 0, best = -1;
    int status = 0;
    for (long i = 0; i < n; i++) {
        msg[0] = (char)('a' + i % 26);
        long long t0 = now_ns();
        if (crypto_rsa_sign_b64(key, rng, msg, sizeof msg, sig, sizeof sig) != CRYPTO_OK) {
            fprintf(stderr, "bench_rsa: signing failed\n");
            status = 1;
            break;
        }
        long long dt = now_ns() - t0;
        total += dt;
        if (best < 0 || dt < best)
            best = dt;
    }
    if (status == 0 && n > 0)
        printf("%ld signatures: mean %.1f us, fastest %.1f us\n", n, total / 1e3 / (double)n,
               best / 1e3);
    crypto_key_free(key);
    crypto_rng_close(rng);
    return status;
}
