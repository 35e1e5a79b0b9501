/*
 * test_core_reconcile.c - the matcher on a fake day: one order or refund per kind of finding,
 * other terminals' rows left alone, and every row and entry accounted for exactly once.
 */
#include <stdint.h>

#include "check.h"
#include "reconcile.h"

#define PREFIX "T01"

static struct bill_row pay_row(long line, const char *order, int64_t fen)
{
    struct bill_row r = {.line = line, .kind = BILL_PAYMENT, .amount_fen = fen};
    snprintf(r.order_no, sizeof r.order_no, "%s", order);
    snprintf(r.trade_no, sizeof r.trade_no, "42000%ld", line);
    return r;
}

static struct bill_row refund_row(long line, const char *order, const char *refund, int64_t fen)
{
    struct bill_row r = pay_row(line, order, fen);
    r.kind = BILL_REFUND;
    snprintf(r.refund_no, sizeof r.refund_no, "%s", refund);
    return r;
}

static struct recon_payment journal_pay(const char *order, int64_t fen, enum recon_outcome o)
{
    struct recon_payment p = {.amount_fen = fen, .outcome = o};
    snprintf(p.order_no, sizeof p.order_no, "%s", order);
    return p;
}

static struct recon_refund journal_refund(const char *order, const char *refund, int64_t fen)
{
    struct recon_refund r = {.amount_fen = fen};
    snprintf(r.order_no, sizeof r.order_no, "%s", order);
    snprintf(r.refund_no, sizeof r.refund_no, "%s", refund);
    return r;
}

struct seen {
    int n;
    struct {
        enum recon_kind kind;
        char order[BILL_NO_MAX + 1], refund[BILL_NO_MAX + 1];
        int64_t bill, journal;
        long line;
    } f[32];
};

static void collect(void *ctx, const struct recon_finding *f)
{
    struct seen *s = ctx;
    if (s->n >= 32)
        return;
    s->f[s->n].kind = f->kind;
    snprintf(s->f[s->n].order, sizeof s->f[s->n].order, "%s", f->order_no);
    snprintf(s->f[s->n].refund, sizeof s->f[s->n].refund, "%s", f->refund_no);
    s->f[s->n].bill = f->bill_fen;
    s->f[s->n].journal = f->journal_fen;
    s->f[s->n].line = f->line;
    s->n++;
}

/* The one finding about order (and refund, or NULL for the order's own); -1 when none or two. */
static int find(const struct seen *s, const char *order, const char *refund)
{
    int at = -1;
    for (int i = 0; i < s->n; i++) {
        bool is_refund = s->f[i].kind >= RECON_REFUND_MATCHED;
        if (strcmp(s->f[i].order, order) != 0 || is_refund != (refund != NULL))
            continue;
        if (refund && strcmp(s->f[i].refund, refund) != 0)
            continue;
        if (at >= 0)
            return -1;
        at = i;
    }
    return at;
}

static void expect(const struct seen *s, const char *order, const char *refund,
                   enum recon_kind kind, int64_t bill, int64_t journal)
{
    int i = find(s, order, refund);
    if (i < 0) {
        fprintf(stderr, "  no single finding for %s %s\n", order, refund ? refund : "");
        CHECK(false);
        return;
    }
    if (s->f[i].kind != kind)
        fprintf(stderr, "  %s %s: %s, expected %s\n", order, refund ? refund : "",
                recon_kind_name(s->f[i].kind), recon_kind_name(kind));
    CHECK_EQ_INT(s->f[i].kind, kind);
    CHECK_EQ_INT(s->f[i].bill, bill);
    CHECK_EQ_INT(s->f[i].journal, journal);
}

static void test_every_kind(void)
{
    struct bill_row rows[] = {
        pay_row(2, PREFIX "0001", 1230), /* matched */
        pay_row(3, PREFIX "0002", 500),  /* charged, FAILED here */
        pay_row(4, PREFIX "0004", 999),  /* amount changed */
        pay_row(5, "OTHER0001", 100),    /* another till */
        pay_row(6, PREFIX "0005", 800),  /* paid, refunded partly */
        refund_row(7, PREFIX "0005", PREFIX "0005R1", 300),
        refund_row(8, PREFIX "0005", PREFIX "0005P1", 100), /* portal refund */
        pay_row(9, PREFIX "0006", 700),                     /* cancelled after the charge */
        refund_row(10, PREFIX "0006", "", 700),
        refund_row(11, PREFIX "0007", PREFIX "0007R1", 50), /* refund amount differs */
        pay_row(12, PREFIX "0009", 10),                     /* charged, unresolved here */
        refund_row(13, "OTHER0002", "OTHER0002R1", 5),
    };
    struct recon_payment pays[] = {
        journal_pay(PREFIX "0001", 1230, RECON_TAKEN),
        journal_pay(PREFIX "0002", 500, RECON_NOT_TAKEN),
        journal_pay(PREFIX "0003", 400, RECON_TAKEN), /* missing from the bill */
        journal_pay(PREFIX "0004", 900, RECON_TAKEN),
        journal_pay(PREFIX "0005", 800, RECON_TAKEN),
        journal_pay(PREFIX "0006", 700, RECON_NOT_TAKEN),
        journal_pay(PREFIX "0008", 300, RECON_NOT_TAKEN), /* failed, nothing charged: silent */
        journal_pay(PREFIX "0009", 10, RECON_OPEN),
    };
    struct recon_refund refunds[] = {
        journal_refund(PREFIX "0005", PREFIX "0005R1", 300),
        journal_refund(PREFIX "0007", PREFIX "0007R1", 60),
        journal_refund(PREFIX "0001", PREFIX "0001R1", 200), /* not in the bill */
    };
    struct seen s = {0};
    struct recon_totals t;
    recon_match(PREFIX, rows, sizeof rows / sizeof *rows, pays, sizeof pays / sizeof *pays, refunds,
                sizeof refunds / sizeof *refunds, collect, &s, &t);

    expect(&s, PREFIX "0001", NULL, RECON_MATCHED, 1230, 1230);
    expect(&s, PREFIX "0002", NULL, RECON_CHARGED_NOT_PAID, 500, 500);
    expect(&s, PREFIX "0003", NULL, RECON_PAID_NOT_IN_BILL, 0, 400);
    expect(&s, PREFIX "0004", NULL, RECON_AMOUNT_DIFFERS, 999, 900);
    expect(&s, PREFIX "0005", NULL, RECON_MATCHED, 800, 800);
    expect(&s, PREFIX "0005", PREFIX "0005R1", RECON_REFUND_MATCHED, 300, 300);
    expect(&s, PREFIX "0005", PREFIX "0005P1", RECON_REFUND_OUTSIDE, 100, 0);
    expect(&s, PREFIX "0006", NULL, RECON_REVERSED, 700, 700);
    expect(&s, PREFIX "0007", PREFIX "0007R1", RECON_REFUND_DIFFERS, 50, 60);
    expect(&s, PREFIX "0001", PREFIX "0001R1", RECON_REFUND_NOT_IN_BILL, 0, 200);
    expect(&s, PREFIX "0009", NULL, RECON_CHARGED_NOT_PAID, 10, 10);
    CHECK_EQ_INT(find(&s, PREFIX "0008", NULL), -1);
    CHECK_EQ_INT(find(&s, PREFIX "0006", ""), -1); /* the reversal row is the order's finding */
    CHECK_EQ_INT(s.n, 11);
    CHECK_EQ_INT(t.foreign_rows, 2);
    CHECK_EQ_INT(t.differences, 7);
    CHECK_EQ_INT(t.by_kind[RECON_MATCHED], 2);
    CHECK_EQ_INT(t.by_kind[RECON_REFUND_OUTSIDE], 1);
    for (int i = 0; i < s.n; i++)
        CHECK(strncmp(s.f[i].order, PREFIX, 3) == 0);
}

/* A reversal that gave back less than was charged is no reversal: the charge is reported. */
static void test_partial_reversal_is_a_difference(void)
{
    struct bill_row rows[] = {pay_row(2, PREFIX "0001", 700),
                              refund_row(3, PREFIX "0001", "", 600)};
    struct recon_payment pays[] = {journal_pay(PREFIX "0001", 700, RECON_NOT_TAKEN)};
    struct seen s = {0};
    recon_match(PREFIX, rows, 2, pays, 1, NULL, 0, collect, &s, NULL);
    expect(&s, PREFIX "0001", NULL, RECON_CHARGED_NOT_PAID, 700, 700);
    expect(&s, PREFIX "0001", "", RECON_REFUND_OUTSIDE, 600, 0);
}

/* Charges at the gateway on a day the journal has no payment at all (pays NULL): each is
 * reported, and the empty journal side is never searched (bsearch on NULL: UBSan aborts). */
static void test_charges_on_a_day_without_payments(void)
{
    struct bill_row rows[] = {pay_row(2, PREFIX "0001", 700), pay_row(3, PREFIX "0002", 800)};
    struct seen s = {0};
    struct recon_totals t;
    recon_match(PREFIX, rows, 2, NULL, 0, NULL, 0, collect, &s, &t);
    expect(&s, PREFIX "0001", NULL, RECON_CHARGED_NOT_PAID, 700, 0);
    expect(&s, PREFIX "0002", NULL, RECON_CHARGED_NOT_PAID, 800, 0);
    CHECK_EQ_INT(t.differences, 2);
}

static void test_empty_day_and_names(void)
{
    struct seen s = {0};
    struct recon_totals t;
    recon_match(PREFIX, NULL, 0, NULL, 0, NULL, 0, collect, &s, &t);
    CHECK_EQ_INT(s.n, 0);
    CHECK_EQ_INT(t.differences, 0);
    for (int k = 0; k < RECON__COUNT; k++)
        CHECK(strcmp(recon_kind_name((enum recon_kind)k), "?") != 0);
    CHECK(!recon_is_difference(RECON_MATCHED));
    CHECK(recon_is_difference(RECON_REFUND_OUTSIDE));
}

int main(void)
{
    test_every_kind();
    test_partial_reversal_is_a_difference();
    test_charges_on_a_day_without_payments();
    test_empty_day_and_names();
    return check_done();
}
