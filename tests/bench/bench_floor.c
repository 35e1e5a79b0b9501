/*
 * bench_floor.c - the least any terminal must do between a scan and its pay request: one
 * durable SQLite commit and one HTTP request, with nothing else around them.
 *
 *   bench_floor DIR URL N [KEY.pem]
 *
 * N times: note the monotonic clock (ns), commit one row (WAL, synchronous=FULL, as the
 * journal), then send URL with "I" appended by libcurl's easy interface on a kept-alive
 * connection. With KEY.pem, an RSA-2048 SHA256withRSA signature of the URL is made between the
 * two (what both gateways demand of every request, with the same mbedTLS posterm uses), so
 * the figure can be told apart from the protocol's own cost. Prints "I NS" per round on
 * stdout; posterm-sim's --timing-log has the moment each request arrived, so bench.py gets
 * the floor exactly as it gets posterm's figure. Prints figures only, never judges them.
 */
#include <curl/curl.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/version.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static size_t discard(char *data, size_t size, size_t n, void *ctx)
{
    (void)data;
    (void)ctx;
    return size * n;
}

struct signer {
    mbedtls_pk_context key;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
};

static int signer_open(struct signer *s, const char *path)
{
    mbedtls_pk_init(&s->key);
    mbedtls_entropy_init(&s->entropy);
    mbedtls_ctr_drbg_init(&s->drbg);
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define PARSE_KEYFILE(s, path)                                                                     \
    mbedtls_pk_parse_keyfile(&(s)->key, path, NULL, mbedtls_ctr_drbg_random, &(s)->drbg)
#else
#define PARSE_KEYFILE(s, path) mbedtls_pk_parse_keyfile(&(s)->key, path, NULL)
#endif
    if (mbedtls_ctr_drbg_seed(&s->drbg, mbedtls_entropy_func, &s->entropy, NULL, 0) != 0 ||
        PARSE_KEYFILE(s, path) != 0) {
        fprintf(stderr, "bench_floor: %s: not a usable private key\n", path);
        return 1;
    }
    return 0;
}

static int sign(struct signer *s, const char *text)
{
    unsigned char hash[32], sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
    size_t len = 0;
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define SIGN_SIZE sizeof sig,
#else
#define SIGN_SIZE
#endif
    if (mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), (const unsigned char *)text,
                   strlen(text), hash) != 0 ||
        mbedtls_pk_sign(&s->key, MBEDTLS_MD_SHA256, hash, sizeof hash, sig, SIGN_SIZE & len,
                        mbedtls_ctr_drbg_random, &s->drbg) != 0) {
        fprintf(stderr, "bench_floor: signing failed\n");
        return 1;
    }
    return 0;
}

static void signer_close(struct signer *s)
{
    mbedtls_pk_free(&s->key);
    mbedtls_ctr_drbg_free(&s->drbg);
    mbedtls_entropy_free(&s->entropy);
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: bench_floor DIR URL N [KEY.pem]\n");
        return 2;
    }
    int n = atoi(argv[3]);
    struct signer signer;
    bool signing = argc == 5;
    if (signing && signer_open(&signer, argv[4]) != 0)
        return 1;
    char path[4200];
    snprintf(path, sizeof path, "%s/floor.db", argv[1]);
    remove(path);
    sqlite3 *db = NULL;
    sqlite3_stmt *insert = NULL;
    if (sqlite3_open(path, &db) != SQLITE_OK ||
        sqlite3_exec(db,
                     "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                     "PRAGMA secure_delete = FAST;"
                     "CREATE TABLE t (i INTEGER, at INTEGER);",
                     NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO t VALUES (?1, ?2)", -1, &insert, NULL) != SQLITE_OK) {
        fprintf(stderr, "bench_floor: %s: %s\n", path, sqlite3_errmsg(db));
        return 1;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
        return 1;
    CURL *e = curl_easy_init();
    if (e == NULL)
        return 1;
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    int status = 0;
    for (int i = 0; i < n && status == 0; i++) {
        char url[1024];
        snprintf(url, sizeof url, "%s%d", argv[2], i);
        long long t0 = now_ns();
        sqlite3_bind_int(insert, 1, i);
        sqlite3_bind_int64(insert, 2, t0);
        if (sqlite3_step(insert) != SQLITE_DONE) {
            fprintf(stderr, "bench_floor: insert: %s\n", sqlite3_errmsg(db));
            status = 1;
        }
        sqlite3_reset(insert);
        if (signing && sign(&signer, url) != 0)
            status = 1;
        curl_easy_setopt(e, CURLOPT_URL, url);
        CURLcode rc = curl_easy_perform(e);
        if (rc != CURLE_OK) {
            fprintf(stderr, "bench_floor: %s: %s\n", url, curl_easy_strerror(rc));
            status = 1;
        }
        printf("%d %lld\n", i, t0);
    }
    curl_easy_cleanup(e);
    curl_global_cleanup();
    sqlite3_finalize(insert);
    sqlite3_close(db);
    if (signing)
        signer_close(&signer);
    return status;
}
