/*
 * test_journal_sales.c - the cash register's sales (schema v10, storage/sales.h): the order
 * created while a sale is set is mapped to it in the same transaction, and found both ways; a
 * sale already paid refuses a second order and writes nothing (not even the order); saves
 * after the creation, and orders created with no sale set, write no mapping; the schema
 * refuses an empty or over-long sale id; a v9 file migrates with no sales.
 */
#include <sqlite3.h>

#include "../check.h"
#include "fixture.h"
#include "journal.h"
#include "sales.h"

#define T0 INT64_C(1795000000000)

static int sql_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

static void test_mapping(const char *path)
{
    struct journal *j = NULL;
    char err[1024], order[ORDER_NO_MAX + 1], sale[JOURNAL_SALE_ID_MAX + 1];
    CHECK_EQ_INT(journal_open(&j, path, err, sizeof err), JOURNAL_OK);
    if (!j)
        return;
    CHECK_EQ_INT(sale_order(j, "R-1", order), JOURNAL_NOT_FOUND);
    CHECK_EQ_INT(sale_order(j, "", order), JOURNAL_NOT_FOUND);

    journal_set_sale(j, "R-1");
    struct payment p = fixture_payment("ORD1", T0);
    CHECK_EQ_INT(journal_save(j, &p, "created", "12.30", T0), JOURNAL_OK);
    journal_set_sale(j, NULL);
    CHECK_EQ_INT(sale_order(j, "R-1", order), JOURNAL_OK);
    CHECK_EQ_STR(order, "ORD1");
    CHECK_EQ_INT(sale_of_order(j, "ORD1", sale), JOURNAL_OK);
    CHECK_EQ_STR(sale, "R-1");

    /* The same sale again: refused whole, the second order is not journaled either. */
    journal_set_sale(j, "R-1");
    struct payment again = fixture_payment("ORD2", T0 + 1);
    CHECK_EQ_INT(journal_save(j, &again, "created", "12.30", T0 + 1), JOURNAL_EXISTS);
    struct payment back;
    CHECK_EQ_INT(journal_load(j, "ORD2", &back), JOURNAL_NOT_FOUND);
    /* A later save of the first order with a sale still set maps nothing new. */
    journal_set_sale(j, "R-2");
    p.state = PAY_PAYING;
    CHECK_EQ_INT(journal_save(j, &p, "pay_intent", "", T0 + 2), JOURNAL_OK);
    journal_set_sale(j, NULL);
    CHECK_EQ_INT(sale_order(j, "R-2", order), JOURNAL_NOT_FOUND);
    CHECK_EQ_INT(sale_order(j, "R-1", order), JOURNAL_OK);
    CHECK_EQ_STR(order, "ORD1");

    /* The cashier's own order: no sale. */
    struct payment own = fixture_payment("ORD3", T0 + 3);
    CHECK_EQ_INT(journal_save(j, &own, "created", "12.30", T0 + 3), JOURNAL_OK);
    CHECK_EQ_INT(sale_of_order(j, "ORD3", sale), JOURNAL_NOT_FOUND);
    journal_close(j);

    CHECK(sql_exec(path, "INSERT INTO sales VALUES ('', 'X1', 1)") != SQLITE_OK);
    CHECK(sql_exec(path, "INSERT INTO sales VALUES (printf('%065d', 1), 'X2', 1)") != SQLITE_OK);
    CHECK(sql_exec(path, "INSERT INTO sales VALUES ('R-9', 'ORD1', 1)") != SQLITE_OK);
}

static void test_migrate_from_v9(const char *dir)
{
    char old[4200], err[1024], order[ORDER_NO_MAX + 1];
    snprintf(old, sizeof old, "%s/v9.db", dir);
    struct journal *j = NULL;
    CHECK_EQ_INT(journal_open(&j, old, err, sizeof err), JOURNAL_OK);
    if (!j)
        return;
    struct payment p = fixture_payment("OLD", T0);
    CHECK_EQ_INT(journal_save(j, &p, "created", "", T0), JOURNAL_OK);
    journal_close(j);
    CHECK_EQ_INT(sql_exec(old, "DROP TABLE sales; DROP TABLE outbox; DROP TABLE reconciliations;"
                               " DROP TABLE reconcile_items; PRAGMA user_version = 9;"),
                 SQLITE_OK);
    CHECK(sql_exec(old, "SELECT * FROM sales") != SQLITE_OK);

    CHECK_EQ_INT(journal_schema_version(), 14);
    CHECK_EQ_INT(journal_open(&j, old, err, sizeof err), JOURNAL_OK);
    if (!j)
        return;
    CHECK_EQ_INT(sale_of_order(j, "OLD", order), JOURNAL_NOT_FOUND);
    journal_set_sale(j, "R-1");
    struct payment n = fixture_payment("NEW", T0 + 1);
    CHECK_EQ_INT(journal_save(j, &n, "created", "", T0 + 1), JOURNAL_OK);
    CHECK_EQ_INT(sale_order(j, "R-1", order), JOURNAL_OK);
    CHECK_EQ_STR(order, "NEW");
    journal_close(j);
}

int main(void)
{
    char dir[4096], path[4200];
    if (!fixture_dir(dir, sizeof dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/journal.db", dir);
    test_mapping(path);
    test_migrate_from_v9(dir);
    fixture_cleanup(dir);
    return check_done();
}
