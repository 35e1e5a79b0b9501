/*
 * test_history.c - finding a payment (storage/reports.h, schema v6): history pages across
 * days, newest first, filtered by day, amount, the code's last four digits, channel and state;
 * every query reads an index (its plan is checked: no table scan, no sort of the history);
 * the short form of an order number; the refunds counted against a daily limit; who approved
 * a refund; an amount abandoned before the scan apart from the failures; a v5 file migrated to
 * v6 with its payments.
 */
#include <sqlite3.h>

#include "../check.h"
#include "fixture.h"
#include "journal.h"
#include "journal_sqlite.h"
#include "reports.h"

#define DAY  1700000000000LL
#define HOUR 3600000LL

static char path[4200];
static struct journal *j;

static struct journal *open_journal(void)
{
    struct journal *out = NULL;
    char err[1024] = "";
    enum journal_status st = journal_open(&out, path, err, sizeof err);
    if (st != JOURNAL_OK)
        fprintf(stderr, "%s\n", err);
    CHECK_EQ_INT(st, JOURNAL_OK);
    return out;
}

static void sql_exec(const char *sql)
{
    sqlite3 *db = NULL;
    CHECK_EQ_INT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* Order i of the test journal: created i hours after DAY, the channel and amount vary. */
static struct payment order(int i, enum pay_state state)
{
    char no[ORDER_NO_MAX + 1];
    snprintf(no, sizeof no, "T01-ABCDEFGH-%06d", i);
    struct payment p = fixture_payment(no, DAY + i * HOUR);
    p.channel = i % 2 ? CHANNEL_ALIPAY : CHANNEL_WECHAT;
    p.amount_fen = 100 * (i % 5 + 1);
    p.state = state;
    snprintf(p.code_last4, sizeof p.code_last4, "%04d", 1000 + i % 7);
    return p;
}

/* 60 orders over two and a half days: order 30 FAILED, the rest PAID. */
static void fill(void)
{
    for (int i = 1; i <= 60; i++) {
        struct payment p = order(i, i == 30 ? PAY_FAILED : PAY_PAID);
        CHECK_EQ_INT(journal_save(j, &p, "paid", "", p.created_at + 1000), JOURNAL_OK);
    }
}

struct rows {
    char order_no[80][ORDER_NO_MAX + 1];
    int64_t created[80];
    int n;
};

static int collect(void *ctx, const struct payment *p)
{
    struct rows *r = ctx;
    if (r->n < 80) {
        snprintf(r->order_no[r->n], sizeof r->order_no[0], "%s", p->order_no);
        r->created[r->n++] = p->created_at;
    }
    return 0;
}

/* Every row of the filter, page after page of `page`; counts the pages. */
static int list_all(const struct report_filter *f, int page, struct rows *r)
{
    struct report_cursor at = {0}, next;
    bool more = true;
    int pages = 0;
    memset(r, 0, sizeof *r);
    while (more) {
        CHECK_EQ_INT(report_history(j, f, &at, page, collect, r, &next, &more), JOURNAL_OK);
        pages++;
        at = next;
        if (pages > 100)
            break;
    }
    return pages;
}

static void test_pages_newest_first(void)
{
    struct report_filter all = {0};
    struct rows r;
    CHECK_EQ_INT(list_all(&all, 7, &r), 9); /* 60 rows: 8 full pages and 4 on the ninth */
    CHECK_EQ_INT(r.n, 60);
    CHECK_EQ_STR(r.order_no[0], "T01-ABCDEFGH-000060");
    CHECK_EQ_STR(r.order_no[59], "T01-ABCDEFGH-000001");
    for (int i = 1; i < r.n; i++)
        CHECK(r.created[i] < r.created[i - 1]);

    /* Two orders made in the same millisecond are both listed, across a page's end. */
    struct payment twin = order(61, PAY_PAID);
    twin.created_at = DAY + 40 * HOUR;
    CHECK_EQ_INT(journal_save(j, &twin, "paid", "", twin.created_at), JOURNAL_OK);
    struct report_filter day2 = {.from = DAY + 39 * HOUR, .to = DAY + 41 * HOUR};
    CHECK_EQ_INT(list_all(&day2, 1, &r), 3);
    CHECK_EQ_INT(r.n, 3);
    CHECK_EQ_STR(r.order_no[0], "T01-ABCDEFGH-000061");
    CHECK_EQ_STR(r.order_no[1], "T01-ABCDEFGH-000040");
    CHECK_EQ_STR(r.order_no[2], "T01-ABCDEFGH-000039");
}

static void test_filters(void)
{
    struct rows r;
    struct report_filter f = {.from = DAY, .to = DAY + 24 * HOUR}; /* orders 1..23 */
    list_all(&f, 50, &r);
    CHECK_EQ_INT(r.n, 23);

    f = (struct report_filter){.amount_fen = 300}; /* i % 5 == 2 */
    list_all(&f, 50, &r);
    CHECK_EQ_INT(r.n, 12);
    CHECK_EQ_STR(r.order_no[0], "T01-ABCDEFGH-000057");

    snprintf(f.last4, sizeof f.last4, "1003"); /* and i % 7 == 3: 17, 52 */
    list_all(&f, 50, &r);
    CHECK_EQ_INT(r.n, 2);
    CHECK_EQ_STR(r.order_no[0], "T01-ABCDEFGH-000052");
    CHECK_EQ_STR(r.order_no[1], "T01-ABCDEFGH-000017");

    f = (struct report_filter){.by_channel = true, .channel = CHANNEL_ALIPAY};
    list_all(&f, 50, &r);
    CHECK_EQ_INT(r.n, 31); /* the odd orders, 61 too */

    f = (struct report_filter){.by_state = true, .state = PAY_FAILED};
    list_all(&f, 50, &r);
    CHECK_EQ_INT(r.n, 1);
    CHECK_EQ_STR(r.order_no[0], "T01-ABCDEFGH-000030");

    f = (struct report_filter){.last4 = "9999"};
    list_all(&f, 50, &r);
    CHECK_EQ_INT(r.n, 0);
}

/* An amount abandoned before the scan, or left by a restart before it, is not a failure: the
 * FAILED filter leaves both out, the not-started filter lists exactly them. */
static void test_not_started_apart(void)
{
    struct payment abandoned = order(70, PAY_FAILED), restarted = order(71, PAY_FAILED),
                   refused = order(72, PAY_FAILED);
    abandoned.last_cause = PAY_CAUSE_ABORTED_BEFORE_SCAN;
    restarted.last_cause = PAY_CAUSE_RESTARTED_BEFORE_SCAN;
    refused.last_cause = PAY_CAUSE_BALANCE;
    CHECK(pay_not_started(&abandoned) && pay_not_started(&restarted) && !pay_not_started(&refused));
    CHECK_EQ_INT(journal_save(j, &abandoned, "failed", "", abandoned.created_at), JOURNAL_OK);
    CHECK_EQ_INT(journal_save(j, &restarted, "failed", "", restarted.created_at), JOURNAL_OK);
    CHECK_EQ_INT(journal_save(j, &refused, "failed", "", refused.created_at), JOURNAL_OK);

    struct rows r;
    struct report_filter f = {.by_state = true, .state = PAY_FAILED};
    list_all(&f, 50, &r);
    CHECK_EQ_INT(r.n, 2);
    CHECK_EQ_STR(r.order_no[0], "T01-ABCDEFGH-000072");
    CHECK_EQ_STR(r.order_no[1], "T01-ABCDEFGH-000030");

    f = (struct report_filter){.not_started_only = true};
    list_all(&f, 50, &r);
    CHECK_EQ_INT(r.n, 2);
    CHECK_EQ_STR(r.order_no[0], "T01-ABCDEFGH-000071");
    CHECK_EQ_STR(r.order_no[1], "T01-ABCDEFGH-000070");

    f = (struct report_filter){0};
    list_all(&f, 80, &r);
    CHECK_EQ_INT(r.n, 65); /* "all" lists them too: 60, the twin 61, 62 (refunded), these three */
}

/* The plans of the statements the history runs, caught as they are prepared. */
static char traced[16][1200];
static int ntraced;

static int trace(unsigned type, void *ctx, void *p, void *x)
{
    (void)type;
    (void)ctx;
    (void)x;
    const char *sql = sqlite3_sql(p);
    if (sql && strstr(sql, "FROM payments") && ntraced < 16)
        snprintf(traced[ntraced++], sizeof traced[0], "%s", sql);
    return 0;
}

/* The plan of sql as one line, its steps joined by "; ". */
static void plan_of(const char *sql, char *out, size_t len)
{
    char explain[1300];
    snprintf(explain, sizeof explain, "EXPLAIN QUERY PLAN %s", sql);
    sqlite3_stmt *st = NULL;
    out[0] = '\0';
    CHECK_EQ_INT(sqlite3_prepare_v2(journal_sqlite(j), explain, -1, &st, NULL), SQLITE_OK);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        size_t n = strlen(out);
        snprintf(out + n, len - n, "%s; ", (const char *)sqlite3_column_text(st, 3));
    }
    sqlite3_finalize(st);
}

/* The plan of the one history query f runs. */
static void history_plan(const struct report_filter *f, bool second_page, char *out, size_t len)
{
    struct rows r = {0};
    struct report_cursor at = {DAY + 50 * HOUR, "T01-ABCDEFGH-000050"};
    ntraced = 0;
    sqlite3_trace_v2(journal_sqlite(j), SQLITE_TRACE_STMT, trace, NULL);
    CHECK_EQ_INT(report_history(j, f, second_page ? &at : NULL, 10, collect, &r, NULL, NULL),
                 JOURNAL_OK);
    sqlite3_trace_v2(journal_sqlite(j), 0, NULL, NULL);
    CHECK_EQ_INT(ntraced, 1);
    plan_of(traced[0], out, len);
}

static void expect_plan(const struct report_filter *f, const char *index)
{
    for (int page = 0; page < 2; page++) {
        char plan[600];
        history_plan(f, page == 1, plan, sizeof plan);
        bool ok = strstr(plan, index) != NULL && strstr(plan, "TEMP B-TREE") == NULL &&
                  strstr(plan, "SCAN payments; ") == NULL;
        if (!ok)
            fprintf(stderr, "plan without %s or with a sort: %s\n", index, plan);
        CHECK(ok);
    }
}

static void test_plans_read_indexes(void)
{
    struct report_filter f = {0};
    expect_plan(&f, "USING INDEX payments_created");
    f = (struct report_filter){.from = DAY, .to = DAY + 24 * HOUR};
    expect_plan(&f, "SEARCH payments USING INDEX payments_created");
    f = (struct report_filter){.last4 = "1003"};
    expect_plan(&f, "SEARCH payments USING INDEX payments_last4");
    f = (struct report_filter){.amount_fen = 300};
    expect_plan(&f, "SEARCH payments USING INDEX payments_amount");
    f = (struct report_filter){.unresolved_only = true};
    expect_plan(&f, "payments_unresolved");
    f = (struct report_filter){.from = DAY, .to = DAY + 24 * HOUR, .last4 = "1003"};
    expect_plan(&f, "SEARCH payments USING INDEX");
    f = (struct report_filter){
        .by_channel = true, .channel = CHANNEL_WECHAT, .by_state = true, .state = PAY_PAID};
    expect_plan(&f, "USING INDEX payments_created");

    /* The short form reads its expression index. */
    struct rows r = {0};
    ntraced = 0;
    sqlite3_trace_v2(journal_sqlite(j), SQLITE_TRACE_STMT, trace, NULL);
    CHECK_EQ_INT(report_find_short(j, "12345", 10, collect, &r), JOURNAL_OK);
    sqlite3_trace_v2(journal_sqlite(j), 0, NULL, NULL);
    CHECK_EQ_INT(ntraced, 2); /* no exact match: the prefix query ran too */
    for (int i = 0; i < ntraced && i < 2; i++) {
        char plan[600];
        plan_of(traced[i], plan, sizeof plan);
        if (!strstr(plan, "USING INDEX payments_short"))
            fprintf(stderr, "short form plan: %s\n", plan);
        CHECK(strstr(plan, "USING INDEX payments_short") != NULL);
    }
}

static void test_short_form(void)
{
    struct rows r = {0};
    CHECK_EQ_INT(report_find_short(j, "42", 10, collect, &r), JOURNAL_OK);
    CHECK_EQ_INT(r.n, 1);
    CHECK_EQ_STR(r.order_no[0], "T01-ABCDEFGH-000042");
    memset(&r, 0, sizeof r);
    CHECK_EQ_INT(report_find_short(j, "000042", 10, collect, &r), JOURNAL_OK);
    CHECK_EQ_INT(r.n, 1);
    /* No order 000099: "00009" is none, so the orders whose form starts with it. */
    memset(&r, 0, sizeof r);
    CHECK_EQ_INT(report_find_short(j, "00005", 10, collect, &r), JOURNAL_OK);
    CHECK_EQ_INT(r.n, 1); /* 000005 itself exists */
    memset(&r, 0, sizeof r);
    CHECK_EQ_INT(report_find_short(j, "00001", 10, collect, &r), JOURNAL_OK);
    CHECK_EQ_INT(r.n, 1);
    memset(&r, 0, sizeof r);
    CHECK_EQ_INT(report_find_short(j, "999999", 10, collect, &r), JOURNAL_OK);
    CHECK_EQ_INT(r.n, 0);
    /* "0000" names order 0, which is none: the prefix lists 000001..000061, newest first. */
    memset(&r, 0, sizeof r);
    CHECK_EQ_INT(report_find_short(j, "0000", 5, collect, &r), JOURNAL_OK);
    CHECK_EQ_INT(r.n, 5);
    CHECK_EQ_STR(r.order_no[0], "T01-ABCDEFGH-000060");
    CHECK(!report_short_valid(""));
    CHECK(!report_short_valid("1234567"));
    CHECK(!report_short_valid("12a"));
    CHECK(report_short_valid("7"));
    CHECK_EQ_INT(report_find_short(j, "12a", 10, collect, &r), JOURNAL_NOT_FOUND);
}

static void test_refunds_and_approver(void)
{
    struct payment p = order(62, PAY_PAID);
    p.created_at = DAY + 62 * HOUR;
    CHECK_EQ_INT(journal_save(j, &p, "paid", "", p.created_at), JOURNAL_OK);
    p.state = PAY_REFUNDING;
    snprintf(p.refund_no, sizeof p.refund_no, "T01-ABCDEFGH-000062R1");
    p.refund_fen = 100;
    journal_set_refund_approver(j, "supervisor");
    CHECK_EQ_INT(journal_save(j, &p, "refund_requested", "", p.created_at + 10), JOURNAL_OK);
    journal_set_refund_approver(j, NULL);
    struct journal_refund back;
    CHECK_EQ_INT(journal_last_refund(j, p.order_no, &back), JOURNAL_OK);
    CHECK_EQ_STR(back.approved_by, "supervisor");

    int64_t sum = -1;
    CHECK_EQ_INT(report_refunds_sum(j, p.created_at, p.created_at + HOUR, &sum), JOURNAL_OK);
    CHECK_EQ_INT(sum, 100); /* under way counts */
    p.state = PAY_PAID;
    p.refunded_fen = 100;
    p.refund_fen = 0;
    CHECK_EQ_INT(journal_save(j, &p, "refunded", "", p.created_at + 20), JOURNAL_OK);
    CHECK_EQ_INT(report_refunds_sum(j, p.created_at, p.created_at + HOUR, &sum), JOURNAL_OK);
    CHECK_EQ_INT(sum, 100);

    /* A refund the gateway refused counts nothing; one without approval records none. */
    p.state = PAY_REFUNDING;
    snprintf(p.refund_no, sizeof p.refund_no, "T01-ABCDEFGH-000062R2");
    p.refund_fen = 50;
    CHECK_EQ_INT(journal_save(j, &p, "refund_requested", "", p.created_at + 30), JOURNAL_OK);
    CHECK_EQ_INT(journal_last_refund(j, p.order_no, &back), JOURNAL_OK);
    CHECK_EQ_STR(back.approved_by, "");
    p.state = PAY_PAID;
    p.refund_fen = 0;
    CHECK_EQ_INT(journal_save(j, &p, "refund_failed", "", p.created_at + 40), JOURNAL_OK);
    CHECK_EQ_INT(report_refunds_sum(j, p.created_at, p.created_at + HOUR, &sum), JOURNAL_OK);
    CHECK_EQ_INT(sum, 100);
    CHECK_EQ_INT(report_refunds_sum(j, p.created_at + HOUR, p.created_at + 2 * HOUR, &sum),
                 JOURNAL_OK);
    CHECK_EQ_INT(sum, 0);
}

/* A v5 file (today's without v6's indexes and column, v7's cashiers, shifts and Z reports and
 * v8's PIN locks) migrates keeping its payments. */
static void test_migrate_v5(void)
{
    journal_close(j);
    sql_exec("DROP INDEX payments_last4; DROP INDEX payments_amount; DROP INDEX payments_short;"
             "ALTER TABLE refunds DROP COLUMN approved_by;"
             "DROP TABLE shifts; DROP TABLE z_report_totals; DROP TABLE z_reports;"
             "DROP INDEX payments_cashier; ALTER TABLE payments DROP COLUMN cashier;"
             "ALTER TABLE refunds DROP COLUMN cashier; ALTER TABLE print_jobs DROP COLUMN ref;"
             "ALTER TABLE journal_meta DROP COLUMN signin_locked_until;"
             "ALTER TABLE journal_meta DROP COLUMN refund_pin_locked_until;"
             "ALTER TABLE payments DROP COLUMN kind; ALTER TABLE payments DROP COLUMN qr_payload;"
             "ALTER TABLE payments DROP COLUMN qr_window_s;"
             "DROP TABLE sales; DROP TABLE outbox; DROP TABLE reconciliations; DROP TABLE reconcile_items;"
             "PRAGMA user_version = 5;");
    j = open_journal();
    if (!j)
        return;
    CHECK(journal_schema_version() >= 6); /* v5 went through v6 and every later step */
    struct rows r;
    struct report_filter f = {.last4 = "1003"};
    list_all(&f, 50, &r);
    CHECK_EQ_INT(r.n, 9); /* i % 7 == 3 */
    struct journal_refund back;
    CHECK_EQ_INT(journal_last_refund(j, "T01-ABCDEFGH-000062", &back), JOURNAL_OK);
    CHECK_EQ_STR(back.approved_by, ""); /* refunds before v6 name no approver */
    expect_plan(&f, "SEARCH payments USING INDEX payments_last4");
}

int main(void)
{
    char dir[4096];
    if (!fixture_dir(dir, sizeof dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/journal.db", dir);
    j = open_journal();
    if (j) {
        fill();
        test_pages_newest_first();
        test_filters();
        test_plans_read_indexes();
        test_short_form();
        test_refunds_and_approver();
        test_not_started_apart();
        test_migrate_v5();
        if (j)
            journal_close(j);
    }
    fixture_cleanup(dir);
    return check_done();
}
