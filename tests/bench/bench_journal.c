/*
 * bench_journal.c - the journal's figures, measured against plain SQLite on the same disk.
 *
 *   bench_journal rate DIR N          N journal transitions vs N raw SQLite inserts
 *   bench_journal pages DIR N         WAL pages each commits, journal vs raw (N of each)
 *   bench_journal make PATH R U       a journal of R resolved and U unresolved payments
 *   bench_journal recon PATH DATE N   what a reconciliation costs the event loop on PATH: the
 *                                     day's entries read before the child starts, and the
 *                                     result (N differences) journaled after it ends
 *   bench_journal open PATH           journal_open's full check vs the start-up check
 *
 * Prints figures as "key value" lines for tests/bench/bench.py; never judges them. Raw
 * inserts use the journal's own settings (WAL, synchronous=FULL, secure_delete=FAST) and
 * commit one row at a time, as the journal commits one transition at a time, so the ratio
 * is the cost of the journal's schema and statements, not of durability. The two run in
 * alternating blocks so that a noisy neighbour slows both alike.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "journal.h"
#include "journal_sqlite.h"
#include "reconciliations.h"

#define BLOCK 100

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *what, const char *why)
{
    fprintf(stderr, "bench_journal: %s: %s\n", what, why);
    return 1;
}

/* The plain-SQLite side: one table, one insert per commit, the journal's pragmas. */
struct raw {
    sqlite3 *db;
    sqlite3_stmt *insert;
};

static int raw_open(struct raw *r, const char *path)
{
    if (sqlite3_open(path, &r->db) != SQLITE_OK)
        return fail(path, sqlite3_errmsg(r->db));
    const char *setup = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                        "PRAGMA secure_delete = FAST;"
                        "CREATE TABLE t (order_no TEXT, at INTEGER, state TEXT, name TEXT);";
    if (sqlite3_exec(r->db, setup, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(r->db, "INSERT INTO t VALUES (?1, ?2, ?3, ?4)", -1, &r->insert, NULL) !=
            SQLITE_OK)
        return fail(path, sqlite3_errmsg(r->db));
    return 0;
}

static int raw_insert(struct raw *r, int i)
{
    char no[ORDER_NO_MAX + 1];
    snprintf(no, sizeof no, "RAW-20261123-%08d", i);
    sqlite3_bind_text(r->insert, 1, no, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(r->insert, 2, 1795000000000 + i);
    sqlite3_bind_text(r->insert, 3, "PAID", -1, SQLITE_STATIC);
    sqlite3_bind_text(r->insert, 4, "paid", -1, SQLITE_STATIC);
    int rc = sqlite3_step(r->insert);
    sqlite3_reset(r->insert);
    return rc == SQLITE_DONE ? 0 : fail("raw insert", sqlite3_errmsg(r->db));
}

/* Transition i of a run: every payment goes created -> pay_intent -> paid, as a successful
 * payment does in posterm. */
static int journal_transition(struct journal *j, struct payment *p, int i)
{
    static const char *const names[] = {"created", "pay_intent", "paid"};
    int step = i % 3;
    if (step == 0) {
        memset(p, 0, sizeof *p);
        snprintf(p->order_no, sizeof p->order_no, "BENCH-20261123-%08d", i / 3);
        p->channel = CHANNEL_WECHAT;
        p->amount_fen = 1 + i % 5000;
        p->state = PAY_NEW;
        p->created_at = 1795000000000 + i;
    } else if (step == 1) {
        p->state = PAY_PAYING;
        snprintf(p->auth_code, sizeof p->auth_code, "1345678901%08d", i);
        p->pay_sent_at = 1795000000000 + i;
    } else {
        p->state = PAY_PAID;
        snprintf(p->code_last4, sizeof p->code_last4, "%.4s", p->auth_code + 14);
        p->auth_code[0] = '\0';
        snprintf(p->trade_no, sizeof p->trade_no, "4200000000%020d", i);
    }
    p->updated_at = 1795000000000 + i;
    enum journal_status st = journal_save(j, p, names[step], "", p->updated_at);
    return st == JOURNAL_OK ? 0 : fail("journal_save", journal_last_error(j));
}

static int cmd_rate(const char *dir, int n)
{
    char jpath[4200], rpath[4200], err[1024];
    snprintf(jpath, sizeof jpath, "%s/rate-journal.db", dir);
    snprintf(rpath, sizeof rpath, "%s/rate-raw.db", dir);
    remove(jpath);
    remove(rpath);
    struct journal *j = NULL;
    if (journal_open(&j, jpath, err, sizeof err) != JOURNAL_OK)
        return fail("journal_open", err);
    struct raw r = {0};
    if (raw_open(&r, rpath) != 0)
        return 1;

    double t_journal = 0, t_raw = 0;
    struct payment p;
    for (int done = 0; done < n; done += BLOCK) {
        int m = n - done < BLOCK ? n - done : BLOCK;
        double t0 = now_s();
        for (int i = done; i < done + m; i++)
            if (raw_insert(&r, i) != 0)
                return 1;
        double t1 = now_s();
        for (int i = done; i < done + m; i++)
            if (journal_transition(j, &p, i) != 0)
                return 1;
        double t2 = now_s();
        t_raw += t1 - t0;
        t_journal += t2 - t1;
    }
    printf("transitions %d\n", n);
    printf("journal_per_s %.1f\n", n / t_journal);
    printf("raw_per_s %.1f\n", n / t_raw);
    sqlite3_finalize(r.insert);
    sqlite3_close(r.db);
    journal_close(j);
    return 0;
}

/* The WAL pages one commit writes (each a page-sized frame, fsynced with the commit), with
 * the automatic checkpoint off so the WAL keeps them all: where the journal's extra cost
 * goes, beside the CPU its statements take. */
static int wal_frames(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int frames = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA wal_checkpoint(PASSIVE)", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        frames = sqlite3_column_int(st, 1);
    sqlite3_finalize(st);
    return frames;
}

static int cmd_pages(const char *dir, int n)
{
    char jpath[4200], rpath[4200], err[1024];
    snprintf(jpath, sizeof jpath, "%s/pages-journal.db", dir);
    snprintf(rpath, sizeof rpath, "%s/pages-raw.db", dir);
    remove(jpath);
    remove(rpath);
    struct journal *j = NULL;
    if (journal_open(&j, jpath, err, sizeof err) != JOURNAL_OK)
        return fail("journal_open", err);
    struct raw r = {0};
    if (raw_open(&r, rpath) != 0)
        return 1;
    if (sqlite3_exec(journal_sqlite(j), "PRAGMA wal_autocheckpoint = 0", NULL, NULL, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(r.db, "PRAGMA wal_autocheckpoint = 0", NULL, NULL, NULL) != SQLITE_OK)
        return fail("wal_autocheckpoint", "refused");
    int j0 = wal_frames(journal_sqlite(j)), r0 = wal_frames(r.db);
    struct payment p;
    for (int i = 0; i < n; i++)
        if (raw_insert(&r, i) != 0 || journal_transition(j, &p, i) != 0)
            return 1;
    printf("journal_pages_per_commit %.2f\n", (wal_frames(journal_sqlite(j)) - j0) / (double)n);
    printf("raw_pages_per_commit %.2f\n", (wal_frames(r.db) - r0) / (double)n);
    sqlite3_finalize(r.insert);
    sqlite3_close(r.db);
    journal_close(j);
    return 0;
}

/* Resolved history in one transaction with the journal's own schema (three events per
 * payment, as a paid one has), then the unresolved ones through journal_save: pay requests
 * whose answer never came and cancels still going, all long past their payment window, so
 * a starting posterm queries or cancels every one of them. */
static int cmd_make(const char *path, long resolved, int unresolved)
{
    char err[1024];
    remove(path);
    struct journal *j = NULL;
    if (journal_open(&j, path, err, sizeof err) != JOURNAL_OK)
        return fail("journal_open", err);
    double t0 = now_s();
    char sql[2048];
    snprintf(sql, sizeof sql,
             "BEGIN;"
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %ld) "
             "INSERT INTO payments(order_no, channel, amount_fen, state, code_last4, created_at,"
             " pay_sent_at, updated_at, queries, trade_no) "
             "SELECT printf('T0001-%%08d-%%07d', 20200101 + i / 1000, i),"
             " CASE WHEN i %% 2 THEN 'wechat' ELSE 'alipay' END, 100 + i %% 50000, 'PAID',"
             " printf('%%04d', i %% 10000), 1577836800000 + i * 60000,"
             " 1577836800000 + i * 60000 + 20, 1577836800000 + i * 60000 + 900, 0,"
             " printf('42000%%025d', i) FROM n WHERE %ld > 0;"
             "INSERT INTO events(order_no, id, at, state, name, detail)"
             " SELECT order_no, 1, created_at, 'NEW', 'created', '' FROM payments;"
             "INSERT INTO events(order_no, id, at, state, name, detail)"
             " SELECT order_no, 2, pay_sent_at, 'PAYING', 'pay_intent', '' FROM payments;"
             "INSERT INTO events(order_no, id, at, state, name, detail)"
             " SELECT order_no, 3, updated_at, 'PAID', 'paid', 'paid' FROM payments;"
             "COMMIT;",
             resolved, resolved);
    char *msg = NULL;
    if (sqlite3_exec(journal_sqlite(j), sql, NULL, NULL, &msg) != SQLITE_OK)
        return fail("history", msg ? msg : "?");
    static const enum pay_state states[] = {PAY_PAYING, PAY_QUERYING, PAY_CANCELLING};
    for (int i = 0; i < unresolved; i++) {
        struct payment p;
        memset(&p, 0, sizeof p);
        snprintf(p.order_no, sizeof p.order_no, "T0001-20261122-%07d", i + 1);
        p.channel = i % 2 ? CHANNEL_WECHAT : CHANNEL_ALIPAY;
        p.amount_fen = 100 + i;
        p.state = states[i % 3];
        snprintf(p.auth_code, sizeof p.auth_code, i % 2 ? "1345678901%08d" : "2876543210%08d", i);
        p.created_at = 1795000000000 + i * 1000;
        p.pay_sent_at = p.created_at + 20;
        p.updated_at = p.pay_sent_at;
        if (journal_save(j, &p, "pay_intent", "", p.updated_at) != JOURNAL_OK)
            return fail("journal_save", journal_last_error(j));
    }
    sqlite3_exec(journal_sqlite(j), "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    int pages = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(journal_sqlite(j), "PRAGMA page_count", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        pages = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    journal_close(j);
    printf("made_s %.2f\n", now_s() - t0);
    printf("pages %d\n", pages);
    return 0;
}

static int count_one(void *ctx, const struct payment *p)
{
    (void)p;
    (*(int *)ctx)++;
    return 0;
}

/* What opening costs with each check, plus reading the unresolved rows as recovery does. */
static int cmd_open(const char *path)
{
    static const struct {
        const char *key;
        enum journal_check check;
    } runs[] = {
        {"open_full_ms", JOURNAL_CHECK_FULL},
        {"open_startup_ms", JOURNAL_CHECK_STARTUP},
    };
    for (size_t k = 0; k < sizeof runs / sizeof runs[0]; k++) {
        char err[1024];
        struct journal *j = NULL;
        double t0 = now_s();
        if (journal_open_checked(&j, path, runs[k].check, err, sizeof err) != JOURNAL_OK)
            return fail("journal_open_checked", err);
        int n = 0;
        if (journal_each_unresolved(j, count_one, &n) != JOURNAL_OK)
            return fail("journal_each_unresolved", journal_last_error(j));
        printf("%s %.1f\n", runs[k].key, (now_s() - t0) * 1000);
        printf("unresolved %d\n", n);
        journal_close(j);
    }
    return 0;
}

/* The reconciliation's two steps that run in the event loop itself (app/reconcile_run.c):
 * reading the day's payments and refunds of both channels before the child is started, and
 * journaling the result (one row per channel, n differences) when it ends. The rest - the
 * download, the reading, the matching - runs in the child. */
static int cmd_recon(const char *path, const char *date, long n)
{
    char err[1024];
    struct journal *j = NULL;
    if (journal_open(&j, path, err, sizeof err) != JOURNAL_OK)
        return fail("journal_open", err);
    int64_t from, to;
    if (!recon_date_bounds(date, &from, &to))
        return fail("recon_date_bounds", date);
    static const enum pay_channel channels[] = {CHANNEL_WECHAT, CHANNEL_ALIPAY};
    size_t total = 0;
    double t0 = now_s();
    for (int c = 0; c < 2; c++) {
        struct recon_payment *pays = NULL;
        struct recon_refund *refunds = NULL;
        size_t npays = 0, nrefunds = 0;
        if (recon_day_entries(j, channels[c], from, to, "T0001-", &pays, &npays, &refunds,
                              &nrefunds) != JOURNAL_OK)
            return fail("recon_day_entries", journal_last_error(j));
        total += npays + nrefunds;
        free(pays);
        free(refunds);
    }
    printf("day_entries %zu\n", total);
    printf("read_ms %.2f\n", (now_s() - t0) * 1000);
    struct reconciliation runs[2];
    memset(runs, 0, sizeof runs);
    struct reconcile_item *items = calloc(n > 0 ? (size_t)n : 1, sizeof *items);
    if (items == NULL)
        return fail("calloc", "out of memory");
    for (int c = 0; c < 2; c++) {
        snprintf(runs[c].date, sizeof runs[c].date, "%s", date);
        runs[c].channel = channels[c];
    }
    for (long i = 0; i < n; i++) {
        snprintf(items[i].date, sizeof items[i].date, "%s", date);
        items[i].channel = channels[i % 2];
        items[i].kind = RECON_CHARGED_NOT_PAID;
        snprintf(items[i].order_no, sizeof items[i].order_no, "T0001-X-%07ld", i);
        snprintf(items[i].trade_no, sizeof items[i].trade_no, "42%028ld", i);
        items[i].bill_fen = 100 + i;
    }
    t0 = now_s();
    if (recon_save(j, runs, 2, items, (size_t)n) != JOURNAL_OK)
        return fail("recon_save", journal_last_error(j));
    printf("save_ms %.2f\n", (now_s() - t0) * 1000);
    free(items);
    journal_close(j);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "rate") == 0)
        return cmd_rate(argv[2], atoi(argv[3]));
    if (argc == 4 && strcmp(argv[1], "pages") == 0)
        return cmd_pages(argv[2], atoi(argv[3]));
    if (argc == 5 && strcmp(argv[1], "make") == 0)
        return cmd_make(argv[2], atol(argv[3]), atoi(argv[4]));
    if (argc == 3 && strcmp(argv[1], "open") == 0)
        return cmd_open(argv[2]);
    if (argc == 5 && strcmp(argv[1], "recon") == 0)
        return cmd_recon(argv[2], argv[3], atol(argv[4]));
    fprintf(stderr,
            "usage: bench_journal rate DIR N | pages DIR N | make PATH RESOLVED UNRESOLVED | "
            "open PATH | recon PATH DATE N\n");
    return 2;
}
