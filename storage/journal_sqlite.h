/*
 * journal_sqlite.h - what storage/ shares between its own files, never used outside it.
 *
 * reports.c reads the same tables as journal.c through the same handle; this header gives it
 * the connection, the one mapping from SQLite errors to journal statuses, and the one way a
 * payments row becomes a struct payment, so the two files cannot drift apart.
 */
#ifndef POSTERM_JOURNAL_SQLITE_H
#define POSTERM_JOURNAL_SQLITE_H

#include <sqlite3.h>

#include "journal.h"

/* The columns journal_read_payment() expects, in this order, at the start of a SELECT. */
#define JOURNAL_PAYMENT_COLUMNS                                                                    \
    "order_no, channel, amount_fen, state, auth_code, code_last4, abort_requested, "               \
    "cancel_refunded, created_at, pay_sent_at, updated_at, queries, cancels, trade_no, "           \
    "last_error, refunded_fen, refund_no, refund_fen, last_cause, request_seq, kind, qr_payload, " \
    "qr_window_s"

/* The states the partial index payments_unresolved covers. A query must use this exact
 * condition for SQLite to pick that index (tests/unit/journal checks the plan). */
#define JOURNAL_UNRESOLVED                                                                         \
    "(state = 'NEW' OR state = 'PAYING' OR state = 'QUERYING' OR state = 'CANCELLING' OR "         \
    "state = 'REFUNDING')"

sqlite3 *journal_sqlite(struct journal *j);

/* False once a check found the file damaged: nothing more may be written (journal_last_error
 * says why). */
bool journal_writable(struct journal *j);

/* sqlite3_step() that keeps the errno of a failed write (EFBIG, ENOSPC) for journal_fail(),
 * which SQLite itself does not keep. */
int journal_step(struct journal *j, sqlite3_stmt *st);

/* Records the connection's error text for journal_last_error() (digit runs long enough to be
 * a payment code are masked) and maps rc to a status. */
enum journal_status journal_fail(struct journal *j, int rc);

/* Finalizes st (a statement of its own, not the journal's cached ones) and turns the last
 * step's rc into a status: JOURNAL_OK for DONE, ROW or OK, journal_fail's otherwise. */
enum journal_status journal_finish(struct journal *j, sqlite3_stmt *st, int rc);

/* Fills out from the row st is on (JOURNAL_PAYMENT_COLUMNS first); this-process-only fields
 * are zeroed. Returns false when a stored value is not one posterm writes (unknown state). */
bool journal_read_payment(sqlite3_stmt *st, struct payment *out);

#endif
