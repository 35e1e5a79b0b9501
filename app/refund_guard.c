/*
 * refund_guard.c - limits and the supervisor's PIN before a refund (refund_guard.h).
 */
#include "refund_guard.h"

#include <stdio.h>
#include <time.h>

#include "money.h"
#include "pin.h"
#include "pin_locks.h"
#include "reports.h"

void refund_guard_init(struct refund_guard *g, const struct config_refund *rules)
{
    g->rules = rules;
    g->tries = (struct pin_tries){0};
}

void refund_guard_restore(struct refund_guard *g, struct journal *j, int64_t now_mono,
                          int64_t now_wall_ms)
{
    int64_t until = 0;
    if (j == NULL || pin_lock_read(j, PIN_LOCK_REFUND, &until) != JOURNAL_OK)
        return;
    pin_tries_resume(&g->tries, until, now_wall_ms, now_mono, REFUND_PIN_LOCK_MS);
}

bool refund_guard_needs_pin(const struct refund_guard *g)
{
    return g->rules && g->rules->supervisor_pin_hash[0] != '\0';
}

/* The lock, if it still holds at now. */
static bool locked(const struct refund_guard *g, int64_t now, struct refund_decision *d)
{
    int64_t left = pin_tries_locked_for(&g->tries, now);
    if (left == 0)
        return false;
    d->verdict = REFUND_PIN_LOCKED;
    d->locked_s = (int)((left + 999) / 1000);
    return true;
}

struct refund_decision refund_guard_check(struct refund_guard *g, struct journal *j,
                                          int64_t amount_fen, const char *pin, int64_t now_mono,
                                          int64_t now_wall)
{
    struct refund_decision d = {.verdict = REFUND_ALLOWED};
    const struct config_refund *r = g->rules;
    if (r == NULL)
        return d;
    if (refund_guard_needs_pin(g) && locked(g, now_mono, &d))
        return d;
    if (r->max_fen > 0 && amount_fen > r->max_fen) {
        d.verdict = REFUND_ABOVE_MAX;
        d.limit_fen = r->max_fen;
        return d;
    }
    if (r->max_day_fen > 0) {
        int64_t from, to, done = 0;
        int day;
        report_local_day(now_wall, &from, &to, &day);
        if (j == NULL || report_refunds_sum(j, from, to, &done) != JOURNAL_OK) {
            d.verdict = REFUND_NO_JOURNAL;
            return d;
        }
        if (done + amount_fen > r->max_day_fen) {
            d.verdict = REFUND_ABOVE_DAY;
            d.limit_fen = r->max_day_fen;
            d.left_fen = r->max_day_fen > done ? r->max_day_fen - done : 0;
            return d;
        }
    }
    return refund_guard_pin(g, j, pin, now_mono, now_wall);
}

struct refund_decision refund_guard_pin(struct refund_guard *g, struct journal *j, const char *pin,
                                        int64_t now_mono, int64_t now_wall)
{
    struct refund_decision d = {.verdict = REFUND_ALLOWED};
    if (!refund_guard_needs_pin(g) || locked(g, now_mono, &d))
        return d;
    if (pin == NULL || pin[0] == '\0') {
        d.verdict = REFUND_PIN_NEEDED;
        return d;
    }
    if (pin_verify(pin, g->rules->supervisor_pin_hash) != PIN_OK) {
        d.tries_left = pin_tries_wrong(&g->tries, now_mono, REFUND_PIN_LOCK_MS);
        if (d.tries_left == 0) {
            /* Best effort: a journal that cannot take it still has the lock in memory. */
            if (j != NULL)
                (void)pin_lock_write(j, PIN_LOCK_REFUND, now_wall * 1000 + REFUND_PIN_LOCK_MS);
            locked(g, now_mono, &d);
        } else
            d.verdict = REFUND_PIN_WRONG;
        return d;
    }
    pin_tries_right(&g->tries);
    d.approved = true;
    return d;
}

enum loop_status refund_guarded(struct refund_guard *g, struct loop *l, const char *order_no,
                                int64_t amount_fen, const char *key, const char *pin,
                                struct refund_decision *d)
{
    struct journal *j = loop_journal(l);
    *d = refund_guard_check(g, j, amount_fen, pin, loop_now(l), (int64_t)time(NULL));
    if (d->verdict != REFUND_ALLOWED)
        return LOOP_INVALID;
    if (j && d->approved)
        journal_set_refund_approver(j, REFUND_APPROVER);
    enum loop_status st = loop_refund(l, order_no, amount_fen, key);
    if (j)
        journal_set_refund_approver(j, NULL);
    return st;
}

const char *refund_decision_text(const struct refund_decision *d, char *buf, size_t len)
{
    char a[MONEY_TEXT_MAX], b[MONEY_TEXT_MAX];
    switch (d->verdict) {
    case REFUND_ALLOWED: snprintf(buf, len, "%s", ""); break;
    case REFUND_PIN_NEEDED:
        snprintf(buf, len, "refund refused: a supervisor's PIN is needed (refund ... pin NNNN)");
        break;
    case REFUND_PIN_WRONG:
        snprintf(buf, len,
                 "refund refused: wrong supervisor PIN (%d more tries before a %d s lock)",
                 d->tries_left, REFUND_PIN_LOCK_MS / 1000);
        break;
    case REFUND_PIN_LOCKED:
        snprintf(buf, len, "refund refused: too many wrong PINs; try again in %d s", d->locked_s);
        break;
    case REFUND_ABOVE_MAX:
        snprintf(buf, len, "refund refused: one refund may return at most %s",
                 money_format(d->limit_fen, a));
        break;
    case REFUND_ABOVE_DAY:
        snprintf(buf, len, "refund refused: today's refunds may total %s; %s is left",
                 money_format(d->limit_fen, a), money_format(d->left_fen, b));
        break;
    case REFUND_NO_JOURNAL:
        snprintf(buf, len, "refund refused: today's refunds could not be read from the journal");
        break;
    }
    return buf;
}
