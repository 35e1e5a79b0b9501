/*
 * screen_shift.c - the reports a cashier closes: a shift's handover (交班) and the day's
 * Z report, each per channel (count, total, refunds, net) with a row for all channels, as
 * the end-of-day screen shows today's running totals.
 */
#include "screens.h"

#include <curses.h>
#include <stdio.h>
#include <time.h>

#include "money.h"
#include "text.h"
#include "view.h"
#include "widgets.h"

static const struct wdg_key shift_keys[] = {
    {"Enter", T_K_SIGN_OUT}, {"X", T_K_EXPORT}, {"Esc/Bksp", T_K_BACK}};
static const struct wdg_key close_keys[] = {{"Enter", T_K_CLOSE_CONFIRM}, {"Esc/Bksp", T_K_BACK}};
static const struct wdg_key closed_keys[] = {{"X", T_K_EXPORT}, {"Enter/Esc", T_K_DONE}};

enum { C_CHANNEL = 2, C_COUNT = 22, C_TOTAL = 36, C_REFUNDS = 50, C_NET = 64 };

static void totals_line(int y, enum wdg_style style, const char *label,
                        const struct report_totals *t)
{
    char buf[32], a[MONEY_TEXT_MAX];
    wdg_put(y, C_CHANNEL, 12, style, label);
    snprintf(buf, sizeof buf, "%lld", (long long)(t->paid_count + t->refunded_count));
    wdg_right(y, C_COUNT, 8, style, buf);
    wdg_right(y, C_TOTAL, 13, style, money_format(t->charged_fen, a));
    wdg_right(y, C_REFUNDS, 13, style, money_format(t->refunded_fen, a));
    wdg_right(y, C_NET, 13, style, money_format(t->net_fen, a));
}

/* The table from row y; returns the row after it. */
static int totals_table(const struct ui_model *m, int y, const struct report_day *d)
{
    wdg_put(y, C_CHANNEL, 12, WDG_DIM, text(m->lang, T_COL_CHANNEL));
    wdg_right(y, C_COUNT, 8, WDG_DIM, text(m->lang, T_COL_COUNT));
    wdg_right(y, C_TOTAL, 13, WDG_DIM, text(m->lang, T_COL_TOTAL));
    wdg_right(y, C_REFUNDS, 13, WDG_DIM, text(m->lang, T_COL_REFUNDS));
    wdg_right(y, C_NET, 13, WDG_DIM, text(m->lang, T_COL_NET));
    y++;
    totals_line(y++, WDG_PLAIN, text_channel(m->lang, CHANNEL_WECHAT), &d->channel[CHANNEL_WECHAT]);
    totals_line(y++, WDG_PLAIN, text_channel(m->lang, CHANNEL_ALIPAY), &d->channel[CHANNEL_ALIPAY]);
    mvhline(y++, C_CHANNEL, ACS_HLINE, C_NET - C_CHANNEL);
    totals_line(y++, WDG_TITLE, text(m->lang, T_EOD_ALL), &d->all);
    if (d->all.unresolved_count > 0) {
        char buf[160];
        wdg_format(buf, sizeof buf, m->lang, T_EOD_UNRESOLVED, (int)d->all.unresolved_count);
        wdg_put(++y, C_CHANNEL, COLS - 4, WDG_WARN, buf);
        y++;
    }
    return y + 1;
}

/* "yyyy-mm-dd HH:MM:SS" of a wall-ms time. */
static const char *when(int64_t ms, char *buf, size_t len)
{
    char day[VIEW_TIME_MAX], time[VIEW_TIME_MAX];
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    view_day((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday, day);
    view_time(ms, time);
    snprintf(buf, len, "%s %s", day, time);
    return buf;
}

void screen_shift(const struct ui_model *m, struct ui_input *in)
{
    struct frame f = wdg_frame(m, in, shift_keys, sizeof shift_keys / sizeof shift_keys[0]);
    char buf[240], from[40], to[40];
    int y = f.top + 1;
    if (m->shift == NULL || m->shift_totals == NULL)
        return;
    wdg_format(buf, sizeof buf, m->lang, T_SHIFT_TITLE, m->shift->cashier, m->shift->name);
    wdg_center(y, WDG_TITLE, buf);
    y += 2;
    wdg_format(
        buf, sizeof buf, m->lang, T_SHIFT_PERIOD, when(m->shift->started_at, from, sizeof from),
        m->shift->ended_at ? when(m->shift->ended_at, to, sizeof to) : text(m->lang, T_SHIFT_NOW));
    wdg_put(y, C_CHANNEL, f.cols - 4, WDG_DIM, buf);
    y += 2;
    y = totals_table(m, y, m->shift_totals);
    if (y < f.bottom)
        wdg_put(y, C_CHANNEL, f.cols - 4, WDG_PLAIN, text(m->lang, T_SHIFT_CONFIRM));
}

void screen_close(const struct ui_model *m, struct ui_input *in)
{
    struct frame f = wdg_frame(m, in, m->z_closed ? closed_keys : close_keys, 2);
    char buf[240], number[32], at[40];
    int y = f.top + 1;
    if (m->z == NULL)
        return;
    snprintf(number, sizeof number, "Z-%04lld", (long long)m->z->number);
    wdg_format(buf, sizeof buf, m->lang, T_CLOSE_TITLE, number);
    wdg_center(y, WDG_TITLE, buf);
    y += 2;
    if (m->z_closed) {
        wdg_format(buf, sizeof buf, m->lang, T_CLOSE_DONE, when(m->z->closed_at, at, sizeof at),
                   number);
        wdg_put(y, C_CHANNEL, f.cols - 4, WDG_GOOD, buf);
        y += 2;
        totals_table(m, y, &m->z->totals);
        return;
    }
    if (m->z->from_at > 0)
        wdg_format(buf, sizeof buf, m->lang, T_CLOSE_SINCE, when(m->z->from_at, at, sizeof at));
    else
        wdg_format(buf, sizeof buf, m->lang, T_CLOSE_SINCE_START);
    y += wdg_put_wrap(y, C_CHANNEL, f.cols - 4, 3, WDG_PLAIN, buf) + 1;
    wdg_put(y, C_CHANNEL, f.cols - 4, WDG_TITLE, text(m->lang, T_CLOSE_CONFIRM));
}
