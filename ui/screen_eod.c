/*
 * screen_eod.c - end of day: per channel the count, total, refunds and net, a total row,
 * and the unresolved payments listed apart (they are in no total until they are final).
 */
#include "screens.h"

#include <curses.h>

#include <stdio.h>

#include "money.h"
#include "text.h"
#include "view.h"
#include "widgets.h"

static const struct wdg_key eod_keys[] = {
    {"Esc/Bksp", T_K_BACK},
    {"Z", T_K_CLOSE_DAY},
    {"X", T_K_EXPORT},
};

/* Column ends (right-aligned figures) after a 12-cell channel column. */
enum { C_CHANNEL = 2, C_COUNT = 22, C_TOTAL = 36, C_REFUNDS = 50, C_NET = 64 };

/* One row of figures. Count is every payment charged (later refunds included); net is the
 * report's own, so the screen adds nothing up itself. */
static void eod_line(int y, enum wdg_style style, const char *label, const struct report_totals *t)
{
    char buf[32], a[MONEY_TEXT_MAX];
    wdg_put(y, C_CHANNEL, 12, style, label);
    snprintf(buf, sizeof buf, "%lld", (long long)(t->paid_count + t->refunded_count));
    wdg_right(y, C_COUNT, 8, style, buf);
    wdg_right(y, C_TOTAL, 13, style, money_format(t->charged_fen, a));
    wdg_right(y, C_REFUNDS, 13, style, money_format(t->refunded_fen, a));
    wdg_right(y, C_NET, 13, style, money_format(t->net_fen, a));
}

static bool has_figures(const struct report_totals *t)
{
    return t->paid_count || t->refunded_count || t->charged_fen || t->refunded_fen ||
           t->unresolved_count;
}

/* One row per payment (order, channel, amount, state) from row y, above row `bottom`.
 * Returns the row after the last one drawn. */
static int payment_rows(const struct ui_model *m, int y, int bottom, enum wdg_style style,
                        const struct payment *rows, int n)
{
    for (int i = 0; i < n && y < bottom; i++, y++) {
        const struct payment *p = &rows[i];
        char a[MONEY_TEXT_MAX];
        int x = C_CHANNEL + 2;
        x += wdg_put(y, x, 32, style, p->order_no) + 2;
        wdg_put(y, x, 10, style, text_channel(m->lang, p->channel));
        wdg_right(y, x + 22, 13, style, money_format(p->amount_fen, a));
        wdg_put(y, x + 24, COLS - x - 25, style, text(m->lang, view_state(p)));
    }
    return y;
}

void screen_eod(const struct ui_model *m, struct ui_input *in)
{
    struct frame f = wdg_frame(m, in, eod_keys, sizeof eod_keys / sizeof eod_keys[0]);
    char buf[200], day[VIEW_TIME_MAX];
    int y = f.top + 1;
    view_day(m->eod_day, day);
    wdg_format(buf, sizeof buf, m->lang, T_EOD_TITLE, day);
    wdg_center(y, WDG_TITLE, buf);
    y += 2;
    if (m->eod == NULL)
        return;

    wdg_put(y, C_CHANNEL, 12, WDG_DIM, text(m->lang, T_COL_CHANNEL));
    wdg_right(y, C_COUNT, 8, WDG_DIM, text(m->lang, T_COL_COUNT));
    wdg_right(y, C_TOTAL, 13, WDG_DIM, text(m->lang, T_COL_TOTAL));
    wdg_right(y, C_REFUNDS, 13, WDG_DIM, text(m->lang, T_COL_REFUNDS));
    wdg_right(y, C_NET, 13, WDG_DIM, text(m->lang, T_COL_NET));
    y++;
    /* The real channels always; "no channel" only if something was ever booked on it. */
    const enum pay_channel order[] = {CHANNEL_WECHAT, CHANNEL_ALIPAY, CHANNEL_NONE};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const struct report_totals *t = &m->eod->channel[order[i]];
        if (order[i] == CHANNEL_NONE && !has_figures(t))
            continue;
        eod_line(y++, WDG_PLAIN, text_channel(m->lang, order[i]), t);
    }
    mvhline(y++, C_CHANNEL, ACS_HLINE, C_NET - C_CHANNEL);
    eod_line(y++, WDG_TITLE, text(m->lang, T_EOD_ALL), &m->eod->all);
    y++;

    /* Payments the terminal stopped on are the merchant's to settle: listed first, every
     * day until they are. */
    if (m->eod_referred_n > 0) {
        wdg_format(buf, sizeof buf, m->lang, T_EOD_REFERRED, m->eod_referred_n);
        wdg_put(y++, C_CHANNEL, COLS - 4, WDG_BAD, buf);
        y = payment_rows(m, y, f.bottom - 2, WDG_BAD, m->eod_referred, m->eod_referred_n) + 1;
    }
    int unresolved = (int)m->eod->all.unresolved_count;
    if (unresolved <= 0 && m->eod_unresolved_n <= 0) {
        wdg_put(y, C_CHANNEL, COLS - 4, WDG_DIM, text(m->lang, T_EOD_NONE_UNRESOLVED));
        return;
    }
    wdg_format(buf, sizeof buf, m->lang, T_EOD_UNRESOLVED,
               unresolved > m->eod_unresolved_n ? unresolved : m->eod_unresolved_n);
    wdg_put(y++, C_CHANNEL, COLS - 4, WDG_WARN, buf);
    if (m->eod_unresolved != NULL)
        payment_rows(m, y, f.bottom, WDG_WARN, m->eod_unresolved, m->eod_unresolved_n);
}
