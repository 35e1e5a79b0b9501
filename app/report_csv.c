/*
 * report_csv.c - reports as CSV (report_csv.h).
 */
#include "report_csv.h"

#include <string.h>
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
    line(out, r, "wechat", &r->totals.channel[CHANNEL_WECHAT]);
    line(out, r, "alipay", &r->totals.channel[CHANNEL_ALIPAY]);
    line(out, r, "all", &r->totals.all);
    return fflush(out) == 0 && !ferror(out);
}

static int local_day(int64_t wall_ms)
{
    int64_t from, to;
    int day;
    report_local_day(wall_ms / 1000, &from, &to, &day);
    return day;
}

void report_csv_x(struct report_csv *out, const struct report_day *today, int64_t from_at,
                  int64_t now)
{
    memset(out, 0, sizeof *out);
    snprintf(out->report, sizeof out->report, "x");
    out->day = local_day(now);
    out->from_at = from_at;
    out->to_at = now;
    out->totals = *today;
}

void report_csv_z(struct report_csv *out, const struct z_report *z)
{
    memset(out, 0, sizeof *out);
    snprintf(out->report, sizeof out->report, "z");
    snprintf(out->number, sizeof out->number, "Z-%04lld", (long long)z->number);
    out->day = z->day;
    out->from_at = z->from_at;
    out->to_at = z->closed_at;
    out->totals = z->totals;
}

void report_csv_shift(struct report_csv *out, const struct shift *s,
                      const struct report_day *totals)
{
    memset(out, 0, sizeof *out);
    snprintf(out->report, sizeof out->report, "shift");
    snprintf(out->number, sizeof out->number, "%lld", (long long)s->id);
    snprintf(out->cashier, sizeof out->cashier, "%s %s", s->cashier, s->name);
    out->day = local_day(s->started_at);
    out->from_at = s->started_at;
    out->to_at = s->ended_at;
    out->totals = *totals;
}

bool report_csv_file_name(const struct report_csv *r, const char *folder, int64_t now, char *out,
                          size_t outlen)
{
    int n;
    if (strcmp(r->report, "x") == 0) {
        time_t t = (time_t)(now / 1000);
        struct tm tm;
        char stamp[32];
        if (!localtime_r(&t, &tm) || strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm) == 0)
            return false;
        n = snprintf(out, outlen, "%s/posterm-x-%s.csv", folder, stamp);
    } else {
        n = snprintf(out, outlen, "%s/posterm-%s-%s.csv", folder, r->report,
                     strncmp(r->number, "Z-", 2) == 0 ? r->number + 2 : r->number);
    }
    return n > 0 && (size_t)n < outlen;
}
