/*
 * report_csv.c - reports as CSV (report_csv.h).
 */
#include "report_csv.h"

#include <time.h>

#include "money.h"

static void field(FILE *out, const char *s)
{
    bool quote = false;
    for (const char *c = s; *c; c++)
        if (*c == ',' || *c == '"' || *c == '\n' || *c == '\r')
            quote = true;
    if (!quote) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (const char *c = s; *c; c++) {
        if (*c == '"')
            fputc('"', out);
        fputc(*c, out);
    }
    fputc('"', out);
}

static const char *local_time(int64_t wall_ms, char *buf, size_t len)
{
    time_t t = (time_t)(wall_ms / 1000);
    struct tm tm;
    if (wall_ms <= 0 || !localtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
        buf[0] = '\0';
    return buf;
}

static const char *yuan(int64_t fen, char *buf, size_t len)
{
    char amount[MONEY_TEXT_MAX];
    snprintf(buf, len, "%s%s", fen < 0 ? "-" : "", money_format(fen < 0 ? -fen : fen, amount));
    return buf;
}

static void line(FILE *out, const struct report_csv *r, const char *channel,
                 const struct report_totals *t)
{
    char from[32], to[32], a[32], b[32], c[32];
    field(out, r->report);
    fputc(',', out);
    field(out, r->number);
    fprintf(out, ",%04d-%02d-%02d,%s,%s,", r->day / 10000, r->day / 100 % 100, r->day % 100,
            local_time(r->from_at, from, sizeof from), local_time(r->to_at, to, sizeof to));
    field(out, r->cashier);
    fprintf(out, ",%s,%lld,%lld,%s,%s,%s,%lld,%lld\r\n", channel, (long long)t->paid_count,
            (long long)t->refunded_count, yuan(t->charged_fen, a, sizeof a),
            yuan(t->refunded_fen, b, sizeof b), yuan(t->net_fen, c, sizeof c),
            (long long)t->unresolved_count, (long long)t->referred_count);
}

bool report_csv_write(FILE *out, const struct report_csv *r)
{
    fputs("report,number,day,from,to,cashier,channel,payments,fully_refunded,charged,refunds,"
          "net,unresolved,left_for_merchant\r\n",
          out);
    line(out, r, "wechat", &r->totals->channel[CHANNEL_WECHAT]);
    line(out, r, "alipay", &r->totals->channel[CHANNEL_ALIPAY]);
    line(out, r, "all", &r->totals->all);
    return fflush(out) == 0 && !ferror(out);
}
