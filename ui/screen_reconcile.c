/*
 * screen_reconcile.c - the differences the gateways' daily bills showed against the journal
 * (issue 21), listed for a supervisor to acknowledge, and the alert line the ready screen shows
 * until one does.
 */
#include "screens.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "money.h"
#include "text.h"
#include "widgets.h"

#define N(a) (int)(sizeof(a) / sizeof((a)[0]))

static const struct wdg_key pin_keys[] = {
    {"0-9", T_K_PIN}, {"Enter", T_K_RECON_ACK}, {"Esc", T_K_BACK}};
static const struct wdg_key ack_keys[] = {{"Enter", T_K_RECON_ACK}, {"Esc", T_K_BACK}};

/* Columns: day, channel, what differs, the order's short form, then the two amounts
 * right-aligned at their ends. */
enum { C_DAY = 2, C_CHANNEL = 13, C_KIND = 24, C_ORDER = 50, C_BILL = 66, C_TILL = 77 };

int screen_reconcile_alert(const struct ui_model *m, int y)
{
    if (m->recon_open <= 0)
        return 0;
    char buf[200];
    if (strcmp(m->recon_first, m->recon_last) == 0)
        wdg_format(buf, sizeof buf, m->lang, T_RECON_ALERT, m->recon_open, m->recon_last);
    else
        wdg_format(buf, sizeof buf, m->lang, T_RECON_ALERT_DAYS, m->recon_open, m->recon_first,
                   m->recon_last);
    wdg_fill_row(y, WDG_BAD);
    wdg_center(y, WDG_BAD, buf);
    return 1;
}

void screen_reconcile(const struct ui_model *m, struct ui_input *in)
{
    struct frame f = m->refund_needs_pin ? wdg_frame(m, in, pin_keys, N(pin_keys))
                                         : wdg_frame(m, in, ack_keys, N(ack_keys));
    int y = f.top + 1;
    wdg_center(y, WDG_TITLE, text(m->lang, T_RECON_TITLE));
    y += 2;
    if (m->recon_items_n == 0) {
        wdg_center(y, WDG_DIM, text(m->lang, T_RECON_NONE));
        return;
    }
    wdg_put(y, C_DAY, 10, WDG_DIM, text(m->lang, T_RECON_COL_DAY));
    wdg_put(y, C_CHANNEL, 10, WDG_DIM, text(m->lang, T_RECON_COL_CHANNEL));
    wdg_put(y, C_KIND, C_ORDER - C_KIND - 1, WDG_DIM, text(m->lang, T_RECON_COL_KIND));
    wdg_put(y, C_ORDER, 8, WDG_DIM, text(m->lang, T_RECON_COL_ORDER));
    wdg_right(y, C_BILL, 10, WDG_DIM, text(m->lang, T_RECON_COL_BILL));
    wdg_right(y, C_TILL, 10, WDG_DIM, text(m->lang, T_RECON_COL_TILL));
    y++;
    /* Rows for the PIN line and the question below the list. */
    int bottom = f.bottom - 3;
    int shown = 0;
    for (; shown < m->recon_items_n && y < bottom; shown++, y++) {
        const struct reconcile_item *it = &m->recon_items[shown];
        char a[MONEY_TEXT_MAX];
        size_t n = strlen(it->order_no);
        wdg_put(y, C_DAY, 10, WDG_PLAIN, it->date);
        wdg_put(y, C_CHANNEL, 10, WDG_PLAIN, text_channel(m->lang, it->channel));
        wdg_put(y, C_KIND, C_ORDER - C_KIND - 1, WDG_WARN, text_recon_kind(m->lang, it->kind));
        /* The short form a receipt shows; the whole number is in the CSV. */
        wdg_put(y, C_ORDER, 8, WDG_PLAIN, n > 6 ? it->order_no + n - 6 : it->order_no);
        wdg_right(y, C_BILL, 12, WDG_PLAIN, money_format(it->bill_fen, a));
        wdg_right(y, C_TILL, 12, WDG_PLAIN, money_format(it->journal_fen, a));
    }
    char buf[200];
    if (shown < m->recon_open) {
        wdg_format(buf, sizeof buf, m->lang, T_RECON_MORE, m->recon_open - shown);
        wdg_put(y++, C_DAY, COLS - C_DAY - 1, WDG_DIM, buf);
    }
    y = f.bottom - 2;
    wdg_put(y, C_DAY, COLS - C_DAY - 1, WDG_WARN,
            text(m->lang, m->refund_needs_pin ? T_RECON_ASK_PIN : T_RECON_ASK));
    if (m->refund_needs_pin) {
        /* One star per digit typed: the PIN itself is never drawn. */
        char stars[KEYS_PIN_MAX + 2];
        size_t typed = strlen(in->pin);
        memset(stars, '*', typed);
        stars[typed] = '_';
        stars[typed + 1] = '\0';
        wdg_format(buf, sizeof buf, m->lang, T_REF_PIN_PROMPT, stars);
        wdg_put(y + 1, C_DAY, COLS - C_DAY - 1, WDG_PLAIN, buf);
    }
}
