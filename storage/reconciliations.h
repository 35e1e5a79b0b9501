/*
 * reconciliations.h - the reconciliations of the gateways' daily bills, in the journal.
 *
 * What the journal says of a day (the payments created that day and their refunds, as the
 * matcher of app/core/reconcile.h takes them), and what a reconciliation found: one row per day
 * and channel with its counts, and one item per difference. A difference is an alert until it
 * is acknowledged. A day reconciled again replaces its rows in one transaction, so a reader
 * never sees half of one run and half of another, and a run that failed leaves the last good
 * one in place (the caller writes nothing then).
 */
#ifndef POSTERM_RECONCILIATIONS_H
#define POSTERM_RECONCILIATIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "journal.h"
#include "payment.h"
#include "reconcile.h"

#define RECON_DATE_LEN 10 /* yyyy-MM-dd */

/* True when date is a real yyyy-MM-dd day; *from_ms / *to_ms (may be NULL) get its bounds in
 * Beijing time (UTC+8, the gateways' bill day) as wall ms. */
bool recon_date_bounds(const char *date, int64_t *from_ms, int64_t *to_ms);

struct reconciliation {
    char date[RECON_DATE_LEN + 1];
    enum pay_channel channel;
    int64_t started_at, finished_at; /* wall ms */
    bool no_bill;                    /* the gateway said there is no bill that day */
    int64_t bill_rows, foreign_rows;
    int64_t count[RECON__COUNT];
};

struct reconcile_item {
    char date[RECON_DATE_LEN + 1];
    enum pay_channel channel;
    enum recon_kind kind;
    char order_no[BILL_NO_MAX + 1];
    char refund_no[BILL_NO_MAX + 1];
    char trade_no[BILL_NO_MAX + 1];
    int64_t bill_fen, journal_fen;
    long bill_line;
    int64_t acknowledged_at; /* wall ms; 0 = open */
};

/* The channel's payments created in [from_ms, to_ms) whose order starts with prefix, and the
 * refunds given back (REFUNDED) on them; both arrays malloc'd (free them; NULL when empty). */
enum journal_status recon_day_entries(struct journal *j, enum pay_channel channel, int64_t from_ms,
                                      int64_t to_ms, const char *prefix,
                                      struct recon_payment **pays, size_t *npays,
                                      struct recon_refund **refunds, size_t *nrefunds);

/* Replaces the rows of each (date, channel) in runs, and their items, by these. An item
 * found again exactly as before (kind, order, refund, both amounts) keeps its acknowledgement. */
enum journal_status recon_save(struct journal *j, const struct reconciliation *runs, int nruns,
                               const struct reconcile_item *items, size_t nitems);

/* The day's rows, at most max (one per channel); *n how many. JOURNAL_NOT_FOUND: never run. */
enum journal_status recon_get(struct journal *j, const char *date, struct reconciliation *out,
                              int max, int *n);

/* Each of the day's items in channel, order, refund order; fn returns non-zero to stop. */
typedef int (*recon_item_fn)(void *ctx, const struct reconcile_item *item);
enum journal_status recon_items(struct journal *j, const char *date, recon_item_fn fn, void *ctx);

/* Each difference not yet acknowledged, every day, oldest day first (the cashier screen's alert
 * and its list). */
enum journal_status recon_open_items(struct journal *j, recon_item_fn fn, void *ctx);

/* Differences not yet acknowledged, every day. */
enum journal_status recon_open_count(struct journal *j, int64_t *count);

/* Acknowledges the day's open differences at wall time at; *count how many. */
enum journal_status recon_acknowledge(struct journal *j, const char *date, int64_t at,
                                      int64_t *count);

#endif
