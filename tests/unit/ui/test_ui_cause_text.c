/*
 * test_ui_cause_text.c - every cause has words in both languages, a Chinese screen never shows
 * the drivers' English where the cause says it all, and keeps it where it is the detail.
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
    /* English: the drivers' precise words. */
    CHECK_EQ_STR(cause_text(UI_LANG_EN, PAY_CAUSE_BALANCE,
                            "buyer's bank card balance is not enough", buf, sizeof buf),
                 "buyer's bank card balance is not enough");
    /* Chinese: the cause's words alone where they say it all. */
    cause_text(UI_LANG_ZH, PAY_CAUSE_BALANCE, "buyer's balance is not enough", buf, sizeof buf);
    CHECK(strstr(buf, "余额不足") != NULL);
    CHECK(!has_english_word(buf));
    cause_text(UI_LANG_ZH, PAY_CAUSE_CODE_EXPIRED, "payment code expired: ask for a new one", buf,
               sizeof buf);
    CHECK(strstr(buf, "过期") != NULL);
    CHECK(!has_english_word(buf));
    cause_text(UI_LANG_ZH, PAY_CAUSE_WINDOW_CLOSED, "no definite answer within the payment window",
               buf, sizeof buf);
    CHECK(!has_english_word(buf));
    /* ... and with the English detail where the vendor needs it. */
    cause_text(UI_LANG_ZH, PAY_CAUSE_NO_ANSWER, "no answer from the gateway: Timeout was reached",
               buf, sizeof buf);
    CHECK_EQ_STR(buf, "网关无应答（no answer from the gateway: Timeout was reached）");
    cause_text(UI_LANG_ZH, PAY_CAUSE_MERCHANT_SETUP, "Alipay refused the request (40002 isv.x)",
               buf, sizeof buf);
    CHECK(strstr(buf, "isv.x") != NULL);
    /* A reason journaled before causes existed, or nothing to say. */
    CHECK_EQ_STR(cause_text(UI_LANG_ZH, PAY_CAUSE_OTHER, "old words", buf, sizeof buf),
                 "old words");
    CHECK_EQ_STR(cause_text(UI_LANG_ZH, PAY_CAUSE_NONE, "", buf, sizeof buf), "");
    CHECK_EQ_STR(cause_text(UI_LANG_EN, PAY_CAUSE_NONE, "", buf, sizeof buf), "");
    /* A cause without English words (cannot come from the engine, but a screen must cope). */
    CHECK_EQ_STR(cause_text(UI_LANG_EN, PAY_CAUSE_ABORTED, "", buf, sizeof buf),
                 "cancelled by the cashier");
    /* Out of range reads as nothing better than the words. */
    CHECK_EQ_STR(cause_text(UI_LANG_ZH, (enum pay_cause)99, "words", buf, sizeof buf), "words");
    /* Truncation is safe. */
    char tiny[5];
    cause_text(UI_LANG_EN, PAY_CAUSE_BALANCE, "long words here", tiny, sizeof tiny);
    CHECK_EQ_STR(tiny, "long");
    return check_done();
}
