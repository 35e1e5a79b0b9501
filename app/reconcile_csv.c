/*
 * reconcile_csv.c - the reconcile_items of a day as CSV (reconcile_csv.h).
 */
#include "reconcile_csv.h"

#include <time.h>

#include "money.h"

struct writer {
    FILE *out;
    bool failed;
};

static void local_time(int64_t at_ms, char out[20])
{
    time_t t = (time_t)(at_ms / 1000);
    struct tm tm;
    out[0] = '\0';
    if (at_ms > 0 && localtime_r(&t, &tm))
        strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm);
}

static int write_item(void *ctx, const struct reconcile_item *it)
{
    struct writer *w = ctx;
    char bill[MONEY_TEXT_MAX], journal[MONEY_TEXT_MAX], acked[20];
    local_time(it->acknowledged_at, acked);
    /* every text field is a bill number or a name of ours: no comma, quote or line break */
    if (fprintf(w->out, "%s,%s,%s,%s,%s,%s,%s,%s,%ld,%s\r\n", it->date,
                pay_channel_name(it->channel), recon_kind_name(it->kind), it->order_no,
                it->refund_no, it->trade_no, money_format(it->bill_fen, bill),
                money_format(it->journal_fen, journal), it->bill_line, acked) < 0)
        w->failed = true;
    return w->failed;
}

enum journal_status reconcile_csv_write(FILE *out, struct journal *j, const char *date)
{
    struct reconciliation runs[2];
    int n = 0;
    enum journal_status st = recon_get(j, date, runs, 2, &n);
    if (st != JOURNAL_OK)
        return st;
    struct writer w = {.out = out};
    if (fprintf(out, "date,channel,kind,order_no,refund_no,trade_no,bill_amount,journal_amount,"
                     "bill_line,acknowledged_at\r\n") < 0)
        return JOURNAL_IO;
    st = recon_items(j, date, write_item, &w);
    return st == JOURNAL_OK && w.failed ? JOURNAL_IO : st;
}
