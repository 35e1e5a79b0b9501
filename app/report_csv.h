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
#include <stddef.h>
#include <stdio.h>

#include "reports.h"
#include "shifts.h"
#include "zreports.h"

struct report_csv {
    char report[8];    /* "x", "z" or "shift" */
    char number[32];   /* "Z-0001", the shift's id, or "" */
    int day;           /* local yyyymmdd */
    int64_t from_at;   /* wall ms; 0 = since the journal began */
    int64_t to_at;     /* wall ms; 0 = still open */
    char cashier[128]; /* id and name, or "" */
    struct report_day totals;
};

/* Today's running totals (X) of the period [from_at, now). */
void report_csv_x(struct report_csv *out, const struct report_day *today, int64_t from_at,
                  int64_t now);
/* A closed day as stored. */
void report_csv_z(struct report_csv *out, const struct z_report *z);
/* A shift's handover totals. */
void report_csv_shift(struct report_csv *out, const struct shift *s,
                      const struct report_day *totals);

/* Writes the header and the lines; false when the stream refused them. */
bool report_csv_write(FILE *out, const struct report_csv *r);

/* The file a report is saved as in folder: posterm-x-YYYYMMDD-HHMMSS.csv, posterm-z-0001.csv,
 * posterm-shift-12.csv (now: wall ms, for the X report's name). False if it does not fit. */
bool report_csv_file_name(const struct report_csv *r, const char *folder, int64_t now, char *out,
                          size_t outlen);

#endif
