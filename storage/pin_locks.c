/*
 * pin_locks.c - the PIN locks' ends in journal_meta (pin_locks.h).
 */
#include "pin_locks.h"

#include <stdio.h>

#include "journal_sqlite.h"

static const char *column(enum pin_lock lock)
{
    return lock == PIN_LOCK_SIGNIN ? "signin_locked_until" : "refund_pin_locked_until";
}

enum journal_status pin_lock_read(struct journal *j, enum pin_lock lock, int64_t *until_ms)
{
    *until_ms = 0;
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT %s FROM journal_meta WHERE one = 1", column(lock));
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(journal_sqlite(j), sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return journal_finish(j, st, rc);
    rc = journal_step(j, st);
    if (rc == SQLITE_ROW)
        *until_ms = sqlite3_column_int64(st, 0);
    return journal_finish(j, st, rc);
}

enum journal_status pin_lock_write(struct journal *j, enum pin_lock lock, int64_t until_ms)
{
    if (!journal_writable(j))
        return JOURNAL_CORRUPT;
    char sql[96];
    snprintf(sql, sizeof sql, "UPDATE journal_meta SET %s = ?1 WHERE one = 1", column(lock));
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(journal_sqlite(j), sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return journal_finish(j, st, rc);
    sqlite3_bind_int64(st, 1, until_ms);
    rc = journal_step(j, st);
    return journal_finish(j, st, rc);
}
