/*
 * paycode.h - payment codes shown by the customer's app: validation and channel routing.
 *
 * A code is checked before anything is sent or journaled. The channel is decided by one
 * table of (prefix range, length range) rows, so a new wallet is one more row.
 * Sources: WeChat Pay "付款码" rules (18 digits, 10-15 prefix) and Alipay's
 * "auth_code" rules (16-24 digits, 25-30 prefix), see drivers/gateway/README.md.
 */
#ifndef POSTERM_PAYCODE_H
#define POSTERM_PAYCODE_H

#include <stdbool.h>
#include <stddef.h>

#include "payment.h"

enum paycode_status {
    PAYCODE_OK = 0,
    PAYCODE_EMPTY,
    PAYCODE_NOT_DIGITS, /* letters, spaces, control characters */
    PAYCODE_TOO_LONG,
    PAYCODE_UNSUPPORTED, /* a known wallet we do not take (e.g. UnionPay 62...) */
    PAYCODE_UNKNOWN,     /* no wallet uses this prefix */
    PAYCODE_BAD_LENGTH,  /* right prefix, wrong length */
};

/* Validates code and decides its channel (CHANNEL_NONE unless PAYCODE_OK). */
enum paycode_status paycode_channel(const char *code, enum pay_channel *channel);

const char *paycode_status_reason(enum paycode_status st);

/* The one way a payment code is shown or written anywhere (screen, logs, headless output,
 * the journal's free text): "****" and its last four characters ("****6789"), the same for
 * the full code and for the last four kept after it is wiped. Nothing else of a code ever
 * leaves memory. (drivers/scanner, which knows nothing of payments and may not include the
 * core, logs raw scanner text by the same rule: its length and last four.) */
#define PAYCODE_MASK_MAX 9
void paycode_mask(const char *code, char *out, size_t outlen);

/* Last four characters (fewer if the code is shorter); out holds 5 bytes. */
void paycode_last4(const char *code, char out[5]);

#endif
