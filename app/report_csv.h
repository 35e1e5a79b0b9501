/*
 * report_csv.h - the X, Z and shift reports as CSV (RFC 4180) for a spreadsheet or the
 * accountant: one header line, then one line per channel and one for all channels, each
 * carrying the report's name, number, day and period so lines of several reports can be
 * concatenated. Money is yuan with two decimals ("12.30"), times local "YYYY-MM-DD HH:MM:SS".
 */
#ifndef POSTERM_REPORT_CSV_H
#define POSTERM_REPORT_CSV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "reports.h"

struct report_csv {
    const char *report;  /* "x", "z" or "shift" */
    const char *number;  /* "Z-0001", the shift's id, or "" */
    int day;             /* local yyyymmdd */
    int64_t from_at;     /* wall ms; 0 = since the journal began */
    int64_t to_at;       /* wall ms; 0 = still open */
    const char *cashier; /* id and name, or "" */
    const struct report_day *totals;
};

/* Writes the header and the lines; false when the stream refused them. */
bool report_csv_write(FILE *out, const struct report_csv *r);

#endif
