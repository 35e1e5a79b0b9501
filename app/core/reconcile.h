/*
 * reconcile.h - one day's gateway bill against the journal: which orders agree and which differ.
 *
 * Pure: no I/O, no clock, no allocation. The caller hands in the bill's rows (as read by
 * drivers/gateway/bill.h) and the journal's payments and refunds of that day as plain structs;
 * recon_match() reports one finding per order and per refund through a callback. Only rows and
 * entries whose order number starts with this terminal's prefix are looked at: the bill is the
 * merchant's, and other tills' orders are not ours to judge.
 *
 * The promise: every bill row of ours and every journal entry given is accounted for by exactly
 * one finding (recon_totals counts them), so a difference cannot pass unreported.
 */
#ifndef POSTERM_RECONCILE_H
#define POSTERM_RECONCILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest order, trade or refund number kept from a bill (WeChat's and Alipay's are 32/64). */
#define BILL_NO_MAX 64

enum bill_kind {
    BILL_PAYMENT, /* the customer was charged */
    BILL_REFUND,  /* money went back: a refund, or a charge reversed by a cancel */
};

/* One detail row of a gateway's trade bill. */
struct bill_row {
    long line; /* its line in the bill file, from 1 */
    enum bill_kind kind;
    char order_no[BILL_NO_MAX + 1];  /* out_trade_no */
    char trade_no[BILL_NO_MAX + 1];  /* the gateway's trade number */
    char refund_no[BILL_NO_MAX + 1]; /* out_refund_no / out_request_no; "" for a payment */
    int64_t amount_fen;              /* > 0: what was charged, or what went back */
    char time[20];                   /* "yyyy-MM-dd HH:mm:ss", Beijing time, as the bill says */
    char state[24]; /* the bill's own word for the row (SUCCESS, REVOKED, 交易) */
};

/* What the journal says became of a payment of that day. */
enum recon_outcome {
    RECON_TAKEN,     /* PAID or REFUNDED: the money was taken (refunds are listed apart) */
    RECON_NOT_TAKEN, /* FAILED or CANCELLED: nothing kept */
    RECON_OPEN,      /* unresolved or REFERRED: the terminal does not know */
};

struct recon_payment {
    char order_no[BILL_NO_MAX + 1];
    int64_t amount_fen;
    enum recon_outcome outcome;
};

/* A refund the journal recorded as given back (refund SUCCESS). */
struct recon_refund {
    char order_no[BILL_NO_MAX + 1];
    char refund_no[BILL_NO_MAX + 1];
    int64_t amount_fen;
};

enum recon_kind {
    RECON_MATCHED,            /* charged at the gateway, PAID here, same amount */
    RECON_REVERSED,           /* charged, then given back by the cancel; CANCELLED/FAILED here */
    RECON_CHARGED_NOT_PAID,   /* charged at the gateway (and kept), not PAID here */
    RECON_PAID_NOT_IN_BILL,   /* PAID here, no charge in the bill */
    RECON_AMOUNT_DIFFERS,     /* both charged, other amounts */
    RECON_REFUND_MATCHED,     /* refund in both, same number and amount */
    RECON_REFUND_DIFFERS,     /* same refund number, other amounts */
    RECON_REFUND_NOT_IN_BILL, /* refunded here, not in the bill */
    RECON_REFUND_OUTSIDE,     /* a refund in the bill that posterm never made (merchant portal) */
    RECON__COUNT
};

/* Whether a finding is a difference a supervisor must see. */
bool recon_is_difference(enum recon_kind kind);
/* A short stable name ("matched", "charged_not_paid", ...) for logs, CSV and tests. */
const char *recon_kind_name(enum recon_kind kind);
/* The kind a name names; false for any other text. */
bool recon_kind_from_name(const char *name, enum recon_kind *kind);

struct recon_finding {
    enum recon_kind kind;
    const char *order_no;
    const char *refund_no; /* refund findings; else "" */
    const char *trade_no;  /* from the bill; "" when the bill has no row */
    int64_t bill_fen;      /* the bill's amount; 0 when absent */
    int64_t journal_fen;   /* the journal's amount; 0 when absent */
    long line;             /* the bill line of the row found; 0 when absent */
};

typedef void (*recon_emit_fn)(void *ctx, const struct recon_finding *finding);

struct recon_totals {
    size_t by_kind[RECON__COUNT];
    size_t differences;
    size_t foreign_rows; /* bill rows of other terminals, not judged */
};

/*
 * Matches one day. prefix: this terminal's order-number prefix (every order it makes starts
 * with it; "" judges every row). The three arrays are reordered in place (sorted by order and
 * refund number) and otherwise left as they were. Findings come out order by order, payments
 * first, then refunds. totals may be NULL.
 */
void recon_match(const char *prefix, struct bill_row *rows, size_t nrows,
                 struct recon_payment *pays, size_t npays, struct recon_refund *refunds,
                 size_t nrefunds, recon_emit_fn emit, void *ctx, struct recon_totals *totals);

#endif
