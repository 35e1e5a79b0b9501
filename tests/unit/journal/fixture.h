/*
 * fixture.h - what the journal tests share: a private temporary folder per test run, a
 * sample payment, and whole-file snapshots to prove a refused file was left untouched.
 */
#ifndef POSTERM_JOURNAL_FIXTURE_H
#define POSTERM_JOURNAL_FIXTURE_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "payment.h"

/* Makes a fresh folder under $TMPDIR (or /tmp) and writes its path into dir. */
static inline bool fixture_dir(char *dir, size_t len)
{
    const char *base = getenv("TMPDIR");
    snprintf(dir, len, "%s/posterm-journal-XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(dir) != NULL;
}

/* Removes the folder and what the tests put in it (files only, one level). */
static inline void fixture_cleanup(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

/* A payment in state NEW with every journaled field set to something recognisable. */
static inline struct payment fixture_payment(const char *order_no, int64_t created_at)
{
    struct payment p;
    memset(&p, 0, sizeof p);
    snprintf(p.order_no, sizeof p.order_no, "%s", order_no);
    p.channel = CHANNEL_WECHAT;
    p.amount_fen = 1230;
    p.state = PAY_NEW;
    p.created_at = created_at;
    p.updated_at = created_at;
    return p;
}

/* The whole file, malloc'd, so that a before/after comparison is byte for byte. */
static inline unsigned char *fixture_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *buf = NULL;
    size_t n = 0, cap = 0, got;
    do {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            unsigned char *bigger = realloc(buf, cap);
            if (!bigger) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = bigger;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    fclose(f);
    *len = n;
    return buf;
}

static inline bool fixture_write(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    bool ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

/* True when the file at path has exactly the bytes of snapshot. */
static inline bool fixture_same(const char *path, const unsigned char *snapshot, size_t len)
{
    size_t now_len = 0;
    unsigned char *now = fixture_read(path, &now_len);
    bool same = now && now_len == len && memcmp(now, snapshot, len) == 0;
    free(now);
    return same;
}

#endif
