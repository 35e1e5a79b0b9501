/*
 * zreports.h - the closed days (Z reports).
 *
 * A Z report closes the period since the one before (or since the journal began): its totals
 * are computed and stored, numbered 1, 2, ... without a gap, in one transaction, and from
 * then on nothing can change them: the journal's triggers refuse every UPDATE and DELETE of
 * a closed day. The X report (today's running totals) is report_totals over today.
 */
#ifndef POSTERM_ZREPORTS_H
#define POSTERM_ZREPORTS_H

#include <stdint.h>

#include "journal.h"
#include "reports.h"

struct z_report {
    int64_t number;
    int day;         /* local yyyymmdd of closed_at */
    int64_t from_at; /* wall ms: the previous report's closed_at, 0 for the first */
    int64_t closed_at;
    struct report_day totals; /* payments created and refunds made in [from_at, closed_at) */
};

/* Closes the day at wall time at: computes the totals since the last Z report, stores them
 * as the next number, and returns the report. JOURNAL_IO if at is before the last one. */
enum journal_status z_report_close(struct journal *j, int64_t at, struct z_report *out);

/* Z report number; JOURNAL_NOT_FOUND when there is none. */
enum journal_status z_report_get(struct journal *j, int64_t number, struct z_report *out);

/* The newest Z report; JOURNAL_NOT_FOUND before the first. */
enum journal_status z_report_last(struct journal *j, struct z_report *out);

#endif
