/*
 * test_ui_text.c - the screen's English and Chinese tables are complete and agree on their
 * printf conversions; core reasons have Chinese; widths count Chinese as two cells. (The
 * loop's own notes are tests/unit/loop/test_loop_notes.c and test_ui_loop_notes.c.)
 */
#include <fcntl.h>
#include <stdbool.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
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
