/*
 * screen_paying.c - a payment in flight, in plain words: sending, customer confirming,
 * checking (with the countdown to the automatic cancel), cancelling. The abort key is shown
 * only while an abort can still change something.
 */
#include "screens.h"

#include <curses.h>

#include <stdio.h>

#include "cause_text.h"
#include "money.h"
#include "text.h"
#include "view.h"
#include "widgets.h"

static const struct wdg_key abort_keys[] = {
    {"Esc/Bksp", T_K_ABORT},
};

void screen_paying(const struct ui_model *m, struct ui_input *in)
{
    const struct payment *p = m->payment;
    bool can_abort = p != NULL && !p->abort_requested && p->state != PAY_CANCELLING &&
                     pay_state_unresolved(p->state);
    struct frame f = wdg_frame(m, in, abort_keys, can_abort ? 1 : 0);
    int y = f.top + 1;
    wdg_center(y, WDG_TITLE, text(m->lang, T_PAYING_TITLE));
    y += 2;
    if (p == NULL)
        return;

    char buf[200], amount[MONEY_TEXT_MAX];
    money_format(p->amount_fen, amount);
    y += wdg_big_amount(y, f.cols, f.bottom - y - 7, m->lang, amount, WDG_PLAIN);

    char code[AUTH_CODE_MAX + 1];
    view_code(p, code);
    snprintf(buf, sizeof buf, "%s  %s  %s", text_channel(m->lang, p->channel), p->order_no, code);
    wdg_center(y++, WDG_DIM, buf);
    y++;

    enum text_id st = view_progress(p);
    wdg_format(buf, sizeof buf, m->lang, st, (unsigned)p->cancels);
    /* In progress, whatever it is doing: yellow (the result screen brings the red or green). */
    wdg_center(y++, WDG_WARN, buf);

    /* After Esc: why the cancel waits and for how long, and that paying meanwhile is safe. */
    if (p->abort_requested && (p->state == PAY_PAYING || p->state == PAY_QUERYING)) {
        if (m->cancel_wait_s > 0)
            view_cancel_wait(p, m->cancel_wait_s, m->min_cancel_s, m->lang, buf, sizeof buf);
        else
            snprintf(buf, sizeof buf, "%s", text(m->lang, T_ST_CANCEL_WAIT_NOW));
        y += wdg_center_wrap(y, 2, WDG_PLAIN, buf);
    }
    if (p->abort_requested && pay_state_unresolved(p->state) && y < f.bottom)
        y += wdg_center_wrap(y, 2, WDG_PLAIN, text(m->lang, T_ST_PAID_MEANWHILE));
    if (view_shows_countdown(p, m->countdown_s)) {
        char left[VIEW_COUNTDOWN_MAX];
        view_countdown(m->countdown_s, left);
        wdg_format(buf, sizeof buf, m->lang, T_ST_CANCEL_IN, left);
        wdg_center(y++, WDG_PLAIN, buf);
    }
    /* The reason of the last unanswered attempt (a timeout, a 5xx) tells the cashier why it
     * takes long; it is never a verdict. */
    if (view_cause(p) != PAY_CAUSE_NONE && y < f.bottom) {
        char why[CAUSE_TEXT_MAX];
        cause_text(m->lang, view_cause(p), why, sizeof why);
        wdg_format(buf, sizeof buf, m->lang, T_ST_NETWORK, why);
        wdg_center(y, WDG_DIM, buf);
    }
}
