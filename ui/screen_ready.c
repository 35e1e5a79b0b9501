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
    /* issue 21 (recon2): differences with the gateways' bills, until a supervisor sees them */
    int y = f.top + 1 + screen_reconcile_alert(m, f.top);
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
    bool quick = m->quick_n > 0 || m->last_amount_fen > 0;
    y += wdg_big_amount(y, f.cols, f.bottom - y - rows - (quick ? 2 : 0), m->lang, amount,
                        in->amount[0] != '\0' ? WDG_PLAIN : WDG_DIM);
    if (quick && y + 1 < f.bottom - rows) {
        /* One key per amount: the configured ones on F1..F6, the last one again on '+'. */
        char line[200] = "", one[64], money[MONEY_TEXT_MAX];
        size_t used = 0;
        for (int i = 0; i < m->quick_n && i < 6 && m->quick_fen; i++) {
            snprintf(one, sizeof one, "F%d %s   ", i + 1, money_format(m->quick_fen[i], money));
            used += (size_t)snprintf(line + used, sizeof line - used, "%s", one);
        }
        if (m->last_amount_fen > 0 && used < sizeof line) {
            wdg_format(one, sizeof one, m->lang, T_QUICK_LAST,
                       money_format(m->last_amount_fen, money));
            snprintf(line + used, sizeof line - used, "%s", one);
        }
        wdg_center(y + 1, WDG_DIM, line);
    }
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
