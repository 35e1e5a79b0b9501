/*
 * receipt.h - what a receipt says: a sale, a refund slip, the end-of-day report, a shift's
 * handover report and a closed day (Z report) composed
 * as a print_doc (drivers/printer/print_doc.h) for 58 mm (32 columns) or 80 mm (48 columns)
 * paper, in the cashier's language.
 *
 * Pure: no I/O, no ncurses, no journal. The caller reads the payment, refund or totals and
 * hands them in; times are formatted in the local time zone. The payment code never reaches a
 * receipt: only the last four digits the journal keeps (code_last4).
 */
#ifndef POSTERM_RECEIPT_H
#define POSTERM_RECEIPT_H

#include <stdbool.h>
#include <stdint.h>

#include "journal.h"
#include "payment.h"
#include "print_doc.h"
#include "reconciliations.h"
#include "reports.h"
#include "shifts.h"
#include "zreports.h"
#include "ui.h"

/* Printed at the top of every receipt. */
struct receipt_header {
    char merchant[96]; /* UTF-8, "" = not printed */
    char store[96];    /* UTF-8, "" = not printed */
    char terminal[33];
};

/* How this copy is marked. */
struct receipt_marks {
    bool reprint;       /* "REPRINT" / "重印": it may already have been printed */
    bool merchant_copy; /* "MERCHANT COPY" / "商户联" (the customer's copy is unmarked) */
};

/* The result of composing: false when the document could not hold it (a header name that is
 * not valid UTF-8, or the document full); the document is then not to be printed. */
bool receipt_sale(struct print_doc *d, int columns, enum ui_lang lang,
                  const struct receipt_header *h, const struct receipt_marks *m,
                  const struct payment *p);

/* The refund r of payment p. */
bool receipt_refund(struct print_doc *d, int columns, enum ui_lang lang,
                    const struct receipt_header *h, const struct receipt_marks *m,
                    const struct payment *p, const struct journal_refund *r);

/* The day's totals (yyyymmdd) and how many payments are left for the merchant. */
bool receipt_day(struct print_doc *d, int columns, enum ui_lang lang,
                 const struct receipt_header *h, const struct receipt_marks *m, int yyyymmdd,
                 const struct report_day *totals, int referred);

/* A cashier's shift (open or ended) and its handover totals. */
bool receipt_shift(struct print_doc *d, int columns, enum ui_lang lang,
                   const struct receipt_header *h, const struct receipt_marks *m,
                   const struct shift *s, const struct report_day *totals);
/* A closed day, as stored, and how many payments are left for the merchant. */
bool receipt_z(struct print_doc *d, int columns, enum ui_lang lang, const struct receipt_header *h,
               const struct receipt_marks *m, const struct z_report *z, int referred);

/* issue 21 (recon2): one day's reconciliation - each channel's bill rows, matches and
 * differences - and each difference (what differs, the order, both amounts). */
bool receipt_reconcile(struct print_doc *d, int columns, enum ui_lang lang,
                       const struct receipt_header *h, const struct receipt_marks *m,
                       const struct reconciliation *runs, int nruns,
                       const struct reconcile_item *items, size_t nitems);

#endif
