/*
 * test_journal_reconcile.c - the reconciliations in the journal (storage/reconciliations.h):
 * a bill day's bounds in Beijing time and the dates refused; the day's payments and refunds
 * as the matcher takes them (this channel, this prefix, this day only; each state's outcome;
 * only refunds given back); a day's result saved, read and replaced whole by a second run
 * while another day stays; the open differences counted, acknowledged per day.
 */
#include <sqlite3.h>

#include "../check.h"
#include "fixture.h"
#include "journal.h"
#include "reconciliations.h"

/* 2026-12-08 00:00 in Beijing is 2026-12-07 16:00 UTC */
#define DAY_START INT64_C(1796659200000)
#define DAY_MS    INT64_C(86400000)

static int sql_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

static void test_dates(void)
{
    int64_t from = 0, to = 0;
    CHECK(recon_date_bounds("2026-12-08", &from, &to));
    CHECK_EQ_INT(from, DAY_START);
    CHECK_EQ_INT(to, DAY_START + DAY_MS);
    CHECK(recon_date_bounds("2028-02-29", NULL, NULL));
    const char *bad[] = {"2026-02-30", "2027-02-29", "2026-13-01",  "2026-1-01",
                         "2026-12-8",  "2026/12/08", "2026-12-08x", "abcd-ef-gh",
                         "",           "1999-12-31", "+026-12-08",  "2026-00-10"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(!recon_date_bounds(bad[i], &from, &to));
    CHECK(!recon_date_bounds(NULL, NULL, NULL));
}

static void save(struct journal *j, const char *order, enum pay_channel ch, enum pay_state st,
                 int64_t fen, int64_t at)
{
    struct payment p = fixture_payment(order, at);
    p.channel = ch;
    p.state = st;
    p.amount_fen = fen;
    CHECK_EQ_INT(journal_save(j, &p, "created", "", at), JOURNAL_OK);
}

static const struct recon_payment *find_pay(const struct recon_payment *p, size_t n,
                                            const char *order)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(p[i].order_no, order) == 0)
            return &p[i];
    return NULL;
}

static void test_day_entries(const char *path)
{
    struct journal *j = NULL;
    char err[1024];
    CHECK_EQ_INT(journal_open(&j, path, err, sizeof err), JOURNAL_OK);
    if (!j)
        return;
    save(j, "T1-AAAA-000001", CHANNEL_ALIPAY, PAY_PAID, 1230, DAY_START);
    save(j, "T1-AAAA-000002", CHANNEL_ALIPAY, PAY_FAILED, 500, DAY_START + 1000);
    save(j, "T1-AAAA-000003", CHANNEL_ALIPAY, PAY_QUERYING, 700, DAY_START + 2000);
    save(j, "T1-AAAA-000004", CHANNEL_ALIPAY, PAY_REFUNDED, 900, DAY_MS + DAY_START - 1);
    save(j, "T1-AAAA-000005", CHANNEL_ALIPAY, PAY_CANCELLED, 100, DAY_START + 3000);
    save(j, "T1-AAAA-000006", CHANNEL_WECHAT, PAY_PAID, 800, DAY_START + 4000);   /* channel */
    save(j, "T1-AAAA-000007", CHANNEL_ALIPAY, PAY_PAID, 800, DAY_START - 1);      /* day before */
    save(j, "T1-AAAA-000008", CHANNEL_ALIPAY, PAY_PAID, 800, DAY_START + DAY_MS); /* after */
    save(j, "T12-AAAA-000001", CHANNEL_ALIPAY, PAY_PAID, 800, DAY_START + 5000);  /* prefix */
    journal_close(j);
    CHECK_EQ_INT(sql_exec(path, "INSERT INTO refunds(refund_no, order_no, amount_fen, state, at)"
                                " VALUES ('T1-AAAA-000004R1', 'T1-AAAA-000004', 300, 'REFUNDED',"
                                " 1), ('T1-AAAA-000004R2', 'T1-AAAA-000004', 600, 'FAILED', 2),"
                                " ('T1-AAAA-000006R1', 'T1-AAAA-000006', 100, 'REFUNDED', 3)"),
                 SQLITE_OK);
    CHECK_EQ_INT(journal_open(&j, path, err, sizeof err), JOURNAL_OK);
    if (!j)
        return;
    struct recon_payment *pays = NULL;
    struct recon_refund *refunds = NULL;
    size_t np = 0, nr = 0;
    CHECK_EQ_INT(recon_day_entries(j, CHANNEL_ALIPAY, DAY_START, DAY_START + DAY_MS, "T1-", &pays,
                                   &np, &refunds, &nr),
                 JOURNAL_OK);
    CHECK_EQ_INT(np, 5);
    const struct recon_payment *p = find_pay(pays, np, "T1-AAAA-000001");
    CHECK(p && p->outcome == RECON_TAKEN && p->amount_fen == 1230);
    p = find_pay(pays, np, "T1-AAAA-000002");
    CHECK(p && p->outcome == RECON_NOT_TAKEN);
    p = find_pay(pays, np, "T1-AAAA-000003");
    CHECK(p && p->outcome == RECON_OPEN);
    p = find_pay(pays, np, "T1-AAAA-000004");
    CHECK(p && p->outcome == RECON_TAKEN);
    p = find_pay(pays, np, "T1-AAAA-000005");
    CHECK(p && p->outcome == RECON_NOT_TAKEN);
    CHECK_EQ_INT(nr, 1);
    if (nr == 1) {
        CHECK_EQ_STR(refunds[0].refund_no, "T1-AAAA-000004R1");
        CHECK_EQ_INT(refunds[0].amount_fen, 300);
    }
    free(pays);
    free(refunds);
    CHECK_EQ_INT(recon_day_entries(j, CHANNEL_WECHAT, DAY_START, DAY_START + DAY_MS, "T1-", &pays,
                                   &np, &refunds, &nr),
                 JOURNAL_OK);
    CHECK_EQ_INT(np, 1);
    CHECK_EQ_INT(nr, 1);
    free(pays);
    free(refunds);
    journal_close(j);
}

static struct reconcile_item item(const char *date, enum recon_kind kind, const char *order)
{
    struct reconcile_item it;
    memset(&it, 0, sizeof it);
    snprintf(it.date, sizeof it.date, "%s", date);
    it.channel = CHANNEL_WECHAT;
    it.kind = kind;
    snprintf(it.order_no, sizeof it.order_no, "%s", order);
    snprintf(it.trade_no, sizeof it.trade_no, "4200%s", order);
    it.bill_fen = 4200;
    it.bill_line = 7;
    return it;
}

struct seen {
    int n;
    struct reconcile_item last;
};

static int count_item(void *ctx, const struct reconcile_item *it)
{
    struct seen *s = ctx;
    s->n++;
    s->last = *it;
    return 0;
}

static void test_save_replace_ack(const char *path)
{
    struct journal *j = NULL;
    char err[1024];
    CHECK_EQ_INT(journal_open(&j, path, err, sizeof err), JOURNAL_OK);
    if (!j)
        return;
    struct reconciliation runs[2];
    int n = 0;
    CHECK_EQ_INT(recon_get(j, "2026-12-08", runs, 2, &n), JOURNAL_NOT_FOUND);
    struct reconciliation r;
    memset(&r, 0, sizeof r);
    snprintf(r.date, sizeof r.date, "2026-12-08");
    r.channel = CHANNEL_WECHAT;
    r.started_at = 100;
    r.finished_at = 200;
    r.bill_rows = 3;
    r.count[RECON_MATCHED] = 1;
    r.count[RECON_CHARGED_NOT_PAID] = 2;
    struct reconcile_item items[2] = {item("2026-12-08", RECON_CHARGED_NOT_PAID, "X1"),
                                      item("2026-12-08", RECON_CHARGED_NOT_PAID, "X2")};
    CHECK_EQ_INT(recon_save(j, &r, 1, items, 2), JOURNAL_OK);
    struct reconciliation other = r;
    snprintf(other.date, sizeof other.date, "2026-12-07");
    struct reconcile_item old = item("2026-12-07", RECON_REFUND_OUTSIDE, "Y1");
    CHECK_EQ_INT(recon_save(j, &other, 1, &old, 1), JOURNAL_OK);
    int64_t open = 0;
    CHECK_EQ_INT(recon_open_count(j, &open), JOURNAL_OK);
    CHECK_EQ_INT(open, 3);

    /* the day again: its rows replaced whole, the other day's kept */
    r.started_at = 300;
    r.count[RECON_CHARGED_NOT_PAID] = 1;
    r.count[RECON_MATCHED] = 2;
    CHECK_EQ_INT(recon_save(j, &r, 1, items, 1), JOURNAL_OK);
    CHECK_EQ_INT(recon_get(j, "2026-12-08", runs, 2, &n), JOURNAL_OK);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(runs[0].started_at, 300);
    CHECK_EQ_INT(runs[0].count[RECON_MATCHED], 2);
    CHECK_EQ_INT(runs[0].count[RECON_CHARGED_NOT_PAID], 1);
    CHECK_EQ_INT(runs[0].bill_rows, 3);
    CHECK(runs[0].channel == CHANNEL_WECHAT);
    struct seen s = {0};
    CHECK_EQ_INT(recon_items(j, "2026-12-08", count_item, &s), JOURNAL_OK);
    CHECK_EQ_INT(s.n, 1);
    CHECK_EQ_STR(s.last.order_no, "X1");
    CHECK_EQ_STR(s.last.trade_no, "4200X1");
    CHECK(s.last.kind == RECON_CHARGED_NOT_PAID);
    CHECK_EQ_INT(s.last.bill_fen, 4200);
    CHECK_EQ_INT(s.last.bill_line, 7);
    CHECK_EQ_INT(recon_open_count(j, &open), JOURNAL_OK);
    CHECK_EQ_INT(open, 2);

    int64_t acked = 0;
    CHECK_EQ_INT(recon_acknowledge(j, "2026-12-08", 5000, &acked), JOURNAL_OK);
    CHECK_EQ_INT(acked, 1);
    CHECK_EQ_INT(recon_acknowledge(j, "2026-12-08", 6000, &acked), JOURNAL_OK);
    CHECK_EQ_INT(acked, 0);
    CHECK_EQ_INT(recon_open_count(j, &open), JOURNAL_OK);
    CHECK_EQ_INT(open, 1);
    s.n = 0;
    CHECK_EQ_INT(recon_items(j, "2026-12-08", count_item, &s), JOURNAL_OK);
    CHECK_EQ_INT(s.last.acknowledged_at, 5000);

    /* run again: the difference found as it was stays acknowledged; one with another
     * amount, and a new one, are alerts */
    struct reconcile_item again[3] = {item("2026-12-08", RECON_CHARGED_NOT_PAID, "X1"),
                                      item("2026-12-08", RECON_CHARGED_NOT_PAID, "X1"),
                                      item("2026-12-08", RECON_AMOUNT_DIFFERS, "X3")};
    snprintf(again[1].refund_no, sizeof again[1].refund_no, "X1R1");
    again[0].bill_line = 9; /* the line may move in a new bill */
    CHECK_EQ_INT(recon_save(j, &r, 1, again, 3), JOURNAL_OK);
    CHECK_EQ_INT(recon_open_count(j, &open), JOURNAL_OK);
    CHECK_EQ_INT(open, 3);
    struct reconcile_item changed = item("2026-12-08", RECON_CHARGED_NOT_PAID, "X1");
    changed.bill_fen = 4300;
    CHECK_EQ_INT(recon_acknowledge(j, "2026-12-08", 7000, &acked), JOURNAL_OK);
    CHECK_EQ_INT(acked, 2);
    CHECK_EQ_INT(recon_save(j, &r, 1, &changed, 1), JOURNAL_OK);
    CHECK_EQ_INT(recon_open_count(j, &open), JOURNAL_OK);
    CHECK_EQ_INT(open, 2);
    s.n = 0;
    CHECK_EQ_INT(recon_items(j, "2026-12-08", count_item, &s), JOURNAL_OK);
    CHECK_EQ_INT(s.n, 1);
    journal_close(j);

    /* a kind posterm never writes is refused when read */
    CHECK_EQ_INT(sql_exec(path, "UPDATE reconcile_items SET kind = 'bogus' WHERE order_no = 'Y1'"),
                 SQLITE_OK);
    CHECK_EQ_INT(journal_open(&j, path, err, sizeof err), JOURNAL_OK);
    if (!j)
        return;
    CHECK(recon_items(j, "2026-12-07", count_item, &s) != JOURNAL_OK);
    journal_close(j);
}

int main(void)
{
    char dir[4096], a[4200], b[4200];
    if (!fixture_dir(dir, sizeof dir))
        return 1;
    snprintf(a, sizeof a, "%s/entries.db", dir);
    snprintf(b, sizeof b, "%s/results.db", dir);
    test_dates();
    test_day_entries(a);
    test_save_replace_ack(b);
    fixture_cleanup(dir);
    return check_done();
}
