/*
 * test_journal_files.c - the journal refuses files it must not write, and leaves them byte
 * for byte as they were: random bytes, a truncated file, an overwritten header, a damaged
 * page, another program's database, a newer schema. Read-only files and folders are named as
 * such. A file of every earlier schema version is migrated with its data intact.
 */
#include <fcntl.h>
#include <grp.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../check.h"
#include "fixture.h"
#include "journal.h"
#include "reports.h"

static char dir[4096];

static void path_in(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", dir, name);
}

/* Opens path expecting `want`; the error must name the file; the file must be unchanged. */
static void check_refused(const char *path, enum journal_status want, const char *why)
{
    size_t len = 0;
    unsigned char *before = fixture_read(path, &len);
    CHECK(before != NULL);
    struct journal *j = NULL;
    char err[1024] = "";
    enum journal_status st = journal_open(&j, path, err, sizeof err);
    if (st != want) {
        fprintf(stderr, "%s: got %s (%s)\n", why, journal_status_reason(st), err);
        journal_close(j);
        j = NULL;
    }
    CHECK_EQ_INT(st, want);
    CHECK(j == NULL);
    CHECK(strstr(err, path) != NULL);
    fprintf(stderr, "  (as expected, %s) %s\n", why, err);
    CHECK(fixture_same(path, before, len));
    /* A second try gives the same answer: the first one changed nothing. */
    CHECK_EQ_INT(journal_open(&j, path, err, sizeof err), want);
    CHECK(fixture_same(path, before, len));
    free(before);
}

static int count_payment(void *ctx, const struct payment *p)
{
    (void)p;
    (*(int *)ctx)++;
    return 0;
}

/* Makes a journal with enough payments to span many pages, closed cleanly. */
static void make_journal(const char *path, int payments)
{
    struct journal *j = NULL;
    char err[1024];
    CHECK_EQ_INT(journal_open(&j, path, err, sizeof err), JOURNAL_OK);
    if (!j)
        return;
    for (int i = 0; i < payments; i++) {
        char no[ORDER_NO_MAX + 1];
        snprintf(no, sizeof no, "T01-20261123-%06d", i + 1);
        struct payment p = fixture_payment(no, 1700000000000 + i);
        p.state = PAY_PAID;
        CHECK_EQ_INT(
            journal_save(j, &p, "paid", "a detail long enough to fill some pages", p.created_at),
            JOURNAL_OK);
    }
    journal_close(j);
}

static void test_random_bytes(void)
{
    char path[4200];
    path_in(path, sizeof path, "random.db");
    unsigned char junk[8192];
    unsigned x = 12345;
    for (size_t i = 0; i < sizeof junk; i++) {
        x = x * 1103515245u + 12345u;
        junk[i] = (unsigned char)(x >> 16);
    }
    CHECK(fixture_write(path, junk, sizeof junk));
    check_refused(path, JOURNAL_CORRUPT, "random bytes");

    /* Shorter than a database header. */
    path_in(path, sizeof path, "short.db");
    CHECK(fixture_write(path, "posterm", 7));
    check_refused(path, JOURNAL_CORRUPT, "7 bytes");
}

static void test_truncated(void)
{
    char path[4200];
    path_in(path, sizeof path, "truncated.db");
    make_journal(path, 300);
    size_t len = 0;
    unsigned char *whole = fixture_read(path, &len);
    CHECK(whole != NULL && len > 8 * 4096);
    if (!whole)
        return;
    CHECK(fixture_write(path, whole, len / 2));
    check_refused(path, JOURNAL_CORRUPT, "truncated to half");
    free(whole);
}

static void test_overwritten_header(void)
{
    char path[4200];
    path_in(path, sizeof path, "header.db");
    make_journal(path, 10);
    size_t len = 0;
    unsigned char *whole = fixture_read(path, &len);
    if (!whole)
        return;
    memset(whole, 'x', 100);
    CHECK(fixture_write(path, whole, len));
    check_refused(path, JOURNAL_CORRUPT, "header overwritten");
    free(whole);
}

static void test_damaged_page(void)
{
    char path[4200];
    path_in(path, sizeof path, "page.db");
    make_journal(path, 300);
    size_t len = 0;
    unsigned char *whole = fixture_read(path, &len);
    if (!whole)
        return;
    /* Scribble over pages 2 to 4 whole (b-tree pages in use, not the header page). */
    for (size_t i = 4096; i < 4 * 4096 && i < len; i++)
        whole[i] = (unsigned char)(i * 7);
    CHECK(fixture_write(path, whole, len));
    check_refused(path, JOURNAL_CORRUPT, "damaged page");

    /* The start-up check does not read history, so it opens; recovery, which does read the
     * damaged pages, and the later full check both say so, and nothing is written. */
    struct journal *j = NULL;
    char err[1024] = "";
    CHECK_EQ_INT(journal_open_checked(&j, path, JOURNAL_CHECK_STARTUP, err, sizeof err),
                 JOURNAL_OK);
    if (j) {
        int count = 0;
        CHECK_EQ_INT(journal_each_unresolved(j, count_payment, &count), JOURNAL_CORRUPT);
        CHECK_EQ_INT(journal_check(j), JOURNAL_CORRUPT);
        CHECK(strstr(journal_last_error(j), "integrity") != NULL);
        struct payment p = fixture_payment("T01-20261123-999999", 1700000000000);
        CHECK_EQ_INT(journal_save(j, &p, "create", "", 1), JOURNAL_CORRUPT);
        uint32_t seq = 0;
        CHECK_EQ_INT(journal_next_order_seq(j, &seq), JOURNAL_CORRUPT);
        journal_close(j);
    }
    CHECK(fixture_same(path, whole, len));
    free(whole);
}

static void test_startup_check(void)
{
    /* A sound journal passes both checks, and the start-up one still refuses what is not a
     * journal at all. */
    char path[4200];
    path_in(path, sizeof path, "sound.db");
    make_journal(path, 50);
    struct journal *j = NULL;
    char err[1024] = "";
    CHECK_EQ_INT(journal_open_checked(&j, path, JOURNAL_CHECK_STARTUP, err, sizeof err),
                 JOURNAL_OK);
    if (j) {
        CHECK_EQ_INT(journal_check(j), JOURNAL_OK);
        struct payment p = fixture_payment("T01-20261123-999999", 1700000000000);
        CHECK_EQ_INT(journal_save(j, &p, "create", "", 1), JOURNAL_OK);
        journal_close(j);
    }
    path_in(path, sizeof path, "random.db");
    CHECK_EQ_INT(journal_open_checked(&j, path, JOURNAL_CHECK_STARTUP, err, sizeof err),
                 JOURNAL_CORRUPT);
    path_in(path, sizeof path, "newer.db");
    CHECK_EQ_INT(journal_open_checked(&j, path, JOURNAL_CHECK_STARTUP, err, sizeof err),
                 JOURNAL_TOO_NEW);
    /* Truncation too: the header's page count no longer fits the file (SQLite checks it). */
    path_in(path, sizeof path, "truncated.db");
    CHECK_EQ_INT(journal_open_checked(&j, path, JOURNAL_CHECK_STARTUP, err, sizeof err),
                 JOURNAL_CORRUPT);
    path_in(path, sizeof path, "header.db");
    CHECK_EQ_INT(journal_open_checked(&j, path, JOURNAL_CHECK_STARTUP, err, sizeof err),
                 JOURNAL_CORRUPT);
    path_in(path, sizeof path, "other.db");
    CHECK_EQ_INT(journal_open_checked(&j, path, JOURNAL_CHECK_STARTUP, err, sizeof err),
                 JOURNAL_CORRUPT);
    path_in(path, sizeof path, "fresh.db");
    CHECK_EQ_INT(journal_open_checked(&j, path, JOURNAL_CHECK_STARTUP, err, sizeof err),
                 JOURNAL_OK);
    journal_close(j);
}

static void test_not_a_journal(void)
{
    char path[4200];
    path_in(path, sizeof path, "other.db");
    sqlite3 *db = NULL;
    CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(db,
                              "CREATE TABLE photos(id INTEGER PRIMARY KEY, name TEXT);"
                              "INSERT INTO photos(name) VALUES ('cat');",
                              NULL, NULL, NULL),
                 SQLITE_OK);
    sqlite3_close(db);
    check_refused(path, JOURNAL_CORRUPT, "another program's database");

    /* Another program's database that uses user_version itself. */
    path_in(path, sizeof path, "other2.db");
    CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(db, "PRAGMA user_version = 1; CREATE TABLE t(x);", NULL, NULL, NULL),
                 SQLITE_OK);
    sqlite3_close(db);
    check_refused(path, JOURNAL_CORRUPT, "another program's versioned database");
}

static void test_too_new(void)
{
    char path[4200];
    path_in(path, sizeof path, "newer.db");
    make_journal(path, 3);
    sqlite3 *db = NULL;
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", journal_schema_version() + 1);
    CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    check_refused(path, JOURNAL_TOO_NEW, "newer schema");
}

/* A negative schema version (a damaged header; the journal fuzzer found one that indexed the
 * migrations out of bounds) is refused as damaged, the file left as it was. */
static void test_negative_version(void)
{
    char path[4200];
    path_in(path, sizeof path, "negative.db");
    make_journal(path, 3);
    sqlite3 *db = NULL;
    CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(db, "PRAGMA user_version = -2147483647", NULL, NULL, NULL),
                 SQLITE_OK);
    sqlite3_close(db);
    check_refused(path, JOURNAL_CORRUPT, "schema version is negative");
}

/* Runs sql on path in a child that then dies without closing, as a crash would: the
 * change stays in the -wal file, not yet checkpointed into the database. */
static void leave_in_wal(const char *path, const char *sql)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        sqlite3 *db = NULL;
        int ok = sqlite3_open(path, &db) == SQLITE_OK &&
                 sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL) == SQLITE_OK &&
                 sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
          WEXITSTATUS(status) == 0);
}

/* A refused file with a leftover WAL: neither the database nor the WAL is changed (closing
 * would normally checkpoint the one into the other). */
static void test_refused_with_wal(void)
{
    char path[4200], wal[4300];
    path_in(path, sizeof path, "newer-wal.db");
    make_journal(path, 3);
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", journal_schema_version() + 1);
    leave_in_wal(path, sql);
    snprintf(wal, sizeof wal, "%s-wal", path);
    size_t wal_len = 0;
    unsigned char *wal_before = fixture_read(wal, &wal_len);
    CHECK(wal_before != NULL && wal_len > 0);
    check_refused(path, JOURNAL_TOO_NEW, "newer schema, still in the WAL");
    CHECK(wal_before && fixture_same(wal, wal_before, wal_len));
    free(wal_before);

    path_in(path, sizeof path, "other-wal.db");
    leave_in_wal(path, "CREATE TABLE photos(id INTEGER PRIMARY KEY, name TEXT);"
                       "INSERT INTO photos(name) VALUES ('cat');");
    snprintf(wal, sizeof wal, "%s-wal", path);
    wal_before = fixture_read(wal, &wal_len);
    CHECK(wal_before != NULL && wal_len > 0);
    check_refused(path, JOURNAL_CORRUPT, "another program's database, in its WAL");
    CHECK(wal_before && fixture_same(wal, wal_before, wal_len));
    free(wal_before);
}

/* An installed journal may be a symlink to the data partition; a dangling symlink is not
 * followed to create a file somewhere else. */
static void test_symlinks(void)
{
    char real[4200], link[4200], target[4200];
    path_in(real, sizeof real, "real.db");
    path_in(link, sizeof link, "link.db");
    make_journal(real, 1);
    CHECK_EQ_INT(symlink(real, link), 0);
    struct journal *j = NULL;
    char err[1024] = "";
    CHECK_EQ_INT(journal_open(&j, link, err, sizeof err), JOURNAL_OK);
    if (j) {
        struct payment p;
        CHECK_EQ_INT(journal_load(j, "T01-20261123-000001", &p), JOURNAL_OK);
        journal_close(j);
    }

    path_in(link, sizeof link, "dangling.db");
    path_in(target, sizeof target, "elsewhere.db");
    CHECK_EQ_INT(symlink(target, link), 0);
    CHECK(journal_open(&j, link, err, sizeof err) != JOURNAL_OK);
    CHECK(j == NULL);
    CHECK(access(target, F_OK) != 0);
}

static void test_empty_file_and_missing_folder(void)
{
    char path[4200];
    path_in(path, sizeof path, "empty.db");
    CHECK(fixture_write(path, "", 0));
    struct journal *j = NULL;
    char err[1024] = "";
    /* An existing empty file is no journal: refused, said, and never replaced on the way. */
    check_refused(path, JOURNAL_CORRUPT, "an empty file");
    CHECK_EQ_INT(journal_open(&j, path, err, sizeof err), JOURNAL_CORRUPT);
    CHECK(strstr(err, "empty") != NULL);
    CHECK(strstr(err, "--init-journal") != NULL);
    CHECK_EQ_INT(journal_create(path, false, err, sizeof err), JOURNAL_EXISTS);
    /* Only asked explicitly (posterm --init-journal) does a new journal take its place. */
    CHECK_EQ_INT(journal_create(path, true, err, sizeof err), JOURNAL_OK);
    CHECK_EQ_INT(journal_open(&j, path, err, sizeof err), JOURNAL_OK);
    if (j) {
        struct payment p = fixture_payment("T01-20261123-000001", 1700000000000);
        CHECK_EQ_INT(journal_save(j, &p, "create", "", 1), JOURNAL_OK);
        journal_close(j);
    }
    /* A journal with history is never replaced, asked or not. */
    size_t len = 0;
    unsigned char *before = fixture_read(path, &len);
    CHECK_EQ_INT(journal_create(path, true, err, sizeof err), JOURNAL_EXISTS);
    CHECK(before && fixture_same(path, before, len));
    free(before);
    /* A new journal is built aside and linked into place: nothing is left beside it. */
    path_in(path, sizeof path, "made.db");
    CHECK_EQ_INT(journal_create(path, false, err, sizeof err), JOURNAL_OK);
    CHECK_EQ_INT(journal_create(path, false, err, sizeof err), JOURNAL_EXISTS);
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -q 'made.db.new'", dir);
    CHECK(system(cmd) != 0);

    path_in(path, sizeof path, "no-such-folder/journal.db");
    CHECK_EQ_INT(journal_open(&j, path, err, sizeof err), JOURNAL_IO);
    CHECK(strstr(err, path) != NULL);
    CHECK(j == NULL);
}

/* ---- read-only ------------------------------------------------------------------------- */

/* Runs fn in a child without root's power to ignore permissions (as nobody when we are
 * root), and returns whether all its checks passed. */
static bool run_unprivileged(void (*fn)(void))
{
    int failed_before = check_failed; /* the child inherits our counts */
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        if (geteuid() == 0 &&
            (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)) {
            perror("dropping root");
            _exit(2);
        }
        fn();
        _exit(check_failed == failed_before ? 0 : 1);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid)
        return false;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static char ro_file[4300], ro_folder_file[4300], ro_folder_new[4300];

static void expect_readonly(const char *path)
{
    struct journal *j = NULL;
    char err[1024] = "";
    CHECK_EQ_INT(journal_open(&j, path, err, sizeof err), JOURNAL_READONLY);
    CHECK(j == NULL);
    CHECK(strstr(err, path) != NULL);
    fprintf(stderr, "  (as expected) %s\n", err);
}

static void readonly_cases(void)
{
    expect_readonly(ro_file);
    expect_readonly(ro_folder_file);
    expect_readonly(ro_folder_new);
}

static void test_readonly(void)
{
    char folder[4200];
    /* Others (nobody) may pass through our folder, nothing more. */
    CHECK_EQ_INT(chmod(dir, 0711), 0);

    /* A read-only file in a folder anyone may write. */
    path_in(folder, sizeof folder, "rofile");
    CHECK_EQ_INT(mkdir(folder, 0777), 0);
    CHECK_EQ_INT(chmod(folder, 0777), 0);
    snprintf(ro_file, sizeof ro_file, "%s/journal.db", folder);
    make_journal(ro_file, 2);
    CHECK_EQ_INT(chmod(ro_file, 0444), 0);

    /* A writable file in a read-only folder (no room for -wal and -shm), and a new file there. */
    path_in(folder, sizeof folder, "rofolder");
    CHECK_EQ_INT(mkdir(folder, 0755), 0);
    snprintf(ro_folder_file, sizeof ro_folder_file, "%s/journal.db", folder);
    make_journal(ro_folder_file, 2);
    CHECK_EQ_INT(chmod(ro_folder_file, 0666), 0);
    CHECK_EQ_INT(chmod(folder, 0555), 0);
    snprintf(ro_folder_new, sizeof ro_folder_new, "%s/new.db", folder);

    size_t len1 = 0, len2 = 0;
    unsigned char *before1 = fixture_read(ro_file, &len1);
    unsigned char *before2 = fixture_read(ro_folder_file, &len2);
    CHECK(run_unprivileged(readonly_cases));
    CHECK(fixture_same(ro_file, before1, len1));
    CHECK(fixture_same(ro_folder_file, before2, len2));
    CHECK(access(ro_folder_new, F_OK) != 0);
    free(before1);
    free(before2);
    CHECK_EQ_INT(chmod(folder, 0755), 0);
}

/* ---- migrations ------------------------------------------------------------------------ */

/* Schema v1 exactly as the first release wrote it (journal.c migrations[0]). */
static const char schema_v1[] =
    "PRAGMA application_id = 1347638349;"
    "CREATE TABLE payments ("
    " order_no TEXT PRIMARY KEY NOT NULL CHECK (length(order_no) BETWEEN 1 AND 32),"
    " channel TEXT NOT NULL CHECK (channel = 'none' OR channel = 'wechat' OR channel = 'alipay'),"
    " amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),"
    " state TEXT NOT NULL CHECK (state = 'NEW' OR state = 'PAYING' OR state = 'QUERYING' OR"
    "  state = 'CANCELLING' OR state = 'PAID' OR state = 'FAILED' OR state = 'CANCELLED' OR"
    "  state = 'REFUNDING' OR state = 'REFUNDED'),"
    " auth_code TEXT CHECK (auth_code IS NULL OR"
    "  state = 'NEW' OR state = 'PAYING' OR state = 'QUERYING' OR state = 'CANCELLING' OR"
    "  state = 'REFUNDING'),"
    " code_last4 TEXT NOT NULL DEFAULT '' CHECK (length(code_last4) <= 4),"
    " abort_requested INTEGER NOT NULL DEFAULT 0,"
    " cancel_refunded INTEGER NOT NULL DEFAULT 0,"
    " created_at INTEGER NOT NULL,"
    " pay_sent_at INTEGER NOT NULL DEFAULT 0,"
    " updated_at INTEGER NOT NULL,"
    " queries INTEGER NOT NULL DEFAULT 0,"
    " cancels INTEGER NOT NULL DEFAULT 0,"
    " trade_no TEXT,"
    " last_error TEXT,"
    " refunded_fen INTEGER NOT NULL DEFAULT 0,"
    " refund_no TEXT,"
    " refund_fen INTEGER NOT NULL DEFAULT 0"
    ") WITHOUT ROWID;"
    "CREATE INDEX payments_unresolved ON payments(created_at) WHERE"
    " (state = 'NEW' OR state = 'PAYING' OR state = 'QUERYING' OR state = 'CANCELLING' OR"
    " state = 'REFUNDING');"
    "CREATE TABLE events ("
    " order_no TEXT NOT NULL,"
    " id INTEGER NOT NULL,"
    " at INTEGER NOT NULL,"
    " state TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " detail TEXT NOT NULL DEFAULT '',"
    " PRIMARY KEY (order_no, id)"
    ") WITHOUT ROWID;"
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
    " BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
    " BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
    "CREATE TABLE order_seq (day INTEGER PRIMARY KEY, last INTEGER NOT NULL);"
    "PRAGMA user_version = 1;";

/* What a v1 posterm had journaled: a partly refunded sale, a refund in flight, a payment
 * still being queried (with its code), their events, and the day's sequence. */
static const char data_v1[] =
    "PRAGMA journal_mode = WAL;"
    "INSERT INTO payments(order_no, channel, amount_fen, state, auth_code, code_last4,"
    " created_at, pay_sent_at, updated_at, queries, trade_no, refunded_fen, refund_no, refund_fen)"
    " VALUES ('T01-20261120-000001', 'wechat', 5000, 'PAID', NULL, '1111',"
    " 1700000000000, 1700000000100, 1700000000900, 2, '4200000001', 1500, 'T01-20261120-000001R1', "
    "1500);"
    "INSERT INTO payments(order_no, channel, amount_fen, state, auth_code, code_last4,"
    " created_at, pay_sent_at, updated_at, refund_no, refund_fen)"
    " VALUES ('T01-20261120-000002', 'alipay', 800, 'REFUNDING', NULL, '2222',"
    " 1700000001000, 1700000001100, 1700000001900, 'T01-20261120-000002R1', 800);"
    "INSERT INTO payments(order_no, channel, amount_fen, state, auth_code, code_last4,"
    " created_at, pay_sent_at, updated_at, queries, last_error)"
    " VALUES ('T01-20261120-000003', 'wechat', 99, 'QUERYING', '134567890123453333', '3333',"
    " 1700000002000, 1700000002100, 1700000002900, 1, 'no answer from the gateway: timeout');"
    "INSERT INTO events(order_no, id, at, state, name, detail) VALUES"
    " ('T01-20261120-000001', 1, 1700000000000, 'NEW', 'create', ''),"
    " ('T01-20261120-000001', 2, 1700000000900, 'PAID', 'paid', ''),"
    " ('T01-20261120-000003', 1, 1700000002100, 'PAYING', 'pay_intent', '');"
    "INSERT INTO order_seq(day, last) VALUES (20261120, 3);";

static void test_migrate_v1(void)
{
    char path[4200];
    path_in(path, sizeof path, "v1.db");
    int fd = open(path, O_CREAT | O_RDWR, 0600);
    CHECK(fd >= 0);
    if (fd >= 0)
        close(fd);
    sqlite3 *db = NULL;
    CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(db, schema_v1, NULL, NULL, NULL), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(db, data_v1, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    struct journal *j = NULL;
    char err[1024] = "";
    CHECK_EQ_INT(journal_open(&j, path, err, sizeof err), JOURNAL_OK);
    if (!j) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    struct payment p;
    CHECK_EQ_INT(journal_load(j, "T01-20261120-000001", &p), JOURNAL_OK);
    CHECK_EQ_INT(p.state, PAY_PAID);
    CHECK_EQ_INT(p.amount_fen, 5000);
    CHECK_EQ_INT(p.refunded_fen, 1500);
    CHECK_EQ_INT(p.last_cause, PAY_CAUSE_NONE);
    CHECK_EQ_STR(p.trade_no, "4200000001");
    CHECK_EQ_INT(journal_load(j, "T01-20261120-000003", &p), JOURNAL_OK);
    CHECK_EQ_STR(p.auth_code, ""); /* v4 wiped every stored code */
    CHECK_EQ_STR(p.code_last4, "3333");
    /* ...and its bytes are nowhere: not in the file, not in the WAL (v1's data went there). */
    for (int f = 0; f < 2; f++) {
        char name[4300];
        snprintf(name, sizeof name, "%s%s", path, f ? "-wal" : "");
        size_t len = 0;
        unsigned char *bytes = fixture_read(name, &len);
        for (size_t at = 0; bytes && at + 14 <= len; at++)
            CHECK(memcmp(bytes + at, "13456789012345", 14) != 0);
        free(bytes);
    }
    /* v3 cannot know what caused v1's English reason: "other" keeps the words shown. */
    CHECK_EQ_STR(p.last_error, "no answer from the gateway: timeout");
    CHECK_EQ_INT(p.last_cause, PAY_CAUSE_OTHER);
    /* It goes on where v1 left it: its next event follows the one v1 journaled. */
    p.state = PAY_PAID;
    CHECK_EQ_INT(journal_save(j, &p, "paid", "", 1700000003000), JOURNAL_OK);
    CHECK_EQ_INT(journal_load(j, "T01-20261120-000003", &p), JOURNAL_OK);
    CHECK_EQ_STR(p.auth_code, "");
    int count = 0;
    CHECK_EQ_INT(journal_count_unresolved(j, &count), JOURNAL_OK);
    CHECK_EQ_INT(count, 1);
    uint32_t seq = 0;
    CHECK_EQ_INT(journal_next_order_seq(j, &seq), JOURNAL_OK);
    CHECK_EQ_INT(seq, 4); /* v4: one sequence, above the largest per-day number */
    CHECK_EQ_INT(strlen(journal_identity(j)), 8);

    /* v2's refunds ledger was rebuilt from what v1 knew: the partial refund of order 1
     * counts, the refund in flight of order 2 finishes into the ledger. */
    struct report_day day;
    CHECK_EQ_INT(report_totals(j, 0, 1800000000000, &day), JOURNAL_OK);
    CHECK_EQ_INT(day.channel[CHANNEL_WECHAT].refunded_fen, 1500);
    CHECK_EQ_INT(day.all.refunded_fen, 1500);
    CHECK_EQ_INT(journal_load(j, "T01-20261120-000002", &p), JOURNAL_OK);
    p.state = PAY_REFUNDED;
    p.refunded_fen = 800;
    p.updated_at = 1700000005000;
    CHECK_EQ_INT(journal_save(j, &p, "refunded", "", 1700000005000), JOURNAL_OK);
    CHECK_EQ_INT(report_totals(j, 0, 1800000000000, &day), JOURNAL_OK);
    CHECK_EQ_INT(day.channel[CHANNEL_ALIPAY].refunded_fen, 800);
    CHECK_EQ_INT(day.all.refunded_fen, 2300);
    journal_close(j);

    CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    CHECK_EQ_INT(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_step(st), SQLITE_ROW);
    CHECK_EQ_INT(sqlite3_column_int(st, 0), journal_schema_version());
    sqlite3_finalize(st);
    CHECK_EQ_INT(sqlite3_prepare_v2(db,
                                    "SELECT count(*), max(id) FROM events "
                                    "WHERE order_no = 'T01-20261120-000003'",
                                    -1, &st, NULL),
                 SQLITE_OK);
    CHECK_EQ_INT(sqlite3_step(st), SQLITE_ROW);
    CHECK_EQ_INT(sqlite3_column_int(st, 0), 2);
    CHECK_EQ_INT(sqlite3_column_int(st, 1), 2);
    sqlite3_finalize(st);
    CHECK_EQ_INT(sqlite3_prepare_v2(db, "SELECT count(*) FROM events", -1, &st, NULL), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_step(st), SQLITE_ROW);
    CHECK_EQ_INT(sqlite3_column_int(st, 0), 5);
    sqlite3_finalize(st);
    sqlite3_close(db);
    CHECK(journal_schema_version() >= 3);
}

/* A v1 file with a refund larger than its sale (never written by posterm, but possible in a
 * hand-edited file): v4's CHECK refuses it, so the migration rolls back, says why, and the
 * file stays as it was rather than being migrated with a value the schema forbids. */
static void test_migration_refuses_bad_refund(void)
{
    char path[4200];
    path_in(path, sizeof path, "v1-overrefunded.db");
    sqlite3 *db = NULL;
    CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(db, schema_v1, NULL, NULL, NULL), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(db,
                              "INSERT INTO payments(order_no, channel, amount_fen, state,"
                              " created_at, updated_at, refunded_fen) VALUES"
                              " ('T01-20261120-000009', 'wechat', 100, 'PAID', 1, 2, 200);",
                              NULL, NULL, NULL),
                 SQLITE_OK);
    sqlite3_close(db);
    check_refused(path, JOURNAL_IO, "v1, refunded more than paid");
    struct journal *j = NULL;
    char err[1024] = "";
    CHECK_EQ_INT(journal_open(&j, path, err, sizeof err), JOURNAL_IO);
    CHECK(strstr(err, "cannot migrate it") != NULL);
    CHECK(strstr(err, "CHECK") != NULL);
}

/* A journal whose tables are not what its version says (found by fuzz_journal_open): its
 * statements cannot be prepared, and it is refused before anything is written - neither
 * the migration nor the switch to WAL mode is kept. */
static void test_wrong_tables(void)
{
    char path[4200];
    path_in(path, sizeof path, "renamed.db");
    make_journal(path, 2);
    sqlite3 *db = NULL;
    CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
    CHECK_EQ_INT(
        sqlite3_exec(db, "ALTER TABLE payments RENAME COLUMN last_error TO oops", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    check_refused(path, JOURNAL_CORRUPT, "current version, a column renamed");

    /* A v1 file (rollback-journal mode, as SQLite leaves it) missing a column: migrating it
     * to v2 works, preparing the statements does not. */
    path_in(path, sizeof path, "v1-missing.db");
    char *v1 = strdup(schema_v1);
    char *col = v1 ? strstr(v1, " last_error TEXT,") : NULL;
    CHECK(col != NULL);
    if (!col) {
        free(v1);
        return;
    }
    memmove(col, col + strlen(" last_error TEXT,"), strlen(col + strlen(" last_error TEXT,")) + 1);
    CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(db, v1, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    free(v1);
    check_refused(path, JOURNAL_CORRUPT, "v1 with a column missing");
}

int main(void)
{
    if (!fixture_dir(dir, sizeof dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_random_bytes();
    test_truncated();
    test_overwritten_header();
    test_damaged_page();
    test_not_a_journal();
    test_too_new();
    test_negative_version();
    test_startup_check();
    test_refused_with_wal();
    test_symlinks();
    test_empty_file_and_missing_folder();
    test_readonly();
    test_migrate_v1();
    test_migration_refuses_bad_refund();
    test_wrong_tables();
    fixture_cleanup(dir);
    return check_done();
}
