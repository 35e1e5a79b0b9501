/*
 * session.h - who is signed in at this till: a cashier's sign-in with id and PIN (the
 * config's "cashiers", hashes only), the shift it opens in the journal, and its end.
 *
 * With no cashiers configured nobody signs in and payments record no cashier. With cashiers,
 * a front takes payments and refunds only while session_signed_in() (headless refuses its
 * commands, the screen shows the sign-in). While signed in, journal_set_cashier() has the
 * cashier's id, so each payment and refund records it.
 * A shift left open by a stop (power cut, restart) is taken up again when its cashier signs
 * in; another cashier signing in ends it first (its handover report stays in the journal).
 * PIN_TRIES (five) wrong PINs in a row lock the sign-in for SESSION_LOCK_MS (pin.h pin_tries);
 * the lock's end is written to the journal, so a restart does not undo it.
 */
#ifndef POSTERM_SESSION_H
#define POSTERM_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "journal.h"
#include "pin.h"
#include "shifts.h"

#define SESSION_LOCK_MS 30000

enum session_status {
    SESSION_OK,
    SESSION_UNKNOWN,    /* no cashier with that id, or the wrong PIN: one answer for both */
    SESSION_LOCKED,     /* too many wrong PINs: wait (session_locked_for) */
    SESSION_NOT_NEEDED, /* no cashiers configured */
    SESSION_SIGNED_OUT, /* nobody is signed in */
    SESSION_BUSY,       /* someone is signed in already: sign out first */
    SESSION_NO_JOURNAL, /* the journal is unavailable, or did not take it */
};

struct session {
    const struct config *cfg;
    struct journal *journal; /* NULL: unavailable */
    bool signed_in;
    struct shift shift;     /* while signed in */
    struct pin_tries tries; /* on the wall clock */
};

void session_init(struct session *s, const struct config *cfg, struct journal *journal);

/* Whether this till has cashiers configured (and so needs a sign-in). */
bool session_required(const struct session *s);
/* Whether payments may be taken: no cashiers configured, or one signed in. */
bool session_may_work(const struct session *s);

/* Signs cashier id in with pin at wall time now_ms: opens (or takes up) the shift. */
enum session_status session_sign_in(struct session *s, const char *id, const char *pin,
                                    int64_t now_ms);
/* Ends the shift at now_ms; *ended gets it (for the handover report). */
enum session_status session_sign_out(struct session *s, int64_t now_ms, struct shift *ended);

/* Takes up a sign-in lock the journal recorded (a restart within it) at wall time now_ms. */
void session_restore_lock(struct session *s, int64_t now_ms);

/* Milliseconds left of a lock after too many wrong PINs (0: not locked). */
int64_t session_locked_for(const struct session *s, int64_t now_ms);

/* The signed-in cashier's name as configured ("" when none). */
const char *session_cashier_name(const struct session *s);

/* English words for st (headless; the screen words its own). */
const char *session_status_reason(enum session_status st);

#endif
