/*
 * sales.c - reads the sales table (sales.h); journal.c writes it with the order's creation.
 */
#include "sales.h"

#include <stdio.h>

#include "journal_sqlite.h"

/* Runs sql with key bound as ?1; the first row's first column into out (size bytes). */
static enum journal_status read_text(struct journal *j, const char *sql, const char *key, char *out,
                                     size_t size)
{
    out[0] = '\0';
    if (key == NULL || key[0] == '\0')
        return JOURNAL_NOT_FOUND;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(journal_sqlite(j), sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return journal_finish(j, st, rc);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    rc = journal_step(j, st);
    if (rc == SQLITE_ROW) {
        const unsigned char *text = sqlite3_column_text(st, 0);
        snprintf(out, size, "%s", text ? (const char *)text : "");
        sqlite3_finalize(st);
        return JOURNAL_OK;
    }
    enum journal_status status = journal_finish(j, st, rc);
    return status == JOURNAL_OK ? JOURNAL_NOT_FOUND : status;
}

enum journal_status sale_order(struct journal *j, const char *sale_id, char *order_no)
{
    return read_text(j, "SELECT order_no FROM sales WHERE sale_id = ?1", sale_id, order_no,
                     ORDER_NO_MAX + 1);
}

enum journal_status sale_of_order(struct journal *j, const char *order_no, char *sale_id)
{
    return read_text(j, "SELECT sale_id FROM sales WHERE order_no = ?1", order_no, sale_id,
                     JOURNAL_SALE_ID_MAX + 1);
}
