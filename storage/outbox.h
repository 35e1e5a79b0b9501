/*
 * outbox.h - the fleet outbox (issue 24): the journal's events head office should see, kept
 * until the broker acknowledged them.
 *
 * Promises: with the outbox on (outbox_turn_on), every journal_save() writes its event's
 * row in the same transaction as the event, so a row exists exactly when its event does;
 * seq numbers the rows of one journal 1, 2, 3, ... without a gap (a row is never deleted);
 * a row is unsent until outbox_mark_sent, so whatever was not acknowledged before a crash,
 * a power cut or a broker outage is found again by outbox_next. A payload carries the
 * payment code's last four digits only, amounts in fen. The spec of the messages is
 * app/FLEET.md.
 */
#ifndef POSTERM_OUTBOX_H
#define POSTERM_OUTBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "journal.h"
#include "payment.h"

/* A payload is one event's JSON object: a few hundred bytes at most. */
#define OUTBOX_PAYLOAD_MAX 1024

struct outbox_row {
    int64_t seq;
    char kind[8]; /* payment | refund | alert | zreport */
    int64_t created_at;
    char payload[OUTBOX_PAYLOAD_MAX]; /* the message, with "journal" and "seq" in it */
};

/* From now on every journal_save() on j writes its event's outbox row in its own transaction
 * (the journal's save hook); off, the default, writes none. */
void outbox_turn_on(struct journal *j);

/* Whether outbox_turn_on was called: other writers of the journal (a Z report) add their
 * rows too. */
bool outbox_is_on(const struct journal *j);

/* Inside journal_save's open transaction: writes the row of event for p (last4: the code's
 * last four digits as journaled). Returns an SQLite result code, so the save rolls back with
 * it on any failure. */
int outbox_add_event(struct journal *j, const struct payment *p, const char *event,
                     const char *last4, int64_t at);

/* Inside z_report_close's open transaction, after the report number was stored: writes
 * the closed day's row (kind zreport: its number, day, period and totals per channel, as
 * stored). */
enum journal_status outbox_add_zreport(struct journal *j, int64_t number, int64_t at);

/* The unsent row with the smallest seq above after_seq: *found false when there is none. */
enum journal_status outbox_next(struct journal *j, int64_t after_seq, struct outbox_row *out,
                                bool *found);

/* The broker acknowledged the n rows seqs (at: wall ms), marked in one transaction (one
 * sync for a whole batch of PUBACKs). Marking an already sent row changes nothing. */
enum journal_status outbox_mark_sent(struct journal *j, const int64_t *seqs, int n, int64_t at);

/* How many rows wait for an acknowledgement. */
enum journal_status outbox_count_unsent(struct journal *j, int64_t *count);

#endif
