/*
 * screen_result.c - how a payment ended. The success headline appears only for PAY_PAID
 * (view_headline), which the engine reaches only on a verified gateway reply; a payment
 * that is not final yet says so rather than guess.
 */
#include "screens.h"

#include <curses.h>

#include <stdio.h>

#include "cause_text.h"
#include "money.h"
#include "text.h"
#include "view.h"
#include "widgets.h"

static const struct wdg_key result_keys[] = {
    {"0-9", T_K_NEW_AMOUNT},
    {"R/+", T_K_RETRY},
    {"Enter", T_K_NEXT},
};

int screen_payment_fields(const struct ui_model *m, const struct payment *p, bool with_amount,
                          int y, int rows)
{
    char amount[MONEY_TEXT_MAX], refunded[MONEY_TEXT_MAX], code[AUTH_CODE_MAX + 1],
        at[VIEW_TIME_MAX];
    char amount_text[MONEY_TEXT_MAX + 8], refunded_text[MONEY_TEXT_MAX + 8];
    snprintf(amount_text, sizeof amount_text, "¥ %s", money_format(p->amount_fen, amount));
    snprintf(refunded_text, sizeof refunded_text, "¥ %s", money_format(p->refunded_fen, refunded));
    view_code(p, code);
    view_time(p->updated_at, at);

    struct {
        enum text_id label;
        const char *value;
        bool shown;
    } rows_of[] = {
        {T_F_AMOUNT, amount_text, with_amount},
        {T_F_CHANNEL, text_channel(m->lang, p->channel), true},
        {T_F_ORDER, p->order_no, true},
        {T_F_CODE, code, code[0] != '\0'},
        {T_F_TIME, at, true},
        {T_F_STATE, text(m->lang, view_state(p)), true},
        {T_F_REFUNDED, refunded_text, p->refunded_fen > 0},
        {T_F_TRADE, p->trade_no, p->trade_no[0] != '\0'},
    };
    int n = (int)(sizeof rows_of / sizeof rows_of[0]);
    int label_w = 0;
    for (int i = 0; i < n; i++) {
        int w = wdg_width(text(m->lang, rows_of[i].label));
        if (w > label_w)
            label_w = w;
    }
    /* One column, centred as a block, at 80 columns; two side by side when wide and short. */
    int shown = 0;
    for (int i = 0; i < n; i++)
        shown += rows_of[i].shown;
    bool two = COLS >= 120 && shown > rows;
    int colw = two ? COLS / 2 - 2 : (COLS >= 64 ? 60 : COLS - 2);
    int x0 = two ? 2 : (COLS - colw) / 2;
    int used = 0, col = 0, half = (shown + 1) / 2;
    for (int i = 0, k = 0; i < n; i++) {
        if (!rows_of[i].shown)
            continue;
        if (two && k == half) {
            col = 1;
            used = 0;
        }
        if (used >= rows)
            break;
        wdg_field(y + used, x0 + col * (COLS / 2), colw, label_w, text(m->lang, rows_of[i].label),
                  WDG_PLAIN, rows_of[i].value);
        used++;
        k++;
    }
    return two ? half : used;
}

void screen_result(const struct ui_model *m, struct ui_input *in)
{
    const struct payment *p = m->payment;
    /* Retry only where there is something to retry: a failed or cancelled payment. */
    struct wdg_key keys[3];
    int nkeys = 0;
    for (int i = 0; i < 3; i++)
        if (result_keys[i].label != T_K_RETRY || (p != NULL && keys_result_retries(p)))
            keys[nkeys++] = result_keys[i];
    struct frame f = wdg_frame(m, in, keys, nkeys);
    if (p == NULL)
        return;
    int y = f.top + 1;
    enum text_id head = view_headline(p);
    enum wdg_style style = head == T_RES_PAID                                   ? WDG_GOOD
                           : head == T_RES_UNRESOLVED || head == T_RES_REFUNDED ? WDG_WARN
                                                                                : WDG_BAD;
    char buf[200], why[CAUSE_TEXT_MAX];
    snprintf(buf, sizeof buf, "  %s  ", text(m->lang, head));
    wdg_center(y, style, buf);
    y += 2;

    char amount[MONEY_TEXT_MAX];
    money_format(p->amount_fen, amount);
    /* Leave room below for the fields and the reason. */
    y += wdg_big_amount(y, f.cols, f.bottom - y - 9, m->lang, amount, wdg_state_style(p));

    enum pay_cause cause = view_cause(p);
    switch (p->state) {
    case PAY_FAILED:
        wdg_format(buf, sizeof buf, m->lang, T_RES_REASON,
                   cause_text(m->lang, cause, why, sizeof why));
        y += wdg_center_wrap(y, 2, WDG_BAD, buf);
        if (cause_advice(m->lang, cause)[0] != '\0') {
            wdg_format(buf, sizeof buf, m->lang, T_RES_TELL, cause_advice(m->lang, cause));
            y += wdg_center_wrap(y, 2, WDG_PLAIN, buf);
        }
        break;
    case PAY_CANCELLED:
        wdg_center(y++, WDG_WARN,
                   text(m->lang, p->cancel_refunded             ? T_RES_MONEY_RETURNED
                                 : p->channel == CHANNEL_WECHAT ? T_RES_ANY_RETURNED
                                                                : T_RES_NO_MONEY));
        /* Who cancelled: the cashier, or the window closing without an answer. */
        if (cause != PAY_CAUSE_NONE)
            y += wdg_center_wrap(y, 2, WDG_DIM, cause_text(m->lang, cause, why, sizeof why));
        break;
    case PAY_REFERRED:
        y += wdg_center_wrap(y, 2, WDG_BAD, cause_text(m->lang, cause, why, sizeof why));
        break;
    case PAY_PAID:
    case PAY_REFUNDED: break;
    case PAY_NEW:
    case PAY_PAYING:
    case PAY_QUERYING:
    case PAY_CANCELLING:
    case PAY_REFUNDING:
        wdg_center(y++, WDG_WARN, text(m->lang, T_RES_STILL_WORKING));
        wdg_format(buf, sizeof buf, m->lang, view_progress(p), (unsigned)p->cancels);
        wdg_center(y++, WDG_PLAIN, buf);
        break;
    }
    y++;
    screen_payment_fields(m, p, false, y, f.bottom - y);
}
