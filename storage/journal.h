/*
 * journal.h - the durable record of every payment (SQLite, WAL, synchronous=FULL).
 *
 * The contract: when journal_save() returns JOURNAL_OK, the payment's new state and its
 * event row are on disk and survive a power cut; when it returns anything else, nothing
 * changed (the transaction rolled back) and the caller must not act as if it had. The core
 * journals a transition before carrying out the action that follows it.
 *
 * One row per payment in `payments`, an append-only `events` log, a partial index over the
 * unresolved rows so that recovery never reads history. The full payment code is kept only
 * while a payment is unresolved; after, only its last four digits. The file is created 0600.
 * A journal that fails its integrity check or is of a newer schema is never written to.
 * A handle belongs to one thread (the event loop's); it opens SQLite without mutexes.
 */
#ifndef POSTERM_JOURNAL_H
#define POSTERM_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "payment.h"

enum journal_status {
    JOURNAL_OK = 0,
    JOURNAL_NOT_FOUND, /* no such order */
    JOURNAL_EXISTS,    /* creating an order whose number is taken */
    JOURNAL_FULL,      /* the disk (or file size limit) is full: nothing was written */
    JOURNAL_READONLY,  /* the file or its folder cannot be written */
    JOURNAL_CORRUPT,   /* integrity check failed or not a journal: file left untouched */
    JOURNAL_TOO_NEW,   /* written by a newer posterm: file left untouched */
    JOURNAL_IO,        /* any other I/O or SQLite error (message in journal_last_error) */
};

struct journal;

/* Opens (creating with mode 0600 if absent) and migrates the journal at path. On failure
 * *out is NULL and err holds a sentence naming the file and the cause. Runs a full
 * PRAGMA quick_check first, whose time grows with the file (about 2-4 s for a million
 * payments on a development PC); see journal_open_checked() for start-up. */
enum journal_status journal_open(struct journal **out, const char *path, char *err, size_t errlen);

/* How much of an existing file is verified before anything is written to it. Both refuse
 * a file that is not an SQLite database, not a posterm journal or of a newer schema. */
enum journal_check {
    JOURNAL_CHECK_FULL,    /* PRAGMA quick_check over every page (journal_open) */
    JOURNAL_CHECK_STARTUP, /* the header (also a file shorter than it says), the schema and
                            * order_seq: time independent of history. Unresolved rows are
                            * still verified as recovery reads them (a damaged page there is
                            * JOURNAL_CORRUPT); run journal_check() when the terminal is idle
                            * for the rest. */
};
enum journal_status journal_open_checked(struct journal **out, const char *path,
                                         enum journal_check check, char *err, size_t errlen);

/* The full PRAGMA quick_check on an open journal. JOURNAL_CORRUPT (details in
 * journal_last_error) also makes every later save and sequence request on this handle
 * return JOURNAL_CORRUPT, so a damaged file is not written to any further. */
enum journal_status journal_check(struct journal *j);
void journal_close(struct journal *j);

const char *journal_status_reason(enum journal_status st);
/* The schema version this posterm writes (PRAGMA user_version of a migrated file). */
int journal_schema_version(void);
/* The last SQLite/OS error text for this handle (never contains a payment code). */
const char *journal_last_error(const struct journal *j);

/* Takes the next order sequence number of a day (1, 2, ...), durably, so that a restart
 * never hands out a number twice. */
enum journal_status journal_next_order_seq(struct journal *j, int yyyymmdd, uint32_t *seq);

/* Inserts or updates the payment's row and appends one event (name, detail) at wall time
 * `at`, in one transaction. The auth code is stored only while the state is unresolved.
 * JOURNAL_EXISTS: the number belongs to an order with another created_at (never overwritten). */
enum journal_status journal_save(struct journal *j, const struct payment *p, const char *event,
                                 const char *detail, int64_t at);

/* Loads one payment's journaled fields (the this-process-only fields are zeroed). */
enum journal_status journal_load(struct journal *j, const char *order_no, struct payment *out);

/* Calls fn for every unresolved payment, oldest first, reading only the partial index.
 * fn returns 0 to go on, non-zero to stop. */
typedef int (*journal_payment_fn)(void *ctx, const struct payment *p);
enum journal_status journal_each_unresolved(struct journal *j, journal_payment_fn fn, void *ctx);
enum journal_status journal_count_unresolved(struct journal *j, int *count);

#endif
