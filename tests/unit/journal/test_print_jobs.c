/*
 * test_print_jobs.c - the journaled receipts (storage/print_jobs.h): the v4 -> v5 migration
 * makes no jobs for old payments, a sale's and a refund's jobs are made with their event or
 * not at all, a job found sending after a restart and one whose bytes went out in part come
 * back marked as reprints, and a full disk leaves nothing half-done.
 */
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../check.h"
#include "fixture.h"
#include "journal.h"
#include "print_jobs.h"

static char dir[4096], path[4200];

static struct journal *open_journal(void)
{
    struct journal *j = NULL;
    char err[1024] = "";
    enum journal_status st = journal_open(&j, path, err, sizeof err);
    CHECK_EQ_INT(st, JOURNAL_OK);
    if (st != JOURNAL_OK)
        fprintf(stderr, "%s\n", err);
    return j;
}

static int sql_int(const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int n = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void sql_exec(const char *sql)
{
    sqlite3 *db = NULL;
    CHECK_EQ_INT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static struct payment paid(const char *order_no, int64_t at)
{
    struct payment p = fixture_payment(order_no, at);
    p.state = PAY_PAID;
    snprintf(p.code_last4, sizeof p.code_last4, "6789");
    snprintf(p.trade_no, sizeof p.trade_no, "4200001234202611230000000001");
    return p;
}

static void fresh(void)
{
    unlink(path);
    char wal[4300];
    snprintf(wal, sizeof wal, "%s-wal", path);
    unlink(wal);
    snprintf(wal, sizeof wal, "%s-shm", path);
    unlink(wal);
}

/* A v4 file is today's file without print_jobs, v6's indexes and column and v7's cashiers,
 * shifts and Z reports: made so, with paid history, it migrates to v5 keeping every payment and
 * making no job for them; a save after it makes jobs. */
static void test_migrate_v4(void)
{
    fresh();
    struct journal *j = open_journal();
    if (!j)
        return;
    struct payment a = paid("T01-20261123-000001", 1700000000000);
    CHECK_EQ_INT(journal_save(j, &a, "paid", "", 1700000000500), JOURNAL_OK);
    journal_close(j);
    sql_exec("DROP TABLE print_jobs; DROP INDEX payments_last4; DROP INDEX payments_amount;"
             "DROP INDEX payments_short; ALTER TABLE refunds DROP COLUMN approved_by;"
             "DROP TABLE shifts; DROP TABLE z_report_totals; DROP TABLE z_reports;"
             "DROP INDEX payments_cashier; ALTER TABLE payments DROP COLUMN cashier;"
             "ALTER TABLE refunds DROP COLUMN cashier;"
             "ALTER TABLE journal_meta DROP COLUMN signin_locked_until;"
             "ALTER TABLE journal_meta DROP COLUMN refund_pin_locked_until;"
             "ALTER TABLE payments DROP COLUMN kind; ALTER TABLE payments DROP COLUMN qr_payload;"
             "ALTER TABLE payments DROP COLUMN qr_window_s;"
             "DROP TABLE sales; DROP TABLE outbox; DROP TABLE reconciliations; DROP TABLE reconcile_items;"
             "PRAGMA user_version = 4;");
    CHECK_EQ_INT(sql_int("PRAGMA user_version"), 4);

    j = open_journal();
    if (!j)
        return;
    CHECK(journal_schema_version() >= 5); /* v4 went through v5 and every later step */
    CHECK_EQ_INT(sql_int("PRAGMA user_version"), journal_schema_version());
    CHECK_EQ_INT(sql_int("SELECT count(*) FROM print_jobs"), 0);
    struct payment back;
    CHECK_EQ_INT(journal_load(j, a.order_no, &back), JOURNAL_OK);
    CHECK_EQ_INT(back.state, PAY_PAID);
    CHECK_EQ_STR(back.code_last4, "6789");
    journal_set_receipts(j, true, false);
    struct payment b = paid("T01-20261123-000002", 1700000001000);
    CHECK_EQ_INT(journal_save(j, &b, "paid", "", 1700000001500), JOURNAL_OK);
    journal_close(j);

    j = open_journal();
    if (!j)
        return;
    struct print_job job;
    CHECK_EQ_INT(print_job_next(j, &job), JOURNAL_OK);
    CHECK_EQ_STR(job.order_no, b.order_no);
    CHECK_EQ_INT(job.kind, PRINT_SALE);
    CHECK_EQ_INT(job.state, PRINT_WAITING);
    CHECK_EQ_INT(job.created_at, 1700000001500);
    int owed = -1;
    CHECK_EQ_INT(print_job_count_owed(j, &owed), JOURNAL_OK);
    CHECK_EQ_INT(owed, 1);
    journal_close(j);
}

static void test_made_with_their_event(void)
{
    fresh();
    struct journal *j = open_journal();
    if (!j)
        return;
    /* Receipts off: no job. */
    struct payment a = paid("T01-20261123-000001", 1700000000000);
    CHECK_EQ_INT(journal_save(j, &a, "paid", "", 1700000000100), JOURNAL_OK);
    CHECK_EQ_INT(sql_int("SELECT count(*) FROM print_jobs"), 0);

    journal_set_receipts(j, true, true);
    struct payment b = fixture_payment("T01-20261123-000002", 1700000001000);
    b.state = PAY_PAYING;
    CHECK_EQ_INT(journal_save(j, &b, "pay_intent", "", 1700000001000), JOURNAL_OK);
    CHECK_EQ_INT(sql_int("SELECT count(*) FROM print_jobs"), 0);
    b.state = PAY_PAID;
    CHECK_EQ_INT(journal_save(j, &b, "paid_cancel_refused", "", 1700000001100), JOURNAL_OK);
    CHECK_EQ_INT(sql_int("SELECT count(*) FROM print_jobs WHERE kind = 'sale' AND order_no = "
                         "'T01-20261123-000002' AND copy = 'customer' AND reprint = 0"),
                 1);
    CHECK_EQ_INT(sql_int("SELECT count(*) FROM print_jobs WHERE kind = 'sale' AND copy = "
                         "'merchant'"),
                 1);

    journal_set_receipts(j, true, false);
    b.state = PAY_REFUNDING;
    snprintf(b.refund_no, sizeof b.refund_no, "R01-20261123-000002-1");
    b.refund_fen = 230;
    CHECK_EQ_INT(journal_save(j, &b, "refund_requested", "", 1700000002000), JOURNAL_OK);
    CHECK_EQ_INT(sql_int("SELECT count(*) FROM print_jobs"), 2);
    b.state = PAY_PAID;
    b.refunded_fen = 230;
    b.refund_fen = 0;
    CHECK_EQ_INT(journal_save(j, &b, "refunded", "", 1700000002100), JOURNAL_OK);
    CHECK_EQ_INT(sql_int("SELECT count(*) FROM print_jobs WHERE kind = 'refund' AND refund_no = "
                         "'R01-20261123-000002-1'"),
                 1);
    CHECK_EQ_INT(sql_int("SELECT count(*) FROM print_jobs"), 3);
    struct journal_refund refund;
    CHECK_EQ_INT(journal_refund_by_no(j, "R01-20261123-000002-1", &refund), JOURNAL_OK);
    CHECK_EQ_STR(refund.order_no, b.order_no);
    CHECK_EQ_INT(refund.amount_fen, 230);
    CHECK_EQ_STR(refund.state, "REFUNDED");
    CHECK_EQ_INT(refund.at, 1700000002100);
    CHECK_EQ_INT(journal_refund_by_no(j, "R01-20261123-000002-9", &refund), JOURNAL_NOT_FOUND);

    /* A save refused (a number taken by another order) makes no job either. */
    struct payment clash = paid("T01-20261123-000002", 1700000009999);
    CHECK_EQ_INT(journal_save(j, &clash, "paid", "", 1700000010000), JOURNAL_EXISTS);
    CHECK_EQ_INT(sql_int("SELECT count(*) FROM print_jobs"), 3);

    journal_set_receipts(j, false, true);
    struct payment c = paid("T01-20261123-000003", 1700000003000);
    CHECK_EQ_INT(journal_save(j, &c, "paid", "", 1700000003100), JOURNAL_OK);
    CHECK_EQ_INT(sql_int("SELECT count(*) FROM print_jobs"), 3);
    journal_close(j);
}

static void test_reprint_marks(void)
{
    fresh();
    struct journal *j = open_journal();
    if (!j)
        return;
    journal_set_receipts(j, true, false);
    struct payment a = paid("T01-20261123-000001", 1700000000000);
    CHECK_EQ_INT(journal_save(j, &a, "paid", "", 1700000000100), JOURNAL_OK);

    /* Fails before any byte: waiting again, unmarked. */
    struct print_job job;
    CHECK_EQ_INT(print_job_next(j, &job), JOURNAL_OK);
    CHECK_EQ_INT(print_job_start(j, &job, 1700000000200), JOURNAL_OK);
    CHECK(!job.reprint);
    CHECK_EQ_INT(job.attempts, 1);
    CHECK_EQ_INT(print_job_failed(j, job.id, false, "paper out"), JOURNAL_OK);
    CHECK_EQ_INT(print_job_next(j, &job), JOURNAL_OK);
    CHECK_EQ_INT(job.state, PRINT_WAITING);
    CHECK(!job.reprint);
    CHECK_EQ_STR(job.last_error, "paper out");

    /* Marked sending, then posterm stops: after reopening it is still owed, and starting it
     * again marks it a reprint. */
    CHECK_EQ_INT(print_job_start(j, &job, 1700000000300), JOURNAL_OK);
    journal_close(j);
    j = open_journal();
    if (!j)
        return;
    CHECK_EQ_INT(print_job_next(j, &job), JOURNAL_OK);
    CHECK_EQ_INT(job.state, PRINT_SENDING);
    CHECK(!job.reprint);
    CHECK_EQ_INT(print_job_start(j, &job, 1700000000400), JOURNAL_OK);
    CHECK(job.reprint);
    CHECK_EQ_INT(job.attempts, 3);
    CHECK_EQ_INT(print_job_printed(j, job.id, 1700000000500), JOURNAL_OK);
    CHECK_EQ_INT(print_job_next(j, &job), JOURNAL_NOT_FOUND);
    CHECK_EQ_INT(sql_int("SELECT reprint FROM print_jobs"), 1);
    /* A printed job is never started again. */
    CHECK_EQ_INT(print_job_start(j, &job, 1700000000600), JOURNAL_NOT_FOUND);

    /* Fails after bytes went out: marked. */
    struct print_job again = {.kind = PRINT_SALE, .copy = PRINT_CUSTOMER};
    snprintf(again.order_no, sizeof again.order_no, "%s", a.order_no);
    int64_t id = 0;
    CHECK_EQ_INT(print_job_add(j, &again, 1700000001000, &id), JOURNAL_OK);
    CHECK(id > job.id);
    CHECK_EQ_INT(print_job_next(j, &job), JOURNAL_OK);
    CHECK_EQ_INT(job.id, id);
    CHECK(!job.reprint);
    CHECK_EQ_INT(print_job_start(j, &job, 1700000001100), JOURNAL_OK);
    CHECK_EQ_INT(print_job_failed(j, job.id, true, "unplugged"), JOURNAL_OK);
    CHECK_EQ_INT(print_job_get(j, id, &job), JOURNAL_OK);
    CHECK(job.reprint);
    CHECK_EQ_INT(job.state, PRINT_WAITING);

    /* An unprintable job is no longer owed. */
    CHECK_EQ_INT(print_job_unprintable(j, id, "no such order"), JOURNAL_OK);
    CHECK_EQ_INT(print_job_next(j, &job), JOURNAL_NOT_FOUND);
    CHECK_EQ_INT(print_job_failed(j, 999, false, ""), JOURNAL_NOT_FOUND);

    /* An end-of-day report keeps its day. */
    struct print_job eod = {.kind = PRINT_EOD, .day = 20261123};
    CHECK_EQ_INT(print_job_add(j, &eod, 1700000002000, &id), JOURNAL_OK);
    CHECK_EQ_INT(print_job_get(j, id, &job), JOURNAL_OK);
    CHECK_EQ_INT(job.kind, PRINT_EOD);
    CHECK_EQ_INT(job.day, 20261123);
    journal_close(j);
}

static bool limit_file_size(rlim_t bytes)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) != 0)
        return false;
    rl.rlim_cur = bytes;
    return setrlimit(RLIMIT_FSIZE, &rl) == 0;
}

/* In a child: the WAL may not grow, so the "paid" save fails whole (no job, the payment as
 * it was) and a job cannot be marked sending (it stays waiting, no attempt counted). */
static void full_disk(void)
{
    struct journal *j = open_journal();
    if (!j)
        return;
    journal_set_receipts(j, true, true);
    struct payment a = paid("T01-20261123-000001", 1700000000000);
    CHECK_EQ_INT(journal_save(j, &a, "paid", "", 1700000000100), JOURNAL_OK);
    struct payment b = fixture_payment("T01-20261123-000002", 1700000001000);
    b.state = PAY_QUERYING;
    CHECK_EQ_INT(journal_save(j, &b, "pay_unknown", "", 1700000001000), JOURNAL_OK);
    struct stat sb;
    char wal[4300];
    snprintf(wal, sizeof wal, "%s-wal", path);
    CHECK(stat(wal, &sb) == 0 && sb.st_size > 0);
    CHECK(limit_file_size((rlim_t)sb.st_size));

    b.state = PAY_PAID;
    CHECK_EQ_INT(journal_save(j, &b, "paid", "", 1700000001100), JOURNAL_FULL);
    struct payment back;
    CHECK_EQ_INT(journal_load(j, b.order_no, &back), JOURNAL_OK);
    CHECK_EQ_INT(back.state, PAY_QUERYING);
    struct print_job job;
    CHECK_EQ_INT(print_job_next(j, &job), JOURNAL_OK);
    CHECK_EQ_STR(job.order_no, a.order_no);
    int owed = 0;
    CHECK_EQ_INT(print_job_count_owed(j, &owed), JOURNAL_OK);
    CHECK_EQ_INT(owed, 2); /* a's two copies, none of b's */
    CHECK_EQ_INT(print_job_start(j, &job, 1700000001200), JOURNAL_FULL);
    CHECK_EQ_INT(print_job_get(j, job.id, &job), JOURNAL_OK);
    CHECK_EQ_INT(job.state, PRINT_WAITING);
    CHECK_EQ_INT(job.attempts, 0);

    CHECK(limit_file_size(RLIM_INFINITY));
    CHECK_EQ_INT(journal_save(j, &b, "paid", "", 1700000001100), JOURNAL_OK);
    CHECK_EQ_INT(print_job_count_owed(j, &owed), JOURNAL_OK);
    CHECK_EQ_INT(owed, 4);
    CHECK_EQ_INT(print_job_start(j, &job, 1700000001200), JOURNAL_OK);
    journal_close(j);
}

static void test_full_disk(void)
{
    fresh();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        full_disk();
        fflush(stdout);
        _exit(check_done());
    }
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
    if (!fixture_dir(dir, sizeof dir))
        return 1;
    snprintf(path, sizeof path, "%s/journal.db", dir);
    test_migrate_v4();
    test_made_with_their_event();
    test_reprint_marks();
    test_full_disk();
    fixture_cleanup(dir);
    return check_done();
}
