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
    /* More than the field holds (a stuck key): what is left is not what was typed, so Enter
     * refuses it, and Backspace starts over. */
    m.max_amount_fen = 0;
    in.amount[0] = '\0';
    CHECK_EQ_INT(type(&m, "999999999999999"), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.error, "");
    CHECK_EQ_INT((int)strlen(in.amount), KEYS_AMOUNT_MAX);
    CHECK_EQ_INT(type(&m, "999"), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.error, "amount too large");
    CHECK_EQ_INT(key(&m, '\n'), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.error, "amount too large");
    CHECK_EQ_INT(key(&m, KEY_BACKSPACE), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.amount, "");
    CHECK_EQ_STR(in.error, "");
    CHECK_EQ_INT(type(&m, "9\n"), UI_CMD_AMOUNT_ENTERED);
    CHECK_EQ_INT(cmd.fen, 900);

    /* A payment code before the amount (a keyboard-mode scanner, or typed) is a code, never
     * "amount too large": refused with a sentence, the field left empty... */
    in.amount[0] = '\0';
    CHECK_EQ_INT(type(&m, "134567890123456789"), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.error, "That is a payment code: key the amount first, then scan");
    CHECK_EQ_STR(in.amount, "");
    CHECK_EQ_INT(key(&m, '\n'), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.error, "That is a payment code: key the amount first, then scan");
    CHECK_EQ_STR(in.code, "");
    CHECK_EQ_INT(type(&m, "8\n"), UI_CMD_AMOUNT_ENTERED);
    CHECK_EQ_INT(cmd.fen, 800);
    /* ... an Alipay one too, and a code of the wrong length says so; in Chinese as well. */
    CHECK_EQ_INT(type(&m, "2876543210987654\n"), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.error, "That is a payment code: key the amount first, then scan");
    CHECK_EQ_INT(type(&m, "1345678901234567\n"), UI_CMD_REDRAW);
    CHECK(strstr(in.error, "Bad scan") != NULL);
    m.lang = UI_LANG_ZH;
    CHECK_EQ_INT(type(&m, "134567890123456789\n"), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.error, "这是付款码：请先输入金额，再扫码");
    m.lang = UI_LANG_EN;
    /* A scanner firing after a digit of the amount: the code at the end is still found. */
    CHECK_EQ_INT(type(&m, "5134567890123456789\n"), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.error, "That is a payment code: key the amount first, then scan");
    CHECK_EQ_STR(in.amount, "");
    /* ... or kept (screen.code_before_amount "keep"): handed over on Enter. */
    m.keep_early_code = true;
    CHECK_EQ_INT(type(&m, "134567890123456789"), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.error, "");
    CHECK_EQ_INT(key(&m, '\n'), UI_CMD_CODE_KEPT);
    CHECK_EQ_STR(cmd.code, "134567890123456789");
    CHECK_EQ_STR(in.code, "");
    CHECK_EQ_STR(in.amount, "");
    m.keep_early_code = false;

    /* Quick amounts on F1..F6, the last amount on '+', within the maximum. */
    static const int64_t quick[] = {1000, 2000, 5000};
    m.quick_fen = quick;
    m.quick_n = 3;
    CHECK_EQ_INT(key(&m, KEY_F(2)), UI_CMD_AMOUNT_ENTERED);
    CHECK_EQ_INT(cmd.fen, 2000);
    CHECK_EQ_INT(key(&m, KEY_F(4)), UI_CMD_NONE);
    CHECK_EQ_INT(key(&m, '+'), UI_CMD_NONE); /* no last amount yet */
    m.last_amount_fen = 1230;
    CHECK_EQ_INT(key(&m, '+'), UI_CMD_AMOUNT_ENTERED);
    CHECK_EQ_INT(cmd.fen, 1230);
    m.max_amount_fen = 1500;
    CHECK_EQ_INT(key(&m, KEY_F(3)), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.error, "amount above the terminal's maximum");
    m.max_amount_fen = 0;
    m.quick_n = 0;
    m.last_amount_fen = 0;

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
    /* The other direction: the customer scans the terminal, on function keys (every printable
     * key is part of a code here). */
    CHECK_EQ_INT(key(&m, KEY_F(2)), UI_CMD_QR);
    CHECK_EQ_INT(cmd.channel, CHANNEL_WECHAT);
    CHECK_EQ_INT(key(&m, KEY_F(3)), UI_CMD_QR);
    CHECK_EQ_INT(cmd.channel, CHANNEL_ALIPAY);
    CHECK_EQ_INT(key(&m, 'q'), UI_CMD_REDRAW); /* a letter is a code's, never the QR's */
    CHECK_EQ_INT(key(&m, KEY_BACKSPACE), UI_CMD_REDRAW);
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
    /* A digit starts the next amount at once: back to READY with the digit typed. */
    CHECK_EQ_INT(key(&m, '7'), UI_CMD_BACK);
    m.screen = UI_SCREEN_READY;
    keys_sync(&in, &m);
    CHECK_EQ_STR(in.amount, "7");
    CHECK_EQ_INT(type(&m, ".5\n"), UI_CMD_AMOUNT_ENTERED);
    CHECK_EQ_INT(cmd.fen, 750);
    /* After a failure R (or '+') charges the same amount again, for another code; after a
     * success it does nothing. */
    m.screen = UI_SCREEN_RESULT;
    p.state = PAY_FAILED;
    p.amount_fen = 1230;
    CHECK_EQ_INT(key(&m, 'r'), UI_CMD_AMOUNT_ENTERED);
    CHECK_EQ_INT(cmd.fen, 1230);
    p.state = PAY_CANCELLED;
    CHECK_EQ_INT(key(&m, '+'), UI_CMD_AMOUNT_ENTERED);
    p.state = PAY_PAID;
    CHECK_EQ_INT(key(&m, 'R'), UI_CMD_NONE);
    /* A fresh READY reached otherwise starts from nothing. */
    CHECK_EQ_INT(key(&m, 27), UI_CMD_BACK);
    m.screen = UI_SCREEN_READY;
    keys_sync(&in, &m);
    CHECK_EQ_STR(in.amount, "");
    m.screen = UI_SCREEN_RESULT;
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

/* Finding a payment (issue 18): a short form, a payment code, the candidates to pick from, the
 * history's day, page, find line, channel and state keys, a refund from a history row, and the
 * supervisor's PIN on the confirmation. */
static void finding(void)
{
    struct ui_model m = {.screen = UI_SCREEN_REFUND, .refund_step = UI_REFUND_ORDER};
    memset(&in, 0, sizeof in);
    keys_sync(&in, &m);
    CHECK_EQ_INT(type(&m, "000042\n"), UI_CMD_REFUND_FIND);
    CHECK_EQ_STR(cmd.order_no, "000042");
    in.order[0] = '\0';
    CHECK_EQ_INT(type(&m, "1234567\n"), UI_CMD_REDRAW); /* 7 digits: neither */
    CHECK_EQ_STR(in.error, "Not an order number, its last 6 digits, or a payment code");
    in.order[0] = '\0';
    /* A payment code: only its last four digits leave the field, which is wiped. */
    CHECK_EQ_INT(type(&m, "134567890123456700\n"), UI_CMD_REFUND_FIND);
    CHECK_EQ_STR(cmd.code, "6700");
    CHECK_EQ_STR(cmd.order_no, "");
    CHECK_EQ_STR(in.order, "");
    /* The receipt's QR code: a whole order number and Enter from a keyboard-mode scanner. */
    CHECK_EQ_INT(type(&m, "T01-ABCDEFGH-000042\n"), UI_CMD_REFUND_LOOKUP);
    CHECK_EQ_STR(cmd.order_no, "T01-ABCDEFGH-000042");

    struct payment cands[3] = {
        {.order_no = "T01-ABCDEFGH-000142", .state = PAY_PAID},
        {.order_no = "T01-ABCDEFGH-000042", .state = PAY_PAID},
    };
    m.refund_step = UI_REFUND_PICK;
    m.refund_candidates = cands;
    m.refund_candidates_n = 2;
    CHECK_EQ_INT(keys_refund_step(&m), UI_REFUND_PICK);
    CHECK_EQ_INT(key(&m, KEY_UP), UI_CMD_NONE); /* already at the top */
    CHECK_EQ_INT(key(&m, KEY_DOWN), UI_CMD_REDRAW);
    CHECK_EQ_INT(key(&m, KEY_DOWN), UI_CMD_NONE);
    CHECK_EQ_INT(key(&m, '\n'), UI_CMD_REFUND_LOOKUP);
    CHECK_EQ_STR(cmd.order_no, "T01-ABCDEFGH-000042");
    CHECK_EQ_INT(key(&m, 27), UI_CMD_BACK);
    m.refund_candidates_n = 0;
    CHECK_EQ_INT(keys_refund_step(&m), UI_REFUND_ORDER);

    /* The PIN: digits only, Enter without one is refused here, the PIN leaves in the command
     * and is wiped from the field. */
    struct payment p = {.order_no = "T01-ABCDEFGH-000042", .state = PAY_PAID, .amount_fen = 500};
    m.refund_step = UI_REFUND_CONFIRM;
    m.refund_payment = &p;
    m.refund_fen = 500;
    m.refund_needs_pin = true;
    keys_sync(&in, &m);
    CHECK_EQ_INT(key(&m, '\n'), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.error, "A supervisor must approve this refund: type the PIN");
    CHECK_EQ_INT(type(&m, "47a11"), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.pin, "4711");
    CHECK_EQ_INT(key(&m, '\n'), UI_CMD_REFUND_CONFIRM);
    CHECK_EQ_STR(cmd.code, "4711");
    CHECK_EQ_INT(cmd.fen, 500);
    CHECK_EQ_STR(in.pin, "");

    /* History: a refund from the selected row, only of a refundable payment. */
    struct payment rows[2] = {
        {.order_no = "T01-ABCDEFGH-000002", .state = PAY_FAILED, .amount_fen = 100},
        {.order_no = "T01-ABCDEFGH-000001", .state = PAY_PAID, .amount_fen = 100},
    };
    struct ui_model h = {.screen = UI_SCREEN_HISTORY,
                         .history = rows,
                         .history_n = 2,
                         .history_page = 1,
                         .history_more = true};
    memset(&in, 0, sizeof in);
    CHECK_EQ_INT(key(&h, '-'), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.error, "This order was not paid: nothing to refund");
    key(&h, KEY_DOWN);
    CHECK_EQ_INT(key(&h, '-'), UI_CMD_REFUND_LOOKUP);
    CHECK_EQ_STR(cmd.order_no, "T01-ABCDEFGH-000001");
    /* PgDn past the last row: the next page; PgUp on the first row of page 1: nothing more. */
    CHECK_EQ_INT(key(&h, KEY_NPAGE), UI_CMD_HISTORY_PAGE);
    CHECK_EQ_INT(cmd.step, 1);
    h.history_more = false;
    CHECK_EQ_INT(key(&h, KEY_NPAGE), UI_CMD_REDRAW);
    key(&h, KEY_HOME);
    CHECK_EQ_INT(key(&h, KEY_PPAGE), UI_CMD_REDRAW);
    h.history_page = 2;
    CHECK_EQ_INT(key(&h, '9'), UI_CMD_HISTORY_PAGE);
    CHECK_EQ_INT(cmd.step, -1);
    CHECK_EQ_INT(key(&h, KEY_LEFT), UI_CMD_HISTORY_DAY);
    CHECK_EQ_INT(cmd.step, -1);
    CHECK_EQ_INT(key(&h, '6'), UI_CMD_HISTORY_DAY);
    CHECK_EQ_INT(cmd.step, 1);
    CHECK_EQ_INT(key(&h, 'a'), UI_CMD_HISTORY_DAY);
    CHECK_EQ_INT(cmd.step, 0);
    CHECK_EQ_INT(key(&h, 'c'), UI_CMD_HISTORY_CHANNEL);
    CHECK_EQ_INT(key(&h, 'S'), UI_CMD_HISTORY_STATE);
    /* The find line: an amount or four digits; anything else is refused there. */
    CHECK_EQ_INT(key(&h, 'f'), UI_CMD_REDRAW);
    CHECK(in.finding);
    CHECK_EQ_INT(type(&h, "12.30\n"), UI_CMD_HISTORY_FIND);
    CHECK_EQ_STR(cmd.code, "12.30");
    CHECK(!in.finding);
    CHECK_EQ_INT(key(&h, '0'), UI_CMD_REDRAW);
    CHECK_EQ_INT(type(&h, "6700\n"), UI_CMD_HISTORY_FIND);
    CHECK_EQ_STR(cmd.code, "6700");
    key(&h, 'f');
    CHECK_EQ_INT(type(&h, "1.2.3\n"), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.error, "Type an amount such as 12.30, or 4 digits");
    CHECK_EQ_INT(key(&h, 27), UI_CMD_REDRAW); /* Esc closes the line, not the screen */
    CHECK(!in.finding);
    CHECK_EQ_INT(key(&h, 27), UI_CMD_BACK);
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
    CHECK_EQ_STR(in.error, "Not an order number, its last 6 digits, or a payment code");
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
    CHECK_EQ_STR(in.error, "Not an order number, its last 6 digits, or a payment code");
    CHECK_EQ_INT(type(&m, "42\n"), UI_CMD_REFUND_FIND); /* the order number's last digits */
    CHECK_EQ_STR(cmd.order_no, "42");
    CHECK_EQ_STR(cmd.code, "");
    m.refund_payment = &p;

    /* A fresh visit to the refund screen forgets the last order number. */
    m.screen = UI_SCREEN_READY;
    keys_sync(&in, &m);
    m.screen = UI_SCREEN_REFUND;
    m.refund_step = UI_REFUND_ORDER;
    keys_sync(&in, &m);
    CHECK_EQ_STR(in.order, "");
}

/* A hardware scanner's code (HID POS, evdev: never typed into the screen) on the refund
 * screen's order step is taken as if typed and Entered: a payment code finds by its last
 * four, a receipt's order QR opens the order; half-typed digits do not spoil it. Elsewhere
 * (a payment waiting for its code, the refund's amount step) the screen declines it. */
static void refund_takes_hardware_scans(void)
{
    struct ui_model m = {.screen = UI_SCREEN_REFUND, .refund_step = UI_REFUND_ORDER};
    memset(&in, 0, sizeof in);
    type(&m, "12");
    CHECK(keys_refund_scan(&in, &m, "134567890123456700", &cmd));
    CHECK_EQ_INT(cmd.type, UI_CMD_REFUND_FIND);
    CHECK_EQ_STR(cmd.code, "6700");
    CHECK_EQ_STR(in.order, "");
    CHECK(keys_refund_scan(&in, &m, "T01-ABCDEFGH-000042", &cmd));
    CHECK_EQ_INT(cmd.type, UI_CMD_REFUND_LOOKUP);
    CHECK_EQ_STR(cmd.order_no, "T01-ABCDEFGH-000042");
    CHECK(keys_refund_scan(&in, &m, "6901234567892", &cmd)); /* a product's barcode */
    CHECK_EQ_INT(cmd.type, UI_CMD_REDRAW);
    CHECK_EQ_STR(in.error, "Not an order number, its last 6 digits, or a payment code");

    struct payment p = {.order_no = "T01-20261123-000003", .state = PAY_PAID, .amount_fen = 100};
    m.refund_step = UI_REFUND_AMOUNT;
    m.refund_payment = &p;
    CHECK(!keys_refund_scan(&in, &m, "134567890123456700", &cmd));
    CHECK_EQ_INT(cmd.type, UI_CMD_NONE);
    struct ui_model scan = {.screen = UI_SCREEN_SCAN};
    CHECK(!keys_refund_scan(&in, &scan, "134567890123456700", &cmd));
    CHECK_EQ_INT(cmd.type, UI_CMD_NONE);
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

/* issue 21 (recon2): A opens the differences only while there are some; the supervisor's PIN
 * leaves the input with the acknowledgement, and Enter without it is refused. */
static void reconcile(void)
{
    struct ui_model r = {.screen = UI_SCREEN_READY};
    memset(&in, 0, sizeof in);
    CHECK_EQ_INT(key(&r, 'A'), UI_CMD_NONE);
    r.recon_open = 2;
    CHECK_EQ_INT(key(&r, 'a'), UI_CMD_RECON_SHOW);
    struct reconcile_item items[1] = {{.kind = RECON_CHARGED_NOT_PAID}};
    struct ui_model m = {.screen = UI_SCREEN_RECONCILE,
                         .refund_needs_pin = true,
                         .recon_open = 1,
                         .recon_items = items,
                         .recon_items_n = 1};
    CHECK_EQ_INT(key(&m, '\n'), UI_CMD_REDRAW);
    CHECK(in.error[0] != '\0');
    CHECK_EQ_INT(type(&m, "47112"), UI_CMD_REDRAW);
    CHECK_EQ_INT(key(&m, KEY_BACKSPACE), UI_CMD_REDRAW);
    CHECK_EQ_STR(in.pin, "4711");
    CHECK_EQ_INT(key(&m, '\n'), UI_CMD_RECON_ACK);
    CHECK_EQ_STR(cmd.code, "4711");
    CHECK_EQ_STR(in.pin, "");
    CHECK_EQ_INT(type(&m, "12"), UI_CMD_REDRAW);
    CHECK_EQ_INT(key(&m, 27), UI_CMD_BACK);
    CHECK_EQ_STR(in.pin, "");
    m.refund_needs_pin =
        false; /* no supervisor's PIN configured: Enter alone; digits mean nothing */
    CHECK_EQ_INT(key(&m, '5'), UI_CMD_NONE);
    CHECK_EQ_INT(key(&m, '\n'), UI_CMD_RECON_ACK);
    CHECK_EQ_STR(cmd.code, "");
    m.recon_items_n = 0; /* nothing listed: Enter only goes back */
    CHECK_EQ_INT(key(&m, '\n'), UI_CMD_BACK);
}

int main(void)
{
    ready();
    cashiers();
    amount_follows_screens();
    paying();
    history();
    finding();
    detail();
    refund();
    refund_takes_hardware_scans();
    reconcile();
    return check_done();
}
