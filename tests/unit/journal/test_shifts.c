/*
 * test_shifts.c - cashiers, shifts and the closed day: each payment and refund records the
 * cashier signed in, a handover report counts only that cashier's work in the shift, one
 * shift is open at a time; Z reports are numbered without a gap, each covers the time since
 * the one before, and a closed day cannot be changed, not even with SQL on the file.
 */
#include <sqlite3.h>

#include "../check.h"
#include "fixture.h"
#include "pin_locks.h"
#include "journal.h"
#include "print_jobs.h"
#include "reports.h"
#include "shifts.h"
#include "zreports.h"

#define T0 1700000000000LL

static struct journal *j;
static char path[4200];

static void save(struct payment *p, enum pay_state state, const char *event, int64_t at)
{
    p->state = state;
    p->updated_at = at;
    CHECK_EQ_INT(journal_save(j, p, event, "", at), JOURNAL_OK);
}

static struct payment paid(const char *no, enum pay_channel ch, int64_t fen, int64_t at)
{
    struct payment p = fixture_payment(no, at);
    p.channel = ch;
    p.amount_fen = fen;
    save(&p, PAY_NEW, "create", at);
    save(&p, PAY_PAYING, "pay_intent", at + 1);
    save(&p, PAY_PAID, "paid", at + 2);
    return p;
}

static void refund(struct payment *p, const char *refund_no, int64_t fen, int64_t at)
{
    snprintf(p->refund_no, sizeof p->refund_no, "%s", refund_no);
    p->refund_fen = fen;
    save(p, PAY_REFUNDING, "refund_intent", at);
    p->refunded_fen += fen;
    p->refund_no[0] = '\0';
    p->refund_fen = 0;
    save(p, p->refunded_fen == p->amount_fen ? PAY_REFUNDED : PAY_PAID, "refunded", at + 5);
}

/* Runs sql on a connection of its own, as anyone with the file could; its result code. */
static int tamper(const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

static void test_shift_report(void)
{
    struct shift s, cur, other;
    CHECK_EQ_INT(shift_current(j, &cur), JOURNAL_NOT_FOUND);
    CHECK_EQ_INT(shift_start(j, "c1", "Li Na", T0, &s), JOURNAL_OK);
    CHECK_EQ_STR(s.cashier, "c1");
    CHECK_EQ_STR(s.name, "Li Na");
    CHECK_EQ_INT(s.ended_at, 0);
    CHECK_EQ_INT(shift_start(j, "c2", "Wang", T0 + 1, &other), JOURNAL_EXISTS);
    CHECK_EQ_INT(shift_current(j, &cur), JOURNAL_OK);
    CHECK_EQ_INT(cur.id, s.id);

    journal_set_cashier(j, "c1");
    struct payment a = paid("A", CHANNEL_WECHAT, 1000, T0 + 1000);
    struct payment b = paid("B", CHANNEL_ALIPAY, 2500, T0 + 2000);
    struct payment u = fixture_payment("U", T0 + 3000);
    save(&u, PAY_NEW, "create", T0 + 3000);
    save(&u, PAY_PAYING, "pay_intent", T0 + 3001);
    refund(&a, "AR1", 300, T0 + 9995); /* ends in the very ms of the sign-out: still c1's */

    CHECK_EQ_INT(shift_end(j, &s, T0 + 10000), JOURNAL_OK);
    CHECK_EQ_INT(s.ended_at, T0 + 10000);
    CHECK_EQ_INT(shift_end(j, &s, T0 + 10001), JOURNAL_NOT_FOUND);

    struct shift s2;
    CHECK_EQ_INT(shift_start(j, "c2", "Wang", T0 + 10000, &s2), JOURNAL_OK);
    journal_set_cashier(j, "c2");
    struct payment c = paid("C", CHANNEL_WECHAT, 700, T0 + 11000);
    refund(&b, "BR1", 2500, T0 + 12000);    /* c2 refunds c1's sale */
    save(&u, PAY_PAID, "paid", T0 + 12500); /* c1's payment ends in c2's shift: still c1's */
    (void)c;

    struct report_day d;
    CHECK_EQ_INT(shift_totals(j, &s, T0 + 99999, &d), JOURNAL_OK);
    CHECK_EQ_INT(d.channel[CHANNEL_WECHAT].paid_count, 2); /* A and U (paid since) */
    CHECK_EQ_INT(d.channel[CHANNEL_WECHAT].charged_fen, 2230);
    CHECK_EQ_INT(d.channel[CHANNEL_WECHAT].refunded_fen, 300);
    CHECK_EQ_INT(d.channel[CHANNEL_ALIPAY].refunded_count, 1); /* B, refunded since */
    CHECK_EQ_INT(d.channel[CHANNEL_ALIPAY].refunded_fen, 0);   /* ... by c2, not c1 */
    CHECK_EQ_INT(d.all.charged_fen, 4730);
    CHECK_EQ_INT(d.all.net_fen, 4430);

    CHECK_EQ_INT(shift_totals(j, &s2, T0 + 99999, &d), JOURNAL_OK);
    CHECK_EQ_INT(d.all.paid_count, 1);
    CHECK_EQ_INT(d.all.charged_fen, 700);
    CHECK_EQ_INT(d.channel[CHANNEL_ALIPAY].refunded_fen, 2500);
    CHECK_EQ_INT(d.all.net_fen, 700 - 2500);

    struct shift last;
    CHECK_EQ_INT(shift_last(j, &last), JOURNAL_OK);
    CHECK_EQ_INT(last.id, s2.id);
    CHECK_EQ_INT(shift_get(j, s.id, &last), JOURNAL_OK);
    CHECK_EQ_INT(last.ended_at, T0 + 10000);
    CHECK_EQ_INT(shift_get(j, 999, &last), JOURNAL_NOT_FOUND);
    CHECK_EQ_INT(shift_end(j, &s2, T0 + 20000), JOURNAL_OK);
    journal_set_cashier(j, NULL);
}

static void test_z_reports(void)
{
    struct z_report z1, z2, back;
    CHECK_EQ_INT(z_report_last(j, &back), JOURNAL_NOT_FOUND);
    CHECK_EQ_INT(z_report_close(j, T0 + 30000, &z1), JOURNAL_OK);
    CHECK_EQ_INT(z1.number, 1);
    CHECK_EQ_INT(z1.from_at, 0);
    CHECK_EQ_INT(z1.closed_at, T0 + 30000);
    CHECK_EQ_INT(z1.totals.all.paid_count + z1.totals.all.refunded_count, 4);
    CHECK_EQ_INT(z1.totals.all.charged_fen, 1000 + 2500 + 1230 + 700);
    CHECK_EQ_INT(z1.totals.all.refunded_fen, 2800);

    /* After the close: a sale, and a refund of a sale the first report holds. */
    struct payment e = paid("E", CHANNEL_ALIPAY, 999, T0 + 40000);
    (void)e;
    struct payment c;
    CHECK_EQ_INT(journal_load(j, "C", &c), JOURNAL_OK);
    refund(&c, "CR1", 100, T0 + 41000);
    CHECK_EQ_INT(z_report_close(j, T0 + 50000, &z2), JOURNAL_OK);
    CHECK_EQ_INT(z2.number, 2);
    CHECK_EQ_INT(z2.from_at, T0 + 30000);
    CHECK_EQ_INT(z2.totals.all.paid_count, 1);
    CHECK_EQ_INT(z2.totals.channel[CHANNEL_ALIPAY].charged_fen, 999);
    CHECK_EQ_INT(z2.totals.channel[CHANNEL_WECHAT].refunded_fen, 100);
    CHECK_EQ_INT(z2.totals.all.net_fen, 899);

    /* Stored as computed: read back, the same figures. */
    CHECK_EQ_INT(z_report_get(j, 1, &back), JOURNAL_OK);
    CHECK_EQ_INT(back.totals.all.charged_fen, z1.totals.all.charged_fen);
    CHECK_EQ_INT(back.totals.channel[CHANNEL_WECHAT].refunded_fen,
                 z1.totals.channel[CHANNEL_WECHAT].refunded_fen);
    CHECK_EQ_INT(back.day, z1.day);
    CHECK_EQ_INT(z_report_last(j, &back), JOURNAL_OK);
    CHECK_EQ_INT(back.number, 2);
    CHECK_EQ_INT(z_report_get(j, 3, &back), JOURNAL_NOT_FOUND);
    CHECK_EQ_INT(z_report_get(j, 0, &back), JOURNAL_NOT_FOUND);

    /* A clock set back before the last close is refused, and numbers nothing. */
    struct z_report early;
    CHECK(z_report_close(j, T0 + 49000, &early) != JOURNAL_OK);
    CHECK_EQ_INT(z_report_last(j, &back), JOURNAL_OK);
    CHECK_EQ_INT(back.number, 2);
}

/* Nobody changes a closed day: not posterm, not SQL run on the file. */
static void test_z_immutable(void)
{
    CHECK(tamper("UPDATE z_reports SET closed_at = 0 WHERE number = 1") == SQLITE_CONSTRAINT);
    CHECK(tamper("DELETE FROM z_reports WHERE number = 2") == SQLITE_CONSTRAINT);
    CHECK(tamper("UPDATE z_report_totals SET charged_fen = 1 WHERE number = 1") ==
          SQLITE_CONSTRAINT);
    CHECK(tamper("DELETE FROM z_report_totals") == SQLITE_CONSTRAINT);
    CHECK(tamper("INSERT INTO z_reports VALUES (7, 20261207, 0, 1)") == SQLITE_CONSTRAINT);
    CHECK(tamper("INSERT INTO z_report_totals VALUES (1, 'none', 9, 9, 9, 9, 9, 9, 9)") ==
          SQLITE_CONSTRAINT);
    struct z_report back;
    CHECK_EQ_INT(z_report_get(j, 1, &back), JOURNAL_OK);
    CHECK_EQ_INT(back.closed_at, T0 + 30000);
    CHECK_EQ_INT(back.totals.all.charged_fen, 1000 + 2500 + 1230 + 700);
    CHECK_EQ_INT(z_report_get(j, 2, &back), JOURNAL_OK);
}

/* The new print kinds round-trip with their reference. */
static void test_print_kinds(void)
{
    struct print_job job = {.kind = PRINT_Z, .ref = 2}, got;
    int64_t id = 0;
    CHECK_EQ_INT(print_job_add(j, &job, T0 + 60000, &id), JOURNAL_OK);
    CHECK_EQ_INT(print_job_get(j, id, &got), JOURNAL_OK);
    CHECK_EQ_INT(got.kind, PRINT_Z);
    CHECK_EQ_INT(got.ref, 2);
    CHECK_EQ_STR(print_kind_name(PRINT_SHIFT), "shift");
}

/* What v7 added (cashiers, shifts, Z reports, the print jobs' ref) and what v6 added (the
 * finding indexes, refunds.approved_by): dropped from today's file to fake an older one. */
static const char v9_objects[] = "DROP TABLE reconciliations; DROP TABLE reconcile_items;"
                                 "DROP TABLE sales; DROP TABLE outbox; ALTER TABLE payments DROP COLUMN kind;"
                                 "ALTER TABLE payments DROP COLUMN qr_payload;"
                                 "ALTER TABLE payments DROP COLUMN qr_window_s;";
static const char v8_objects[] = "ALTER TABLE journal_meta DROP COLUMN signin_locked_until;"
                                 "ALTER TABLE journal_meta DROP COLUMN refund_pin_locked_until;";
static const char v7_objects[] =
    "DROP TABLE shifts; DROP TABLE z_report_totals; DROP TABLE z_reports;"
    "DROP INDEX payments_cashier; ALTER TABLE payments DROP COLUMN cashier;"
    "ALTER TABLE refunds DROP COLUMN cashier;"
    "ALTER TABLE print_jobs DROP COLUMN ref;";
static const char v6_objects[] =
    "DROP INDEX payments_last4; DROP INDEX payments_amount;"
    "DROP INDEX payments_short; ALTER TABLE refunds DROP COLUMN approved_by;";

/* A v5 file (today's without v6's, v7's, v8's and v9's columns and tables), or a v6 file
 * (without v7's and later), with a sale and its receipt migrates to v9 keeping both: the old sale
 * has no cashier, the old job no reference, and it still prints. */
static void test_migrate_from(const char *dir, int version)
{
    char old[4300];
    snprintf(old, sizeof old, "%s/v%d.db", dir, version);
    struct journal *v = NULL;
    char err[1024];
    CHECK_EQ_INT(journal_open(&v, old, err, sizeof err), JOURNAL_OK);
    if (!v)
        return;
    journal_set_receipts(v, true, false);
    struct payment p = fixture_payment("OLD", T0);
    p.state = PAY_PAID;
    CHECK_EQ_INT(journal_save(v, &p, "paid", "", T0 + 1), JOURNAL_OK);
    journal_close(v);
    sqlite3 *db = NULL;
    CHECK_EQ_INT(sqlite3_open(old, &db), SQLITE_OK);
    char sql[1024];
    snprintf(sql, sizeof sql, "%s%s%s%s PRAGMA user_version = %d;", v9_objects, v8_objects,
             v7_objects, version < 6 ? v6_objects : "", version);
    CHECK_EQ_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    CHECK_EQ_INT(journal_schema_version(), 14);
    CHECK_EQ_INT(journal_open(&v, old, err, sizeof err), JOURNAL_OK);
    if (!v)
        return;
    CHECK_EQ_INT(sqlite3_open(old, &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    CHECK_EQ_INT(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_step(st), SQLITE_ROW);
    CHECK_EQ_INT(sqlite3_column_int(st, 0), journal_schema_version());
    sqlite3_finalize(st);
    sqlite3_close(db);
    /* v8: no PIN lock recorded in an old file, and one can be. */
    int64_t until = -1;
    CHECK_EQ_INT(pin_lock_read(v, PIN_LOCK_SIGNIN, &until), JOURNAL_OK);
    CHECK_EQ_INT(until, 0);
    CHECK_EQ_INT(pin_lock_write(v, PIN_LOCK_REFUND, T0 + 60000), JOURNAL_OK);
    CHECK_EQ_INT(pin_lock_read(v, PIN_LOCK_REFUND, &until), JOURNAL_OK);
    CHECK_EQ_INT(until, T0 + 60000);
    struct payment back;
    CHECK_EQ_INT(journal_load(v, "OLD", &back), JOURNAL_OK);
    CHECK_EQ_INT(back.state, PAY_PAID);
    struct print_job job;
    CHECK_EQ_INT(print_job_next(v, &job), JOURNAL_OK);
    CHECK_EQ_STR(job.order_no, "OLD");
    CHECK_EQ_INT(job.ref, 0);
    struct report_day d;
    CHECK_EQ_INT(report_cashier_totals(v, 0, T0 + 10, "", &d), JOURNAL_OK);
    CHECK_EQ_INT(d.all.paid_count, 1); /* recorded with no cashier */
    struct z_report z;
    CHECK_EQ_INT(z_report_close(v, T0 + 10, &z), JOURNAL_OK);
    CHECK_EQ_INT(z.number, 1);
    journal_close(v);
}

int main(void)
{
    char dir[4096], err[1024];
    if (!fixture_dir(dir, sizeof dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/journal.db", dir);
    CHECK_EQ_INT(journal_open(&j, path, err, sizeof err), JOURNAL_OK);
    if (j) {
        test_shift_report();
        test_z_reports();
        test_z_immutable();
        test_print_kinds();
        journal_close(j);
    }
    test_migrate_from(dir, 5);
    test_migrate_from(dir, 6);
    fixture_cleanup(dir);
    return check_done();
}
