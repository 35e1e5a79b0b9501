/*
 * reconcile_csv.h - a day's reconciliation differences as CSV (RFC 4180), in report_csv.h's
 * style: one header line, then one line per difference, each carrying the day and channel so
 * several days' files can be concatenated. Money is yuan with two decimals ("12.30"), times
 * local "YYYY-MM-DD HH:MM:SS" ("" for a difference not yet acknowledged).
 */
#ifndef POSTERM_RECONCILE_CSV_H
#define POSTERM_RECONCILE_CSV_H

#include <stdio.h>

#include "reconciliations.h"

/* Writes the day's differences as stored; JOURNAL_NOT_FOUND when the day was never
 * reconciled, JOURNAL_IO also when the stream refused a line. */
enum journal_status reconcile_csv_write(FILE *out, struct journal *j, const char *date);

#endif
