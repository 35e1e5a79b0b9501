/*
 * screens.h - one drawing function per screen, each in its own file. A screen draws the
 * model (and what is being typed) and nothing else; the input is non-const only so that a
 * list can keep its selected row in view.
 */
#ifndef POSTERM_UI_SCREENS_H
#define POSTERM_UI_SCREENS_H

#include <stdbool.h>

#include "keys.h"
#include "ui.h"

void screen_ready(const struct ui_model *m, struct ui_input *in);
void screen_scan(const struct ui_model *m, struct ui_input *in);
void screen_paying(const struct ui_model *m, struct ui_input *in);
void screen_result(const struct ui_model *m, struct ui_input *in);
void screen_history(const struct ui_model *m, struct ui_input *in);
void screen_detail(const struct ui_model *m, struct ui_input *in);
void screen_refund(const struct ui_model *m, struct ui_input *in);
void screen_eod(const struct ui_model *m, struct ui_input *in);
/* issue 18: cashiers, shifts, closed day */
void screen_signin(const struct ui_model *m, struct ui_input *in);
void screen_shift(const struct ui_model *m, struct ui_input *in);
void screen_close(const struct ui_model *m, struct ui_input *in);

/* Shared by the screens that show one payment: its fields from row y, in two columns when
 * the screen is wide and short of rows; the amount only if with_amount (the result screen
 * shows it big already). Returns the rows used. */
int screen_payment_fields(const struct ui_model *m, const struct payment *p, bool with_amount,
                          int y, int rows);

#endif
