/*
 * pin.h - PINs that are never stored: a cashier's (and any other PIN a config names) is kept
 * as a slow salted hash, "pbkdf2:ITERATIONS:SALT_HEX:HASH_HEX" (PBKDF2-HMAC-SHA256, a 16-byte
 * random salt, a 32-byte hash). `posterm --hash-pin` prints one for a PIN read from stdin.
 *
 * A guessed PIN costs ITERATIONS rounds of HMAC-SHA256 per try against a stolen config; the
 * comparison takes the same time whatever bytes match. On the till itself a 4-digit PIN is
 * guarded by its tries instead: PIN_TRIES wrong ones in a row lock it for a while (struct
 * pin_tries; the cashiers' sign-in and the supervisor's refund PIN each keep their own).
 */
#ifndef POSTERM_PIN_H
#define POSTERM_PIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PIN_MIN_DIGITS 4
#define PIN_MAX_DIGITS 12
/* About 60 ms on a development PC, well under a second on an ARM board: once per sign-in. */
#define PIN_ITERATIONS     100000
#define PIN_ITERATIONS_MIN 1000
#define PIN_ITERATIONS_MAX 10000000
/* "pbkdf2:" + up to 8 digits + ":" + 32 hex + ":" + 64 hex + NUL */
#define PIN_HASH_MAX 120

enum pin_status {
    PIN_OK,
    PIN_WRONG,    /* a well-formed PIN that is not this hash's */
    PIN_NOT_PIN,  /* not PIN_MIN_DIGITS to PIN_MAX_DIGITS digits */
    PIN_BAD_HASH, /* the stored text is not a hash of this form */
    PIN_FAILED,   /* no random salt, or the KDF failed */
};

/* A sentence for st ("the PIN must be 4 to 12 digits", ...). */
const char *pin_status_reason(enum pin_status st);

/* Whether pin is PIN_MIN_DIGITS to PIN_MAX_DIGITS ASCII digits. */
bool pin_acceptable(const char *pin);

/* Whether stored is a hash of the form above (iterations within the bounds). */
bool pin_hash_well_formed(const char *stored);

/* Hashes pin with a fresh random salt and the given iterations into out (PIN_HASH_MAX). */
enum pin_status pin_hash(const char *pin, unsigned iterations, char *out, size_t outlen);

/* PIN_OK when pin is the one stored was made from; PIN_WRONG when it is not. */
enum pin_status pin_verify(const char *pin, const char *stored);

/* Wrong PINs in a row, kept in memory; the lock's end also goes to the journal (the caller
 * writes it, pin_tries_resume takes it up after a restart). The clock is the caller's, in ms;
 * zeroed = no wrong PIN yet. */
#define PIN_TRIES 5
struct pin_tries {
    int wrong;            /* wrong PINs in a row since the last right one or lock */
    int64_t locked_until; /* 0 = not locked */
};

/* Milliseconds left of the lock at now (0: not locked). */
int64_t pin_tries_locked_for(const struct pin_tries *t, int64_t now);

/* Counts a wrong PIN at now: the PIN_TRIES-th in a row locks for lock_ms and starts the count
 * again. The tries left before the lock (0: this one locked). */
int pin_tries_wrong(struct pin_tries *t, int64_t now, int64_t lock_ms);

/* A right PIN: the count starts again. */
void pin_tries_right(struct pin_tries *t);

/* Takes up a lock recorded as ending at until_wall_ms (storage/pin_locks.h: a restart within
 * the lock) on t's own clock, whose now is now: what is left of it at now_wall_ms, never more
 * than lock_ms (a wall clock set back must not lock for longer). An end already passed
 * changes nothing. */
void pin_tries_resume(struct pin_tries *t, int64_t until_wall_ms, int64_t now_wall_ms, int64_t now,
                      int64_t lock_ms);

#endif
