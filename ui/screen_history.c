/*
 * screen_history.c - today's payments (all, or the unresolved ones), and one payment with
 * its event log. The list scrolls to keep the selected row in view.
 */
#include "screens.h"

#include <curses.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cause_text.h"
#include "event_text.h"
#include "keys.h"
#include "money.h"
#include "text.h"
#include "view.h"
#include "widgets.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const struct wdg_key history_keys[] = {
    {"Up/Dn", T_K_SELECT}, {"Enter", T_K_DETAIL}, {"-", T_K_REFUND},      {"F/0", T_K_FIND},
    {"<-/->", T_K_DAY},    {"A", T_K_ALL_DAYS},   {"C", T_K_CHANNEL},     {"S", T_K_STATE},
    {"PgUp/Dn", T_K_PAGE}, {"P", T_K_REPRINT},    {"Esc/Bksp", T_K_BACK},
};

static const struct wdg_key find_keys[] = {
    {"0-9 .", T_K_FIND},
    {"Enter", T_K_APPLY},
    {"Esc", T_K_BACK},
};

/* The keys without the reprint key when no printer is set up. */
static struct frame history_frame(const struct ui_model *m, struct ui_input *in,
                                  const struct wdg_key *keys, int n)
{
    struct wdg_key shown[16];
    int k = 0;
    for (int i = 0; i < n && k < N(shown); i++)
        if (keys[i].label != T_K_REPRINT || m->printer_configured)
            shown[k++] = keys[i];
    return wdg_frame(m, in, shown, k);
}

/* Column starts; amount and refunded are right-aligned and end at their column. The order
 * column holds the number's last six digits, the short form a refund takes (the detail screen
 * shows it whole); across days the start column carries the date. */
struct columns {
    int started, finished, order, channel, amount_end, refunded_end, state;
};

static struct columns columns_for(bool every_day)
{
    struct columns c = {.started = 1};
    /* "12:34:56 12:35:02" on a day; "12-05 12:34 12:35" across days, so that the longest
     * state ("left for the merchant") still fits 80 columns. */
    c.finished = c.started + (every_day ? 12 : 9);
    c.order = c.finished + 9;
    c.channel = c.order + 7;
    c.amount_end = c.channel + 19;
    c.refunded_end = c.amount_end + 9;
    c.state = c.refunded_end + 2;
    return c;
}

/* Local "HH:MM:SS", or "mm-dd HH:MM" / "HH:MM" across days, of a unix-ms time. */
static void row_time(int64_t unix_ms, const char *every_day_format, bool every_day, char *out,
                     size_t len)
{
    if (!every_day) {
        char t[VIEW_TIME_MAX];
        view_time(unix_ms, t);
        snprintf(out, len, "%s", t);
        return;
    }
    time_t t = (time_t)(unix_ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, len, every_day_format, &tm);
}

static void history_row(const struct ui_model *m, const struct columns *c, int y,
                        const struct payment *p, bool selected)
{
    char at[VIEW_TIME_MAX + 8], done[VIEW_TIME_MAX], amount[MONEY_TEXT_MAX],
        refunded[MONEY_TEXT_MAX];
    enum text_id st = view_state(p);
    enum wdg_style style = selected                         ? WDG_SELECTED
                           : pay_state_unresolved(p->state) ? WDG_WARN
                                                            : WDG_PLAIN;
    if (selected) {
        /* The marker shows the selection where colours and reverse video do not. */
        wdg_fill_row(y, WDG_SELECTED);
        wdg_put(y, 0, 1, WDG_SELECTED, ">");
    }
    bool every_day = m->history_day == 0;
    row_time(p->created_at, "%m-%d %H:%M", every_day, at, sizeof at);
    wdg_put(y, c->started, c->finished - c->started - 1, style, at);
    /* Finished: the last change of a payment no longer owed work. */
    if (!pay_state_unresolved(p->state)) {
        row_time(p->updated_at, "%H:%M", every_day, done, sizeof done);
        wdg_put(y, c->finished, c->order - c->finished - 1, style, done);
    }
    size_t len = strlen(p->order_no);
    wdg_put(y, c->order, 6, style, len > 6 ? p->order_no + len - 6 : p->order_no);
    wdg_put(y, c->channel, 10, style, text_channel(m->lang, p->channel));
    wdg_right(y, c->amount_end, 12, style, money_format(p->amount_fen, amount));
    if (p->refunded_fen > 0)
        wdg_right(y, c->refunded_end, 10, style, money_format(p->refunded_fen, refunded));
    wdg_put(y, c->state, COLS - c->state, selected ? style : wdg_state_style(p), text(m->lang, st));
}

static const enum text_id state_words[UI_HS__COUNT] = {
    [UI_HS_PAID] = T_STATE_PAID,
    [UI_HS_REFUNDED] = T_STATE_REFUNDED,
    [UI_HS_FAILED] = T_STATE_FAILED,
    [UI_HS_CANCELLED] = T_STATE_CANCELLED,
    [UI_HS_UNRESOLVED] = T_HIST_BY_UNRESOLVED,
};

/* The title: the day (or every day), then each filter in force and the page. */
static void history_title(const struct ui_model *m, char *buf, size_t len)
{
    char day[VIEW_TIME_MAX], a[MONEY_TEXT_MAX], part[80];
    if (m->history_day == 0) {
        snprintf(buf, len, "%s", text(m->lang, T_HIST_TITLE_ALL));
    } else if (m->history_is_today && m->history_state == UI_HS_UNRESOLVED) {
        snprintf(buf, len, "%s", text(m->lang, T_HIST_TITLE_UNRESOLVED));
    } else if (m->history_is_today) {
        snprintf(buf, len, "%s", text(m->lang, T_HIST_TITLE));
    } else {
        view_day(m->history_day, day);
        wdg_format(buf, len, m->lang, T_HIST_TITLE_DAY, day);
    }
    if (m->history_amount_fen > 0) {
        wdg_format(part, sizeof part, m->lang, T_HIST_BY_AMOUNT,
                   money_format(m->history_amount_fen, a));
        snprintf(buf + strlen(buf), len - strlen(buf), " · %s", part);
    }
    if (m->history_last4[0]) {
        wdg_format(part, sizeof part, m->lang, T_HIST_BY_CODE, m->history_last4);
        snprintf(buf + strlen(buf), len - strlen(buf), " · %s", part);
    }
    if (m->history_channel != CHANNEL_NONE)
        snprintf(buf + strlen(buf), len - strlen(buf), " · %s",
                 text_channel(m->lang, m->history_channel));
    if (m->history_state != UI_HS_ALL &&
        !(m->history_is_today && m->history_state == UI_HS_UNRESOLVED))
        snprintf(buf + strlen(buf), len - strlen(buf), " · %s",
                 text(m->lang, state_words[m->history_state]));
    if (m->history_page > 1) {
        wdg_format(part, sizeof part, m->lang, T_HIST_PAGE, m->history_page);
        snprintf(buf + strlen(buf), len - strlen(buf), " · %s", part);
    }
}

void screen_history(const struct ui_model *m, struct ui_input *in)
{
    struct frame f = in->finding ? wdg_frame(m, in, find_keys, N(find_keys))
                                 : history_frame(m, in, history_keys, N(history_keys));
    int y = f.top + 1;
    char buf[300];
    history_title(m, buf, sizeof buf);
    wdg_put(y, 1, COLS - 2, WDG_TITLE, buf);
    y++;
    if (in->finding) {
        char field[KEYS_AMOUNT_MAX + 2];
        snprintf(field, sizeof field, "%s_", in->find);
        wdg_format(buf, sizeof buf, m->lang, T_HIST_FIND_PROMPT, field);
        wdg_put(y, 1, COLS - 2, WDG_PLAIN, buf);
    }
    y++;
    struct columns c = columns_for(m->history_day == 0);
    wdg_put(y, c.started, c.finished - c.started - 1, WDG_DIM, text(m->lang, T_COL_STARTED));
    wdg_put(y, c.finished, c.order - c.finished - 1, WDG_DIM, text(m->lang, T_COL_FINISHED));
    wdg_put(y, c.order, 6, WDG_DIM, text(m->lang, T_COL_NO));
    wdg_put(y, c.channel, 10, WDG_DIM, text(m->lang, T_COL_CHANNEL));
    wdg_right(y, c.amount_end, 12, WDG_DIM, text(m->lang, T_COL_AMOUNT));
    wdg_right(y, c.refunded_end, 10, WDG_DIM, text(m->lang, T_COL_REFUNDED));
    wdg_put(y, c.state, COLS - c.state, WDG_DIM, text(m->lang, T_COL_STATE));
    y++;
    if (m->history_n <= 0 || m->history == NULL) {
        wdg_put(y + 1, 1, COLS - 2, WDG_DIM, text(m->lang, T_HIST_EMPTY));
        return;
    }
    int visible = f.bottom - y - (m->history_more ? 1 : 0);
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
    if (m->history_more)
        wdg_put(f.bottom - 1, 1, COLS - 2, WDG_DIM, text(m->lang, T_HIST_MORE));
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
        snprintf(buf, sizeof buf, "%s%s%s", text(m->lang, T_F_LAST_ERROR),
                 m->lang == UI_LANG_ZH ? "：" : ": ",
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
        char detail[sizeof e->detail + 64];
        event_detail_text(m->lang, e, detail, sizeof detail);
        wdg_put(y, 30, COLS - 31, WDG_PLAIN, detail);
    }
}
