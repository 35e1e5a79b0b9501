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
#include "refund_guard.h"
#include "reports.h"

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
        journal_close(j);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_done();
}
