/*
 * ui.h - the cashier screen: a renderer of the loop's model and a translator of keys.
 *
 * The loop owns every decision. It fills a struct ui_model whenever something changes and
 * calls ui_render(); the screen shows what the model says and never decides a payment's
 * state (a success is drawn only for a payment whose state is PAY_PAID). Keys are read
 * without blocking and translated, per screen, into one struct ui_command at a time for the
 * loop to act on. The only state kept here is what the cashier is typing (an amount, an order
 * number), the selected history row and the last input error: none of it is a payment
 * decision.
 *
 * Wiring, in the loop:
 *
 *     ui_open(&ui, err, sizeof err);                 // once, before the first poll()
 *     fds[k] = (struct pollfd){ .fd = ui_fd(ui), .events = POLLIN };
 *     ...
 *     // after every poll() return (also on EINTR: a resize arrives as a signal)
 *     struct ui_command cmd;
 *     while (ui_read_keys(ui, &model, &cmd), cmd.type != UI_CMD_NONE) {
 *         handle(&cmd);                              // may change the model
 *         ui_render(ui, &model);                     // keys that follow see the new screen
 *     }
 *     ui_render(ui, &model);                         // whenever the model changed (a reply,
 *                                                    // the countdown's second, ...)
 *     ui_close(ui);
 *
 * Pointers in the model are read during ui_render()/ui_read_keys() only, never kept.
 * Block SIGWINCH outside the wait and let it in only inside ppoll() (tests/unit/ui/ui_demo.c
 * shows how): otherwise a resize landing between the key read and poll() is drawn only when
 * the poll times out.
 *
 * What the loop does with each command (keys are listed at the bottom of every screen):
 *   READY   AMOUNT_ENTERED(fen) -> create the order, SCAN.  SHOW_HISTORY, REFUND_START
 *           (-> REFUND at step ORDER), END_OF_DAY, QUIT.
 *   SCAN    SCAN(code) -> validate and pay, or a bad-scan message (ui_bad_scan_message).
 *           BACK -> abort the NEW payment (nothing was sent), READY (the amount typed stays).
 *   PAYING  ABORT -> engine EV_ABORT; stay on PAYING and show what the engine does.
 *           SCAN(code) -> refused with a message: one payment at a time.
 *   READY   also: F1..F6 and '+' (a quick amount, the last amount) come as AMOUNT_ENTERED;
 *           a payment code typed or scanned here is never read as an amount: refused with
 *           a sentence, or CODE_KEPT(code) when model.keep_early_code (the loop keeps it at
 *           most 60 s and scans it once the amount is entered).
 *   RESULT  BACK -> READY (a fresh amount; a digit typed here is the new amount's first).
 *           After a failure or cancel, R or '+': AMOUNT_ENTERED(the same amount) -> SCAN.
 *   HISTORY SHOW_DETAIL(order_no) -> DETAIL.  HISTORY_FILTER_TOGGLE -> flip
 *           history_unresolved_only and reload.  HISTORY_DAY, HISTORY_PAGE, HISTORY_FIND,
 *           HISTORY_CHANNEL, HISTORY_STATE -> reload with that filter or page.
 *           REFUND_LOOKUP(order_no) of the selected row -> REFUND at step AMOUNT.  BACK -> READY.
 *   DETAIL  REFUND_LOOKUP(order_no) (only offered for a refundable payment) -> REFUND at step
 *           AMOUNT.  BACK -> HISTORY.
 *   REFUND  ORDER:   REFUND_LOOKUP(order_no) -> load it: step AMOUNT, or a message and stay.
 *                    REFUND_FIND(order_no digits | code last four) -> one: step AMOUNT;
 *                    several: step PICK; none: a message and stay.
 *           PICK:    REFUND_LOOKUP(order_no) of the row picked.  BACK -> step ORDER.
 *                    On a bare keypad only digits and '-' can be typed: "42" may be read
 *                    as today's order with sequence 42.  BACK -> where it was started from.
 *           AMOUNT:  REFUND_REQUEST(order_no, fen), fen within paid - refunded -> check again,
 *                    step CONFIRM with refund_fen.  BACK -> step ORDER.
 *           CONFIRM: REFUND_CONFIRM(order_no, fen, code = the supervisor's PIN when
 *                    refund_needs_pin) -> limits and PIN checked (app/refund_guard.h), engine
 *                    EV_REFUND with a new refund_no, step SENT; refused: a message and stay.
 *                    BACK -> step AMOUNT.
 *           SENT:    BACK -> READY.  (A second Enter is read on SENT, never as a second
 *                    confirmation, as long as the loop renders after each command.)
 *   EOD     BACK -> READY.  CLOSE_DAY_START -> CLOSE.  EXPORT -> the X report as CSV.
 *   SIGNIN  SIGN_IN(cashier, pin) -> READY, or a message and stay.  QUIT.
 *   SHIFT   SIGN_OUT -> end the shift, print its report, SIGNIN.  EXPORT.  BACK -> READY.
 *   CLOSE   CLOSE_DAY -> the next Z report stored (z_closed), printed.  EXPORT (once
 *           closed).  BACK -> EOD before the close, READY after.
 *   READY   also: RECON_SHOW ('A', while recon_open) -> RECONCILE.
 *   RECONCILE RECON_ACK(code = PIN) -> PIN checked as a refund's (app/refund_guard.h), the
 *           days' differences acknowledged, READY; refused: a message and stay.
 *           BACK -> READY.
 */
#ifndef POSTERM_UI_H
#define POSTERM_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "paycode.h"
#include "payment.h"
#include "reconciliations.h"
#include "reports.h"
#include "shifts.h"
#include "zreports.h"

enum ui_lang { UI_LANG_EN, UI_LANG_ZH };

/* "en" or "zh" (the config's values); false for anything else. */
bool ui_lang_from_name(const char *name, enum ui_lang *out);

enum ui_screen {
    UI_SCREEN_READY,   /* amount entry; header shows terminal, gateway, scanner, pending */
    UI_SCREEN_SCAN,    /* order created, waiting for the payment code: model.payment */
    UI_SCREEN_PAYING,  /* model.payment in flight; model.countdown_s */
    UI_SCREEN_RESULT,  /* model.payment's outcome (success only if PAY_PAID) */
    UI_SCREEN_HISTORY, /* model.history rows */
    UI_SCREEN_DETAIL,  /* model.detail and its model.events */
    UI_SCREEN_REFUND,  /* model.refund_step, model.refund_payment, model.refund_fen */
    UI_SCREEN_EOD,     /* model.eod per channel and in all, model.eod_unresolved apart */
    /* issue 18: cashiers, shifts, closed day */
    UI_SCREEN_SIGNIN, /* cashier number and PIN; model.signin_locked_s */
    UI_SCREEN_SHIFT,  /* model.shift and its model.shift_totals: the handover report */
    UI_SCREEN_CLOSE,  /* closing the day: model.z (z_closed once stored) */
    /* issue 21 (recon2): the reconciliation's open differences, for a supervisor to
     * acknowledge: model.recon_items */
    UI_SCREEN_RECONCILE,
};

enum ui_refund_step {
    UI_REFUND_ORDER,   /* the cashier types the order number */
    UI_REFUND_AMOUNT,  /* refund_payment loaded; the cashier types the amount */
    UI_REFUND_CONFIRM, /* refund_fen of refund_payment, waiting for Enter */
    UI_REFUND_SENT,    /* refund_payment as it now stands (REFUNDING, PAID, REFUNDED) */
    UI_REFUND_PICK,    /* refund_candidates: the orders a short form or a payment code named */
};

/* The states the history can be narrowed to, in the order the state key cycles them. */
enum ui_history_state {
    UI_HS_ALL,
    UI_HS_PAID,
    UI_HS_REFUNDED,
    UI_HS_FAILED,
    UI_HS_CANCELLED,
    UI_HS_UNRESOLVED,
    UI_HS__COUNT,
};

#define UI_CANDIDATES_MAX 10

/* The background payments listed on the ready screen (the header counts all of them). */
#define UI_BACKGROUND_MAX 4
/* Events unsent to head office from which the header names the backlog though connected. */
#define UI_FLEET_BACKLOG 100

/* The test-only settings a config may have in force (app/config.h enum config_lab). */
enum ui_lab {
    UI_LAB_PLAIN_HTTP = 1 << 0,
    UI_LAB_NO_TLS_VERIFY = 1 << 1,
    UI_LAB_EARLY_CANCEL = 1 << 2,
};

/* Why the receipt printer is not ready, in words a cashier can act on. */
enum ui_printer {
    UI_PRINTER_ABSENT, /* not found, unplugged, cannot be written */
    UI_PRINTER_PAPER_OUT,
    UI_PRINTER_COVER_OPEN,
    UI_PRINTER_OFFLINE,
};

struct ui_model {
    enum ui_screen screen;
    enum ui_lang lang;

    /* Header, on every screen. */
    char terminal_id[33];
    bool gateway_reachable; /* false: the gateway is not answering (no reply, a 5xx) */
    bool gateway_slow;      /* answering, but slowly (loop_gateway_health) */
    bool scanner_connected;
    char scanner_name[64];   /* e.g. "Honeywell 1900 (HID POS)"; "" = not said */
    int pending;             /* unresolved payments being worked on in the background */
    unsigned lab_settings;   /* test-only settings in force (enum ui_lab), 0 = none: warned
                              * loudly on every screen, each named in the cashier's words */
    int clock_skew_s;        /* the gateway's clock minus ours when minutes apart, else 0 */
    bool printer_configured; /* a receipt printer is set up (printer.kind not none) */
    bool printer_ready;
    enum ui_printer printer_problem; /* why it is not ready, shown while it is not */
    int receipts_waiting;            /* receipts owed to the printer */
    bool fleet_on;                   /* MQTT to head office configured (fleet.host) */
    bool fleet_unreachable;          /* ... and its broker not connected for a while */
    int fleet_unsent;                /* events not yet acknowledged by the broker */

    /* READY: what is still being cancelled or refunded in the background. */
    const struct payment *background;
    int background_n;

    /* One line for the cashier: a bad scan, a refused action, a journal error. */
    char message[160];
    bool message_is_error;

    int64_t max_amount_fen;   /* READY: the terminal's maximum (0 = none) */
    const int64_t *quick_fen; /* READY: config screen.quick_amounts, keys F1..F6 */
    int quick_n;
    int64_t last_amount_fen; /* READY: the last payment's amount, key '+' (0 = none) */
    bool keep_early_code;    /* READY: a payment code typed before the amount is kept
                              * (config screen.code_before_amount "keep"), else refused */
    bool qr_as_text;         /* PAYING: screen.qr_style "text", a QR in '##' (no block glyphs) */

    bool bell; /* config screen.bell: a short beep when a payment's result is first shown */

    /* SCAN, PAYING, RESULT: the payment at the counter. */
    const struct payment *payment;
    int countdown_s;   /* PAYING: seconds before the automatic cancel; 0 = not shown */
    int cancel_wait_s; /* PAYING, aborted: seconds before the cancel may go (0 = now) */
    int min_cancel_s;  /* the policy's min_cancel_ms in seconds: why the cancel waits */

    /* HISTORY: one page of payments, newest first (storage/reports.h report_history). */
    const struct payment *history;
    int history_n;
    bool history_unresolved_only;     /* the '.' key: same as history_state UI_HS_UNRESOLVED */
    int history_day;                  /* yyyymmdd; 0 = every day */
    bool history_is_today;            /* history_day is today (the title says so) */
    int history_page;                 /* 1, 2, ... */
    bool history_more;                /* another page follows */
    enum pay_channel history_channel; /* CHANNEL_NONE = every channel */
    enum ui_history_state history_state;
    int64_t history_amount_fen; /* 0 = any */
    char history_last4[5];      /* "" = any */

    /* DETAIL: one payment and its events, oldest first (storage/reports.h report_events). */
    const struct payment *detail;
    const struct journal_event *events;
    int events_n;

    /* REFUND */
    enum ui_refund_step refund_step;
    const struct payment *refund_payment;    /* steps AMOUNT, CONFIRM, SENT */
    int64_t refund_fen;                      /* steps CONFIRM, SENT */
    bool refund_repeats;                     /* step CONFIRM: the same amount was refunded on
                                              * this order minutes ago; the screen asks again */
    bool refund_needs_pin;                   /* step CONFIRM asks for the supervisor's PIN */
    const struct payment *refund_candidates; /* step PICK, newest first */
    int refund_candidates_n;
    bool refund_by_code; /* step PICK: found by a payment code's last four digits (else by the
                          * order number's last digits) */

    /* EOD: storage/reports.h report_totals for the day, and its unresolved payments
     * (report_payments, unresolved_only) listed apart: they are in no total. */
    int eod_day; /* yyyymmdd, for the title */
    const struct report_day *eod;
    const struct payment *eod_unresolved;
    int eod_unresolved_n;
    const struct payment *eod_referred; /* every payment left for the merchant (REFERRED),
                                         * whatever its day (report_referred) */
    int eod_referred_n;

    /* issue 18: cashiers, shifts, closed day */
    char cashier[33];          /* the signed-in cashier's id, "" = none (or none configured) */
    char cashier_name[65];     /* ... and name */
    int signin_locked_s;       /* SIGNIN: seconds left of a lock after wrong PINs */
    const struct shift *shift; /* SHIFT */
    const struct report_day *shift_totals; /* SHIFT */
    const struct z_report *z; /* CLOSE: the report to be made (number, from_at) or made */
    bool z_closed;            /* CLOSE: stored; its totals are final */

    /* issue 21 (recon2): differences the gateways' bills showed, not yet acknowledged
     * (storage/reconciliations.h): an alert on READY until a supervisor acknowledges them on
     * RECONCILE (with the supervisor's PIN when refund_needs_pin). */
    int recon_open;                           /* every day's; 0 = no alert */
    char recon_first[RECON_DATE_LEN + 1];     /* the oldest day with one */
    char recon_last[RECON_DATE_LEN + 1];      /* the newest */
    const struct reconcile_item *recon_items; /* RECONCILE: the first recon_items_n of them */
    int recon_items_n;
};

enum ui_command_type {
    UI_CMD_NONE,           /* no key waiting */
    UI_CMD_REDRAW,         /* the screen must be drawn again (typing, resize): call
                              ui_render with the current model; nothing else changed */
    UI_CMD_AMOUNT_ENTERED, /* READY: fen, already parsed by money_parse within max */
    UI_CMD_BACK,           /* leave this screen (SCAN: nothing was sent yet) */
    UI_CMD_ABORT,          /* PAYING: the cashier aborts; the core must cancel */
    UI_CMD_QR,             /* SCAN: the customer scans the terminal instead: channel's QR */
    UI_CMD_SCAN,           /* SCAN, PAYING: code, typed by a keyboard-mode scanner (or
                              by hand) and Enter; not validated here: the loop checks
                              it with paycode_channel like any scan, and refuses a
                              second one while paying with a message */
    UI_CMD_SHOW_HISTORY,
    UI_CMD_HISTORY_FILTER_TOGGLE, /* unresolved only <-> all */
    UI_CMD_SHOW_DETAIL,           /* HISTORY: order_no */
    UI_CMD_REFUND_START,          /* READY: open the refund screen at its ORDER step */
    UI_CMD_REFUND_LOOKUP,         /* REFUND ORDER step or DETAIL: order_no (order_no_valid) */
    UI_CMD_REFUND_REQUEST,        /* REFUND AMOUNT step: order_no, fen (within the limit) */
    UI_CMD_REFUND_CONFIRM,        /* REFUND CONFIRM step: order_no, fen, as shown */
    UI_CMD_END_OF_DAY,
    UI_CMD_REPRINT, /* HISTORY, DETAIL: order_no's receipt again, marked as a reprint */
    /* issue 18: finding a payment */
    UI_CMD_HISTORY_DAY,     /* HISTORY: step -1 the day before, +1 the day after, 0 every day */
    UI_CMD_HISTORY_PAGE,    /* HISTORY: step +1 the next page, -1 the one before */
    UI_CMD_HISTORY_FIND,    /* HISTORY: code = "" (none), 4 digits (a code's last four) or an
                             * amount: the history narrowed to it */
    UI_CMD_HISTORY_CHANNEL, /* HISTORY: the next channel filter (all, WeChat, Alipay) */
    UI_CMD_HISTORY_STATE,   /* HISTORY: the next state filter (enum ui_history_state) */
    UI_CMD_REFUND_FIND,     /* REFUND ORDER step: order_no = 1 to 6 digits (the order number's
                             * last digits), or code = the last four digits of a payment code
                             * scanned or typed: one order found opens it, several are listed
                             * (step PICK) */
    UI_CMD_QUIT,            /* READY: the cashier wants to close posterm */
    UI_CMD_CODE_KEPT,       /* READY: code, a payment code that came before the amount, to keep */
    /* issue 18: cashiers, shifts, closed day */
    UI_CMD_SIGN_IN,         /* SIGNIN: cashier, pin */
    UI_CMD_SHIFT,           /* READY: open the handover report (SHIFT) */
    UI_CMD_SIGN_OUT,        /* SHIFT: end the shift */
    UI_CMD_CLOSE_DAY_START, /* EOD: open CLOSE */
    UI_CMD_CLOSE_DAY,       /* CLOSE: store the Z report */
    UI_CMD_EXPORT,          /* EOD, SHIFT, CLOSE: the report shown, as CSV beside the journal */
    /* issue 21 (recon2): the reconciliation's differences */
    UI_CMD_RECON_SHOW, /* READY (only while model.recon_open): open RECONCILE */
    UI_CMD_RECON_ACK,  /* RECONCILE: code = the supervisor's PIN; acknowledge what is listed */
};

/* Longer than any payment code, so that a too-long scan arrives too long and is refused as
 * such rather than cut into something that looks valid. */
#define UI_SCAN_MAX 64

struct ui_command {
    enum ui_command_type type;
    int step; /* HISTORY_DAY, HISTORY_PAGE */
    int64_t fen;
    char order_no[ORDER_NO_MAX + 1];
    char code[UI_SCAN_MAX + 1];
    char cashier[33];         /* SIGN_IN */
    char pin[16];             /* SIGN_IN: wiped by the loop once checked */
    enum pay_channel channel; /* QR */
};

const char *ui_command_name(enum ui_command_type t);

enum ui_status {
    UI_OK = 0,
    UI_NOT_A_TTY,   /* stdin or stdout is not a terminal */
    UI_NO_TERMINAL, /* curses could not start: TERM unknown or unusable */
    UI_NO_UTF8,     /* neither the environment's locale nor C.UTF-8 is a UTF-8 locale */
    UI_NO_MEMORY,
};

const char *ui_status_reason(enum ui_status st);

struct ui;

/* Starts curses on stdin/stdout (newterm, cbreak, noecho, keypad, nodelay) with a UTF-8
 * LC_CTYPE. On failure *out is NULL and err holds a sentence. */
enum ui_status ui_open(struct ui **out, char *err, size_t errlen);

/* The descriptor to poll for keys. */
int ui_fd(const struct ui *ui);

/* Draws the whole screen from the model (erase, draw, refresh: curses sends only what
 * changed). Adapts to the terminal's size; below 80x24 it says so instead of drawing junk. */
void ui_render(struct ui *ui, const struct ui_model *m);

/* Reads waiting keys without blocking, interpreting them on the model's current screen.
 * Stops at the first key that means something to the loop and returns it; typing and resizes
 * come back as UI_CMD_REDRAW; UI_CMD_NONE when no key is left. */
void ui_read_keys(struct ui *ui, const struct ui_model *m, struct ui_command *out);

/* A scanner's code offered to the screen (keys.h keys_refund_scan): true and a command in
 * out when the refund screen takes it as the order it waits for. */
bool ui_take_scan(struct ui *ui, const struct ui_model *m, const char *code,
                  struct ui_command *out);

/* Restores the terminal. */
void ui_close(struct ui *ui);

/* Seconds left before a deadline, rounded up, for model.countdown_s (0 when there is no
 * deadline or it has passed). Both in monotonic ms. */
int ui_countdown_seconds(int64_t deadline_mono, int64_t now_mono);

/* "Bad scan: <reason>" in the model's language, for model.message. */
void ui_bad_scan_message(enum ui_lang lang, enum paycode_status st, char *buf, size_t len);

#endif
