/*
 * zreports.c - the z_reports and z_report_totals tables (zreports.h). The totals are
 * computed by report_totals inside the transaction that stores them, so what is stored is
 * exactly what the journal held at the close.
 */
#include "zreports.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "journal_sqlite.h"
#include "outbox.h"

static enum journal_status exec(struct journal *j, const char *sql)
{
    int rc = sqlite3_exec(journal_sqlite(j), sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? JOURNAL_OK : journal_fail(j, rc);
}

static void sum_channels(struct report_day *d)
{
    memset(&d->all, 0, sizeof d->all);
    for (int c = 0; c < REPORT_CHANNELS; c++) {
        const struct report_totals *t = &d->channel[c];
        d->all.paid_count += t->paid_count;
        d->all.refunded_count += t->refunded_count;
        d->all.charged_fen += t->charged_fen;
        d->all.refunded_fen += t->refunded_fen;
        d->all.net_fen += t->net_fen;
        d->all.unresolved_count += t->unresolved_count;
        d->all.referred_count += t->referred_count;
    }
}

/* The report's row (number, or the newest when number is 0) and its totals. */
static enum journal_status read_report(struct journal *j, int64_t number, struct z_report *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(journal_sqlite(j),
                                number ? "SELECT number, day, from_at, closed_at FROM z_reports "
                                         "WHERE number = ?1"
                                       : "SELECT number, day, from_at, closed_at FROM z_reports "
                                         "ORDER BY number DESC LIMIT 1",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return journal_finish(j, st, rc);
    if (number)
        sqlite3_bind_int64(st, 1, number);
    rc = journal_step(j, st);
    if (rc != SQLITE_ROW) {
        enum journal_status status = journal_finish(j, st, rc);
        return status == JOURNAL_OK ? JOURNAL_NOT_FOUND : status;
    }
    out->number = sqlite3_column_int64(st, 0);
    out->day = sqlite3_column_int(st, 1);
    out->from_at = sqlite3_column_int64(st, 2);
    out->closed_at = sqlite3_column_int64(st, 3);
    sqlite3_finalize(st);

    st = NULL;
    rc = sqlite3_prepare_v2(journal_sqlite(j),
                            "SELECT channel, paid_count, refunded_count, charged_fen, "
                            "refunded_fen, net_fen, unresolved_count, referred_count "
                            "FROM z_report_totals WHERE number = ?1",
                            -1, &st, NULL);
    if (rc != SQLITE_OK)
        return journal_finish(j, st, rc);
    sqlite3_bind_int64(st, 1, out->number);
    while ((rc = journal_step(j, st)) == SQLITE_ROW) {
        const unsigned char *ch = sqlite3_column_text(st, 0);
        struct report_totals *t =
            &out->totals.channel[pay_channel_from_name(ch ? (const char *)ch : "")];
        t->paid_count = sqlite3_column_int64(st, 1);
        t->refunded_count = sqlite3_column_int64(st, 2);
        t->charged_fen = sqlite3_column_int64(st, 3);
        t->refunded_fen = sqlite3_column_int64(st, 4);
        t->net_fen = sqlite3_column_int64(st, 5);
        t->unresolved_count = sqlite3_column_int64(st, 6);
        t->referred_count = sqlite3_column_int64(st, 7);
    }
    enum journal_status status = journal_finish(j, st, rc);
    if (status == JOURNAL_OK)
        sum_channels(&out->totals);
    return status;
}

enum journal_status z_report_get(struct journal *j, int64_t number, struct z_report *out)
{
    if (number <= 0)
        return JOURNAL_NOT_FOUND;
    return read_report(j, number, out);
}

enum journal_status z_report_last(struct journal *j, struct z_report *out)
{
    return read_report(j, 0, out);
}

static enum journal_status store(struct journal *j, const struct z_report *z)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(journal_sqlite(j),
                                "INSERT INTO z_reports(number, day, from_at, closed_at) "
                                "VALUES (?1, ?2, ?3, ?4)",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return journal_finish(j, st, rc);
    sqlite3_bind_int64(st, 1, z->number);
    sqlite3_bind_int(st, 2, z->day);
    sqlite3_bind_int64(st, 3, z->from_at);
    sqlite3_bind_int64(st, 4, z->closed_at);
    enum journal_status status = journal_finish(j, st, journal_step(j, st));
    for (int c = 0; status == JOURNAL_OK && c < REPORT_CHANNELS; c++) {
        const struct report_totals *t = &z->totals.channel[c];
        st = NULL;
        rc = sqlite3_prepare_v2(journal_sqlite(j),
                                "INSERT INTO z_report_totals(number, channel, paid_count, "
                                "refunded_count, charged_fen, refunded_fen, net_fen, "
                                "unresolved_count, referred_count) "
                                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                                -1, &st, NULL);
        if (rc != SQLITE_OK)
            return journal_finish(j, st, rc);
        sqlite3_bind_int64(st, 1, z->number);
        sqlite3_bind_text(st, 2, pay_channel_name((enum pay_channel)c), -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, t->paid_count);
        sqlite3_bind_int64(st, 4, t->refunded_count);
        sqlite3_bind_int64(st, 5, t->charged_fen);
        sqlite3_bind_int64(st, 6, t->refunded_fen);
        sqlite3_bind_int64(st, 7, t->net_fen);
        sqlite3_bind_int64(st, 8, t->unresolved_count);
        sqlite3_bind_int64(st, 9, t->referred_count);
        status = journal_finish(j, st, journal_step(j, st));
    }
    return status;
}

enum journal_status z_report_close(struct journal *j, int64_t at, struct z_report *out)
{
    if (!journal_writable(j))
        return JOURNAL_CORRUPT;
    enum journal_status status = exec(j, "BEGIN IMMEDIATE");
    if (status != JOURNAL_OK)
        return status;
    struct z_report last;
    status = z_report_last(j, &last);
    if (status == JOURNAL_OK || status == JOURNAL_NOT_FOUND) {
        memset(out, 0, sizeof *out);
        out->number = status == JOURNAL_OK ? last.number + 1 : 1;
        out->from_at = status == JOURNAL_OK ? last.closed_at : 0;
        out->closed_at = at;
        int64_t from, to;
        report_local_day(at / 1000, &from, &to, &out->day);
        status = at < out->from_at ? JOURNAL_IO : JOURNAL_OK;
    }
    if (status == JOURNAL_OK)
        status = report_totals(j, out->from_at, out->closed_at, &out->totals);
    if (status == JOURNAL_OK)
        status = store(j, out);
    if (status == JOURNAL_OK && outbox_is_on(j))
        status = outbox_add_zreport(j, out->number, at);
    if (status == JOURNAL_OK)
        status = exec(j, "COMMIT");
    if (status != JOURNAL_OK && !sqlite3_get_autocommit(journal_sqlite(j)))
        (void)sqlite3_exec(journal_sqlite(j), "ROLLBACK", NULL, NULL, NULL);
    return status;
}
