/*
 * bill_alipay.c - Alipay's trade bill: the zip from bill_download_url, its detail CSV in GBK.
 *
 * libzip reads the archive from the file (its directory is at the end, so the download is
 * kept on disk, never in memory); iconv turns GBK into UTF-8 piece by piece; bill_reader.c
 * reads the rows. GB18030 is asked of iconv: a superset of GBK, so every GBK byte string
 * converts the same.
 */
#include "bill.h"

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zip.h>

#define CHUNK 65536

static enum bill_status file_error(struct bill_error *err, const char *what, const char *detail)
{
    if (err) {
        err->line = 0;
        snprintf(err->text, sizeof err->text, "%s: %s", what, detail);
    }
    return BILL_ERR_FILE;
}

/* GBK to UTF-8 of a short text (an entry name); false when it does not convert. */
static bool gbk_name(const char *in, char *out, size_t cap)
{
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    if (cd == (iconv_t)-1)
        return false;
    char *src = (char *)in, *dst = out;
    size_t inleft = strlen(in), outleft = cap - 1;
    bool ok = iconv(cd, &src, &inleft, &dst, &outleft) != (size_t)-1 && inleft == 0;
    *dst = '\0';
    iconv_close(cd);
    return ok;
}

/* The detail file: its name ends "业务明细.csv" (the other is "业务明细(汇总).csv"). */
static bool is_detail(const char *raw_name)
{
    static const char suffix[] = "业务明细.csv";
    char name[1024];
    if (!gbk_name(raw_name, name, sizeof name))
        snprintf(name, sizeof name, "%s", raw_name); /* names may already be UTF-8 */
    size_t n = strlen(name);
    return n >= sizeof suffix - 1 && strcmp(name + n - (sizeof suffix - 1), suffix) == 0;
}

static enum bill_status read_entry(zip_file_t *zf, struct bill_reader *r, struct bill_error *err)
{
    /* GBK is at most 2 bytes a character here, UTF-8 3: out holds any converted piece */
    static const size_t out_cap = CHUNK * 2 + 16;
    char *in = malloc(CHUNK + 8), *out = malloc(out_cap);
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    if (!in || !out || cd == (iconv_t)-1) {
        free(in);
        free(out);
        if (cd != (iconv_t)-1)
            iconv_close(cd);
        return in && out ? file_error(err, "iconv", "GB18030 to UTF-8 is not available")
                         : BILL_ERR_NOMEM;
    }
    size_t kept = 0; /* bytes of a character cut by the end of the last piece */
    enum bill_status st = BILL_OK;
    long converted_lines = 0;
    for (;;) {
        zip_int64_t got = zip_fread(zf, in + kept, CHUNK);
        if (got < 0) {
            st = file_error(err, "zip", zip_file_strerror(zf));
            break;
        }
        size_t have = kept + (size_t)got;
        if (have == 0)
            break;
        char *src = in, *dst = out;
        size_t inleft = have, outleft = out_cap;
        if (iconv(cd, &src, &inleft, &dst, &outleft) == (size_t)-1 &&
            (errno != EINVAL || got == 0)) {
            for (const char *p = out; p < dst; p++)
                converted_lines += *p == '\n';
            if (err) {
                err->line = converted_lines + 1;
                snprintf(err->text, sizeof err->text, "text is not GBK");
            }
            st = BILL_ERR_FORMAT;
            break;
        }
        for (const char *p = out; p < dst; p++)
            converted_lines += *p == '\n';
        st = bill_reader_feed(r, out, (size_t)(dst - out), err);
        if (st != BILL_OK)
            break;
        kept = inleft;
        memmove(in, src, kept);
        if (got == 0)
            break;
    }
    iconv_close(cd);
    free(in);
    free(out);
    return st == BILL_OK ? bill_reader_finish(r, err) : st;
}

enum bill_status bill_alipay_read_zip(const char *path, bill_row_fn fn, void *ctx,
                                      struct bill_error *err)
{
    int zerr = 0;
    zip_t *z = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
    if (!z) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, zerr);
        enum bill_status st = file_error(err, path, zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return st;
    }
    zip_int64_t found = -1, n = zip_get_num_entries(z, 0);
    for (zip_int64_t i = 0; i < n; i++) {
        const char *name = zip_get_name(z, (zip_uint64_t)i, ZIP_FL_ENC_RAW);
        if (name && is_detail(name)) {
            if (found >= 0) {
                zip_close(z);
                return file_error(err, path, "the zip holds two 业务明细 files");
            }
            found = i;
        }
    }
    if (found < 0) {
        zip_discard(z);
        if (err) {
            err->line = 0;
            snprintf(err->text, sizeof err->text, "%s: the zip holds no 业务明细.csv", path);
        }
        return BILL_ERR_FORMAT;
    }
    enum bill_status st = BILL_ERR_NOMEM;
    zip_file_t *zf = zip_fopen_index(z, (zip_uint64_t)found, 0);
    struct bill_reader *r = bill_reader_new(BILL_ALIPAY, fn, ctx);
    if (!zf)
        st = file_error(err, path, zip_strerror(z));
    else if (r)
        st = read_entry(zf, r, err);
    if (zf)
        zip_fclose(zf);
    bill_reader_free(r);
    zip_discard(z);
    return st;
}
