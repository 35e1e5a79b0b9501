/*
 * shifts.h - who works the till: a cashier's shift from sign-in to handover (交班).
 *
 * A shift is opened at sign-in and ended at sign-out; at most one is open at a time (the
 * schema refuses a second). Its handover report counts the payments its cashier took and the
 * refunds its cashier made while it was open (report_cashier_totals).
 *
 * Every call is one short transaction on the journal's handle (the event loop's thread).
 */
#ifndef POSTERM_SHIFTS_H
#define POSTERM_SHIFTS_H

#include <stdint.h>

#include "journal.h"
#include "reports.h"

struct shift {
    int64_t id;
    char cashier[JOURNAL_CASHIER_MAX + 1];
    char name[65];
    int64_t started_at, ended_at; /* wall ms; ended_at 0 while open */
};

/* Opens a shift for cashier (name as configured) at wall time at. JOURNAL_EXISTS when a
 * shift is open already (end it first: shift_end). */
enum journal_status shift_start(struct journal *j, const char *cashier, const char *name,
                                int64_t at, struct shift *out);

/* The shift open now; JOURNAL_NOT_FOUND when none is. */
enum journal_status shift_current(struct journal *j, struct shift *out);

/* Shift number id; JOURNAL_NOT_FOUND when there is none. */
enum journal_status shift_get(struct journal *j, int64_t id, struct shift *out);

/* The latest shift, open or ended; JOURNAL_NOT_FOUND when there was none. */
enum journal_status shift_last(struct journal *j, struct shift *out);

/* Ends the open shift id at wall time at (out updated); JOURNAL_NOT_FOUND if it is not open. */
enum journal_status shift_end(struct journal *j, struct shift *s, int64_t at);

/* The handover report: the shift's cashier's payments and refunds in [started_at, ended_at),
 * or up to now (wall ms) while it is open. */
enum journal_status shift_totals(struct journal *j, const struct shift *s, int64_t now,
                                 struct report_day *out);

#endif
