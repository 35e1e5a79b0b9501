/*
 * pin_locks.h - when a PIN lock ends, kept in the journal (journal_meta) so that a restart of
 * posterm, which takes a second, does not undo five wrong PINs in a row.
 *
 * The end is wall-clock ms: the only clock that means the same after a restart. A reader
 * that finds an end further away than the lock's own length (the clock was set back) takes
 * the lock's length instead; that is the caller's rule, this file only stores the value.
 */
#ifndef POSTERM_PIN_LOCKS_H
#define POSTERM_PIN_LOCKS_H

#include <stdint.h>

#include "journal.h"

enum pin_lock {
    PIN_LOCK_SIGNIN, /* the cashiers' sign-in */
    PIN_LOCK_REFUND, /* the supervisor's refund PIN */
};

/* The end of lock in wall ms into *until_ms (0: never locked, or written 0). */
enum journal_status pin_lock_read(struct journal *j, enum pin_lock lock, int64_t *until_ms);

/* Records until_ms as the end of lock (one short transaction). */
enum journal_status pin_lock_write(struct journal *j, enum pin_lock lock, int64_t until_ms);

#endif
