/*
 * test_journal_startup.c - start-up does not read history: opening with the start-up check
 * and recovering the unresolved payments reads a handful of pages from a journal of tens of
 * thousands of resolved ones, where the full check reads them all. Counted in pages SQLite
 * fetched from the file (SQLITE_DBSTATUS_CACHE_MISS), not in time, so the test is exact on
 * any machine.
 */
#include <sqlite3.h>

#include "../check.h"
#include "fixture.h"
#include "journal.h"
#include "journal_sqlite.h"

#define HISTORY 20000

static char dir[4096], path[4200];

static int pages_read(struct journal *j)
{
    int current = 0, highwater = 0;
    sqlite3_db_status(journal_sqlite(j), SQLITE_DBSTATUS_CACHE_MISS, &current, &highwater, 0);
    return current;
}

static int count_payment(void *ctx, const struct payment *p)
{
    (void)p;
    (*(int *)ctx)++;
    return 0;
}

/* HISTORY resolved payments with three events each, written in one transaction, and three
 * unresolved ones saved through the journal. */
static int make_history(void)
{
    struct journal *j = NULL;
    char err[1024] = "";
    CHECK_EQ_INT(journal_open(&j, path, err, sizeof err), JOURNAL_OK);
    if (!j)
        return 0;
    int rc = sqlite3_exec(
        journal_sqlite(j),
        "BEGIN;"
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
        "INSERT INTO payments(order_no, channel, amount_fen, state, code_last4, created_at, "
        " pay_sent_at, updated_at, queries, trade_no) "
        "SELECT printf('T01-20250101-%06d', i), 'wechat', 100 + i % 5000, 'PAID', '1234', "
        " 1600000000000 + i * 1000, 1600000000000 + i * 1000 + 10, 1600000000000 + i * 1000 + 900,"
        " 1, printf('4200000%021d', i) FROM n;"
        "INSERT INTO events(order_no, id, at, state, name, detail) "
        " SELECT order_no, 1, created_at, 'NEW', 'create', '' FROM payments;"
        "INSERT INTO events(order_no, id, at, state, name, detail) "
        " SELECT order_no, 2, created_at + 10, 'PAYING', 'pay_intent', '' FROM payments;"
        "INSERT INTO events(order_no, id, at, state, name, detail) "
        " SELECT order_no, 3, created_at + 900, 'PAID', 'paid', 'a reply long enough' FROM "
        "payments;"
        "COMMIT;",
        NULL, NULL, NULL);
    CHECK_EQ_INT(rc, SQLITE_OK);
    for (int i = 0; i < 3; i++) {
        char no[ORDER_NO_MAX + 1];
        snprintf(no, sizeof no, "T01-20261123-%06d", i + 1);
        struct payment p = fixture_payment(no, 1700000000000 + i);
        p.state = i == 0 ? PAY_QUERYING : i == 1 ? PAY_CANCELLING : PAY_PAYING;
        CHECK_EQ_INT(journal_save(j, &p, "pending", "", p.created_at), JOURNAL_OK);
    }
    int pages = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(journal_sqlite(j), "PRAGMA page_count", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        pages = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    journal_close(j);
    return pages;
}

/* Opens with `check`, recovers, and returns the pages read from the file. */
static int start_up(enum journal_check check)
{
    struct journal *j = NULL;
    char err[1024] = "";
    CHECK_EQ_INT(journal_open_checked(&j, path, check, err, sizeof err), JOURNAL_OK);
    if (!j)
        return -1;
    int resumed = 0, unresolved = 0;
    CHECK_EQ_INT(journal_each_unresolved(j, count_payment, &resumed), JOURNAL_OK);
    CHECK_EQ_INT(journal_count_unresolved(j, &unresolved), JOURNAL_OK);
    CHECK_EQ_INT(resumed, 3);
    CHECK_EQ_INT(unresolved, 3);
    int pages = pages_read(j);
    journal_close(j);
    return pages;
}

int main(void)
{
    if (!fixture_dir(dir, sizeof dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/journal.db", dir);
    int file_pages = make_history();
    CHECK(file_pages > 1000);

    int startup = start_up(JOURNAL_CHECK_STARTUP);
    int full = start_up(JOURNAL_CHECK_FULL);
    printf("journal of %d pages: start-up read %d pages, full check %d\n", file_pages, startup,
           full);
    CHECK(startup >= 0 && startup < 40);
    CHECK(full >= file_pages * 9 / 10);

    fixture_cleanup(dir);
    return check_done();
}
