/*
 * print_jobs.h - the journaled receipts: what is owed to the printer and how far each got.
 *
 * The promise, the write-ahead rule for paper: a job is marked sending (committed) before
 * any of its bytes leave, and printed only after the printer took them all; a job that was
 * sending when posterm stopped, or whose bytes went out in part before a failure, is printed
 * again marked as a reprint; one that failed before any byte went out waits, unmarked. So a
 * receipt is never printed twice without a reprint mark, and none is lost: the sale's and
 * refund's jobs are made in the same transaction as their event (journal_set_receipts).
 * Every call is one short transaction on the journal's handle (the event loop's thread).
 */
#ifndef POSTERM_PRINT_JOBS_H
#define POSTERM_PRINT_JOBS_H

#include <stdbool.h>
#include <stdint.h>

#include "journal.h"

enum print_kind {
    PRINT_SALE,
    PRINT_REFUND,
    PRINT_EOD,
    PRINT_SHIFT, /* a cashier's handover report (v7): ref is the shift's id */
    PRINT_Z,     /* a closed day (v7): ref is the Z report's number */
    PRINT_RECON, /* a reconciliation's slip (issue 21): day is the bill day (yyyymmdd) */
};
enum print_copy { PRINT_CUSTOMER, PRINT_MERCHANT };
enum print_state {
    PRINT_WAITING,
    PRINT_SENDING,
    PRINT_PRINTED,
    PRINT_UNPRINTABLE, /* its document cannot be made: left, never retried */
};

struct print_job {
    int64_t id;
    enum print_kind kind;
    char order_no[ORDER_NO_MAX + 1];  /* sale, refund */
    char refund_no[ORDER_NO_MAX + 1]; /* refund */
    int day;                          /* eod: yyyymmdd (local) */
    enum print_copy copy;
    enum print_state state;
    bool reprint;
    int attempts;                            /* times marked sending */
    int64_t created_at, sent_at, printed_at; /* wall ms, 0 = not yet */
    char last_error[160];
    int64_t ref; /* shift: the shift's id; z: the Z report's number */
};

const char *print_kind_name(enum print_kind k);
const char *print_state_name(enum print_state s);

/* Adds a job (kind, order_no, refund_no, day, ref, copy and reprint taken from job) at wall time
 * at; *id gets its id. For reprints asked by the cashier and end-of-day reports. */
enum journal_status print_job_add(struct journal *j, const struct print_job *job, int64_t at,
                                  int64_t *id);

/* The oldest job still owed (waiting or sending); JOURNAL_NOT_FOUND when there is none. */
enum journal_status print_job_next(struct journal *j, struct print_job *out);

/* Loads one job by id. */
enum journal_status print_job_get(struct journal *j, int64_t id, struct print_job *out);

/* Marks the job sending before its bytes go out, counting the attempt. A job that was
 * already sending (posterm stopped while printing it) becomes a reprint here; job is updated
 * to what was committed, so the document is composed with the right mark. */
enum journal_status print_job_start(struct journal *j, struct print_job *job, int64_t at);

/* The printer took every byte and was still ready afterwards. */
enum journal_status print_job_printed(struct journal *j, int64_t id, int64_t at);

/* The job failed: back to waiting with why; marked a reprint if bytes_out (some of it may be
 * on paper). */
enum journal_status print_job_failed(struct journal *j, int64_t id, bool bytes_out,
                                     const char *why);

/* The job's document cannot be made (why): it stays in the journal, never retried. */
enum journal_status print_job_unprintable(struct journal *j, int64_t id, const char *why);

/* Jobs still owed (waiting or sending). */
enum journal_status print_job_count_owed(struct journal *j, int *count);

#endif
