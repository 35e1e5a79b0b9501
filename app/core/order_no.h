/*
 * order_no.h - out_trade_no: terminal id + the journal's identity + a sequence it keeps.
 *
 * A gateway knows every number it was ever sent, so a number must never come round again:
 * not on another terminal with the same config, not from a fresh or reinstalled journal,
 * not from a disk image cloned onto another machine. The terminal id separates terminals
 * set up apart; the journal's identity (8 random base32 characters, drawn when the journal
 * is created and drawn again when it finds itself on another machine) separates every
 * journal ever made, cloned configs included; the sequence (journaled before it is used)
 * separates the orders of one journal. At most 28 characters until the sequence passes
 * 999999, leaving room for a refund's "R<n>" within 32, WeChat's limit.
 */
#ifndef POSTERM_ORDER_NO_H
#define POSTERM_ORDER_NO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "payment.h"

/* Longest terminal id: leaves room for "-", the journal identity, "-", a 6-digit sequence
 * and a refund's "R<n>" suffix within ORDER_NO_MAX. */
#define TERMINAL_ID_MAX 12
#define JOURNAL_ID_LEN  8

/* True when id is 1..TERMINAL_ID_MAX characters of [A-Za-z0-9_]. */
bool terminal_id_valid(const char *id);

/* True when id is JOURNAL_ID_LEN characters of RFC 4648 base32 [A-Z2-7]. */
bool journal_id_valid(const char *id);

/* Writes "<terminal>-<journal id>-<seq>" (seq at least 6 digits). Returns false if the
 * result would not fit ORDER_NO_MAX, or the terminal id or journal id is not valid. */
bool order_no_format(const char *terminal_id, const char *journal_id, uint32_t seq,
                     char out[ORDER_NO_MAX + 1]);

/* A refund's request number: the order number followed by "R<n>", n counting that order's
 * refunds from 1. False when it would not fit ORDER_NO_MAX. */
bool refund_no_format(const char *order_no, unsigned n, char out[ORDER_NO_MAX + 1]);

/* True when s is 1..32 characters of [A-Za-z0-9_-]. */
bool order_no_valid(const char *s);

#endif
