/*
 * test_reports.c - end-of-day totals add up per channel: sales of the day (paid, refunding,
 * refunded), refunds made that day whatever day their sale was, failed refunds and reversed
 * cancels counted nowhere; listings come newest first, events oldest first; payments left
 * for the merchant (REFERRED) counted on their own and listed whatever their day.
 */
#include "../check.h"
#include "fixture.h"
#include "journal.h"
#include "reports.h"

#define DAY      1700000000000LL /* the report's day starts here */
#define NEXT_DAY (DAY + 86400000LL)

static struct journal *j;

static void save(struct payment *p, enum pay_state state, const char *event, int64_t at)
{
    p->state = state;
    p->updated_at = at;
    CHECK_EQ_INT(journal_save(j, p, event, "", at), JOURNAL_OK);
}

static struct payment sale(const char *no, enum pay_channel ch, int64_t fen, int64_t created)
{
    struct payment p = fixture_payment(no, created);
    p.channel = ch;
    p.amount_fen = fen;
    save(&p, PAY_NEW, "create", created);
    save(&p, PAY_PAYING, "pay_intent", created + 1);
    return p;
}

static void refund(struct payment *p, const char *refund_no, int64_t fen, bool succeeds, int64_t at)
{
    snprintf(p->refund_no, sizeof p->refund_no, "%s", refund_no);
    p->refund_fen = fen;
    save(p, PAY_REFUNDING, "refund_intent", at);
    if (succeeds)
        p->refunded_fen += fen;
    enum pay_state after = p->refunded_fen == p->amount_fen ? PAY_REFUNDED : PAY_PAID;
    p->refund_no[0] = '\0';
    p->refund_fen = 0;
    save(p, after, succeeds ? "refunded" : "refund_failed", at + 5);
}

static void build_day(void)
{
    struct payment a = sale("A", CHANNEL_WECHAT, 1000, DAY + 1000);
    save(&a, PAY_PAID, "paid", DAY + 1100);

    struct payment b = sale("B", CHANNEL_WECHAT, 2000, DAY + 2000);
    save(&b, PAY_PAID, "paid", DAY + 2100);
    refund(&b, "BR1", 500, true, DAY + 10000);

    struct payment c = sale("C", CHANNEL_ALIPAY, 3000, DAY + 3000);
    save(&c, PAY_PAID, "paid", DAY + 3100);
    refund(&c, "CR1", 3000, true, DAY + 20000);

    struct payment d = sale("D", CHANNEL_ALIPAY, 400, DAY + 4000);
    save(&d, PAY_FAILED, "pay_failed", DAY + 4100);

    struct payment e = sale("E", CHANNEL_WECHAT, 700, DAY + 5000);
    save(&e, PAY_QUERYING, "pay_unknown", DAY + 5100);

    struct payment f = sale("F", CHANNEL_ALIPAY, 600, DAY + 6000);
    save(&f, PAY_CANCELLING, "cancel_intent", DAY + 6100);
    f.cancel_refunded = true;
    save(&f, PAY_CANCELLED, "cancelled", DAY + 6200);

    struct payment g = sale("G", CHANNEL_WECHAT, 800, DAY + 7000);
    save(&g, PAY_PAID, "paid", DAY + 7100);
    snprintf(g.refund_no, sizeof g.refund_no, "GR1");
    g.refund_fen = 300;
    save(&g, PAY_REFUNDING, "refund_intent", DAY + 7200);

    /* Sold the day before, refunded today: the refund is today's, the sale is not. */
    struct payment h = sale("H", CHANNEL_WECHAT, 900, DAY - 5000);
    save(&h, PAY_PAID, "paid", DAY - 4900);
    refund(&h, "HR1", 900, true, DAY + 30000);

    struct payment i = sale("I", CHANNEL_ALIPAY, 1500, DAY + 8000);
    save(&i, PAY_PAID, "paid", DAY + 8100);
    refund(&i, "IR1", 100, false, DAY + 40000);

    /* Sold and refunded the next day: in no total of this day. */
    struct payment k = sale("K", CHANNEL_ALIPAY, 5000, NEXT_DAY + 1);
    save(&k, PAY_PAID, "paid", NEXT_DAY + 2);
    refund(&k, "KR1", 5000, true, NEXT_DAY + 3);
}

static void test_totals(void)
{
    struct report_day day;
    CHECK_EQ_INT(report_totals(j, DAY, NEXT_DAY, &day), JOURNAL_OK);
    const struct report_totals *w = &day.channel[CHANNEL_WECHAT];
    CHECK_EQ_INT(w->paid_count, 3); /* A, B (partly refunded), G (refund in flight) */
    CHECK_EQ_INT(w->refunded_count, 0);
    CHECK_EQ_INT(w->charged_fen, 1000 + 2000 + 800);
    CHECK_EQ_INT(w->refunded_fen, 500 + 900);
    CHECK_EQ_INT(w->net_fen, 3800 - 1400);
    CHECK_EQ_INT(w->unresolved_count, 2); /* E, G */

    const struct report_totals *a = &day.channel[CHANNEL_ALIPAY];
    CHECK_EQ_INT(a->paid_count, 1);     /* I: its refund failed */
    CHECK_EQ_INT(a->refunded_count, 1); /* C */
    CHECK_EQ_INT(a->charged_fen, 3000 + 1500);
    CHECK_EQ_INT(a->refunded_fen, 3000);
    CHECK_EQ_INT(a->net_fen, 1500);
    CHECK_EQ_INT(a->unresolved_count, 0);

    const struct report_totals *none = &day.channel[CHANNEL_NONE];
    CHECK_EQ_INT(none->paid_count + none->charged_fen + none->refunded_fen, 0);

    CHECK_EQ_INT(day.all.paid_count, 4);
    CHECK_EQ_INT(day.all.refunded_count, 1);
    CHECK_EQ_INT(day.all.charged_fen, 8300);
    CHECK_EQ_INT(day.all.refunded_fen, 4400);
    CHECK_EQ_INT(day.all.net_fen, 3900);
    CHECK_EQ_INT(day.all.unresolved_count, 2);

    /* An empty period is all zeros, not an error. */
    CHECK_EQ_INT(report_totals(j, DAY - 100000000, DAY - 90000000, &day), JOURNAL_OK);
    CHECK_EQ_INT(day.all.paid_count + day.all.charged_fen + day.all.unresolved_count, 0);
}

struct listing {
    int n;
    char order_no[16][ORDER_NO_MAX + 1];
};

static int list_payment(void *ctx, const struct payment *p)
{
    struct listing *l = ctx;
    if (l->n < 16)
        snprintf(l->order_no[l->n], sizeof l->order_no[0], "%s", p->order_no);
    l->n++;
    return 0;
}

static int first_only(void *ctx, const struct payment *p)
{
    list_payment(ctx, p);
    return 1;
}

static void test_listing(void)
{
    struct listing l = {0};
    CHECK_EQ_INT(report_payments(j, DAY, NEXT_DAY, false, list_payment, &l), JOURNAL_OK);
    CHECK_EQ_INT(l.n, 8);
    const char *newest_first[] = {"I", "G", "F", "E", "D", "C", "B", "A"};
    for (int i = 0; i < 8 && i < l.n; i++)
        CHECK_EQ_STR(l.order_no[i], newest_first[i]);

    struct listing u = {0};
    CHECK_EQ_INT(report_payments(j, DAY, NEXT_DAY, true, list_payment, &u), JOURNAL_OK);
    CHECK_EQ_INT(u.n, 2);
    CHECK_EQ_STR(u.order_no[0], "G");
    CHECK_EQ_STR(u.order_no[1], "E");

    struct listing one = {0};
    CHECK_EQ_INT(report_payments(j, DAY, NEXT_DAY, false, first_only, &one), JOURNAL_OK);
    CHECK_EQ_INT(one.n, 1);

    /* [from, to): a payment created exactly at `to` belongs to the next period. */
    struct listing edge = {0};
    CHECK_EQ_INT(report_payments(j, DAY + 1000, DAY + 2000, false, list_payment, &edge),
                 JOURNAL_OK);
    CHECK_EQ_INT(edge.n, 1);
    CHECK_EQ_STR(edge.order_no[0], "A");
}

struct event_log {
    int n;
    char name[16][48];
    enum pay_state state[16];
    int64_t at[16];
};

static int log_event(void *ctx, const struct journal_event *e)
{
    struct event_log *l = ctx;
    if (l->n < 16) {
        snprintf(l->name[l->n], sizeof l->name[0], "%s", e->name);
        l->state[l->n] = e->state;
        l->at[l->n] = e->at;
    }
    l->n++;
    return 0;
}

static void test_events(void)
{
    struct event_log l = {0};
    CHECK_EQ_INT(report_events(j, "B", log_event, &l), JOURNAL_OK);
    CHECK_EQ_INT(l.n, 5);
    const char *names[] = {"create", "pay_intent", "paid", "refund_intent", "refunded"};
    enum pay_state states[] = {PAY_NEW, PAY_PAYING, PAY_PAID, PAY_REFUNDING, PAY_PAID};
    for (int i = 0; i < 5 && i < l.n; i++) {
        CHECK_EQ_STR(l.name[i], names[i]);
        CHECK_EQ_INT(l.state[i], states[i]);
        if (i > 0)
            CHECK(l.at[i - 1] <= l.at[i]);
    }
    struct event_log none = {0};
    CHECK_EQ_INT(report_events(j, "no-such-order", log_event, &none), JOURNAL_OK);
    CHECK_EQ_INT(none.n, 0);
}

/* Left for the merchant: counted apart from sales (their money's fate is not known here)
 * and listed every day until settled, whenever they were made. */
static void test_referred(void)
{
    struct payment l = sale("L", CHANNEL_WECHAT, 1200, DAY + 9000);
    save(&l, PAY_QUERYING, "pay_unknown", DAY + 9100);
    save(&l, PAY_REFERRED, "amount_mismatch", DAY + 9200);
    struct payment m = sale("M", CHANNEL_ALIPAY, 300, DAY - 8000);
    save(&m, PAY_REFERRED, "amount_mismatch", DAY - 7900);

    struct report_day day;
    CHECK_EQ_INT(report_totals(j, DAY, NEXT_DAY, &day), JOURNAL_OK);
    CHECK_EQ_INT(day.channel[CHANNEL_WECHAT].referred_count, 1);
    CHECK_EQ_INT(day.channel[CHANNEL_ALIPAY].referred_count, 0);
    CHECK_EQ_INT(day.all.referred_count, 1);
    CHECK_EQ_INT(day.all.paid_count, 4); /* as before: L is no sale */
    CHECK_EQ_INT(day.all.charged_fen, 8300);
    CHECK_EQ_INT(day.all.unresolved_count, 2); /* nor owed work */

    struct listing r = {0};
    CHECK_EQ_INT(report_referred(j, list_payment, &r), JOURNAL_OK);
    CHECK_EQ_INT(r.n, 2);
    CHECK_EQ_STR(r.order_no[0], "L");
    CHECK_EQ_STR(r.order_no[1], "M");
}

static int keep_payment(void *ctx, const struct payment *p)
{
    *(struct payment *)ctx = *p;
    return 0;
}

/* An amount keyed and abandoned before any scan (NEW -> FAILED, journaled "aborted"): in no
 * total, unresolved neither, and listed with its cause, which the screen words "not started"
 * rather than "failed" (ui/view.c view_not_started). */
static void test_not_started(void)
{
    const int64_t day = NEXT_DAY + 2 * (NEXT_DAY - DAY);
    struct payment n = fixture_payment("N", day + 1000);
    n.amount_fen = 4200;
    save(&n, PAY_NEW, "created", day + 1000);
    n.last_cause = PAY_CAUSE_ABORTED_BEFORE_SCAN;
    snprintf(n.last_error, sizeof n.last_error, "aborted before a payment code was scanned");
    save(&n, PAY_FAILED, "aborted", day + 2000);

    struct report_day totals;
    CHECK_EQ_INT(report_totals(j, day, day + (NEXT_DAY - DAY), &totals), JOURNAL_OK);
    CHECK_EQ_INT(totals.all.paid_count + totals.all.refunded_count + totals.all.unresolved_count +
                     totals.all.referred_count,
                 0);
    CHECK_EQ_INT(totals.all.charged_fen + totals.all.net_fen, 0);

    struct payment listed;
    memset(&listed, 0, sizeof listed);
    CHECK_EQ_INT(report_payments(j, day, day + (NEXT_DAY - DAY), false, keep_payment, &listed),
                 JOURNAL_OK);
    CHECK_EQ_STR(listed.order_no, "N");
    CHECK_EQ_INT(listed.state, PAY_FAILED);
    CHECK_EQ_INT(listed.last_cause, PAY_CAUSE_ABORTED_BEFORE_SCAN);
}

int main(void)
{
    char dir[4096], path[4200], err[1024];
    if (!fixture_dir(dir, sizeof dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/journal.db", dir);
    CHECK_EQ_INT(journal_open(&j, path, err, sizeof err), JOURNAL_OK);
    if (j) {
        build_day();
        test_totals();
        test_listing();
        test_events();
        test_referred();
        test_not_started();
        journal_close(j);
    }
    fixture_cleanup(dir);
    return check_done();
}
