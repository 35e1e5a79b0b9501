/*
 * keys.h - what a key means on the screen the cashier is looking at.
 *
 * Pure: a key code (as curses' getch() returns it) and the model in, a command out. The
 * input state is only what is being typed, the selected history row and the last input
 * error; it follows the model (a new screen starts with a fresh field) but never changes it.
 * Tested without a terminal in tests/unit/ui.
 */
#ifndef POSTERM_UI_KEYS_H
#define POSTERM_UI_KEYS_H

#include <stdbool.h>

#include "payment.h"
#include "ui.h"

#define KEYS_AMOUNT_MAX 15 /* longer than any chargeable amount; the parser says what is wrong */
#define KEYS_PIN_MAX    12 /* the longest PIN (app/pin.h PIN_MAX_DIGITS) */

struct ui_input {
    bool seen; /* a model was seen: screen and refund_step are valid */
    enum ui_screen screen;
    enum ui_refund_step refund_step;
    char amount[KEYS_AMOUNT_MAX + 1]; /* READY */
    bool amount_overflow;             /* READY: more was typed than the field holds */
    bool amount_carried;              /* RESULT: a digit typed there starts the next amount */
    char code[UI_SCAN_MAX + 1];       /* SCAN, PAYING: a code being typed */
    char order[ORDER_NO_MAX + 1];     /* REFUND, ORDER step */
    char refund_amount[KEYS_AMOUNT_MAX + 1]; /* REFUND, AMOUNT step */
    int selected;                            /* HISTORY: the highlighted row */
    int first_row;                           /* HISTORY: the row at the top of the list */
    bool finding;                            /* HISTORY: the find line is open */
    char find[KEYS_AMOUNT_MAX + 1];          /* HISTORY: an amount or a code's last four */
    int picked;                              /* REFUND, PICK step: the highlighted row */
    char pin[KEYS_PIN_MAX + 1];              /* REFUND, CONFIRM step: the supervisor's PIN */
    char error[160];                         /* why the last Enter was refused; "" = none */
    char signin_id[33];                      /* SIGNIN: the cashier number typed */
    char signin_pin[16];                     /* SIGNIN: the PIN typed (shown as stars) */
    bool signin_pin_step;                    /* SIGNIN: the id is in, the PIN is next */
};

/* Follows the model: a screen (or refund step) entered afresh starts with empty fields;
 * coming back from SCAN keeps the amount, from DETAIL keeps the history row. */
void keys_sync(struct ui_input *in, const struct ui_model *m);

/* The refund step as shown: a step that needs the order, without one, is the ORDER step. */
enum ui_refund_step keys_refund_step(const struct ui_model *m);

/* The result screen offers "retry with another code" (R, '+') after a failure or cancel. */
bool keys_result_retries(const struct payment *p);

/* A code from a hardware scanner (not typed) while the refund screen waits for the order:
 * taken as if typed into the order field and Enter pressed (an order number, its last
 * digits, or a payment code whose last four find the candidates). false, and out untouched
 * beyond UI_CMD_NONE, on any other screen or step: the code is then a payment's. */
bool keys_refund_scan(struct ui_input *in, const struct ui_model *m, const char *code,
                      struct ui_command *out);

/* Translates one key on m's screen. out->type is UI_CMD_NONE for a key that means nothing
 * here, UI_CMD_REDRAW when only the input changed. */
void keys_translate(struct ui_input *in, const struct ui_model *m, int key, struct ui_command *out);

#endif
