/*
 * test_ui_keys.c - what each key means on each screen, without a terminal: amount typing and
 * its refusals, navigation, abort, history selection, the refund steps and their limit.
 */
#include <curses.h>
#include <string.h>

#include "check.h"
#include "keys.h"
#include "ui.h"

static struct ui_input in;
static struct ui_command cmd;

/* Types the keys of s one by one; returns the command of the last key. */
static enum ui_command_type type(const struct ui_model *m, const char *s)
{
    for (; *s; s++)
        keys_translate(&in, m, (unsigned char)*s, &cmd);
    return cmd.type;
}

static enum ui_command_type key(const struct ui_model *m, int k)
{
    keys_translate(&in, m, k, &cmd);
    return cmd.type;
}

static void ready(void)
{
    struct ui_model m = {.screen = UI_SCREEN_READY};
    memset(&in, 0, sizeof in);
    CHECK_EQ_INT(type(&m, "12.3"), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.amount, "12.3");
    CHECK_EQ_INT(key(&m, '\n'), UI_CMD_AMOUNT_ENTERED);
    CHECK_EQ_INT(cmd.fen, 1230);
    CHECK_EQ_INT(key(&m, KEY_ENTER), UI_CMD_AMOUNT_ENTERED); /* the keypad's Enter */
    CHECK_EQ_INT(key(&m, '\r'), UI_CMD_AMOUNT_ENTERED);

    /* Refusals keep what was typed and say why, in the model's language. */
    in.amount[0] = '\0';
    CHECK_EQ_INT(key(&m, '\n'), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.error, "no amount entered");
    CHECK_EQ_INT(type(&m, "12.345\n"), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.error, "at most two decimals (fen)");
    CHECK_EQ_STR(in.amount, "12.345");
    CHECK_EQ_INT(key(&m, KEY_BACKSPACE), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.error, "");
    CHECK_EQ_STR(in.amount, "12.34");
    CHECK_EQ_INT(key(&m, '\n'), UI_CMD_AMOUNT_ENTERED);
    CHECK_EQ_INT(cmd.fen, 1234);

    m.lang = UI_LANG_ZH;
    in.amount[0] = '\0';
    CHECK_EQ_INT(type(&m, "1.2.3\n"), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.error, "不是数字");
    m.lang = UI_LANG_EN;
    CHECK_EQ_INT(key(&m, 27), UI_CMD_REDRAW); /* Esc clears the field */
    CHECK_EQ_STR(in.amount, "");
    CHECK_EQ_STR(in.error, "");
    CHECK_EQ_INT(type(&m, "0.00\n"), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.error, "amount must be above zero");

    m.max_amount_fen = 10000;
    in.amount[0] = '\0';
    CHECK_EQ_INT(type(&m, "100.01\n"), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.error, "amount above the terminal's maximum");
    CHECK_EQ_INT(key(&m, 127), UI_CMD_REDRAW);
    CHECK_EQ_INT(key(&m, '\n'), UI_CMD_AMOUNT_ENTERED);
    CHECK_EQ_INT(cmd.fen, 10000);

    /* A keypad's decimal comma is a point; letters and signs never enter the field. */
    in.amount[0] = '\0';
    CHECK_EQ_INT(type(&m, "5,5"), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.amount, "5.5");
    CHECK_EQ_INT(key(&m, 'x'), UI_CMD_NONE);
    CHECK_EQ_INT(key(&m, '+'), UI_CMD_NONE);
    CHECK_EQ_STR(in.amount, "5.5");
    /* More than the field holds (a code from a keyboard-mode scanner, a stuck key): what is
     * left is not what was typed, so Enter refuses it, and Backspace starts over. */
    m.max_amount_fen = 0;
    in.amount[0] = '\0';
    CHECK_EQ_INT(type(&m, "134567890123456"), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.error, "");
    CHECK_EQ_INT((int)strlen(in.amount), KEYS_AMOUNT_MAX);
    CHECK_EQ_INT(type(&m, "789"), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.error, "amount too large");
    CHECK_EQ_INT(key(&m, '\n'), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.error, "amount too large");
    CHECK_EQ_INT(key(&m, KEY_BACKSPACE), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.amount, "");
    CHECK_EQ_STR(in.error, "");
    CHECK_EQ_INT(type(&m, "9\n"), UI_CMD_AMOUNT_ENTERED);
    CHECK_EQ_INT(cmd.fen, 900);

    CHECK_EQ_INT(key(&m, '/'), UI_CMD_SHOW_HISTORY);
    CHECK_EQ_INT(key(&m, 'h'), UI_CMD_SHOW_HISTORY);
    CHECK_EQ_INT(key(&m, '-'), UI_CMD_REFUND_START);
    CHECK_EQ_INT(key(&m, '*'), UI_CMD_END_OF_DAY);
    CHECK_EQ_INT(key(&m, 'q'), UI_CMD_NONE); /* a scanner's letters cannot close the till */
    CHECK_EQ_INT(key(&m, 'Q'), UI_CMD_NONE);
    CHECK_EQ_INT(key(&m, KEY_F(10)), UI_CMD_QUIT);
    CHECK_EQ_INT(key(&m, 24), UI_CMD_QUIT); /* Ctrl-X */
    CHECK_EQ_INT(key(&m, KEY_RESIZE), UI_CMD_REDRAW);
    CHECK_EQ_INT(key(&m, KEY_F(5)), UI_CMD_NONE);
}

static void amount_follows_screens(void)
{
    struct ui_model m = {.screen = UI_SCREEN_READY};
    memset(&in, 0, sizeof in);
    type(&m, "8.8");
    m.screen = UI_SCREEN_SCAN;
    CHECK_EQ_INT(key(&m, 27), UI_CMD_BACK);
    m.screen = UI_SCREEN_READY;
    keys_sync(&in, &m);
    CHECK_EQ_STR(in.amount, "8.8"); /* back from the scan screen to correct the amount */
    m.screen = UI_SCREEN_SCAN;
    keys_sync(&in, &m);
    m.screen = UI_SCREEN_RESULT;
    keys_sync(&in, &m);
    m.screen = UI_SCREEN_READY;
    keys_sync(&in, &m);
    CHECK_EQ_STR(in.amount, ""); /* a new customer starts from nothing */
}

static void paying(void)
{
    struct payment p = {.state = PAY_QUERYING, .amount_fen = 100};
    struct ui_model m = {.screen = UI_SCREEN_SCAN, .payment = &p};
    memset(&in, 0, sizeof in);
    CHECK_EQ_INT(key(&m, KEY_BACKSPACE), UI_CMD_BACK);
    CHECK_EQ_INT(key(&m, '\n'), UI_CMD_NONE);

    /* A keyboard-mode scanner types the code and Enter: it goes to the loop whole, letters
     * included, to be validated there like any scan. */
    CHECK_EQ_INT(type(&m, "134567890123456789"), UI_CMD_REDRAW);
    CHECK_EQ_INT(key(&m, '\n'), UI_CMD_SCAN);
    CHECK_EQ_STR(cmd.code, "134567890123456789");
    CHECK_EQ_STR(in.code, "");
    CHECK_EQ_INT(type(&m, "https://x.cn/1\n"), UI_CMD_SCAN);
    CHECK_EQ_STR(cmd.code, "https://x.cn/1");
    CHECK_EQ_INT(type(&m, "12"), UI_CMD_REDRAW);
    CHECK_EQ_INT(key(&m, KEY_BACKSPACE), UI_CMD_REDRAW); /* edits the code, does not leave */
    CHECK_EQ_STR(in.code, "1");
    CHECK_EQ_INT(key(&m, 27), UI_CMD_BACK); /* Esc leaves, code or not */
    type(&m, "12345678901234567890123456789012345678901234567890123456789012345678901234567890");
    CHECK_EQ_INT(key(&m, KEY_ENTER), UI_CMD_SCAN); /* too long arrives too long */
    CHECK_EQ_INT((int)strlen(cmd.code), UI_SCAN_MAX);
    /* A new visit to the scan screen starts with no code. */
    type(&m, "99");
    m.screen = UI_SCREEN_READY;
    keys_sync(&in, &m);
    m.screen = UI_SCREEN_SCAN;
    CHECK_EQ_INT(key(&m, '\n'), UI_CMD_NONE);

    m.screen = UI_SCREEN_PAYING;
    CHECK_EQ_INT(key(&m, '\n'), UI_CMD_NONE); /* Enter never aborts, never "confirms" */
    /* A second code while paying goes to the loop, which refuses it with a message. */
    CHECK_EQ_INT(type(&m, "28763443825664394\n"), UI_CMD_SCAN);
    CHECK_EQ_STR(cmd.code, "28763443825664394");
    CHECK_EQ_INT(type(&m, "7"), UI_CMD_REDRAW);
    CHECK_EQ_INT(key(&m, KEY_BACKSPACE), UI_CMD_REDRAW); /* deletes the 7, does not abort */
    CHECK_EQ_INT(key(&m, 27), UI_CMD_ABORT);
    CHECK_EQ_INT(key(&m, KEY_BACKSPACE), UI_CMD_ABORT);
    p.abort_requested = true;
    CHECK_EQ_INT(key(&m, 27), UI_CMD_NONE);
    p.abort_requested = false;
    p.state = PAY_CANCELLING;
    CHECK_EQ_INT(key(&m, 27), UI_CMD_NONE);
    p.state = PAY_PAID; /* final, the loop has not switched to RESULT yet */
    CHECK_EQ_INT(key(&m, 27), UI_CMD_NONE);
    m.payment = NULL;
    p.state = PAY_QUERYING;
    CHECK_EQ_INT(key(&m, 27), UI_CMD_NONE);
    m.payment = &p;

    m.screen = UI_SCREEN_RESULT;
    CHECK_EQ_INT(key(&m, '\n'), UI_CMD_BACK);
    CHECK_EQ_INT(key(&m, '7'), UI_CMD_NONE);
    m.screen = UI_SCREEN_EOD;
    CHECK_EQ_INT(key(&m, 27), UI_CMD_BACK);
}

static void history(void)
{
    struct payment rows[3] = {
        {.order_no = "T01-20261123-000003", .state = PAY_PAID},
        {.order_no = "T01-20261123-000002", .state = PAY_QUERYING},
        {.order_no = "T01-20261123-000001", .state = PAY_FAILED},
    };
    struct ui_model m = {.screen = UI_SCREEN_HISTORY, .history = rows, .history_n = 3};
    memset(&in, 0, sizeof in);
    CHECK_EQ_INT(key(&m, '\n'), UI_CMD_SHOW_DETAIL);
    CHECK_EQ_STR(cmd.order_no, "T01-20261123-000003");
    CHECK_EQ_INT(key(&m, KEY_DOWN), UI_CMD_REDRAW);
    CHECK_EQ_INT(key(&m, '2'), UI_CMD_REDRAW); /* keypad with NumLock on */
    CHECK_EQ_INT(key(&m, KEY_DOWN), UI_CMD_REDRAW);
    CHECK_EQ_INT(in.selected, 2);
    CHECK_EQ_INT(key(&m, '\n'), UI_CMD_SHOW_DETAIL);
    CHECK_EQ_STR(cmd.order_no, "T01-20261123-000001");
    key(&m, '8');
    CHECK_EQ_INT(in.selected, 1);
    key(&m, KEY_PPAGE);
    CHECK_EQ_INT(in.selected, 0);
    key(&m, KEY_END);
    CHECK_EQ_INT(in.selected, 2);
    /* P (or the keypad's *) reprints the selected row's receipt. */
    CHECK_EQ_INT(key(&m, 'p'), UI_CMD_REPRINT);
    CHECK_EQ_STR(cmd.order_no, "T01-20261123-000001");
    CHECK_EQ_INT(key(&m, '*'), UI_CMD_REPRINT);

    /* Back from the detail keeps the row; a list that shrank keeps the selection in it. */
    m.screen = UI_SCREEN_DETAIL;
    keys_sync(&in, &m);
    m.screen = UI_SCREEN_HISTORY;
    keys_sync(&in, &m);
    CHECK_EQ_INT(in.selected, 2);
    m.history_n = 1;
    CHECK_EQ_INT(key(&m, '\n'), UI_CMD_SHOW_DETAIL);
    CHECK_EQ_STR(cmd.order_no, "T01-20261123-000003");
    m.history_n = 0;
    CHECK_EQ_INT(key(&m, '\n'), UI_CMD_NONE);
    CHECK_EQ_INT(key(&m, '.'), UI_CMD_HISTORY_FILTER_TOGGLE);
    CHECK_EQ_INT(key(&m, 'u'), UI_CMD_HISTORY_FILTER_TOGGLE);
    CHECK_EQ_INT(key(&m, 27), UI_CMD_BACK);
    /* Coming from the ready screen starts at the top. */
    m.history_n = 3;
    in.selected = 2;
    m.screen = UI_SCREEN_READY;
    keys_sync(&in, &m);
    m.screen = UI_SCREEN_HISTORY;
    keys_sync(&in, &m);
    CHECK_EQ_INT(in.selected, 0);
}

static void detail(void)
{
    struct payment p = {.order_no = "T01-20261123-000003", .state = PAY_PAID, .amount_fen = 500};
    struct ui_model m = {.screen = UI_SCREEN_DETAIL, .detail = &p};
    memset(&in, 0, sizeof in);
    CHECK_EQ_INT(key(&m, '-'), UI_CMD_REFUND_LOOKUP);
    CHECK_EQ_STR(cmd.order_no, "T01-20261123-000003");
    CHECK_EQ_INT(key(&m, 'P'), UI_CMD_REPRINT);
    CHECK_EQ_STR(cmd.order_no, "T01-20261123-000003");
    p.state = PAY_FAILED;
    CHECK_EQ_INT(key(&m, 'r'), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.error, "This order was not paid: nothing to refund");
    p.state = PAY_PAID;
    p.refunded_fen = 500;
    CHECK_EQ_INT(key(&m, '-'), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.error, "This order is fully refunded");
    CHECK_EQ_INT(key(&m, KEY_BACKSPACE), UI_CMD_BACK);
}

static void refund(void)
{
    struct payment p = {.order_no = "T01-20261123-000003",
                        .state = PAY_PAID,
                        .amount_fen = 1000,
                        .refunded_fen = 300};
    struct ui_model m = {.screen = UI_SCREEN_REFUND, .refund_step = UI_REFUND_ORDER};
    memset(&in, 0, sizeof in);

    CHECK_EQ_INT(key(&m, '\n'), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.error, "Not an order number");
    CHECK_EQ_INT(type(&m, "T01-20261123-000003"), UI_CMD_REDRAW);
    CHECK_EQ_INT(key(&m, '!'), UI_CMD_NONE);
    CHECK_EQ_INT(key(&m, ' '), UI_CMD_NONE);
    CHECK_EQ_INT(key(&m, '\n'), UI_CMD_REFUND_LOOKUP);
    CHECK_EQ_STR(cmd.order_no, "T01-20261123-000003");
    /* Backspace deletes while there is something to delete, then goes back. */
    type(&m, "9");
    CHECK_EQ_INT(key(&m, KEY_BACKSPACE), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.order, "T01-20261123-000003");

    m.refund_step = UI_REFUND_AMOUNT;
    m.refund_payment = &p;
    CHECK_EQ_INT(type(&m, "8\n"), UI_CMD_REDRAW); /* above paid less refunded: refused here */
    CHECK_EQ_STR(in.error, "Above what can be refunded (at most ¥ 7.00)");
    CHECK_EQ_INT(type(&m, "\b"), UI_CMD_REDRAW);
    CHECK_EQ_INT(type(&m, "7.00\n"), UI_CMD_REFUND_REQUEST);
    CHECK_EQ_INT(cmd.fen, 700);
    CHECK_EQ_STR(cmd.order_no, "T01-20261123-000003");
    in.refund_amount[0] = '\0';
    CHECK_EQ_INT(key(&m, '\n'), UI_CMD_REFUND_REQUEST); /* empty = all that is refundable */
    CHECK_EQ_INT(cmd.fen, 700);
    CHECK_EQ_INT(type(&m, "2.5\n"), UI_CMD_REFUND_REQUEST);
    CHECK_EQ_INT(cmd.fen, 250);

    m.refund_step = UI_REFUND_CONFIRM;
    m.refund_fen = 250;
    CHECK_EQ_INT(key(&m, '5'), UI_CMD_NONE);
    CHECK_EQ_INT(key(&m, '\n'), UI_CMD_REFUND_CONFIRM);
    CHECK_EQ_INT(cmd.fen, 250);
    CHECK_EQ_STR(cmd.order_no, "T01-20261123-000003");
    CHECK_EQ_INT(key(&m, 27), UI_CMD_BACK);
    /* Back from the confirmation keeps the amount typed; from the order step it starts afresh. */
    m.refund_step = UI_REFUND_AMOUNT;
    keys_sync(&in, &m);
    CHECK_EQ_STR(in.refund_amount, "2.5");
    CHECK_EQ_INT(key(&m, 127), UI_CMD_REDRAW);
    CHECK_EQ_INT(type(&m, "\b\b"), UI_CMD_REDRAW);
    CHECK_EQ_INT(key(&m, 127), UI_CMD_BACK);
    m.refund_step = UI_REFUND_ORDER;
    keys_sync(&in, &m);
    CHECK_EQ_STR(in.order, "T01-20261123-000003");
    type(&m, "5");
    m.refund_step = UI_REFUND_AMOUNT;
    keys_sync(&in, &m);
    CHECK_EQ_STR(in.refund_amount, "");

    /* A refund already under way cannot be asked for again from this screen. */
    p.state = PAY_REFUNDING;
    CHECK_EQ_INT(key(&m, '\n'), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.error, "A refund of this order is still in progress");

    m.refund_step = UI_REFUND_SENT;
    CHECK_EQ_INT(key(&m, '\n'), UI_CMD_BACK);

    /* A step that needs the order, without it, is the ORDER step: typing goes to the order
     * number and Enter never requests or confirms anything. */
    m.refund_payment = NULL;
    m.refund_step = UI_REFUND_CONFIRM;
    CHECK_EQ_INT(keys_refund_step(&m), UI_REFUND_ORDER);
    CHECK_EQ_INT(key(&m, '\n'), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.error, "Not an order number");
    CHECK_EQ_INT(type(&m, "42\n"), UI_CMD_REFUND_LOOKUP);
    CHECK_EQ_STR(cmd.order_no, "42");
    m.refund_payment = &p;

    /* A fresh visit to the refund screen forgets the last order number. */
    m.screen = UI_SCREEN_READY;
    keys_sync(&in, &m);
    m.screen = UI_SCREEN_REFUND;
    m.refund_step = UI_REFUND_ORDER;
    keys_sync(&in, &m);
    CHECK_EQ_STR(in.order, "");
}

/* issue 18: the sign-in takes a number, then a PIN of digits only; the PIN leaves the input
 * with the command; the handover key exists only while a cashier is signed in; the reports'
 * keys. */
static void cashiers(void)
{
    struct ui_model m = {.screen = UI_SCREEN_SIGNIN};
    memset(&in, 0, sizeof in);
    CHECK_EQ_INT(key(&m, '\n'), UI_CMD_NONE); /* no number yet */
    CHECK_EQ_INT(type(&m, "c1"), UI_CMD_REDRAW);
    CHECK_EQ_INT(key(&m, '\n'), UI_CMD_REDRAW);
    CHECK(in.signin_pin_step);
    CHECK_EQ_INT(type(&m, "2x"), UI_CMD_NONE); /* the letter stays out */
    CHECK_EQ_INT(type(&m, "4"), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.signin_pin, "24");
    CHECK_EQ_INT(key(&m, 27), UI_CMD_REDRAW); /* Esc: back to the number, PIN gone */
    CHECK(!in.signin_pin_step);
    CHECK_EQ_STR(in.signin_pin, "");
    CHECK_EQ_STR(in.signin_id, "c1");
    key(&m, '\n');
    type(&m, "2468");
    CHECK_EQ_INT(key(&m, '\n'), UI_CMD_SIGN_IN);
    CHECK_EQ_STR(cmd.cashier, "c1");
    CHECK_EQ_STR(cmd.pin, "2468");
    CHECK_EQ_STR(in.signin_pin, "");
    CHECK_EQ_INT(key(&m, KEY_F(10)), UI_CMD_QUIT);

    struct ui_model r = {.screen = UI_SCREEN_READY};
    memset(&in, 0, sizeof in);
    CHECK_EQ_INT(key(&r, 'o'), UI_CMD_NONE);
    snprintf(r.cashier, sizeof r.cashier, "c1");
    CHECK_EQ_INT(key(&r, 'o'), UI_CMD_SHIFT);

    struct ui_model e = {.screen = UI_SCREEN_EOD};
    CHECK_EQ_INT(key(&e, 'z'), UI_CMD_CLOSE_DAY_START);
    CHECK_EQ_INT(key(&e, 'x'), UI_CMD_EXPORT);
    CHECK_EQ_INT(key(&e, '\n'), UI_CMD_BACK);
    struct ui_model sh = {.screen = UI_SCREEN_SHIFT};
    CHECK_EQ_INT(key(&sh, '\n'), UI_CMD_SIGN_OUT);
    CHECK_EQ_INT(key(&sh, 27), UI_CMD_BACK);
    struct ui_model c = {.screen = UI_SCREEN_CLOSE};
    CHECK_EQ_INT(key(&c, 'x'), UI_CMD_NONE); /* nothing to save before the close */
    CHECK_EQ_INT(key(&c, '\n'), UI_CMD_CLOSE_DAY);
    c.z_closed = true;
    CHECK_EQ_INT(key(&c, '\n'), UI_CMD_BACK); /* a second Enter never closes twice */
    CHECK_EQ_INT(key(&c, 'x'), UI_CMD_EXPORT);
}

int main(void)
{
    ready();
    cashiers();
    amount_follows_screens();
    paying();
    history();
    detail();
    refund();
    return check_done();
}
