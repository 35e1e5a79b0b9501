/*
 * fuzz_money.c - money_parse() on any text, and money_format() on any int64: exact both ways.
 *
 * Input: the first 8 bytes are an int64 x and the next 8 a maximum; the rest is the text.
 * Properties: for x > 0, parse(format(x)) == x (no maximum) and format always fits; an
 * accepted text is above zero, within the maximum, and parses again to the same fen from
 * its canonical form; a refusal has a reason; a text with a '-' or more than two decimals
 * is never accepted.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"

static void must(int ok)
{
    if (!ok)
        abort();
}

static int64_t take_int64(const uint8_t *data)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | data[i];
    return (int64_t)v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 16)
        return 0;
    int64_t x = take_int64(data), max = take_int64(data + 8);
    char text[MONEY_TEXT_MAX];
    int64_t back = -1;

    money_format(x, text);
    must(memchr(text, '\0', sizeof text) != NULL);
    enum money_status st = money_parse(text, 0, &back);
    if (x > 0) {
        must(st == MONEY_OK);
        must(back == x);
    } else {
        must(st == (x == 0 ? MONEY_ZERO : MONEY_NEGATIVE));
    }

    /* The rest as typed text (NUL-terminated copy; an embedded NUL ends it early). */
    size_t n = size - 16;
    char *typed = malloc(n + 1);
    if (typed == NULL)
        return 0;
    memcpy(typed, data + 16, n);
    typed[n] = '\0';
    int64_t fen = -1;
    st = money_parse(typed, max, &fen);
    must(money_status_reason(st) != NULL && money_status_reason(st)[0] != '\0');
    if (st == MONEY_OK) {
        must(fen > 0);
        must(max <= 0 || fen <= max);
        must(strchr(typed, '-') == NULL);
        const char *point = strchr(typed, '.');
        must(point == NULL || strlen(point + 1) <= 2);
        int64_t again = -1;
        must(money_parse(money_format(fen, text), max, &again) == MONEY_OK && again == fen);
    } else {
        must(fen == -1); /* a refusal leaves the output alone */
    }
    free(typed);
    return 0;
}
