/*
 * view.c - words for a payment's state and phase; arithmetic for the refund limit.
 */
#include "view.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "money.h"
#include "paycode.h"

enum text_id view_progress(const struct payment *p)
{
    switch (p->state) {
    case PAY_NEW: return T_ST_WAITING_CODE;
    case PAY_PAYING: return p->abort_requested ? T_ST_ABORTING : T_ST_SENDING;
    case PAY_QUERYING:
        if (p->abort_requested)
            return T_ST_ABORTING;
        return p->customer_confirming ? T_ST_CONFIRMING : T_ST_CHECKING;
    case PAY_CANCELLING: return p->cancels > 1 ? T_ST_CANCEL_RETRY : T_ST_CANCELLING;
    case PAY_REFUNDING: return T_ST_REFUNDING;
    case PAY_PAID:
    case PAY_FAILED:
    case PAY_CANCELLED:
    case PAY_REFUNDED:
    case PAY_REFERRED: break;
    }
    return T_ST_DONE;
}

bool view_shows_countdown(const struct payment *p, int countdown_s)
{
    return countdown_s > 0 && !p->abort_requested &&
           (p->state == PAY_PAYING || p->state == PAY_QUERYING);
}

void view_cancel_wait(const struct payment *p, int wait_s, int min_cancel_s, enum ui_lang lang,
                      char *buf, size_t len)
{
    if (p->channel == CHANNEL_WECHAT && min_cancel_s == VIEW_WECHAT_MIN_CANCEL_S)
        snprintf(buf, len, text(lang, T_ST_CANCEL_WAIT), wait_s, text_channel(lang, p->channel),
                 min_cancel_s);
    else
        snprintf(buf, len, text(lang, T_ST_CANCEL_WAIT_TILL), wait_s, min_cancel_s);
}

void view_countdown(int seconds, char buf[VIEW_COUNTDOWN_MAX])
{
    if (seconds < 0)
        seconds = 0;
    snprintf(buf, VIEW_COUNTDOWN_MAX, "%d:%02d", seconds / 60, seconds % 60);
}

enum text_id view_headline(const struct payment *p)
{
    switch (p->state) {
    case PAY_PAID: return T_RES_PAID;
    case PAY_FAILED: return T_RES_FAILED;
    case PAY_CANCELLED: return T_RES_CANCELLED;
    case PAY_REFUNDED: return T_RES_REFUNDED;
    case PAY_REFERRED: return T_RES_REFERRED;
    case PAY_NEW:
    case PAY_PAYING:
    case PAY_QUERYING:
    case PAY_CANCELLING:
    case PAY_REFUNDING: break;
    }
    return T_RES_UNRESOLVED;
}

enum pay_cause view_cause(const struct payment *p)
{
    if (p->last_cause == PAY_CAUSE_NONE && p->last_error[0] != '\0')
        return PAY_CAUSE_OTHER;
    return p->last_cause;
}

bool view_not_started(const struct payment *p)
{
    return pay_not_started(p);
}

enum text_id view_state(const struct payment *p)
{
    switch (p->state) {
    case PAY_NEW: return T_STATE_NEW;
    case PAY_PAYING: return T_STATE_PAYING;
    case PAY_QUERYING: return T_STATE_QUERYING;
    case PAY_CANCELLING: return T_STATE_CANCELLING;
    case PAY_PAID: return T_STATE_PAID;
    case PAY_FAILED: return view_not_started(p) ? T_STATE_NOT_STARTED : T_STATE_FAILED;
    case PAY_CANCELLED: return p->cancel_refunded ? T_STATE_CANCELLED_RETURNED : T_STATE_CANCELLED;
    case PAY_REFUNDING: return T_STATE_REFUNDING;
    case PAY_REFUNDED: return T_STATE_REFUNDED;
    case PAY_REFERRED: return T_STATE_REFERRED;
    }
    return T_STATE_NEW;
}

void view_code(const struct payment *p, char out[AUTH_CODE_MAX + 1])
{
    paycode_mask(p->auth_code[0] != '\0' ? p->auth_code : p->code_last4, out, AUTH_CODE_MAX + 1);
}

int64_t view_refundable(const struct payment *p, enum text_id *why_not)
{
    switch (p->state) {
    case PAY_PAID:
        if (p->amount_fen - p->refunded_fen > 0)
            return p->amount_fen - p->refunded_fen;
        *why_not = T_REF_FULLY;
        return 0;
    case PAY_REFUNDING: *why_not = T_REF_IN_PROGRESS; return 0;
    case PAY_REFUNDED: *why_not = T_REF_FULLY; return 0;
    case PAY_NEW:
    case PAY_PAYING:
    case PAY_QUERYING:
    case PAY_CANCELLING:
    case PAY_FAILED:
    case PAY_CANCELLED:
    case PAY_REFERRED: break;
    }
    *why_not = T_REF_NOT_PAID;
    return 0;
}

bool view_refund_amount(const struct payment *p, const char *typed, enum ui_lang lang, int64_t *fen,
                        char *err, size_t errlen)
{
    enum text_id why_not;
    int64_t limit = view_refundable(p, &why_not);
    if (limit <= 0) {
        snprintf(err, errlen, "%s", text(lang, why_not));
        return false;
    }
    if (typed[0] == '\0') {
        *fen = limit;
        return true;
    }
    /* No maximum here: above the limit deserves its own sentence, not "above the terminal's
     * maximum". */
    int64_t want;
    enum money_status st = money_parse(typed, 0, &want);
    if (st != MONEY_OK) {
        snprintf(err, errlen, "%s", text_money_reason(lang, st));
        return false;
    }
    if (want > limit) {
        char most[MONEY_TEXT_MAX];
        snprintf(err, errlen, text(lang, T_REF_ABOVE), money_format(limit, most));
        return false;
    }
    *fen = want;
    return true;
}

enum text_id view_event(const char *name)
{
    static const struct {
        const char *name;
        enum text_id id;
    } events[] = {
        {"created", T_EV_CREATED},
        {"pay_intent", T_EV_PAY_INTENT},
        {"paid", T_EV_PAID},
        {"pay_failed", T_EV_PAY_FAILED},
        {"pay_confirming", T_EV_PAY_CONFIRMING},
        {"pay_unknown", T_EV_PAY_UNKNOWN},
        {"abort_requested", T_EV_ABORT_REQUESTED},
        {"aborted", T_EV_ABORTED},
        {"cancel_decided", T_EV_CANCEL_DECIDED},
        {"cancel_refused", T_EV_CANCEL_REFUSED},
        {"cancelled", T_EV_CANCELLED},
        {"paid_cancel_refused", T_EV_PAID_CANCEL_REFUSED},
        {"refund_requested", T_EV_REFUND_REQUESTED},
        {"refunded", T_EV_REFUNDED},
        {"refund_failed", T_EV_REFUND_FAILED},
        {"resumed", T_EV_RESUMED},
        {"referred", T_EV_REFERRED},
    };
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++)
        if (strcmp(name, events[i].name) == 0)
            return events[i].id;
    return T__COUNT;
}

void view_time(int64_t unix_ms, char buf[VIEW_TIME_MAX])
{
    time_t t = (time_t)(unix_ms / 1000);
    struct tm tm;
    if (unix_ms <= 0 || localtime_r(&t, &tm) == NULL) {
        snprintf(buf, VIEW_TIME_MAX, "--:--:--");
        return;
    }
    snprintf(buf, VIEW_TIME_MAX, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void view_day(int yyyymmdd, char buf[VIEW_TIME_MAX])
{
    snprintf(buf, VIEW_TIME_MAX, "%04d-%02d-%02d", yyyymmdd / 10000, yyyymmdd / 100 % 100,
             yyyymmdd % 100);
}
