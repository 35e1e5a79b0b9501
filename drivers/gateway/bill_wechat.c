/*
 * bill_wechat.c - WeChat Pay's trade bill: the gzip from download_url, checked, then read.
 *
 * hash_value is the SHA-1 of the uncompressed bill ("原始账单（gzip需要解压缩）的摘要值"), so the
 * file is inflated twice: once for the digest, once for the rows, and no row leaves before the
 * digest matched. zlib's gz* functions stream it; memory stays one buffer.
 */
#include "bill.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

#include "crypto.h"

#define CHUNK 65536

static enum bill_status file_error(struct bill_error *err, const char *path, const char *why)
{
    if (err) {
        err->line = 0;
        snprintf(err->text, sizeof err->text, "%s: %s", path, why);
    }
    return BILL_ERR_FILE;
}

/* Inflates path, handing each piece to eat; BILL_ERR_FILE when it is not a whole gzip file. */
static enum bill_status inflate_file(const char *path,
                                     enum bill_status (*eat)(void *, const char *, size_t),
                                     void *ctx, struct bill_error *err)
{
    gzFile gz = gzopen(path, "rb");
    if (!gz)
        return file_error(err, path, "cannot be opened");
    char *buf = malloc(CHUNK);
    enum bill_status st = buf ? BILL_OK : BILL_ERR_NOMEM;
    bool first = true;
    while (st == BILL_OK) {
        int got = gzread(gz, buf, CHUNK);
        if (got < 0) {
            int code;
            st = file_error(err, path, gzerror(gz, &code));
            break;
        }
        if (first && got > 0 && gzdirect(gz)) {
            st = file_error(err, path, "is not gzip");
            break;
        }
        first = false;
        if (got == 0)
            break;
        st = eat(ctx, buf, (size_t)got);
    }
    free(buf);
    gzclose(gz);
    return st;
}

static enum bill_status hash_piece(void *ctx, const char *data, size_t len)
{
    crypto_sha1_update(ctx, data, len);
    return BILL_OK;
}

struct feed {
    struct bill_reader *r;
    struct bill_error *err;
};

static enum bill_status feed_piece(void *ctx, const char *data, size_t len)
{
    struct feed *f = ctx;
    return bill_reader_feed(f->r, data, len, f->err);
}

enum bill_status bill_wechat_read_gzip(const char *path, const char *hash_type,
                                       const char *hash_value, bill_row_fn fn, void *ctx,
                                       struct bill_error *err)
{
    if (!hash_type || strcmp(hash_type, "SHA1") != 0 || !hash_value ||
        strlen(hash_value) != 2 * CRYPTO_SHA1_LEN) {
        if (err) {
            err->line = 0;
            snprintf(err->text, sizeof err->text, "hash %.32s \"%.64s\" is not a SHA1 digest",
                     hash_type ? hash_type : "(none)", hash_value ? hash_value : "");
        }
        return BILL_ERR_HASH;
    }
    struct crypto_sha1 *h = crypto_sha1_new();
    if (!h)
        return BILL_ERR_NOMEM;
    enum bill_status st = inflate_file(path, hash_piece, h, err);
    unsigned char digest[CRYPTO_SHA1_LEN];
    crypto_sha1_finish(h, digest);
    if (st != BILL_OK)
        return st;
    char hex[2 * CRYPTO_SHA1_LEN + 1];
    for (int i = 0; i < CRYPTO_SHA1_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    if (strcasecmp(hex, hash_value) != 0) {
        if (err) {
            err->line = 0;
            snprintf(err->text, sizeof err->text, "the bill's SHA1 is %s, hash_value says %.40s",
                     hex, hash_value);
        }
        return BILL_ERR_HASH;
    }
    struct feed f = {.r = bill_reader_new(BILL_WECHAT, fn, ctx), .err = err};
    if (!f.r)
        return BILL_ERR_NOMEM;
    st = inflate_file(path, feed_piece, &f, err);
    if (st == BILL_OK)
        st = bill_reader_finish(f.r, err);
    bill_reader_free(f.r);
    return st;
}
