/*
 * loop.c - live payments, their timers and the one poll().
 *
 * Each live payment carries a queue of the engine's actions still to carry out. The queue
 * only moves past an ENGINE_JOURNAL action once the journal has committed it, so a full or
 * failing disk holds the payment where it is - nothing is sent, nothing is shown - until
 * the write succeeds. That is the write-ahead rule, enforced in one place.
 */
#include "loop.h"

#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "money.h"
#include "order_no.h"
#include "paycode.h"

#define QUEUE_MAX 32
#define JOURNAL_RETRY_MS 1000
#define POLL_FDS_MAX 96 /* the gateway's sockets (64 at most), the scanner's, the front's */
#define RESUME_SPACING_MS 20

struct live {
    struct payment p;
    struct engine_action queue[QUEUE_MAX];
    int head, tail;       /* actions [head, tail) still to carry out */
    int64_t retry_at;     /* blocked on a journal write: when to try again (0 = not blocked) */
    const char *event;    /* name of the last transition journaled, for the observer */
    int64_t resume_at;    /* loaded from the journal: when to resume it (0 = running) */
    bool submit_failed;   /* the gateway client refused the last request outright */
    enum gw_op failed_op;
};

struct loop {
    const struct config *cfg;
    struct journal *journal;
    char journal_problem[512];
    struct gateway *gateway;
    struct scanner *scanner;
    struct loop_clock clock;
    struct loop_observer obs;

    struct live *lives; /* every unresolved payment, plus the current one */
    int nlives, cap;
    int current;        /* index into lives, or -1 */

    char last_code[AUTH_CODE_MAX + 1];
    int64_t last_code_at;
    bool reachable;
    const char *crash_after; /* test builds: SIGKILL right after this journal event */
};

static int64_t system_mono(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t system_wall(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_mono(const struct loop *l) { return l->clock.mono(l->clock.ctx); }
static int64_t now_wall(const struct loop *l) { return l->clock.wall(l->clock.ctx); }

/* Tells the observer: m names the note and its values, fmt words it in English. */
static void say(struct loop *l, struct loop_message m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(struct loop *l, struct loop_message m, const char *fmt, ...)
{
    char text[768]; /* room for a journal problem naming a long path */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    m.text = text;
    if (m.journal != JOURNAL_OK)
        m.journal_reason = journal_status_reason(m.journal);
    if (l->obs.message)
        l->obs.message(l->obs.ctx, &m);
}

enum loop_status loop_open(struct loop **out, const struct config *cfg, struct journal *journal,
                           const char *journal_problem, struct gateway *gateway,
                           struct scanner *scanner, const struct loop_clock *clock,
                           const struct loop_observer *observer)
{
    struct loop *l = calloc(1, sizeof *l);
    *out = NULL;
    if (l == NULL)
        return LOOP_INVALID;
    l->cfg = cfg;
    l->journal = journal;
    snprintf(l->journal_problem, sizeof l->journal_problem, "%s",
             journal_problem ? journal_problem : "journal unavailable");
    l->gateway = gateway;
    l->scanner = scanner;
    l->clock = clock ? *clock : (struct loop_clock){system_mono, system_wall, NULL};
    if (observer)
        l->obs = *observer;
    l->current = -1;
    l->reachable = true;
#ifdef POSTERM_CRASH_POINTS
    l->crash_after = getenv("POSTERM_CRASH_AFTER");
#endif
    *out = l;
    return LOOP_OK;
}

void loop_close(struct loop *l)
{
    if (l == NULL)
        return;
    free(l->lives);
    free(l);
}

static struct live *live_add(struct loop *l)
{
    if (l->nlives == l->cap) {
        int cap = l->cap ? l->cap * 2 : 16;
        struct live *n = realloc(l->lives, (size_t)cap * sizeof *n);
        if (n == NULL)
            return NULL;
        l->lives = n;
        l->cap = cap;
    }
    struct live *lv = &l->lives[l->nlives++];
    memset(lv, 0, sizeof *lv);
    return lv;
}

/* Drops finished background payments; the current one stays for the result screen. */
static void live_sweep(struct loop *l)
{
    int w = 0;
    for (int r = 0; r < l->nlives; r++) {
        struct live *lv = &l->lives[r];
        bool done = !pay_state_unresolved(lv->p.state) && lv->head == lv->tail;
        if (done && r != l->current)
            continue;
        if (r == l->current)
            l->current = w;
        if (w != r)
            l->lives[w] = *lv;
        w++;
    }
    l->nlives = w;
}

/* Carries out queued actions until the queue is empty or a journal write fails. */
static void run_queue(struct loop *l, struct live *lv)
{
    while (lv->head < lv->tail) {
        struct engine_action *a = &lv->queue[lv->head];
        switch (a->type) {
        case ENGINE_JOURNAL: {
            enum journal_status st = l->journal
                ? journal_save(l->journal, &lv->p, a->name, a->detail, now_wall(l))
                : JOURNAL_IO;
            if (st != JOURNAL_OK) {
                if (lv->retry_at == 0) {
                    const char *why = l->journal ? journal_last_error(l->journal)
                                                 : l->journal_problem;
                    say(l,
                        (struct loop_message){.note = LOOP_NOTE_JOURNAL_HELD, .level = LOOP_ERROR,
                                              .journal = st,
                                              .detail = why, .order_no = lv->p.order_no},
                        "journal: %s (%s); payment %s is held until it can be written",
                        journal_status_reason(st), why, lv->p.order_no);
                }
                lv->retry_at = now_mono(l) + JOURNAL_RETRY_MS;
                return;
            }
            if (lv->retry_at != 0)
                say(l,
                    (struct loop_message){.note = LOOP_NOTE_JOURNAL_BACK, .level = LOOP_INFO,
                                          .order_no = lv->p.order_no},
                    "journal writable again; payment %s goes on", lv->p.order_no);
            lv->retry_at = 0;
            lv->event = a->name;
#ifdef POSTERM_CRASH_POINTS
            /* Crash tests: die after the commit, before the action it precedes. */
            if (l->crash_after && strcmp(l->crash_after, a->name) == 0)
                raise(SIGKILL);
#endif
            break;
        }
        case ENGINE_SEND: {
            struct gw_request req;
            engine_request(&lv->p, a->op, &req);
            snprintf(req.subject, sizeof req.subject, "%s", l->cfg->subject);
            if (gateway_submit(l->gateway, &req) != GW_OK) {
                /* Answered as UNKNOWN on the next turn of the loop, never recursively. */
                lv->submit_failed = true;
                lv->failed_op = a->op;
                say(l,
                    (struct loop_message){.note = LOOP_NOTE_NOT_SENT, .level = LOOP_ERROR,
                                          .order_no = lv->p.order_no},
                    "payment %s: the gateway client could not send the request", lv->p.order_no);
            }
            break;
        }
        case ENGINE_TIMER:
            break; /* the timer lives in the payment (timer_at); the loop polls it */
        case ENGINE_SHOW:
            if (l->obs.payment_changed)
                l->obs.payment_changed(l->obs.ctx, &lv->p, lv->event ? lv->event : "");
            break;
        }
        lv->head++;
    }
    lv->head = lv->tail = 0;
}

/* Runs one engine step on a live payment and queues what it asks for. */
static enum engine_status step(struct loop *l, struct live *lv, struct engine_event *ev)
{
    struct engine_actions acts;
    ev->now = now_mono(l);
    ev->wall = now_wall(l);
    enum engine_status st = engine_step(&lv->p, &l->cfg->policy, ev, &acts);
    if (st != ENGINE_OK)
        return st;
    if (lv->head == lv->tail)
        lv->head = lv->tail = 0;
    for (int i = 0; i < acts.n; i++) {
        if (lv->tail == QUEUE_MAX) {
            /* Cannot happen with a working disk; with a dead one, keep the newest state
             * and let the journal catch up with it. */
            say(l,
                (struct loop_message){.note = LOOP_NOTE_QUEUE_FULL, .level = LOOP_ERROR,
                                      .order_no = lv->p.order_no},
                "payment %s: too many actions waiting for the journal", lv->p.order_no);
            break;
        }
        lv->queue[lv->tail++] = acts.a[i];
    }
    if (lv->retry_at == 0)
        run_queue(l, lv);
    return ENGINE_OK;
}

static struct live *find_live(struct loop *l, const char *order_no)
{
    for (int i = 0; i < l->nlives; i++)
        if (strcmp(l->lives[i].p.order_no, order_no) == 0)
            return &l->lives[i];
    return NULL;
}

static int unresolved_count(const struct loop *l)
{
    int n = 0;
    for (int i = 0; i < l->nlives; i++)
        if (i != l->current && pay_state_unresolved(l->lives[i].p.state))
            n++;
    return n;
}

struct recover_ctx {
    struct loop *l;
    int count;
    bool failed;
};

static int recover_one(void *ctx, const struct payment *p)
{
    struct recover_ctx *rc = ctx;
    struct live *lv = live_add(rc->l);
    if (lv == NULL) {
        rc->failed = true;
        return 1;
    }
    lv->p = *p;
    rc->count++;
    return 0;
}

enum loop_status loop_recover(struct loop *l, int *count)
{
    *count = 0;
    if (l->journal == NULL) {
        say(l,
            (struct loop_message){.note = LOOP_NOTE_JOURNAL_UNUSABLE, .level = LOOP_ERROR,
                                  .detail = l->journal_problem},
            "%s", l->journal_problem);
        return LOOP_JOURNAL;
    }
    struct recover_ctx rc = {l, 0, false};
    enum journal_status st = journal_each_unresolved(l->journal, recover_one, &rc);
    if (rc.failed) {
        say(l, (struct loop_message){.note = LOOP_NOTE_RECOVER_NO_MEMORY, .level = LOOP_ERROR},
            "journal: cannot read unresolved payments: out of memory");
        return LOOP_JOURNAL;
    }
    if (st != JOURNAL_OK) {
        say(l,
            (struct loop_message){.note = LOOP_NOTE_RECOVER_FAILED, .level = LOOP_ERROR,
                                  .journal = st},
            "journal: cannot read unresolved payments: %s", journal_status_reason(st));
        return LOOP_JOURNAL;
    }
    /* Loaded now, resumed from the loop's first turns, a few milliseconds apart: each resume
     * is a commit and a signed request, and a hundred of them at once would keep the
     * cashier waiting after a power cut. */
    int64_t now = now_mono(l);
    for (int i = l->nlives - rc.count, k = 0; i < l->nlives; i++, k++)
        l->lives[i].resume_at = now + (int64_t)k * RESUME_SPACING_MS;
    *count = rc.count;
    if (rc.count)
        say(l,
            (struct loop_message){.note = LOOP_NOTE_RESUMING, .level = LOOP_INFO,
                                  .count = rc.count},
            "resuming %d unresolved payment%s", rc.count, rc.count == 1 ? "" : "s");
    live_sweep(l);
    return LOOP_OK;
}

static bool current_busy(const struct loop *l)
{
    return l->current >= 0 && pay_state_unresolved(l->lives[l->current].p.state);
}

/* Local calendar day, for the order number. */
static int local_yyyymmdd(int64_t wall_ms)
{
    time_t t = (time_t)(wall_ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

enum loop_status loop_start_payment(struct loop *l, int64_t amount_fen)
{
    if (l->journal == NULL) {
        say(l,
            (struct loop_message){.note = LOOP_NOTE_NO_JOURNAL, .level = LOOP_ERROR,
                                  .detail = l->journal_problem},
            "cannot take payments: %s", l->journal_problem);
        return LOOP_JOURNAL;
    }
    if (current_busy(l)) {
        say(l, (struct loop_message){.note = LOOP_NOTE_BUSY, .level = LOOP_WARN},
            "a payment is under way: finish or abort it first");
        return LOOP_BUSY;
    }
    if (amount_fen <= 0 || amount_fen > l->cfg->max_amount_fen) {
        enum money_status why = amount_fen <= 0 ? MONEY_ZERO : MONEY_ABOVE_MAX;
        say(l, (struct loop_message){.note = LOOP_NOTE_BAD_AMOUNT, .level = LOOP_WARN, .money = why},
            "%s", money_status_reason(why));
        return LOOP_INVALID;
    }
    /* A payment held by a failing journal means the disk is not taking writes. */
    for (int i = 0; i < l->nlives; i++) {
        if (l->lives[i].retry_at != 0) {
            say(l, (struct loop_message){.note = LOOP_NOTE_JOURNAL_STUCK, .level = LOOP_ERROR},
                "cannot take payments until the journal can be written");
            return LOOP_JOURNAL;
        }
    }

    int day = local_yyyymmdd(now_wall(l));
    uint32_t seq;
    enum journal_status js = journal_next_order_seq(l->journal, &seq);
    char order_no[ORDER_NO_MAX + 1];
    if (js != JOURNAL_OK) {
        say(l,
            (struct loop_message){.note = LOOP_NOTE_ORDER_SEQ_FAILED, .level = LOOP_ERROR,
                                  .journal = js,
                                  .detail = journal_last_error(l->journal)},
            "journal: %s (%s)", journal_status_reason(js), journal_last_error(l->journal));
        return LOOP_JOURNAL;
    }
    if (!order_no_format(l->cfg->terminal_id, day, seq, order_no)) {
        say(l,
            (struct loop_message){.note = LOOP_NOTE_BAD_TERMINAL_ID, .level = LOOP_ERROR,
                                  .detail = l->cfg->terminal_id},
            "cannot form an order number from terminal id %s", l->cfg->terminal_id);
        return LOOP_INVALID;
    }

    live_sweep(l);
    l->current = -1;
    struct live *lv = live_add(l);
    if (lv == NULL) {
        say(l, (struct loop_message){.note = LOOP_NOTE_NO_MEMORY, .level = LOOP_ERROR},
            "out of memory");
        return LOOP_INVALID;
    }
    l->current = (int)(lv - l->lives);
    struct engine_event ev = {.type = EV_CREATE, .order_no = order_no, .amount_fen = amount_fen};
    if (step(l, lv, &ev) != ENGINE_OK) {
        l->nlives--;
        l->current = -1;
        return LOOP_INVALID;
    }
    if (lv->retry_at != 0) {
        /* The order could not even be journaled: drop it, nothing left the terminal. */
        l->nlives--;
        l->current = -1;
        return LOOP_JOURNAL;
    }
    return LOOP_OK;
}

enum loop_status loop_scan(struct loop *l, const char *code)
{
    enum pay_channel channel;
    enum paycode_status ps = paycode_channel(code, &channel);
    char masked[AUTH_CODE_MAX + 1];
    if (ps != PAYCODE_OK) {
        say(l, (struct loop_message){.note = LOOP_NOTE_BAD_SCAN, .level = LOOP_WARN, .paycode = ps},
            "bad scan: %s", paycode_status_reason(ps));
        return LOOP_INVALID;
    }
    paycode_mask(code, masked, sizeof masked);

    int64_t now = now_mono(l);
    if (strcmp(code, l->last_code) == 0 && now - l->last_code_at < l->cfg->scanner.dedupe_ms)
        return LOOP_DUPLICATE;
    snprintf(l->last_code, sizeof l->last_code, "%s", code);
    l->last_code_at = now;

    if (l->current < 0 || l->lives[l->current].p.state != PAY_NEW) {
        if (current_busy(l)) {
            say(l,
                (struct loop_message){.note = LOOP_NOTE_SCAN_WHILE_BUSY, .level = LOOP_WARN,
                                      .code = masked},
                "scan %s refused: a payment is already under way", masked);
            return LOOP_BUSY;
        }
        say(l,
            (struct loop_message){.note = LOOP_NOTE_SCAN_BEFORE_AMOUNT, .level = LOOP_WARN,
                                  .code = masked},
            "scan %s ignored: enter the amount first", masked);
        return LOOP_IDLE;
    }
    const struct gw_channel_config *cc =
        channel == CHANNEL_WECHAT ? &l->cfg->gateway.wechat : &l->cfg->gateway.alipay;
    if (!cc->enabled) {
        say(l,
            (struct loop_message){.note = LOOP_NOTE_CHANNEL_OFF, .level = LOOP_WARN,
                                  .channel = channel},
            "%s is not set up on this terminal", channel == CHANNEL_WECHAT ? "WeChat Pay" : "Alipay");
        return LOOP_INVALID;
    }
    struct live *lv = &l->lives[l->current];
    struct engine_event ev = {.type = EV_SCAN, .code = code, .channel = channel};
    if (step(l, lv, &ev) != ENGINE_OK)
        return LOOP_INVALID;
    if (lv->retry_at != 0) {
        /* The intent is not on disk, so the pay must not go out: undo the scan. */
        lv->p.state = PAY_NEW;
        lv->p.auth_code[0] = '\0';
        lv->p.in_flight = false;
        lv->head = lv->tail = 0;
        lv->retry_at = 0;
        l->last_code[0] = '\0';
        return LOOP_JOURNAL;
    }
    return LOOP_OK;
}

enum loop_status loop_abort(struct loop *l)
{
    if (l->current < 0)
        return LOOP_IDLE;
    struct live *lv = &l->lives[l->current];
    struct engine_event ev = {.type = EV_ABORT};
    return step(l, lv, &ev) == ENGINE_OK ? LOOP_OK : LOOP_IDLE;
}

enum loop_status loop_refund(struct loop *l, const char *order_no, int64_t amount_fen)
{
    if (l->journal == NULL) {
        say(l,
            (struct loop_message){.note = LOOP_NOTE_REFUND_NO_JOURNAL, .level = LOOP_ERROR,
                                  .detail = l->journal_problem},
            "cannot refund: %s", l->journal_problem);
        return LOOP_JOURNAL;
    }
    struct live *lv = find_live(l, order_no);
    if (lv == NULL) {
        struct payment p;
        enum journal_status js = journal_load(l->journal, order_no, &p);
        if (js == JOURNAL_NOT_FOUND) {
            say(l,
                (struct loop_message){.note = LOOP_NOTE_REFUND_NO_ORDER, .level = LOOP_WARN,
                                      .order_no = order_no},
                "no order %s", order_no);
            return LOOP_NOT_FOUND;
        }
        if (js != JOURNAL_OK) {
            say(l,
                (struct loop_message){.note = LOOP_NOTE_REFUND_JOURNAL, .level = LOOP_ERROR,
                                      .journal = js},
                "journal: %s", journal_status_reason(js));
            return LOOP_JOURNAL;
        }
        lv = live_add(l);
        if (lv == NULL)
            return LOOP_INVALID;
        lv->p = p;
    }
    if (lv->p.state != PAY_PAID && lv->p.state != PAY_REFUNDING) {
        say(l,
            (struct loop_message){.note = LOOP_NOTE_REFUND_NOT_PAID, .level = LOOP_WARN,
                                  .order_no = order_no, .state = lv->p.state},
            "order %s is %s: only a paid order can be refunded", order_no,
            pay_state_name(lv->p.state));
        return LOOP_INVALID;
    }
    if (amount_fen <= 0 || amount_fen > lv->p.amount_fen - lv->p.refunded_fen) {
        int64_t left_fen = lv->p.amount_fen - lv->p.refunded_fen;
        char left[MONEY_TEXT_MAX];
        say(l,
            (struct loop_message){.note = LOOP_NOTE_REFUND_ABOVE, .level = LOOP_WARN,
                                  .amount_fen = left_fen},
            "refund must be above 0.00 and at most %s", money_format(left_fen, left));
        return LOOP_INVALID;
    }
    /* The request number is derived from what the journal already holds, so retrying the
     * same refund after a crash reuses the same number (the gateway's idempotency key). */
    char refund_no[ORDER_NO_MAX + 1];
    if (lv->p.state == PAY_REFUNDING) {
        snprintf(refund_no, sizeof refund_no, "%s", lv->p.refund_no);
    } else {
        /* refund_no holds the last refund sent ("<order>R<n>"); the next is n + 1. */
        size_t ol = strlen(order_no);
        unsigned n = lv->p.refund_no[0] ? (unsigned)strtoul(lv->p.refund_no + ol + 1, NULL, 10) + 1 : 1;
        if (!refund_no_format(order_no, n, refund_no)) {
            say(l,
                (struct loop_message){.note = LOOP_NOTE_REFUND_TOO_MANY, .level = LOOP_ERROR,
                                      .order_no = order_no},
                "order %s: too many refunds", order_no);
            return LOOP_INVALID;
        }
    }
    struct engine_event ev = {.type = EV_REFUND, .refund_no = refund_no, .refund_fen = amount_fen};
    enum engine_status st = step(l, lv, &ev);
    if (st != ENGINE_OK) {
        say(l,
            (struct loop_message){.note = LOOP_NOTE_REFUND_REFUSED, .level = LOOP_WARN,
                                  .engine = st},
            "refund refused: %s", engine_status_reason(st));
        return LOOP_INVALID;
    }
    return lv->retry_at != 0 ? LOOP_JOURNAL : LOOP_OK;
}

const struct payment *loop_current(const struct loop *l)
{
    return l->current >= 0 ? &l->lives[l->current].p : NULL;
}

int loop_background(const struct loop *l) { return unresolved_count(l); }

int64_t loop_now(const struct loop *l) { return now_mono(l); }

int64_t loop_cancel_at(const struct loop *l)
{
    const struct payment *p = loop_current(l);
    return p ? engine_cancel_deadline(p, &l->cfg->policy) : 0;
}

bool loop_gateway_reachable(const struct loop *l) { return l->reachable; }

struct journal *loop_journal(const struct loop *l) { return l->journal; }

const char *loop_scanner_status(const struct loop *l, bool *connected)
{
    if (l->scanner == NULL) {
        /* Codes come from the keyboard: the screen says no scanner is connected and that
         * typing works. */
        *connected = false;
        return "";
    }
    *connected = scanner_connected(l->scanner);
    return scanner_status_line(l->scanner);
}

/* Every finished code goes the way a typed one does: validated, de-duplicated, refused
 * with a message while a payment is under way. */
static void deliver_scans(struct loop *l)
{
    struct scan_code code;
    while (scanner_next_code(l->scanner, &code))
        (void)loop_scan(l, code.text);
}

static void deliver_replies(struct loop *l)
{
    struct gw_reply r;
    for (int i = 0; i < l->nlives; i++) {
        struct live *lv = &l->lives[i];
        if (!lv->submit_failed)
            continue;
        lv->submit_failed = false;
        memset(&r, 0, sizeof r);
        r.op = lv->failed_op;
        r.channel = lv->p.channel;
        r.kind = GW_UNKNOWN;
        snprintf(r.order_no, sizeof r.order_no, "%s", lv->p.order_no);
        snprintf(r.reason, sizeof r.reason, "request not sent");
        struct engine_event ev = {.type = EV_REPLY, .reply = &r};
        step(l, lv, &ev);
    }
    while (gateway_next_reply(l->gateway, &r)) {
        l->reachable = !r.unreachable;
        struct live *lv = find_live(l, r.order_no);
        if (lv == NULL)
            continue; /* a reply for a payment that already ended: nothing waits for it */
        struct engine_event ev = {.type = EV_REPLY, .reply = &r};
        step(l, lv, &ev);
    }
}

static void fire_timers(struct loop *l)
{
    int64_t now = now_mono(l);
    for (int i = 0; i < l->nlives; i++) {
        struct live *lv = &l->lives[i];
        if (lv->retry_at != 0) {
            if (now >= lv->retry_at)
                run_queue(l, lv);
            continue;
        }
        if (lv->resume_at != 0) {
            if (now >= lv->resume_at) {
                lv->resume_at = 0;
                struct engine_event ev = {.type = EV_RESUME};
                step(l, lv, &ev);
            }
            continue;
        }
        if (lv->p.timer_at != 0 && now >= lv->p.timer_at) {
            struct engine_event ev = {.type = EV_TIMER};
            step(l, lv, &ev);
        }
    }
}

static int64_t next_deadline(const struct loop *l)
{
    int64_t next = 0;
    for (int i = 0; i < l->nlives; i++) {
        const struct live *lv = &l->lives[i];
        int64_t at = lv->retry_at ? lv->retry_at : lv->resume_at ? lv->resume_at : lv->p.timer_at;
        if (at != 0 && (next == 0 || at < next))
            next = at;
    }
    return next;
}

int loop_poll(struct loop *l, struct pollfd *extra, int nextra, int64_t max_wait_ms)
{
    struct pollfd fds[POLL_FDS_MAX];
    if (nextra > POLL_FDS_MAX / 2)
        nextra = POLL_FDS_MAX / 2;
    for (int i = 0; i < nextra; i++)
        fds[i] = extra[i];

    int64_t wait = max_wait_ms;
    int ngw = gateway_pollfds(l->gateway, fds + nextra, POLL_FDS_MAX - nextra, &wait);
    int nsc = 0;
    if (l->scanner) {
        int64_t scan_wait = -1;
        nsc = scanner_pollfds(l->scanner, fds + nextra + ngw, POLL_FDS_MAX - nextra - ngw,
                              &scan_wait);
        if (scan_wait >= 0 && scan_wait < wait)
            wait = scan_wait;
    }
    int64_t deadline = next_deadline(l);
    if (deadline != 0) {
        int64_t until = deadline - now_mono(l);
        if (until < wait)
            wait = until < 0 ? 0 : until;
    }
    int n = poll(fds, (nfds_t)(nextra + ngw + nsc), (int)wait);
    if (n < 0 && errno != EINTR)
        return -1;
    if (n <= 0)
        for (int i = 0; i < nextra + ngw + nsc; i++)
            fds[i].revents = 0;

    gateway_perform(l->gateway, n > 0 ? fds + nextra : NULL, n > 0 ? ngw : 0);
    deliver_replies(l);
    if (l->scanner) {
        scanner_process(l->scanner, fds + nextra + ngw, nsc, now_mono(l));
        deliver_scans(l);
    }
    fire_timers(l);
    live_sweep(l);

    int ready = 0;
    for (int i = 0; i < nextra; i++) {
        extra[i].revents = fds[i].revents;
        if (extra[i].revents)
            ready++;
    }
    return ready;
}
