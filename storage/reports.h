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

/* What the history lists (report_history): every field left at its "any" value matches all. */
struct report_filter {
    int64_t from, to;   /* created in [from, to), wall ms; to = 0: any time */
    int64_t amount_fen; /* 0: any amount */
    char last4[5];      /* the payment code's last four digits; "": any */
    bool by_channel;    /* only payments of channel */
    enum pay_channel channel;
    bool by_state; /* only payments now in state; FAILED leaves out the ones never started */
    enum pay_state state;
    bool not_started_only; /* only the payments never started (pay_not_started) */
    bool unresolved_only; /* only payments still owed work (the partial index) */
};

/* Where a page of history ends: the next page starts below it. created_at 0: the newest. */
struct report_cursor {
    int64_t created_at;
    char order_no[ORDER_NO_MAX + 1];
};

/* At most limit payments matching f, newest first (created_at, then order number), older
 * than *after when it is given. *next gets the cursor of the last row listed and *more whether
 * another page follows. Every filter reads an index (payments_last4, payments_amount,
 * payments_created or the partial ones), so a page costs its rows, not the history's size. */
enum journal_status report_history(struct journal *j, const struct report_filter *f,
                                   const struct report_cursor *after, int limit,
                                   journal_payment_fn fn, void *ctx, struct report_cursor *next,
                                   bool *more);

/* The orders a short form of the number names: typed is 1 to 6 digits, the end of the
 * journal's sequence as a receipt prints it ("42" or "000042": the order whose number ends
 * in "000042"); when no number ends so, the orders whose last six digits start with typed
 * (e.g. "00004" lists 000040 to 000049). Newest first, at most limit; reads payments_short. */
#define REPORT_SHORT_MAX 6
enum journal_status report_find_short(struct journal *j, const char *typed, int limit,
                                      journal_payment_fn fn, void *ctx);
/* True when s is a short form report_find_short takes: 1 to REPORT_SHORT_MAX digits. */
bool report_short_valid(const char *s);

/* Refunds asked in [from, to) that were not refused: under way or returned (the amount asked,
 * or once returned the amount returned): what a per-day refund limit counts. */
enum journal_status report_refunds_sum(struct journal *j, int64_t from, int64_t to, int64_t *fen);

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
