/*
 * reconcile.c - the day's bill against the journal, by sorting both and walking them together.
 *
 * Sorting in place (qsort, libc) keeps the core free of allocation and the day linear after
 * the sort however many rows the bill holds.
 */
#include "reconcile.h"

#include <stdlib.h>
#include <string.h>

static const char *const kind_names[RECON__COUNT] = {
    [RECON_MATCHED] = "matched",
    [RECON_REVERSED] = "reversed",
    [RECON_CHARGED_NOT_PAID] = "charged_not_paid",
    [RECON_PAID_NOT_IN_BILL] = "paid_not_in_bill",
    [RECON_AMOUNT_DIFFERS] = "amount_differs",
    [RECON_REFUND_MATCHED] = "refund_matched",
    [RECON_REFUND_DIFFERS] = "refund_differs",
    [RECON_REFUND_NOT_IN_BILL] = "refund_not_in_bill",
    [RECON_REFUND_OUTSIDE] = "refund_outside",
};

const char *recon_kind_name(enum recon_kind kind)
{
    return (unsigned)kind < RECON__COUNT ? kind_names[kind] : "?";
}

bool recon_kind_from_name(const char *name, enum recon_kind *kind)
{
    for (int k = 0; k < RECON__COUNT; k++) {
        if (name && strcmp(name, kind_names[k]) == 0) {
            *kind = (enum recon_kind)k;
            return true;
        }
    }
    return false;
}

bool recon_is_difference(enum recon_kind kind)
{
    return kind != RECON_MATCHED && kind != RECON_REVERSED && kind != RECON_REFUND_MATCHED;
}

static int row_order(const void *a, const void *b)
{
    const struct bill_row *x = a, *y = b;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    int c = strcmp(x->order_no, y->order_no);
    if (c)
        return c;
    c = strcmp(x->refund_no, y->refund_no);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

static int pay_order(const void *a, const void *b)
{
    return strcmp(((const struct recon_payment *)a)->order_no,
                  ((const struct recon_payment *)b)->order_no);
}

static int refund_order(const void *a, const void *b)
{
    const struct recon_refund *x = a, *y = b;
    int c = strcmp(x->order_no, y->order_no);
    return c ? c : strcmp(x->refund_no, y->refund_no);
}

static bool ours(const char *prefix, const char *order_no)
{
    return strncmp(order_no, prefix, strlen(prefix)) == 0;
}

struct day {
    const char *prefix;
    const struct bill_row *rows;
    size_t nrows, first_refund; /* rows[first_refund..] are the refunds */
    const struct recon_payment *pays;
    size_t npays;
    recon_emit_fn emit;
    void *ctx;
    struct recon_totals *totals;
};

static void report(struct day *d, const struct recon_finding *f)
{
    d->totals->by_kind[f->kind]++;
    if (recon_is_difference(f->kind))
        d->totals->differences++;
    if (d->emit)
        d->emit(d->ctx, f);
}

/* Sum of the bill's rows of one kind for one order, in rows[from..to). */
static int64_t bill_sum(const struct day *d, size_t from, size_t to, const char *order_no)
{
    size_t lo = from, hi = to;
    while (lo < hi) { /* first row of order_no */
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(d->rows[mid].order_no, order_no) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    int64_t sum = 0;
    for (size_t i = lo; i < to && strcmp(d->rows[i].order_no, order_no) == 0; i++)
        sum += d->rows[i].amount_fen;
    return sum;
}

static const struct recon_payment *journal_payment(const struct day *d, const char *order_no)
{
    if (d->npays == 0)
        return NULL; /* no payments that day: pays may be NULL, which bsearch may not get */
    struct recon_payment key;
    memset(&key, 0, sizeof key);
    strncpy(key.order_no, order_no, BILL_NO_MAX);
    return bsearch(&key, d->pays, d->npays, sizeof *d->pays, pay_order);
}

/* A charge given back in full by the cancel of an order the journal did not keep. */
static bool reversed_by_cancel(const struct day *d, const char *order_no)
{
    const struct recon_payment *p = journal_payment(d, order_no);
    int64_t charged = bill_sum(d, 0, d->first_refund, order_no);
    return p && p->outcome == RECON_NOT_TAKEN && charged > 0 &&
           bill_sum(d, d->first_refund, d->nrows, order_no) == charged;
}

static void match_payments(struct day *d)
{
    size_t i = 0, j = 0;
    while (i < d->first_refund || j < d->npays) {
        if (i < d->first_refund && !ours(d->prefix, d->rows[i].order_no)) {
            d->totals->foreign_rows++;
            i++;
            continue;
        }
        if (j < d->npays && !ours(d->prefix, d->pays[j].order_no)) {
            j++;
            continue;
        }
        int c = i >= d->first_refund ? 1
                : j >= d->npays      ? -1
                                     : strcmp(d->rows[i].order_no, d->pays[j].order_no);
        struct recon_finding f = {.refund_no = "", .trade_no = ""};
        const struct recon_payment *p = c >= 0 ? &d->pays[j] : NULL;
        if (c <= 0) {
            const struct bill_row *r = &d->rows[i];
            f.order_no = r->order_no;
            f.trade_no = r->trade_no;
            f.line = r->line;
            /* a second charge row of one order (should not be) adds up, and then differs */
            for (; i < d->first_refund && strcmp(d->rows[i].order_no, r->order_no) == 0; i++)
                f.bill_fen += d->rows[i].amount_fen;
        } else {
            f.order_no = p->order_no;
        }
        if (p) {
            f.journal_fen = p->amount_fen;
            j++;
        }
        if (c < 0 || (p && p->outcome != RECON_TAKEN)) {
            if (c > 0)
                continue; /* not taken here, not charged there: nothing to say */
            f.kind = reversed_by_cancel(d, f.order_no) ? RECON_REVERSED : RECON_CHARGED_NOT_PAID;
        } else if (c > 0) {
            f.kind = RECON_PAID_NOT_IN_BILL;
        } else {
            f.kind = f.bill_fen == f.journal_fen ? RECON_MATCHED : RECON_AMOUNT_DIFFERS;
        }
        report(d, &f);
    }
}

static void match_refunds(struct day *d, const struct recon_refund *refunds, size_t nrefunds)
{
    size_t i = d->first_refund, j = 0;
    while (i < d->nrows || j < nrefunds) {
        if (i < d->nrows && !ours(d->prefix, d->rows[i].order_no)) {
            d->totals->foreign_rows++;
            i++;
            continue;
        }
        if (j < nrefunds && !ours(d->prefix, refunds[j].order_no)) {
            j++;
            continue;
        }
        int c = i >= d->nrows ? 1 : j >= nrefunds ? -1 : 0;
        if (c == 0) {
            c = strcmp(d->rows[i].order_no, refunds[j].order_no);
            if (c == 0)
                c = strcmp(d->rows[i].refund_no, refunds[j].refund_no);
        }
        struct recon_finding f = {.refund_no = "", .trade_no = ""};
        if (c <= 0) {
            const struct bill_row *r = &d->rows[i];
            f.order_no = r->order_no;
            f.refund_no = r->refund_no;
            f.trade_no = r->trade_no;
            f.line = r->line;
            /* rows without a refund number (a reversal) stand alone; a number seen twice adds up */
            do
                f.bill_fen += d->rows[i++].amount_fen;
            while (r->refund_no[0] && i < d->nrows &&
                   strcmp(d->rows[i].order_no, r->order_no) == 0 &&
                   strcmp(d->rows[i].refund_no, r->refund_no) == 0);
        }
        if (c >= 0) {
            f.order_no = refunds[j].order_no;
            f.refund_no = refunds[j].refund_no;
            f.journal_fen = refunds[j].amount_fen;
            j++;
        }
        if (c < 0) {
            if (reversed_by_cancel(d, f.order_no))
                continue; /* accounted for by the order's RECON_REVERSED */
            f.kind = RECON_REFUND_OUTSIDE;
        } else if (c > 0) {
            f.kind = RECON_REFUND_NOT_IN_BILL;
        } else {
            f.kind = f.bill_fen == f.journal_fen ? RECON_REFUND_MATCHED : RECON_REFUND_DIFFERS;
        }
        report(d, &f);
    }
}

void recon_match(const char *prefix, struct bill_row *rows, size_t nrows,
                 struct recon_payment *pays, size_t npays, struct recon_refund *refunds,
                 size_t nrefunds, recon_emit_fn emit, void *ctx, struct recon_totals *totals)
{
    struct recon_totals scratch;
    if (!totals)
        totals = &scratch;
    memset(totals, 0, sizeof *totals);
    if (nrows)
        qsort(rows, nrows, sizeof *rows, row_order);
    if (npays)
        qsort(pays, npays, sizeof *pays, pay_order);
    if (nrefunds)
        qsort(refunds, nrefunds, sizeof *refunds, refund_order);
    size_t first_refund = 0;
    while (first_refund < nrows && rows[first_refund].kind == BILL_PAYMENT)
        first_refund++;
    struct day d = {
        .prefix = prefix ? prefix : "",
        .rows = rows,
        .nrows = nrows,
        .first_refund = first_refund,
        .pays = pays,
        .npays = npays,
        .emit = emit,
        .ctx = ctx,
        .totals = totals,
    };
    match_payments(&d);
    match_refunds(&d, refunds, nrefunds);
}
