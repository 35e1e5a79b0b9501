/*
 * test_refund_guard.c - the supervisor's PIN and the refund limits (app/refund_guard.h; the
 * hashes themselves are test_pin.c's): a wrong PIN is refused and five in a row lock every PIN
 * out for a minute; a refund above the per-refund limit or above what the day's limit leaves
 * (the journal's refunds of the day) is refused before any PIN is tried; the config refuses a
 * hash it cannot read.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../check.h"
#include "config.h"
#include "journal.h"
#include "pin.h"
#include "pin_locks.h"
#include "refund_guard.h"
#include "reports.h"
#include "session.h"

#define FAST PIN_ITERATIONS_MIN /* the fewest iterations a hash may have: keeps the test quick */

static void test_config_keys(const char *example)
{
    char err[400], hash[PIN_HASH_MAX], text[800];
    FILE *f = fopen(example, "rb");
    static char json[65536];
    size_t n = f ? fread(json, 1, sizeof json - 1, f) : 0;
    if (f)
        fclose(f);
    json[n] = '\0';
    struct config cfg;
    config_defaults(&cfg);
    CHECK(config_parse(&cfg, "t.json", json, n, err, sizeof err));
    CHECK_EQ_STR(cfg.refund.supervisor_pin_hash, ""); /* the example asks no PIN */
    CHECK_EQ_INT(cfg.refund.max_fen, 0);
    CHECK_EQ_INT(cfg.refund.max_day_fen, 0);

    /* The example's refund object with a hash and both limits set. */
    CHECK_EQ_INT(pin_hash("4711", FAST, hash, sizeof hash), PIN_OK);
    char *obj = strstr(json, "\"refund\": {");
    CHECK(obj != NULL);
    if (obj == NULL)
        return;
    snprintf(text, sizeof text,
             "\"refund\": {\"supervisor_pin_hash\": \"%s\", \"max_amount\": \"200.00\", "
             "\"max_day_amount\": \"1000.00\"}",
             hash);
    static char changed[70000];
    char *end = strchr(obj, '}');
    snprintf(changed, sizeof changed, "%.*s%s%s", (int)(obj - json), json, text, end + 1);
    config_defaults(&cfg);
    CHECK(config_parse(&cfg, "t.json", changed, strlen(changed), err, sizeof err));
    CHECK_EQ_STR(cfg.refund.supervisor_pin_hash, hash);
    CHECK_EQ_INT(cfg.refund.max_fen, 20000);
    CHECK_EQ_INT(cfg.refund.max_day_fen, 100000);

    snprintf(changed, sizeof changed, "%.*s%s%s", (int)(obj - json), json,
             "\"refund\": {\"supervisor_pin_hash\": \"4711\"}", end + 1);
    config_defaults(&cfg);
    CHECK(!config_parse(&cfg, "t.json", changed, strlen(changed), err, sizeof err));
    CHECK(strstr(err, "t.json: refund.supervisor_pin_hash: not a PIN hash (pbkdf2:") == err);
}

static void save(struct journal *j, struct payment *p, const char *event, int64_t at)
{
    CHECK_EQ_INT(journal_save(j, p, event, "", at), JOURNAL_OK);
}

static void test_guard(struct journal *j)
{
    struct config_refund rules = {.max_fen = 20000, .max_day_fen = 30000};
    struct refund_guard g;
    refund_guard_init(&g, &rules);
    int64_t now_wall = time(NULL), now = 1000000;

    /* No PIN configured: only the limits. */
    CHECK(!refund_guard_needs_pin(&g));
    struct refund_decision d = refund_guard_check(&g, j, 20000, NULL, now, now_wall);
    CHECK_EQ_INT(d.verdict, REFUND_ALLOWED);
    CHECK(!d.approved);
    d = refund_guard_check(&g, j, 20001, NULL, now, now_wall);
    CHECK_EQ_INT(d.verdict, REFUND_ABOVE_MAX);
    CHECK_EQ_INT(d.limit_fen, 20000);

    /* 150.00 refunded today: 150.00 left of the day's 300.00. */
    struct payment p;
    memset(&p, 0, sizeof p);
    snprintf(p.order_no, sizeof p.order_no, "T01-ABCDEFGH-000001");
    p.channel = CHANNEL_WECHAT;
    p.amount_fen = 50000;
    p.state = PAY_PAID;
    p.created_at = p.updated_at = now_wall * 1000;
    save(j, &p, "paid", p.created_at);
    p.state = PAY_REFUNDING;
    snprintf(p.refund_no, sizeof p.refund_no, "T01-ABCDEFGH-000001R1");
    p.refund_fen = 15000;
    save(j, &p, "refund_requested", p.created_at + 1);
    d = refund_guard_check(&g, j, 15000, NULL, now, now_wall);
    CHECK_EQ_INT(d.verdict, REFUND_ALLOWED);
    d = refund_guard_check(&g, j, 15001, NULL, now, now_wall);
    CHECK_EQ_INT(d.verdict, REFUND_ABOVE_DAY);
    CHECK_EQ_INT(d.left_fen, 15000);
    CHECK_EQ_INT(d.limit_fen, 30000);
    d = refund_guard_check(&g, NULL, 100, NULL, now, now_wall);
    CHECK_EQ_INT(d.verdict, REFUND_NO_JOURNAL); /* not guessed */

    /* With a PIN. */
    CHECK_EQ_INT(
        pin_hash("4711", FAST, rules.supervisor_pin_hash, sizeof rules.supervisor_pin_hash),
        PIN_OK);
    CHECK(refund_guard_needs_pin(&g));
    d = refund_guard_check(&g, j, 100, NULL, now, now_wall);
    CHECK_EQ_INT(d.verdict, REFUND_PIN_NEEDED);
    d = refund_guard_check(&g, j, 100, "4711", now, now_wall);
    CHECK_EQ_INT(d.verdict, REFUND_ALLOWED);
    CHECK(d.approved);
    /* Above a limit: refused before the PIN, costing no try. */
    for (int i = 0; i < 10; i++)
        d = refund_guard_check(&g, j, 20001, "0000", now, now_wall);
    CHECK_EQ_INT(d.verdict, REFUND_ABOVE_MAX);
    CHECK_EQ_INT(g.tries.wrong, 0);
    for (int i = 1; i < REFUND_PIN_TRIES; i++) {
        d = refund_guard_check(&g, j, 100, "0000", now, now_wall);
        CHECK_EQ_INT(d.verdict, REFUND_PIN_WRONG);
        CHECK_EQ_INT(d.tries_left, REFUND_PIN_TRIES - i);
    }
    d = refund_guard_check(&g, j, 100, "0000", now, now_wall);
    CHECK_EQ_INT(d.verdict, REFUND_PIN_LOCKED);
    CHECK_EQ_INT(d.locked_s, 60);
    /* Locked: even the right PIN is refused until the minute is over. */
    d = refund_guard_check(&g, j, 100, "4711", now + 59000, now_wall);
    CHECK_EQ_INT(d.verdict, REFUND_PIN_LOCKED);
    CHECK_EQ_INT(d.locked_s, 1);
    d = refund_guard_check(&g, j, 100, "4711", now + 60000, now_wall);
    CHECK_EQ_INT(d.verdict, REFUND_ALLOWED);
    CHECK(d.approved);

    char text[200];
    d = (struct refund_decision){.verdict = REFUND_PIN_WRONG, .tries_left = 3};
    CHECK_EQ_STR(refund_decision_text(&d, text, sizeof text),
                 "refund refused: wrong supervisor PIN (3 more tries before a 60 s lock)");
    d = (struct refund_decision){
        .verdict = REFUND_ABOVE_DAY, .limit_fen = 30000, .left_fen = 15000};
    CHECK_EQ_STR(refund_decision_text(&d, text, sizeof text),
                 "refund refused: today's refunds may total 300.00; 150.00 is left");
}

/* Five wrong PINs lock the supervisor's refund PIN and the cashiers' sign-in; a restart (a
 * fresh guard and session on the same journal, another monotonic clock) finds the lock where
 * it was, until its end on the wall clock. A lock written further ahead than its length (the
 * clock was set back) holds no longer than its length. */
static void restart_keeps_locks(struct journal *j)
{
    struct config_refund rules = {0};
    CHECK_EQ_INT(
        pin_hash("4711", FAST, rules.supervisor_pin_hash, sizeof rules.supervisor_pin_hash),
        PIN_OK);
    /* test_guard's lock was written at today's date: a fresh start for this test's clock. */
    CHECK_EQ_INT(pin_lock_write(j, PIN_LOCK_REFUND, 0), JOURNAL_OK);
    struct refund_guard g;
    refund_guard_init(&g, &rules);
    refund_guard_restore(&g, j, 5000, 1700000000000);
    struct refund_decision d = refund_guard_check(&g, j, 100, "4711", 5000, 1700000000);
    CHECK_EQ_INT(d.verdict, REFUND_ALLOWED); /* nothing recorded yet: not locked */
    for (int i = 0; i < REFUND_PIN_TRIES; i++)
        d = refund_guard_check(&g, j, 100, "0000", 5000, 1700000000);
    CHECK_EQ_INT(d.verdict, REFUND_PIN_LOCKED);
    int64_t until = 0;
    CHECK_EQ_INT(pin_lock_read(j, PIN_LOCK_REFUND, &until), JOURNAL_OK);
    CHECK_EQ_INT(until, 1700000000000 + REFUND_PIN_LOCK_MS);

    /* Restarted 10 s later, on a monotonic clock that started again. */
    struct refund_guard again;
    refund_guard_init(&again, &rules);
    refund_guard_restore(&again, j, 100, 1700000010000);
    d = refund_guard_check(&again, j, 100, "4711", 100, 1700000010);
    CHECK_EQ_INT(d.verdict, REFUND_PIN_LOCKED);
    CHECK_EQ_INT(d.locked_s, 50);
    d = refund_guard_check(&again, j, 100, "4711", 100 + 50000, 1700000060);
    CHECK_EQ_INT(d.verdict, REFUND_ALLOWED);
    /* Restarted after the lock's end: not locked. */
    refund_guard_init(&again, &rules);
    refund_guard_restore(&again, j, 100, 1700000060000);
    d = refund_guard_check(&again, j, 100, "4711", 100, 1700000060);
    CHECK_EQ_INT(d.verdict, REFUND_ALLOWED);
    /* The wall clock set back an hour: locked for the lock's length, not for an hour. */
    refund_guard_init(&again, &rules);
    refund_guard_restore(&again, j, 100, 1700000000000 - 3600000);
    d = refund_guard_check(&again, j, 100, "4711", 100, 1700000000 - 3600);
    CHECK_EQ_INT(d.locked_s, REFUND_PIN_LOCK_MS / 1000);

    /* The sign-in: the same across a restart, on the wall clock. */
    struct config cfg;
    config_defaults(&cfg);
    cfg.cashier_count = 1;
    snprintf(cfg.cashiers[0].id, sizeof cfg.cashiers[0].id, "c1");
    CHECK_EQ_INT(pin_hash("2468", FAST, cfg.cashiers[0].pin_hash, sizeof cfg.cashiers[0].pin_hash),
                 PIN_OK);
    struct session s;
    session_init(&s, &cfg, j);
    session_restore_lock(&s, 1700000100000);
    for (int i = 0; i < PIN_TRIES; i++)
        CHECK_EQ_INT(session_sign_in(&s, "c1", "0000", 1700000100000), SESSION_UNKNOWN);
    CHECK_EQ_INT(session_sign_in(&s, "c1", "2468", 1700000100000), SESSION_LOCKED);
    struct session restarted;
    session_init(&restarted, &cfg, j);
    session_restore_lock(&restarted, 1700000105000);
    CHECK_EQ_INT(session_locked_for(&restarted, 1700000105000), SESSION_LOCK_MS - 5000);
    CHECK_EQ_INT(session_sign_in(&restarted, "c1", "2468", 1700000105000), SESSION_LOCKED);
    CHECK_EQ_INT(session_sign_in(&restarted, "c1", "2468", 1700000100000 + SESSION_LOCK_MS),
                 SESSION_OK);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        test_config_keys(argv[1]);
    char dir[] = "/tmp/posterm-guard-XXXXXX", path[64], err[400];
    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(path, sizeof path, "%s/journal.db", dir);
    struct journal *j = NULL;
    CHECK_EQ_INT(journal_open(&j, path, err, sizeof err), JOURNAL_OK);
    if (j) {
        test_guard(j);
        restart_keeps_locks(j);
        journal_close(j);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_done();
}
