/*
 * test_journal_v4.c - what schema v4 and its open promise: a random identity per journal,
 * renewed when the journal turns up on another machine; refunds found by idempotency key and
 * by order; refunded_fen kept within 0..amount_fen; the one-posterm lock on the journal's
 * inode whatever name reaches it; the full integrity check at start or in the background,
 * after whose damage verdict nothing more is written; the machine fingerprint.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "../check.h"
#include "fixture.h"
#include "journal.h"
#include "journal_lock.h"
#include "journal_sqlite.h"
#include "machine.h"

static char dir[4096];

static void path_in(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", dir, name);
}

static struct journal *open_at(const char *path, enum journal_check check)
{
    struct journal *j = NULL;
    char err[1024] = "";
    enum journal_status st = journal_open_checked(&j, path, check, err, sizeof err);
    if (st != JOURNAL_OK)
        fprintf(stderr, "open %s: %s\n", path, err);
    CHECK_EQ_INT(st, JOURNAL_OK);
    return j;
}

static long long sql_int(const char *path, const char *sql)
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

static bool base32_identity(const char *id)
{
    if (strlen(id) != 8)
        return false;
    for (int i = 0; i < 8; i++)
        if (!((id[i] >= 'A' && id[i] <= 'Z') || (id[i] >= '2' && id[i] <= '7')))
            return false;
    return true;
}

static void test_identity_and_claim(void)
{
    char a[4200], b[4200], id[9];
    path_in(a, sizeof a, "identity-a.db");
    path_in(b, sizeof b, "identity-b.db");
    struct journal *ja = open_at(a, JOURNAL_CHECK_FULL);
    struct journal *jb = open_at(b, JOURNAL_CHECK_FULL);
    if (!ja || !jb)
        return;
    CHECK(base32_identity(journal_identity(ja)));
    CHECK(base32_identity(journal_identity(jb)));
    CHECK(strcmp(journal_identity(ja), journal_identity(jb)) != 0); /* two journals, two ids */
    snprintf(id, sizeof id, "%s", journal_identity(ja));
    journal_close(jb);

    /* First use records the machine and keeps the identity. */
    bool renewed = true;
    CHECK_EQ_INT(journal_claim(ja, "machine-one", &renewed), JOURNAL_OK);
    CHECK(!renewed);
    CHECK_EQ_STR(journal_identity(ja), id);
    journal_close(ja);
    ja = open_at(a, JOURNAL_CHECK_FULL);
    if (!ja)
        return;
    CHECK_EQ_STR(journal_identity(ja), id); /* kept in the file */
    CHECK_EQ_INT(journal_claim(ja, "machine-one", &renewed), JOURNAL_OK);
    CHECK(!renewed);
    CHECK_EQ_STR(journal_identity(ja), id);
    uint32_t before = 0, after = 0;
    CHECK_EQ_INT(journal_next_order_seq(ja, &before), JOURNAL_OK);
    journal_close(ja);

    /* The same file on another machine (a disk image copied after use): a new identity,
     * said, kept, and the sequence goes on. */
    ja = open_at(a, JOURNAL_CHECK_FULL);
    if (!ja)
        return;
    CHECK_EQ_INT(journal_claim(ja, "machine-two", &renewed), JOURNAL_OK);
    CHECK(renewed);
    CHECK(base32_identity(journal_identity(ja)));
    CHECK(strcmp(journal_identity(ja), id) != 0);
    snprintf(id, sizeof id, "%s", journal_identity(ja));
    CHECK_EQ_INT(journal_next_order_seq(ja, &after), JOURNAL_OK);
    CHECK_EQ_INT(after, before + 1);
    journal_close(ja);
    ja = open_at(a, JOURNAL_CHECK_FULL);
    if (!ja)
        return;
    CHECK_EQ_STR(journal_identity(ja), id);
    CHECK_EQ_INT(journal_claim(ja, "machine-two", &renewed), JOURNAL_OK);
    CHECK(!renewed);
    CHECK_EQ_STR(journal_identity(ja), id);
    journal_close(ja);
    /* Both identities are on record, with the machines and why. */
    CHECK_EQ_INT(sql_int(a, "SELECT count(*) FROM identities"), 2);
    CHECK_EQ_INT(sql_int(a, "SELECT count(*) FROM identities WHERE machine = 'machine-one' "
                            "AND why = 'created'"),
                 1);
    CHECK_EQ_INT(sql_int(a, "SELECT count(*) FROM identities WHERE machine = 'machine-two' "
                            "AND why LIKE 'copied from another machine%'"),
                 1);
    CHECK_EQ_INT(sql_int(a, "SELECT count(*) FROM journal_meta WHERE machine = 'machine-two'"), 1);
}

static void test_refunds_by_key_and_order(void)
{
    char path[4200];
    path_in(path, sizeof path, "refunds.db");
    struct journal *j = open_at(path, JOURNAL_CHECK_FULL);
    if (!j)
        return;
    struct payment p = fixture_payment("T01-ABCDEFGH-000001", 1700000000000);
    p.amount_fen = 1000;
    p.state = PAY_PAID;
    CHECK_EQ_INT(journal_save(j, &p, "paid", "", 1700000000001), JOURNAL_OK);
    struct journal_refund r;
    CHECK_EQ_INT(journal_last_refund(j, p.order_no, &r), JOURNAL_NOT_FOUND);

    snprintf(p.refund_no, sizeof p.refund_no, "T01-ABCDEFGH-000001R1");
    snprintf(p.refund_key, sizeof p.refund_key, "till-7-key-1");
    p.refund_fen = 300;
    p.state = PAY_REFUNDING;
    CHECK_EQ_INT(journal_save(j, &p, "refund_requested", "", 1700000001000), JOURNAL_OK);
    CHECK_EQ_INT(journal_refund_by_key(j, "till-7-key-1", &r), JOURNAL_OK);
    CHECK_EQ_STR(r.refund_no, "T01-ABCDEFGH-000001R1");
    CHECK_EQ_STR(r.order_no, p.order_no);
    CHECK_EQ_STR(r.state, "REFUNDING");
    CHECK_EQ_INT(r.amount_fen, 300);
    CHECK_EQ_INT(r.at, 1700000001000);

    p.refunded_fen = 300;
    p.state = PAY_PAID;
    CHECK_EQ_INT(journal_save(j, &p, "refunded", "", 1700000002000), JOURNAL_OK);
    CHECK_EQ_INT(journal_refund_by_key(j, "till-7-key-1", &r), JOURNAL_OK);
    CHECK_EQ_STR(r.state, "REFUNDED");
    CHECK_EQ_INT(r.amount_fen, 300);
    CHECK_EQ_INT(r.at, 1700000002000);

    /* A second refund of the order, with its own key: the order's last one. */
    snprintf(p.refund_no, sizeof p.refund_no, "T01-ABCDEFGH-000001R2");
    snprintf(p.refund_key, sizeof p.refund_key, "till-7-key-2");
    p.refund_fen = 100;
    p.state = PAY_REFUNDING;
    CHECK_EQ_INT(journal_save(j, &p, "refund_requested", "", 1700000003000), JOURNAL_OK);
    CHECK_EQ_INT(journal_last_refund(j, p.order_no, &r), JOURNAL_OK);
    CHECK_EQ_STR(r.refund_no, "T01-ABCDEFGH-000001R2");
    CHECK_EQ_STR(r.state, "REFUNDING");
    p.state = PAY_PAID; /* it failed: refunded_fen did not grow */
    CHECK_EQ_INT(journal_save(j, &p, "refund_failed", "", 1700000004000), JOURNAL_OK);
    CHECK_EQ_INT(journal_last_refund(j, p.order_no, &r), JOURNAL_OK);
    CHECK_EQ_STR(r.state, "FAILED");

    /* A key already used for another refund is refused, and nothing of that save is kept. */
    snprintf(p.refund_no, sizeof p.refund_no, "T01-ABCDEFGH-000001R3");
    snprintf(p.refund_key, sizeof p.refund_key, "till-7-key-1");
    p.refund_fen = 50;
    p.state = PAY_REFUNDING;
    CHECK_EQ_INT(journal_save(j, &p, "refund_requested", "", 1700000005000), JOURNAL_EXISTS);
    CHECK(strstr(journal_last_error(j), "till-7-key-1") != NULL);
    struct payment back;
    CHECK_EQ_INT(journal_load(j, p.order_no, &back), JOURNAL_OK);
    CHECK_EQ_INT(back.state, PAY_PAID);
    CHECK_EQ_INT(journal_last_refund(j, p.order_no, &r), JOURNAL_OK);
    CHECK_EQ_STR(r.refund_no, "T01-ABCDEFGH-000001R2");

    /* No key is no key: refunds asked without one are many, and never found by "". */
    struct payment q = fixture_payment("T01-ABCDEFGH-000002", 1700000006000);
    q.amount_fen = 500;
    q.state = PAY_REFUNDING;
    snprintf(q.refund_no, sizeof q.refund_no, "T01-ABCDEFGH-000002R1");
    q.refund_fen = 100;
    CHECK_EQ_INT(journal_save(j, &q, "refund_requested", "", 1700000006001), JOURNAL_OK);
    snprintf(q.refund_no, sizeof q.refund_no, "T01-ABCDEFGH-000002R2");
    CHECK_EQ_INT(journal_save(j, &q, "refund_requested", "", 1700000006002), JOURNAL_OK);
    CHECK_EQ_INT(journal_refund_by_key(j, "", &r), JOURNAL_NOT_FOUND);
    CHECK_EQ_INT(journal_refund_by_key(j, "never-used", &r), JOURNAL_NOT_FOUND);
    CHECK_EQ_INT(journal_last_refund(j, "T01-NOSUCH-000001", &r), JOURNAL_NOT_FOUND);

    /* refunded_fen outside 0..amount_fen: refused by the journal itself. */
    struct payment over = fixture_payment("T01-ABCDEFGH-000003", 1700000007000);
    over.amount_fen = 1000;
    over.state = PAY_PAID;
    CHECK_EQ_INT(journal_save(j, &over, "paid", "", 1700000007001), JOURNAL_OK);
    over.refunded_fen = 1001;
    over.state = PAY_REFUNDED;
    CHECK_EQ_INT(journal_save(j, &over, "refunded", "", 1700000007002), JOURNAL_IO);
    over.refunded_fen = -1;
    over.state = PAY_PAID;
    CHECK_EQ_INT(journal_save(j, &over, "refunded", "", 1700000007003), JOURNAL_IO);
    CHECK_EQ_INT(journal_load(j, over.order_no, &back), JOURNAL_OK);
    CHECK_EQ_INT(back.refunded_fen, 0);
    over.refunded_fen = 1000;
    over.state = PAY_REFUNDED;
    CHECK_EQ_INT(journal_save(j, &over, "refunded", "", 1700000007004), JOURNAL_OK);

    /* A refund the gateway cannot finish: the payment is left for the merchant, and so is
     * its refund row (not "under way" for ever). */
    struct payment left = fixture_payment("T01-ABCDEFGH-000004", 1700000008000);
    left.amount_fen = 900;
    left.state = PAY_REFUNDING;
    snprintf(left.refund_no, sizeof left.refund_no, "T01-ABCDEFGH-000004R1");
    left.refund_fen = 900;
    CHECK_EQ_INT(journal_save(j, &left, "refund_requested", "", 1700000008001), JOURNAL_OK);
    left.state = PAY_REFERRED;
    CHECK_EQ_INT(journal_save(j, &left, "refund_abnormal", "", 1700000008002), JOURNAL_OK);
    CHECK_EQ_INT(journal_last_refund(j, left.order_no, &r), JOURNAL_OK);
    CHECK_EQ_STR(r.state, "REFERRED");
    CHECK_EQ_INT(r.at, 1700000008002);
    journal_close(j);
}

/* ---- the lock --------------------------------------------------------------------------- */

static void test_lock_on_the_inode(void)
{
    char path[4200], sym[4200], hard[4200], err[512];
    path_in(path, sizeof path, "locked.db");
    path_in(sym, sizeof sym, "locked-symlink.db");
    path_in(hard, sizeof hard, "locked-hardlink.db");
    CHECK_EQ_INT(journal_create(path, false, err, sizeof err), JOURNAL_OK);
    CHECK_EQ_INT(symlink(path, sym), 0);
    CHECK_EQ_INT(link(path, hard), 0);

    int fd = -1, other = -1;
    CHECK_EQ_INT(journal_lock_take(path, &fd, err, sizeof err), JOURNAL_LOCK_OK);
    /* flock belongs to the open file description: a second take in this very process
     * conflicts just as another process's would. */
    CHECK_EQ_INT(journal_lock_take(path, &other, err, sizeof err), JOURNAL_LOCK_HELD);
    CHECK_EQ_INT(journal_lock_take(sym, &other, err, sizeof err), JOURNAL_LOCK_HELD);
    CHECK(strstr(err, sym) != NULL);
    CHECK_EQ_INT(journal_lock_take(hard, &other, err, sizeof err), JOURNAL_LOCK_HELD);
    CHECK_EQ_INT(other, -1);

    /* SQLite opening and closing the same file (its own fcntl locks, its own descriptors)
     * leaves the flock in place. */
    struct journal *j = open_at(path, JOURNAL_CHECK_FULL);
    journal_close(j);
    CHECK_EQ_INT(journal_lock_take(hard, &other, err, sizeof err), JOURNAL_LOCK_HELD);

    journal_lock_release(fd);
    CHECK_EQ_INT(journal_lock_take(sym, &other, err, sizeof err), JOURNAL_LOCK_OK);
    journal_lock_release(other);

    /* No lock to be had: no file, or not a regular file. */
    char missing[4200];
    path_in(missing, sizeof missing, "no-such.db");
    CHECK_EQ_INT(journal_lock_take(missing, &other, err, sizeof err), JOURNAL_LOCK_UNAVAILABLE);
    CHECK(strstr(err, missing) != NULL);
    CHECK_EQ_INT(journal_lock_take(dir, &other, err, sizeof err), JOURNAL_LOCK_UNAVAILABLE);
    CHECK(access(missing, F_OK) != 0); /* and nothing was made there */
    CHECK_EQ_INT(journal_lock_take("", &other, err, sizeof err), JOURNAL_LOCK_UNAVAILABLE);
}

/* ---- the integrity check ---------------------------------------------------------------- */

/* A journal of `payments` paid payments (three events each), bigger than the start-up check
 * budget when payments is large; returns its page count. */
static int make_history(const char *path, int payments)
{
    struct journal *j = open_at(path, JOURNAL_CHECK_FULL);
    if (!j)
        return 0;
    char sql[1400];
    snprintf(sql, sizeof sql,
             "BEGIN;"
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) "
             "INSERT INTO payments(order_no, channel, amount_fen, state, code_last4, created_at,"
             " updated_at, trade_no) SELECT printf('T01-ABCDEFGH-%%07d', i), 'wechat',"
             " 100 + i, 'PAID', '1234', 1600000000000 + i, 1600000000000 + i,"
             " printf('42000%%025d', i) FROM n;"
             "INSERT INTO events(order_no, id, at, state, name, detail)"
             " SELECT order_no, 1, created_at, 'PAID', 'paid', 'paid at the counter' FROM payments;"
             "COMMIT; PRAGMA wal_checkpoint(TRUNCATE);",
             payments);
    CHECK_EQ_INT(sqlite3_exec(journal_sqlite(j), sql, NULL, NULL, NULL), SQLITE_OK);
    int pages = (int)(sql_int(path, "PRAGMA page_count"));
    journal_close(j);
    return pages;
}

static void scribble_page(const char *path, int page)
{
    size_t len = 0;
    unsigned char *whole = fixture_read(path, &len);
    if (!whole)
        return;
    for (size_t i = (size_t)(page - 1) * 4096; i < (size_t)page * 4096 && i < len; i++)
        whole[i] = (unsigned char)(i * 7 + 13);
    CHECK(fixture_write(path, whole, len));
    free(whole);
}

/* Polls the background check until it is done (at most 30 s). */
static enum journal_status verdict_of(struct journal *j)
{
    bool done = false;
    enum journal_status st = JOURNAL_OK;
    for (int i = 0; i < 3000 && !done; i++) {
        st = journal_check_poll(j, &done);
        if (!done)
            nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
    }
    CHECK(done);
    return st;
}

static void test_background_check(void)
{
    char big[4200], small[4200];
    path_in(big, sizeof big, "big.db");
    path_in(small, sizeof small, "small.db");
    int pages = make_history(big, 20000);
    CHECK(pages > JOURNAL_FOREGROUND_CHECK_PAGES);

    /* Sound: the open returns before the check, which then passes; writes go on. */
    struct journal *j = open_at(big, JOURNAL_CHECK_AT_START);
    if (!j)
        return;
    bool done = true;
    struct payment p = fixture_payment("T01-ABCDEFGH-9000001", 1700000000000);
    CHECK_EQ_INT(journal_check_poll(j, &done), JOURNAL_OK);
    CHECK_EQ_INT(verdict_of(j), JOURNAL_OK);
    CHECK_EQ_INT(journal_save(j, &p, "created", "", 1), JOURNAL_OK);
    journal_close(j);

    /* A page in the middle damaged: the start-up checks pass, the background check finds
     * it, and from then on nothing is written - the page stays as it was. */
    int middle = pages / 2;
    scribble_page(big, middle);
    size_t len = 0;
    unsigned char *before = fixture_read(big, &len);
    j = open_at(big, JOURNAL_CHECK_AT_START);
    if (!j) {
        free(before);
        return;
    }
    CHECK_EQ_INT(verdict_of(j), JOURNAL_CORRUPT);
    CHECK(strstr(journal_last_error(j), "integrity check failed") != NULL);
    uint32_t seq = 0;
    bool renewed = false;
    CHECK_EQ_INT(journal_next_order_seq(j, &seq), JOURNAL_CORRUPT);
    CHECK_EQ_INT(journal_save(j, &p, "again", "", 2), JOURNAL_CORRUPT);
    CHECK_EQ_INT(journal_claim(j, "machine-x", &renewed), JOURNAL_CORRUPT);
    journal_close(j);
    CHECK(before && fixture_same(big, before, len));

    /* The verdict stops writes even if nobody asks for it. */
    j = open_at(big, JOURNAL_CHECK_AT_START);
    if (j) {
        enum journal_status st = JOURNAL_OK;
        for (int i = 0; i < 3000 && st == JOURNAL_OK; i++) {
            nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
            st = journal_next_order_seq(j, &seq);
        }
        CHECK_EQ_INT(st, JOURNAL_CORRUPT);
        journal_close(j);
    }
    /* Only the sequence row may have changed before the verdict; never the damaged page. */
    size_t now_len = 0;
    unsigned char *now = fixture_read(big, &now_len);
    CHECK(before && now && now_len == len &&
          memcmp(now + (size_t)(middle - 1) * 4096, before + (size_t)(middle - 1) * 4096, 4096) ==
              0);
    free(now);
    free(before);

    /* A journal small enough for the start-up budget is checked in full before the open
     * returns: refused at once, nothing written. */
    pages = make_history(small, 300);
    CHECK(pages <= JOURNAL_FOREGROUND_CHECK_PAGES);
    /* A page of history (the events' last leaves): the schema's pages come first, and a
     * damaged schema page is refused earlier, by the start-up checks. */
    scribble_page(small, pages - 1);
    before = fixture_read(small, &len);
    char err[1024] = "";
    CHECK_EQ_INT(journal_open_checked(&j, small, JOURNAL_CHECK_AT_START, err, sizeof err),
                 JOURNAL_CORRUPT);
    CHECK(strstr(err, "integrity check") != NULL);
    CHECK(strstr(err, "untouched") == NULL);
    CHECK(before && fixture_same(small, before, len));
    free(before);

    /* Without a background check, the poll is done at once. */
    char plain[4200];
    path_in(plain, sizeof plain, "plain.db");
    j = open_at(plain, JOURNAL_CHECK_STARTUP);
    if (j) {
        done = false;
        CHECK_EQ_INT(journal_check_poll(j, &done), JOURNAL_OK);
        CHECK(done);
        journal_close(j);
    }
}

/* The status words never claim a damaged file was left untouched: it may have been written
 * before the damage was known. */
static void test_reason_wording(void)
{
    CHECK(strstr(journal_status_reason(JOURNAL_CORRUPT), "untouched") == NULL);
    CHECK(strstr(journal_status_reason(JOURNAL_CORRUPT), "damaged") != NULL);
}

/* ---- the machine ------------------------------------------------------------------------ */

static bool hex64(const char *s)
{
    if (strlen(s) != 64)
        return false;
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

static void test_machine_fingerprint(void)
{
    char a[65], b[65], err[256];
    unsetenv("POSTERM_MACHINE_ID");
    CHECK(machine_fingerprint(a, err, sizeof err));
    if (err[0])
        fprintf(stderr, "  (this machine) %s\n", err);
    CHECK(hex64(a));
    CHECK(machine_fingerprint(b, err, sizeof err));
    CHECK_EQ_STR(a, b); /* stable */
#ifdef POSTERM_CRASH_POINTS
    /* Test builds play other machines. */
    setenv("POSTERM_MACHINE_ID", "terminal-one", 1);
    CHECK(machine_fingerprint(b, err, sizeof err));
    CHECK(hex64(b));
    CHECK(strcmp(a, b) != 0);
    char c[65];
    setenv("POSTERM_MACHINE_ID", "terminal-two", 1);
    CHECK(machine_fingerprint(c, err, sizeof err));
    CHECK(strcmp(b, c) != 0);
    unsetenv("POSTERM_MACHINE_ID");
#endif
}

int main(void)
{
    if (!fixture_dir(dir, sizeof dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_identity_and_claim();
    test_refunds_by_key_and_order();
    test_lock_on_the_inode();
    test_background_check();
    test_reason_wording();
    test_machine_fingerprint();
    fixture_cleanup(dir);
    return check_done();
}
