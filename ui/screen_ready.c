/*
 * screen_ready.c - amount entry: the screen the cashier sees between customers.
 */
#include "screens.h"

#include <curses.h>
#include "text.h"
#include "widgets.h"

static const struct wdg_key ready_keys[] = {
    {"0-9 .", T_K_AMOUNT}, {"Bksp", T_K_DELETE}, {"Enter", T_K_CHARGE}, {"/", T_K_HISTORY},
    {"-", T_K_REFUND},     {"*", T_K_EOD},       {"F10", T_K_QUIT},
};

void screen_ready(const struct ui_model *m, struct ui_input *in)
{
    struct frame f = wdg_frame(m, in, ready_keys, sizeof ready_keys / sizeof ready_keys[0]);
    int y = f.top + 1;
    wdg_center(y, WDG_TITLE, text(m->lang, T_READY_TITLE));
    y += 2;
    /* An empty field shows a dim zero so the cashier sees where the amount will appear. */
    const char *amount = in->amount[0] != '\0' ? in->amount : "0";
    wdg_big_amount(y, f.cols, f.bottom - y, m->lang, amount,
                   in->amount[0] != '\0' ? WDG_PLAIN : WDG_DIM);
}
