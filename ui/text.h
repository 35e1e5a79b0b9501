/*
 * text.h - every word the screen itself says, in English and Chinese, from one table. Two
 * kinds of sentence come from elsewhere: why a payment failed or was cancelled (per cause, in
 * ui/cause_text.h) and what the event loop tells the cashier, which reaches the screen already
 * worded in the cashier's language (app/loop_notes.def).
 *
 * Screens ask for a message by id; no screen holds a literal sentence. An id without both
 * languages is a bug that tests/unit/ui catches, as is a translation whose printf
 * conversions differ from the English one.
 */
#ifndef POSTERM_UI_TEXT_H
#define POSTERM_UI_TEXT_H

#include <stddef.h>

#include "money.h"
#include "paycode.h"
#include "payment.h"
#include "reconcile.h"
#include "ui.h"

enum text_id {
    /* header */
    T_TERMINAL,
    T_GATEWAY_ONLINE,
    T_GATEWAY_OFFLINE,
    T_SCANNER_OK,
    T_SCANNER_NAMED,
    T_SCANNER_NONE,
    T_PENDING,
    T_TOO_SMALL,
    /* issue 18: words a cashier understands */
    T_GATEWAY_SLOW,
    T_RES_TELL,
    T_STATE_NOT_STARTED,
    T_ST_CANCEL_WAIT,
    T_ST_CANCEL_WAIT_TILL, /* issue 18 (till2): the wait is the till's rule, not the channel's */
    T_ST_CANCEL_WAIT_NOW,
    T_ST_PAID_MEANWHILE,
    T_K_RETRY,
    T_K_NEW_AMOUNT,
    T_CODE_FIRST,
    T_QUICK_LAST,
    /* key help */
    T_K_AMOUNT,
    T_K_DELETE,
    T_K_CHARGE,
    T_K_HISTORY,
    T_K_REFUND,
    T_K_EOD,
    T_K_QUIT,
    T_K_BACK,
    T_K_ABORT,
    T_K_NEXT,
    T_K_SELECT,
    T_K_DETAIL,
    T_K_ORDER,
    T_K_LOOKUP,
    T_K_REFUND_AMOUNT,
    T_K_CONFIRM,
    T_K_DONE,
    T_K_REPRINT,
    /* ready, scan */
    T_READY_TITLE,
    T_AMOUNT,
    T_SCAN_TITLE,
    T_SCAN_PROMPT,
    T_SCAN_CHANNELS,
    T_SCAN_NO_SCANNER,
    /* issue 20 (qrart): the customer scans the QR code the screen draws (screen_qr.c) */
    T_QR_TITLE,
    T_QR_ASK,
    T_QR_CLOSES_IN,
    T_QR_TOO_SMALL,
    T_QR_NO_UNICODE,
    T_QR_NONE,
    T_QR_ERR_EMPTY,
    T_QR_ERR_TOO_LONG,
    T_QR_ERR_ENCODE,
    T_K_QR_ABORT,
    T_K_QR_WECHAT,
    T_K_QR_ALIPAY,
    /* paying */
    T_PAYING_TITLE,
    T_ST_WAITING_CODE,
    T_ST_SENDING,
    T_ST_CONFIRMING,
    T_ST_CHECKING,
    T_ST_NETWORK,
    T_ST_CANCEL_IN,
    T_ST_ABORTING,
    T_ST_CANCELLING,
    T_ST_CANCEL_RETRY,
    T_ST_REFUNDING,
    T_ST_DONE,
    /* result */
    T_RES_PAID,
    T_RES_FAILED,
    T_RES_CANCELLED,
    T_RES_REFUNDED,
    T_RES_REFERRED,
    T_RES_UNRESOLVED,
    T_RES_MONEY_RETURNED,
    T_RES_NO_MONEY,
    T_RES_REASON,
    T_RES_STILL_WORKING,
    /* field labels */
    T_F_AMOUNT,
    T_F_CHANNEL,
    T_F_ORDER,
    T_F_CODE,
    T_F_TIME,
    T_F_TRADE,
    T_F_STATE,
    T_F_REFUNDED,
    T_F_REFUNDABLE,
    T_F_LAST_ERROR,
    /* channels */
    T_CH_WECHAT,
    T_CH_ALIPAY,
    T_CH_NONE,
    /* states, as the cashier calls them */
    T_STATE_NEW,
    T_STATE_PAYING,
    T_STATE_QUERYING,
    T_STATE_CANCELLING,
    T_STATE_PAID,
    T_STATE_FAILED,
    T_STATE_CANCELLED,
    T_STATE_CANCELLED_RETURNED,
    T_STATE_REFUNDING,
    T_STATE_REFUNDED,
    T_STATE_REFERRED,
    /* history, detail */
    T_HIST_TITLE,
    T_HIST_TITLE_UNRESOLVED,
    T_HIST_EMPTY,
    T_COL_TIME,
    T_COL_ORDER,
    T_COL_CHANNEL,
    T_COL_AMOUNT,
    T_COL_REFUNDED,
    T_COL_STATE,
    T_DETAIL_TITLE,
    T_EVENTS,
    T_NO_EVENTS,
    /* issue 18: finding a payment */
    T_HIST_TITLE_DAY,
    T_HIST_TITLE_ALL,
    T_HIST_PAGE,
    T_HIST_MORE,
    T_HIST_BY_AMOUNT,
    T_HIST_BY_CODE,
    T_HIST_BY_UNRESOLVED,
    T_HIST_FIND_PROMPT,
    T_HIST_FIND_BAD,
    T_COL_STARTED,
    T_COL_FINISHED,
    T_COL_NO,
    T_K_DAY,
    T_K_ALL_DAYS,
    T_K_FIND,
    T_K_CHANNEL,
    T_K_STATE,
    T_K_PAGE,
    T_K_APPLY,
    T_K_PICK,
    T_K_PIN,
    T_REF_FIND_PROMPT,
    T_REF_FIND_BAD,
    T_REF_PICK_BY_CODE,
    T_REF_PICK_BY_ORDER,
    T_REF_NONE_BY_CODE,
    T_REF_NONE_BY_ORDER,
    T_REF_PIN_PROMPT,
    T_REF_PIN_NEEDED,
    T_REF_PIN_WRONG,
    T_REF_PIN_LOCKED,
    T_REF_ABOVE_MAX,
    T_REF_ABOVE_DAY,
    T_REF_NO_SUMS,
    /* refund */
    T_REF_TITLE,
    T_REF_ORDER_PROMPT,
    T_REF_AMOUNT_PROMPT,
    T_REF_CONFIRM,
    T_REF_SENDING,
    T_REF_SO_FAR,
    T_REF_NOT_PAID,
    T_REF_IN_PROGRESS,
    T_REF_FULLY,
    T_REF_ABOVE,
    /* end of day */
    T_EOD_TITLE,
    T_COL_COUNT,
    T_COL_TOTAL,
    T_COL_REFUNDS,
    T_COL_NET,
    T_EOD_ALL,
    T_EOD_UNRESOLVED,
    T_EOD_NONE_UNRESOLVED,
    T_EOD_REFERRED,
    /* issue 18: cashiers, shifts, closed day */
    T_SIGNIN_TITLE,
    T_SIGNIN_ID,
    T_SIGNIN_PIN,
    T_SIGNIN_HINT,
    T_SIGNIN_WRONG,
    T_SIGNIN_LOCKED,
    T_SIGNIN_NO_JOURNAL,
    T_CASHIER,
    T_SHIFT_TITLE,
    T_SHIFT_PERIOD,
    T_SHIFT_NOW,
    T_SHIFT_CONFIRM,
    T_SHIFT_ENDED,
    T_CLOSE_TITLE,
    T_CLOSE_SINCE,
    T_CLOSE_SINCE_START,
    T_CLOSE_CONFIRM,
    T_CLOSE_DONE,
    T_CLOSE_UNRESOLVED,
    T_CLOSE_FAILED,
    T_EXPORTED,
    T_EXPORT_FAILED,
    T_REPORT_PRINT_FAILED,
    T_K_NEXT_FIELD,
    T_K_CASHIER_NO,
    T_K_SIGN_IN,
    T_K_HANDOVER,
    T_K_SIGN_OUT,
    T_K_CLOSE_DAY,
    T_K_CLOSE_CONFIRM,
    T_K_EXPORT,
    /* reasons (their words come from money.h/paycode.h in English) */
    T_BAD_SCAN,
    T_LAB_SETTINGS,
    /* issue 18 (till2): each test setting in the cashier's words, and how a list is joined */
    T_LAB_PLAIN_HTTP,
    T_LAB_NO_TLS_VERIFY,
    T_LAB_EARLY_CANCEL,
    T_LIST_AND,
    T_CLOCK_BEHIND,
    T_CLOCK_AHEAD,
    T_RES_ANY_RETURNED,
    T_READY_BACKGROUND,
    T_BG_CANCELLING,
    T_BG_REFUNDING,
    T_BG_CHECKING,
    T_REF_REPEAT,
    /* the receipt printer */
    T_PRINTER,
    /* issue 18 (till2): why the printer is not ready, in the cashier's words */
    T_PRINTER_ABSENT,
    T_PRINTER_PAPER_OUT,
    T_PRINTER_COVER_OPEN,
    T_PRINTER_OFFLINE,
    T_RECEIPTS_WAITING_ONE,
    T_RECEIPTS_WAITING,
    T_REPRINT_QUEUED,
    T_REPRINT_NOT_PAID,
    T_REPRINT_NO_PRINTER,
    T_REPRINT_FAILED,
    /* the cashier screen's own refusals (app/cashier.c) */
    T_JOURNAL_UNAVAILABLE,
    T_HISTORY_UNREADABLE,
    T_NO_SUCH_ORDER,
    T_JOURNAL_DAMAGED,
    T_EOD_UNREADABLE,
    T_REFUND_ONLY_PAID,
    /* journal events, as the detail screen lists them (view_event) */
    T_EV_CREATED,
    T_EV_PAY_INTENT,
    T_EV_PAID,
    T_EV_PAY_FAILED,
    T_EV_PAY_CONFIRMING,
    T_EV_PAY_UNKNOWN,
    T_EV_ABORT_REQUESTED,
    T_EV_ABORTED,
    T_EV_CANCEL_DECIDED,
    T_EV_CANCEL_REFUSED,
    T_EV_REFERRED,
    T_EV_CANCELLED,
    T_EV_PAID_CANCEL_REFUSED,
    T_EV_REFUND_REQUESTED,
    T_EV_REFUNDED,
    T_EV_REFUND_FAILED,
    T_EV_RESUMED,
    /* issue 21 (recon2): the reconciliation's differences (screen_reconcile.c) */
    T_RECON_ALERT,
    T_RECON_ALERT_DAYS,
    T_RECON_TITLE,
    T_RECON_COL_DAY,
    T_RECON_COL_CHANNEL,
    T_RECON_COL_KIND,
    T_RECON_COL_ORDER,
    T_RECON_COL_BILL,
    T_RECON_COL_TILL,
    T_RECON_CHARGED_NOT_PAID,
    T_RECON_PAID_NOT_IN_BILL,
    T_RECON_AMOUNT_DIFFERS,
    T_RECON_REFUND_DIFFERS,
    T_RECON_REFUND_NOT_IN_BILL,
    T_RECON_REFUND_OUTSIDE,
    T_RECON_MORE,
    T_RECON_NONE,
    T_RECON_ASK_PIN,
    T_RECON_ASK,
    T_RECON_PIN_NEEDED,
    T_RECON_PIN_WRONG,
    T_RECON_PIN_LOCKED,
    T_RECON_ACKED,
    T_RECON_UNREADABLE,
    T_RECON_FAILED,
    T_RECON_FOUND,
    T_K_RECON_ACK,
    /* issue 24 (fleet): head office over MQTT, in the header while it needs attention */
    T_FLEET_UNREACHABLE,
    T_FLEET_UNREACHABLE_N,
    T_FLEET_BACKLOG,
    T__COUNT
};

/* The message in that language; never NULL (tests prove the table complete). */
const char *text(enum ui_lang lang, enum text_id id);

/* The raw table entry, NULL where a translation is missing (for the completeness test). */
const char *text_entry(enum ui_lang lang, enum text_id id);

/* Why money_parse refused, in the cashier's language (English: money_status_reason). */
const char *text_money_reason(enum ui_lang lang, enum money_status st);

/* Why a scan was refused, in the cashier's language. */
const char *text_paycode_reason(enum ui_lang lang, enum paycode_status st);

const char *text_channel(enum ui_lang lang, enum pay_channel c);
/* A state's plain word ("paid", "已支付"); the screen's view_state() refines CANCELLED. */
const char *text_state(enum ui_lang lang, enum pay_state state);

/* issue 21 (recon2): what a reconciliation's difference is, in the cashier's words (its
 * journal name, recon_kind_name, for a kind that is no difference). */
const char *text_recon_kind(enum ui_lang lang, enum recon_kind kind);

#endif
