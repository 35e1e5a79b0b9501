/*
 * test_ui_loop_notes.c - the cashier's English for a loop note is the loop's own sentence,
 * and its Chinese carries the same values, for every note a real loop says without a
 * gateway: no journal, bad amounts, bad and early scans, a busy counter, a channel that is
 * off, refunds of unknown and unpaid orders, and resuming after a restart.
 *
 * ui/text.c holds each English sentence a second time (so it sits beside its translation);
 * this test is what keeps the two copies the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cashier_notes.h"
#include "check.h"
#include "config.h"
#include "journal.h"
#include "loop.h"
#include "text.h"

static int heard;

/* Every message, as headless mode prints it and as the screen words it in both languages. */
static void on_message(void *ctx, const struct loop_message *m)
{
    int *notes_seen = ctx;
    char en[400], zh[400];
    cashier_note_text(UI_LANG_EN, m, en, sizeof en);
    cashier_note_text(UI_LANG_ZH, m, zh, sizeof zh);
    printf("  %-62s | %s\n", m->text, zh);
    CHECK_EQ_STR(en, m->text);
    CHECK(strcmp(zh, m->text) != 0);
    if (m->order_no && m->order_no[0])
        CHECK(strstr(zh, m->order_no) != NULL);
    if (m->code && m->code[0])
        CHECK(strstr(zh, m->code) != NULL);
    notes_seen[m->note]++;
    heard++;
}

static struct loop *open_loop(const struct config *cfg, struct journal *j, int *notes_seen)
{
    struct loop_observer obs = {.ctx = notes_seen, .message = on_message};
    struct loop *l = NULL;
    CHECK_EQ_INT(loop_open(&l, cfg, j, j ? NULL : "cannot open /nowhere/journal.db: denied", NULL,
                           NULL, NULL, &obs),
                 LOOP_OK);
    return l;
}

int main(void)
{
    int seen[LOOP_NOTE__COUNT] = {0};
    struct config cfg;
    config_defaults(&cfg);
    snprintf(cfg.terminal_id, sizeof cfg.terminal_id, "T1");
    /* Both channels off: no request can ever need the gateway, which this test has none of. */
    cfg.gateway.wechat.enabled = cfg.gateway.alipay.enabled = false;

    /* Without a journal. */
    int resumed;
    struct loop *l = open_loop(&cfg, NULL, seen);
    CHECK_EQ_INT(loop_recover(l, &resumed), LOOP_JOURNAL);
    CHECK_EQ_INT(loop_start_payment(l, 100), LOOP_JOURNAL);
    CHECK_EQ_INT(loop_refund(l, "T1202601010001", 100, NULL), LOOP_JOURNAL);
    loop_close(l);

    /* With one, in a fresh folder. */
    char dir[] = "/tmp/posterm-notes-XXXXXX";
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    char path[sizeof dir + 16], err[256];
    snprintf(path, sizeof path, "%s/journal.db", dir);
    struct journal *j = NULL;
    CHECK_EQ_INT(journal_open(&j, path, err, sizeof err), JOURNAL_OK);
    if (j == NULL)
        return check_done();
    l = open_loop(&cfg, j, seen);
    CHECK_EQ_INT(loop_recover(l, &resumed), LOOP_OK);
    CHECK_EQ_INT(loop_start_payment(l, 0), LOOP_INVALID);
    CHECK_EQ_INT(loop_start_payment(l, cfg.max_amount_fen + 1), LOOP_INVALID);
    CHECK_EQ_INT(loop_scan(l, "12"), LOOP_INVALID);
    CHECK_EQ_INT(loop_scan(l, "287654321012340003"), LOOP_IDLE);
    CHECK_EQ_INT(loop_start_payment(l, 880), LOOP_OK);
    CHECK_EQ_INT(loop_start_payment(l, 880), LOOP_BUSY);
    CHECK_EQ_INT(loop_scan(l, "134567890123456003"), LOOP_INVALID);
    const struct payment *cur = loop_current(l);
    char order[ORDER_NO_MAX + 1] = "";
    if (cur)
        snprintf(order, sizeof order, "%s", cur->order_no);
    CHECK_EQ_INT(loop_refund(l, order, 100, NULL), LOOP_INVALID);
    CHECK_EQ_INT(loop_refund(l, "T1202601010999", 100, "key-1"), LOOP_NOT_FOUND);
    loop_close(l);

    /* The order left unresolved is resumed by the next start. */
    l = open_loop(&cfg, j, seen);
    CHECK_EQ_INT(loop_recover(l, &resumed), LOOP_OK);
    CHECK_EQ_INT(resumed, 1);
    loop_close(l);
    journal_close(j);

    const enum loop_note expected[] = {
        LOOP_NOTE_JOURNAL_UNUSABLE,
        LOOP_NOTE_NO_JOURNAL,
        LOOP_NOTE_REFUND_NO_JOURNAL,
        LOOP_NOTE_BAD_AMOUNT,
        LOOP_NOTE_BAD_SCAN,
        LOOP_NOTE_SCAN_BEFORE_AMOUNT,
        LOOP_NOTE_BUSY,
        LOOP_NOTE_CHANNEL_OFF,
        LOOP_NOTE_REFUND_NOT_PAID,
        LOOP_NOTE_REFUND_NO_ORDER,
        LOOP_NOTE_RESUMING,
    };
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        if (seen[expected[i]] == 0)
            fprintf(stderr, "loop note %d never said\n", (int)expected[i]);
        CHECK(seen[expected[i]] > 0);
    }
    CHECK_EQ_INT(seen[LOOP_NOTE_BAD_AMOUNT], 2);
    printf("%d messages compared\n", heard);

    unlink(path);
    char side[sizeof path + 8];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    CHECK_EQ_INT(rmdir(dir), 0);
    return check_done();
}
