/*
 * test_core_paycode.c - payment codes: channel routing by prefix and length, one reason per
 * rejection, and masks that never show more than the first 6 and the last 4 digits.
 */
#include "check.h"
#include "paycode.h"

static void expect_channel(const char *code, enum pay_channel want)
{
    enum pay_channel ch = (enum pay_channel)99;
    enum paycode_status st = paycode_channel(code, &ch);
    if (st != PAYCODE_OK || ch != want)
        fprintf(stderr, "  code \"%s\": status %d channel %d\n", code, (int)st, (int)ch);
    CHECK_EQ_INT(st, PAYCODE_OK);
    CHECK_EQ_INT(ch, want);
}

static void expect_reject(const char *code, enum paycode_status want)
{
    enum pay_channel ch = (enum pay_channel)99;
    enum paycode_status st = paycode_channel(code, &ch);
    if (st != want)
        fprintf(stderr, "  code \"%s\": status %d, wanted %d\n", code ? code : "(null)", (int)st,
                (int)want);
    CHECK_EQ_INT(st, want);
    CHECK_EQ_INT(ch, CHANNEL_NONE);
    const char *reason = paycode_status_reason(st);
    CHECK(reason != NULL && reason[0] != '\0');
    CHECK(strcmp(reason, "ok") != 0);
    CHECK(strcmp(reason, "invalid payment code") != 0);
}

/* "<prefix>" followed by digits up to len characters. */
static const char *code_of(const char *prefix, size_t len)
{
    static char buf[128];
    size_t p = strlen(prefix);
    for (size_t i = 0; i < len && i < sizeof buf - 1; i++)
        buf[i] = i < p ? prefix[i] : (char)('0' + (i * 7 + 3) % 10);
    buf[len < sizeof buf - 1 ? len : sizeof buf - 1] = '\0';
    return buf;
}

static void test_wechat(void)
{
    expect_channel("134567890123456789", CHANNEL_WECHAT);
    char prefix[3];
    for (int pre = 10; pre <= 15; pre++) {
        snprintf(prefix, sizeof prefix, "%d", pre);
        expect_channel(code_of(prefix, 18), CHANNEL_WECHAT);
        expect_reject(code_of(prefix, 17), PAYCODE_BAD_LENGTH);
        expect_reject(code_of(prefix, 19), PAYCODE_BAD_LENGTH);
        expect_reject(code_of(prefix, 16), PAYCODE_BAD_LENGTH);
    }
}

static void test_alipay(void)
{
    expect_channel("2876543210987654", CHANNEL_ALIPAY);
    char prefix[3];
    for (int pre = 25; pre <= 30; pre++) {
        snprintf(prefix, sizeof prefix, "%d", pre);
        for (size_t len = 16; len <= 24; len++)
            expect_channel(code_of(prefix, len), CHANNEL_ALIPAY);
        expect_reject(code_of(prefix, 15), PAYCODE_BAD_LENGTH);
        expect_reject(code_of(prefix, 25), PAYCODE_BAD_LENGTH);
        expect_reject(code_of(prefix, 2), PAYCODE_BAD_LENGTH);
    }
}

static void test_other_wallets_and_prefixes(void)
{
    /* UnionPay QuickPass: a real wallet, told apart from noise. */
    expect_reject("6212345678901234567", PAYCODE_UNSUPPORTED);
    expect_reject(code_of("62", 16), PAYCODE_UNSUPPORTED);
    CHECK(strstr(paycode_status_reason(PAYCODE_UNSUPPORTED), "not supported") != NULL);

    /* Every two-digit prefix outside 10-15, 25-30 and 62 belongs to nobody we know. */
    char prefix[3];
    for (int pre = 0; pre <= 99; pre++) {
        if ((pre >= 10 && pre <= 15) || (pre >= 25 && pre <= 30) || pre == 62)
            continue;
        snprintf(prefix, sizeof prefix, "%02d", pre);
        expect_reject(code_of(prefix, 18), PAYCODE_UNKNOWN);
        expect_reject(code_of(prefix, 20), PAYCODE_UNKNOWN);
    }
    expect_reject("1", PAYCODE_UNKNOWN);
    expect_reject("2", PAYCODE_UNKNOWN);
}

static void test_not_codes(void)
{
    expect_reject(NULL, PAYCODE_EMPTY);
    expect_reject("", PAYCODE_EMPTY);
    expect_reject("13456789012345678a", PAYCODE_NOT_DIGITS);
    expect_reject("a34567890123456789", PAYCODE_NOT_DIGITS);
    expect_reject(" 134567890123456789", PAYCODE_NOT_DIGITS);
    expect_reject("134567890123456789 ", PAYCODE_NOT_DIGITS);
    expect_reject("134567890123456789\n", PAYCODE_NOT_DIGITS);
    expect_reject("134567890123456789\r", PAYCODE_NOT_DIGITS);
    expect_reject("1345678901234567\t89", PAYCODE_NOT_DIGITS);
    expect_reject("-34567890123456789", PAYCODE_NOT_DIGITS);
    expect_reject("\xef\xbc\x91\xef\xbc\x93", PAYCODE_NOT_DIGITS); /* full-width digits */
    expect_reject("https://qr.alipay.com/x", PAYCODE_NOT_DIGITS);
    expect_reject(code_of("13", AUTH_CODE_MAX + 1), PAYCODE_TOO_LONG);
    expect_reject(code_of("28", 100), PAYCODE_TOO_LONG);
    /* The longest code still read to the end is AUTH_CODE_MAX; it is simply no wallet's. */
    expect_reject(code_of("28", AUTH_CODE_MAX), PAYCODE_BAD_LENGTH);

    for (int a = PAYCODE_EMPTY; a <= PAYCODE_BAD_LENGTH; a++)
        for (int b = a + 1; b <= PAYCODE_BAD_LENGTH; b++)
            CHECK(strcmp(paycode_status_reason((enum paycode_status)a),
                         paycode_status_reason((enum paycode_status)b)) != 0);
}

/* The mask shows "****" and the code's last four characters, nothing more: not its length,
 * not its first digits. */
static void check_mask(const char *code)
{
    char out[AUTH_CODE_MAX + 1], want[AUTH_CODE_MAX + 1];
    size_t len = strlen(code);
    paycode_mask(code, out, sizeof out);
    snprintf(want, sizeof want, "****%s", len > 4 ? code + len - 4 : code);
    if (strcmp(out, want) != 0)
        fprintf(stderr, "  mask of \"%s\" is \"%s\"\n", code, out);
    CHECK_EQ_STR(out, want);
    CHECK(strlen(out) < PAYCODE_MASK_MAX);
}

static void test_mask(void)
{
    char out[AUTH_CODE_MAX + 1];
    paycode_mask("134567890123456789", out, sizeof out);
    CHECK_EQ_STR(out, "****6789");
    paycode_mask("2876543210987654", out, sizeof out);
    CHECK_EQ_STR(out, "****7654");
    paycode_mask("28765432109876543210123", out, sizeof out);
    CHECK_EQ_STR(out, "****0123");
    paycode_mask("6789", out, sizeof out); /* the last four kept after the code is wiped */
    CHECK_EQ_STR(out, "****6789");
    paycode_mask("", out, sizeof out);
    CHECK_EQ_STR(out, "");

    for (size_t len = 1; len <= AUTH_CODE_MAX; len++)
        check_mask(code_of("28", len));

    /* A short buffer truncates and stays terminated, never showing more of the code. */
    char small[6];
    memset(small, 'x', sizeof small);
    paycode_mask("134567890123456789", small, sizeof small);
    CHECK_EQ_STR(small, "****6");
    char one[1] = {'x'};
    paycode_mask("134567890123456789", one, sizeof one);
    CHECK_EQ_INT(one[0], '\0');
}

static void test_last4(void)
{
    char l4[5];
    paycode_last4("134567890123456789", l4);
    CHECK_EQ_STR(l4, "6789");
    paycode_last4("2876543210987654", l4);
    CHECK_EQ_STR(l4, "7654");
    paycode_last4("1234", l4);
    CHECK_EQ_STR(l4, "1234");
    paycode_last4("12", l4);
    CHECK_EQ_STR(l4, "12");
    paycode_last4("", l4);
    CHECK_EQ_STR(l4, "");
}

int main(void)
{
    test_wechat();
    test_alipay();
    test_other_wallets_and_prefixes();
    test_not_codes();
    test_mask();
    test_last4();
    return check_done();
}
