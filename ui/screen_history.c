/*
 * screen_history.c - today's payments (all, or the unresolved ones), and one payment with
 * its event log. The list scrolls to keep the selected row in view.
 */
#include "screens.h"

#include <curses.h>

#include <stdio.h>
#include <string.h>

#include "cause_text.h"
#include "money.h"
#include "text.h"
#include "view.h"
#include "widgets.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const struct wdg_key history_keys[] = {
    {"Up/Dn", T_K_SELECT},      {"Enter", T_K_DETAIL},  {"P", T_K_REPRINT},
    {".", T_K_ONLY_UNRESOLVED}, {"Esc/Bksp", T_K_BACK},
};

static const struct wdg_key history_keys_filtered[] = {
    {"Up/Dn", T_K_SELECT}, {"Enter", T_K_DETAIL},  {"P", T_K_REPRINT},
    {".", T_K_SHOW_ALL},   {"Esc/Bksp", T_K_BACK},
};

/* The keys without the reprint key (at 2) when no printer is set up. */
static struct frame history_frame(const struct ui_model *m, struct ui_input *in,
                                  const struct wdg_key *keys, int n)
{
    struct wdg_key shown[8];
    int k = 0;
    for (int i = 0; i < n && k < N(shown); i++)
        if (keys[i].label != T_K_REPRINT || m->printer_configured)
            shown[k++] = keys[i];
    return wdg_frame(m, in, shown, k);
}

/* Column starts for time, order, channel, state; amount and refunded are right-aligned and
 * end at their column. The order column is as wide as the longest order number shown, so a
 * number is never cut at 80 columns with the usual short terminal ids. */
struct columns {
    int time, order, channel, amount_end, refunded_end, state;
};

static struct columns columns_for(const struct payment *rows, int n)
{
    int order_w = 5;
    for (int i = 0; i < n; i++) {
        int w = (int)strlen(rows[i].order_no);
        if (w > order_w)
            order_w = w;
    }
    struct columns c = {.time = 1, .order = 10};
    c.channel = c.order + order_w + 1;
    c.amount_end = c.channel + 10 + 11;
    c.refunded_end = c.amount_end + 10;
    c.state = c.refunded_end + 2;
    return c;
}

static void history_row(const struct ui_model *m, const struct columns *c, int y,
                        const struct payment *p, bool selected)
{
    char at[VIEW_TIME_MAX], amount[MONEY_TEXT_MAX], refunded[MONEY_TEXT_MAX];
    enum text_id st = view_state(p);
    enum wdg_style style = selected                         ? WDG_SELECTED
                           : pay_state_unresolved(p->state) ? WDG_WARN
                                                            : WDG_PLAIN;
    if (selected) {
        /* The marker shows the selection where colours and reverse video do not. */
        wdg_fill_row(y, WDG_SELECTED);
        wdg_put(y, 0, 1, WDG_SELECTED, ">");
    }
    view_time(p->created_at, at);
    wdg_put(y, c->time, 8, style, at);
    wdg_put(y, c->order, c->channel - c->order - 1, style, p->order_no);
    wdg_put(y, c->channel, 10, style, text_channel(m->lang, p->channel));
    wdg_right(y, c->amount_end, 12, style, money_format(p->amount_fen, amount));
    if (p->refunded_fen > 0)
        wdg_right(y, c->refunded_end, 10, style, money_format(p->refunded_fen, refunded));
    wdg_put(y, c->state, COLS - c->state, selected ? style : wdg_state_style(p), text(m->lang, st));
}

void screen_history(const struct ui_model *m, struct ui_input *in)
{
    bool filtered = m->history_unresolved_only;
    struct frame f = filtered
                         ? history_frame(m, in, history_keys_filtered, N(history_keys_filtered))
                         : history_frame(m, in, history_keys, N(history_keys));
    int y = f.top + 1;
    wdg_put(y, 1, COLS - 2, WDG_TITLE,
            text(m->lang, filtered ? T_HIST_TITLE_UNRESOLVED : T_HIST_TITLE));
    y += 2;
    struct columns c = columns_for(m->history, m->history != NULL ? m->history_n : 0);
    wdg_put(y, c.time, 8, WDG_DIM, text(m->lang, T_COL_TIME));
    wdg_put(y, c.order, c.channel - c.order - 1, WDG_DIM, text(m->lang, T_COL_ORDER));
    wdg_put(y, c.channel, 10, WDG_DIM, text(m->lang, T_COL_CHANNEL));
    wdg_right(y, c.amount_end, 12, WDG_DIM, text(m->lang, T_COL_AMOUNT));
    wdg_right(y, c.refunded_end, 10, WDG_DIM, text(m->lang, T_COL_REFUNDED));
    wdg_put(y, c.state, COLS - c.state, WDG_DIM, text(m->lang, T_COL_STATE));
    y++;
    if (m->history_n <= 0 || m->history == NULL) {
        wdg_put(y + 1, 1, COLS - 2, WDG_DIM, text(m->lang, T_HIST_EMPTY));
        return;
    }
    int visible = f.bottom - y;
    if (visible < 1)
        return;
    /* Scroll just enough to keep the selection in view. */
    if (in->selected < in->first_row)
        in->first_row = in->selected;
    if (in->selected >= in->first_row + visible)
        in->first_row = in->selected - visible + 1;
    if (in->first_row > m->history_n - visible)
        in->first_row = m->history_n - visible > 0 ? m->history_n - visible : 0;
    for (int i = 0; i < visible && in->first_row + i < m->history_n; i++) {
        int row = in->first_row + i;
        history_row(m, &c, y + i, &m->history[row], row == in->selected);
    }
}

/* A paid order has a receipt to print again (receipts_reprint takes the same states). */
static bool has_receipt(const struct payment *p)
{
    return p->state == PAY_PAID || p->state == PAY_REFUNDING || p->state == PAY_REFUNDED;
}

static const struct wdg_key detail_keys[] = {
    {"-", T_K_REFUND},
    {"P", T_K_REPRINT},
    {"Esc/Bksp", T_K_BACK},
};

void screen_detail(const struct ui_model *m, struct ui_input *in)
{
    const struct payment *p = m->detail;
    enum text_id why_not;
    bool refundable = p != NULL && view_refundable(p, &why_not) > 0;
    /* The refund key only where a refund is possible, the reprint key where a receipt was
     * printed (a paid order) and a printer is set up. */
    struct wdg_key shown[N(detail_keys)];
    int n = 0;
    for (int i = 0; i < N(detail_keys); i++)
        if ((detail_keys[i].label != T_K_REFUND || refundable) &&
            (detail_keys[i].label != T_K_REPRINT || (m->printer_configured && p && has_receipt(p))))
            shown[n++] = detail_keys[i];
    struct frame f = wdg_frame(m, in, shown, n);
    if (p == NULL)
        return;
    char buf[200];
    int y = f.top + 1;
    wdg_format(buf, sizeof buf, m->lang, T_DETAIL_TITLE, p->order_no);
    wdg_put(y, 1, COLS - 2, WDG_TITLE, buf);
    y += 2;
    y += screen_payment_fields(m, p, true, y, f.bottom - y - 3);
    /* The cashier's words here; the gateway's own (an HTTP status, a library's message) stay
     * in the event list below, for whoever looks into it. */
    if (view_cause(p) != PAY_CAUSE_NONE && y < f.bottom) {
        char why[CAUSE_TEXT_MAX];
        snprintf(buf, sizeof buf, "%s: %s", text(m->lang, T_F_LAST_ERROR),
                 cause_text(m->lang, view_cause(p), why, sizeof why));
        wdg_put(y++, 2, COLS - 4, WDG_WARN, buf);
    }
    y++;
    if (y >= f.bottom)
        return;
    wdg_put(y++, 1, COLS - 2, WDG_TITLE, text(m->lang, T_EVENTS));
    if (m->events_n <= 0 || m->events == NULL) {
        wdg_put(y, 2, COLS - 4, WDG_DIM, text(m->lang, T_NO_EVENTS));
        return;
    }
    /* The newest events matter most: when they do not all fit, the oldest are left out. */
    int room = f.bottom - y;
    int first = m->events_n > room ? m->events_n - room : 0;
    for (int i = first; i < m->events_n && y < f.bottom; i++, y++) {
        const struct journal_event *e = &m->events[i];
        char at[VIEW_TIME_MAX];
        view_time(e->at, at);
        wdg_put(y, 2, 8, WDG_DIM, at);
        enum text_id name = view_event(e->name);
        wdg_put(y, 11, 18, WDG_PLAIN, name == T__COUNT ? e->name : text(m->lang, name));
        wdg_put(y, 30, COLS - 31, WDG_PLAIN, e->detail);
    }
}
