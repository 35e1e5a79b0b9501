/*
 * receipts.h - the print queue: journaled print jobs (storage/print_jobs.h) composed
 * (ui/receipt.h) and handed to the printer (drivers/printer/printer.h) one at a time, from
 * the event loop's own poll (a loop_service), never blocking it.
 *
 * The promises: a payment is paid whether or not its receipt printed; a job is marked sending
 * in the journal before its first byte leaves and printed once the printer took it all; a job
 * that failed waits and is printed when the printer is ready again (a reprint, marked, when
 * some of it may already be on paper); nothing is printed twice unmarked.
 */
#ifndef POSTERM_RECEIPTS_H
#define POSTERM_RECEIPTS_H

#include <stdbool.h>
#include <stdint.h>

#include "journal.h"
#include "loop.h"
#include "print_jobs.h"
#include "printer.h"
#include "receipt.h"
#include "reconciliations.h"

struct receipts_config {
    struct receipt_header header;
    enum ui_lang lang;
    int columns;      /* DOC_COLUMNS_58MM or DOC_COLUMNS_80MM */
    int64_t retry_ms; /* after a failed job, before the next try (the printer being ready) */
    int64_t probe_ms; /* how often the journal is asked for new jobs while idle */
};

/* What happened to a job (headless prints each as a JSON line). */
enum receipts_what {
    RECEIPTS_WAITING,     /* count: jobs owed changed (printer not ready, or new jobs) */
    RECEIPTS_PRINTING,    /* job marked sending, its bytes going out */
    RECEIPTS_PRINTED,     /* job printed */
    RECEIPTS_FAILED,      /* job back to waiting; reason says why, bytes_out if part printed */
    RECEIPTS_UNPRINTABLE, /* job has nothing to print from; reason says why; never retried */
    RECEIPTS_PRINTER,     /* the printer's status line changed: reason holds it */
    RECEIPTS_JOURNAL,     /* a journal write failed (reason): retried */
};

struct receipts_event {
    enum receipts_what what;
    const struct print_job *job; /* PRINTING, PRINTED, FAILED, UNPRINTABLE; else NULL */
    int count;                   /* WAITING: jobs owed */
    bool bytes_out;              /* FAILED */
    const char *reason;
};

struct receipts_observer {
    void *ctx;
    void (*event)(void *ctx, const struct receipts_event *e);
};

struct receipts;

/* journal and printer stay the caller's; clock may be NULL (system clocks). */
struct receipts *receipts_open(const struct receipts_config *cfg, struct journal *journal,
                               struct printer *printer, const struct loop_clock *clock,
                               const struct receipts_observer *observer);
void receipts_close(struct receipts *r);

/* The queue as a service of the loop (loop_add_service). */
struct loop_service receipts_service(struct receipts *r);

/* Jobs owed (waiting or being printed), as last read from the journal. */
int receipts_waiting(const struct receipts *r);
/* Jobs owed, read from the journal now: the count above is up to a probe old, and a payment
 * that turned PAID since has its receipt owed already (the end of input must not miss it). */
int receipts_owed_now(struct receipts *r);
/* The printer's line for the screen and status; *ready as it stands. */
const char *receipts_printer_line(const struct receipts *r, bool *ready);
/* What the printer is, as last read: the screen words it for the cashier (the line above is
 * the driver's, for logs and status). */
enum printer_state receipts_printer_state(const struct receipts *r);

enum receipts_status {
    RECEIPTS_OK = 0,
    RECEIPTS_NO_ORDER,   /* no such order */
    RECEIPTS_NOT_PAID,   /* the order was never paid: there is no receipt to print again */
    RECEIPTS_NO_JOURNAL, /* the journal did not take the job (receipts_journal_error says why) */
};

/* Adds a reprint of order_no's sale receipt, marked as a reprint (paid, refunding or refunded
 * orders). */
enum receipts_status receipts_reprint(struct receipts *r, const char *order_no);
/* Adds the end-of-day report of day yyyymmdd (local). */
enum receipts_status receipts_day_report(struct receipts *r, int yyyymmdd);
/* Adds the handover report of shift shift_id (storage/shifts.h). */
enum receipts_status receipts_shift_report(struct receipts *r, int64_t shift_id);
/* Adds Z report number (storage/zreports.h). */
enum receipts_status receipts_z_report(struct receipts *r, int64_t number);
/* issue 21 (recon2): adds the slip of the reconciliation of date (yyyy-MM-dd, the bill day),
 * composed from the journal when printed; RECEIPTS_NO_ORDER when date is not a day. */
enum receipts_status receipts_reconcile(struct receipts *r, const char *date);
/* The journal's words for the last RECEIPTS_NO_JOURNAL. */
const char *receipts_journal_error(const struct receipts *r);

#endif
