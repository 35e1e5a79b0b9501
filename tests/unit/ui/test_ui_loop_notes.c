/*
 * test_ui_loop_notes.c - what a real loop tells a Chinese-speaking cashier: each message
 * carries the English (what headless mode prints) and the Chinese (what the screen shows),
 * both from the note's one row, for every note a loop says without a gateway: no journal,
 * bad amounts, bad and early scans, a busy counter, a channel that is off, refunds of unknown
 * and unpaid orders, and resuming after a restart. In English both texts are one.
 *
 * The loop's words for values the screen also shows (money and scan reasons, channels,
 * states) are checked here against the screen's (ui/text.c), so the two never disagree.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "journal.h"
#include "loop.h"
#include "loop_notes.h"
#include "text.h"
#include "view.h"

static int heard;

struct listener {
    bool chinese; /* the config's language is "zh" */
    int seen[LOOP_NOTE__COUNT];
};

/* The message's text with its values taken out: what the sentence itself says. */
static void without_values(const char *text, const struct loop_message *m, char *out, size_t len)
{
    snprintf(out, len, "%s", text);
    const char *values[] = {m->order_no, m->code, m->detail, m->refund_no};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        if (values[i] == NULL || values[i][0] == '\0')
            continue;
        char *at;
        while ((at = strstr(out, values[i])) != NULL)
            memmove(at, at + strlen(values[i]), strlen(at + strlen(values[i])) + 1);
    }
}

static bool has_ascii_letter(const char *s)
{
    for (; *s; s++)
        if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))
            return true;
    return false;
}

/* Every message as headless mode prints it and as the screen shows it. */
static void on_message(void *ctx, const struct loop_message *m)
{
    struct listener *who = ctx;
    char en[768], bare[768];
    printf("  %-62s | %s\n", m->text, m->cashier_text);
    loop_note_render(LOOP_LANG_EN, m, en, sizeof en);
    CHECK_EQ_STR(m->text, en);
    if (who->chinese) {
        char zh[768];
        loop_note_render(LOOP_LANG_ZH, m, zh, sizeof zh);
        CHECK_EQ_STR(m->cashier_text, zh);
        without_values(m->cashier_text, m, bare, sizeof bare);
        if (has_ascii_letter(bare))
            fprintf(stderr, "English in the cashier's Chinese: %s\n", m->cashier_text);
        CHECK(!has_ascii_letter(bare));
        if (m->order_no && m->order_no[0])
            CHECK(strstr(m->cashier_text, m->order_no) != NULL);
        if (m->code && m->code[0])
            CHECK(strstr(m->cashier_text, m->code) != NULL);
    } else {
        CHECK_EQ_STR(m->cashier_text, m->text);
    }
    who->seen[m->note]++;
    heard++;
}

static struct loop *open_loop(const struct config *cfg, struct journal *j, struct listener *who)
{
    struct loop_observer obs = {.ctx = who, .message = on_message};
    struct loop *l = NULL;
    CHECK_EQ_INT(loop_open(&l, cfg, j, j ? NULL : "cannot open /nowhere/journal.db: denied", NULL,
                           NULL, NULL, &obs),
                 LOOP_OK);
    return l;
}

/* Every note a loop without a gateway can say, to a cashier speaking cfg's language. */
static void run(const struct config *cfg, struct listener *seen)
{
    /* Without a journal. */
    int resumed;
    struct loop *l = open_loop(cfg, NULL, seen);
    CHECK_EQ_INT(loop_recover(l, &resumed), LOOP_JOURNAL);
    CHECK_EQ_INT(loop_start_payment(l, 100), LOOP_JOURNAL);
    CHECK_EQ_INT(loop_refund(l, "T1202601010001", 100, NULL), LOOP_JOURNAL);
    loop_close(l);

    /* With one, in a fresh folder. */
    char dir[] = "/tmp/posterm-notes-XXXXXX";
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        CHECK(0);
        return;
    }
    char path[sizeof dir + 16], err[256];
    snprintf(path, sizeof path, "%s/journal.db", dir);
    struct journal *j = NULL;
    CHECK_EQ_INT(journal_open(&j, path, err, sizeof err), JOURNAL_OK);
    if (j == NULL)
        return;
    l = open_loop(cfg, j, seen);
    CHECK_EQ_INT(loop_recover(l, &resumed), LOOP_OK);
    CHECK_EQ_INT(loop_start_payment(l, 0), LOOP_INVALID);
    CHECK_EQ_INT(loop_start_payment(l, cfg->max_amount_fen + 1), LOOP_INVALID);
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
    l = open_loop(cfg, j, seen);
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
        if (seen->seen[expected[i]] == 0)
            fprintf(stderr, "loop note %d never said\n", (int)expected[i]);
        CHECK(seen->seen[expected[i]] > 0);
    }
    CHECK_EQ_INT(seen->seen[LOOP_NOTE_BAD_AMOUNT], 2);

    unlink(path);
    char side[sizeof path + 8];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    CHECK_EQ_INT(rmdir(dir), 0);
}

/* The loop's words for what the screen also names read as the screen's. */
static void check_words_agree(void)
{
    char out[400], want[400];
    for (int st = MONEY_OK; st <= MONEY_ABOVE_MAX; st++) {
        struct loop_message m = {.note = LOOP_NOTE_BAD_AMOUNT, .money = (enum money_status)st};
        loop_note_render(LOOP_LANG_ZH, &m, out, sizeof out);
        CHECK_EQ_STR(out, text_money_reason(UI_LANG_ZH, (enum money_status)st));
    }
    /* A bad scan reads the same whether the screen or the loop found it (a code typed, or
     * one from a hardware scanner), in both languages. */
    for (int st = PAYCODE_OK; st <= PAYCODE_BAD_LENGTH; st++) {
        struct loop_message m = {.note = LOOP_NOTE_BAD_SCAN, .paycode = (enum paycode_status)st};
        loop_note_render(LOOP_LANG_ZH, &m, out, sizeof out);
        ui_bad_scan_message(UI_LANG_ZH, (enum paycode_status)st, want, sizeof want);
        CHECK_EQ_STR(out, want);
        loop_note_render(LOOP_LANG_EN, &m, out, sizeof out);
        ui_bad_scan_message(UI_LANG_EN, (enum paycode_status)st, want, sizeof want);
        CHECK_EQ_STR(out, want);
    }
    for (int c = CHANNEL_WECHAT; c <= CHANNEL_ALIPAY; c++) {
        struct loop_message m = {.note = LOOP_NOTE_CHANNEL_OFF, .channel = (enum pay_channel)c};
        loop_note_render(LOOP_LANG_ZH, &m, out, sizeof out);
        snprintf(want, sizeof want, "本终端未开通%s",
                 text_channel(UI_LANG_ZH, (enum pay_channel)c));
        CHECK_EQ_STR(out, want);
    }
    for (int st = PAY_NEW; st <= PAY_REFERRED; st++) {
        struct payment p = {.state = (enum pay_state)st};
        struct loop_message m = {
            .note = LOOP_NOTE_REFUND_NOT_PAID, .order_no = "T1", .state = (enum pay_state)st};
        loop_note_render(LOOP_LANG_ZH, &m, out, sizeof out);
        snprintf(want, sizeof want, "订单 T1 状态为%s：只有已支付的订单可以退款",
                 text(UI_LANG_ZH, view_state(&p)));
        CHECK_EQ_STR(out, want);
    }
}

int main(void)
{
    struct config cfg;
    config_defaults(&cfg);
    snprintf(cfg.terminal_id, sizeof cfg.terminal_id, "T1");
    /* Both channels off: no request can ever need the gateway, which this test has none of. */
    cfg.gateway.wechat.enabled = cfg.gateway.alipay.enabled = false;

    static struct listener zh = {.chinese = true}, en = {.chinese = false};
    snprintf(cfg.language, sizeof cfg.language, "zh");
    run(&cfg, &zh);
    snprintf(cfg.language, sizeof cfg.language, "en");
    run(&cfg, &en);
    printf("%d messages compared\n", heard);
    check_words_agree();
    return check_done();
}
