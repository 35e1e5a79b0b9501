/*
 * test_journal_qr.c - dynamic QR payments in the journal (schema v9): the payment's kind, its
 * QR payload and window are saved and read back, an unresolved QR payment is resumed with its
 * payload (so a restart shows the same QR), the schema refuses a kind posterm does not write,
 * a stored unknown kind is refused as damage, and a v8 file migrates with every old payment a
 * barcode one.
 */
#include <sqlite3.h>

#include "../check.h"
#include "fixture.h"
#include "journal.h"

#define T0 INT64_C(1795000000000)
#define QR "https://qr.alipay.com/bax08431lkjrbeqzpvwi6078"

static struct payment qr_payment(const char *order_no, enum pay_state state)
{
    struct payment p = fixture_payment(order_no, T0);
    p.kind = PAY_KIND_QR;
    p.channel = CHANNEL_ALIPAY;
    p.state = state;
    p.pay_sent_at = T0 + 5;
    p.qr_window_s = 120;
    snprintf(p.qr_payload, sizeof p.qr_payload, "%s", QR);
    return p;
}

static int seen;
static struct payment resumed;

static int collect(void *ctx, const struct payment *p)
{
    (void)ctx;
    if (p->kind == PAY_KIND_QR)
        resumed = *p;
    seen++;
    return 0;
}

static int sql_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

static void test_round_trip(const char *path)
{
    struct journal *j = NULL;
    char err[1024];
    CHECK_EQ_INT(journal_open(&j, path, err, sizeof err), JOURNAL_OK);
    if (!j)
        return;
    struct payment shown = qr_payment("QR1", PAY_QUERYING);
    CHECK_EQ_INT(journal_save(j, &shown, "qr_shown", "alipay QR shown", T0 + 10), JOURNAL_OK);
    struct payment bar = fixture_payment("BAR1", T0);
    bar.state = PAY_QUERYING;
    CHECK_EQ_INT(journal_save(j, &bar, "pay_unknown", "", T0 + 10), JOURNAL_OK);

    struct payment back;
    CHECK_EQ_INT(journal_load(j, "QR1", &back), JOURNAL_OK);
    CHECK_EQ_INT(back.kind, PAY_KIND_QR);
    CHECK_EQ_STR(back.qr_payload, QR);
    CHECK_EQ_INT(back.qr_window_s, 120);
    CHECK_EQ_INT(back.channel, CHANNEL_ALIPAY);
    CHECK_EQ_INT(journal_load(j, "BAR1", &back), JOURNAL_OK);
    CHECK_EQ_INT(back.kind, PAY_KIND_BARCODE);
    CHECK_EQ_STR(back.qr_payload, "");

    /* Recovery hands the QR payment back with its payload: the same QR after a restart. */
    seen = 0;
    memset(&resumed, 0, sizeof resumed);
    CHECK_EQ_INT(journal_each_unresolved(j, collect, NULL), JOURNAL_OK);
    CHECK_EQ_INT(seen, 2);
    CHECK_EQ_STR(resumed.order_no, "QR1");
    CHECK_EQ_STR(resumed.qr_payload, QR);
    CHECK_EQ_INT(resumed.state, PAY_QUERYING);

    /* Closed: still a QR payment, its payload kept for history. */
    shown.state = PAY_CANCELLED;
    CHECK_EQ_INT(journal_save(j, &shown, "closed", "QR order closed", T0 + 20), JOURNAL_OK);
    CHECK_EQ_INT(journal_load(j, "QR1", &back), JOURNAL_OK);
    CHECK_EQ_INT(back.state, PAY_CANCELLED);
    CHECK_EQ_INT(back.kind, PAY_KIND_QR);
    journal_close(j);

    /* The schema refuses a kind posterm never writes and an overlong payload. */
    CHECK(sql_exec(path, "UPDATE payments SET kind = 'nfc' WHERE order_no = 'QR1'") ==
          SQLITE_CONSTRAINT);
    char sql[512];
    snprintf(sql, sizeof sql,
             "UPDATE payments SET qr_payload = printf('%%.129c', 'x') WHERE order_no = 'QR1'");
    CHECK(sql_exec(path, sql) == SQLITE_CONSTRAINT);

    /* A stored kind this posterm does not know (a row written around the schema's checks) is
     * damage: the journal is refused at its open, never read as a guess. */
    CHECK_EQ_INT(sql_exec(path, "PRAGMA ignore_check_constraints = ON;"
                                "UPDATE payments SET kind = 'nfc' WHERE order_no = 'BAR1'"),
                 SQLITE_OK);
    CHECK(journal_open(&j, path, err, sizeof err) != JOURNAL_OK);
    CHECK(j == NULL);
    CHECK(strstr(err, "journal.db") != NULL);
}

/* A v8 file (today's without v9's columns) with a barcode payment still unresolved migrates:
 * the payment is a barcode one with no QR, and QR payments can be saved beside it. */
static void test_migrate_from_v8(const char *dir)
{
    char old[4200], err[1024];
    snprintf(old, sizeof old, "%s/v8.db", dir);
    struct journal *j = NULL;
    CHECK_EQ_INT(journal_open(&j, old, err, sizeof err), JOURNAL_OK);
    if (!j)
        return;
    struct payment bar = fixture_payment("OLD", T0);
    bar.state = PAY_CANCELLING;
    CHECK_EQ_INT(journal_save(j, &bar, "cancel_decided", "", T0 + 1), JOURNAL_OK);
    journal_close(j);
    CHECK_EQ_INT(
        sql_exec(old, "ALTER TABLE payments DROP COLUMN kind;"
                      "ALTER TABLE payments DROP COLUMN qr_payload;"
                      "ALTER TABLE payments DROP COLUMN qr_window_s;"
                      "DROP TABLE sales; DROP TABLE outbox; DROP TABLE reconciliations; DROP TABLE reconcile_items;"
                      " PRAGMA user_version = 8;"),
        SQLITE_OK);
    /* Not a v9 file any more: the columns are really gone. */
    CHECK(sql_exec(old, "SELECT kind FROM payments") != SQLITE_OK);

    CHECK_EQ_INT(journal_schema_version(), 14);
    CHECK_EQ_INT(journal_open(&j, old, err, sizeof err), JOURNAL_OK);
    if (!j)
        return;
    struct payment back;
    CHECK_EQ_INT(journal_load(j, "OLD", &back), JOURNAL_OK);
    CHECK_EQ_INT(back.kind, PAY_KIND_BARCODE);
    CHECK_EQ_STR(back.qr_payload, "");
    CHECK_EQ_INT(back.qr_window_s, 0);
    CHECK_EQ_INT(back.state, PAY_CANCELLING);
    struct payment qr = qr_payment("NEWQR", PAY_PAYING);
    qr.qr_payload[0] = '\0'; /* intent journaled before the create: no payload yet */
    CHECK_EQ_INT(journal_save(j, &qr, "qr_intent", "alipay QR", T0 + 2), JOURNAL_OK);
    CHECK_EQ_INT(journal_load(j, "NEWQR", &back), JOURNAL_OK);
    CHECK_EQ_INT(back.kind, PAY_KIND_QR);
    CHECK_EQ_INT(back.qr_window_s, 120);
    seen = 0;
    CHECK_EQ_INT(journal_each_unresolved(j, collect, NULL), JOURNAL_OK);
    CHECK_EQ_INT(seen, 2);
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
    test_round_trip(path);
    test_migrate_from_v8(dir);
    fixture_cleanup(dir);
    return check_done();
}
