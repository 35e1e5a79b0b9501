/*
 * ui_demo.c - drives the real cashier screen from a script, for the tmux render test.
 *
 * It is the smallest loop that wires ui.h as posterm's loop does: poll() on ui_fd() and on a
 * control pipe, ui_read_keys() after every wake-up, ui_render() after every change. The
 * control pipe (argv[1]) receives lines that pick a scripted model ("show paid", "lang zh",
 * "gateway 0|1|2" (down, online, slow), "quick 1", "keep 1", "message ...", "quit"); every command
 * a key produced is appended to the log (argv[2]) as "NAME fen order_no", so the test sees what the
 * keys meant.
 */
/* ppoll: the resize signal is let in only while waiting, so none is lost between a key read
 * and the next wait (see the loop below). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ui.h"

#define T0 1795437296000LL /* 2026-11-23 12:34:56 UTC, a fixed clock for the script */

static struct payment current, refund_target, detail_payment;
/* The order at the counter ("order X" changes it: a new result rings the bell again). */
static char current_order[ORDER_NO_MAX + 1] = "T01-20261123-000042";
static struct payment rows[7], many[40], unresolved[1];
static struct journal_event events[4];
static struct report_day eod;

static void payment(struct payment *p, const char *order, enum pay_channel ch, int64_t fen,
                    enum pay_state st, int64_t at)
{
    memset(p, 0, sizeof *p);
    snprintf(p->order_no, sizeof p->order_no, "%s", order);
    p->channel = ch;
    p->amount_fen = fen;
    p->state = st;
    p->created_at = at;
    p->updated_at = at;
    snprintf(p->code_last4, sizeof p->code_last4, "6789");
}

static void event(struct journal_event *e, int64_t at, const char *name, const char *detail)
{
    e->at = at;
    snprintf(e->name, sizeof e->name, "%s", name);
    snprintf(e->detail, sizeof e->detail, "%s", detail);
}

static void script_data(void)
{
    payment(&rows[0], "T01-20261123-000042", CHANNEL_WECHAT, 1230, PAY_PAID, T0);
    payment(&rows[1], "T01-20261123-000041", CHANNEL_ALIPAY, 5000, PAY_QUERYING, T0 - 60000);
    payment(&rows[2], "T01-20261123-000040", CHANNEL_ALIPAY, 880, PAY_FAILED, T0 - 120000);
    payment(&rows[3], "T01-20261123-000039", CHANNEL_WECHAT, 1000, PAY_PAID, T0 - 180000);
    rows[3].refunded_fen = 300;
    payment(&rows[4], "T01-20261123-000038", CHANNEL_WECHAT, 2500, PAY_CANCELLED, T0 - 240000);
    rows[4].cancel_refunded = true;
    payment(&rows[5], "T01-20261123-000037", CHANNEL_ALIPAY, 99900, PAY_REFUNDED, T0 - 300000);
    rows[5].refunded_fen = 99900;
    /* An amount keyed and left before any scan: never a failed payment. */
    payment(&rows[6], "T01-20261123-000036", CHANNEL_NONE, 4200, PAY_FAILED, T0 - 360000);
    rows[6].last_cause = PAY_CAUSE_ABORTED_BEFORE_SCAN;

    /* A day longer than the screen: the list must scroll to keep the selection in view. */
    for (int i = 0; i < 40; i++) {
        char order[ORDER_NO_MAX + 1];
        snprintf(order, sizeof order, "T01-20261123-%06d", 40 - i);
        payment(&many[i], order, i % 2 ? CHANNEL_ALIPAY : CHANNEL_WECHAT, 100 + i, PAY_PAID,
                T0 - i * 60000LL);
    }

    detail_payment = rows[3];
    snprintf(detail_payment.trade_no, sizeof detail_payment.trade_no, "4200001234202611230039");
    event(&events[0], T0 - 180000, "created", "10.00");
    event(&events[1], T0 - 179000, "pay_intent", "wechat, code ****6789");
    event(&events[2], T0 - 176000, "paid", "verified reply");
    event(&events[3], T0 - 60000, "refunded", "3.00 by T01-20261123-000039R1");

    refund_target = detail_payment;

    eod.channel[CHANNEL_WECHAT] = (struct report_totals){
        .paid_count = 2, .charged_fen = 2230, .refunded_fen = 300, .net_fen = 1930};
    eod.channel[CHANNEL_ALIPAY] = (struct report_totals){
        .refunded_count = 1, .charged_fen = 99900, .refunded_fen = 99900, .unresolved_count = 1};
    eod.all = (struct report_totals){.paid_count = 2,
                                     .refunded_count = 1,
                                     .charged_fen = 102130,
                                     .refunded_fen = 100200,
                                     .net_fen = 1930,
                                     .unresolved_count = 1};
    unresolved[0] = rows[1];
}

/* Picks the scripted model `name`; false when there is no such script step. */
static int show(struct ui_model *m, const char *name)
{
    m->payment = &current;
    m->countdown_s = 0;
    refund_target = detail_payment;
    payment(&current, current_order, CHANNEL_WECHAT, 1230, PAY_NEW, T0);
    current.code_last4[0] = '\0';
    if (strcmp(name, "ready") == 0) {
        m->screen = UI_SCREEN_READY;
    } else if (strcmp(name, "scan") == 0) {
        m->screen = UI_SCREEN_SCAN;
    } else if (strcmp(name, "sending") == 0 || strcmp(name, "confirming") == 0 ||
               strcmp(name, "checking") == 0 || strcmp(name, "cancelling") == 0 ||
               strcmp(name, "aborted") == 0) {
        m->screen = UI_SCREEN_PAYING;
        snprintf(current.auth_code, sizeof current.auth_code, "134567890123456789");
        snprintf(current.code_last4, sizeof current.code_last4, "6789");
        current.state = PAY_PAYING;
        m->countdown_s = 45;
        if (strcmp(name, "confirming") == 0) {
            current.state = PAY_QUERYING;
            current.customer_confirming = true;
            m->countdown_s = 42;
        } else if (strcmp(name, "checking") == 0) {
            current.state = PAY_QUERYING;
            snprintf(current.last_error, sizeof current.last_error,
                     "no answer from the gateway: Timeout was reached");
            current.last_cause = PAY_CAUSE_NO_ANSWER;
            m->countdown_s = 17;
        } else if (strcmp(name, "aborted") == 0) {
            /* Esc 2 s after the pay left: the cancel waits for WeChat's 15 s. */
            current.state = PAY_QUERYING;
            current.abort_requested = true;
            m->cancel_wait_s = 13;
            m->min_cancel_s = 15;
        } else if (strcmp(name, "cancelling") == 0) {
            current.state = PAY_CANCELLING;
            current.cancels = 3;
            current.abort_requested = true;
        }
    } else if (strcmp(name, "paid") == 0 || strcmp(name, "failed") == 0 ||
               strcmp(name, "cancelled") == 0 || strcmp(name, "unresolved") == 0) {
        m->screen = UI_SCREEN_RESULT;
        snprintf(current.code_last4, sizeof current.code_last4, "6789");
        if (strcmp(name, "paid") == 0) {
            current.state = PAY_PAID;
            snprintf(current.trade_no, sizeof current.trade_no, "4200001234202611230042");
        } else if (strcmp(name, "failed") == 0) {
            current.state = PAY_FAILED;
            snprintf(current.last_error, sizeof current.last_error,
                     "Alipay refused (ACQ.BUYER_BALANCE_NOT_ENOUGH): insufficient funds");
            current.last_cause = PAY_CAUSE_BALANCE;
        } else if (strcmp(name, "cancelled") == 0) {
            current.state = PAY_CANCELLED;
            current.cancel_refunded = true;
            snprintf(current.last_error, sizeof current.last_error, "cancelled by the cashier");
            current.last_cause = PAY_CAUSE_ABORTED;
        } else {
            /* A loop that showed the result too early: the screen must not call it paid. */
            current.state = PAY_QUERYING;
            snprintf(current.trade_no, sizeof current.trade_no, "4200001234202611230042");
        }
    } else if (strcmp(name, "history") == 0 || strcmp(name, "history_long") == 0) {
        m->screen = UI_SCREEN_HISTORY;
        bool long_day = strcmp(name, "history_long") == 0;
        m->history = long_day ? many : rows;
        m->history_n = long_day ? 40 : 7;
        m->history_day = 20261123;
        m->history_is_today = true;
    } else if (strcmp(name, "detail") == 0) {
        m->screen = UI_SCREEN_DETAIL;
    } else if (strcmp(name, "refund_order") == 0) {
        m->screen = UI_SCREEN_REFUND;
        m->refund_step = UI_REFUND_ORDER;
    } else if (strcmp(name, "refund_amount") == 0) {
        m->screen = UI_SCREEN_REFUND;
        m->refund_step = UI_REFUND_AMOUNT;
    } else if (strcmp(name, "refund_confirm") == 0) {
        m->screen = UI_SCREEN_REFUND;
        m->refund_step = UI_REFUND_CONFIRM;
        m->refund_fen = 700;
    } else if (strcmp(name, "refund_sent") == 0 || strcmp(name, "refund_done") == 0) {
        m->screen = UI_SCREEN_REFUND;
        m->refund_step = UI_REFUND_SENT;
        m->refund_fen = 700;
        refund_target.refund_fen = 700;
        if (strcmp(name, "refund_sent") == 0) {
            refund_target.state = PAY_REFUNDING;
        } else {
            refund_target.state = PAY_REFUNDED;
            refund_target.refunded_fen = 1000;
        }
    } else if (strcmp(name, "eod") == 0) {
        m->screen = UI_SCREEN_EOD;
    } else {
        return 0;
    }
    return 1;
}

/* One control line; returns 0 to quit. */
static int control(struct ui *ui, struct ui_model *m, char *line, FILE *log)
{
    line[strcspn(line, "\r\n")] = '\0';
    if (strcmp(line, "quit") == 0)
        return 0;
    if (strncmp(line, "show ", 5) == 0) {
        if (!show(m, line + 5))
            fprintf(log, "unknown script step %s\n", line + 5);
    } else if (strncmp(line, "order ", 6) == 0) {
        size_t n = strnlen(line + 6, sizeof current_order - 1);
        memcpy(current_order, line + 6, n);
        current_order[n] = '\0';
    } else if (strncmp(line, "quick ", 6) == 0) {
        /* Quick amounts 10, 20, 50 on F1..F3 and a last amount of 12.30, or none. */
        static const int64_t quick[] = {1000, 2000, 5000};
        bool on = line[6] == '1';
        m->quick_fen = on ? quick : NULL;
        m->quick_n = on ? 3 : 0;
        m->last_amount_fen = on ? 1230 : 0;
    } else if (strncmp(line, "keep ", 5) == 0) {
        m->keep_early_code = line[5] == '1';
    } else if (strncmp(line, "bell ", 5) == 0) {
        m->bell = line[5] == '1';
    } else if (strncmp(line, "bare ", 5) == 0) {
        /* A model whose data is missing (pointers NULL, counts left as they were): every
         * screen must still draw its frame, and keys must still be safe. */
        bool bare = line[5] == '1';
        m->payment = bare ? NULL : &current;
        m->history = bare ? NULL : rows;
        m->detail = bare ? NULL : &detail_payment;
        m->events = bare ? NULL : events;
        m->refund_payment = bare ? NULL : &refund_target;
        m->eod = bare ? NULL : &eod;
        m->eod_unresolved = bare ? NULL : unresolved;
    } else if (strcmp(line, "lang zh") == 0) {
        m->lang = UI_LANG_ZH;
    } else if (strcmp(line, "lang en") == 0) {
        m->lang = UI_LANG_EN;
    } else if (strncmp(line, "gateway ", 8) == 0) {
        m->gateway_reachable = line[8] != '0';
        m->gateway_slow = line[8] == '2';
    } else if (strncmp(line, "printer ", 8) == 0) {
        /* "printer ready", or the enum ui_printer problem's number; "printer none" */
        m->printer_configured = strcmp(line + 8, "none") != 0;
        m->printer_ready = strcmp(line + 8, "ready") == 0;
        m->printer_problem = (enum ui_printer)atoi(line + 8);
    } else if (strncmp(line, "scanner ", 8) == 0) {
        m->scanner_connected = line[8] == '1';
    } else if (strncmp(line, "scanner_name ", 13) == 0) {
        size_t n = strlen(line + 13);
        if (n >= sizeof m->scanner_name)
            n = sizeof m->scanner_name - 1;
        memcpy(m->scanner_name, line + 13, n);
        m->scanner_name[n] = '\0';
    } else if (strncmp(line, "fleet ", 6) == 0) {
        /* "fleet off", "fleet up N" or "fleet down N": head office's broker, N events unsent */
        m->fleet_on = strcmp(line + 6, "off") != 0;
        m->fleet_unreachable = strncmp(line + 6, "down", 4) == 0;
        m->fleet_unsent = m->fleet_on ? atoi(line + (m->fleet_unreachable ? 10 : 8)) : 0;
    } else if (strncmp(line, "lab ", 4) == 0) {
        m->lab_settings = (unsigned)strtoul(line + 4, NULL, 0); /* enum ui_lab flags */
    } else if (strncmp(line, "clock ", 6) == 0) {
        m->clock_skew_s = atoi(line + 6);
    } else if (strncmp(line, "message ", 8) == 0) {
        size_t n = strlen(line + 8);
        if (n >= sizeof m->message)
            n = sizeof m->message - 1;
        memcpy(m->message, line + 8, n);
        m->message[n] = '\0';
        m->message_is_error = true;
    } else if (strncmp(line, "bench ", 6) == 0) {
        /* Full redraws of the current screen, timed: a figure for the log, never a verdict. */
        int n = atoi(line + 6);
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (int i = 0; i < n; i++) {
            m->countdown_s = 45 - i % 45; /* something changes every time, as in the loop */
            ui_render(ui, m);
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        long long ns = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
        fprintf(log, "bench %d renders, %lld us each\n", n, n > 0 ? ns / 1000 / n : 0);
    } else if (strcmp(line, "bad_scan") == 0) {
        ui_bad_scan_message(m->lang, PAYCODE_UNKNOWN, m->message, sizeof m->message);
        m->message_is_error = true;
    } else if (strcmp(line, "clear_message") == 0) {
        m->message[0] = '\0';
    } else {
        fprintf(log, "unknown control %s\n", line);
    }
    fflush(log);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s CONTROL_FIFO COMMAND_LOG\n", argv[0]);
        return 2;
    }
    /* Opened for writing too, so the pipe never reads as closed between the test's lines. */
    int ctl = open(argv[1], O_RDWR | O_NONBLOCK | O_CLOEXEC);
    FILE *log = fopen(argv[2], "a");
    if (ctl < 0 || log == NULL) {
        fprintf(stderr, "ui_demo: cannot open %s or %s: %s\n", argv[1], argv[2], strerror(errno));
        return 1;
    }
    script_data();
    struct ui_model m = {
        .lang = UI_LANG_EN,
        .terminal_id = "T01",
        .gateway_reachable = true,
        .bell = true,
        .scanner_connected = true,
        .scanner_name = "Honeywell 1900 (HID POS)",
        .pending = 2,
        .max_amount_fen = 5000000,
        .history = rows,
        .history_n = 7,
        .detail = &detail_payment,
        .events = events,
        .events_n = 4,
        .refund_payment = &refund_target,
        .eod_day = 20261123,
        .eod = &eod,
        .eod_unresolved = unresolved,
        .eod_unresolved_n = 1,
    };
    show(&m, "ready");

    char err[200];
    struct ui *ui;
    if (ui_open(&ui, err, sizeof err) != UI_OK) {
        fprintf(stderr, "ui_demo: %s\n", err);
        return 1;
    }
    /* curses notes a resize in its SIGWINCH handler and reports it at the next key read. A
     * signal landing after that read and before poll() would wait for the poll's timeout, so
     * SIGWINCH is blocked except inside ppoll(), which then returns EINTR at once. */
    sigset_t winch, waiting;
    sigemptyset(&winch);
    sigaddset(&winch, SIGWINCH);
    sigprocmask(SIG_BLOCK, &winch, &waiting);
    sigdelset(&waiting, SIGWINCH);
    ui_render(ui, &m);
    fprintf(log, "ready\n");
    fflush(log);

    char buf[512];
    size_t have = 0;
    int running = 1;
    while (running) {
        struct pollfd fds[2] = {{.fd = ui_fd(ui), .events = POLLIN}, {.fd = ctl, .events = POLLIN}};
        struct timespec second = {.tv_sec = 1};
        if (ppoll(fds, 2, &second, &waiting) < 0 && errno != EINTR)
            break;
        struct ui_command cmd;
        for (ui_read_keys(ui, &m, &cmd); cmd.type != UI_CMD_NONE; ui_read_keys(ui, &m, &cmd)) {
            if (cmd.type != UI_CMD_REDRAW) {
                char masked[UI_SCAN_MAX + 1];
                paycode_mask(cmd.code, masked, sizeof masked);
                fprintf(log, "%s %lld %s%s\n", ui_command_name(cmd.type), (long long)cmd.fen,
                        cmd.order_no, masked);
                fflush(log);
            }
            if (cmd.type == UI_CMD_HISTORY_FILTER_TOGGLE) {
                m.history_unresolved_only = !m.history_unresolved_only;
                m.history_state = m.history_unresolved_only ? UI_HS_UNRESOLVED : UI_HS_ALL;
            }
            /* As the loop does: a digit on the result screen comes back as the next amount. */
            if (cmd.type == UI_CMD_BACK && m.screen == UI_SCREEN_RESULT)
                m.screen = UI_SCREEN_READY;
            ui_render(ui, &m);
        }
        ssize_t n = read(ctl, buf + have, sizeof buf - 1 - have);
        if (n > 0)
            have += (size_t)n;
        char *nl;
        while (running && (nl = memchr(buf, '\n', have)) != NULL) {
            *nl = '\0';
            running = control(ui, &m, buf, log);
            size_t used = (size_t)(nl - buf) + 1;
            memmove(buf, nl + 1, have - used);
            have -= used;
            ui_render(ui, &m);
        }
        if (have == sizeof buf - 1)
            have = 0; /* a line longer than any control line: drop it */
    }
    ui_close(ui);
    fprintf(log, "bye\n");
    fclose(log);
    close(ctl);
    return 0;
}
