/*
 * test_loop_notes.c - the loop's notes (app/loop_notes.def) are complete in both languages:
 * every id has English and Chinese, the Chinese holds no ASCII letter outside its
 * conversions, and both take the same conversions for the same values; every word a value
 * brings (a journal, money, scan or engine reason, a channel, a state) has Chinese too; and a
 * few notes read exactly as the cashier sees them.
 *
 * Rule for letters: a Chinese sentence's own words are Chinese. What may be ASCII arrives as a
 * value: an order or refund number, a masked code, the SQLite error or a terminal id (kept in
 * English so that support can search for them), and the product's name, "posterm", inside a
 * journal reason. Channel names are values too and have Chinese names (微信支付, 支付宝).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "engine.h"
#include "journal.h"
#include "loop.h"
#include "loop_notes.h"
#include "money.h"
#include "paycode.h"

#define CONV_MAX 8

/* A format's conversions by value number (1-based): conv[n] is the conversion that takes value
 * n ("s", "d", "ld"); *count how many values it takes. False for a malformed format or one
 * that takes a value twice or skips one. */
static bool conversions(const char *fmt, char conv[CONV_MAX + 1][4], int *count)
{
    int next = 1, used = 0;
    memset(conv, 0, sizeof(char[CONV_MAX + 1][4]));
    for (const char *s = fmt; *s; s++) {
        if (*s != '%')
            continue;
        s++;
        if (*s == '%')
            continue;
        int n = next;
        const char *d = s;
        int num = 0;
        while (*d >= '0' && *d <= '9')
            num = num * 10 + (*d++ - '0');
        if (*d == '$' && d > s) {
            n = num;
            s = d + 1;
        } else {
            next++;
        }
        while (*s && strchr("-+ #0123456789.", *s))
            s++;
        char c[4] = {0};
        size_t k = 0;
        while (*s && strchr("hlzjt", *s) && k < 2)
            c[k++] = *s++;
        if (!*s || n < 1 || n > CONV_MAX || conv[n][0])
            return false;
        c[k] = *s;
        memcpy(conv[n], c, sizeof c);
        used++;
    }
    for (int n = 1; n <= used; n++)
        if (!conv[n][0])
            return false;
    *count = used;
    return true;
}

/* The first ASCII letter outside the format's conversions, or NULL. */
static const char *letter_outside_conversions(const char *fmt)
{
    for (const char *s = fmt; *s; s++) {
        if (*s == '%') {
            s++;
            if (*s == '%')
                continue;
            while (*s && !strchr("sdiuxXcfgp", *s))
                s++;
            if (!*s)
                return NULL;
            continue;
        }
        if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))
            return s;
    }
    return NULL;
}

/* True when s holds an ASCII letter other than those of allowed (a value's own text). */
static bool has_letter_besides(const char *s, const char *const *allowed, int nallowed)
{
    for (const char *p = s; *p;) {
        bool skipped = false;
        for (int i = 0; i < nallowed; i++) {
            size_t n = strlen(allowed[i]);
            if (n && strncmp(p, allowed[i], n) == 0) {
                p += n;
                skipped = true;
                break;
            }
        }
        if (skipped)
            continue;
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
            return true;
        p++;
    }
    return false;
}

static void check_table(void)
{
    for (int n = 0; n < LOOP_NOTE__COUNT; n++) {
        const char *name = loop_note_name((enum loop_note)n);
        const char *en = loop_note_format(LOOP_LANG_EN, (enum loop_note)n);
        const char *zh = loop_note_format(LOOP_LANG_ZH, (enum loop_note)n);
        CHECK(name != NULL && en != NULL && zh != NULL);
        if (!name || !en || !zh)
            continue;
        CHECK(en[0] != '\0');
        CHECK(zh[0] != '\0');
        const char *letter = letter_outside_conversions(zh);
        if (letter)
            fprintf(stderr, "note %s: English in its Chinese: \"%s\"\n", name, zh);
        CHECK(letter == NULL);
        char ce[CONV_MAX + 1][4], cz[CONV_MAX + 1][4];
        int ne = -1, nz = -2;
        CHECK(conversions(en, ce, &ne));
        CHECK(conversions(zh, cz, &nz));
        if (ne != nz || memcmp(ce, cz, sizeof ce) != 0)
            fprintf(stderr, "note %s: \"%s\" and \"%s\" take different values\n", name, en, zh);
        CHECK_EQ_INT(ne, nz);
        CHECK(memcmp(ce, cz, sizeof ce) == 0);
    }
    CHECK(loop_note_name(LOOP_NOTE__COUNT) == NULL);
    CHECK(loop_note_format(LOOP_LANG_ZH, LOOP_NOTE__COUNT) == NULL);
}

/* The test's own parser agrees with the compiler's reading of a few formats. */
static void check_parser(void)
{
    char c[CONV_MAX + 1][4];
    int n;
    CHECK(conversions("a %s b %d %lld 100%%", c, &n) && n == 3);
    CHECK(strcmp(c[1], "s") == 0 && strcmp(c[2], "d") == 0 && strcmp(c[3], "lld") == 0);
    CHECK(conversions("%2$s %1$d", c, &n) && n == 2);
    CHECK(strcmp(c[1], "d") == 0 && strcmp(c[2], "s") == 0);
    CHECK(!conversions("%1$s %1$s", c, &n)); /* a value twice */
    CHECK(!conversions("%2$s", c, &n));      /* value 1 skipped */
    CHECK(letter_outside_conversions("订单 %s：%2$d") == NULL);
    CHECK(letter_outside_conversions("订单 %s：order") != NULL);
}

/* Every value word has Chinese: rendered alone or nearly, no English remains. */
static void check_value_words(void)
{
    static const char *const allowed[] = {"posterm"};
    char out[400];
    struct loop_message m = {0};
    for (int st = JOURNAL_OK; st <= JOURNAL_IO; st++) {
        m = (struct loop_message){.note = LOOP_NOTE_REFUND_JOURNAL,
                                  .journal = (enum journal_status)st,
                                  .journal_reason = journal_status_reason((enum journal_status)st)};
        loop_note_render(LOOP_LANG_ZH, &m, out, sizeof out);
        if (has_letter_besides(out, allowed, 1))
            fprintf(stderr, "journal status %d without Chinese: %s\n", st, out);
        CHECK(!has_letter_besides(out, allowed, 1));
        loop_note_render(LOOP_LANG_EN, &m, out, sizeof out);
        CHECK(strstr(out, journal_status_reason((enum journal_status)st)) != NULL);
    }
    for (int st = MONEY_OK; st <= MONEY_ABOVE_MAX; st++) {
        m = (struct loop_message){.note = LOOP_NOTE_BAD_AMOUNT, .money = (enum money_status)st};
        loop_note_render(LOOP_LANG_ZH, &m, out, sizeof out);
        CHECK(out[0] != '\0' && !has_letter_besides(out, allowed, 0));
        loop_note_render(LOOP_LANG_EN, &m, out, sizeof out);
        CHECK_EQ_STR(out, money_status_reason((enum money_status)st));
    }
    for (int st = PAYCODE_OK; st <= PAYCODE_BAD_LENGTH; st++) {
        m = (struct loop_message){.note = LOOP_NOTE_BAD_SCAN, .paycode = (enum paycode_status)st};
        loop_note_render(LOOP_LANG_ZH, &m, out, sizeof out);
        CHECK(!has_letter_besides(out, allowed, 0));
    }
    for (int st = ENGINE_OK; st <= ENGINE_INVALID; st++) {
        m = (struct loop_message){.note = LOOP_NOTE_REFUND_REFUSED,
                                  .engine = (enum engine_status)st};
        loop_note_render(LOOP_LANG_ZH, &m, out, sizeof out);
        CHECK(!has_letter_besides(out, allowed, 0));
    }
    for (int st = PAY_NEW; st <= PAY_REFERRED; st++) {
        m = (struct loop_message){
            .note = LOOP_NOTE_REFUND_NOT_PAID, .order_no = "", .state = (enum pay_state)st};
        loop_note_render(LOOP_LANG_ZH, &m, out, sizeof out);
        CHECK(!has_letter_besides(out, allowed, 0));
    }
    for (int c = CHANNEL_NONE; c <= CHANNEL_ALIPAY; c++) {
        m = (struct loop_message){.note = LOOP_NOTE_CHANNEL_OFF, .channel = (enum pay_channel)c};
        loop_note_render(LOOP_LANG_ZH, &m, out, sizeof out);
        CHECK(!has_letter_besides(out, allowed, 0));
    }
}

/* A few notes, word for word in both languages: the values where the sentence names them. */
static void check_examples(void)
{
    char out[400];
    struct loop_message busy = {.note = LOOP_NOTE_BUSY};
    loop_note_render(LOOP_LANG_ZH, &busy, out, sizeof out);
    CHECK_EQ_STR(out, "有一笔收款正在进行：请先完成或中止");
    loop_note_render(LOOP_LANG_EN, &busy, out, sizeof out);
    CHECK_EQ_STR(out, "a payment is under way: finish or abort it first");

    struct loop_message scan = {.note = LOOP_NOTE_SCAN_WHILE_BUSY, .code = "****1203"};
    loop_note_render(LOOP_LANG_ZH, &scan, out, sizeof out);
    CHECK_EQ_STR(out, "付款码 ****1203 未受理：已有一笔收款正在进行");
    loop_note_render(LOOP_LANG_EN, &scan, out, sizeof out);
    CHECK_EQ_STR(out, "scan ****1203 refused: a payment is already under way");

    struct loop_message above = {.note = LOOP_NOTE_REFUND_ABOVE, .amount_fen = 1250};
    loop_note_render(LOOP_LANG_ZH, &above, out, sizeof out);
    CHECK_EQ_STR(out, "退款金额须大于 0.00 且不超过 12.50");
    loop_note_render(LOOP_LANG_EN, &above, out, sizeof out);
    CHECK_EQ_STR(out, "refund must be above 0.00 and at most 12.50");

    struct loop_message not_paid = {
        .note = LOOP_NOTE_REFUND_NOT_PAID, .order_no = "E2E1202611230007", .state = PAY_CANCELLED};
    loop_note_render(LOOP_LANG_ZH, &not_paid, out, sizeof out);
    CHECK_EQ_STR(out, "订单 E2E1202611230007 状态为已撤销：只有已支付的订单可以退款");
    loop_note_render(LOOP_LANG_EN, &not_paid, out, sizeof out);
    CHECK_EQ_STR(out, "order E2E1202611230007 is CANCELLED: only a paid order can be refunded");

    /* Technical words stay as they came; the journal's reason is translated. */
    struct loop_message held = {.note = LOOP_NOTE_JOURNAL_HELD,
                                .journal = JOURNAL_FULL,
                                .journal_reason = journal_status_reason(JOURNAL_FULL),
                                .detail = "database or disk is full",
                                .order_no = "E2E1202611230002"};
    loop_note_render(LOOP_LANG_ZH, &held, out, sizeof out);
    CHECK_EQ_STR(out, "日志：磁盘已满：什么也没有写入（database or disk is full）；"
                      "订单 E2E1202611230002 暂停，日志可写入后继续");

    /* A translation that reorders its values with %n$. */
    struct loop_message clock = {.note = LOOP_NOTE_CLOCK_WRONG, .count = 7, .detail = "behind"};
    loop_note_render(LOOP_LANG_ZH, &clock, out, sizeof out);
    CHECK_EQ_STR(out, "终端时钟比网关慢 7 分钟：请校准时钟");
    loop_note_render(LOOP_LANG_EN, &clock, out, sizeof out);
    CHECK_EQ_STR(out, "the terminal's clock is 7 minutes behind the gateway's: set the clock");
    clock.detail = "ahead";
    loop_note_render(LOOP_LANG_EN, &clock, out, sizeof out);
    CHECK_EQ_STR(out, "the terminal's clock is 7 minutes ahead of the gateway's: set the clock");

    struct loop_message other = {
        .note = LOOP_NOTE_REFUND_KEY_OTHER, .order_no = "T1202601010001", .amount_fen = 300};
    loop_note_render(LOOP_LANG_ZH, &other, out, sizeof out);
    CHECK_EQ_STR(out, "该退款编号属于订单 T1202601010001 的 3.00 退款：未发送");

    struct loop_message off = {.note = LOOP_NOTE_CHANNEL_OFF, .channel = CHANNEL_WECHAT};
    loop_note_render(LOOP_LANG_ZH, &off, out, sizeof out);
    CHECK_EQ_STR(out, "本终端未开通微信支付");
    loop_note_render(LOOP_LANG_EN, &off, out, sizeof out);
    CHECK_EQ_STR(out, "WeChat Pay is not set up on this terminal");

    /* A payment left for the merchant: why, in the cashier's words, never the gateway's. */
    struct loop_message referred = {.note = LOOP_NOTE_REFERRED,
                                    .order_no = "T1202601010001",
                                    .cause = PAY_CAUSE_AMOUNT_MISMATCH,
                                    .detail = "gateway reported 9.00 for this order number"};
    loop_note_render(LOOP_LANG_EN, &referred, out, sizeof out);
    CHECK_EQ_STR(out, "payment T1202601010001 is left for the merchant: the payment service "
                      "reported another amount; settle it in the merchant portal");
    loop_note_render(LOOP_LANG_ZH, &referred, out, sizeof out);
    CHECK_EQ_STR(out,
                 "订单 T1202601010001 需商户处理：支付平台报告的金额与本笔不符；请在商户平台处理");

    /* Levels come from the rows. */
    CHECK_EQ_INT(loop_note_level(LOOP_NOTE_RECOVERED), LOOP_INFO);
    CHECK_EQ_INT(loop_note_level(LOOP_NOTE_BUSY), LOOP_WARN);
    CHECK_EQ_INT(loop_note_level(LOOP_NOTE_JOURNAL_HELD), LOOP_ERROR);

    /* A number past the table is still said. */
    struct loop_message unknown = {.note = LOOP_NOTE__COUNT};
    loop_note_render(LOOP_LANG_ZH, &unknown, out, sizeof out);
    CHECK(out[0] != '\0');

    enum loop_lang lang = LOOP_LANG_EN;
    CHECK(loop_lang_from_name("zh", &lang) && lang == LOOP_LANG_ZH);
    CHECK(loop_lang_from_name("en", &lang) && lang == LOOP_LANG_EN);
    CHECK(!loop_lang_from_name("fr", &lang) && lang == LOOP_LANG_EN);
}

int main(void)
{
    check_parser();
    check_table();
    check_value_words();
    check_examples();
    return check_done();
}
