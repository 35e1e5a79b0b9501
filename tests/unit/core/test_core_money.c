/*
 * test_core_money.c - amounts: every rejection with its reason, exact printing, and parse/format
 * round trips over many values. No floating point anywhere, so every figure is exact.
 */
#include <stdint.h>

#include "check.h"
#include "money.h"

/* The sentinel must survive every rejected parse: bad input never overwrites a good value. */
#define SENTINEL ((int64_t)-777)

static void expect_ok(const char *text, int64_t max_fen, int64_t want)
{
    int64_t fen = SENTINEL;
    enum money_status st = money_parse(text, max_fen, &fen);
    if (st != MONEY_OK || fen != want)
        fprintf(stderr, "  parsing \"%s\" (max %" PRId64 "): status %d, fen %" PRId64 "\n", text,
                max_fen, (int)st, fen);
    CHECK_EQ_INT(st, MONEY_OK);
    CHECK_EQ_INT(fen, want);
}

static void expect_reject(const char *text, int64_t max_fen, enum money_status want)
{
    int64_t fen = SENTINEL;
    enum money_status st = money_parse(text, max_fen, &fen);
    if (st != want)
        fprintf(stderr, "  parsing \"%s\": status %d, wanted %d\n", text ? text : "(null)", (int)st,
                (int)want);
    CHECK_EQ_INT(st, want);
    CHECK_EQ_INT(fen, SENTINEL);
    /* Each rejection has its own plain-words reason, distinct from the generic fallback. */
    const char *reason = money_status_reason(st);
    CHECK(reason != NULL && reason[0] != '\0');
    CHECK(strcmp(reason, "ok") != 0);
    CHECK(strcmp(reason, "invalid amount") != 0);
}

static void test_accepted(void)
{
    expect_ok("12.30", 0, 1230);
    expect_ok("12.3", 0, 1230);
    expect_ok("12", 0, 1200);
    expect_ok("12.", 0, 1200);
    expect_ok(".5", 0, 50);
    expect_ok(".05", 0, 5);
    expect_ok("0.01", 0, 1);
    expect_ok("0.1", 0, 10);
    expect_ok("0.10", 0, 10);
    expect_ok("007.50", 0, 750);
    expect_ok("1", 0, 100);
    expect_ok("99999.99", 0, 9999999);
    /* Values a float would get wrong must come out exact. */
    expect_ok("0.29", 0, 29);
    expect_ok("1.15", 0, 115);
    expect_ok("4.35", 0, 435);
    expect_ok("19.99", 0, 1999);
    expect_ok("1234567890123.45", 0, 123456789012345);
    /* The maximum is inclusive; max_fen <= 0 means no maximum. */
    expect_ok("1000.00", 100000, 100000);
    expect_ok("999.99", 100000, 99999);
    expect_ok("5000000", 0, 500000000);
    expect_ok("5000000", -1, 500000000);
    /* The largest amount the parser promises to hold. */
    expect_ok("92233720368547749.99", 0, INT64_C(9223372036854774999));
}

static void test_rejected(void)
{
    expect_reject(NULL, 0, MONEY_EMPTY);
    expect_reject("", 0, MONEY_EMPTY);

    expect_reject("-1", 0, MONEY_NEGATIVE);
    expect_reject("-0.01", 0, MONEY_NEGATIVE);
    expect_reject("-12.30", 0, MONEY_NEGATIVE);
    expect_reject("-", 0, MONEY_NEGATIVE);

    expect_reject("12.345", 0, MONEY_DECIMALS);
    expect_reject("12.300", 0, MONEY_DECIMALS);
    expect_reject("0.001", 0, MONEY_DECIMALS);
    expect_reject(".123", 0, MONEY_DECIMALS);

    expect_reject("99999999999999999999", 0, MONEY_OVERFLOW);
    expect_reject("92233720368547759", 0, MONEY_OVERFLOW);
    expect_reject("100000000000000000000.00", 0, MONEY_OVERFLOW);
    expect_reject("999999999999999999999999999999999999999", 0, MONEY_OVERFLOW);

    expect_reject("abc", 0, MONEY_GARBAGE);
    expect_reject("12a", 0, MONEY_GARBAGE);
    expect_reject("1 2", 0, MONEY_GARBAGE);
    expect_reject(" 12", 0, MONEY_GARBAGE);
    expect_reject("12 ", 0, MONEY_GARBAGE);
    expect_reject("+12", 0, MONEY_GARBAGE);
    expect_reject("12.3.4", 0, MONEY_GARBAGE);
    expect_reject("1..2", 0, MONEY_GARBAGE);
    expect_reject(".", 0, MONEY_GARBAGE);
    expect_reject("1e3", 0, MONEY_GARBAGE);
    expect_reject("1,50", 0, MONEY_GARBAGE);
    expect_reject("0x10", 0, MONEY_GARBAGE);
    expect_reject("12\n", 0, MONEY_GARBAGE);
    expect_reject("\xef\xbc\x91\xef\xbc\x92", 0, MONEY_GARBAGE); /* full-width digits */
    expect_reject("nan", 0, MONEY_GARBAGE);
    expect_reject("inf", 0, MONEY_GARBAGE);

    expect_reject("0", 0, MONEY_ZERO);
    expect_reject("0.00", 0, MONEY_ZERO);
    expect_reject("0.0", 0, MONEY_ZERO);
    expect_reject("000", 0, MONEY_ZERO);
    expect_reject(".0", 0, MONEY_ZERO);
    expect_reject("0.", 0, MONEY_ZERO);

    expect_reject("1000.01", 100000, MONEY_ABOVE_MAX);
    expect_reject("1001", 100000, MONEY_ABOVE_MAX);
    expect_reject("0.02", 1, MONEY_ABOVE_MAX);

    /* The reasons differ from one another, so the cashier learns which rule was broken. */
    for (int a = MONEY_EMPTY; a <= MONEY_ABOVE_MAX; a++)
        for (int b = a + 1; b <= MONEY_ABOVE_MAX; b++)
            CHECK(strcmp(money_status_reason((enum money_status)a),
                         money_status_reason((enum money_status)b)) != 0);
}

static void expect_format(int64_t fen, const char *want)
{
    char buf[MONEY_TEXT_MAX];
    memset(buf, 'x', sizeof buf);
    CHECK(money_format(fen, buf) == buf);
    CHECK_EQ_STR(buf, want);
}

static void test_format(void)
{
    expect_format(0, "0.00");
    expect_format(1, "0.01");
    expect_format(10, "0.10");
    expect_format(99, "0.99");
    expect_format(100, "1.00");
    expect_format(1230, "12.30");
    expect_format(123456789, "1234567.89");
    expect_format(-1, "-0.01");
    expect_format(-99, "-0.99");
    expect_format(-100, "-1.00");
    expect_format(-1230, "-12.30");
    expect_format(INT64_MAX, "92233720368547758.07");
    expect_format(INT64_MIN, "-92233720368547758.08");
    expect_format(INT64_MIN + 1, "-92233720368547758.07");
}

/* xorshift64*: deterministic, so a failure names the value that broke. */
static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(2685821657736338717);
}

static int round_trip(int64_t fen)
{
    char text[MONEY_TEXT_MAX];
    int64_t back = SENTINEL;
    money_format(fen, text);
    if (money_parse(text, 0, &back) == MONEY_OK && back == fen)
        return 1;
    fprintf(stderr, "  round trip of %" PRId64 " fen: \"%s\" parsed as %" PRId64 "\n", fen, text,
            back);
    return 0;
}

static void test_round_trip(void)
{
    int bad = 0, n = 0;
    for (int64_t fen = 1; fen <= 200000; fen++, n++)
        bad += !round_trip(fen);
    /* Around every power of ten up to 10^18 fen, where digit counts change. */
    for (int64_t p = 1;; p *= 10) {
        for (int64_t d = -1; d <= 1; d++, n++)
            bad += !round_trip(p + d > 0 ? p + d : 1);
        if (p > INT64_MAX / 10)
            break;
    }
    uint64_t s = UINT64_C(0x9E3779B97F4A7C15);
    const uint64_t limit = UINT64_C(9223372036854774999); /* the parser's promised range */
    for (int i = 0; i < 200000; i++, n++) {
        uint64_t r = next_rand(&s);
        int shift = (int)(r & 63);
        uint64_t v = (next_rand(&s) >> shift) % limit + 1;
        bad += !round_trip((int64_t)v);
    }
    printf("round trip: %d values, %d wrong\n", n, bad);
    CHECK_EQ_INT(bad, 0);

    /* Every negative amount prints with its sign and is refused by the parser as negative. */
    char text[MONEY_TEXT_MAX];
    int64_t fen = SENTINEL;
    CHECK_EQ_INT(money_parse(money_format(-1230, text), 0, &fen), MONEY_NEGATIVE);
    CHECK_EQ_INT(money_parse(money_format(INT64_MIN, text), 0, &fen), MONEY_NEGATIVE);
    CHECK_EQ_INT(fen, SENTINEL);
}

int main(void)
{
    test_accepted();
    test_rejected();
    test_format();
    test_round_trip();
    return check_done();
}
