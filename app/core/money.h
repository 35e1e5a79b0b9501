/*
 * money.h - amounts as int64 fen, parsed and printed exactly.
 *
 * "12.30" is 1230 fen. There is no floating point anywhere on this path: a float cannot
 * represent 0.10 and a till that is off by a fen is a till that is wrong.
 */
#ifndef POSTERM_MONEY_H
#define POSTERM_MONEY_H

#include <stddef.h>
#include <stdint.h>

enum money_status {
    MONEY_OK = 0,
    MONEY_EMPTY,     /* nothing typed */
    MONEY_GARBAGE,   /* a character that is not a digit or one '.' */
    MONEY_NEGATIVE,  /* a sign */
    MONEY_DECIMALS,  /* more than two digits after the point */
    MONEY_OVERFLOW,  /* does not fit int64 fen */
    MONEY_ZERO,      /* 0.00 cannot be charged */
    MONEY_ABOVE_MAX, /* above the configured maximum */
};

/* Parses a yuan amount ("12", "12.3", "12.30", ".5") into fen. max_fen <= 0 means no maximum. */
enum money_status money_parse(const char *text, int64_t max_fen, int64_t *out_fen);

/* Plain words for a status, fit for the cashier's screen. */
const char *money_status_reason(enum money_status st);

/* Writes "12.30" (yuan, always two decimals) into buf; returns buf. Handles negative values. */
#define MONEY_TEXT_MAX 24
char *money_format(int64_t fen, char buf[MONEY_TEXT_MAX]);

#endif
