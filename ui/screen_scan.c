/*
 * screen_scan.c - the order exists, nothing was sent: waiting for the customer's code.
 */
#include "screens.h"

#include <curses.h>
#include <stdio.h>

#include "money.h"
#include "paycode.h"
#include "text.h"
#include "widgets.h"

static const struct wdg_key scan_keys[] = {
    {"F2", T_K_QR_WECHAT},
    {"F3", T_K_QR_ALIPAY},
    {"Esc/Bksp", T_K_BACK},
};

void screen_scan(const struct ui_model *m, struct ui_input *in)
{
    struct frame f = wdg_frame(m, in, scan_keys, sizeof scan_keys / sizeof scan_keys[0]);
    int y = f.top + 1;
    wdg_center(y, WDG_TITLE, text(m->lang, T_SCAN_TITLE));
    y += 2;
    if (m->payment != NULL) {
        char amount[MONEY_TEXT_MAX];
        money_format(m->payment->amount_fen, amount);
        y += wdg_big_amount(y, f.cols, f.bottom - y - 4, m->lang, amount, WDG_PLAIN);
    }
    y++;
    wdg_center(y++, WDG_WARN, text(m->lang, T_SCAN_PROMPT));
    wdg_center(y++, WDG_PLAIN, text(m->lang, T_SCAN_CHANNELS));
    if (in->code[0] != '\0') {
        /* A code arriving through the keyboard, shown as it will be logged: masked. */
        char masked[UI_SCAN_MAX + 1], buf[UI_SCAN_MAX + 40];
        paycode_mask(in->code, masked, sizeof masked);
        snprintf(buf, sizeof buf, "%s: %s", text(m->lang, T_F_CODE), masked);
        wdg_center(y++, WDG_DIM, buf);
    }
    if (!m->scanner_connected)
        wdg_center(y + 1, WDG_BAD, text(m->lang, T_SCAN_NO_SCANNER));
}
