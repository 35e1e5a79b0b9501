/*
 * bill.h - the gateways' daily trade bills: read as they stream, one row at a time.
 *
 * Alipay's trade bill is a zip of GBK CSV files (the detail file "..._业务明细.csv" is read);
 * WeChat Pay's is a gzip of UTF-8 CSV whose every field starts with a backtick, checked against
 * the SHA-1 the bill request published before a single row is given out. Each detail row
 * becomes a struct bill_row (app/core/reconcile.h) handed to the caller's function; memory
 * stays flat however long the bill (one line buffer, no list of rows).
 *
 * The promise: a row is given out only when every field used parsed exactly (numbers of the
 * allowed characters, amounts in yuan with at most two decimals to int64 fen, the time in its
 * one form). A bill that is malformed anywhere - a bad row, a missing column, no end marker or
 * a summary that does not count the rows read (a cut file) - ends in BILL_ERR_FORMAT with the
 * line and the reason, and then none of its rows may be believed: the caller keeps what it got
 * aside until the read returned BILL_OK. Field sources: drivers/gateway/README.md ("Bills").
 */
#ifndef POSTERM_BILL_H
#define POSTERM_BILL_H

#include <stdbool.h>
#include <stddef.h>

#include "reconcile.h"

enum bill_status {
    BILL_OK = 0,
    BILL_ERR_FORMAT, /* the bill is not a well-formed trade bill: err says where and why */
    BILL_ERR_FILE,   /* the file cannot be opened or read, or the archive is damaged */
    BILL_ERR_HASH,   /* WeChat: the content is not what hash_value promised */
    BILL_ERR_NOMEM,
    BILL_STOPPED, /* the row function asked to stop */
};

const char *bill_status_name(enum bill_status st);

struct bill_error {
    long line; /* 0 when not about a line */
    char text[256];
};

/* Called once per detail row, in file order. Return false to stop the read. */
typedef bool (*bill_row_fn)(void *ctx, const struct bill_row *row);

enum bill_format {
    BILL_ALIPAY, /* the UTF-8 text of the detail CSV (after GBK conversion) */
    BILL_WECHAT, /* the UTF-8 text of the trade bill (after gunzip) */
};

/* A push parser for a bill's text, fed in pieces of any size (a line may span pieces).
 * The longest line accepted is BILL_LINE_MAX bytes. */
#define BILL_LINE_MAX 8192
struct bill_reader;
struct bill_reader *bill_reader_new(enum bill_format format, bill_row_fn fn, void *ctx);
enum bill_status bill_reader_feed(struct bill_reader *r, const void *text, size_t len,
                                  struct bill_error *err);
/* The end of the text: checks the bill was complete (end marker, summary count). */
enum bill_status bill_reader_finish(struct bill_reader *r, struct bill_error *err);
/* Rows given out so far. */
long bill_reader_rows(const struct bill_reader *r);
void bill_reader_free(struct bill_reader *r);

/* Reads the Alipay bill zip at path (as downloaded from bill_download_url). */
enum bill_status bill_alipay_read_zip(const char *path, bill_row_fn fn, void *ctx,
                                      struct bill_error *err);

/* Reads the WeChat Pay bill gzip at path (as downloaded from download_url): first the whole
 * uncompressed content is checked against hash_type / hash_value (only "SHA1" is known), then
 * it is read. */
enum bill_status bill_wechat_read_gzip(const char *path, const char *hash_type,
                                       const char *hash_value, bill_row_fn fn, void *ctx,
                                       struct bill_error *err);

#endif
