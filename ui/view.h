/*
 * view.h - what the cashier is told about a payment, decided from the record alone.
 *
 * These are the screen's only judgements, and they are about words, never about state: which
 * sentence fits the payment's state and phase, whether a countdown is worth showing, what the
 * masked code looks like, how much of an order is still refundable. A success headline comes
 * only from PAY_PAID, which the engine sets only on a verified gateway reply.
 */
#ifndef POSTERM_UI_VIEW_H
#define POSTERM_UI_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "payment.h"
#include "text.h"
#include "ui.h"

/* The live status line of a payment (paying screen, refund screen). */
enum text_id view_progress(const struct payment *p);

/* The automatic-cancel countdown is shown only while the pay is undecided and the cashier has
 * not aborted (after an abort the cancel goes out as soon as allowed). */
bool view_shows_countdown(const struct payment *p, int countdown_s);

/* "0:42", "1:05", "12:00"; negative counts as 0. */
#define VIEW_COUNTDOWN_MAX 16
void view_countdown(int seconds, char buf[VIEW_COUNTDOWN_MAX]);

/* The result screen's headline: T_RES_PAID for PAY_PAID only. */
enum text_id view_headline(const struct payment *p);

/* After Esc, why the cancel waits wait_s more seconds: WeChat Pay's own rule (no cancel
 * sooner than 15 s after the payment) when the till waits exactly that, else the till's own
 * (policy.min_cancel_ms, min_cancel_s): Alipay has no such rule. */
#define VIEW_WECHAT_MIN_CANCEL_S 15
void view_cancel_wait(const struct payment *p, int wait_s, int min_cancel_s, enum ui_lang lang,
                      char *buf, size_t len);

/* The cause the screen words for p's last problem: its own, or OTHER for words journaled
 * without one (an older journal); NONE when there is nothing to explain. */
enum pay_cause view_cause(const struct payment *p);

/* True for an order that ended before any code was scanned (aborted, or a restart): nothing
 * was ever sent, so it is "not started", never "failed". */
bool view_not_started(const struct payment *p);

/* The state as the cashier calls it, in lists. */
enum text_id view_state(const struct payment *p);

/* The payment code as it may be shown: the masked full code while the payment is unresolved,
 * the last four digits behind stars after, "" when none is known. Never the full code. */
void view_code(const struct payment *p, char out[AUTH_CODE_MAX + 1]);

/* How much of p may still be refunded: amount paid less what was refunded. When nothing may
 * be, returns 0 and *why_not says why (T_REF_NOT_PAID, T_REF_IN_PROGRESS, T_REF_FULLY). */
int64_t view_refundable(const struct payment *p, enum text_id *why_not);

/* Checks a typed refund amount ("" = all that is refundable) against the limit. On success
 * *fen is the amount and err is untouched; otherwise err holds the reason in lang. */
bool view_refund_amount(const struct payment *p, const char *typed, enum ui_lang lang, int64_t *fen,
                        char *err, size_t errlen);

/* A journal event's name (engine.c's journal actions) as the cashier reads it; T__COUNT for
 * a name this build does not know (the screen then shows the name itself). */
enum text_id view_event(const char *name);

/* Local wall-clock "HH:MM:SS" of a unix-ms time ("--:--:--" for 0). */
#define VIEW_TIME_MAX 16
void view_time(int64_t unix_ms, char buf[VIEW_TIME_MAX]);

/* yyyymmdd as "yyyy-mm-dd". */
void view_day(int yyyymmdd, char buf[VIEW_TIME_MAX]);

#endif
