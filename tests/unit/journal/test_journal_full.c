/*
 * test_journal_full.c - a full disk loses nothing: the save that does not fit reports
 * JOURNAL_FULL and changes nothing (the earlier row and event log stay as they were), and
 * once space returns the same handle saves again.
 *
 * "Full" is made real with RLIMIT_FSIZE (SIGXFSZ ignored, so writes fail with EFBIG), in a
 * child process so the limit cannot leak into anything else; it needs no root and no mount.
 * As root, a tiny tmpfs in a private mount namespace gives the ENOSPC case as well.
 */
#define _GNU_SOURCE /* unshare(CLONE_NEWNS) */
#include <sched.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../check.h"
#include "fixture.h"
#include "journal.h"

static char dir[4096], path[4200];

static long long file_size(const char *suffix)
{
    char p[4300];
    struct stat sb;
    snprintf(p, sizeof p, "%s%s", path, suffix);
    return stat(p, &sb) == 0 ? (long long)sb.st_size : 0;
}

static bool limit_file_size(rlim_t bytes)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) != 0)
        return false;
    rl.rlim_cur = bytes;
    return setrlimit(RLIMIT_FSIZE, &rl) == 0;
}

/* Counted through a second connection, as anyone reading the file would see it. */
static int events_of(const char *order_no)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int n = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT count(*) FROM events WHERE order_no = ?1", -1, &st, NULL) ==
            SQLITE_OK) {
        sqlite3_bind_text(st, 1, order_no, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int(st, 0);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void full_disk(void)
{
    struct journal *j = NULL;
    char err[1024] = "";
    CHECK_EQ_INT(journal_open(&j, path, err, sizeof err), JOURNAL_OK);
    if (!j)
        return;
    char big[3000];
    memset(big, 'd', sizeof big - 1);
    big[sizeof big - 1] = '\0';

    struct payment a = fixture_payment("T01-20261123-000001", 1700000000000);
    snprintf(a.auth_code, sizeof a.auth_code, "134567890123456789");
    a.state = PAY_PAYING;
    a.pay_sent_at = 1700000000100;
    CHECK_EQ_INT(journal_save(j, &a, "pay_intent", "", 1700000000100), JOURNAL_OK);

    /* The WAL, where every commit is appended, may not grow any more: the next save must
     * fail. (The limit is below the other files' sizes; they are not written until a
     * checkpoint, and SQLite only reports a failed checkpoint.) */
    long long cap = file_size("-wal");
    CHECK(cap > 0);
    CHECK(limit_file_size((rlim_t)cap));

    char no[ORDER_NO_MAX + 1] = "T01-20261123-000002";
    struct payment b0 = fixture_payment(no, 1700000000002);
    CHECK_EQ_INT(journal_save(j, &b0, "create", big, b0.created_at), JOURNAL_FULL);
    fprintf(stderr, "  full: %s\n", journal_last_error(j));
    struct payment back;
    CHECK_EQ_INT(journal_load(j, no, &back), JOURNAL_NOT_FOUND);
    CHECK_EQ_INT(events_of(no), 0);

    /* A transition of an existing payment that does not fit leaves it as it was. */
    struct payment moved = a;
    moved.state = PAY_QUERYING;
    moved.queries = 1;
    CHECK_EQ_INT(journal_save(j, &moved, "pay_reply", big, 1700000000200), JOURNAL_FULL);
    CHECK_EQ_INT(journal_load(j, a.order_no, &back), JOURNAL_OK);
    CHECK_EQ_INT(back.state, PAY_PAYING);
    CHECK_EQ_INT(back.queries, 0);
    CHECK_EQ_STR(back.code_last4, "6789");
    CHECK_EQ_INT(events_of(a.order_no), 1);
    uint32_t seq = 0;
    enum journal_status seq_st = journal_next_order_seq(j, &seq);
    CHECK(seq_st == JOURNAL_FULL || seq_st == JOURNAL_OK);
    CHECK(strstr(journal_last_error(j), "134567890123456789") == NULL);

    /* A journal cannot even be created while full, and says so. */
    char other[4300];
    snprintf(other, sizeof other, "%s/other.db", dir);
    struct journal *j2 = NULL;
    CHECK(limit_file_size(1024));
    CHECK_EQ_INT(journal_open(&j2, other, err, sizeof err), JOURNAL_FULL);
    CHECK(strstr(err, other) != NULL);
    fprintf(stderr, "  (as expected) %s\n", err);

    /* Space returns: the same handle works again. */
    CHECK(limit_file_size(RLIM_INFINITY));
    CHECK_EQ_INT(journal_save(j, &moved, "pay_reply", big, 1700000000200), JOURNAL_OK);
    CHECK_EQ_INT(journal_load(j, a.order_no, &back), JOURNAL_OK);
    CHECK_EQ_INT(back.state, PAY_QUERYING);
    CHECK_EQ_INT(back.queries, 1);
    struct payment b = fixture_payment(no, 1700000000999);
    CHECK_EQ_INT(journal_save(j, &b, "create", big, b.created_at), JOURNAL_OK);
    CHECK_EQ_INT(journal_load(j, no, &back), JOURNAL_OK);
    CHECK_EQ_INT(events_of(a.order_no), 2);
    journal_close(j);

    /* And the file is whole. */
    CHECK_EQ_INT(journal_open(&j, path, err, sizeof err), JOURNAL_OK);
    int count = 0;
    CHECK_EQ_INT(journal_count_unresolved(j, &count), JOURNAL_OK);
    CHECK_EQ_INT(count, 2); /* a and b */
    journal_close(j);
}

/* The same with a file system that has no blocks left (ENOSPC, where RLIMIT_FSIZE gives
 * EFBIG): a 1 MiB tmpfs in a private mount namespace. Needs root; returns false (skipped)
 * when this machine does not allow it. */
static bool full_tmpfs(void)
{
    if (geteuid() != 0 || unshare(CLONE_NEWNS) != 0 ||
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("posterm-test", dir, "tmpfs", 0, "size=1m,mode=0700") != 0)
        return false;
    struct journal *j = NULL;
    char err[1024] = "";
    CHECK_EQ_INT(journal_open(&j, path, err, sizeof err), JOURNAL_OK);
    if (!j)
        return true;
    char big[3000];
    memset(big, 'd', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    struct payment a = fixture_payment("T01-20261123-000001", 1700000000000);
    a.state = PAY_PAYING;
    CHECK_EQ_INT(journal_save(j, &a, "pay_intent", "", 1700000000100), JOURNAL_OK);
    enum journal_status st = JOURNAL_OK;
    char no[ORDER_NO_MAX + 1] = "";
    int saved = 0;
    for (int i = 2; i < 2000 && st == JOURNAL_OK; i++) {
        snprintf(no, sizeof no, "T01-20261123-%06d", i);
        struct payment b = fixture_payment(no, 1700000000000 + i);
        st = journal_save(j, &b, "create", big, b.created_at);
        saved += st == JOURNAL_OK;
    }
    CHECK_EQ_INT(st, JOURNAL_FULL);
    fprintf(stderr, "  tmpfs full after %d saves: %s\n", saved, journal_last_error(j));
    struct payment back;
    CHECK_EQ_INT(journal_load(j, no, &back), JOURNAL_NOT_FOUND);
    CHECK_EQ_INT(journal_load(j, a.order_no, &back), JOURNAL_OK);
    CHECK_EQ_INT(back.state, PAY_PAYING);
    int count = 0;
    CHECK_EQ_INT(journal_count_unresolved(j, &count), JOURNAL_OK);
    CHECK_EQ_INT(count, saved + 1);
    journal_close(j);
    return true;
}

static int in_child(bool (*fn)(void), bool *ran)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        int code = fn() ? 0 : 3;
        if (check_failed)
            code = 1;
        check_done();
        fflush(stdout);
        _exit(code);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    *ran = WEXITSTATUS(status) != 3;
    return WEXITSTATUS(status) == 3 ? 0 : WEXITSTATUS(status);
}

static bool full_rlimit(void)
{
    full_disk();
    return true;
}

int main(void)
{
    if (!fixture_dir(dir, sizeof dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/journal.db", dir);
    bool ran = false;
    CHECK_EQ_INT(in_child(full_rlimit, &ran), 0);
    CHECK(ran);
    CHECK_EQ_INT(in_child(full_tmpfs, &ran), 0);
    if (!ran)
        printf("tmpfs case skipped: needs root and mount namespaces\n");
    fixture_cleanup(dir);
    return check_done();
}
