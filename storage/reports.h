/*
 * reports.h - what the cashier screen and headless mode read back from the journal: the
 * payments of a period, one order's event log, and end-of-day totals per channel.
 *
 * Reads only; nothing here changes the journal. Times are wall clock unix ms, periods are
 * half-open [from, to). Callbacks return 0 to go on, non-zero to stop, and must not write to
 * the journal while the listing runs.
 */
#ifndef POSTERM_REPORTS_H
#define POSTERM_REPORTS_H

#include <stdbool.h>
#include <stdint.h>

#include "journal.h"

/* Payments created in [from, to), newest first; only unresolved ones if unresolved_only. */
enum journal_status report_payments(struct journal *j, int64_t from, int64_t to,
                                    bool unresolved_only, journal_payment_fn fn, void *ctx);

struct journal_event {
    int64_t id; /* 1, 2, ... within its order, in the order journaled */
    char order_no[ORDER_NO_MAX + 1];
    int64_t at;           /* wall clock, unix ms */
    enum pay_state state; /* the payment's state after this event */
    char name[48];        /* e.g. "pay_intent" */
    char detail[256];     /* plain words, cut to fit */
};

typedef int (*journal_event_fn)(void *ctx, const struct journal_event *e);

/* The events of one order, oldest first (JOURNAL_OK and no calls if it has none). */
enum journal_status report_events(struct journal *j, const char *order_no, journal_event_fn fn,
                                  void *ctx);

struct report_totals {
    int64_t paid_count;       /* created in the period and charged: PAID or REFUNDING */
    int64_t refunded_count;   /* created in the period and since fully refunded */
    int64_t charged_fen;      /* amount of every payment counted in the two above */
    int64_t refunded_fen;     /* refunds completed in the period, whenever their payment was */
    int64_t net_fen;          /* charged_fen - refunded_fen */
    int64_t unresolved_count; /* created in the period and still owed work */
    int64_t referred_count;   /* created in the period and left for the merchant (REFERRED):
                               * counted in no sum, the money's fate being unknown here */
};

#define REPORT_CHANNELS 3 /* indexed by enum pay_channel: none, wechat, alipay */

struct report_day {
    struct report_totals channel[REPORT_CHANNELS];
    struct report_totals all;
};

/* Totals of the period [from, to), per channel and over all channels. A cancel that had to
 * return money (cancel_refunded) was never a sale and is counted nowhere. */
enum journal_status report_totals(struct journal *j, int64_t from, int64_t to,
                                  struct report_day *out);

/* The same totals, of one cashier's work only: the payments that cashier took and the
 * refunds that cashier made (journal_set_cashier); cashier NULL counts everyone's. */
enum journal_status report_cashier_totals(struct journal *j, int64_t from, int64_t to,
                                          const char *cashier, struct report_day *out);

/* Every payment left for the merchant (REFERRED), whenever it was made, newest first: the
 * end-of-day report lists them until they are settled in the merchant portal. Reads only
 * the partial index payments_referred. */
enum journal_status report_referred(struct journal *j, journal_payment_fn fn, void *ctx);

/* The local calendar day around `now` (unix seconds) as the period [from, to) in wall ms,
 * and as yyyymmdd: what "today" means for the history and end-of-day reports. */
void report_local_day(int64_t now, int64_t *from, int64_t *to, int *yyyymmdd);

#endif
