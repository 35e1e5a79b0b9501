/*
 * loop.h - the one event loop: payments in progress, their timers, the gateway and the
 * scanner, driven by one poll().
 *
 * The loop owns every live payment: the cashier's current one and those resumed from the
 * journal that finish in the background. It feeds the engine events and carries out the
 * actions the engine returns, journal first: when a journal write fails, the payment's
 * later actions wait (nothing is sent, nothing is shown) and the write is retried each
 * second until the disk takes it. Fronts (the ncurses screen, headless mode) call the
 * loop_* commands and learn about changes through the observer.
 */
#ifndef POSTERM_LOOP_H
#define POSTERM_LOOP_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "gateway.h"
#include "journal.h"
#include "payment.h"
#include "scanner.h"

enum loop_status {
    LOOP_OK = 0,
    LOOP_BUSY,      /* a payment is under way: finish or abort it first */
    LOOP_IDLE,      /* nothing to act on (no payment waiting for a scan, nothing to abort) */
    LOOP_INVALID,   /* the input itself is wrong: the message says why */
    LOOP_DUPLICATE, /* the same code again within the de-duplication interval: ignored */
    LOOP_NOT_FOUND, /* no such order */
    LOOP_JOURNAL,   /* the journal cannot be written or is unusable: nothing was done */
    LOOP_GATEWAY,   /* the gateway client failed */
};

enum loop_level { LOOP_INFO, LOOP_WARN, LOOP_ERROR };

struct loop_observer {
    void *ctx;
    /* A payment changed (event is the transition's name, e.g. "paid"). */
    void (*payment_changed)(void *ctx, const struct payment *p, const char *event);
    /* Something the cashier should read: a refused scan, a journal problem, ... */
    void (*message)(void *ctx, enum loop_level level, const char *text);
};

/* Reads time; tests may replace it to move clocks. Both in ms. */
struct loop_clock {
    int64_t (*mono)(void *ctx);
    int64_t (*wall)(void *ctx);
    void *ctx;
};

struct loop;

/* journal may be NULL (unusable file): the loop then refuses every new payment with
 * journal_problem as the reason. scanner may be NULL (scans then come only through
 * loop_scan, from the keyboard or headless input). clock may be NULL (system clocks). */
enum loop_status loop_open(struct loop **out, const struct config *cfg, struct journal *journal,
                           const char *journal_problem, struct gateway *gateway,
                           struct scanner *scanner, const struct loop_clock *clock,
                           const struct loop_observer *observer);
void loop_close(struct loop *l);

/* Loads every unresolved payment from the journal (DESIGN.md "On restart") and schedules
 * its resumption for the loop's first turns. Called once, before any new payment is taken.
 * *count gets how many were loaded. */
enum loop_status loop_recover(struct loop *l, int *count);

/* Cashier commands. Each returns LOOP_OK or says why nothing happened (and tells the
 * observer's message in plain words). */
enum loop_status loop_start_payment(struct loop *l, int64_t amount_fen);
enum loop_status loop_scan(struct loop *l, const char *code);
enum loop_status loop_abort(struct loop *l);
enum loop_status loop_refund(struct loop *l, const char *order_no, int64_t amount_fen);

/* The cashier's current payment (also after it ended, until the next one starts), or NULL. */
const struct payment *loop_current(const struct loop *l);
/* Unresolved payments other than the current one (the "being resolved" count). */
int loop_background(const struct loop *l);
/* Monotonic ms now, and the current payment's automatic-cancel moment (0 = none). */
int64_t loop_now(const struct loop *l);
int64_t loop_cancel_at(const struct loop *l);
/* False after the gateway last failed to answer at all; true after any answer. */
bool loop_gateway_reachable(const struct loop *l);
struct journal *loop_journal(const struct loop *l);
/* The scanner's line for the screen ("keyboard" without one); *connected as it stands. */
const char *loop_scanner_status(const struct loop *l, bool *connected);

/* Polls the gateway, the scanner, the timers and the caller's own descriptors (extra), for
 * at most max_wait_ms, and handles whatever is ready. extra[i].revents tell the caller
 * what is ready for it. Returns the number of extra descriptors ready, or -1 on a poll error. */
int loop_poll(struct loop *l, struct pollfd *extra, int nextra, int64_t max_wait_ms);

#endif
