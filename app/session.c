/*
 * session.c - sign-in, shift and sign-out (session.h).
 */
#include "session.h"

#include <string.h>

#include "pin.h"
#include "pin_locks.h"

void session_init(struct session *s, const struct config *cfg, struct journal *journal)
{
    memset(s, 0, sizeof *s);
    s->cfg = cfg;
    s->journal = journal;
}

bool session_required(const struct session *s)
{
    return s->cfg->cashier_count > 0;
}

bool session_may_work(const struct session *s)
{
    return !session_required(s) || s->signed_in;
}

void session_restore_lock(struct session *s, int64_t now_ms)
{
    int64_t until = 0;
    if (s->journal && pin_lock_read(s->journal, PIN_LOCK_SIGNIN, &until) == JOURNAL_OK)
        pin_tries_resume(&s->tries, until, now_ms, now_ms, SESSION_LOCK_MS);
}

int64_t session_locked_for(const struct session *s, int64_t now_ms)
{
    return pin_tries_locked_for(&s->tries, now_ms);
}

const char *session_cashier_name(const struct session *s)
{
    return s->signed_in ? s->shift.name : "";
}

/* The shift to work in: the cashier's own one left open, else a new one (ending another's). */
static enum journal_status take_shift(struct session *s, const struct config_cashier *c,
                                      int64_t now_ms)
{
    struct shift open;
    enum journal_status st = shift_current(s->journal, &open);
    if (st == JOURNAL_OK && strcmp(open.cashier, c->id) == 0) {
        s->shift = open;
        return JOURNAL_OK;
    }
    if (st == JOURNAL_OK)
        st = shift_end(s->journal, &open, now_ms);
    if (st != JOURNAL_OK && st != JOURNAL_NOT_FOUND)
        return st;
    return shift_start(s->journal, c->id, c->name, now_ms, &s->shift);
}

enum session_status session_sign_in(struct session *s, const char *id, const char *pin,
                                    int64_t now_ms)
{
    if (!session_required(s))
        return SESSION_NOT_NEEDED;
    if (s->signed_in)
        return SESSION_BUSY;
    if (session_locked_for(s, now_ms) > 0)
        return SESSION_LOCKED;
    const struct config_cashier *c = config_cashier(s->cfg, id);
    /* An unknown id costs the same KDF as a known one, so timing does not tell ids apart. */
    enum pin_status ps = pin_verify(pin, c ? c->pin_hash : s->cfg->cashiers[0].pin_hash);
    if (c == NULL || ps != PIN_OK) {
        /* The lock's end outlives a restart; a journal that cannot take it still has it here. */
        if (pin_tries_wrong(&s->tries, now_ms, SESSION_LOCK_MS) == 0 && s->journal)
            (void)pin_lock_write(s->journal, PIN_LOCK_SIGNIN, s->tries.locked_until);
        return SESSION_UNKNOWN;
    }
    pin_tries_right(&s->tries);
    if (s->journal == NULL || take_shift(s, c, now_ms) != JOURNAL_OK)
        return SESSION_NO_JOURNAL;
    s->signed_in = true;
    journal_set_cashier(s->journal, c->id);
    return SESSION_OK;
}

enum session_status session_sign_out(struct session *s, int64_t now_ms, struct shift *ended)
{
    if (!s->signed_in)
        return SESSION_SIGNED_OUT;
    if (shift_end(s->journal, &s->shift, now_ms) != JOURNAL_OK)
        return SESSION_NO_JOURNAL;
    *ended = s->shift;
    s->signed_in = false;
    journal_set_cashier(s->journal, NULL);
    return SESSION_OK;
}

const char *session_status_reason(enum session_status st)
{
    switch (st) {
    case SESSION_OK: return "ok";
    case SESSION_UNKNOWN: return "unknown cashier or wrong PIN";
    case SESSION_LOCKED: return "too many wrong PINs: sign-in locked for a while";
    case SESSION_NOT_NEEDED: return "no cashiers are configured: nobody signs in";
    case SESSION_SIGNED_OUT: return "nobody is signed in";
    case SESSION_BUSY: return "a cashier is signed in already: sign out first";
    case SESSION_NO_JOURNAL: return "the journal is unavailable: the shift cannot be recorded";
    }
    return "?";
}
