/*
 * screen_ready.c - amount entry: the screen the cashier sees between customers.
 */
#include "screens.h"

#include <curses.h>
#include <stdio.h>

#include "money.h"
#include "text.h"
#include "widgets.h"

static const struct wdg_key ready_keys[] = {
    {"0-9 .", T_K_AMOUNT}, {"Bksp", T_K_DELETE}, {"Enter", T_K_CHARGE}, {"/", T_K_HISTORY},
    {"-", T_K_REFUND},     {"*", T_K_EOD},       {"F10", T_K_QUIT},     {"O", T_K_HANDOVER},
};

void screen_ready(const struct ui_model *m, struct ui_input *in)
{
    /* "O" (hand over) only while a cashier is signed in: the last key of the list. */
    int nkeys = sizeof ready_keys / sizeof ready_keys[0] - (m->cashier[0] ? 0 : 1);
    struct frame f = wdg_frame(m, in, ready_keys, nkeys);
    int y = f.top + 1;
    if (m->cashier[0]) {
        char who[160];
        wdg_format(who, sizeof who, m->lang, T_CASHIER, m->cashier, m->cashier_name);
        wdg_right(f.top, f.cols - 2, f.cols / 2, WDG_DIM, who);
    }
    wdg_center(y, WDG_TITLE, text(m->lang, T_READY_TITLE));
    y += 2;
    /* An empty field shows a dim zero so the cashier sees where the amount will appear. */
    const char *amount = in->amount[0] != '\0' ? in->amount : "0";
    int rows = m->background_n > 0 ? m->background_n + 2 : 0;
    wdg_big_amount(y, f.cols, f.bottom - y - rows, m->lang, amount,
                   in->amount[0] != '\0' ? WDG_PLAIN : WDG_DIM);
    if (rows == 0)
        return;
    /* A payment whose window closed no longer holds the counter: say what is still being
     * done about it, and that a customer who paid meanwhile gets the money back. */
    char buf[200], money[MONEY_TEXT_MAX];
    y = f.bottom - rows;
    wdg_put(y++, 2, f.cols - 4, WDG_DIM, text(m->lang, T_READY_BACKGROUND));
    for (int i = 0; i < m->background_n; i++) {
        const struct payment *p = &m->background[i];
        money_format(p->amount_fen, money);
        if (p->state == PAY_CANCELLING)
            wdg_format(buf, sizeof buf, m->lang, T_BG_CANCELLING, p->order_no, money,
                       (unsigned)p->cancels);
        else
            wdg_format(buf, sizeof buf, m->lang,
                       p->state == PAY_REFUNDING ? T_BG_REFUNDING : T_BG_CHECKING, p->order_no,
                       money);
        wdg_put(y++, 2, f.cols - 4, WDG_WARN, buf);
    }
}
