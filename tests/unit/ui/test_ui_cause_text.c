/*
 * test_ui_cause_text.c - every cause has a cashier's sentence and what to tell the customer, in
 * both languages, short enough for one line; the drivers' words never reach them.
 */
#include <stdio.h>
#include <string.h>

#include "cause_text.h"
#include "check.h"

/* True when s holds a run of three ASCII letters: an English word, not a code like "502". */
static int has_english_word(const char *s)
{
    int run = 0;
    for (; *s; s++) {
        run = ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')) ? run + 1 : 0;
        if (run >= 3)
            return 1;
    }
    return 0;
}

/* Display cells of UTF-8 text: ASCII one, anything else (CJK here) two. */
static int display_cells(const char *s)
{
    int cells = 0;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if (*c < 0x80)
            cells++;
        else if ((*c & 0xc0) != 0x80)
            cells += 2;
    return cells;
}

int main(void)
{
    for (int c = PAY_CAUSE_OTHER; c <= PAY_CAUSE_LAST; c++) {
        const char *en = cause_text_entry(UI_LANG_EN, (enum pay_cause)c);
        const char *zh = cause_text_entry(UI_LANG_ZH, (enum pay_cause)c);
        if (en == NULL || zh == NULL || !en[0] || !zh[0]) {
            fprintf(stderr, "cause %s lacks a language\n", pay_cause_name((enum pay_cause)c));
            CHECK(0);
            continue;
        }
        CHECK(!has_english_word(zh));
        /* Each name reads back as itself: the journal keeps causes by name. */
        CHECK_EQ_INT(pay_cause_from_name(pay_cause_name((enum pay_cause)c)), c);
    }
    CHECK(cause_text_entry(UI_LANG_EN, (enum pay_cause)(PAY_CAUSE_LAST + 1)) == NULL);
    CHECK_EQ_INT(pay_cause_from_name(""), PAY_CAUSE_NONE);
    CHECK_EQ_INT(pay_cause_from_name("a_cause_of_a_newer_build"), PAY_CAUSE_OTHER);

    char buf[CAUSE_TEXT_MAX];
    /* Both languages: the cause's own sentence, never the drivers' words (there is no way to
     * pass them in), and what to tell the customer where a customer must act. */
    CHECK_EQ_STR(cause_text(UI_LANG_EN, PAY_CAUSE_BALANCE, buf, sizeof buf),
                 "the customer's balance is not enough");
    CHECK_EQ_STR(cause_advice(UI_LANG_EN, PAY_CAUSE_BALANCE),
                 "Ask the customer to pay another way.");
    cause_text(UI_LANG_ZH, PAY_CAUSE_BALANCE, buf, sizeof buf);
    CHECK(strstr(buf, "余额不足") != NULL);
    CHECK(strstr(cause_advice(UI_LANG_ZH, PAY_CAUSE_CODE_EXPIRED), "刷新付款码") != NULL);
    CHECK_EQ_STR(cause_text(UI_LANG_EN, PAY_CAUSE_NO_ANSWER, buf, sizeof buf),
                 "the payment service is not answering");
    CHECK_EQ_STR(cause_text(UI_LANG_ZH, PAY_CAUSE_NO_ANSWER, buf, sizeof buf), "支付平台没有应答");
    /* Nothing to explain; an unknown cause reads as OTHER, never as nothing. */
    CHECK_EQ_STR(cause_text(UI_LANG_ZH, PAY_CAUSE_NONE, buf, sizeof buf), "");
    CHECK_EQ_STR(cause_advice(UI_LANG_EN, PAY_CAUSE_NONE), "");
    CHECK_EQ_STR(cause_text(UI_LANG_EN, (enum pay_cause)99, buf, sizeof buf),
                 cause_text_entry(UI_LANG_EN, PAY_CAUSE_OTHER));
    /* Every sentence fits one 80-column line after "Reason: " / "Tell the customer: ", the
     * Chinese at two columns a character: nothing is cut at the screen's edge. */
    for (int c = PAY_CAUSE_OTHER; c <= PAY_CAUSE_LAST; c++) {
        for (int lang = UI_LANG_EN; lang <= UI_LANG_ZH; lang++) {
            const char *words = cause_text_entry((enum ui_lang)lang, (enum pay_cause)c);
            const char *tell = cause_advice_entry((enum ui_lang)lang, (enum pay_cause)c);
            CHECK(tell != NULL);
            if (tell == NULL)
                continue;
            CHECK(display_cells(words) <= 76 - 10);
            CHECK(display_cells(tell) <= 76 - 20);
            if (lang == UI_LANG_ZH)
                CHECK(!has_english_word(tell));
        }
    }
    /* Truncation is safe. */
    char tiny[5];
    cause_text(UI_LANG_EN, PAY_CAUSE_BALANCE, tiny, sizeof tiny);
    CHECK_EQ_STR(tiny, "the ");
    return check_done();
}
