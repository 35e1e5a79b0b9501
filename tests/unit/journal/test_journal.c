/*
 * test_journal.c - the journal keeps what it is given: every field round-trips, the payment
 * code is never stored (its last four digits only), order sequences never repeat across
 * restarts or days, recovery sees exactly the unresolved payments through the partial index,
 * events are only ever appended, and the files are 0600 whatever the umask.
 */
#include <sqlite3.h>
#include <sys/stat.h>

#include "../check.h"
#include "fixture.h"
#include "journal.h"
#include "journal_sqlite.h"

#define CODE "134567890123456789"

static char dir[4096], path[4200];

static struct journal *open_journal(void)
{
    struct journal *j = NULL;
    char err[512];
    enum journal_status st = journal_open(&j, path, err, sizeof err);
    if (st != JOURNAL_OK)
        fprintf(stderr, "journal_open: %s\n", err);
    CHECK_EQ_INT(st, JOURNAL_OK);
    return j;
}

/* Runs one SQL query on the file directly and returns its first column as an integer. */
static long long sql_int(const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long v = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void test_every_field_round_trips(void)
{
    struct journal *j = open_journal();
    if (!j)
        return;
    struct payment p = fixture_payment("T01-20261123-000001", 1700000000123);
    p.channel = CHANNEL_ALIPAY;
    p.amount_fen = 9223372036854775807LL;
    p.state = PAY_QUERYING;
    snprintf(p.auth_code, sizeof p.auth_code, "%s", "287654321098765432109876");
    snprintf(p.code_last4, sizeof p.code_last4, "9876");
    p.abort_requested = true;
    p.cancel_refunded = true;
    p.pay_sent_at = 1700000000456;
    p.updated_at = 1700000000789;
    p.queries = 4000000000u;
    p.cancels = 7;
    memset(p.trade_no, '7', sizeof p.trade_no - 1);
    snprintf(p.last_error, sizeof p.last_error, "网络超时 / network timeout");
    p.last_cause = PAY_CAUSE_RESTARTED_BEFORE_SCAN; /* the longest cause name */
    p.refunded_fen = 11;
    snprintf(p.refund_no, sizeof p.refund_no, "T01-20261123-000001R1");
    p.refund_fen = 22;
    p.request_seq = 4000000001u;
    p.sent_mono = 5;
    p.timer_at = 6;
    p.backoff_ms = 7;
    p.in_flight = true;
    p.customer_confirming = true;
    CHECK_EQ_INT(journal_save(j, &p, "pay_reply", "customer confirming", 1700000000790),
                 JOURNAL_OK);

    struct payment back;
    memset(&back, 0x5a, sizeof back);
    CHECK_EQ_INT(journal_load(j, p.order_no, &back), JOURNAL_OK);
    CHECK_EQ_STR(back.order_no, p.order_no);
    CHECK_EQ_INT(back.channel, CHANNEL_ALIPAY);
    CHECK_EQ_INT(back.amount_fen, 9223372036854775807LL);
    CHECK_EQ_INT(back.state, PAY_QUERYING);
    CHECK_EQ_STR(back.auth_code, ""); /* never journaled */
    CHECK_EQ_STR(back.code_last4, "9876");
    CHECK(back.abort_requested);
    CHECK(back.cancel_refunded);
    CHECK_EQ_INT(back.created_at, 1700000000123);
    CHECK_EQ_INT(back.pay_sent_at, 1700000000456);
    CHECK_EQ_INT(back.updated_at, 1700000000789);
    CHECK_EQ_INT(back.queries, 4000000000u);
    CHECK_EQ_INT(back.cancels, 7);
    CHECK_EQ_STR(back.trade_no, p.trade_no);
    CHECK_EQ_STR(back.last_error, "网络超时 / network timeout");
    CHECK_EQ_INT(back.last_cause, PAY_CAUSE_RESTARTED_BEFORE_SCAN);
    CHECK_EQ_INT(back.refunded_fen, 11);
    CHECK_EQ_STR(back.refund_no, "T01-20261123-000001R1");
    CHECK_EQ_INT(back.refund_fen, 22);
    CHECK_EQ_INT(back.request_seq, 4000000001u);
    /* This-process-only fields are never journaled: they come back zero. */
    CHECK_EQ_INT(back.sent_mono, 0);
    CHECK_EQ_INT(back.timer_at, 0);
    CHECK_EQ_INT(back.backoff_ms, 0);
    CHECK(!back.in_flight);
    CHECK(!back.customer_confirming);

    /* Every state and both booleans false also round-trip. */
    for (int s = PAY_NEW; s <= PAY_REFERRED; s++) {
        struct payment q = fixture_payment("T01-20261123-000002", 1700000001000);
        q.state = (enum pay_state)s;
        q.channel = CHANNEL_NONE;
        CHECK_EQ_INT(journal_save(j, &q, "state", pay_state_name(q.state), 1700000001000 + s),
                     JOURNAL_OK);
        CHECK_EQ_INT(journal_load(j, q.order_no, &back), JOURNAL_OK);
        CHECK_EQ_INT(back.state, s);
        CHECK_EQ_INT(back.channel, CHANNEL_NONE);
        CHECK(!back.abort_requested);
        CHECK(!back.cancel_refunded);
        CHECK_EQ_STR(back.trade_no, "");
        CHECK_EQ_STR(back.refund_no, "");
    }
    CHECK_EQ_INT(journal_load(j, "T01-20261123-999999", &back), JOURNAL_NOT_FOUND);
    journal_close(j);

    /* And they are on disk: a new handle reads the same. */
    j = open_journal();
    if (!j)
        return;
    CHECK_EQ_INT(journal_load(j, p.order_no, &back), JOURNAL_OK);
    CHECK_EQ_STR(back.code_last4, "9876");
    CHECK_EQ_INT(back.request_seq, 4000000001u);
    CHECK_EQ_INT(back.amount_fen, 9223372036854775807LL);
    journal_close(j);
}

static void test_code_never_stored(void)
{
    struct journal *j = open_journal();
    if (!j)
        return;
    struct payment p = fixture_payment("T01-20261123-000010", 1700000002000);
    snprintf(p.auth_code, sizeof p.auth_code, CODE);
    p.state = PAY_PAYING;
    CHECK_EQ_INT(journal_save(j, &p, "pay_intent", "", 1700000002001), JOURNAL_OK);
    struct payment back;
    CHECK_EQ_INT(journal_load(j, p.order_no, &back), JOURNAL_OK);
    CHECK_EQ_STR(back.auth_code, "");      /* not even while unresolved */
    CHECK_EQ_STR(back.code_last4, "6789"); /* derived when the caller did not set it */
    CHECK_EQ_INT(sql_int("SELECT count(*) FROM payments WHERE auth_code IS NOT NULL"), 0);

    p.state = PAY_PAID;
    CHECK_EQ_INT(journal_save(j, &p, "paid", "", 1700000002002), JOURNAL_OK);
    CHECK_EQ_INT(journal_load(j, p.order_no, &back), JOURNAL_OK);
    CHECK_EQ_STR(back.auth_code, "");
    CHECK_EQ_STR(back.code_last4, "6789");
    journal_close(j);
    CHECK_EQ_INT(sql_int("SELECT count(*) FROM payments WHERE auth_code IS NOT NULL AND "
                         "order_no = 'T01-20261123-000010'"),
                 0);

    /* No state keeps it. */
    for (int s = PAY_NEW; s <= PAY_REFERRED; s++) {
        j = open_journal();
        if (!j)
            return;
        struct payment q = fixture_payment("T01-20261123-000011", 1700000003000);
        snprintf(q.auth_code, sizeof q.auth_code, CODE);
        q.state = (enum pay_state)s;
        CHECK_EQ_INT(journal_save(j, &q, "resolved", "", 1700000003001), JOURNAL_OK);
        CHECK_EQ_INT(journal_load(j, q.order_no, &back), JOURNAL_OK);
        CHECK_EQ_STR(back.auth_code, "");
        CHECK_EQ_STR(back.code_last4, "6789");
        journal_close(j);
    }

    /* The code never reaches the event log or last_error, even when the caller puts it there. */
    j = open_journal();
    if (!j)
        return;
    struct payment r = fixture_payment("T01-20261123-000012", 1700000004000);
    snprintf(r.auth_code, sizeof r.auth_code, CODE);
    r.state = PAY_QUERYING;
    snprintf(r.last_error, sizeof r.last_error, "code " CODE " rejected");
    CHECK_EQ_INT(journal_save(j, &r, "pay_reply", "scanned " CODE, 1700000004001), JOURNAL_OK);
    CHECK_EQ_INT(journal_load(j, r.order_no, &back), JOURNAL_OK);
    CHECK(strstr(back.last_error, CODE) == NULL);
    CHECK(strstr(back.last_error, "rejected") != NULL);
    journal_close(j);
    CHECK_EQ_INT(sql_int("SELECT count(*) FROM events WHERE instr(detail, '" CODE "') > 0"), 0);
    CHECK_EQ_INT(sql_int("SELECT count(*) FROM events WHERE detail LIKE 'scanned %'"), 1);

    /* Nor when the payment no longer holds it (wiped once the request was built) and a text
     * still does: anything of a code's length is masked; a 28-digit trade number is not. */
    j = open_journal();
    if (!j)
        return;
    struct payment w = fixture_payment("T01-20261123-000013", 1700000004100);
    w.state = PAY_QUERYING;
    snprintf(w.code_last4, sizeof w.code_last4, "6789");
    snprintf(w.last_error, sizeof w.last_error, "code " CODE " rejected");
    CHECK_EQ_INT(journal_save(j, &w, "pay_reply",
                              "code " CODE ", trade 4200001234202611230000000001", 1700000004101),
                 JOURNAL_OK);
    CHECK_EQ_INT(journal_load(j, w.order_no, &back), JOURNAL_OK);
    CHECK_EQ_STR(back.last_error, "code ****6789 rejected");
    journal_close(j);
    CHECK_EQ_INT(sql_int("SELECT count(*) FROM events WHERE instr(detail, '" CODE "') > 0"), 0);
    CHECK_EQ_INT(sql_int("SELECT count(*) FROM events WHERE detail = "
                         "'code ****6789, trade 4200001234202611230000000001'"),
                 1);

    /* The schema itself refuses a code, whoever writes. */
    sqlite3 *db = NULL;
    CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
    CHECK(sqlite3_exec(db, "UPDATE payments SET auth_code = '" CODE "'", NULL, NULL, NULL) ==
          SQLITE_CONSTRAINT);
    sqlite3_close(db);
}

/* How many times the first 13 digits of the test codes occur in the file at name. */
static int code_bytes_in(const char *name)
{
    size_t len = 0;
    unsigned char *bytes = fixture_read(name, &len);
    int found = 0;
    for (size_t at = 0; bytes && at + 13 <= len; at++)
        if (memcmp(bytes + at, "1345678901234", 13) == 0)
            found++;
    free(bytes);
    return found;
}

/* Not only the column: the bytes of the code never reach the file or its WAL, in any
 * unresolved state, looked at while the journal is open (no checkpoint yet) and after. */
static void test_code_gone_from_file(void)
{
    char fresh[4200], wal[4300];
    snprintf(fresh, sizeof fresh, "%s/gone.db", dir);
    snprintf(wal, sizeof wal, "%s-wal", fresh);
    struct journal *j = NULL;
    char err[512];
    CHECK_EQ_INT(journal_open(&j, fresh, err, sizeof err), JOURNAL_OK);
    if (!j)
        return;
    static const enum pay_state unresolved[] = {PAY_NEW, PAY_PAYING, PAY_QUERYING, PAY_CANCELLING,
                                                PAY_REFUNDING};
    for (int i = 0; i < 20; i++) {
        char no[ORDER_NO_MAX + 1];
        snprintf(no, sizeof no, "T01-20261123-%06d", 600 + i);
        struct payment p = fixture_payment(no, 1700000060000 + i);
        snprintf(p.auth_code, sizeof p.auth_code, "1345678901234%05d", i);
        for (size_t s = 0; s < sizeof unresolved / sizeof unresolved[0]; s++) {
            p.state = unresolved[s];
            CHECK_EQ_INT(journal_save(j, &p, "step", p.auth_code, p.created_at + (int64_t)s),
                         JOURNAL_OK);
            CHECK_EQ_INT(code_bytes_in(fresh), 0);
            CHECK_EQ_INT(code_bytes_in(wal), 0);
        }
        p.state = i % 2 ? PAY_PAID : PAY_FAILED;
        CHECK_EQ_INT(journal_save(j, &p, "resolved", "", p.created_at + 9), JOURNAL_OK);
    }
    CHECK(access(wal, F_OK) == 0); /* the WAL was really there to look at */
    journal_close(j);
    CHECK_EQ_INT(code_bytes_in(fresh), 0);
}

static void test_sequence_unique_across_reopen(void)
{
    uint32_t seen[30];
    int n = 0;
    for (int round = 0; round < 3; round++) {
        struct journal *j = open_journal();
        if (!j)
            return;
        for (int i = 0; i < 10; i++)
            CHECK_EQ_INT(journal_next_order_seq(j, &seen[n++]), JOURNAL_OK);
        journal_close(j);
    }
    /* One sequence for the journal, whatever the day: 1, 2, ... 30. */
    for (int i = 0; i < n; i++)
        CHECK_EQ_INT(seen[i], i + 1);
}
struct collected {
    int n;
    char order_no[16][ORDER_NO_MAX + 1];
    int64_t created_at[16];
    int stop_after;
};

static int collect(void *ctx, const struct payment *p)
{
    struct collected *c = ctx;
    if (c->n < 16) {
        snprintf(c->order_no[c->n], sizeof c->order_no[0], "%s", p->order_no);
        c->created_at[c->n] = p->created_at;
    }
    c->n++;
    return c->stop_after && c->n >= c->stop_after;
}

/* Recovery may journal while it goes through the list (the callback saves). */
static struct journal *saving_journal;
static int resolve_each(void *ctx, const struct payment *p)
{
    struct payment q = *p;
    q.state = PAY_CANCELLED;
    (*(int *)ctx)++;
    CHECK_EQ_INT(journal_save(saving_journal, &q, "cancelled", "recovery", q.updated_at + 1),
                 JOURNAL_OK);
    return 0;
}

static void test_each_unresolved(void)
{
    char fresh[4200];
    snprintf(fresh, sizeof fresh, "%s/unresolved.db", dir);
    struct journal *j = NULL;
    char err[512];
    CHECK_EQ_INT(journal_open(&j, fresh, err, sizeof err), JOURNAL_OK);
    if (!j)
        return;
    /* One payment in each state, created in reverse order of their numbers. */
    for (int s = PAY_NEW; s <= PAY_REFERRED; s++) {
        char no[ORDER_NO_MAX + 1];
        snprintf(no, sizeof no, "T01-20261123-%06d", 100 + s);
        struct payment p = fixture_payment(no, 1700000010000 - s * 1000);
        p.state = (enum pay_state)s;
        CHECK_EQ_INT(journal_save(j, &p, "setup", "", p.created_at), JOURNAL_OK);
    }
    struct collected c = {0};
    CHECK_EQ_INT(journal_each_unresolved(j, collect, &c), JOURNAL_OK);
    CHECK_EQ_INT(c.n, 5);
    /* Oldest first: REFUNDING (108) was created first, NEW (100) last. */
    CHECK_EQ_STR(c.order_no[0], "T01-20261123-000107");
    CHECK_EQ_STR(c.order_no[1], "T01-20261123-000103");
    CHECK_EQ_STR(c.order_no[2], "T01-20261123-000102");
    CHECK_EQ_STR(c.order_no[3], "T01-20261123-000101");
    CHECK_EQ_STR(c.order_no[4], "T01-20261123-000100");
    for (int i = 1; i < 5; i++)
        CHECK(c.created_at[i - 1] < c.created_at[i]);
    int count = -1;
    CHECK_EQ_INT(journal_count_unresolved(j, &count), JOURNAL_OK);
    CHECK_EQ_INT(count, 5);

    struct collected first2 = {.stop_after = 2};
    CHECK_EQ_INT(journal_each_unresolved(j, collect, &first2), JOURNAL_OK);
    CHECK_EQ_INT(first2.n, 2);

    int visited = 0;
    saving_journal = j;
    CHECK_EQ_INT(journal_each_unresolved(j, resolve_each, &visited), JOURNAL_OK);
    CHECK_EQ_INT(visited, 5);
    CHECK_EQ_INT(journal_count_unresolved(j, &count), JOURNAL_OK);
    CHECK_EQ_INT(count, 0);
    struct collected none = {0};
    CHECK_EQ_INT(journal_each_unresolved(j, collect, &none), JOURNAL_OK);
    CHECK_EQ_INT(none.n, 0);
    journal_close(j);

    /* The plan reads the partial index, never the whole table. The queries are built from
     * the same condition journal.c uses (JOURNAL_UNRESOLVED). */
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    CHECK_EQ_INT(sqlite3_open_v2(fresh, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    const char *queries[] = {
        "EXPLAIN QUERY PLAN SELECT " JOURNAL_PAYMENT_COLUMNS
        " FROM payments WHERE " JOURNAL_UNRESOLVED " ORDER BY created_at",
        "EXPLAIN QUERY PLAN SELECT count(*) FROM payments WHERE " JOURNAL_UNRESOLVED,
    };
    for (size_t q = 0; q < sizeof queries / sizeof queries[0]; q++) {
        char plan[1024] = "";
        CHECK_EQ_INT(sqlite3_prepare_v2(db, queries[q], -1, &st, NULL), SQLITE_OK);
        while (sqlite3_step(st) == SQLITE_ROW) {
            size_t used = strlen(plan);
            snprintf(plan + used, sizeof plan - used, "%s; ",
                     (const char *)sqlite3_column_text(st, 3));
        }
        sqlite3_finalize(st);
        if (!strstr(plan, "payments_unresolved"))
            fprintf(stderr, "plan: %s\n", plan);
        CHECK(strstr(plan, "USING INDEX payments_unresolved") != NULL ||
              strstr(plan, "USING COVERING INDEX payments_unresolved") != NULL);
        CHECK(strstr(plan, "TEMP B-TREE") == NULL);
    }
    sqlite3_close(db);
}

/* Writing a row must not build a temporary b-tree (as an IN list of three or more values in
 * a CHECK or a partial index's WHERE does, on every execution): a save stays cheap. */
static void test_writes_build_no_temporary_tables(void)
{
    const char *writes[] = {
        "INSERT INTO payments(order_no, channel, amount_fen, state, auth_code, created_at, "
        "updated_at) VALUES ('x', 'wechat', 1, 'NEW', '1', 1, 1) ON CONFLICT(order_no) DO "
        "UPDATE SET state = excluded.state, auth_code = excluded.auth_code",
        "INSERT INTO events(order_no, id, at, state, name) VALUES ('x', "
        "(SELECT coalesce(max(id), 0) + 1 FROM events WHERE order_no = 'x'), 1, 'NEW', 'n')",
        "INSERT INTO refunds(refund_no, order_no, amount_fen, state, at, idem_key) "
        "VALUES ('xR1', 'x', 1, 'REFUNDING', 1, 'k') ON CONFLICT(refund_no) DO NOTHING",
    };
    sqlite3 *db = NULL;
    CHECK_EQ_INT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
        char sql[1024];
        snprintf(sql, sizeof sql, "EXPLAIN %s", writes[i]);
        sqlite3_stmt *st = NULL;
        int ephemeral = 0;
        CHECK_EQ_INT(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        while (sqlite3_step(st) == SQLITE_ROW)
            ephemeral += strcmp((const char *)sqlite3_column_text(st, 1), "OpenEphemeral") == 0;
        sqlite3_finalize(st);
        CHECK_EQ_INT(ephemeral, 0);
    }
    sqlite3_close(db);
}

static void test_events_appended_never_updated(void)
{
    struct journal *j = open_journal();
    if (!j)
        return;
    struct payment p = fixture_payment("T01-20261123-000200", 1700000020000);
    const char *steps[] = {"create", "pay_intent", "pay_reply", "query_reply", "paid"};
    enum pay_state states[] = {PAY_NEW, PAY_PAYING, PAY_QUERYING, PAY_QUERYING, PAY_PAID};
    for (int i = 0; i < 5; i++) {
        p.state = states[i];
        CHECK_EQ_INT(journal_save(j, &p, steps[i], steps[i], 1700000020000 + i), JOURNAL_OK);
    }
    journal_close(j);
    CHECK_EQ_INT(sql_int("SELECT count(*) FROM events WHERE order_no = 'T01-20261123-000200'"), 5);
    CHECK_EQ_INT(sql_int("SELECT count(*) FROM events WHERE order_no = 'T01-20261123-000200' "
                         "AND name = detail"),
                 5);
    CHECK_EQ_INT(sql_int("SELECT count(DISTINCT state) FROM events "
                         "WHERE order_no = 'T01-20261123-000200'"),
                 4);
    CHECK_EQ_INT(sql_int("SELECT min(id) FROM events WHERE order_no = 'T01-20261123-000200'"), 1);
    CHECK_EQ_INT(sql_int("SELECT max(id) FROM events WHERE order_no = 'T01-20261123-000200'"), 5);
    CHECK_EQ_INT(sql_int("SELECT count(*) FROM events WHERE order_no = 'T01-20261123-000200' "
                         "AND id = 4 AND name = 'query_reply'"),
                 1);

    /* The schema itself refuses to change history. */
    sqlite3 *db = NULL;
    CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
    CHECK(sqlite3_exec(db, "UPDATE events SET detail = 'x'", NULL, NULL, NULL) != SQLITE_OK);
    CHECK(strstr(sqlite3_errmsg(db), "append-only") != NULL);
    CHECK(sqlite3_exec(db, "DELETE FROM events", NULL, NULL, NULL) != SQLITE_OK);
    sqlite3_close(db);
    CHECK_EQ_INT(sql_int("SELECT count(*) FROM events WHERE order_no = 'T01-20261123-000200'"), 5);
}

static void test_number_taken_by_another_order(void)
{
    struct journal *j = open_journal();
    if (!j)
        return;
    struct payment p = fixture_payment("T01-20261123-000300", 1700000030000);
    p.state = PAY_PAID;
    CHECK_EQ_INT(journal_save(j, &p, "paid", "", 1700000030001), JOURNAL_OK);
    struct payment other = fixture_payment("T01-20261123-000300", 1700000039999);
    other.amount_fen = 1;
    CHECK_EQ_INT(journal_save(j, &other, "create", "", 1700000039999), JOURNAL_EXISTS);
    CHECK(strstr(journal_last_error(j), "T01-20261123-000300") != NULL);
    struct payment back;
    CHECK_EQ_INT(journal_load(j, p.order_no, &back), JOURNAL_OK);
    CHECK_EQ_INT(back.state, PAY_PAID);
    CHECK_EQ_INT(back.amount_fen, 1230);
    /* The refused save left no event behind, and the handle still works. */
    p.state = PAY_PAID;
    CHECK_EQ_INT(journal_save(j, &p, "again", "", 1700000030002), JOURNAL_OK);
    journal_close(j);
    CHECK_EQ_INT(sql_int("SELECT count(*) FROM events WHERE order_no = 'T01-20261123-000300'"), 2);
}

/* The update leaves the amount and the code's last four out of its SET (each named column
 * rewrites its index): an amount still never changes under a number, and the last four are
 * still written when they change, and only then (WAL pages per save). */
static void test_upsert_writes_what_changed(void)
{
    struct journal *j = open_journal();
    if (!j)
        return;
    struct payment p = fixture_payment("T01-20261123-000450", 1700000045000);
    p.state = PAY_NEW;
    p.auth_code[0] = '\0';
    p.code_last4[0] = '\0';
    CHECK_EQ_INT(journal_save(j, &p, "created", "", 1700000040001), JOURNAL_OK);
    struct payment other = p;
    other.amount_fen = p.amount_fen + 1;
    CHECK_EQ_INT(journal_save(j, &other, "created", "", 1700000040002), JOURNAL_EXISTS);
    CHECK(strstr(journal_last_error(j), "amount") != NULL);
    p.state = PAY_PAYING;
    snprintf(p.auth_code, sizeof p.auth_code, "134567890123456789");
    CHECK_EQ_INT(journal_save(j, &p, "pay_intent", "", 1700000040003), JOURNAL_OK);
    struct payment back;
    CHECK_EQ_INT(journal_load(j, p.order_no, &back), JOURNAL_OK);
    CHECK_EQ_STR(back.code_last4, "6789");
    CHECK_EQ_INT(back.amount_fen, p.amount_fen);

    /* A save that changes neither writes neither index: count the WAL's pages per save. */
    sqlite3 *db = journal_sqlite(j);
    CHECK_EQ_INT(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL), SQLITE_OK);
    p.state = PAY_QUERYING;
    CHECK_EQ_INT(journal_save(j, &p, "pay_unknown", "", 1700000040004), JOURNAL_OK);
    sqlite3_stmt *st = NULL;
    CHECK_EQ_INT(sqlite3_prepare_v2(db, "PRAGMA wal_checkpoint(PASSIVE)", -1, &st, NULL),
                 SQLITE_OK);
    CHECK_EQ_INT(sqlite3_step(st), SQLITE_ROW);
    /* the payment, payments_unresolved (its state changed) and the event: 3 pages */
    CHECK_EQ_INT(sqlite3_column_int(st, 1), 3);
    sqlite3_finalize(st);
    journal_close(j);
}

static void test_refused_save_names_no_code(void)
{
    struct journal *j = open_journal();
    if (!j)
        return;
    /* A zero amount breaks a CHECK constraint: the save fails, the message has no code. */
    struct payment p = fixture_payment("T01-20261123-000400", 1700000040000);
    p.state = PAY_PAYING;
    p.amount_fen = 0;
    snprintf(p.auth_code, sizeof p.auth_code, CODE);
    CHECK_EQ_INT(journal_save(j, &p, "pay_intent", CODE, 1700000040001), JOURNAL_IO);
    CHECK(journal_last_error(j)[0] != '\0');
    CHECK(strstr(journal_last_error(j), CODE) == NULL);
    struct payment back;
    CHECK_EQ_INT(journal_load(j, p.order_no, &back), JOURNAL_NOT_FOUND);
    journal_close(j);
}

static void test_files_are_0600(void)
{
    mode_t old = umask(0);
    char fresh[4200], side[4300];
    snprintf(fresh, sizeof fresh, "%s/mode.db", dir);
    struct journal *j = NULL;
    char err[512];
    CHECK_EQ_INT(journal_open(&j, fresh, err, sizeof err), JOURNAL_OK);
    if (j) {
        struct payment p = fixture_payment("T01-20261123-000500", 1700000050000);
        CHECK_EQ_INT(journal_save(j, &p, "create", "", 1700000050000), JOURNAL_OK);
        struct stat sb;
        CHECK_EQ_INT(stat(fresh, &sb), 0);
        CHECK_EQ_INT(sb.st_mode & 0777, 0600);
        snprintf(side, sizeof side, "%s-wal", fresh);
        CHECK_EQ_INT(stat(side, &sb), 0);
        CHECK_EQ_INT(sb.st_mode & 0777, 0600);
        snprintf(side, sizeof side, "%s-shm", fresh);
        CHECK_EQ_INT(stat(side, &sb), 0);
        CHECK_EQ_INT(sb.st_mode & 0777, 0600);
        journal_close(j);
    }
    /* A umask that would take away the owner's own write bit does not either. */
    umask(0277);
    snprintf(fresh, sizeof fresh, "%s/mode2.db", dir);
    CHECK_EQ_INT(journal_open(&j, fresh, err, sizeof err), JOURNAL_OK);
    journal_close(j);
    struct stat sb;
    CHECK_EQ_INT(stat(fresh, &sb), 0);
    CHECK_EQ_INT(sb.st_mode & 0777, 0600);
    umask(old);
}

static void test_status_reasons(void)
{
    for (int s = JOURNAL_OK; s <= JOURNAL_IO; s++) {
        const char *r = journal_status_reason((enum journal_status)s);
        CHECK(r && *r && strcmp(r, "unknown journal status") != 0);
    }
}

int main(void)
{
    if (!fixture_dir(dir, sizeof dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/journal.db", dir);
    test_every_field_round_trips();
    test_code_never_stored();
    test_code_gone_from_file();
    test_sequence_unique_across_reopen();
    test_each_unresolved();
    test_events_appended_never_updated();
    test_writes_build_no_temporary_tables();
    test_number_taken_by_another_order();
    test_upsert_writes_what_changed();
    test_refused_save_names_no_code();
    test_files_are_0600();
    test_status_reasons();
    fixture_cleanup(dir);
    return check_done();
}
