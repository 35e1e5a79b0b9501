/*
 * test_core_order_no.c - order and refund numbers: the shape, the 32-character limit, the
 * allowed characters, and uniqueness across terminals, days and sequence numbers.
 */
#include <stdlib.h>

#include "check.h"
#include "order_no.h"

static int allowed_chars(const char *s)
{
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static void test_shape(void)
{
    char out[ORDER_NO_MAX + 1];
    CHECK(order_no_format("T1", "K7Q2MX3A", 1, out));
    CHECK_EQ_STR(out, "T1-K7Q2MX3A-000001");
    CHECK(order_no_format("SHOP_07", "AAAAAAAA", 999999, out));
    CHECK_EQ_STR(out, "SHOP_07-AAAAAAAA-999999");
    CHECK(order_no_format("POS", "ZZ234567", 1000000, out));
    CHECK_EQ_STR(out, "POS-ZZ234567-1000000");

    /* The longest terminal id with the widest sequence still fits, and stays valid. */
    CHECK(order_no_format("ABCDEFGHIJKL", "ABCDEFGH", UINT32_MAX, out));
    CHECK_EQ_STR(out, "ABCDEFGHIJKL-ABCDEFGH-4294967295");
    CHECK_EQ_INT(strlen(out), ORDER_NO_MAX);
    CHECK(order_no_valid(out));

    /* Terminal ids: 1..12 of [A-Za-z0-9_]; a dash would make numbers ambiguous. */
    memset(out, 0, sizeof out);
    CHECK(!order_no_format("", "K7Q2MX3A", 1, out));
    CHECK(!order_no_format("ABCDEFGHIJKLM", "K7Q2MX3A", 1, out));
    CHECK(!order_no_format("T-1", "K7Q2MX3A", 1, out));
    CHECK(!order_no_format("T 1", "K7Q2MX3A", 1, out));
    CHECK(!order_no_format("T/1", "K7Q2MX3A", 1, out));
    CHECK(!order_no_format("T\xc3\xa9", "K7Q2MX3A", 1, out));
    /* Journal ids: exactly 8 of base32's [A-Z2-7]; no journal, no number. */
    CHECK(!order_no_format("T1", NULL, 1, out));
    CHECK(!order_no_format("T1", "", 1, out));
    CHECK(!order_no_format("T1", "K7Q2MX3", 1, out));
    CHECK(!order_no_format("T1", "K7Q2MX3AB", 1, out));
    CHECK(!order_no_format("T1", "k7q2mx3a", 1, out));
    CHECK(!order_no_format("T1", "K7Q2MX31", 1, out)); /* 1 is not base32 */
    CHECK(!order_no_format("T1", "K7Q2-X3A", 1, out));
    CHECK(!order_no_format("T1", "K7Q2MX3A", 0, out)); /* sequences start at 1 */
    CHECK_EQ_STR(out, "");
    CHECK(journal_id_valid("ABCDEFGH"));
    CHECK(journal_id_valid("22222222"));
    CHECK(!journal_id_valid("ABCDEFG8"));
    CHECK(terminal_id_valid("A"));
    CHECK(terminal_id_valid("abc_XYZ_0129"));
    CHECK(!terminal_id_valid(""));
    CHECK(!terminal_id_valid("abc_XYZ_01290"));
    CHECK(!terminal_id_valid("a-b"));
}

static void test_valid(void)
{
    CHECK(order_no_valid("a"));
    CHECK(order_no_valid("T1-20261123-000001"));
    CHECK(order_no_valid("T1-20261123-000001R12"));
    CHECK(order_no_valid("ABCDEFGHIJKLMNOPQRSTUVWXYZ_-0123"));
    CHECK(!order_no_valid(""));
    CHECK(!order_no_valid("ABCDEFGHIJKLMNOPQRSTUVWXYZ_-01234"));
    CHECK(!order_no_valid("T1 20261123"));
    CHECK(!order_no_valid("T1.20261123"));
    CHECK(!order_no_valid("T1/20261123"));
    CHECK(!order_no_valid("T1'; DROP TABLE payments;--"));
    CHECK(!order_no_valid("T1\n"));
    CHECK(!order_no_valid("\xe8\xae\xa2\xe5\x8d\x95"));
}

static void test_refund_numbers(void)
{
    char order[ORDER_NO_MAX + 1], refund[ORDER_NO_MAX + 1];
    CHECK(order_no_format("T1", "K7Q2MX3A", 42, order));
    CHECK(refund_no_format(order, 1, refund));
    CHECK_EQ_STR(refund, "T1-K7Q2MX3A-000042R1");
    CHECK(refund_no_format(order, 17, refund));
    CHECK_EQ_STR(refund, "T1-K7Q2MX3A-000042R17");
    CHECK(!refund_no_format(order, 0, refund));
    CHECK(!refund_no_format("", 1, refund));
    CHECK(!refund_no_format("bad order", 1, refund));

    /* The promise of TERMINAL_ID_MAX: with the longest id and a six-digit sequence, refund
     * numbers up to R999 fit, are valid, and differ from each other and from the order. */
    CHECK(order_no_format("ABCDEFGHIJKL", "K7Q2MX3A", 999999, order));
    int fits = 0;
    for (unsigned n = 1; n <= 999; n++) {
        if (refund_no_format(order, n, refund) && order_no_valid(refund) &&
            strlen(refund) <= ORDER_NO_MAX && strncmp(refund, order, strlen(order)) == 0 &&
            strcmp(refund, order) != 0)
            fits++;
    }
    CHECK_EQ_INT(fits, 999);
    CHECK(refund_no_format(order, 999, refund));
    CHECK_EQ_STR(refund, "ABCDEFGHIJKL-K7Q2MX3A-999999R999");

    /* Past the limit the answer is "no", never a truncated number that might collide. */
    memset(refund, 0, sizeof refund);
    CHECK(!refund_no_format(order, 1000, refund));
    CHECK(order_no_format("ABCDEFGHIJKL", "K7Q2MX3A", UINT32_MAX, order));
    CHECK(!refund_no_format(order, 1, refund));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

/* Numbers from different terminals, journals and sequences never coincide, including ids
 * that are prefixes of one another and sequences that cross the six-digit width. */
static void test_unique(void)
{
    static const char *ids[] = {"T", "T1", "T12", "T1_2", "t1", "ABCDEFGHIJKL", "ABCDEFGHIJK"};
    static const char *days[] = {"K7Q2MX3A", "K7Q2MX3B", "AAAAAAAA", "77777777"};
    static const uint32_t seqs[] = {3,  1,   2,      9,       10,      11,       12,
                                    99, 100, 999999, 1000000, 1000001, 12345678, UINT32_MAX};
    enum { NIDS = 7, NDAYS = 4, NSEQS = 14, N = NIDS * NDAYS * NSEQS + 4000 };
    static char all[N][ORDER_NO_MAX + 1];
    int n = 0, failed = 0;
    for (int i = 0; i < NIDS; i++)
        for (int d = 0; d < NDAYS; d++)
            for (int s = 0; s < NSEQS; s++)
                if (!order_no_format(ids[i], days[d], seqs[s], all[n++]))
                    failed++;
    for (uint32_t s = 1; s <= 4000; s++)
        if (!order_no_format("T1", "QQQQQQQQ", s, all[n++]))
            failed++;
    CHECK_EQ_INT(failed, 0);
    int bad_shape = 0;
    for (int i = 0; i < n; i++)
        if (!order_no_valid(all[i]) || !allowed_chars(all[i]) || strlen(all[i]) > ORDER_NO_MAX)
            bad_shape++;
    CHECK_EQ_INT(bad_shape, 0);
    qsort(all, (size_t)n, sizeof all[0], cmp_str);
    int dups = 0;
    for (int i = 1; i < n; i++)
        if (strcmp(all[i - 1], all[i]) == 0) {
            fprintf(stderr, "  duplicate order number %s\n", all[i]);
            dups++;
        }
    printf("uniqueness: %d order numbers, %d duplicates\n", n, dups);
    CHECK_EQ_INT(dups, 0);
}

int main(void)
{
    test_shape();
    test_valid();
    test_refund_numbers();
    test_unique();
    return check_done();
}
