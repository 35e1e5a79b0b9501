/*
 * screen_signin.c - the cashier's sign-in: number, then PIN (shown as stars), with what went
 * wrong and how long a lock after wrong PINs lasts.
 */
#include "screens.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "text.h"
#include "widgets.h"

static const struct wdg_key signin_keys[] = {
    {"0-9 A-Z", T_K_CASHIER_NO}, {"Enter", T_K_NEXT_FIELD}, {"Esc", T_K_BACK}, {"F10", T_K_QUIT}};

void screen_signin(const struct ui_model *m, struct ui_input *in)
{
    struct frame f = wdg_frame(m, in, signin_keys, sizeof signin_keys / sizeof signin_keys[0]);
    char buf[200], stars[sizeof in->signin_pin];
    int y = f.top + 1;
    wdg_center(y, WDG_TITLE, text(m->lang, T_SIGNIN_TITLE));
    y += 2;
    wdg_put(y, 4, f.cols - 8, WDG_DIM, text(m->lang, T_SIGNIN_HINT));
    y += 2;
    wdg_format(buf, sizeof buf, m->lang, T_SIGNIN_ID, in->signin_id);
    wdg_put(y++, 4, f.cols - 8, in->signin_pin_step ? WDG_PLAIN : WDG_SELECTED, buf);
    size_t n = strlen(in->signin_pin);
    memset(stars, '*', n);
    stars[n] = '\0';
    if (in->signin_pin_step) {
        wdg_format(buf, sizeof buf, m->lang, T_SIGNIN_PIN, stars);
        wdg_put(y, 4, f.cols - 8, WDG_SELECTED, buf);
    }
    y += 2;
    if (m->signin_locked_s > 0) {
        wdg_format(buf, sizeof buf, m->lang, T_SIGNIN_LOCKED, m->signin_locked_s);
        wdg_put(y, 4, f.cols - 8, WDG_BAD, buf);
    }
}
