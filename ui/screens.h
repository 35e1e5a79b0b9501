/*
 * screens.h - one drawing function per screen, each in its own file. A screen draws the
 * model (and what is being typed) and nothing else; the input is non-const only so that a
 * list can keep its selected row in view.
 */
#ifndef POSTERM_UI_SCREENS_H
#define POSTERM_UI_SCREENS_H

#include <stdbool.h>
#include <stdint.h>

#include "keys.h"
#include "qr_art.h"
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
/* issue 21 (recon2): the reconciliation's open differences, and the alert line READY shows
 * for them (row y; returns the rows used: 0 without differences). */
void screen_reconcile(const struct ui_model *m, struct ui_input *in);
int screen_reconcile_alert(const struct ui_model *m, int y);
/* issue 20 (qrart): the customer scans the terminal's QR code. A plain struct, not the model,
 * so that the screen can be shown wherever the order is waiting for the customer. */
struct qr_screen {
    const char *payload;      /* the gateway's code_url / qr_code, as given */
    enum pay_channel channel; /* whose app scans it: its mark and words */
    int64_t amount_fen;
    int seconds_left; /* until the order is closed at the gateway; < 0: no countdown */
    enum ui_lang lang;
    bool ascii_only; /* the terminal has no Unicode: "##" per module, where that fits */
};
/* Draws the whole screen (title, the code with its words beside it, the Esc key) on an erased
 * stdscr. QR_ART_OK when the code was drawn; otherwise the screen says why and still shows the
 * amount, the channel, the countdown and Esc: QR_ART_NO_FIT (the window is too small; it names
 * the size needed), QR_ART_EMPTY, QR_ART_TOO_LONG or QR_ART_ENCODE_FAILED. At 80x24 a payload
 * of up to 62 bytes (version 4 at level M) is drawn in half blocks. */
enum qr_art_status screen_qr(const struct qr_screen *q);

/* Shared by the screens that show one payment: its fields from row y, in two columns when
 * the screen is wide and short of rows; the amount only if with_amount (the result screen
 * shows it big already). Returns the rows used. */
int screen_payment_fields(const struct ui_model *m, const struct payment *p, bool with_amount,
                          int y, int rows);

#endif
