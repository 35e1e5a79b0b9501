/*
 * history_view.c - the history's day, filters and pages (history_view.h).
 */
#include "history_view.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "money.h"

void history_view_open(struct history_view *v, struct ui_model *m, int64_t now)
{
    int64_t from, to;
    report_local_day(now, &from, &to, &m->history_day);
    m->history_is_today = true;
    m->history_page = 1;
    m->history_more = false;
    m->history_channel = CHANNEL_NONE;
    m->history_state = m->history_unresolved_only ? UI_HS_UNRESOLVED : UI_HS_ALL;
    m->history_amount_fen = 0;
    m->history_last4[0] = '\0';
    memset(&v->starts[0], 0, sizeof v->starts[0]);
}

/* yyyymmdd moved by days (local calendar), never past today's. */
static int day_moved(int yyyymmdd, int days, int64_t now)
{
    struct tm tm = {.tm_year = yyyymmdd / 10000 - 1900,
                    .tm_mon = yyyymmdd / 100 % 100 - 1,
                    .tm_mday = yyyymmdd % 100 + days,
                    .tm_hour = 12,
                    .tm_isdst = -1};
    time_t noon = mktime(&tm);
    int64_t from, to;
    int moved, today;
    report_local_day((int64_t)noon, &from, &to, &moved);
    report_local_day(now, &from, &to, &today);
    return moved > today ? today : moved;
}

static const enum pay_state state_of[UI_HS__COUNT] = {
    [UI_HS_PAID] = PAY_PAID,
    [UI_HS_REFUNDED] = PAY_REFUNDED,
    [UI_HS_FAILED] = PAY_FAILED,
    [UI_HS_CANCELLED] = PAY_CANCELLED,
};

bool history_view_apply(struct history_view *v, struct ui_model *m, const struct ui_command *cmd,
                        int64_t now)
{
    switch (cmd->type) {
    case UI_CMD_HISTORY_DAY: {
        int64_t from, to;
        int today;
        report_local_day(now, &from, &to, &today);
        if (cmd->step == 0)
            m->history_day = 0;
        else
            m->history_day = day_moved(m->history_day ? m->history_day : today,
                                       m->history_day ? cmd->step : 0, now);
        break;
    }
    case UI_CMD_HISTORY_PAGE:
        if (cmd->step > 0 && m->history_more && m->history_page < HISTORY_VIEW_PAGES &&
            m->history_n > 0) {
            const struct payment *last = &m->history[m->history_n - 1];
            struct report_cursor *next = &v->starts[m->history_page];
            next->created_at = last->created_at;
            snprintf(next->order_no, sizeof next->order_no, "%s", last->order_no);
            m->history_page++;
        } else if (cmd->step < 0 && m->history_page > 1) {
            m->history_page--;
        }
        return true; /* the same filters: only the page moves */
    case UI_CMD_HISTORY_FIND: {
        m->history_amount_fen = 0;
        m->history_last4[0] = '\0';
        size_t n = strlen(cmd->code);
        if (n == 4 && strspn(cmd->code, "0123456789") == 4)
            snprintf(m->history_last4, sizeof m->history_last4, "%s", cmd->code);
        else if (n > 0 && money_parse(cmd->code, 0, &m->history_amount_fen) != MONEY_OK)
            m->history_amount_fen = 0;
        break;
    }
    case UI_CMD_HISTORY_CHANNEL:
        m->history_channel = m->history_channel == CHANNEL_NONE     ? CHANNEL_WECHAT
                             : m->history_channel == CHANNEL_WECHAT ? CHANNEL_ALIPAY
                                                                    : CHANNEL_NONE;
        break;
    case UI_CMD_HISTORY_STATE:
        m->history_state = (enum ui_history_state)((m->history_state + 1) % UI_HS__COUNT);
        m->history_unresolved_only = m->history_state == UI_HS_UNRESOLVED;
        break;
    case UI_CMD_HISTORY_FILTER_TOGGLE:
        m->history_unresolved_only = !m->history_unresolved_only;
        m->history_state = m->history_unresolved_only ? UI_HS_UNRESOLVED : UI_HS_ALL;
        break;
    default: return false;
    }
    /* Another filter: from the first page. */
    int64_t from, to;
    int today;
    report_local_day(now, &from, &to, &today);
    m->history_is_today = m->history_day == today;
    m->history_page = 1;
    return true;
}

struct page_rows {
    struct payment *rows;
    int n;
};

static int history_view_collect(void *ctx, const struct payment *p)
{
    struct page_rows *col = ctx;
    if (col->n == HISTORY_VIEW_ROWS)
        return 1;
    col->rows[col->n++] = *p;
    return 0;
}

enum journal_status history_view_load(struct history_view *v, struct ui_model *m, struct journal *j)
{
    struct report_filter f = {.amount_fen = m->history_amount_fen};
    if (m->history_day) {
        struct tm tm = {.tm_year = m->history_day / 10000 - 1900,
                        .tm_mon = m->history_day / 100 % 100 - 1,
                        .tm_mday = m->history_day % 100,
                        .tm_hour = 12,
                        .tm_isdst = -1};
        int day;
        report_local_day((int64_t)mktime(&tm), &f.from, &f.to, &day);
    }
    snprintf(f.last4, sizeof f.last4, "%s", m->history_last4);
    f.by_channel = m->history_channel != CHANNEL_NONE;
    f.channel = m->history_channel;
    f.unresolved_only = m->history_state == UI_HS_UNRESOLVED;
    f.by_state = m->history_state != UI_HS_ALL && !f.unresolved_only;
    f.state = state_of[m->history_state];

    struct page_rows col = {v->rows, 0};
    int page = m->history_page - 1;
    if (page == 0)
        memset(&v->starts[0], 0, sizeof v->starts[0]);
    m->history = v->rows;
    m->history_n = 0;
    m->history_more = false;
    enum journal_status st = report_history(j, &f, &v->starts[page], HISTORY_VIEW_ROWS,
                                            history_view_collect, &col, NULL, &m->history_more);
    m->history_n = col.n;
    return st;
}
