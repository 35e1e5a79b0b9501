/*
 * shifts.c - the shifts table (shifts.h): a few writes a day, so each call prepares its
 * statement.
 */
#include "shifts.h"

#include <stdio.h>
#include <string.h>

#include "journal_sqlite.h"

#define SHIFT_COLUMNS "id, cashier, name, started_at, ended_at"

static void read_shift(sqlite3_stmt *st, struct shift *out)
{
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(st, 0);
    const unsigned char *cashier = sqlite3_column_text(st, 1);
    const unsigned char *name = sqlite3_column_text(st, 2);
    snprintf(out->cashier, sizeof out->cashier, "%s", cashier ? (const char *)cashier : "");
    snprintf(out->name, sizeof out->name, "%s", name ? (const char *)name : "");
    out->started_at = sqlite3_column_int64(st, 3);
    out->ended_at = sqlite3_column_int64(st, 4);
}

/* Runs a SELECT of SHIFT_COLUMNS with an optional id bound as ?1; the first row into out. */
static enum journal_status read_one(struct journal *j, const char *sql, int64_t id,
                                    struct shift *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(journal_sqlite(j), sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return journal_finish(j, st, rc);
    if (id)
        sqlite3_bind_int64(st, 1, id);
    rc = journal_step(j, st);
    if (rc == SQLITE_ROW) {
        read_shift(st, out);
        sqlite3_finalize(st);
        return JOURNAL_OK;
    }
    enum journal_status status = journal_finish(j, st, rc);
    return status == JOURNAL_OK ? JOURNAL_NOT_FOUND : status;
}

enum journal_status shift_current(struct journal *j, struct shift *out)
{
    /* "ended_at = 0" as shifts_open's WHERE, so SQLite reads that index. */
    return read_one(j, "SELECT " SHIFT_COLUMNS " FROM shifts WHERE ended_at = 0", 0, out);
}

enum journal_status shift_get(struct journal *j, int64_t id, struct shift *out)
{
    if (id <= 0)
        return JOURNAL_NOT_FOUND;
    return read_one(j, "SELECT " SHIFT_COLUMNS " FROM shifts WHERE id = ?1", id, out);
}

enum journal_status shift_last(struct journal *j, struct shift *out)
{
    return read_one(j, "SELECT " SHIFT_COLUMNS " FROM shifts ORDER BY id DESC LIMIT 1", 0, out);
}

enum journal_status shift_start(struct journal *j, const char *cashier, const char *name,
                                int64_t at, struct shift *out)
{
    if (!journal_writable(j))
        return JOURNAL_CORRUPT;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(journal_sqlite(j),
                                "INSERT INTO shifts(cashier, name, started_at) VALUES (?1, ?2, ?3)",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return journal_finish(j, st, rc);
    sqlite3_bind_text(st, 1, cashier, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name ? name : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, at);
    rc = journal_step(j, st);
    if (rc == SQLITE_CONSTRAINT_UNIQUE) {
        sqlite3_finalize(st);
        return JOURNAL_EXISTS;
    }
    enum journal_status status = journal_finish(j, st, rc);
    if (status != JOURNAL_OK)
        return status;
    return shift_get(j, sqlite3_last_insert_rowid(journal_sqlite(j)), out);
}

enum journal_status shift_end(struct journal *j, struct shift *s, int64_t at)
{
    if (!journal_writable(j))
        return JOURNAL_CORRUPT;
    if (at < s->started_at)
        at = s->started_at; /* a clock set back during the shift: an empty end, never refused */
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(journal_sqlite(j),
                                "UPDATE shifts SET ended_at = ?2 WHERE id = ?1 AND ended_at = 0",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return journal_finish(j, st, rc);
    sqlite3_bind_int64(st, 1, s->id);
    sqlite3_bind_int64(st, 2, at);
    rc = journal_step(j, st);
    if (rc == SQLITE_DONE && sqlite3_changes(journal_sqlite(j)) == 0) {
        sqlite3_finalize(st);
        return JOURNAL_NOT_FOUND;
    }
    enum journal_status status = journal_finish(j, st, rc);
    if (status == JOURNAL_OK)
        s->ended_at = at;
    return status;
}

enum journal_status shift_totals(struct journal *j, const struct shift *s, int64_t now,
                                 struct report_day *out)
{
    /* The end is inclusive: a refund that ended in the very millisecond the cashier signed
     * out (a fast gateway and a quick sign-out) is still this shift's. */
    int64_t to = (s->ended_at ? s->ended_at : now) + 1;
    return report_cashier_totals(j, s->started_at, to, s->cashier, out);
}
