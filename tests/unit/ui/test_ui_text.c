/*
 * test_ui_text.c - the English and Chinese tables are complete and agree on their printf
 * conversions; core reasons have Chinese; every note the loop can send reads in both
 * languages, the Chinese with the note's values and no English sentence; widths count
 * Chinese as two cells.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cashier_notes.h"
#include "check.h"
#include "loop.h"
#include "money.h"
#include "paycode.h"
#include "text.h"
#include "ui.h"
#include "widgets.h"

/* The conversions of a format, in order ("%s%d"), '%%' left out. */
static void conversions(const char *fmt, char *out, size_t len)
{
    size_t n = 0;
    for (const char *s = fmt; *s; s++) {
        if (*s != '%')
            continue;
        s++;
        if (*s == '%')
            continue;
        while (*s && strchr("-+ #0123456789.l", *s))
            s++;
        if (n + 2 < len) {
            out[n++] = '%';
            out[n++] = *s;
        }
        if (!*s)
            break;
    }
    out[n] = '\0';
}

/* True when s holds an English word (three ASCII letters in a row): a Chinese sentence may
 * carry digits and a masked code, never English words of its own. */
static bool has_english_word(const char *s)
{
    int run = 0;
    for (; *s; s++) {
        bool letter = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z');
        run = letter ? run + 1 : 0;
        if (run == 3)
            return true;
    }
    return false;
}

/* Every note has words in both languages: its Chinese is not the English fallback. */
static void check_every_note(void)
{
    for (int n = 0; n < LOOP_NOTE__COUNT; n++) {
        struct loop_message m = {.note = (enum loop_note)n,
                                 .level = LOOP_WARN,
                                 .text = "English from the loop",
                                 .order_no = "E2E1202611230001",
                                 .code = "****0003",
                                 .count = 2,
                                 .amount_fen = 1250,
                                 .channel = CHANNEL_ALIPAY,
                                 .state = PAY_FAILED,
                                 .money = MONEY_ZERO,
                                 .paycode = PAYCODE_BAD_LENGTH,
                                 .engine = ENGINE_INVALID,
                                 .journal = JOURNAL_FULL,
                                 .journal_reason = "the disk is full: nothing was written",
                                 .detail = "disk I/O error"};
        char en[400], zh[400];
        cashier_note_text(UI_LANG_EN, &m, en, sizeof en);
        cashier_note_text(UI_LANG_ZH, &m, zh, sizeof zh);
        if (en[0] == '\0' || strcmp(en, m.text) == 0 || strcmp(en, zh) == 0)
            fprintf(stderr, "loop note %d lacks a language: \"%s\" / \"%s\"\n", n, en, zh);
        CHECK(en[0] != '\0');
        CHECK(strcmp(en, m.text) != 0); /* the table worded it, not the fallback */
        CHECK(strcmp(en, zh) != 0);
    }
}

/* A few notes in Chinese, as the cashier reads them: the values are there, English is not. */
static void check_notes_in_chinese(void)
{
    char out[400];
    struct loop_message busy = {.note = LOOP_NOTE_BUSY,
                                .level = LOOP_WARN,
                                .text = "a payment is under way: finish or abort it first"};
    cashier_note_text(UI_LANG_ZH, &busy, out, sizeof out);
    CHECK_EQ_STR(out, "有一笔收款正在进行：请先完成或中止");
    cashier_note_text(UI_LANG_EN, &busy, out, sizeof out);
    CHECK_EQ_STR(out, busy.text);

    struct loop_message scan = {
        .note = LOOP_NOTE_SCAN_WHILE_BUSY, .level = LOOP_WARN, .code = "****1203"};
    cashier_note_text(UI_LANG_ZH, &scan, out, sizeof out);
    CHECK(strstr(out, "****1203") != NULL);
    CHECK(strstr(out, "已有一笔收款正在进行") != NULL);
    CHECK(!has_english_word(out));
    cashier_note_text(UI_LANG_EN, &scan, out, sizeof out);
    CHECK_EQ_STR(out, "scan ****1203 refused: a payment is already under way");

    struct loop_message above = {
        .note = LOOP_NOTE_REFUND_ABOVE, .level = LOOP_WARN, .amount_fen = 1250};
    cashier_note_text(UI_LANG_ZH, &above, out, sizeof out);
    CHECK_EQ_STR(out, "退款金额须大于 0.00 且不超过 12.50");
    cashier_note_text(UI_LANG_EN, &above, out, sizeof out);
    CHECK_EQ_STR(out, "refund must be above 0.00 and at most 12.50");

    struct loop_message not_paid = {.note = LOOP_NOTE_REFUND_NOT_PAID,
                                    .level = LOOP_WARN,
                                    .order_no = "E2E1202611230007",
                                    .state = PAY_CANCELLED};
    cashier_note_text(UI_LANG_ZH, &not_paid, out, sizeof out);
    CHECK_EQ_STR(out, "订单 E2E1202611230007 状态为已撤销：只有已支付的订单可以退款");
    cashier_note_text(UI_LANG_EN, &not_paid, out, sizeof out);
    CHECK_EQ_STR(out, "order E2E1202611230007 is CANCELLED: only a paid order can be refunded");

    /* Plural in English only; the status words translated, the technical detail kept. */
    struct loop_message one = {.note = LOOP_NOTE_RESUMING, .level = LOOP_INFO, .count = 1};
    cashier_note_text(UI_LANG_EN, &one, out, sizeof out);
    CHECK_EQ_STR(out, "resuming 1 unresolved payment");
    struct loop_message held = {.note = LOOP_NOTE_JOURNAL_HELD,
                                .level = LOOP_ERROR,
                                .journal = JOURNAL_FULL,
                                .journal_reason = "the disk is full: nothing was written",
                                .detail = "database or disk is full",
                                .order_no = "E2E1202611230002"};
    cashier_note_text(UI_LANG_ZH, &held, out, sizeof out);
    CHECK_EQ_STR(out, "日志：磁盘已满：什么也没有写入（database or disk is full）；"
                      "订单 E2E1202611230002 暂停，日志可写入后继续");
    struct loop_message refused = {
        .note = LOOP_NOTE_REFUND_REFUSED, .level = LOOP_WARN, .engine = ENGINE_REFUSED};
    cashier_note_text(UI_LANG_ZH, &refused, out, sizeof out);
    CHECK(!has_english_word(out));
    struct loop_message off = {
        .note = LOOP_NOTE_CHANNEL_OFF, .level = LOOP_WARN, .channel = CHANNEL_WECHAT};
    cashier_note_text(UI_LANG_ZH, &off, out, sizeof out);
    CHECK_EQ_STR(out, "本终端未开通微信支付");
}

int main(void)
{
    CHECK(setlocale(LC_CTYPE, "C.UTF-8") != NULL);

    for (int id = 0; id < T__COUNT; id++) {
        const char *en = text_entry(UI_LANG_EN, (enum text_id)id);
        const char *zh = text_entry(UI_LANG_ZH, (enum text_id)id);
        if (en == NULL || zh == NULL || en[0] == '\0' || zh[0] == '\0') {
            fprintf(stderr, "text id %d lacks a language\n", id);
            CHECK(0);
            continue;
        }
        char ce[32], cz[32];
        conversions(en, ce, sizeof ce);
        conversions(zh, cz, sizeof cz);
        if (strcmp(ce, cz) != 0)
            fprintf(stderr, "text id %d: \"%s\" vs \"%s\"\n", id, en, zh);
        CHECK_EQ_STR(ce, cz);
    }
    CHECK(text_entry(UI_LANG_EN, T__COUNT) == NULL);
    CHECK_EQ_STR(text(UI_LANG_EN, T_RES_PAID), "PAID");
    CHECK_EQ_STR(text(UI_LANG_ZH, T_RES_PAID), "收款成功");

    /* Every reason the core gives has Chinese words, and English is the core's own. */
    for (int st = MONEY_OK; st <= MONEY_ABOVE_MAX; st++) {
        CHECK_EQ_STR(text_money_reason(UI_LANG_EN, (enum money_status)st),
                     money_status_reason((enum money_status)st));
        CHECK(strcmp(text_money_reason(UI_LANG_ZH, (enum money_status)st),
                     money_status_reason((enum money_status)st)) != 0);
    }
    for (int st = PAYCODE_OK; st <= PAYCODE_BAD_LENGTH; st++) {
        CHECK_EQ_STR(text_paycode_reason(UI_LANG_EN, (enum paycode_status)st),
                     paycode_status_reason((enum paycode_status)st));
        CHECK(strcmp(text_paycode_reason(UI_LANG_ZH, (enum paycode_status)st),
                     paycode_status_reason((enum paycode_status)st)) != 0);
    }

    for (int st = ENGINE_OK; st <= ENGINE_INVALID; st++) {
        CHECK_EQ_STR(text_engine_reason(UI_LANG_EN, (enum engine_status)st),
                     engine_status_reason((enum engine_status)st));
        CHECK(!has_english_word(text_engine_reason(UI_LANG_ZH, (enum engine_status)st)));
    }
    check_every_note();
    check_notes_in_chinese();

    char msg[160];
    ui_bad_scan_message(UI_LANG_EN, PAYCODE_UNKNOWN, msg, sizeof msg);
    CHECK_EQ_STR(msg, "Bad scan: not a WeChat Pay or Alipay payment code");
    ui_bad_scan_message(UI_LANG_ZH, PAYCODE_BAD_LENGTH, msg, sizeof msg);
    CHECK_EQ_STR(msg, "扫码无效：付款码长度不对，请重新扫码");

    CHECK_EQ_STR(text_channel(UI_LANG_EN, CHANNEL_WECHAT), "WeChat Pay");
    CHECK_EQ_STR(text_channel(UI_LANG_ZH, CHANNEL_ALIPAY), "支付宝");
    CHECK_EQ_STR(text_channel(UI_LANG_EN, CHANNEL_NONE), "-");

    enum ui_lang lang = UI_LANG_EN;
    CHECK(ui_lang_from_name("zh", &lang) && lang == UI_LANG_ZH);
    CHECK(ui_lang_from_name("en", &lang) && lang == UI_LANG_EN);
    CHECK(!ui_lang_from_name("fr", &lang) && lang == UI_LANG_EN);
    CHECK(!ui_lang_from_name("", &lang));

    /* Display widths decide every column: Chinese takes two cells a character, control
     * characters and broken UTF-8 one each (they are drawn as a blank or '?'). */
    CHECK_EQ_INT(wdg_width("abc"), 3);
    CHECK_EQ_INT(wdg_width("微信支付"), 8);
    CHECK_EQ_INT(wdg_width("金额：¥ 12.30"), 13);
    CHECK_EQ_INT(wdg_width("a\nb"), 3);
    CHECK_EQ_INT(wdg_width("\xff\xfe"), 2);
    CHECK_EQ_INT(wdg_width("\xe5\xbe"), 2); /* a Chinese character cut in half */
    CHECK_EQ_INT(wdg_width(""), 0);

    /* Without a terminal the screen refuses to start, and says why. */
    int devnull = open("/dev/null", O_RDONLY);
    CHECK(devnull >= 0 && dup2(devnull, STDIN_FILENO) == STDIN_FILENO);
    struct ui *ui = (struct ui *)&devnull;
    char err[200] = "";
    CHECK_EQ_INT(ui_open(&ui, err, sizeof err), UI_NOT_A_TTY);
    CHECK(ui == NULL);
    CHECK_EQ_STR(err, "cannot start the cashier screen: the cashier screen needs a terminal on "
                      "stdin and stdout");

    CHECK_EQ_STR(ui_command_name(UI_CMD_REFUND_CONFIRM), "REFUND_CONFIRM");
    CHECK_EQ_STR(ui_status_reason(UI_NOT_A_TTY),
                 "the cashier screen needs a terminal on stdin and stdout");
    return check_done();
}
