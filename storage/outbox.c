/*
 * outbox.c - the outbox table (outbox.h). The row of an event is written by journal_save
 * in its transaction; the publisher reads the unsent rows through the partial index
 * outbox_unsent and marks each one sent on its PUBACK. Payloads are built by SQLite's
 * json_object, so every string is escaped the one way JSON wants.
 */
#include "outbox.h"

#include <stdio.h>
#include <string.h>

#include "journal_sqlite.h"

/* What head office files an event under: the refunds' own steps, the payments left for the
 * merchant (an alert: someone must act), and every other step of a payment. */
static const char *kind_of(const char *event)
{
    if (strcmp(event, "referred") == 0)
        return "alert";
    if (strncmp(event, "refund", 6) == 0)
        return "refund";
    return "payment";
}

void outbox_turn_on(struct journal *j)
{
    journal_set_save_hook(j, outbox_add_event);
}

bool outbox_is_on(const struct journal *j)
{
    return journal_save_hook(j) == outbox_add_event;
}

/* refund_fen is the refund under way; once it ended the payment's is 0, so a "refunded"
 * event names what its refunds row says came back (closed earlier in the same save). */
int outbox_add_event(struct journal *j, const struct payment *p, const char *event,
                     const char *last4, int64_t at)
{
    /* A few statements per payment: prepared per call, as print_jobs.c does, rather than
     * growing the journal's own cache for a table only fleet terminals write. */
    static const char sql[] =
        "INSERT INTO outbox(kind, payload, created_at) VALUES (?1, json_object("
        "'at', ?2, 'order', ?3, 'event', ?4, 'state', ?5, 'channel', ?6, 'method', ?7, "
        "'amount_fen', ?8, 'refunded_fen', ?9, 'refund_no', ?10, 'refund_fen', "
        "CASE WHEN ?4 = 'refunded' THEN coalesce((SELECT amount_fen FROM refunds "
        "WHERE refund_no = ?10), ?11) ELSE ?11 END, "
        "'code_last4', ?12, 'cause', ?13, 'trade_no', ?14), ?2)";
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(journal_sqlite(j), sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_text(st, 1, kind_of(event), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, at);
    sqlite3_bind_text(st, 3, p->order_no, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, event, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, pay_state_name(p->state), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, pay_channel_name(p->channel), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, pay_kind_name(p->kind), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, p->amount_fen);
    sqlite3_bind_int64(st, 9, p->refunded_fen);
    sqlite3_bind_text(st, 10, p->refund_no, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 11, p->refund_fen);
    sqlite3_bind_text(st, 12, last4, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 13, pay_cause_name(p->last_cause), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 14, p->trade_no, -1, SQLITE_STATIC);
    rc = journal_step(j, st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Read back from the tables the report was just stored in, so the message says what the
 * journal keeps; "all" is the sum of the channels, as z_report_get counts it. */
enum journal_status outbox_add_zreport(struct journal *j, int64_t number, int64_t at)
{
#define TOTALS_OF(where)                                                                           \
    "json((SELECT json_object('paid_count', sum(paid_count), 'refunded_count', "                   \
    "sum(refunded_count), 'charged_fen', sum(charged_fen), 'refunded_fen', sum(refunded_fen), "    \
    "'net_fen', sum(net_fen), 'unresolved_count', sum(unresolved_count), 'referred_count', "       \
    "sum(referred_count)) FROM z_report_totals t WHERE t.number = z.number" where "))"
    static const char sql[] =
        "INSERT INTO outbox(kind, payload, created_at) SELECT 'zreport', json_object("
        "'at', ?2, 'number', z.number, 'day', z.day, 'from_at', z.from_at, 'closed_at', "
        "z.closed_at, 'all', " TOTALS_OF("") ", 'wechat', " TOTALS_OF(
            " AND channel = 'wechat'") ", 'alipay', " TOTALS_OF(" AND channel = 'alipay'") "), ?2 "
                                                                                           "FROM "
                                                                                           "z_"
                                                                                           "reports"
                                                                                           " z "
                                                                                           "WHERE "
                                                                                           "z."
                                                                                           "number "
                                                                                           "= ?1";
#undef TOTALS_OF
    if (!journal_writable(j))
        return JOURNAL_CORRUPT;
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(journal_sqlite(j), sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return journal_fail(j, rc);
    sqlite3_bind_int64(st, 1, number);
    sqlite3_bind_int64(st, 2, at);
    rc = journal_step(j, st);
    enum journal_status status = journal_finish(j, st, rc);
    if (status == JOURNAL_OK && sqlite3_changes(journal_sqlite(j)) != 1)
        status = JOURNAL_NOT_FOUND;
    return status;
}

enum journal_status outbox_next(struct journal *j, int64_t after_seq, struct outbox_row *out,
                                bool *found)
{
    /* "sent_at = 0" as in outbox_unsent's WHERE, so SQLite reads that index. The journal's
     * identity and seq lead the message: consumers deduplicate by the two. */
    static const char sql[] =
        "SELECT seq, kind, created_at, json_patch(json_object('journal', ?1, 'seq', seq, "
        "'type', kind), payload) FROM outbox WHERE sent_at = 0 AND seq > ?2 ORDER BY seq "
        "LIMIT 1";
    *found = false;
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(journal_sqlite(j), sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return journal_fail(j, rc);
    sqlite3_bind_text(st, 1, journal_identity(j), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, after_seq);
    rc = journal_step(j, st);
    if (rc == SQLITE_ROW) {
        const unsigned char *kind = sqlite3_column_text(st, 1);
        const unsigned char *payload = sqlite3_column_text(st, 3);
        out->seq = sqlite3_column_int64(st, 0);
        snprintf(out->kind, sizeof out->kind, "%s", kind ? (const char *)kind : "");
        out->created_at = sqlite3_column_int64(st, 2);
        snprintf(out->payload, sizeof out->payload, "%s", payload ? (const char *)payload : "{}");
        *found = true;
    }
    return journal_finish(j, st, rc);
}

enum journal_status outbox_mark_sent(struct journal *j, const int64_t *seqs, int n, int64_t at)
{
    if (!journal_writable(j))
        return JOURNAL_CORRUPT;
    sqlite3 *db = journal_sqlite(j);
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, "UPDATE outbox SET sent_at = ?2 WHERE seq = ?1 AND sent_at = 0",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return journal_fail(j, rc);
    rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    for (int i = 0; rc == SQLITE_OK && i < n; i++) {
        sqlite3_bind_int64(st, 1, seqs[i]);
        sqlite3_bind_int64(st, 2, at > 0 ? at : 1);
        rc = journal_step(j, st);
        sqlite3_reset(st);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    enum journal_status status = rc == SQLITE_OK ? JOURNAL_OK : journal_fail(j, rc);
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_finalize(st);
    return status;
}

enum journal_status outbox_count_unsent(struct journal *j, int64_t *count)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(journal_sqlite(j), "SELECT count(*) FROM outbox WHERE sent_at = 0",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return journal_fail(j, rc);
    rc = journal_step(j, st);
    *count = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    return journal_finish(j, st, rc);
}
