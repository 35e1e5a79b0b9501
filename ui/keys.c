/*
 * keys.c - the key map of each screen, chosen so that a numeric keypad alone runs the till:
 * digits and '.' type, Enter goes on, Backspace goes back when there is nothing to delete,
 * '/' '*' '-' open history, end of day and refund. Letters work too on a full keyboard;
 * quitting takes F10 or Ctrl-X, which no scanner types.
 */
#include "keys.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "money.h"
#include "order_no.h"
#include "text.h"
#include "view.h"

#define KEY_ESCAPE   27
#define CTRL_X       24
#define HISTORY_PAGE 10

static bool is_enter(int k)
{
    return k == '\n' || k == '\r' || k == KEY_ENTER;
}

static bool is_backspace(int k)
{
    return k == KEY_BACKSPACE || k == 127 || k == 8 || k == KEY_DC;
}

static void set_cmd(struct ui_command *out, enum ui_command_type t)
{
    memset(out, 0, sizeof *out);
    out->type = t;
}

static void set_order_cmd(struct ui_command *out, enum ui_command_type t, const char *order,
                          int64_t fen)
{
    set_cmd(out, t);
    snprintf(out->order_no, sizeof out->order_no, "%s", order);
    out->fen = fen;
}

/* Appends c to a field of capacity cap (bytes including the NUL); false when full. */
static bool field_add(char *field, size_t cap, int c)
{
    size_t n = strlen(field);
    if (n + 1 >= cap)
        return false;
    field[n] = (char)c;
    field[n + 1] = '\0';
    return true;
}

static bool field_del(char *field)
{
    size_t n = strlen(field);
    if (n == 0)
        return false;
    field[n - 1] = '\0';
    return true;
}

enum typed { NOT_TYPED, TYPED, FIELD_FULL };

static bool order_char(int k);

/* Types into an amount field: digits and one decimal separator (',' from keypads of locales
 * that use it). Anything else stays out of the field; the parser judges the rest. */
static bool is_amount_char(int k)
{
    return (k >= '0' && k <= '9') || k == '.' || k == ',';
}

static enum typed amount_key(char *field, size_t cap, int k)
{
    if (!is_amount_char(k))
        return NOT_TYPED;
    return field_add(field, cap, k == ',' ? '.' : k) ? TYPED : FIELD_FULL;
}

/* Types into the scan field: every printable character, letters too, so that a barcode that
 * is not a payment code arrives as such and is refused, never filtered into digits that might
 * look like one. */
static bool code_key(struct ui_input *in, int k)
{
    if (k < 0x20 || k > 0x7e)
        return false;
    field_add(in->code, sizeof in->code, k);
    return true;
}

void keys_sync(struct ui_input *in, const struct ui_model *m)
{
    bool fresh = !in->seen || in->screen != m->screen;
    if (fresh) {
        in->error[0] = '\0';
        in->code[0] = '\0';
        if (m->screen == UI_SCREEN_READY && (!in->seen || in->screen != UI_SCREEN_SCAN)) {
            in->amount[0] = '\0';
            in->amount_overflow = false;
        }
        if (m->screen == UI_SCREEN_HISTORY && (!in->seen || in->screen != UI_SCREEN_DETAIL)) {
            in->selected = 0;
            in->first_row = 0;
        }
    }
    if (fresh && m->screen == UI_SCREEN_SIGNIN) {
        in->signin_id[0] = '\0';
        in->signin_pin[0] = '\0';
        in->signin_pin_step = false;
    }
    enum ui_refund_step step = keys_refund_step(m);
    if (m->screen == UI_SCREEN_REFUND && (fresh || in->refund_step != step)) {
        in->error[0] = '\0';
        /* Back from AMOUNT to ORDER keeps the order number to correct it. */
        if (step == UI_REFUND_ORDER && (fresh || in->refund_step != UI_REFUND_AMOUNT))
            in->order[0] = '\0';
        if (step == UI_REFUND_AMOUNT && (fresh || in->refund_step != UI_REFUND_CONFIRM))
            in->refund_amount[0] = '\0';
    }
    if (m->screen == UI_SCREEN_HISTORY) {
        if (in->selected >= m->history_n)
            in->selected = m->history_n > 0 ? m->history_n - 1 : 0;
        if (in->selected < 0)
            in->selected = 0;
    }
    in->seen = true;
    in->screen = m->screen;
    in->refund_step = step;
}

static void on_ready(struct ui_input *in, const struct ui_model *m, int k, struct ui_command *out)
{
    enum typed t = NOT_TYPED;
    if (is_amount_char(k))
        t = in->amount_overflow ? FIELD_FULL : amount_key(in->amount, sizeof in->amount, k);
    if (t == TYPED) {
        in->error[0] = '\0';
        set_cmd(out, UI_CMD_REDRAW);
    } else if (t == FIELD_FULL) {
        /* What did not fit is lost, so what is left is not what was meant: nothing may be
         * charged from it (a code from a keyboard-mode scanner lands here too). */
        in->amount_overflow = true;
        snprintf(in->error, sizeof in->error, "%s", text_money_reason(m->lang, MONEY_OVERFLOW));
        set_cmd(out, UI_CMD_REDRAW);
    } else if (is_backspace(k) && in->amount_overflow) {
        in->amount[0] = '\0';
        in->amount_overflow = false;
        in->error[0] = '\0';
        set_cmd(out, UI_CMD_REDRAW);
    } else if (is_backspace(k)) {
        field_del(in->amount);
        in->error[0] = '\0';
        set_cmd(out, UI_CMD_REDRAW);
    } else if (k == KEY_ESCAPE) {
        in->amount[0] = '\0';
        in->amount_overflow = false;
        in->error[0] = '\0';
        set_cmd(out, UI_CMD_REDRAW);
    } else if (is_enter(k) && in->amount_overflow) {
        snprintf(in->error, sizeof in->error, "%s", text_money_reason(m->lang, MONEY_OVERFLOW));
        set_cmd(out, UI_CMD_REDRAW);
    } else if (is_enter(k)) {
        int64_t fen;
        enum money_status st = money_parse(in->amount, m->max_amount_fen, &fen);
        if (st == MONEY_OK) {
            in->error[0] = '\0';
            set_cmd(out, UI_CMD_AMOUNT_ENTERED);
            out->fen = fen;
        } else {
            snprintf(in->error, sizeof in->error, "%s", text_money_reason(m->lang, st));
            set_cmd(out, UI_CMD_REDRAW);
        }
    } else if (k == '/' || k == 'h' || k == 'H') {
        set_cmd(out, UI_CMD_SHOW_HISTORY);
    } else if (k == '-' || k == 'r' || k == 'R') {
        set_cmd(out, UI_CMD_REFUND_START);
    } else if (k == '*' || k == 'e' || k == 'E') {
        set_cmd(out, UI_CMD_END_OF_DAY);
    } else if (k == KEY_F(10) || k == CTRL_X) {
        /* Never a printable key: a keyboard-mode scanner reading some other barcode on this
         * screen types letters, and must not be able to close the till. */
        set_cmd(out, UI_CMD_QUIT);
    } else if ((k == 'o' || k == 'O') && m->cashier[0] != '\0') {
        set_cmd(out, UI_CMD_SHIFT);
    }
}

/* issue 18: cashiers, shifts, closed day */

/* The cashier number, Enter, the PIN, Enter. Esc or Backspace on an empty PIN goes back to
 * the number; the PIN leaves the input once handed over. */
static void on_signin(struct ui_input *in, int k, struct ui_command *out)
{
    char *field = in->signin_pin_step ? in->signin_pin : in->signin_id;
    size_t cap = in->signin_pin_step ? sizeof in->signin_pin : sizeof in->signin_id;
    bool allowed = in->signin_pin_step ? (k >= '0' && k <= '9') : order_char(k);
    if (k == KEY_F(10) || k == CTRL_X) {
        set_cmd(out, UI_CMD_QUIT);
    } else if (allowed) {
        field_add(field, cap, k);
        in->error[0] = '\0';
        set_cmd(out, UI_CMD_REDRAW);
    } else if (is_backspace(k) && field[0] != '\0') {
        field_del(field);
        set_cmd(out, UI_CMD_REDRAW);
    } else if ((is_backspace(k) || k == KEY_ESCAPE) && in->signin_pin_step) {
        in->signin_pin[0] = '\0';
        in->signin_pin_step = false;
        set_cmd(out, UI_CMD_REDRAW);
    } else if (k == KEY_ESCAPE) {
        in->signin_id[0] = '\0';
        set_cmd(out, UI_CMD_REDRAW);
    } else if (is_enter(k) && !in->signin_pin_step && in->signin_id[0] != '\0') {
        in->signin_pin_step = true;
        set_cmd(out, UI_CMD_REDRAW);
    } else if (is_enter(k) && in->signin_pin_step && in->signin_pin[0] != '\0') {
        set_cmd(out, UI_CMD_SIGN_IN);
        snprintf(out->cashier, sizeof out->cashier, "%s", in->signin_id);
        snprintf(out->pin, sizeof out->pin, "%s", in->signin_pin);
        memset(in->signin_pin, 0, sizeof in->signin_pin);
        in->signin_pin_step = false;
        in->signin_id[0] = '\0';
    }
}

static void on_report(const struct ui_model *m, int k, struct ui_command *out)
{
    bool back = k == KEY_ESCAPE || is_backspace(k);
    switch (m->screen) {
    case UI_SCREEN_EOD:
        if (back || is_enter(k))
            set_cmd(out, UI_CMD_BACK);
        else if (k == 'z' || k == 'Z')
            set_cmd(out, UI_CMD_CLOSE_DAY_START);
        else if (k == 'x' || k == 'X')
            set_cmd(out, UI_CMD_EXPORT);
        return;
    case UI_SCREEN_SHIFT:
        if (back)
            set_cmd(out, UI_CMD_BACK);
        else if (is_enter(k))
            set_cmd(out, UI_CMD_SIGN_OUT);
        else if (k == 'x' || k == 'X')
            set_cmd(out, UI_CMD_EXPORT);
        return;
    default:
        if (back || (is_enter(k) && m->z_closed))
            set_cmd(out, UI_CMD_BACK);
        else if (is_enter(k))
            set_cmd(out, UI_CMD_CLOSE_DAY);
        else if ((k == 'x' || k == 'X') && m->z_closed)
            set_cmd(out, UI_CMD_EXPORT);
        return;
    }
}

/* A code typed on the scan or paying screen: Enter hands it over, Backspace edits it. Returns
 * whether the key was the code's. */
static bool on_code(struct ui_input *in, int k, struct ui_command *out)
{
    if (is_enter(k) && in->code[0] != '\0') {
        set_cmd(out, UI_CMD_SCAN);
        snprintf(out->code, sizeof out->code, "%s", in->code);
        in->code[0] = '\0';
        return true;
    }
    if ((is_backspace(k) && in->code[0] != '\0') || code_key(in, k)) {
        if (is_backspace(k))
            field_del(in->code);
        set_cmd(out, UI_CMD_REDRAW);
        return true;
    }
    return false;
}

static void on_scan(struct ui_input *in, int k, struct ui_command *out)
{
    if (k == KEY_ESCAPE || (is_backspace(k) && in->code[0] == '\0'))
        set_cmd(out, UI_CMD_BACK);
    else
        on_code(in, k, out);
}

static void on_paying(struct ui_input *in, const struct ui_model *m, int k, struct ui_command *out)
{
    if (k != KEY_ESCAPE && on_code(in, k, out))
        return;
    if (k != KEY_ESCAPE && !is_backspace(k))
        return;
    /* Aborting twice is harmless to the core, but a cancel already under way (or no payment
     * at all) has nothing left to abort: the key does what the screen offers, nothing more. */
    const struct payment *p = m->payment;
    if (p == NULL || p->abort_requested || p->state == PAY_CANCELLING ||
        !pay_state_unresolved(p->state))
        return;
    set_cmd(out, UI_CMD_ABORT);
}

static void history_move(struct ui_input *in, const struct ui_model *m, int by,
                         struct ui_command *out)
{
    int sel = in->selected + by;
    if (sel >= m->history_n)
        sel = m->history_n - 1;
    if (sel < 0)
        sel = 0;
    in->selected = sel;
    set_cmd(out, UI_CMD_REDRAW);
}

static void on_history(struct ui_input *in, const struct ui_model *m, int k, struct ui_command *out)
{
    if (k == KEY_UP || k == '8' || k == 'k')
        history_move(in, m, -1, out);
    else if (k == KEY_DOWN || k == '2' || k == 'j')
        history_move(in, m, 1, out);
    else if (k == KEY_PPAGE || k == '9')
        history_move(in, m, -HISTORY_PAGE, out);
    else if (k == KEY_NPAGE || k == '3')
        history_move(in, m, HISTORY_PAGE, out);
    else if (k == KEY_HOME || k == '7')
        history_move(in, m, -m->history_n, out);
    else if (k == KEY_END || k == '1')
        history_move(in, m, m->history_n, out);
    else if (k == '.' || k == 'u' || k == 'U')
        set_cmd(out, UI_CMD_HISTORY_FILTER_TOGGLE);
    else if (k == KEY_ESCAPE || is_backspace(k))
        set_cmd(out, UI_CMD_BACK);
    else if (is_enter(k) && m->history != NULL && in->selected < m->history_n)
        set_order_cmd(out, UI_CMD_SHOW_DETAIL, m->history[in->selected].order_no, 0);
    else if ((k == 'p' || k == 'P' || k == '*') && m->history != NULL &&
             in->selected < m->history_n)
        set_order_cmd(out, UI_CMD_REPRINT, m->history[in->selected].order_no, 0);
}

static void on_detail(struct ui_input *in, const struct ui_model *m, int k, struct ui_command *out)
{
    if (k == KEY_ESCAPE || is_backspace(k) || is_enter(k)) {
        set_cmd(out, UI_CMD_BACK);
    } else if ((k == '-' || k == 'r' || k == 'R') && m->detail != NULL) {
        enum text_id why_not;
        if (view_refundable(m->detail, &why_not) > 0) {
            set_order_cmd(out, UI_CMD_REFUND_LOOKUP, m->detail->order_no, 0);
        } else {
            snprintf(in->error, sizeof in->error, "%s", text(m->lang, why_not));
            set_cmd(out, UI_CMD_REDRAW);
        }
    } else if ((k == 'p' || k == 'P' || k == '*') && m->detail != NULL) {
        set_order_cmd(out, UI_CMD_REPRINT, m->detail->order_no, 0);
    }
}

static bool order_char(int k)
{
    return (k >= '0' && k <= '9') || (k >= 'A' && k <= 'Z') || (k >= 'a' && k <= 'z') || k == '-' ||
           k == '_';
}

enum ui_refund_step keys_refund_step(const struct ui_model *m)
{
    return m->refund_payment == NULL ? UI_REFUND_ORDER : m->refund_step;
}

static void on_refund(struct ui_input *in, const struct ui_model *m, int k, struct ui_command *out)
{
    switch (keys_refund_step(m)) {
    case UI_REFUND_ORDER:
        if (order_char(k)) {
            field_add(in->order, sizeof in->order, k);
            in->error[0] = '\0';
            set_cmd(out, UI_CMD_REDRAW);
        } else if (is_backspace(k) && in->order[0] != '\0') {
            field_del(in->order);
            in->error[0] = '\0';
            set_cmd(out, UI_CMD_REDRAW);
        } else if (is_backspace(k) || k == KEY_ESCAPE) {
            set_cmd(out, UI_CMD_BACK);
        } else if (is_enter(k)) {
            if (order_no_valid(in->order)) {
                set_order_cmd(out, UI_CMD_REFUND_LOOKUP, in->order, 0);
            } else {
                snprintf(in->error, sizeof in->error, "%s", text(m->lang, T_REF_BAD_ORDER));
                set_cmd(out, UI_CMD_REDRAW);
            }
        }
        return;
    case UI_REFUND_AMOUNT:
        if (amount_key(in->refund_amount, sizeof in->refund_amount, k) != NOT_TYPED) {
            in->error[0] = '\0';
            set_cmd(out, UI_CMD_REDRAW);
        } else if (is_backspace(k) && in->refund_amount[0] != '\0') {
            field_del(in->refund_amount);
            in->error[0] = '\0';
            set_cmd(out, UI_CMD_REDRAW);
        } else if (is_backspace(k) || k == KEY_ESCAPE) {
            set_cmd(out, UI_CMD_BACK);
        } else if (is_enter(k)) {
            int64_t fen;
            if (view_refund_amount(m->refund_payment, in->refund_amount, m->lang, &fen, in->error,
                                   sizeof in->error))
                set_order_cmd(out, UI_CMD_REFUND_REQUEST, m->refund_payment->order_no, fen);
            else
                set_cmd(out, UI_CMD_REDRAW);
        }
        return;
    case UI_REFUND_CONFIRM:
        if (is_enter(k))
            set_order_cmd(out, UI_CMD_REFUND_CONFIRM, m->refund_payment->order_no, m->refund_fen);
        else if (is_backspace(k) || k == KEY_ESCAPE)
            set_cmd(out, UI_CMD_BACK);
        return;
    case UI_REFUND_SENT:
        if (is_enter(k) || is_backspace(k) || k == KEY_ESCAPE)
            set_cmd(out, UI_CMD_BACK);
        return;
    }
}

void keys_translate(struct ui_input *in, const struct ui_model *m, int key, struct ui_command *out)
{
    keys_sync(in, m);
    set_cmd(out, UI_CMD_NONE);
    if (key == KEY_RESIZE) {
        set_cmd(out, UI_CMD_REDRAW);
        return;
    }
    switch (m->screen) {
    case UI_SCREEN_READY: on_ready(in, m, key, out); return;
    case UI_SCREEN_SCAN: on_scan(in, key, out); return;
    case UI_SCREEN_PAYING: on_paying(in, m, key, out); return;
    case UI_SCREEN_RESULT:
        if (key == KEY_ESCAPE || is_backspace(key) || is_enter(key))
            set_cmd(out, UI_CMD_BACK);
        return;
    case UI_SCREEN_EOD:
    case UI_SCREEN_SHIFT:
    case UI_SCREEN_CLOSE: on_report(m, key, out); return;
    case UI_SCREEN_SIGNIN: on_signin(in, key, out); return;
    case UI_SCREEN_HISTORY: on_history(in, m, key, out); return;
    case UI_SCREEN_DETAIL: on_detail(in, m, key, out); return;
    case UI_SCREEN_REFUND: on_refund(in, m, key, out); return;
    }
}
