/*
 * test_ui_view.c - the words for each state and phase, the countdown, the masked code,
 * the refund limit, and the one rule that matters most: success only for PAY_PAID.
 */
#include <ctype.h>
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "event_text.h"
#include "text.h"
#include "ui.h"
#include "view.h"
#include "widgets.h"

static struct payment pay(enum pay_state st)
{
    struct payment p;
    memset(&p, 0, sizeof p);
    snprintf(p.order_no, sizeof p.order_no, "T01-20261123-000001");
    p.channel = CHANNEL_WECHAT;
    p.amount_fen = 1000;
    p.state = st;
    return p;
}

static void progress(void)
{
    struct payment p = pay(PAY_NEW);
    CHECK_EQ_INT(view_progress(&p), T_ST_WAITING_CODE);
    p.state = PAY_PAYING;
    CHECK_EQ_INT(view_progress(&p), T_ST_SENDING);
    p.state = PAY_QUERYING;
    CHECK_EQ_INT(view_progress(&p), T_ST_CHECKING);
    p.customer_confirming = true;
    CHECK_EQ_INT(view_progress(&p), T_ST_CONFIRMING);
    p.abort_requested = true;
    CHECK_EQ_INT(view_progress(&p), T_ST_ABORTING);
    p.state = PAY_PAYING;
    CHECK_EQ_INT(view_progress(&p), T_ST_ABORTING);
    p.state = PAY_CANCELLING;
    p.cancels = 1;
    CHECK_EQ_INT(view_progress(&p), T_ST_CANCELLING);
    p.cancels = 4;
    CHECK_EQ_INT(view_progress(&p), T_ST_CANCEL_RETRY);
    p.state = PAY_REFUNDING;
    CHECK_EQ_INT(view_progress(&p), T_ST_REFUNDING);
    for (int s = PAY_NEW; s <= PAY_REFUNDED; s++) {
        p.state = (enum pay_state)s;
        if (!pay_state_unresolved(p.state))
            CHECK_EQ_INT(view_progress(&p), T_ST_DONE);
    }
}

static void headline(void)
{
    /* A success headline for PAY_PAID and nothing else, whatever the other flags say. */
    for (int s = PAY_NEW; s <= PAY_REFUNDED; s++) {
        struct payment p = pay((enum pay_state)s);
        p.customer_confirming = true;
        snprintf(p.trade_no, sizeof p.trade_no, "4200001");
        CHECK_EQ_INT(view_headline(&p) == T_RES_PAID, s == PAY_PAID);
        if (pay_state_unresolved(p.state))
            CHECK_EQ_INT(view_headline(&p), T_RES_UNRESOLVED);
    }
    struct payment p = pay(PAY_FAILED);
    CHECK_EQ_INT(view_headline(&p), T_RES_FAILED);
    p.state = PAY_CANCELLED;
    CHECK_EQ_INT(view_headline(&p), T_RES_CANCELLED);
    CHECK_EQ_INT(view_state(&p), T_STATE_CANCELLED);
    p.cancel_refunded = true;
    CHECK_EQ_INT(view_state(&p), T_STATE_CANCELLED_RETURNED);
    p.state = PAY_REFUNDED;
    CHECK_EQ_INT(view_headline(&p), T_RES_REFUNDED);
}

/* An amount keyed and abandoned before any scan was never a payment: "not started", not
 * "failed"; a failure the gateway gave stays "failed". Words journaled without a cause are
 * worded as OTHER, never shown as they are. */
static void not_started(void)
{
    struct payment p = pay(PAY_FAILED);
    p.last_cause = PAY_CAUSE_ABORTED_BEFORE_SCAN;
    CHECK(view_not_started(&p));
    CHECK_EQ_INT(view_state(&p), T_STATE_NOT_STARTED);
    p.last_cause = PAY_CAUSE_RESTARTED_BEFORE_SCAN;
    CHECK_EQ_INT(view_state(&p), T_STATE_NOT_STARTED);
    p.last_cause = PAY_CAUSE_BALANCE;
    CHECK(!view_not_started(&p));
    CHECK_EQ_INT(view_state(&p), T_STATE_FAILED);
    CHECK_EQ_INT(view_cause(&p), PAY_CAUSE_BALANCE);
    p.last_cause = PAY_CAUSE_NONE;
    snprintf(p.last_error, sizeof p.last_error, "Alipay HTTP status 503");
    CHECK_EQ_INT(view_cause(&p), PAY_CAUSE_OTHER);
    p.last_error[0] = '\0';
    CHECK_EQ_INT(view_cause(&p), PAY_CAUSE_NONE);
}

static void countdown(void)
{
    char b[VIEW_COUNTDOWN_MAX];
    view_countdown(0, b);
    CHECK_EQ_STR(b, "0:00");
    view_countdown(42, b);
    CHECK_EQ_STR(b, "0:42");
    view_countdown(65, b);
    CHECK_EQ_STR(b, "1:05");
    view_countdown(720, b);
    CHECK_EQ_STR(b, "12:00");
    view_countdown(-3, b);
    CHECK_EQ_STR(b, "0:00");

    CHECK_EQ_INT(ui_countdown_seconds(0, 1000), 0);
    CHECK_EQ_INT(ui_countdown_seconds(45000, 0), 45);
    CHECK_EQ_INT(ui_countdown_seconds(45000, 1), 45); /* rounded up: never shows 0 early */
    CHECK_EQ_INT(ui_countdown_seconds(45000, 44001), 1);
    CHECK_EQ_INT(ui_countdown_seconds(45000, 45000), 0);
    CHECK_EQ_INT(ui_countdown_seconds(45000, 50000), 0);

    struct payment p = pay(PAY_QUERYING);
    CHECK(view_shows_countdown(&p, 42));
    CHECK(!view_shows_countdown(&p, 0));
    p.state = PAY_PAYING;
    CHECK(view_shows_countdown(&p, 1));
    p.abort_requested = true;
    CHECK(!view_shows_countdown(&p, 42));
    p.abort_requested = false;
    p.state = PAY_CANCELLING;
    CHECK(!view_shows_countdown(&p, 42));
    p.state = PAY_PAID;
    CHECK(!view_shows_countdown(&p, 42));
}

/* After Esc: WeChat Pay's 15 s is WeChat's rule; Alipay has none, so the wait is the till's
 * own, and so is a WeChat wait the config made longer. Both languages. */
static void cancel_wait(void)
{
    char b[200];
    struct payment p = pay(PAY_QUERYING);
    view_cancel_wait(&p, 13, 15, UI_LANG_EN, b, sizeof b);
    CHECK_EQ_STR(b, "Cancelling in 13 s: WeChat Pay allows a cancel 15 s after the payment");
    view_cancel_wait(&p, 13, 15, UI_LANG_ZH, b, sizeof b);
    CHECK_EQ_STR(b, "13 秒后撤销：微信支付要求支付 15 秒后才能撤销");
    p.channel = CHANNEL_ALIPAY;
    view_cancel_wait(&p, 13, 15, UI_LANG_EN, b, sizeof b);
    CHECK_EQ_STR(b, "Cancelling in 13 s: this till cancels 15 s after the payment");
    CHECK(strstr(b, "Alipay") == NULL);
    view_cancel_wait(&p, 13, 15, UI_LANG_ZH, b, sizeof b);
    CHECK_EQ_STR(b, "13 秒后撤销：本机在支付 15 秒后撤销");
    CHECK(strstr(b, "支付宝") == NULL);
    p.channel = CHANNEL_WECHAT;
    view_cancel_wait(&p, 18, 20, UI_LANG_EN, b, sizeof b);
    CHECK_EQ_STR(b, "Cancelling in 18 s: this till cancels 20 s after the payment");
}

static void code(void)
{
    char out[AUTH_CODE_MAX + 1];
    struct payment p = pay(PAY_QUERYING);
    snprintf(p.auth_code, sizeof p.auth_code, "134567890123456789");
    snprintf(p.code_last4, sizeof p.code_last4, "6789");
    view_code(&p, out);
    CHECK_EQ_STR(out, "****6789");
    CHECK(strstr(out, "890123") == NULL);

    p.state = PAY_PAID;
    p.auth_code[0] = '\0'; /* the journal keeps only the last four once final */
    view_code(&p, out);
    CHECK_EQ_STR(out, "****6789");

    p.code_last4[0] = '\0';
    view_code(&p, out);
    CHECK_EQ_STR(out, "");
}

static void refund_limit(void)
{
    enum text_id why = T__COUNT;
    struct payment p = pay(PAY_PAID);
    CHECK_EQ_INT(view_refundable(&p, &why), 1000);
    p.refunded_fen = 300;
    CHECK_EQ_INT(view_refundable(&p, &why), 700);
    p.refunded_fen = 1000;
    CHECK_EQ_INT(view_refundable(&p, &why), 0);
    CHECK_EQ_INT(why, T_REF_FULLY);
    p.refunded_fen = 1200; /* a journal that says more went back than came in: refund nothing */
    CHECK_EQ_INT(view_refundable(&p, &why), 0);
    p.refunded_fen = 300;
    p.state = PAY_REFUNDING;
    CHECK_EQ_INT(view_refundable(&p, &why), 0);
    CHECK_EQ_INT(why, T_REF_IN_PROGRESS);
    p.state = PAY_REFUNDED;
    CHECK_EQ_INT(view_refundable(&p, &why), 0);
    CHECK_EQ_INT(why, T_REF_FULLY);
    const enum pay_state not_paid[] = {PAY_NEW,        PAY_PAYING, PAY_QUERYING,
                                       PAY_CANCELLING, PAY_FAILED, PAY_CANCELLED};
    for (size_t i = 0; i < sizeof not_paid / sizeof not_paid[0]; i++) {
        p.state = not_paid[i];
        why = T__COUNT;
        CHECK_EQ_INT(view_refundable(&p, &why), 0);
        CHECK_EQ_INT(why, T_REF_NOT_PAID);
    }

    char err[160] = "";
    int64_t fen = -1;
    p = pay(PAY_PAID);
    p.refunded_fen = 300;
    CHECK(view_refund_amount(&p, "", UI_LANG_EN, &fen, err, sizeof err));
    CHECK_EQ_INT(fen, 700);
    CHECK(view_refund_amount(&p, "7", UI_LANG_EN, &fen, err, sizeof err));
    CHECK_EQ_INT(fen, 700);
    CHECK(view_refund_amount(&p, "2.5", UI_LANG_EN, &fen, err, sizeof err));
    CHECK_EQ_INT(fen, 250);
    fen = -1;
    CHECK(!view_refund_amount(&p, "7.01", UI_LANG_EN, &fen, err, sizeof err));
    CHECK_EQ_INT(fen, -1);
    CHECK_EQ_STR(err, "Above what can be refunded (at most ¥ 7.00)");
    CHECK(!view_refund_amount(&p, "7.01", UI_LANG_ZH, &fen, err, sizeof err));
    CHECK_EQ_STR(err, "超过可退金额（最多 ¥ 7.00）");
    CHECK(!view_refund_amount(&p, "0", UI_LANG_EN, &fen, err, sizeof err));
    CHECK_EQ_STR(err, "amount must be above zero");
    CHECK(!view_refund_amount(&p, "1.234", UI_LANG_EN, &fen, err, sizeof err));
    CHECK_EQ_STR(err, "at most two decimals (fen)");
    CHECK(!view_refund_amount(&p, "1.2.3", UI_LANG_EN, &fen, err, sizeof err));
    CHECK_EQ_STR(err, "not a number");
    CHECK(!view_refund_amount(&p, "99999999999999999999", UI_LANG_EN, &fen, err, sizeof err));
    CHECK_EQ_STR(err, "amount too large");
    p.state = PAY_FAILED;
    CHECK(!view_refund_amount(&p, "", UI_LANG_EN, &fen, err, sizeof err));
    CHECK_EQ_STR(err, "This order was not paid: nothing to refund");
    CHECK_EQ_INT(fen, -1);
}

static void times(void)
{
    setenv("TZ", "UTC", 1);
    tzset();
    char b[VIEW_TIME_MAX];
    view_time(1795437296123LL, b);
    CHECK_EQ_STR(b, "12:34:56");
    view_time(0, b);
    CHECK_EQ_STR(b, "--:--:--");
    view_day(20261123, b);
    CHECK_EQ_STR(b, "2026-11-23");
}

/* Each name the engine journals (the literals in the name argument of engine.c's journal()
 * calls and become_paid()'s last one) is checked, so a new event cannot reach the detail
 * screen without words. */
static void check_names_in(const char *from, const char *end, int *found)
{
    for (const char *q = from; q && q < end; q = strchr(q + 1, '"')) {
        if (*q != '"')
            continue;
        const char *close = strchr(q + 1, '"');
        if (!close || close > end)
            break;
        char name[40];
        snprintf(name, sizeof name, "%.*s", (int)(close - q - 1), q + 1);
        if (view_event(name) == T__COUNT) {
            fprintf(stderr, "engine event \"%s\" has no words on the detail screen\n", name);
            CHECK(0);
        }
        (*found)++;
        q = close;
    }
}

static void engine_events(void)
{
    FILE *f = fopen(ENGINE_SOURCE, "r");
    CHECK(f != NULL);
    if (!f)
        return;
    static char src[1 << 17];
    size_t n = fread(src, 1, sizeof src - 1, f);
    fclose(f);
    src[n] = '\0';
    int found = 0;
    for (const char *at = strstr(src, "journal(out, "); at; at = strstr(at + 1, "journal(out, "))
        check_names_in(at, strchr(at + strlen("journal(out, "), ','), &found);
    for (const char *at = strstr(src, "become_paid(p, r, ev->wall, out, "); at;
         at = strstr(at + 1, "become_paid(p, r, ev->wall, out, "))
        check_names_in(at, strchr(at, ')'), &found);
    CHECK(found >= 16);

    /* The words fit the event column (18 cells) in both languages. */
    CHECK(setlocale(LC_CTYPE, "C.UTF-8") != NULL);
    for (int id = T_EV_CREATED; id <= T_EV_RESUMED; id++) {
        CHECK(wdg_width(text(UI_LANG_EN, (enum text_id)id)) <= 18);
        CHECK(wdg_width(text(UI_LANG_ZH, (enum text_id)id)) <= 18);
    }
    CHECK_EQ_INT(view_event("a_newer_event"), T__COUNT);
    CHECK_EQ_INT(view_event("pay_intent"), T_EV_PAY_INTENT);
}

/* True when s has an English word outside its “quoted” parts (a run of letters, digits and
 * '-' with no digit: order and refund numbers such as T01-R1 are values, not words). */
static bool words_outside_quotes(const char *s)
{
    bool quoted = false;
    while (*s) {
        if (strncmp(s, "“", strlen("“")) == 0) {
            quoted = true;
            s += strlen("“");
        } else if (strncmp(s, "”", strlen("”")) == 0) {
            quoted = false;
            s += strlen("”");
        } else if (isalnum((unsigned char)*s)) {
            bool letter = false, digit = false;
            for (; isalnum((unsigned char)*s) || *s == '-'; s++) {
                letter |= isalpha((unsigned char)*s) != 0;
                digit |= isdigit((unsigned char)*s) != 0;
            }
            if (!quoted && letter && !digit)
                return true;
        } else {
            s++;
        }
    }
    return false;
}

/* Each detail engine.c journals, in the shape it writes it: as journaled in English, in
 * Chinese words around its values; a gateway's or a library's words are quoted whole after a
 * Chinese label, never half translated. */
static void event_details(void)
{
    static const struct {
        const char *name, *detail, *zh;
    } rows[] = {
        {"created", "12.30", "金额 12.30"},
        {"pay_intent", "wechat code ...6001", "微信支付，付款码尾号 6001"},
        {"pay_intent", "alipay code ...3407", "支付宝，付款码尾号 3407"},
        {"paid", "trade 4200001234202611230000", "交易号 4200001234202611230000"},
        {"paid", "trade (no trade number)", "无交易号"},
        {"paid_cancel_refused", "trade 2026112322001", "交易号 2026112322001"},
        {"pay_confirming", "customer confirming", "顾客确认中"},
        {"pay_unknown", "Alipay HTTP status 503", "技术详情“Alipay HTTP status 503”"},
        {"pay_unknown", "Timeout was reached", "技术详情“Timeout was reached”"},
        {"pay_failed", "customer's balance is not enough",
         "技术详情“customer's balance is not enough”"},
        {"pay_failed", "query: trade closed by the gateway",
         "查询结果“trade closed by the gateway”"},
        {"cancel_decided", "payment window closed", "支付时限已到"},
        {"cancel_decided", "cashier aborted", "收银员已中止"},
        {"cancel_decided", "resumed: cashier had aborted", "重启后继续：收银员已中止"},
        {"cancel_decided", "resumed: payment window closed", "重启后继续：支付时限已到"},
        {"cancel_refused", "ORDER_NOT_EXIST", "技术详情“ORDER_NOT_EXIST”"},
        {"cancelled", "closed", "交易已关闭"},
        {"cancelled", "trade closed", "交易已关闭"},
        {"cancelled", "paid money returned", "已付款项已退回"},
        {"cancelled", "reversed: any money taken returned", "已冲正，已扣款项退回"},
        {"abort_requested", "by cashier", "收银员操作"},
        {"aborted", "before scan", "扫码前放弃"},
        {"aborted", "restart before scan", "扫码前终端重启"},
        {"refund_requested", "7.50 (T01-20261123-000001-R1)",
         "退款 7.50（退款编号 T01-20261123-000001-R1）"},
        {"refunded", "7.50 refunded (T01-R1)", "已退 7.50（退款编号 T01-R1）"},
        {"refunded", "5.00 refunded (T01-R2; 7.50 asked)",
         "已退 5.00（退款编号 T01-R2，申请退款 7.50）"},
        {"refund_failed", "T01-R1: refund amount too large",
         "技术详情“T01-R1: refund amount too large”"},
        {"resumed", "querying the pay's fate", "查询支付结果"},
        {"resumed", "sending the cancel again", "重新发送撤销"},
        {"resumed", "sending refund T01-R1 again", "重新发送退款 T01-R1"},
        {"referred", "trade belongs to another order", "技术详情“trade belongs to another order”"},
        /* A QR payment's steps (the customer scans the terminal). */
        {"pay_intent", "wechat QR, 120 s to pay", "微信支付二维码，120 秒内付款"},
        {"pay_confirming", "alipay QR shown", "支付宝二维码已显示"},
        {"pay_failed", "QR create: merchant not allowed",
         "创建二维码订单结果“merchant not allowed”"},
        {"pay_unknown", "a QR create reply without a QR", "创建二维码订单的回复没有二维码"},
        {"resumed", "creating the QR again", "重新创建二维码订单"},
        {"resumed", "QR shown again: querying", "重新显示二维码，查询中"},
        {"resumed", "closing the QR order again", "重新关闭二维码订单"},
        {"pay_confirming", "unionpay QR shown", "技术详情“unionpay QR shown”"},
        /* Near an engine phrase but not its shape: quoted, not half translated. */
        {"created", "12.30 extra", "技术详情“12.30 extra”"},
        {"pay_intent", "unionpay code ...1234", "技术详情“unionpay code ...1234”"},
        {"refunded", "7.50 refunded (T01-R1", "技术详情“7.50 refunded (T01-R1”"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct journal_event e = {.id = 1};
        snprintf(e.name, sizeof e.name, "%s", rows[i].name);
        snprintf(e.detail, sizeof e.detail, "%s", rows[i].detail);
        char out[400];
        event_detail_text(UI_LANG_EN, &e, out, sizeof out);
        CHECK_EQ_STR(out, rows[i].detail);
        event_detail_text(UI_LANG_ZH, &e, out, sizeof out);
        CHECK_EQ_STR(out, rows[i].zh);
        CHECK(!words_outside_quotes(out));
    }
    struct journal_event empty = {.name = "created"};
    char out[8] = "x";
    event_detail_text(UI_LANG_ZH, &empty, out, sizeof out);
    CHECK_EQ_STR(out, "");
}

int main(void)
{
    progress();
    headline();
    not_started();
    countdown();
    cancel_wait();
    code();
    refund_limit();
    times();
    engine_events();
    event_details();
    return check_done();
}
