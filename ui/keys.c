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
#include "paycode.h"
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
        if (m->screen == UI_SCREEN_READY && (!in->seen || in->screen != UI_SCREEN_SCAN) &&
            !in->amount_carried) {
            in->amount[0] = '\0';
            in->amount_overflow = false;
        }
        in->amount_carried = false;
        if (m->screen == UI_SCREEN_HISTORY && (!in->seen || in->screen != UI_SCREEN_DETAIL)) {
            in->selected = 0;
            in->first_row = 0;
        }
        in->finding = false;
    }
    if (fresh && m->screen == UI_SCREEN_RECONCILE)
        explicit_bzero(in->pin, sizeof in->pin);
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
        if (step == UI_REFUND_PICK)
            in->picked = 0;
        explicit_bzero(in->pin, sizeof in->pin);
    }
    if (m->screen == UI_SCREEN_REFUND && step == UI_REFUND_PICK &&
        in->picked >= m->refund_candidates_n)
        in->picked = 0;
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

/* Digits too many for an amount that begin as a payment code does: a code from a scanner in
 * keyboard mode (or typed), never "amount too large". */
static bool looks_like_code(const char *digits)
{
    for (const char *c = digits; *c; c++)
        if (*c < '0' || *c > '9')
            return false;
    enum pay_channel ch;
    enum paycode_status st = paycode_channel(digits, &ch);
    return st == PAYCODE_OK || st == PAYCODE_BAD_LENGTH;
}

/* The payment code that ends what was typed (a scanner firing after a digit or two of the
 * amount), or NULL: the longest valid one wins. */
static const char *code_at_end(const char *typed)
{
    size_t n = strlen(typed);
    for (size_t len = n; len >= 16; len--) {
        enum pay_channel ch;
        if (paycode_channel(typed + n - len, &ch) == PAYCODE_OK)
            return typed + n - len;
    }
    return NULL;
}

/* Enter after more than an amount was typed: a payment code is refused with a sentence or
 * handed over to be kept (model.keep_early_code); anything else is "amount too large". The
 * field starts over either way. */
static void overflow_enter(struct ui_input *in, const struct ui_model *m, struct ui_command *out)
{
    const char *code = code_at_end(in->code);
    set_cmd(out, UI_CMD_REDRAW);
    if (code && m->keep_early_code) {
        set_cmd(out, UI_CMD_CODE_KEPT);
        snprintf(out->code, sizeof out->code, "%s", code);
        in->error[0] = '\0';
    } else if (code) {
        snprintf(in->error, sizeof in->error, "%s", text(m->lang, T_CODE_FIRST));
    } else if (looks_like_code(in->code)) {
        enum pay_channel ch;
        ui_bad_scan_message(m->lang, paycode_channel(in->code, &ch), in->error, sizeof in->error);
    } else {
        snprintf(in->error, sizeof in->error, "%s", text_money_reason(m->lang, MONEY_OVERFLOW));
        return; /* kept as typed, until Backspace */
    }
    explicit_bzero(in->code, sizeof in->code);
    in->amount[0] = '\0';
    in->amount_overflow = false;
}

/* F1..F6 and '+': an amount in one key, checked as a typed one is. */
static bool one_key_amount(struct ui_input *in, const struct ui_model *m, int k,
                           struct ui_command *out)
{
    int64_t fen = 0;
    for (int i = 0; i < m->quick_n && i < 6; i++)
        if (k == KEY_F(i + 1) && m->quick_fen != NULL)
            fen = m->quick_fen[i];
    if (k == '+')
        fen = m->last_amount_fen;
    if (fen <= 0)
        return false;
    if (m->max_amount_fen > 0 && fen > m->max_amount_fen) {
        snprintf(in->error, sizeof in->error, "%s", text_money_reason(m->lang, MONEY_ABOVE_MAX));
        set_cmd(out, UI_CMD_REDRAW);
        return true;
    }
    in->error[0] = '\0';
    set_cmd(out, UI_CMD_AMOUNT_ENTERED);
    out->fen = fen;
    return true;
}

static void on_ready(struct ui_input *in, const struct ui_model *m, int k, struct ui_command *out)
{
    if (one_key_amount(in, m, k, out))
        return;
    enum typed t = NOT_TYPED;
    if (is_amount_char(k))
        t = in->amount_overflow ? FIELD_FULL : amount_key(in->amount, sizeof in->amount, k);
    if (t == TYPED) {
        in->error[0] = '\0';
        set_cmd(out, UI_CMD_REDRAW);
    } else if (t == FIELD_FULL) {
        /* What did not fit is lost from the amount, so nothing may be charged from it; all of
         * it is kept aside, because a payment code (a keyboard-mode scanner) lands here. */
        if (!in->amount_overflow)
            snprintf(in->code, sizeof in->code, "%s", in->amount);
        field_add(in->code, sizeof in->code, k == ',' ? '.' : k);
        in->amount_overflow = true;
        bool code = looks_like_code(in->code);
        if (code) /* the field shows no digits of a code */
            in->amount[0] = '\0';
        snprintf(in->error, sizeof in->error, "%s",
                 !code                ? text_money_reason(m->lang, MONEY_OVERFLOW)
                 : m->keep_early_code ? ""
                                      : text(m->lang, T_CODE_FIRST));
        set_cmd(out, UI_CMD_REDRAW);
    } else if (is_backspace(k) && in->amount_overflow) {
        explicit_bzero(in->code, sizeof in->code);
        in->amount[0] = '\0';
        in->amount_overflow = false;
        in->error[0] = '\0';
        set_cmd(out, UI_CMD_REDRAW);
    } else if (is_backspace(k)) {
        field_del(in->amount);
        in->error[0] = '\0';
        set_cmd(out, UI_CMD_REDRAW);
    } else if (k == KEY_ESCAPE) {
        explicit_bzero(in->code, sizeof in->code);
        in->amount[0] = '\0';
        in->amount_overflow = false;
        in->error[0] = '\0';
        set_cmd(out, UI_CMD_REDRAW);
    } else if (is_enter(k) && in->amount_overflow) {
        overflow_enter(in, m, out);
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
    } else if ((k == 'a' || k == 'A') && m->recon_open > 0) {
        set_cmd(out, UI_CMD_RECON_SHOW);
    }
}

/* issue 21 (recon2): the differences listed; the supervisor's PIN (when refunds need one),
 * Enter acknowledges them. The PIN leaves the input once handed over. */
static void on_reconcile(struct ui_input *in, const struct ui_model *m, int k,
                         struct ui_command *out)
{
    if (m->refund_needs_pin && k >= '0' && k <= '9') {
        field_add(in->pin, sizeof in->pin, k);
        in->error[0] = '\0';
        set_cmd(out, UI_CMD_REDRAW);
    } else if (m->refund_needs_pin && is_backspace(k) && in->pin[0] != '\0') {
        field_del(in->pin);
        set_cmd(out, UI_CMD_REDRAW);
    } else if (is_backspace(k) || k == KEY_ESCAPE) {
        explicit_bzero(in->pin, sizeof in->pin);
        set_cmd(out, UI_CMD_BACK);
    } else if (is_enter(k) && m->recon_items_n == 0) {
        set_cmd(out, UI_CMD_BACK);
    } else if (is_enter(k) && m->refund_needs_pin && in->pin[0] == '\0') {
        snprintf(in->error, sizeof in->error, "%s", text(m->lang, T_RECON_PIN_NEEDED));
        set_cmd(out, UI_CMD_REDRAW);
    } else if (is_enter(k)) {
        set_cmd(out, UI_CMD_RECON_ACK);
        snprintf(out->code, sizeof out->code, "%s", in->pin);
        explicit_bzero(in->pin, sizeof in->pin);
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

/* The scan screen: a code typed or from a keyboard-mode scanner (every printable key is
 * one, so the other direction - the customer scans the terminal - is on function keys). */
static void on_scan(struct ui_input *in, int k, struct ui_command *out)
{
    if (k == KEY_ESCAPE || (is_backspace(k) && in->code[0] == '\0')) {
        set_cmd(out, UI_CMD_BACK);
    } else if (k == KEY_F(2) || k == KEY_F(3)) {
        set_cmd(out, UI_CMD_QR);
        out->channel = k == KEY_F(2) ? CHANNEL_WECHAT : CHANNEL_ALIPAY;
    } else {
        on_code(in, k, out);
    }
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

/* A key on the history's find line: an amount (with a '.') or a code's last four digits. */
static void on_history_find(struct ui_input *in, const struct ui_model *m, int k,
                            struct ui_command *out)
{
    if (amount_key(in->find, sizeof in->find, k) != NOT_TYPED) {
        in->error[0] = '\0';
        set_cmd(out, UI_CMD_REDRAW);
    } else if (is_backspace(k) && in->find[0] != '\0') {
        field_del(in->find);
        set_cmd(out, UI_CMD_REDRAW);
    } else if (is_backspace(k) || k == KEY_ESCAPE) {
        in->finding = false;
        in->error[0] = '\0';
        set_cmd(out, UI_CMD_REDRAW);
    } else if (is_enter(k)) {
        int64_t fen;
        bool last4 = strlen(in->find) == 4 && strspn(in->find, "0123456789") == 4;
        if (in->find[0] != '\0' && !last4 && money_parse(in->find, 0, &fen) != MONEY_OK) {
            snprintf(in->error, sizeof in->error, "%s", text(m->lang, T_HIST_FIND_BAD));
            set_cmd(out, UI_CMD_REDRAW);
            return;
        }
        set_cmd(out, UI_CMD_HISTORY_FIND);
        snprintf(out->code, sizeof out->code, "%s", in->find);
        in->finding = false;
        in->error[0] = '\0';
    }
}

static void history_step(struct ui_command *out, enum ui_command_type t, int step)
{
    set_cmd(out, t);
    out->step = step;
}

/* The selected row's refund, or why it has none. */
static void history_refund(struct ui_input *in, const struct ui_model *m, struct ui_command *out)
{
    if (m->history == NULL || in->selected >= m->history_n)
        return;
    const struct payment *p = &m->history[in->selected];
    enum text_id why_not;
    if (view_refundable(p, &why_not) > 0) {
        set_order_cmd(out, UI_CMD_REFUND_LOOKUP, p->order_no, 0);
    } else {
        snprintf(in->error, sizeof in->error, "%s", text(m->lang, why_not));
        set_cmd(out, UI_CMD_REDRAW);
    }
}

static void on_history(struct ui_input *in, const struct ui_model *m, int k, struct ui_command *out)
{
    if (in->finding) {
        on_history_find(in, m, k, out);
        return;
    }
    bool at_end = in->selected >= m->history_n - 1;
    if ((k == KEY_NPAGE || k == '3') && at_end && m->history_more)
        history_step(out, UI_CMD_HISTORY_PAGE, 1);
    else if ((k == KEY_PPAGE || k == '9') && in->selected == 0 && m->history_page > 1)
        history_step(out, UI_CMD_HISTORY_PAGE, -1);
    else if (k == KEY_LEFT || k == '4')
        history_step(out, UI_CMD_HISTORY_DAY, -1);
    else if (k == KEY_RIGHT || k == '6')
        history_step(out, UI_CMD_HISTORY_DAY, 1);
    else if (k == 'a' || k == 'A')
        history_step(out, UI_CMD_HISTORY_DAY, 0);
    else if (k == 'c' || k == 'C')
        set_cmd(out, UI_CMD_HISTORY_CHANNEL);
    else if (k == 's' || k == 'S')
        set_cmd(out, UI_CMD_HISTORY_STATE);
    else if (k == 'f' || k == 'F' || k == '0') {
        in->finding = true;
        in->find[0] = '\0';
        in->error[0] = '\0';
        set_cmd(out, UI_CMD_REDRAW);
    } else if (k == '-' || k == 'r' || k == 'R')
        history_refund(in, m, out);
    else if (k == KEY_UP || k == '8' || k == 'k')
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
    if (m->refund_step == UI_REFUND_PICK)
        return m->refund_candidates_n > 0 ? UI_REFUND_PICK : UI_REFUND_ORDER;
    return m->refund_payment == NULL ? UI_REFUND_ORDER : m->refund_step;
}

/* What was typed or scanned on the refund's ORDER step: the last digits of an order number
 * (1 to 6), a payment code (16 to 24 digits: only its last four leave this field), or a whole
 * order number (the receipt's QR code, read by a keyboard-mode scanner). */
static void refund_order_entered(struct ui_input *in, const struct ui_model *m,
                                 struct ui_command *out)
{
    size_t n = strlen(in->order);
    bool digits = n > 0 && strspn(in->order, "0123456789") == n;
    if (digits && n <= 6) {
        set_order_cmd(out, UI_CMD_REFUND_FIND, in->order, 0);
    } else if (digits && n >= 16 && n <= 24) {
        set_cmd(out, UI_CMD_REFUND_FIND);
        snprintf(out->code, sizeof out->code, "%s", in->order + n - 4);
        explicit_bzero(in->order, sizeof in->order);
    } else if (!digits && order_no_valid(in->order)) {
        set_order_cmd(out, UI_CMD_REFUND_LOOKUP, in->order, 0);
    } else {
        snprintf(in->error, sizeof in->error, "%s", text(m->lang, T_REF_FIND_BAD));
        set_cmd(out, UI_CMD_REDRAW);
    }
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
            refund_order_entered(in, m, out);
        }
        return;
    case UI_REFUND_PICK:
        if ((k == KEY_UP || k == '8') && in->picked > 0) {
            in->picked--;
            set_cmd(out, UI_CMD_REDRAW);
        } else if ((k == KEY_DOWN || k == '2') && in->picked < m->refund_candidates_n - 1) {
            in->picked++;
            set_cmd(out, UI_CMD_REDRAW);
        } else if (is_enter(k) && in->picked < m->refund_candidates_n) {
            set_order_cmd(out, UI_CMD_REFUND_LOOKUP, m->refund_candidates[in->picked].order_no, 0);
        } else if (is_backspace(k) || k == KEY_ESCAPE) {
            set_cmd(out, UI_CMD_BACK);
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
        if (m->refund_needs_pin && k >= '0' && k <= '9') {
            field_add(in->pin, sizeof in->pin, k);
            in->error[0] = '\0';
            set_cmd(out, UI_CMD_REDRAW);
        } else if (m->refund_needs_pin && is_backspace(k) && in->pin[0] != '\0') {
            field_del(in->pin);
            set_cmd(out, UI_CMD_REDRAW);
        } else if (is_enter(k) && m->refund_needs_pin && in->pin[0] == '\0') {
            snprintf(in->error, sizeof in->error, "%s", text(m->lang, T_REF_PIN_NEEDED));
            set_cmd(out, UI_CMD_REDRAW);
        } else if (is_enter(k)) {
            set_order_cmd(out, UI_CMD_REFUND_CONFIRM, m->refund_payment->order_no, m->refund_fen);
            snprintf(out->code, sizeof out->code, "%s", in->pin);
            explicit_bzero(in->pin, sizeof in->pin);
        } else if (is_backspace(k) || k == KEY_ESCAPE) {
            set_cmd(out, UI_CMD_BACK);
        }
        return;
    case UI_REFUND_SENT:
        if (is_enter(k) || is_backspace(k) || k == KEY_ESCAPE)
            set_cmd(out, UI_CMD_BACK);
        return;
    }
}

/* Fewer keys: a digit starts the next amount at once; after a failure R or '+' charges the
 * same amount again, for the customer's next code. */
static void on_result(struct ui_input *in, const struct ui_model *m, int k, struct ui_command *out)
{
    const struct payment *p = m->payment;
    if ((k >= '0' && k <= '9') || k == '.' || k == ',') {
        in->amount[0] = '\0';
        in->amount_overflow = false;
        amount_key(in->amount, sizeof in->amount, k);
        in->amount_carried = true;
        set_cmd(out, UI_CMD_BACK);
    } else if ((k == 'r' || k == 'R' || k == '+') && p != NULL && keys_result_retries(p)) {
        set_cmd(out, UI_CMD_AMOUNT_ENTERED);
        out->fen = p->amount_fen;
    } else if (k == KEY_ESCAPE || is_backspace(k) || is_enter(k)) {
        set_cmd(out, UI_CMD_BACK);
    }
}

bool keys_result_retries(const struct payment *p)
{
    return (p->state == PAY_FAILED || p->state == PAY_CANCELLED) && p->amount_fen > 0;
}

bool keys_refund_scan(struct ui_input *in, const struct ui_model *m, const char *code,
                      struct ui_command *out)
{
    keys_sync(in, m);
    set_cmd(out, UI_CMD_NONE);
    if (m->screen != UI_SCREEN_REFUND || keys_refund_step(m) != UI_REFUND_ORDER)
        return false;
    /* The code replaces whatever was half typed, as a keyboard-mode scan after a clear. */
    size_t n = strlen(code);
    if (n >= sizeof in->order) {
        snprintf(in->error, sizeof in->error, "%s", text(m->lang, T_REF_FIND_BAD));
        set_cmd(out, UI_CMD_REDRAW);
        return true;
    }
    memcpy(in->order, code, n + 1);
    in->error[0] = '\0';
    refund_order_entered(in, m, out);
    explicit_bzero(in->order, sizeof in->order);
    return true;
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
    case UI_SCREEN_RESULT: on_result(in, m, key, out); return;
    case UI_SCREEN_EOD:
    case UI_SCREEN_SHIFT:
    case UI_SCREEN_CLOSE: on_report(m, key, out); return;
    case UI_SCREEN_SIGNIN: on_signin(in, key, out); return;
    case UI_SCREEN_HISTORY: on_history(in, m, key, out); return;
    case UI_SCREEN_DETAIL: on_detail(in, m, key, out); return;
    case UI_SCREEN_REFUND: on_refund(in, m, key, out); return;
    case UI_SCREEN_RECONCILE: on_reconcile(in, m, key, out); return;
    }
}
