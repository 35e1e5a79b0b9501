/*
 * reconciliations.c - the reconciliations and reconcile_items tables (reconciliations.h), and
 * the day's payments and refunds as the matcher takes them.
 */
#include "reconciliations.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "journal_sqlite.h"

#define BEIJING_OFFSET_MS (8LL * 3600 * 1000)

bool recon_date_bounds(const char *date, int64_t *from_ms, int64_t *to_ms)
{
    int y, m, d;
    char end;
    if (date == NULL || strlen(date) != RECON_DATE_LEN || date[4] != '-' || date[7] != '-' ||
        sscanf(date, "%4d-%2d-%2d%c", &y, &m, &d, &end) != 3 || y < 2000 || y > 2999)
        return false;
    for (int i = 0; i < RECON_DATE_LEN; i++)
        if (i != 4 && i != 7 && (date[i] < '0' || date[i] > '9'))
            return false;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = 12};
    time_t t = timegm(&tm);
    struct tm back;
    /* timegm moves 02-30 to 03-02: a day that does not come back as given does not exist */
    if (t == (time_t)-1 || !gmtime_r(&t, &back) || back.tm_year != y - 1900 ||
        back.tm_mon != m - 1 || back.tm_mday != d)
        return false;
    int64_t midnight_utc = ((int64_t)t - 12 * 3600) * 1000;
    if (from_ms)
        *from_ms = midnight_utc - BEIJING_OFFSET_MS;
    if (to_ms)
        *to_ms = midnight_utc - BEIJING_OFFSET_MS + 24LL * 3600 * 1000;
    return true;
}

static void copy_text(char *out, size_t cap, const unsigned char *text)
{
    snprintf(out, cap, "%s", text ? (const char *)text : "");
}

/* The day's statement: sql with ?1..?4 bound to the day's bounds, channel and order prefix. */
static int prepare_day(struct journal *j, const char *sql, int64_t from_ms, int64_t to_ms,
                       enum pay_channel channel, const char *prefix, sqlite3_stmt **st)
{
    int rc = sqlite3_prepare_v2(journal_sqlite(j), sql, -1, st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(*st, 1, from_ms);
    sqlite3_bind_int64(*st, 2, to_ms);
    sqlite3_bind_text(*st, 3, pay_channel_name(channel), -1, SQLITE_STATIC);
    sqlite3_bind_text(*st, 4, prefix, -1, SQLITE_STATIC);
    return SQLITE_OK;
}

/* arr (n used of *cap elements of size bytes) with room for one more: arr itself, moved, or
 * NULL when out of memory (arr then still valid and unchanged). */
static void *grow(void *arr, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return arr;
    size_t more = *cap ? *cap * 2 : 64;
    void *grown = realloc(arr, more * size);
    if (grown != NULL)
        *cap = more;
    return grown;
}

static enum journal_status read_payments(struct journal *j, enum pay_channel channel,
                                         int64_t from_ms, int64_t to_ms, const char *prefix,
                                         struct recon_payment **pays, size_t *npays)
{
    sqlite3_stmt *st = NULL;
    int rc = prepare_day(j,
                         "SELECT order_no, amount_fen, state FROM payments"
                         " WHERE created_at >= ?1 AND created_at < ?2 AND channel = ?3"
                         " AND substr(order_no, 1, length(?4)) = ?4",
                         from_ms, to_ms, channel, prefix, &st);
    if (rc != SQLITE_OK)
        return journal_finish(j, st, rc);
    size_t cap = 0;
    while ((rc = journal_step(j, st)) == SQLITE_ROW) {
        void *room = grow(*pays, *npays, &cap, sizeof **pays);
        if (room == NULL) {
            sqlite3_finalize(st);
            return JOURNAL_IO;
        }
        *pays = room;
        struct recon_payment *p = &(*pays)[(*npays)++];
        memset(p, 0, sizeof *p);
        copy_text(p->order_no, sizeof p->order_no, sqlite3_column_text(st, 0));
        p->amount_fen = sqlite3_column_int64(st, 1);
        const char *state = (const char *)sqlite3_column_text(st, 2);
        state = state ? state : "";
        /* REFUNDING and REFUNDED kept the charge: their refunds are listed apart */
        if (strcmp(state, "PAID") == 0 || strcmp(state, "REFUNDING") == 0 ||
            strcmp(state, "REFUNDED") == 0)
            p->outcome = RECON_TAKEN;
        else if (strcmp(state, "FAILED") == 0 || strcmp(state, "CANCELLED") == 0)
            p->outcome = RECON_NOT_TAKEN;
        else
            p->outcome = RECON_OPEN;
    }
    return journal_finish(j, st, rc);
}

/* Refunds of the day's orders: the bills list a refund on the day of its order's charge. */
static enum journal_status read_refunds(struct journal *j, enum pay_channel channel,
                                        int64_t from_ms, int64_t to_ms, const char *prefix,
                                        struct recon_refund **refunds, size_t *nrefunds)
{
    sqlite3_stmt *st = NULL;
    int rc = prepare_day(j,
                         "SELECT r.order_no, r.refund_no, r.amount_fen FROM refunds r"
                         " JOIN payments p ON p.order_no = r.order_no"
                         " WHERE p.created_at >= ?1 AND p.created_at < ?2 AND p.channel = ?3"
                         " AND substr(p.order_no, 1, length(?4)) = ?4 AND r.state = 'REFUNDED'",
                         from_ms, to_ms, channel, prefix, &st);
    if (rc != SQLITE_OK)
        return journal_finish(j, st, rc);
    size_t cap = 0;
    while ((rc = journal_step(j, st)) == SQLITE_ROW) {
        void *room = grow(*refunds, *nrefunds, &cap, sizeof **refunds);
        if (room == NULL) {
            sqlite3_finalize(st);
            return JOURNAL_IO;
        }
        *refunds = room;
        struct recon_refund *r = &(*refunds)[(*nrefunds)++];
        memset(r, 0, sizeof *r);
        copy_text(r->order_no, sizeof r->order_no, sqlite3_column_text(st, 0));
        copy_text(r->refund_no, sizeof r->refund_no, sqlite3_column_text(st, 1));
        r->amount_fen = sqlite3_column_int64(st, 2);
    }
    return journal_finish(j, st, rc);
}

enum journal_status recon_day_entries(struct journal *j, enum pay_channel channel, int64_t from_ms,
                                      int64_t to_ms, const char *prefix,
                                      struct recon_payment **pays, size_t *npays,
                                      struct recon_refund **refunds, size_t *nrefunds)
{
    *pays = NULL;
    *refunds = NULL;
    *npays = *nrefunds = 0;
    enum journal_status st = read_payments(j, channel, from_ms, to_ms, prefix, pays, npays);
    if (st == JOURNAL_OK)
        st = read_refunds(j, channel, from_ms, to_ms, prefix, refunds, nrefunds);
    if (st != JOURNAL_OK) {
        free(*pays);
        free(*refunds);
        *pays = NULL;
        *refunds = NULL;
        *npays = *nrefunds = 0;
    }
    return st;
}

static enum journal_status exec(struct journal *j, const char *sql)
{
    int rc = sqlite3_exec(journal_sqlite(j), sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? JOURNAL_OK : journal_fail(j, rc);
}

static enum journal_status run_statement(struct journal *j, sqlite3_stmt *st)
{
    int rc = journal_step(j, st);
    return rc == SQLITE_DONE ? JOURNAL_OK : journal_fail(j, rc);
}

/* The run's row, and its items of the last run (rowid up to old) gone. */
static enum journal_status save_run(struct journal *j, const struct reconciliation *r, int64_t old)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(
        journal_sqlite(j),
        "DELETE FROM reconcile_items WHERE date = ?1 AND channel = ?2 AND rowid <= ?3", -1, &st,
        NULL);
    enum journal_status s = JOURNAL_OK;
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, r->date, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, pay_channel_name(r->channel), -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, old);
        s = run_statement(j, st);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK)
        return journal_fail(j, rc);
    if (s != JOURNAL_OK)
        return s;
    rc = sqlite3_prepare_v2(
        journal_sqlite(j),
        "INSERT OR REPLACE INTO reconciliations(date, channel, started_at, finished_at, no_bill,"
        " bill_rows, foreign_rows, matched, reversed, charged_not_paid, paid_not_in_bill,"
        " amount_differs, refund_matched, refund_differs, refund_not_in_bill, refund_outside)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        -1, &st, NULL);
    if (rc != SQLITE_OK)
        return journal_finish(j, st, rc);
    sqlite3_bind_text(st, 1, r->date, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, pay_channel_name(r->channel), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, r->started_at);
    sqlite3_bind_int64(st, 4, r->finished_at);
    sqlite3_bind_int(st, 5, r->no_bill ? 1 : 0);
    sqlite3_bind_int64(st, 6, r->bill_rows);
    sqlite3_bind_int64(st, 7, r->foreign_rows);
    for (int k = 0; k < RECON__COUNT; k++)
        sqlite3_bind_int64(st, 8 + k, r->count[k]);
    s = run_statement(j, st);
    sqlite3_finalize(st);
    return s;
}

static enum journal_status save_item(struct journal *j, sqlite3_stmt *st,
                                     const struct reconcile_item *it, int64_t old)
{
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, it->date, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, pay_channel_name(it->channel), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, recon_kind_name(it->kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, it->order_no, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, it->refund_no, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, it->trade_no, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, it->bill_fen);
    sqlite3_bind_int64(st, 8, it->journal_fen);
    sqlite3_bind_int64(st, 9, it->bill_line);
    sqlite3_bind_int64(st, 10, it->acknowledged_at);
    sqlite3_bind_int64(st, 11, old);
    return run_statement(j, st);
}

enum journal_status recon_save(struct journal *j, const struct reconciliation *runs, int nruns,
                               const struct reconcile_item *items, size_t nitems)
{
    if (!journal_writable(j))
        return JOURNAL_CORRUPT;
    enum journal_status s = exec(j, "BEGIN IMMEDIATE");
    if (s != JOURNAL_OK)
        return s;
    /* Rows up to old are the last runs'. A difference found again exactly as it was keeps
     * its acknowledgement: a supervisor who checked it is not asked again. */
    int64_t old = 0;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(
        journal_sqlite(j), "SELECT coalesce(max(rowid), 0) FROM reconcile_items", -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = journal_step(j, st)) == SQLITE_ROW)
        old = sqlite3_column_int64(st, 0);
    s = journal_finish(j, st, rc);
    st = NULL;
    if (s == JOURNAL_OK) {
        rc = sqlite3_prepare_v2(
            journal_sqlite(j),
            "INSERT INTO reconcile_items(date, channel, kind, order_no, refund_no, trade_no,"
            " bill_fen, journal_fen, bill_line, acknowledged_at)"
            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, max(?10, coalesce((SELECT"
            " max(acknowledged_at) FROM reconcile_items WHERE rowid <= ?11 AND date = ?1 AND"
            " channel = ?2 AND kind = ?3 AND order_no = ?4 AND refund_no = ?5 AND bill_fen = ?7"
            " AND journal_fen = ?8), 0)))",
            -1, &st, NULL);
        if (rc != SQLITE_OK)
            s = journal_fail(j, rc);
    }
    for (size_t i = 0; i < nitems && s == JOURNAL_OK; i++)
        s = save_item(j, st, &items[i], old);
    sqlite3_finalize(st);
    for (int i = 0; i < nruns && s == JOURNAL_OK; i++)
        s = save_run(j, &runs[i], old);
    if (s == JOURNAL_OK)
        s = exec(j, "COMMIT");
    if (s != JOURNAL_OK)
        sqlite3_exec(journal_sqlite(j), "ROLLBACK", NULL, NULL, NULL);
    return s;
}

enum journal_status recon_get(struct journal *j, const char *date, struct reconciliation *out,
                              int max, int *n)
{
    *n = 0;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(
        journal_sqlite(j),
        "SELECT channel, started_at, finished_at, no_bill, bill_rows, foreign_rows, matched,"
        " reversed, charged_not_paid, paid_not_in_bill, amount_differs, refund_matched,"
        " refund_differs, refund_not_in_bill, refund_outside FROM reconciliations"
        " WHERE date = ?1 ORDER BY channel",
        -1, &st, NULL);
    if (rc != SQLITE_OK)
        return journal_finish(j, st, rc);
    sqlite3_bind_text(st, 1, date, -1, SQLITE_STATIC);
    while ((rc = journal_step(j, st)) == SQLITE_ROW && *n < max) {
        struct reconciliation *r = &out[(*n)++];
        memset(r, 0, sizeof *r);
        snprintf(r->date, sizeof r->date, "%.10s", date);
        r->channel = pay_channel_from_name((const char *)sqlite3_column_text(st, 0));
        r->started_at = sqlite3_column_int64(st, 1);
        r->finished_at = sqlite3_column_int64(st, 2);
        r->no_bill = sqlite3_column_int(st, 3) != 0;
        r->bill_rows = sqlite3_column_int64(st, 4);
        r->foreign_rows = sqlite3_column_int64(st, 5);
        for (int k = 0; k < RECON__COUNT; k++)
            r->count[k] = sqlite3_column_int64(st, 6 + k);
    }
    enum journal_status s = journal_finish(j, st, rc);
    return s == JOURNAL_OK && *n == 0 ? JOURNAL_NOT_FOUND : s;
}

/* Each row of st (date, channel, kind, order_no, refund_no, trade_no, bill_fen, journal_fen,
 * bill_line, acknowledged_at) to fn; st is finalized. */
static enum journal_status each_item(struct journal *j, sqlite3_stmt *st, recon_item_fn fn,
                                     void *ctx)
{
    int rc;
    while ((rc = journal_step(j, st)) == SQLITE_ROW) {
        struct reconcile_item it;
        memset(&it, 0, sizeof it);
        copy_text(it.date, sizeof it.date, sqlite3_column_text(st, 0));
        it.channel = pay_channel_from_name((const char *)sqlite3_column_text(st, 1));
        if (!recon_kind_from_name((const char *)sqlite3_column_text(st, 2), &it.kind)) {
            sqlite3_finalize(st);
            return JOURNAL_CORRUPT;
        }
        copy_text(it.order_no, sizeof it.order_no, sqlite3_column_text(st, 3));
        copy_text(it.refund_no, sizeof it.refund_no, sqlite3_column_text(st, 4));
        copy_text(it.trade_no, sizeof it.trade_no, sqlite3_column_text(st, 5));
        it.bill_fen = sqlite3_column_int64(st, 6);
        it.journal_fen = sqlite3_column_int64(st, 7);
        it.bill_line = (long)sqlite3_column_int64(st, 8);
        it.acknowledged_at = sqlite3_column_int64(st, 9);
        if (fn(ctx, &it) != 0)
            break;
    }
    return journal_finish(j, st, rc);
}

#define ITEM_COLUMNS                                                                               \
    "SELECT date, channel, kind, order_no, refund_no, trade_no, bill_fen, journal_fen, bill_line," \
    " acknowledged_at FROM reconcile_items"

enum journal_status recon_items(struct journal *j, const char *date, recon_item_fn fn, void *ctx)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(
        journal_sqlite(j), ITEM_COLUMNS " WHERE date = ?1 ORDER BY channel, order_no, refund_no",
        -1, &st, NULL);
    if (rc != SQLITE_OK)
        return journal_finish(j, st, rc);
    sqlite3_bind_text(st, 1, date, -1, SQLITE_STATIC);
    return each_item(j, st, fn, ctx);
}

enum journal_status recon_open_items(struct journal *j, recon_item_fn fn, void *ctx)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(journal_sqlite(j),
                                ITEM_COLUMNS " WHERE acknowledged_at = 0"
                                             " ORDER BY date, channel, order_no, refund_no",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return journal_finish(j, st, rc);
    return each_item(j, st, fn, ctx);
}

enum journal_status recon_open_count(struct journal *j, int64_t *count)
{
    *count = 0;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(journal_sqlite(j),
                                "SELECT count(*) FROM reconcile_items WHERE acknowledged_at = 0",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return journal_finish(j, st, rc);
    rc = journal_step(j, st);
    if (rc == SQLITE_ROW)
        *count = sqlite3_column_int64(st, 0);
    return journal_finish(j, st, rc);
}

enum journal_status recon_acknowledge(struct journal *j, const char *date, int64_t at,
                                      int64_t *count)
{
    *count = 0;
    if (!journal_writable(j))
        return JOURNAL_CORRUPT;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(journal_sqlite(j),
                                "UPDATE reconcile_items SET acknowledged_at = ?2"
                                " WHERE date = ?1 AND acknowledged_at = 0",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return journal_finish(j, st, rc);
    sqlite3_bind_text(st, 1, date, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, at);
    enum journal_status s = run_statement(j, st);
    if (s == JOURNAL_OK)
        *count = sqlite3_changes(journal_sqlite(j));
    sqlite3_finalize(st);
    return s;
}
