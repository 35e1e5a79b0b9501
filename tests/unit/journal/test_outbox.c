/*
 * test_outbox.c - the fleet outbox (storage/outbox.h): an event and its outbox row commit
 * together or not at all (a failed statement, a process killed inside the transaction at
 * either write), seq counts 1, 2, 3, ... without a gap across a refused save, the payload
 * names the code's last four digits only and amounts in fen, the outbox off writes nothing,
 * and a row is found again until it is marked sent; a closed day's row is written with its
 * Z report or neither is.
 */
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../check.h"
#include "fixture.h"
#include "journal.h"
#include "journal_sqlite.h"
#include "outbox.h"
#include "zreports.h"

#define T0   INT64_C(1795000000000)
#define CODE "134567890123456078"

static int64_t count_of(struct journal *j, const char *sql)
{
    sqlite3_stmt *st;
    int64_t n = -1;
    if (sqlite3_prepare_v2(journal_sqlite(j), sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void die_now(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)ctx, (void)argc, (void)argv;
    raise(SIGKILL);
}

/* A child saves ORDER_no with a temporary trigger that kills it right after the write of
 * `table` (inside the save's transaction); the parent checks that neither the payment, its
 * event nor an outbox row is on disk. */
static void killed_inside_save(const char *path, const char *table)
{
    pid_t pid = fork();
    if (pid == 0) {
        struct journal *j = NULL;
        char err[1024], sql[256];
        if (journal_open(&j, path, err, sizeof err) != JOURNAL_OK)
            _exit(2);
        outbox_turn_on(j);
        sqlite3_create_function(journal_sqlite(j), "die_now", 0, SQLITE_UTF8, NULL, die_now, NULL,
                                NULL);
        snprintf(sql, sizeof sql,
                 "CREATE TEMP TRIGGER die AFTER INSERT ON main.%s BEGIN SELECT die_now(); END",
                 table);
        if (sqlite3_exec(journal_sqlite(j), sql, NULL, NULL, NULL) != SQLITE_OK)
            _exit(3);
        struct payment p = fixture_payment("KILLED", T0 + 50);
        journal_save(j, &p, "created", "", T0 + 50);
        _exit(4); /* the trigger did not fire */
    }
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    struct journal *j = NULL;
    char err[1024];
    CHECK_EQ_INT(journal_open(&j, path, err, sizeof err), JOURNAL_OK);
    if (!j)
        return;
    struct payment back;
    CHECK_EQ_INT(journal_load(j, "KILLED", &back), JOURNAL_NOT_FOUND);
    CHECK_EQ_INT(count_of(j, "SELECT count(*) FROM events WHERE order_no = 'KILLED'"), 0);
    CHECK_EQ_INT(count_of(j, "SELECT count(*) FROM outbox WHERE payload LIKE '%KILLED%'"), 0);
    journal_close(j);
}

static void test_together(const char *path)
{
    struct journal *j = NULL;
    char err[1024];
    CHECK_EQ_INT(journal_open(&j, path, err, sizeof err), JOURNAL_OK);
    if (!j)
        return;

    /* Off (the default): no row. */
    struct payment off = fixture_payment("OFF", T0);
    CHECK_EQ_INT(journal_save(j, &off, "created", "", T0), JOURNAL_OK);
    CHECK_EQ_INT(count_of(j, "SELECT count(*) FROM outbox"), 0);

    outbox_turn_on(j);
    struct payment p = fixture_payment("ORD1", T0 + 1);
    snprintf(p.auth_code, sizeof p.auth_code, "%s", CODE);
    CHECK_EQ_INT(journal_save(j, &p, "created", "", T0 + 1), JOURNAL_OK);
    p.state = PAY_PAYING;
    CHECK_EQ_INT(journal_save(j, &p, "pay_intent", "code " CODE, T0 + 2), JOURNAL_OK);

    /* A save whose outbox write fails leaves nothing: not the payment's new state, not its
     * event, no row, and no seq taken. */
    CHECK(sqlite3_exec(journal_sqlite(j),
                       "CREATE TEMP TRIGGER refuse BEFORE INSERT ON main.outbox "
                       "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
                       NULL, NULL, NULL) == SQLITE_OK);
    p.state = PAY_PAID;
    CHECK(journal_save(j, &p, "paid", "", T0 + 3) != JOURNAL_OK);
    struct payment back;
    CHECK_EQ_INT(journal_load(j, "ORD1", &back), JOURNAL_OK);
    CHECK_EQ_INT(back.state, PAY_PAYING);
    CHECK_EQ_INT(count_of(j, "SELECT count(*) FROM events WHERE name = 'paid'"), 0);
    CHECK_EQ_INT(count_of(j, "SELECT count(*) FROM outbox"), 2);
    sqlite3_exec(journal_sqlite(j), "DROP TRIGGER temp.refuse", NULL, NULL, NULL);

    /* And the other way: an event the journal refuses writes no outbox row. */
    CHECK(sqlite3_exec(journal_sqlite(j),
                       "CREATE TEMP TRIGGER refuse BEFORE INSERT ON main.events "
                       "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
                       NULL, NULL, NULL) == SQLITE_OK);
    CHECK(journal_save(j, &p, "paid", "", T0 + 3) != JOURNAL_OK);
    CHECK_EQ_INT(count_of(j, "SELECT count(*) FROM outbox"), 2);
    sqlite3_exec(journal_sqlite(j), "DROP TRIGGER temp.refuse", NULL, NULL, NULL);

    p.code_last4[0] = '\0';
    CHECK_EQ_INT(journal_save(j, &p, "paid", "", T0 + 4), JOURNAL_OK);
    p.state = PAY_REFERRED;
    CHECK_EQ_INT(journal_save(j, &p, "referred", "", T0 + 5), JOURNAL_OK);
    journal_close(j);

    killed_inside_save(path, "events");
    killed_inside_save(path, "outbox");

    CHECK_EQ_INT(journal_open(&j, path, err, sizeof err), JOURNAL_OK);
    if (!j)
        return;
    outbox_turn_on(j);
    struct payment q = fixture_payment("ORD2", T0 + 6);
    CHECK_EQ_INT(journal_save(j, &q, "created", "", T0 + 6), JOURNAL_OK);

    /* seq 1..5, no gap, in the order of the saves. */
    CHECK_EQ_INT(count_of(j, "SELECT count(*) FROM outbox"), 5);
    CHECK_EQ_INT(count_of(j, "SELECT min(seq) FROM outbox"), 1);
    CHECK_EQ_INT(count_of(j, "SELECT max(seq) FROM outbox"), 5);
    CHECK_EQ_INT(count_of(j, "SELECT count(*) FROM outbox a JOIN outbox b ON b.seq = a.seq + 1 "
                             "WHERE b.created_at < a.created_at"),
                 0);
    CHECK_EQ_INT(count_of(j, "SELECT count(*) FROM outbox WHERE instr(payload, '6078') = 0"), 1);
    CHECK_EQ_INT(count_of(j, "SELECT count(*) FROM outbox WHERE instr(payload, '" CODE "') > 0 "
                             "OR instr(payload, '345678901234') > 0"),
                 0);

    /* What the publisher reads: the message names the journal and seq, the kinds. */
    int64_t unsent = -1;
    CHECK_EQ_INT(outbox_count_unsent(j, &unsent), JOURNAL_OK);
    CHECK_EQ_INT(unsent, 5);
    struct outbox_row row;
    bool found = false;
    CHECK_EQ_INT(outbox_next(j, 0, &row, &found), JOURNAL_OK);
    CHECK(found);
    CHECK_EQ_INT(row.seq, 1);
    CHECK_EQ_STR(row.kind, "payment");
    char want[128];
    snprintf(want, sizeof want, "{\"journal\":\"%s\",\"seq\":1,\"type\":\"payment\",",
             journal_identity(j));
    CHECK(strncmp(row.payload, want, strlen(want)) == 0);
    CHECK(strstr(row.payload, "\"amount_fen\":1230") != NULL);
    CHECK(strstr(row.payload, "\"code_last4\":\"6078\"") != NULL);
    CHECK(strstr(row.payload, "\"event\":\"created\"") != NULL);
    CHECK_EQ_INT(outbox_next(j, 3, &row, &found), JOURNAL_OK);
    CHECK_EQ_INT(row.seq, 4);
    CHECK_EQ_STR(row.kind, "alert");

    /* Marked sent: not found again; the rest still are, in order. */
    const int64_t acked[] = {2, 1}, again[] = {2};
    CHECK_EQ_INT(outbox_mark_sent(j, acked, 2, T0 + 10), JOURNAL_OK);
    CHECK_EQ_INT(outbox_mark_sent(j, again, 1, T0 + 11), JOURNAL_OK);
    CHECK_EQ_INT(count_of(j, "SELECT sent_at FROM outbox WHERE seq = 2"), T0 + 10);
    CHECK_EQ_INT(outbox_next(j, 0, &row, &found), JOURNAL_OK);
    CHECK(found);
    CHECK_EQ_INT(row.seq, 3);
    CHECK_EQ_INT(outbox_count_unsent(j, &unsent), JOURNAL_OK);
    CHECK_EQ_INT(unsent, 3);
    CHECK_EQ_INT(outbox_next(j, 5, &row, &found), JOURNAL_OK);
    CHECK(!found);
    journal_close(j);
}

/* A closed day is an outbox row of its own (kind zreport), written in the Z report's
 * transaction: its totals as stored; a refused row refuses the close; the outbox off writes
 * none. */
static void test_zreport(const char *path)
{
    struct journal *j = NULL;
    char err[1024];
    CHECK_EQ_INT(journal_open(&j, path, err, sizeof err), JOURNAL_OK);
    if (!j)
        return;
    struct z_report z;
    CHECK_EQ_INT(z_report_close(j, T0 + 100, &z), JOURNAL_OK);
    CHECK_EQ_INT(count_of(j, "SELECT count(*) FROM outbox WHERE kind = 'zreport'"), 0);

    outbox_turn_on(j);
    struct payment p = fixture_payment("ZPAID", T0 + 200);
    CHECK_EQ_INT(journal_save(j, &p, "created", "", T0 + 200), JOURNAL_OK);
    p.state = PAY_PAID;
    CHECK_EQ_INT(journal_save(j, &p, "paid", "", T0 + 201), JOURNAL_OK);
    int64_t rows = count_of(j, "SELECT count(*) FROM outbox");

    CHECK(sqlite3_exec(journal_sqlite(j),
                       "CREATE TEMP TRIGGER refuse BEFORE INSERT ON main.outbox "
                       "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
                       NULL, NULL, NULL) == SQLITE_OK);
    CHECK(z_report_close(j, T0 + 300, &z) != JOURNAL_OK);
    CHECK_EQ_INT(count_of(j, "SELECT max(number) FROM z_reports"), 1);
    CHECK_EQ_INT(count_of(j, "SELECT count(*) FROM outbox"), rows);
    sqlite3_exec(journal_sqlite(j), "DROP TRIGGER temp.refuse", NULL, NULL, NULL);

    CHECK_EQ_INT(z_report_close(j, T0 + 300, &z), JOURNAL_OK);
    CHECK_EQ_INT(z.number, 2);
    CHECK_EQ_INT(count_of(j, "SELECT count(*) FROM outbox WHERE kind = 'zreport'"), 1);
    struct outbox_row row;
    bool found = false;
    CHECK_EQ_INT(outbox_next(j, rows, &row, &found), JOURNAL_OK);
    CHECK(found);
    CHECK_EQ_STR(row.kind, "zreport");
    CHECK(strstr(row.payload, "\"type\":\"zreport\"") != NULL);
    CHECK(strstr(row.payload, "\"number\":2") != NULL);
    CHECK(strstr(row.payload, "\"all\":{\"paid_count\":1,") != NULL);
    CHECK(strstr(row.payload, "\"wechat\":{\"paid_count\":1,\"refunded_count\":0,"
                              "\"charged_fen\":1230,") != NULL);
    CHECK(strstr(row.payload, "\"alipay\":{\"paid_count\":0,") != NULL);
    journal_close(j);
}

int main(void)
{
    char dir[4096], path[4200];
    if (!fixture_dir(dir, sizeof dir))
        return 1;
    snprintf(path, sizeof path, "%s/journal.db", dir);
    test_together(path);
    test_zreport(path);
    fixture_cleanup(dir);
    return check_done();
}
