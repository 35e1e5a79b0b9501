/*
 * print_jobs.c - the print_jobs table (print_jobs.h): a few writes per receipt, so each call
 * prepares its statement; the job rows a sale or refund needs are made by journal_save.
 */
#include "print_jobs.h"

#include <stdio.h>
#include <string.h>

#include "journal_sqlite.h"

static const char *const kind_names[] = {"sale", "refund", "eod", "shift", "z", "recon"};
static const char *const copy_names[] = {"customer", "merchant"};
static const char *const state_names[] = {"waiting", "sending", "printed", "unprintable"};

#define JOB_COLUMNS                                                                                \
    "id, kind, order_no, refund_no, day, copy, state, reprint, attempts, created_at, sent_at, "    \
    "printed_at, last_error, ref"

const char *print_kind_name(enum print_kind k)
{
    return (unsigned)k < sizeof kind_names / sizeof kind_names[0] ? kind_names[k] : "?";
}

const char *print_state_name(enum print_state s)
{
    return (unsigned)s < sizeof state_names / sizeof state_names[0] ? state_names[s] : "?";
}

static int index_of(const char *const *names, int n, const unsigned char *text)
{
    for (int i = 0; text && i < n; i++)
        if (strcmp(names[i], (const char *)text) == 0)
            return i;
    return -1;
}

static void copy_text(sqlite3_stmt *st, int col, char *out, size_t len)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(out, len, "%s", t ? (const char *)t : "");
}

static bool read_job(sqlite3_stmt *st, struct print_job *out)
{
    memset(out, 0, sizeof *out);
    int kind = index_of(kind_names, 6, sqlite3_column_text(st, 1));
    int copy = index_of(copy_names, 2, sqlite3_column_text(st, 5));
    int state = index_of(state_names, 4, sqlite3_column_text(st, 6));
    if (kind < 0 || copy < 0 || state < 0)
        return false;
    out->id = sqlite3_column_int64(st, 0);
    out->kind = (enum print_kind)kind;
    copy_text(st, 2, out->order_no, sizeof out->order_no);
    copy_text(st, 3, out->refund_no, sizeof out->refund_no);
    out->day = sqlite3_column_int(st, 4);
    out->copy = (enum print_copy)copy;
    out->state = (enum print_state)state;
    out->reprint = sqlite3_column_int(st, 7) != 0;
    out->attempts = sqlite3_column_int(st, 8);
    out->created_at = sqlite3_column_int64(st, 9);
    out->sent_at = sqlite3_column_int64(st, 10);
    out->printed_at = sqlite3_column_int64(st, 11);
    copy_text(st, 12, out->last_error, sizeof out->last_error);
    out->ref = sqlite3_column_int64(st, 13);
    return true;
}

/* Prepares a write, refused on a journal found damaged. */
static enum journal_status prepare_write(struct journal *j, const char *sql, sqlite3_stmt **st)
{
    if (!journal_writable(j))
        return JOURNAL_CORRUPT;
    int rc = sqlite3_prepare_v2(journal_sqlite(j), sql, -1, st, NULL);
    return rc == SQLITE_OK ? JOURNAL_OK : journal_finish(j, *st, rc);
}

/* Steps a single-statement write (its own transaction) and checks it changed one row. */
static enum journal_status write_one(struct journal *j, sqlite3_stmt *st)
{
    int rc = journal_step(j, st);
    if (rc == SQLITE_DONE && sqlite3_changes(journal_sqlite(j)) == 0) {
        sqlite3_finalize(st);
        return JOURNAL_NOT_FOUND;
    }
    return journal_finish(j, st, rc);
}

enum journal_status print_job_add(struct journal *j, const struct print_job *job, int64_t at,
                                  int64_t *id)
{
    sqlite3_stmt *st = NULL;
    enum journal_status status = prepare_write(
        j,
        "INSERT INTO print_jobs(kind, order_no, refund_no, day, copy, reprint, created_at, ref) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        &st);
    if (status != JOURNAL_OK)
        return status;
    sqlite3_bind_text(st, 1, print_kind_name(job->kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, job->order_no, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, job->refund_no, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, job->day);
    sqlite3_bind_text(st, 5, job->copy == PRINT_MERCHANT ? "merchant" : "customer", -1,
                      SQLITE_STATIC);
    sqlite3_bind_int(st, 6, job->reprint ? 1 : 0);
    sqlite3_bind_int64(st, 7, at);
    sqlite3_bind_int64(st, 8, job->ref);
    status = write_one(j, st);
    if (status == JOURNAL_OK && id)
        *id = sqlite3_last_insert_rowid(journal_sqlite(j));
    return status;
}

static enum journal_status read_one(struct journal *j, const char *sql, int64_t id,
                                    struct print_job *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(journal_sqlite(j), sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return journal_finish(j, st, rc);
    if (id)
        sqlite3_bind_int64(st, 1, id);
    rc = journal_step(j, st);
    if (rc == SQLITE_ROW) {
        bool known = read_job(st, out);
        sqlite3_finalize(st);
        return known ? JOURNAL_OK : JOURNAL_CORRUPT;
    }
    enum journal_status status = journal_finish(j, NULL, rc);
    sqlite3_finalize(st);
    return status == JOURNAL_OK ? JOURNAL_NOT_FOUND : status;
}

enum journal_status print_job_next(struct journal *j, struct print_job *out)
{
    /* The WHERE is print_jobs_pending's, so only that index is read. */
    return read_one(j,
                    "SELECT " JOB_COLUMNS " FROM print_jobs WHERE state = 'waiting' OR "
                    "state = 'sending' ORDER BY id LIMIT 1",
                    0, out);
}

enum journal_status print_job_get(struct journal *j, int64_t id, struct print_job *out)
{
    return read_one(j, "SELECT " JOB_COLUMNS " FROM print_jobs WHERE id = ?1", id, out);
}

enum journal_status print_job_start(struct journal *j, struct print_job *job, int64_t at)
{
    sqlite3_stmt *st = NULL;
    enum journal_status status = prepare_write(
        j,
        "UPDATE print_jobs SET reprint = (reprint OR state = 'sending'), state = 'sending', "
        "attempts = attempts + 1, sent_at = ?2 WHERE id = ?1 AND "
        "(state = 'waiting' OR state = 'sending') RETURNING reprint, attempts",
        &st);
    if (status != JOURNAL_OK)
        return status;
    sqlite3_bind_int64(st, 1, job->id);
    sqlite3_bind_int64(st, 2, at);
    int rc = journal_step(j, st);
    if (rc != SQLITE_ROW) {
        status = journal_finish(j, st, rc);
        return status == JOURNAL_OK ? JOURNAL_NOT_FOUND : status;
    }
    bool reprint = sqlite3_column_int(st, 0) != 0;
    int attempts = sqlite3_column_int(st, 1);
    /* The update is committed when the statement is done, not at its row. */
    rc = journal_step(j, st);
    status = journal_finish(j, st, rc);
    if (status == JOURNAL_OK) {
        job->reprint = reprint;
        job->attempts = attempts;
        job->state = PRINT_SENDING;
        job->sent_at = at;
    }
    return status;
}

enum journal_status print_job_printed(struct journal *j, int64_t id, int64_t at)
{
    sqlite3_stmt *st = NULL;
    enum journal_status status = prepare_write(
        j,
        "UPDATE print_jobs SET state = 'printed', printed_at = ?2, last_error = '' WHERE id = ?1",
        &st);
    if (status != JOURNAL_OK)
        return status;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, at);
    return write_one(j, st);
}

enum journal_status print_job_failed(struct journal *j, int64_t id, bool bytes_out, const char *why)
{
    sqlite3_stmt *st = NULL;
    enum journal_status status =
        prepare_write(j,
                      "UPDATE print_jobs SET state = 'waiting', reprint = (reprint OR ?2), "
                      "last_error = ?3 WHERE id = ?1 AND (state = 'waiting' OR state = 'sending')",
                      &st);
    if (status != JOURNAL_OK)
        return status;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, bytes_out ? 1 : 0);
    sqlite3_bind_text(st, 3, why ? why : "", -1, SQLITE_STATIC);
    return write_one(j, st);
}

enum journal_status print_job_unprintable(struct journal *j, int64_t id, const char *why)
{
    sqlite3_stmt *st = NULL;
    enum journal_status status = prepare_write(
        j, "UPDATE print_jobs SET state = 'unprintable', last_error = ?2 WHERE id = ?1", &st);
    if (status != JOURNAL_OK)
        return status;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, why ? why : "", -1, SQLITE_STATIC);
    return write_one(j, st);
}

enum journal_status print_job_count_owed(struct journal *j, int *count)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(journal_sqlite(j),
                                "SELECT count(*) FROM print_jobs WHERE state = 'waiting' OR "
                                "state = 'sending'",
                                -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = journal_step(j, st)) == SQLITE_ROW)
        *count = sqlite3_column_int(st, 0);
    return journal_finish(j, st, rc);
}
