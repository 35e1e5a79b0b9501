/*
 * journal.h - the durable record of every payment (SQLite, WAL, synchronous=FULL).
 *
 * The contract: when journal_save() returns JOURNAL_OK, the payment's new state and its
 * event row are on disk and survive a power cut; when it returns anything else, nothing
 * changed (the transaction rolled back) and the caller must not act as if it had. The core
 * journals a transition before carrying out the action that follows it.
 *
 * One row per payment in `payments`, an append-only `events` log, a partial index over the
 * unresolved rows so that recovery never reads history. The payment code is never written:
 * only its last four digits (the schema refuses anything else in auth_code). Each journal has
 * an identity of its own (8 characters, random at creation) that order numbers carry, and
 * one order sequence across days. The file is created 0600, complete or not at all.
 * A journal found damaged or of a newer schema is never written to (see JOURNAL_CHECK_AT_START
 * for the one window where a damaged page may not be known yet).
 * A handle belongs to one thread (the event loop's); it opens SQLite without mutexes. The
 * background integrity check uses a connection and a thread of its own.
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
    JOURNAL_CORRUPT,   /* damaged, empty or not a journal: not written from then on */
    JOURNAL_TOO_NEW,   /* written by a newer posterm: file left untouched */
    JOURNAL_IO,        /* any other I/O or SQLite error (message in journal_last_error) */
};

struct journal;

/* Makes a new journal at path (mode 0600, schema and identity written), atomically: it is
 * built in a temporary file beside path and linked into place, so path never names a
 * half-made journal and an existing file is never replaced. JOURNAL_EXISTS when a file is
 * there, except that replace_empty lets a 0-byte file be replaced (posterm --init-journal).
 * JOURNAL_READONLY or JOURNAL_IO (err says why) when the folder does not take it. */
enum journal_status journal_create(const char *path, bool replace_empty, char *err, size_t errlen);

/* Opens and migrates the journal at path, creating it first (journal_create) when no file
 * is there. An existing 0-byte file is refused (JOURNAL_CORRUPT): it is no journal, and
 * taking it for a new one would hide that history was lost. On failure *out is NULL and err
 * holds a sentence naming the file and the cause. Runs a full PRAGMA quick_check first,
 * whose time grows with the file (1.4 s for a million payments, cached, on a development
 * PC); see journal_open_checked() for start-up. */
enum journal_status journal_open(struct journal **out, const char *path, char *err, size_t errlen);

/* How much of an existing file is verified before anything is written to it. Both refuse
 * a file that is not an SQLite database, not a posterm journal or of a newer schema. */
enum journal_check {
    JOURNAL_CHECK_FULL,     /* PRAGMA quick_check over every page (journal_open) */
    JOURNAL_CHECK_STARTUP,  /* the header (also a file shorter than it says), the schema and
                             * order_seq: time independent of history. Unresolved rows are
                             * still verified as recovery reads them (a damaged page there is
                             * JOURNAL_CORRUPT); run journal_check() when the terminal is idle
                             * for the rest. */
    JOURNAL_CHECK_AT_START, /* what posterm starts with: the STARTUP checks, then the full
                             * quick_check: before the open returns when it fits the start-up
                             * budget (a file of up to JOURNAL_FOREGROUND_CHECK_PAGES pages,
                             * or one about to be migrated), else on a second, read-only
                             * connection in a thread of its own. Until that background
                             * check is done the journal MAY be written (a page damaged in
                             * old history is not known yet); the moment it finds damage,
                             * every later write on the handle is refused (JOURNAL_CORRUPT).
                             * journal_check_poll() tells the verdict. */
};
/* About 4 MB: checked in ~15 ms from cache, ~90 ms from disk (a million payments, 81,000
 * pages, take 1.4 s cached and about 7 s from disk: background). */
#define JOURNAL_FOREGROUND_CHECK_PAGES 1000
enum journal_status journal_open_checked(struct journal **out, const char *path,
                                         enum journal_check check, char *err, size_t errlen);

/* The full PRAGMA quick_check on an open journal. JOURNAL_CORRUPT (details in
 * journal_last_error) also makes every later save and sequence request on this handle
 * return JOURNAL_CORRUPT, so a damaged file is not written to any further. */
enum journal_status journal_check(struct journal *j);

/* The verdict of the background check (JOURNAL_CHECK_AT_START), without waiting: *done is
 * false while it runs (JOURNAL_OK: writes are still taken). Once done: JOURNAL_OK (the file
 * passed), JOURNAL_CORRUPT (damage found; journal_last_error says what; every write on the
 * handle is refused from then on, whether or not this was called), or JOURNAL_IO (the check
 * could not run, e.g. no memory; writes go on, journal_last_error says why). With no
 * background check (another check mode, or it ran before the open returned) *done is true
 * and the status is that of the handle (JOURNAL_CORRUPT after a failed journal_check). */
enum journal_status journal_check_poll(struct journal *j, bool *done);

/* Stops a background check still running (it is interrupted, not waited for) and closes. */
void journal_close(struct journal *j);

/* The journal's identity: 8 characters of RFC 4648 base32 ([A-Z2-7]), random at creation
 * (from getrandom), valid from a successful open until journal_close. Order numbers carry it,
 * so that two journals never issue the same number. */
const char *journal_identity(const struct journal *j);

/* Records the machine the journal belongs to (a fingerprint, machine.h) on first use. When
 * another machine is recorded (a disk image copied after use onto another terminal), the
 * journal durably takes a new identity (never one it had before; the old ones are kept in
 * table `identities`), records this machine, and sets *renewed, so the caller can say "this
 * journal was copied from another terminal: new order numbers from <journal_identity>".
 * Must run before the first order number is taken. On failure nothing changed. */
enum journal_status journal_claim(struct journal *j, const char *machine, bool *renewed);

const char *journal_status_reason(enum journal_status st);
/* The schema version this posterm writes (PRAGMA user_version of a migrated file). */
int journal_schema_version(void);
/* The last SQLite/OS error text for this handle (never contains a payment code). */
const char *journal_last_error(const struct journal *j);

/* Takes the journal's next order sequence number (1, 2, ... across days; a journal migrated
 * from per-day sequences goes on above the largest it ever handed out), durably, so that a
 * restart never hands out a number twice. */
enum journal_status journal_next_order_seq(struct journal *j, uint32_t *seq);

/* Inserts or updates the payment's row and appends one event (name, detail) at wall time
 * `at`, in one transaction. The payment code is never written: only code_last4 (taken from
 * auth_code when code_last4 is empty); any run of 16 to 24 digits in the detail or last_error
 * (a payment code's length) is masked but for its last four. A refund in progress opens its
 * refunds row with the payment's refund_key.
 * JOURNAL_EXISTS: the number belongs to an order with another created_at (never overwritten),
 * or the refund_key is already that of another refund (journal_refund_by_key finds it).
 * JOURNAL_IO: a value the schema refuses (refunded_fen outside 0..amount_fen, ...). */
enum journal_status journal_save(struct journal *j, const struct payment *p, const char *event,
                                 const char *detail, int64_t at);

/* Receipts on: from now on journal_save() creates the print jobs (storage/print_jobs.h) of a
 * sale ("paid", "paid_cancel_refused") and of a refund ("refunded") in the same transaction
 * as that event, a customer's copy and, with merchant_copy, a merchant's copy too. Off (the
 * default) creates none. */
void journal_set_receipts(struct journal *j, bool on, bool merchant_copy);

/* A writer that runs inside every journal_save() transaction, after the event's own rows
 * (last4: the code's last four digits as journaled); an SQLite result code other than
 * SQLITE_OK rolls the whole save back. The fleet outbox is the one (outbox_turn_on): the
 * journal calls it without knowing it. NULL (the default): none. */
typedef int (*journal_save_hook_fn)(struct journal *j, const struct payment *p, const char *event,
                                    const char *last4, int64_t at);
void journal_set_save_hook(struct journal *j, journal_save_hook_fn hook);
journal_save_hook_fn journal_save_hook(const struct journal *j);

/* The cashier signed in (an id of at most JOURNAL_CASHIER_MAX characters; "" or NULL: none):
 * from now on journal_save() records it on every payment it creates and every refund it
 * opens. A payment keeps the cashier who took it whoever saves it later. */
#define JOURNAL_CASHIER_MAX 32
void journal_set_cashier(struct journal *j, const char *cashier);

/* The cash register's sale (app/register_api.h) that the next order belongs to: at most
 * JOURNAL_SALE_ID_MAX characters, "" or NULL for none. While it is set, the journal_save that
 * creates an order (state NEW) also writes the row mapping the sale to that order
 * (storage/sales.h), in the same transaction: an order and its sale are journaled together or
 * not at all, before anything can be sent. A sale already mapped makes that save
 * JOURNAL_EXISTS (nothing written). The caller sets it just before starting the payment and
 * clears it right after. */
#define JOURNAL_SALE_ID_MAX 64
void journal_set_sale(struct journal *j, const char *sale_id);

/* Loads one payment's journaled fields (the this-process-only fields are zeroed, and so is
 * auth_code: the journal never has it). */
enum journal_status journal_load(struct journal *j, const char *order_no, struct payment *out);

/* Calls fn for every unresolved payment, oldest first, reading only the partial index.
 * fn returns 0 to go on, non-zero to stop. */
typedef int (*journal_payment_fn)(void *ctx, const struct payment *p);
enum journal_status journal_each_unresolved(struct journal *j, journal_payment_fn fn, void *ctx);
enum journal_status journal_count_unresolved(struct journal *j, int *count);

/* One row of the refunds ledger. state: "REFUNDING", "REFUNDED", "FAILED" or "REFERRED" (its
 * payment was left for the merchant while it was under way); amount_fen is the amount asked,
 * or once REFUNDED the amount returned; at is when it was asked, or when it ended (wall ms). */
#define JOURNAL_APPROVER_MAX 32

struct journal_refund {
    char refund_no[ORDER_NO_MAX + 1];
    char order_no[ORDER_NO_MAX + 1];
    int64_t amount_fen;
    char state[16];
    int64_t at;
    char approved_by[JOURNAL_APPROVER_MAX + 1]; /* who approved it (v6); "" = no approval asked */
};

/* Who approves the refunds journal_save opens from now on (at most JOURNAL_APPROVER_MAX
 * characters, e.g. "supervisor"), recorded in the refund's row in the same transaction; ""
 * or NULL for none. The caller sets it just before asking for a refund and clears it after,
 * so the record and the refund cannot part. */
void journal_set_refund_approver(struct journal *j, const char *who);

/* The refund asked with idempotency key `key` (payment.refund_key); JOURNAL_NOT_FOUND if
 * none, or if key is empty. */
enum journal_status journal_refund_by_key(struct journal *j, const char *key,
                                          struct journal_refund *out);
/* The refund numbered refund_no (what its receipt prints); JOURNAL_NOT_FOUND if none. */
enum journal_status journal_refund_by_no(struct journal *j, const char *refund_no,
                                         struct journal_refund *out);
/* The order's most recently asked refund; JOURNAL_NOT_FOUND if it has none. */
enum journal_status journal_last_refund(struct journal *j, const char *order_no,
                                        struct journal_refund *out);

#endif
