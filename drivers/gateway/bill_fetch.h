/*
 * bill_fetch.h - one channel's trade bill of one day, from the address request to the rows.
 *
 * Blocking, and for that reason only ever called in a process of its own (app/reconcile_run.c
 * forks one): it loads the channel's keys from the gateway config, asks for the bill's address
 * (signed, reply verified), downloads the file into a folder, reads it (WeChat: its SHA1
 * checked first) and hands each row to fn. The file is removed afterwards.
 *
 * The promise is bill.h's: when the result is not BILL_OK, the rows already handed out must
 * not be believed. A day the gateway says has no bill is BILL_OK with *no_bill set and no row.
 */
#ifndef POSTERM_BILL_FETCH_H
#define POSTERM_BILL_FETCH_H

#include <stdbool.h>
#include <stdint.h>

#include "bill.h"
#include "bill_download.h"
#include "gateway.h"

/* date: "yyyy-MM-dd"; dir: a folder only this process writes to; now: unix seconds. */
enum bill_status bill_fetch_day(const struct gateway_config *cfg, enum pay_channel channel,
                                const char *date, const char *dir,
                                const struct bill_download_options *opt, int64_t now,
                                bill_row_fn fn, void *ctx, bool *no_bill, struct bill_error *err);

#endif
