/*
 * reports.c - read-only listings and totals over the journal (reports.h).
 *
 * Reports are asked for by a person, a few times a day, so each call prepares its statement
 * and finalizes it; the hot path (journal_save) keeps its own statements prepared.
 */
#include "reports.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "journal_sqlite.h"

static int prepare(struct journal *j, const char *sql, sqlite3_stmt **st)
{
    return sqlite3_prepare_v2(journal_sqlite(j), sql, -1, st, NULL);
}

enum journal_status report_payments(struct journal *j, int64_t from, int64_t to,
                                    bool unresolved_only, journal_payment_fn fn, void *ctx)
{
    static const char all_sql[] =
        "SELECT " JOURNAL_PAYMENT_COLUMNS " FROM payments "
        "WHERE created_at >= ?1 AND created_at < ?2 ORDER BY created_at DESC, order_no DESC";
    static const char unresolved_sql[] =
        "SELECT " JOURNAL_PAYMENT_COLUMNS " FROM payments "
        "WHERE created_at >= ?1 AND created_at < ?2 AND " JOURNAL_UNRESOLVED
        " ORDER BY created_at DESC, order_no DESC";
    sqlite3_stmt *st = NULL;
    int rc = prepare(j, unresolved_only ? unresolved_sql : all_sql, &st);
    if (rc != SQLITE_OK)
        return journal_finish(j, st, rc);
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    struct payment p;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!journal_read_payment(st, &p)) {
            sqlite3_finalize(st);
            return JOURNAL_CORRUPT;
        }
        if (fn(ctx, &p) != 0)
            break;
    }
    return journal_finish(j, st, rc);
}

enum journal_status report_referred(struct journal *j, journal_payment_fn fn, void *ctx)
{
    /* "state = 'REFERRED'" exactly as payments_referred's WHERE, so SQLite reads that index. */
    sqlite3_stmt *st = NULL;
    int rc = prepare(j,
                     "SELECT " JOURNAL_PAYMENT_COLUMNS " FROM payments WHERE state = 'REFERRED' "
                     "ORDER BY created_at DESC, order_no DESC",
                     &st);
    if (rc != SQLITE_OK)
        return journal_finish(j, st, rc);
    struct payment p;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!journal_read_payment(st, &p)) {
            sqlite3_finalize(st);
            return JOURNAL_CORRUPT;
        }
        if (fn(ctx, &p) != 0)
            break;
    }
    return journal_finish(j, st, rc);
}

enum journal_status report_events(struct journal *j, const char *order_no, journal_event_fn fn,
                                  void *ctx)
{
    sqlite3_stmt *st = NULL;
    int rc = prepare(j,
                     "SELECT id, order_no, at, state, name, detail FROM events "
                     "WHERE order_no = ?1 ORDER BY id",
                     &st);
    if (rc != SQLITE_OK)
        return journal_finish(j, st, rc);
    sqlite3_bind_text(st, 1, order_no, -1, SQLITE_STATIC);
    struct journal_event e;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&e, 0, sizeof e);
        e.id = sqlite3_column_int64(st, 0);
        snprintf(e.order_no, sizeof e.order_no, "%s", (const char *)sqlite3_column_text(st, 1));
        e.at = sqlite3_column_int64(st, 2);
        const char *state = (const char *)sqlite3_column_text(st, 3);
        if (!state || !pay_state_from_name(state, &e.state)) {
            sqlite3_finalize(st);
            return JOURNAL_CORRUPT;
        }
        snprintf(e.name, sizeof e.name, "%s", (const char *)sqlite3_column_text(st, 4));
        snprintf(e.detail, sizeof e.detail, "%s", (const char *)sqlite3_column_text(st, 5));
        if (fn(ctx, &e) != 0)
            break;
    }
    return journal_finish(j, st, rc);
}

static struct report_totals *totals_of(struct report_day *out, const unsigned char *channel)
{
    return &out->channel[pay_channel_from_name(channel ? (const char *)channel : "")];
}

enum journal_status report_totals(struct journal *j, int64_t from, int64_t to,
                                  struct report_day *out)
{
    return report_cashier_totals(j, from, to, NULL, out);
}

enum journal_status report_cashier_totals(struct journal *j, int64_t from, int64_t to,
                                          const char *cashier, struct report_day *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = NULL;
    int rc = prepare(j,
                     "SELECT channel, "
                     " sum(state IN ('PAID','REFUNDING')), sum(state = 'REFUNDED'), "
                     " sum(CASE WHEN state IN ('PAID','REFUNDING','REFUNDED') THEN amount_fen "
                     "     ELSE 0 END), "
                     " sum(" JOURNAL_UNRESOLVED "), sum(state = 'REFERRED') "
                     "FROM payments WHERE created_at >= ?1 AND created_at < ?2 "
                     "AND (?3 IS NULL OR cashier = ?3) GROUP BY channel",
                     &st);
    if (rc != SQLITE_OK)
        return journal_finish(j, st, rc);
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    if (cashier)
        sqlite3_bind_text(st, 3, cashier, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct report_totals *t = totals_of(out, sqlite3_column_text(st, 0));
        t->paid_count += sqlite3_column_int64(st, 1);
        t->refunded_count += sqlite3_column_int64(st, 2);
        t->charged_fen += sqlite3_column_int64(st, 3);
        t->unresolved_count += sqlite3_column_int64(st, 4);
        t->referred_count += sqlite3_column_int64(st, 5);
    }
    enum journal_status status = journal_finish(j, st, rc);
    if (status != JOURNAL_OK)
        return status;

    st = NULL;
    rc = prepare(j,
                 "SELECT p.channel, sum(r.amount_fen) FROM refunds AS r "
                 "JOIN payments AS p ON p.order_no = r.order_no "
                 "WHERE r.state = 'REFUNDED' AND r.at >= ?1 AND r.at < ?2 "
                 "AND (?3 IS NULL OR r.cashier = ?3) GROUP BY p.channel",
                 &st);
    if (rc != SQLITE_OK)
        return journal_finish(j, st, rc);
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    if (cashier)
        sqlite3_bind_text(st, 3, cashier, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        totals_of(out, sqlite3_column_text(st, 0))->refunded_fen += sqlite3_column_int64(st, 1);
    status = journal_finish(j, st, rc);
    if (status != JOURNAL_OK)
        return status;

    for (int c = 0; c < REPORT_CHANNELS; c++) {
        struct report_totals *t = &out->channel[c];
        t->net_fen = t->charged_fen - t->refunded_fen;
        out->all.paid_count += t->paid_count;
        out->all.refunded_count += t->refunded_count;
        out->all.charged_fen += t->charged_fen;
        out->all.refunded_fen += t->refunded_fen;
        out->all.net_fen += t->net_fen;
        out->all.unresolved_count += t->unresolved_count;
        out->all.referred_count += t->referred_count;
    }
    return JOURNAL_OK;
}

void report_local_day(int64_t now, int64_t *from, int64_t *to, int *yyyymmdd)
{
    time_t t = (time_t)now;
    struct tm tm;
    localtime_r(&t, &tm);
    *yyyymmdd = (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1; /* let mktime find midnight's own DST offset */
    *from = (int64_t)mktime(&tm) * 1000;
    tm.tm_mday += 1;
    tm.tm_isdst = -1;
    *to = (int64_t)mktime(&tm) * 1000;
}

/* Appends clause to the WHERE being built in sql. */
static void where(char *sql, size_t len, const char *clause)
{
    size_t n = strlen(sql);
    snprintf(sql + n, len - n, "%s%s", strstr(sql, " WHERE ") ? " AND " : " WHERE ", clause);
}

/* Each filter is written only when set, and each as its index's key or WHERE says, so that
 * SQLite's planner picks that index (tests/unit/journal checks the plans). */
enum journal_status report_history(struct journal *j, const struct report_filter *f,
                                   const struct report_cursor *after, int limit,
                                   journal_payment_fn fn, void *ctx, struct report_cursor *next,
                                   bool *more)
{
    char sql[1024] = "SELECT " JOURNAL_PAYMENT_COLUMNS " FROM payments";
    if (f->to > 0)
        where(sql, sizeof sql, "created_at >= ?1 AND created_at < ?2");
    if (f->amount_fen > 0)
        where(sql, sizeof sql, "amount_fen = ?3");
    if (f->last4[0])
        where(sql, sizeof sql, "code_last4 = ?4");
    if (f->by_channel)
        where(sql, sizeof sql, "channel = ?5");
    if (f->by_state)
        where(sql, sizeof sql, "state = ?6");
    /* The causes are journaled by name (pay_cause.h): pay_not_started() in SQL. */
    if (f->by_state && f->state == PAY_FAILED)
        where(sql, sizeof sql, "last_cause NOT IN (?10, ?11)");
    if (f->not_started_only)
        where(sql, sizeof sql, "state = 'FAILED' AND last_cause IN (?10, ?11)");
    if (f->unresolved_only)
        where(sql, sizeof sql, JOURNAL_UNRESOLVED);
    if (after && after->created_at > 0)
        where(sql, sizeof sql, "(created_at, order_no) < (?7, ?8)");
    size_t n = strlen(sql);
    snprintf(sql + n, sizeof sql - n, " ORDER BY created_at DESC, order_no DESC LIMIT ?9");

    sqlite3_stmt *st = NULL;
    int rc = prepare(j, sql, &st);
    if (rc != SQLITE_OK)
        return journal_finish(j, st, rc);
    sqlite3_bind_int64(st, 1, f->from);
    sqlite3_bind_int64(st, 2, f->to);
    sqlite3_bind_int64(st, 3, f->amount_fen);
    sqlite3_bind_text(st, 4, f->last4, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, pay_channel_name(f->channel), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, pay_state_name(f->state), -1, SQLITE_STATIC);
    if ((f->by_state && f->state == PAY_FAILED) || f->not_started_only) {
        sqlite3_bind_text(st, 10, pay_cause_name(PAY_CAUSE_ABORTED_BEFORE_SCAN), -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 11, pay_cause_name(PAY_CAUSE_RESTARTED_BEFORE_SCAN), -1,
                          SQLITE_STATIC);
    }
    if (after) {
        sqlite3_bind_int64(st, 7, after->created_at);
        sqlite3_bind_text(st, 8, after->order_no, -1, SQLITE_STATIC);
    }
    /* One row more than asked says whether another page follows. */
    sqlite3_bind_int(st, 9, limit + 1);
    if (more)
        *more = false;
    if (next)
        memset(next, 0, sizeof *next);
    struct payment p;
    int listed = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (listed == limit) {
            if (more)
                *more = true;
            break;
        }
        if (!journal_read_payment(st, &p)) {
            sqlite3_finalize(st);
            return JOURNAL_CORRUPT;
        }
        listed++;
        if (next) {
            next->created_at = p.created_at;
            snprintf(next->order_no, sizeof next->order_no, "%s", p.order_no);
        }
        if (fn(ctx, &p) != 0)
            break;
    }
    return journal_finish(j, st, rc);
}

bool report_short_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > REPORT_SHORT_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* Lists the rows of the short-form query sql (?1 = a, ?2 = b unless NULL, ?3 = limit);
 * *found counts them. */
static enum journal_status list_short(struct journal *j, const char *sql, const char *a,
                                      const char *b, int limit, journal_payment_fn fn, void *ctx,
                                      int *found)
{
    sqlite3_stmt *st = NULL;
    int rc = prepare(j, sql, &st);
    if (rc != SQLITE_OK)
        return journal_finish(j, st, rc);
    sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
    if (b)
        sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, limit);
    struct payment p;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!journal_read_payment(st, &p)) {
            sqlite3_finalize(st);
            return JOURNAL_CORRUPT;
        }
        (*found)++;
        if (fn(ctx, &p) != 0)
            break;
    }
    return journal_finish(j, st, rc);
}

enum journal_status report_find_short(struct journal *j, const char *typed, int limit,
                                      journal_payment_fn fn, void *ctx)
{
    if (!report_short_valid(typed))
        return JOURNAL_NOT_FOUND;
    /* "substr(order_no, -6)" exactly as payments_short's expression, so SQLite reads it. */
    char exact[REPORT_SHORT_MAX + 1], low[REPORT_SHORT_MAX + 1], high[REPORT_SHORT_MAX + 2];
    snprintf(exact, sizeof exact, "%0*d", REPORT_SHORT_MAX, atoi(typed));
    int found = 0;
    enum journal_status st = list_short(j,
                                        "SELECT " JOURNAL_PAYMENT_COLUMNS " FROM payments "
                                        "WHERE substr(order_no, -6) = ?1 "
                                        "ORDER BY created_at DESC, order_no DESC LIMIT ?3",
                                        exact, NULL, limit, fn, ctx, &found);
    if (st != JOURNAL_OK || found > 0 || strlen(typed) == REPORT_SHORT_MAX)
        return st;
    /* The short forms that start with typed: [typed, typed followed by ':'), ':' being the
     * character after '9'. */
    snprintf(low, sizeof low, "%s", typed);
    snprintf(high, sizeof high, "%s:", typed);
    return list_short(j,
                      "SELECT " JOURNAL_PAYMENT_COLUMNS " FROM payments "
                      "WHERE substr(order_no, -6) >= ?1 AND substr(order_no, -6) < ?2 "
                      "ORDER BY created_at DESC, order_no DESC LIMIT ?3",
                      low, high, limit, fn, ctx, &found);
}

enum journal_status report_refunds_sum(struct journal *j, int64_t from, int64_t to, int64_t *fen)
{
    *fen = 0;
    sqlite3_stmt *st = NULL;
    int rc = prepare(j,
                     "SELECT coalesce(sum(amount_fen), 0) FROM refunds "
                     "WHERE at >= ?1 AND at < ?2 AND (state = 'REFUNDING' OR state = 'REFUNDED')",
                     &st);
    if (rc != SQLITE_OK)
        return journal_finish(j, st, rc);
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *fen = sqlite3_column_int64(st, 0);
    return journal_finish(j, st, rc);
}
