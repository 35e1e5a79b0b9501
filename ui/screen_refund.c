/*
 * screen_refund.c - refund by order number: type the order, see what was paid and what is
 * still refundable, type the amount (empty = all of it), confirm, then watch the refund as
 * the journal records it.
 */
#include "screens.h"

#include <curses.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cause_text.h"
#include "money.h"
#include "paycode.h"
#include "text.h"
#include "view.h"
#include "widgets.h"

static const struct wdg_key order_keys[] = {
    {"0-9 A-Z -", T_K_ORDER},
    {"Enter", T_K_LOOKUP},
    {"Bksp", T_K_DELETE},
    {"Esc", T_K_BACK},
};
static const struct wdg_key amount_keys[] = {
    {"0-9 .", T_K_AMOUNT},
    {"Enter", T_K_REFUND_AMOUNT},
    {"Bksp", T_K_DELETE},
    {"Esc", T_K_BACK},
};
static const struct wdg_key confirm_keys[] = {
    {"Enter", T_K_CONFIRM},
    {"Esc/Bksp", T_K_BACK},
};
static const struct wdg_key sent_keys[] = {
    {"Enter", T_K_DONE},
};
static const struct wdg_key pick_keys[] = {
    {"Up/Dn", T_K_SELECT},
    {"Enter", T_K_PICK},
    {"Esc/Bksp", T_K_BACK},
};
static const struct wdg_key pin_keys[] = {
    {"0-9", T_K_PIN},
    {"Enter", T_K_CONFIRM},
    {"Esc", T_K_BACK},
};

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* What was paid, what went back already and what may still go back. */
static int refund_figures(const struct ui_model *m, const struct payment *p, int y, int x, int w)
{
    char a[MONEY_TEXT_MAX], buf[120];
    enum text_id why_not;
    int64_t limit = view_refundable(p, &why_not);
    int label_w = 0;
    enum text_id labels[] = {T_F_ORDER, T_F_AMOUNT, T_F_REFUNDED, T_F_REFUNDABLE, T_F_STATE};
    for (int i = 0; i < N(labels); i++) {
        int lw = wdg_width(text(m->lang, labels[i]));
        if (lw > label_w)
            label_w = lw;
    }
    wdg_field(y, x, w, label_w, text(m->lang, T_F_ORDER), WDG_PLAIN, p->order_no);
    snprintf(buf, sizeof buf, "¥ %s", money_format(p->amount_fen, a));
    wdg_field(y + 1, x, w, label_w, text(m->lang, T_F_AMOUNT), WDG_PLAIN, buf);
    snprintf(buf, sizeof buf, "¥ %s", money_format(p->refunded_fen, a));
    wdg_field(y + 2, x, w, label_w, text(m->lang, T_F_REFUNDED), WDG_PLAIN, buf);
    if (limit > 0)
        snprintf(buf, sizeof buf, "¥ %s", money_format(limit, a));
    else
        snprintf(buf, sizeof buf, "%s", text(m->lang, why_not));
    wdg_field(y + 3, x, w, label_w, text(m->lang, T_F_REFUNDABLE), limit > 0 ? WDG_GOOD : WDG_WARN,
              buf);
    wdg_field(y + 4, x, w, label_w, text(m->lang, T_F_STATE), WDG_PLAIN,
              text(m->lang, view_state(p)));
    return 5;
}

/* The orders a short form or a payment code named, newest first, the picked one marked. */
static void refund_candidates(const struct ui_model *m, const struct ui_input *in, int y,
                              int bottom)
{
    char buf[200];
    if (m->refund_by_code)
        wdg_format(buf, sizeof buf, m->lang, T_REF_PICK_BY_CODE,
                   m->refund_candidates_n > 0 ? m->refund_candidates[0].code_last4 : "");
    else
        wdg_format(buf, sizeof buf, m->lang, T_REF_PICK_BY_ORDER, in->order);
    wdg_put(y, 1, COLS - 2, WDG_TITLE, buf);
    y += 2;
    int day_x = 1, order_x = 18, channel_x = 18 + ORDER_NO_MAX - 11, amount_end = channel_x + 22;
    wdg_put(y, day_x, 16, WDG_DIM, text(m->lang, T_COL_STARTED));
    wdg_put(y, order_x, channel_x - order_x - 1, WDG_DIM, text(m->lang, T_COL_ORDER));
    wdg_put(y, channel_x, 10, WDG_DIM, text(m->lang, T_COL_CHANNEL));
    wdg_right(y, amount_end, 12, WDG_DIM, text(m->lang, T_COL_AMOUNT));
    wdg_put(y, amount_end + 2, COLS - amount_end - 3, WDG_DIM, text(m->lang, T_COL_STATE));
    y++;
    for (int i = 0; i < m->refund_candidates_n && y < bottom; i++, y++) {
        const struct payment *p = &m->refund_candidates[i];
        bool picked = i == in->picked;
        enum wdg_style style = picked ? WDG_SELECTED : WDG_PLAIN;
        char at[VIEW_TIME_MAX], day[VIEW_TIME_MAX], a[MONEY_TEXT_MAX];
        if (picked) {
            wdg_fill_row(y, WDG_SELECTED);
            wdg_put(y, 0, 1, WDG_SELECTED, ">");
        }
        time_t t = (time_t)(p->created_at / 1000);
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(day, sizeof day, "%m-%d", &tm);
        view_time(p->created_at, at);
        snprintf(buf, sizeof buf, "%s %s", day, at);
        wdg_put(y, day_x, 16, style, buf);
        wdg_put(y, order_x, channel_x - order_x - 1, style, p->order_no);
        wdg_put(y, channel_x, 10, style, text_channel(m->lang, p->channel));
        wdg_right(y, amount_end, 12, style, money_format(p->amount_fen, a));
        wdg_put(y, amount_end + 2, COLS - amount_end - 3, style, text(m->lang, view_state(p)));
    }
}

void screen_refund(const struct ui_model *m, struct ui_input *in)
{
    const struct payment *p = m->refund_payment;
    enum ui_refund_step step = keys_refund_step(m);
    struct frame f;
    switch (step) {
    case UI_REFUND_ORDER: f = wdg_frame(m, in, order_keys, N(order_keys)); break;
    case UI_REFUND_AMOUNT: f = wdg_frame(m, in, amount_keys, N(amount_keys)); break;
    case UI_REFUND_CONFIRM:
        f = m->refund_needs_pin ? wdg_frame(m, in, pin_keys, N(pin_keys))
                                : wdg_frame(m, in, confirm_keys, N(confirm_keys));
        break;
    case UI_REFUND_PICK: f = wdg_frame(m, in, pick_keys, N(pick_keys)); break;
    case UI_REFUND_SENT:
    default: f = wdg_frame(m, in, sent_keys, N(sent_keys)); break;
    }
    int y = f.top + 1;
    wdg_center(y, WDG_TITLE, text(m->lang, T_REF_TITLE));
    y += 2;
    int w = COLS >= 64 ? 60 : COLS - 2;
    int x = (COLS - w) / 2;
    char buf[200], field[ORDER_NO_MAX + 2], a[MONEY_TEXT_MAX];

    if (step == UI_REFUND_ORDER) {
        y += wdg_put_wrap(y, x, w, 3, WDG_DIM, text(m->lang, T_REF_FIND_PROMPT)) + 1;
        /* A payment code arriving through the keyboard is shown as it will be logged. */
        size_t n = strlen(in->order);
        if (n > 6 && strspn(in->order, "0123456789") == n) {
            char masked[ORDER_NO_MAX + 1];
            paycode_mask(in->order, masked, sizeof masked);
            snprintf(field, sizeof field, "%s_", masked);
        } else {
            snprintf(field, sizeof field, "%s_", in->order);
        }
        wdg_format(buf, sizeof buf, m->lang, T_REF_ORDER_PROMPT, field);
        wdg_put(y, x, w, WDG_PLAIN, buf);
        return;
    }
    if (step == UI_REFUND_PICK) {
        refund_candidates(m, in, y, f.bottom);
        return;
    }
    y += refund_figures(m, p, y, x, w) + 1;
    switch (step) {
    case UI_REFUND_AMOUNT: {
        char typed[KEYS_AMOUNT_MAX + 2];
        snprintf(typed, sizeof typed, "%s_", in->refund_amount);
        wdg_format(buf, sizeof buf, m->lang, T_REF_AMOUNT_PROMPT, typed);
        wdg_put(y, x, w, WDG_PLAIN, buf);
        break;
    }
    case UI_REFUND_CONFIRM:
        if (m->refund_repeats)
            y += wdg_put_wrap(y, x, w, 3, WDG_BAD, text(m->lang, T_REF_REPEAT));
        wdg_format(buf, sizeof buf, m->lang, T_REF_CONFIRM, money_format(m->refund_fen, a),
                   p->order_no);
        wdg_put(y++, x, w, WDG_WARN, buf);
        if (m->refund_needs_pin) {
            /* One star per digit typed: the PIN itself is never drawn. */
            char stars[KEYS_PIN_MAX + 2];
            size_t typed = strlen(in->pin);
            memset(stars, '*', typed);
            stars[typed] = '_';
            stars[typed + 1] = '\0';
            wdg_format(buf, sizeof buf, m->lang, T_REF_PIN_PROMPT, stars);
            wdg_put(y + 1, x, w, WDG_PLAIN, buf);
        }
        break;
    case UI_REFUND_SENT:
        /* The journal's figures, not the request's: a refund counts once the gateway said so. */
        if (p->state == PAY_REFUNDING) {
            wdg_format(buf, sizeof buf, m->lang, T_REF_SENDING, money_format(p->refund_fen, a));
            wdg_put(y++, x, w, WDG_WARN, buf);
        } else {
            char total[MONEY_TEXT_MAX];
            wdg_format(buf, sizeof buf, m->lang, T_REF_SO_FAR, money_format(p->refunded_fen, a),
                       money_format(p->amount_fen, total));
            wdg_put(y++, x, w, p->refunded_fen > 0 ? WDG_GOOD : WDG_WARN, buf);
        }
        if (view_cause(p) != PAY_CAUSE_NONE) {
            char why[CAUSE_TEXT_MAX];
            cause_text(m->lang, view_cause(p), why, sizeof why);
            wdg_format(buf, sizeof buf, m->lang, T_RES_REASON, why);
            wdg_put(y, x, w, WDG_DIM, buf);
        }
        break;
    case UI_REFUND_ORDER:
    case UI_REFUND_PICK: break;
    }
}
