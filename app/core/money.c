/*
 * money.c - exact decimal parsing and printing of fen amounts.
 */
#include "money.h"

#include <inttypes.h>
#include <stdio.h>

enum money_status money_parse(const char *text, int64_t max_fen, int64_t *out_fen)
{
    if (text == NULL || *text == '\0')
        return MONEY_EMPTY;
    if (*text == '-')
        return MONEY_NEGATIVE;

    int64_t yuan = 0, fen = 0;
    int decimals = 0, digits = 0;
    int seen_point = 0;
    for (const char *s = text; *s; s++) {
        if (*s == '.') {
            if (seen_point)
                return MONEY_GARBAGE;
            seen_point = 1;
            continue;
        }
        if (*s < '0' || *s > '9')
            return MONEY_GARBAGE;
        int d = *s - '0';
        digits++;
        if (seen_point) {
            if (++decimals > 2)
                return MONEY_DECIMALS;
            fen = fen * 10 + d;
        } else {
            /* yuan must stay within INT64_MAX / 100: check before multiplying. */
            if (yuan > (INT64_MAX / 100 - d) / 10)
                return MONEY_OVERFLOW;
            yuan = yuan * 10 + d;
        }
    }
    if (digits == 0)
        return MONEY_GARBAGE;
    if (decimals == 1)
        fen *= 10;
    if (yuan == INT64_MAX / 100 && fen > INT64_MAX % 100)
        return MONEY_OVERFLOW;

    int64_t total = yuan * 100 + fen;
    if (total == 0)
        return MONEY_ZERO;
    if (max_fen > 0 && total > max_fen)
        return MONEY_ABOVE_MAX;
    *out_fen = total;
    return MONEY_OK;
}

const char *money_status_reason(enum money_status st)
{
    switch (st) {
    case MONEY_OK: return "ok";
    case MONEY_EMPTY: return "no amount entered";
    case MONEY_GARBAGE: return "not a number";
    case MONEY_NEGATIVE: return "amount cannot be negative";
    case MONEY_DECIMALS: return "at most two decimals (fen)";
    case MONEY_OVERFLOW: return "amount too large";
    case MONEY_ZERO: return "amount must be above zero";
    case MONEY_ABOVE_MAX: return "amount above the terminal's maximum";
    }
    return "invalid amount";
}

char *money_format(int64_t fen, char buf[MONEY_TEXT_MAX])
{
    /* Work on the magnitude as unsigned so INT64_MIN has one. */
    uint64_t mag = fen < 0 ? (uint64_t)0 - (uint64_t)fen : (uint64_t)fen;
    snprintf(buf, MONEY_TEXT_MAX, "%s%" PRIu64 ".%02" PRIu64, fen < 0 ? "-" : "", mag / 100,
             mag % 100);
    return buf;
}
