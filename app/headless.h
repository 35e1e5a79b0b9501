/*
 * headless.h - posterm without a screen, for scripts and tests.
 *
 * Commands arrive as lines on a descriptor (stdin); every payment change and every message
 * leaves as one JSON object per line. The same loop, engine, journal and gateway run as
 * behind the cashier screen. Commands:
 *   amount 12.30            start a payment (also: pay 12.30)
 *   scan <code>             a payment code, as a scanner would deliver it
 *   abort                   abort the current payment (it is cancelled, never forgotten)
 *   refund <order> <amount> [key] [pin NNNN]   refund (part of) a paid order; the order
 *                           may be its last digits; pin: the supervisor's (refund_guard.h)
 *   history [day] [filters] one page of payments (README.md names the filters)
 *   find last4 NNNN | find order NNNNNN   a code's payments, or the orders a short form names
 *   status                  print the current payment, the background count, the printer
 *   eod                     end-of-day totals for today (printed too with printer.eod)
 *   print <order>           print the order's receipt again, marked as a reprint
 *   signin <id> <PIN>       a configured cashier signs in (with cashiers, amount and refund
 *                           are refused until one has); opens or takes up the shift
 *   signout                 ends the shift: its handover report ("shift"), printed too
 *   shift [N]               the report of the shift open now (or the last, or number N)
 *   close                   closes the day: the next Z report, stored for good, printed too;
 *                           refused while a payment is unresolved
 *   z [N]                   Z report N as stored (the newest without N)
 *   export x|z N|shift [N] [FILE]   a report as CSV into FILE, or in an "export" event
 *   reconcile YYYY-MM-DD    both channels' bills of that (Beijing) day against the journal,
 *                           beside the loop; one "reconcile_difference" per difference, then
 *                           "reconcile" (or "reconcile_failed": nothing journaled); again
 *                           for a day replaces it. Differences are alerts (status
 *                           "reconcile_alerts") until "reconcile ack YYYY-MM-DD"
 *   reconcile csv YYYY-MM-DD [FILE]  the day's differences as CSV, or in an "export" event
 *   quit                    exit now (unresolved payments resume at the next start)
 * At end of input, posterm keeps going until no payment is unresolved, then exits.
 */
#ifndef POSTERM_HEADLESS_H
#define POSTERM_HEADLESS_H

#include <stdio.h>

#include "config.h"
#include "loop.h"
#include "receipts.h"

struct headless;

/* The observer that prints changes as JSON lines on out; pass it to loop_open. */
/* lab_settings: config_lab_settings()'s words, "" when none (said at start and in status). */
struct headless *headless_new(FILE *out, const char *lab_settings);
struct loop_observer headless_observer(struct headless *h);
void headless_free(struct headless *h);

/* The print queue's events as JSON lines ("print", "printer"); pass it to receipts_open. */
struct receipts_observer headless_receipts_observer(struct headless *h);
/* The queue that `print` and `status` use (NULL: no printer); print_eod: `eod` prints the
 * report too. */
void headless_set_receipts(struct headless *h, struct receipts *r, bool print_eod);

/* The MQTT publisher whose state `status` reports as "fleet" (NULL: none, no "fleet"). */
struct fleet;
void headless_set_fleet(struct headless *h, struct fleet *f);

/* The cashiers who may sign in (cfg's "cashiers"; none: no sign-in, no signin command) and
 * the journal their shifts go to (NULL: unavailable). */
void headless_set_session(struct headless *h, const struct config *cfg, struct journal *journal);

/* Runs until quit, end of input with nothing unresolved, or *stop becomes non-zero.
 * Returns 0, or 1 when reading input failed. */
struct config_refund;

/* Refund limits and the supervisor's PIN (app/refund_guard.h); without this call none. */
void headless_set_refund_rules(struct headless *h, const struct config_refund *rules);

int headless_run(struct headless *h, struct loop *l, int in_fd, volatile int *stop);

#endif
