/*
 * order_no.h - out_trade_no: terminal id + yyyymmdd + a sequence kept in the journal.
 *
 * Unique across terminals (the id), days (the date) and reboots (the sequence is journaled
 * before it is used). At most 32 characters of [A-Za-z0-9_-], WeChat's limit.
 */
#ifndef POSTERM_ORDER_NO_H
#define POSTERM_ORDER_NO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "payment.h"

/* Longest terminal id: leaves room for "-yyyymmdd-", a 6-digit sequence and a refund's
 * "R<n>" suffix within ORDER_NO_MAX. */
#define TERMINAL_ID_MAX 12

/* True when id is 1..TERMINAL_ID_MAX characters of [A-Za-z0-9_]. */
bool terminal_id_valid(const char *id);

/* Writes "<terminal>-<yyyymmdd>-<seq>" (seq at least 6 digits). Returns false if the result
 * would not fit ORDER_NO_MAX or the terminal id is not valid. */
bool order_no_format(const char *terminal_id, int yyyymmdd, uint32_t seq,
                     char out[ORDER_NO_MAX + 1]);

/* A refund's request number: the order number followed by "R<n>", n counting that order's
 * refunds from 1. False when it would not fit ORDER_NO_MAX. */
bool refund_no_format(const char *order_no, unsigned n, char out[ORDER_NO_MAX + 1]);

/* True when s is 1..32 characters of [A-Za-z0-9_-]. */
bool order_no_valid(const char *s);

#endif
