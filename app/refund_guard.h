/*
 * refund_guard.h - what a refund needs before it is asked for: within the per-refund and the
 * per-day limit (refund.max_amount, refund.max_day_amount: the journal's refunds of the day
 * count), and, when refund.supervisor_pin_hash is set, a supervisor's PIN. A wrong PIN is
 * refused; after REFUND_PIN_TRIES wrong ones in a row every PIN is refused for
 * REFUND_PIN_LOCK_MS. The count lives in memory; the lock's end is also written to the
 * journal (storage/pin_locks.h), and refund_guard_restore takes it up after a restart, so a
 * restart does not undo the lock. A refund approved with the PIN records its approver in its
 * journal row (storage/journal.h journal_set_refund_approver), in the refund's own transaction.
 */
#ifndef POSTERM_REFUND_GUARD_H
#define POSTERM_REFUND_GUARD_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "loop.h"
#include "pin.h"

#define REFUND_PIN_TRIES   PIN_TRIES
#define REFUND_PIN_LOCK_MS 60000
#define REFUND_APPROVER    "supervisor" /* what the journal records for a PIN's approval */

enum refund_verdict {
    REFUND_ALLOWED,
    REFUND_PIN_NEEDED, /* a PIN is configured and none was given */
    REFUND_PIN_WRONG,  /* tries_left more before the lock */
    REFUND_PIN_LOCKED, /* too many wrong PINs: locked_s seconds left */
    REFUND_ABOVE_MAX,  /* above limit_fen, the most one refund may return */
    REFUND_ABOVE_DAY,  /* above left_fen, what today's limit leaves */
    REFUND_NO_JOURNAL, /* today's refunds could not be read: refused, not guessed */
};

struct refund_decision {
    enum refund_verdict verdict;
    int tries_left;
    int locked_s;
    int64_t limit_fen;
    int64_t left_fen;
    bool approved; /* a PIN was checked: the refund records REFUND_APPROVER */
};

struct refund_guard {
    const struct config_refund *rules;
    struct pin_tries tries; /* on the monotonic clock */
};

void refund_guard_init(struct refund_guard *g, const struct config_refund *rules);

/* Takes up a lock the journal recorded (a restart within the lock): now_mono (ms) is the
 * guard's clock, now_wall_ms the wall clock the end was written on. An end further away than
 * REFUND_PIN_LOCK_MS (the clock was set back) holds for REFUND_PIN_LOCK_MS. */
void refund_guard_restore(struct refund_guard *g, struct journal *j, int64_t now_mono,
                          int64_t now_wall_ms);

/* Whether refunds need the supervisor's PIN. */
bool refund_guard_needs_pin(const struct refund_guard *g);

/* Judges a refund of amount_fen with pin (NULL or "" = none given) at now_mono (ms, for the
 * lock) and now_wall (unix s, for "today"). Limits are judged before the PIN, so a refund
 * above them costs no try. */
struct refund_decision refund_guard_check(struct refund_guard *g, struct journal *j,
                                          int64_t amount_fen, const char *pin, int64_t now_mono,
                                          int64_t now_wall);

/* The supervisor's PIN alone, for what else a supervisor approves (a reconciliation's
 * differences acknowledged): the same tries and lock as a refund's. REFUND_ALLOWED (approved
 * set when a PIN was checked) when no PIN is configured or it is right; else PIN_NEEDED,
 * PIN_WRONG or PIN_LOCKED. */
struct refund_decision refund_guard_pin(struct refund_guard *g, struct journal *j, const char *pin,
                                        int64_t now_mono, int64_t now_wall);

/* Checks, then asks the loop for the refund (loop_refund) with the approver recorded.
 * LOOP_INVALID without asking when d->verdict is not REFUND_ALLOWED. */
enum loop_status refund_guarded(struct refund_guard *g, struct loop *l, const char *order_no,
                                int64_t amount_fen, const char *key, const char *pin,
                                struct refund_decision *d);

/* The decision in one English sentence (headless mode, logs); "" when allowed. */
const char *refund_decision_text(const struct refund_decision *d, char *buf, size_t len);

#endif
