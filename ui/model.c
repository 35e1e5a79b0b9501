/*
 * model.c - the plain-data helpers of ui.h that the loop uses to fill a model and read a
 * command: language names, command names for logs, countdown seconds, bad-scan wording.
 */
#include <stdio.h>
#include <string.h>

#include "text.h"
#include "ui.h"

bool ui_lang_from_name(const char *name, enum ui_lang *out)
{
    if (strcmp(name, "en") == 0) {
        *out = UI_LANG_EN;
        return true;
    }
    if (strcmp(name, "zh") == 0) {
        *out = UI_LANG_ZH;
        return true;
    }
    return false;
}

const char *ui_command_name(enum ui_command_type t)
{
    switch (t) {
    case UI_CMD_NONE: return "NONE";
    case UI_CMD_REDRAW: return "REDRAW";
    case UI_CMD_AMOUNT_ENTERED: return "AMOUNT_ENTERED";
    case UI_CMD_BACK: return "BACK";
    case UI_CMD_ABORT: return "ABORT";
    case UI_CMD_QR: return "QR";
    case UI_CMD_SCAN: return "SCAN";
    case UI_CMD_SHOW_HISTORY: return "SHOW_HISTORY";
    case UI_CMD_HISTORY_FILTER_TOGGLE: return "HISTORY_FILTER_TOGGLE";
    case UI_CMD_SHOW_DETAIL: return "SHOW_DETAIL";
    case UI_CMD_REFUND_START: return "REFUND_START";
    case UI_CMD_REFUND_LOOKUP: return "REFUND_LOOKUP";
    case UI_CMD_REFUND_REQUEST: return "REFUND_REQUEST";
    case UI_CMD_REFUND_CONFIRM: return "REFUND_CONFIRM";
    case UI_CMD_END_OF_DAY: return "END_OF_DAY";
    case UI_CMD_REPRINT: return "REPRINT";
    case UI_CMD_HISTORY_DAY: return "HISTORY_DAY";
    case UI_CMD_HISTORY_PAGE: return "HISTORY_PAGE";
    case UI_CMD_HISTORY_FIND: return "HISTORY_FIND";
    case UI_CMD_HISTORY_CHANNEL: return "HISTORY_CHANNEL";
    case UI_CMD_HISTORY_STATE: return "HISTORY_STATE";
    case UI_CMD_REFUND_FIND: return "REFUND_FIND";
    case UI_CMD_QUIT: return "QUIT";
    case UI_CMD_SIGN_IN: return "SIGN_IN";
    case UI_CMD_SHIFT: return "SHIFT";
    case UI_CMD_SIGN_OUT: return "SIGN_OUT";
    case UI_CMD_CLOSE_DAY_START: return "CLOSE_DAY_START";
    case UI_CMD_CLOSE_DAY: return "CLOSE_DAY";
    case UI_CMD_EXPORT: return "EXPORT";
    case UI_CMD_CODE_KEPT: return "CODE_KEPT";
    case UI_CMD_RECON_SHOW: return "RECON_SHOW";
    case UI_CMD_RECON_ACK: return "RECON_ACK";
    }
    return "?";
}

const char *ui_status_reason(enum ui_status st)
{
    switch (st) {
    case UI_OK: return "ok";
    case UI_NOT_A_TTY: return "the cashier screen needs a terminal on stdin and stdout";
    case UI_NO_TERMINAL: return "the terminal type (TERM) is unknown or cannot run a full screen";
    case UI_NO_UTF8: return "no UTF-8 locale is available (neither the environment's nor C.UTF-8)";
    case UI_NO_MEMORY: return "out of memory";
    }
    return "unknown screen error";
}

int ui_countdown_seconds(int64_t deadline_mono, int64_t now_mono)
{
    if (deadline_mono <= 0 || deadline_mono <= now_mono)
        return 0;
    int64_t left = (deadline_mono - now_mono + 999) / 1000;
    return left > 24 * 3600 ? 24 * 3600 : (int)left;
}

void ui_bad_scan_message(enum ui_lang lang, enum paycode_status st, char *buf, size_t len)
{
    snprintf(buf, len, text(lang, T_BAD_SCAN), text_paycode_reason(lang, st));
}
