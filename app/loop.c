/*
 * loop.c - live payments, their timers and the one poll().
 *
 * Every engine step runs on a copy of the payment. When the step asks for a journal commit,
 * the copy is committed first and replaces the live payment only once the commit succeeded;
 * only then are its requests sent and its changes shown. A failed commit therefore leaves
 * the payment exactly as it was - no hand-written undo - and a reply that could not be
 * journaled is kept and stepped again each second until the disk takes it. That is the
 * write-ahead rule, enforced in one place (step()).
 */
#include "loop.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "loop_notes.h"
#include "money.h"
#include "order_no.h"
#include "paycode.h"

#define JOURNAL_RETRY_MS  1000
#define RECOVER_RETRY_MS  5000
#define CLOCK_SKEW_MAX_S  300 /* WeChat refuses a signature more than 5 minutes off */
#define POLL_FDS_MAX      160 /* gateway (64 at most), scanner, front, services (register: 65) */
#define RESUME_SPACING_MS 20
#define EARLY_CODE_MS     60000 /* a payment code is valid for one minute */

struct live {
    struct payment p;
    int64_t retry_at;    /* a commit failed: step nothing for it before then (0 = not held) */
    bool stuck;          /* its last commit failed (said once, and once when it succeeds) */
    bool has_held_reply; /* the reply whose step could not be committed, to step again */
    struct gw_reply held_reply;
    const char *event;  /* name of the last transition journaled, for the observer */
    int64_t resume_at;  /* loaded from the journal: when to resume it (0 = running) */
    int64_t sent_at;    /* monotonic ms the request out now was handed over (0 = none out) */
    uint32_t sent_id;   /* ... and its request id, whose reply ends the wait */
    bool submit_failed; /* the gateway client refused the last request outright */
    enum gw_op failed_op;
    uint32_t failed_id;
    char subject[128]; /* the register's description of the sale; "" = the config's subject */
};

struct loop {
    const struct config *cfg;
    struct journal *journal;
    char journal_problem[512];
    struct gateway *gateway;
    struct scanner *scanner;
    struct loop_clock clock;
    struct loop_observer obs;
    enum loop_lang lang; /* the cashier's, for each message's cashier_text */

    struct live *lives; /* every unresolved payment, plus the current one */
    int nlives, cap;
    int current; /* index into lives, or -1 */

    uint64_t last_code_hash;            /* the last scan, hashed: the code itself is not kept */
    char early_code[AUTH_CODE_MAX + 1]; /* screen.code_before_amount "keep": a code scanned
                                         * before the amount, for the next payment ("" none) */
    int64_t early_code_at;
    int64_t last_code_at;
    bool reachable;
    int64_t rtt_ms[LOOP_GATEWAY_RTT_KEPT]; /* the last answers' round trips, newest at rtt_n-1 */
    int rtt_n;
    bool recover_failed; /* unresolved payments could not all be read: no new payment */
    int64_t recover_retry_at;
    int clock_skew_s;        /* the gateway's clock minus ours, when past CLOCK_SKEW_MAX_S */
    bool journal_checked;    /* the journal's full integrity check has given its verdict */
    bool journal_damaged;    /* ... and found damage: no new payment, nothing written */
    const char *crash_after; /* test builds: SIGKILL right after this journal event */
    struct loop_service services[LOOP_SERVICES_MAX];
    int nservices;
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

static int64_t now_mono(const struct loop *l)
{
    return l->clock.mono(l->clock.ctx);
}
static int64_t now_wall(const struct loop *l)
{
    return l->clock.wall(l->clock.ctx);
}

/* Tells the observer: m names the note and its values; its row in loop_notes.def gives the
 * level and the words, English and the cashier's language. */
static void notify(struct loop *l, struct loop_message m)
{
    char english[768], cashier[768]; /* room for a journal problem naming a long path */
    m.level = loop_note_level(m.note);
    if (m.journal != JOURNAL_OK)
        m.journal_reason = journal_status_reason(m.journal);
    loop_note_render(LOOP_LANG_EN, &m, english, sizeof english);
    m.text = english;
    if (l->lang == LOOP_LANG_EN) {
        m.cashier_text = english;
    } else {
        loop_note_render(l->lang, &m, cashier, sizeof cashier);
        m.cashier_text = cashier;
    }
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
    if (!loop_lang_from_name(cfg->language, &l->lang))
        l->lang = LOOP_LANG_EN;
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
    explicit_bzero(l->early_code, sizeof l->early_code);
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
        bool done = !pay_state_unresolved(lv->p.state) && lv->retry_at == 0;
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

/* Carries out a committed step's actions: requests out, then the screen. */
static void carry_out(struct loop *l, struct live *lv, const struct engine_actions *acts)
{
    for (int i = 0; i < acts->n; i++) {
        const struct engine_action *a = &acts->a[i];
        switch (a->type) {
        case ENGINE_JOURNAL:
        case ENGINE_TIMER: break; /* committed already; the timer lives in the payment (timer_at) */
        case ENGINE_SEND: {
            struct gw_request req;
            engine_request(&lv->p, a->op, &req);
            snprintf(req.subject, sizeof req.subject, "%s",
                     lv->subject[0] ? lv->subject : l->cfg->subject);
            enum gateway_status st = gateway_submit(l->gateway, &req);
            if (a->op == GW_PAY) {
                /* The pay request is built: the code is needed nowhere else, ever (a resume
                 * queries or cancels, never pays again). */
                explicit_bzero(lv->p.auth_code, sizeof lv->p.auth_code);
            }
            lv->sent_at = st == GATEWAY_OK ? now_mono(l) : 0;
            lv->sent_id = req.request_id;
            explicit_bzero(&req, sizeof req);
            if (st != GATEWAY_OK) {
                /* Answered as UNKNOWN on the next turn of the loop, never recursively. */
                lv->submit_failed = true;
                lv->failed_op = a->op;
                lv->failed_id = lv->p.in_flight_id;
                notify(l, (struct loop_message){.note = LOOP_NOTE_NOT_SENT,
                                                .order_no = lv->p.order_no});
            }
            break;
        }
        case ENGINE_SHOW:
            if (l->obs.payment_changed)
                l->obs.payment_changed(l->obs.ctx, &lv->p, lv->event ? lv->event : "");
            break;
        }
    }
}

/* Commits the step's payment and event row. False: nothing was written. */
static bool commit(struct loop *l, struct live *lv, const struct payment *next,
                   const struct engine_action *a, enum journal_status *st)
{
    *st = l->journal ? journal_save(l->journal, next, a->name, a->detail, now_wall(l)) : JOURNAL_IO;
    if (*st != JOURNAL_OK)
        return false;
    if (lv->stuck) {
        lv->stuck = false;
        notify(l,
               (struct loop_message){.note = LOOP_NOTE_JOURNAL_BACK, .order_no = next->order_no});
    }
    lv->event = a->name;
    return true;
}

/* The step could not be committed: the payment stays as it was and waits a second; a reply
 * is kept to be stepped again (timers and resumes come round by themselves). */
static void hold(struct loop *l, struct live *lv, const struct engine_event *ev,
                 enum journal_status st)
{
    lv->retry_at = now_mono(l) + JOURNAL_RETRY_MS;
    if (ev->type == EV_REPLY) {
        if (ev->reply != &lv->held_reply)
            lv->held_reply = *ev->reply;
        lv->has_held_reply = true;
    }
    if (ev->type == EV_RESUME)
        lv->resume_at = lv->retry_at;
    if (lv->stuck)
        return;
    lv->stuck = true;
    const char *why = l->journal ? journal_last_error(l->journal) : l->journal_problem;
    notify(l, (struct loop_message){.note = LOOP_NOTE_JOURNAL_HELD,
                                    .journal = st,
                                    .detail = why,
                                    .order_no = lv->p.order_no});
}

enum step_mode {
    STEP_HOLD,   /* a failed commit holds the payment and tries again (replies, timers) */
    STEP_REFUSE, /* a failed commit refuses the command (the cashier's own) */
};

/* Runs one engine step on a copy of the live payment; see the file's comment. *committed
 * (if not NULL) tells whether the step's journal commit, when it had one, succeeded. */
static enum engine_status step(struct loop *l, struct live *lv, struct engine_event *ev,
                               enum step_mode mode, bool *committed)
{
    struct engine_actions acts;
    struct payment next = lv->p;
    ev->now = now_mono(l);
    ev->wall = now_wall(l);
    if (committed)
        *committed = true;
    enum engine_status st = engine_step(&next, &l->cfg->policy, ev, &acts);
    if (st != ENGINE_OK)
        return st;
    if (acts.n > 0 && acts.a[0].type == ENGINE_JOURNAL) {
        enum journal_status js;
        if (!commit(l, lv, &next, &acts.a[0], &js)) {
            explicit_bzero(next.auth_code, sizeof next.auth_code);
            if (committed)
                *committed = false;
            if (mode == STEP_HOLD)
                hold(l, lv, ev, js);
            return ENGINE_OK;
        }
#ifdef POSTERM_CRASH_POINTS
        /* Crash tests: die after the commit, before the actions it precedes. */
        if (l->crash_after && strcmp(l->crash_after, acts.a[0].name) == 0)
            raise(SIGKILL);
#endif
    }
    bool referred = next.state == PAY_REFERRED && lv->p.state != PAY_REFERRED;
    lv->p = next;
    carry_out(l, lv, &acts);
    if (referred)
        notify(l, (struct loop_message){.note = LOOP_NOTE_REFERRED,
                                        .order_no = next.order_no,
                                        .cause = next.last_cause});
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
    if (find_live(rc->l, p->order_no))
        return 0; /* already live: a retried recovery reads the rows again */
    struct live *lv = live_add(rc->l);
    if (lv == NULL) {
        rc->failed = true;
        return 1;
    }
    lv->p = *p;
    rc->count++;
    return 0;
}

/* Reads every unresolved payment, all or nothing: a partial read is dropped again so that a
 * retry starts clean. Quiet: the caller words the outcome. */
static enum journal_status recover_all(struct loop *l, int *count, bool *no_memory)
{
    int before = l->nlives;
    struct recover_ctx rc = {l, 0, false};
    enum journal_status st = journal_each_unresolved(l->journal, recover_one, &rc);
    *no_memory = rc.failed;
    if (rc.failed || st != JOURNAL_OK) {
        l->nlives = before;
        return rc.failed ? JOURNAL_IO : st;
    }
    /* Loaded now, resumed from the loop's first turns, a few milliseconds apart: each resume
     * is a commit and a signed request, and a hundred of them at once would keep the
     * cashier waiting after a power cut. A new payment resumes the rest first. */
    int64_t now = now_mono(l);
    for (int i = l->nlives - rc.count, k = 0; i < l->nlives; i++, k++)
        l->lives[i].resume_at = now + (int64_t)k * RESUME_SPACING_MS;
    *count = rc.count;
    return JOURNAL_OK;
}

enum loop_status loop_recover(struct loop *l, int *count)
{
    *count = 0;
    if (l->journal == NULL) {
        notify(l, (struct loop_message){.note = LOOP_NOTE_JOURNAL_UNUSABLE,
                                        .detail = l->journal_problem});
        return LOOP_JOURNAL;
    }
    bool no_memory;
    enum journal_status st = recover_all(l, count, &no_memory);
    if (st != JOURNAL_OK) {
        /* Fail closed: until every unresolved payment is in hand, no new one is taken (a
         * new one could not be told apart from them, nor resume them first). */
        l->recover_failed = true;
        l->recover_retry_at = now_mono(l) + RECOVER_RETRY_MS;
        if (no_memory)
            notify(l, (struct loop_message){.note = LOOP_NOTE_RECOVER_NO_MEMORY});
        else
            notify(l, (struct loop_message){.note = LOOP_NOTE_RECOVER_FAILED, .journal = st});
        return LOOP_JOURNAL;
    }
    if (l->recover_failed) {
        l->recover_failed = false;
        notify(l, (struct loop_message){.note = LOOP_NOTE_RECOVERED});
    }
    if (*count)
        notify(l, (struct loop_message){.note = LOOP_NOTE_RESUMING, .count = *count});
    live_sweep(l);
    return LOOP_OK;
}

/* The customer at the counter is still waiting on the current payment. A payment that is
 * only being cancelled (its window closed, or aborted) or refunded no longer needs the
 * counter: it finishes in the background while the till takes the next customer. */
static bool current_busy(const struct loop *l)
{
    if (l->current < 0)
        return false;
    enum pay_state s = l->lives[l->current].p.state;
    return s == PAY_NEW || s == PAY_PAYING || s == PAY_QUERYING;
}

/* Runs every resume still waiting its turn: the README promises that every unresolved
 * payment is resumed before a new one is taken. */
static void resume_pending(struct loop *l)
{
    for (int i = 0; i < l->nlives; i++) {
        struct live *lv = &l->lives[i];
        if (lv->resume_at != 0 && lv->retry_at == 0) {
            lv->resume_at = 0;
            struct engine_event ev = {.type = EV_RESUME};
            step(l, lv, &ev, STEP_HOLD, NULL);
        }
    }
}

/* The full integrity check runs in the background on a big journal; the moment it finds
 * damage the journal refuses every write, and the cashier must hear why. */
static void watch_journal_check(struct loop *l)
{
    if (l->journal == NULL || l->journal_checked)
        return;
    bool done;
    enum journal_status st = journal_check_poll(l->journal, &done);
    if (!done)
        return;
    l->journal_checked = true;
    if (st != JOURNAL_CORRUPT)
        return;
    l->journal_damaged = true;
    const char *why = journal_last_error(l->journal);
    notify(l,
           (struct loop_message){.note = LOOP_NOTE_JOURNAL_DAMAGED, .journal = st, .detail = why});
}

/* A kept code goes when it is a minute old, scanned or not: the wallet refuses it by then. */
static bool drop_stale_early_code(struct loop *l)
{
    if (l->early_code[0] == '\0' || now_mono(l) - l->early_code_at <= EARLY_CODE_MS)
        return false;
    char masked[AUTH_CODE_MAX + 1];
    paycode_mask(l->early_code, masked, sizeof masked);
    explicit_bzero(l->early_code, sizeof l->early_code);
    notify(l, (struct loop_message){.note = LOOP_NOTE_CODE_TOO_OLD, .code = masked});
    return true;
}

/* The new payment takes the code kept for it, as if scanned now. */
static void scan_early_code(struct loop *l)
{
    if (drop_stale_early_code(l) || l->early_code[0] == '\0')
        return;
    char code[AUTH_CODE_MAX + 1];
    memcpy(code, l->early_code, sizeof code);
    explicit_bzero(l->early_code, sizeof l->early_code);
    l->last_code_hash = 0; /* the same code again is this payment's, not a double scan */
    (void)loop_scan(l, code);
    explicit_bzero(code, sizeof code);
}

void loop_warm_up(struct loop *l)
{
    if (l->gateway)
        gateway_warm_up(l->gateway);
}

enum loop_status loop_start_payment(struct loop *l, int64_t amount_fen)
{
    return loop_start_described_payment(l, amount_fen, NULL);
}

enum loop_status loop_start_described_payment(struct loop *l, int64_t amount_fen,
                                              const char *subject)
{
    if (l->journal == NULL) {
        notify(l,
               (struct loop_message){.note = LOOP_NOTE_NO_JOURNAL, .detail = l->journal_problem});
        return LOOP_JOURNAL;
    }
    if (l->recover_failed) {
        notify(l, (struct loop_message){.note = LOOP_NOTE_NOT_RECOVERED});
        return LOOP_JOURNAL;
    }
    watch_journal_check(l);
    if (l->journal_damaged) {
        notify(l, (struct loop_message){.note = LOOP_NOTE_NO_JOURNAL,
                                        .detail = journal_last_error(l->journal)});
        return LOOP_JOURNAL;
    }
    /* A payment held by a failing journal means the disk is not taking writes: that, not
     * the payment it holds, is what the cashier must hear. */
    for (int i = 0; i < l->nlives; i++) {
        if (l->lives[i].stuck) {
            notify(l, (struct loop_message){.note = LOOP_NOTE_JOURNAL_STUCK});
            return LOOP_JOURNAL;
        }
    }
    /* The scan follows in seconds: its pay must not wait for DNS, TCP and TLS (issue 23). */
    loop_warm_up(l);
    if (current_busy(l)) {
        notify(l, (struct loop_message){.note = LOOP_NOTE_BUSY});
        return LOOP_BUSY;
    }
    if (amount_fen <= 0 || amount_fen > l->cfg->max_amount_fen) {
        enum money_status why = amount_fen <= 0 ? MONEY_ZERO : MONEY_ABOVE_MAX;
        notify(l, (struct loop_message){.note = LOOP_NOTE_BAD_AMOUNT, .money = why});
        return LOOP_INVALID;
    }
    resume_pending(l);

    uint32_t seq;
    enum journal_status js = journal_next_order_seq(l->journal, &seq);
    char order_no[ORDER_NO_MAX + 1];
    if (js != JOURNAL_OK) {
        notify(l, (struct loop_message){.note = LOOP_NOTE_ORDER_SEQ_FAILED,
                                        .journal = js,
                                        .detail = journal_last_error(l->journal)});
        return LOOP_JOURNAL;
    }
    if (!order_no_format(l->cfg->terminal_id, journal_identity(l->journal), seq, order_no)) {
        notify(l, (struct loop_message){.note = LOOP_NOTE_BAD_TERMINAL_ID,
                                        .detail = l->cfg->terminal_id});
        return LOOP_INVALID;
    }

    live_sweep(l);
    l->current = -1;
    struct live *lv = live_add(l);
    if (lv == NULL) {
        notify(l, (struct loop_message){.note = LOOP_NOTE_NO_MEMORY});
        return LOOP_INVALID;
    }
    l->current = (int)(lv - l->lives);
    snprintf(lv->subject, sizeof lv->subject, "%s", subject ? subject : "");
    struct engine_event ev = {.type = EV_CREATE, .order_no = order_no, .amount_fen = amount_fen};
    bool committed;
    enum engine_status st = step(l, lv, &ev, STEP_REFUSE, &committed);
    if (st != ENGINE_OK || !committed) {
        /* Not even the order could be journaled: drop it, nothing left the terminal. */
        l->nlives--;
        l->current = -1;
        if (st == ENGINE_OK)
            notify(l, (struct loop_message){.note = LOOP_NOTE_JOURNAL_STUCK});
        return st != ENGINE_OK ? LOOP_INVALID : LOOP_JOURNAL;
    }
    scan_early_code(l);
    return LOOP_OK;
}

/* FNV-1a: enough to tell the same scan again without keeping the code in memory. */
static uint64_t code_hash(const char *code)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *c = (const unsigned char *)code; *c; c++)
        h = (h ^ *c) * 1099511628211ULL;
    return h;
}

enum loop_status loop_scan(struct loop *l, const char *code)
{
    enum pay_channel channel;
    enum paycode_status ps = paycode_channel(code, &channel);
    char masked[AUTH_CODE_MAX + 1];
    if (ps != PAYCODE_OK) {
        notify(l, (struct loop_message){.note = LOOP_NOTE_BAD_SCAN, .paycode = ps});
        return LOOP_INVALID;
    }
    paycode_mask(code, masked, sizeof masked);

    int64_t now = now_mono(l);
    uint64_t hash = code_hash(code);
    if (hash == l->last_code_hash && now - l->last_code_at < l->cfg->scanner.dedupe_ms)
        return LOOP_DUPLICATE;
    l->last_code_hash = hash;
    l->last_code_at = now;

    if (l->current < 0 || l->lives[l->current].p.state != PAY_NEW) {
        if (current_busy(l)) {
            notify(l, (struct loop_message){.note = LOOP_NOTE_SCAN_WHILE_BUSY, .code = masked});
            return LOOP_BUSY;
        }
        if (strcmp(l->cfg->screen.code_before_amount, "keep") == 0) {
            snprintf(l->early_code, sizeof l->early_code, "%s", code);
            l->early_code_at = now;
            notify(l, (struct loop_message){.note = LOOP_NOTE_CODE_KEPT, .code = masked});
            return LOOP_OK;
        }
        notify(l, (struct loop_message){.note = LOOP_NOTE_SCAN_BEFORE_AMOUNT, .code = masked});
        return LOOP_IDLE;
    }
    const struct gw_channel_config *cc =
        channel == CHANNEL_WECHAT ? &l->cfg->gateway.wechat : &l->cfg->gateway.alipay;
    if (!cc->enabled) {
        notify(l, (struct loop_message){.note = LOOP_NOTE_CHANNEL_OFF, .channel = channel});
        return LOOP_INVALID;
    }
    struct live *lv = &l->lives[l->current];
    struct engine_event ev = {.type = EV_SCAN, .code = code, .channel = channel};
    bool committed;
    if (step(l, lv, &ev, STEP_REFUSE, &committed) != ENGINE_OK)
        return LOOP_INVALID;
    if (!committed) {
        /* The intent is not on disk, so the pay did not go out; the same code may be
         * scanned again at once. */
        l->last_code_hash = 0;
        notify(l, (struct loop_message){.note = LOOP_NOTE_JOURNAL_STUCK});
        return LOOP_JOURNAL;
    }
    return LOOP_OK;
}

enum loop_status loop_qr(struct loop *l, enum pay_channel channel)
{
    if (l->current < 0 || l->lives[l->current].p.state != PAY_NEW) {
        if (current_busy(l)) {
            notify(l, (struct loop_message){.note = LOOP_NOTE_BUSY});
            return LOOP_BUSY;
        }
        notify(l, (struct loop_message){.note = LOOP_NOTE_QR_BEFORE_AMOUNT});
        return LOOP_IDLE;
    }
    const struct gw_channel_config *cc =
        channel == CHANNEL_WECHAT ? &l->cfg->gateway.wechat : &l->cfg->gateway.alipay;
    if ((channel != CHANNEL_WECHAT && channel != CHANNEL_ALIPAY) || !cc->enabled) {
        notify(l, (struct loop_message){.note = LOOP_NOTE_CHANNEL_OFF, .channel = channel});
        return LOOP_INVALID;
    }
    /* WeChat refuses a Native order without one, and the gateway client would refuse to
     * build it: say so now rather than let the create fail until the window ends. */
    if (channel == CHANNEL_WECHAT && cc->notify_url[0] == '\0') {
        notify(l, (struct loop_message){.note = LOOP_NOTE_QR_NO_NOTIFY_URL,
                                        .detail = "wechat.notify_url"});
        return LOOP_INVALID;
    }
    struct live *lv = &l->lives[l->current];
    struct engine_event ev = {.type = EV_QR, .channel = channel};
    bool committed;
    if (step(l, lv, &ev, STEP_REFUSE, &committed) != ENGINE_OK)
        return LOOP_INVALID;
    if (!committed) {
        notify(l, (struct loop_message){.note = LOOP_NOTE_JOURNAL_STUCK});
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
    bool committed;
    if (step(l, lv, &ev, STEP_REFUSE, &committed) != ENGINE_OK)
        return LOOP_IDLE;
    if (!committed) {
        notify(l, (struct loop_message){.note = LOOP_NOTE_JOURNAL_STUCK});
        return LOOP_JOURNAL;
    }
    return LOOP_OK;
}

/* The live payment for order_no, loaded from the journal if it is not live. */
static enum loop_status refund_target(struct loop *l, const char *order_no, struct live **out)
{
    struct live *lv = find_live(l, order_no);
    if (lv) {
        *out = lv;
        return LOOP_OK;
    }
    struct payment p;
    enum journal_status js = journal_load(l->journal, order_no, &p);
    if (js == JOURNAL_NOT_FOUND) {
        notify(l, (struct loop_message){.note = LOOP_NOTE_REFUND_NO_ORDER, .order_no = order_no});
        return LOOP_NOT_FOUND;
    }
    if (js != JOURNAL_OK) {
        notify(l, (struct loop_message){.note = LOOP_NOTE_REFUND_JOURNAL, .journal = js});
        return LOOP_JOURNAL;
    }
    lv = live_add(l);
    if (lv == NULL)
        return LOOP_INVALID;
    lv->p = p;
    *out = lv;
    return LOOP_OK;
}

/* A refund asked again under its idempotency key: the first one's result, nothing sent. */
static enum loop_status refund_seen(struct loop *l, const char *order_no, int64_t amount_fen,
                                    const struct journal_refund *r)
{
    if (strcmp(r->order_no, order_no) != 0 || r->amount_fen != amount_fen) {
        notify(l, (struct loop_message){.note = LOOP_NOTE_REFUND_KEY_OTHER,
                                        .order_no = r->order_no,
                                        .amount_fen = r->amount_fen});
        return LOOP_INVALID;
    }
    notify(l, (struct loop_message){.note = LOOP_NOTE_REFUND_KEY_SEEN,
                                    .order_no = r->order_no,
                                    .amount_fen = r->amount_fen,
                                    .refund_no = r->refund_no,
                                    .detail = r->state});
    return LOOP_DUPLICATE;
}

enum loop_status loop_refund(struct loop *l, const char *order_no, int64_t amount_fen,
                             const char *key)
{
    if (l->journal == NULL) {
        notify(l, (struct loop_message){.note = LOOP_NOTE_REFUND_NO_JOURNAL,
                                        .detail = l->journal_problem});
        return LOOP_JOURNAL;
    }
    if (key && key[0]) {
        struct journal_refund seen;
        enum journal_status ks = journal_refund_by_key(l->journal, key, &seen);
        if (ks == JOURNAL_OK)
            return refund_seen(l, order_no, amount_fen, &seen);
        if (ks != JOURNAL_NOT_FOUND) {
            notify(l, (struct loop_message){.note = LOOP_NOTE_REFUND_JOURNAL, .journal = ks});
            return LOOP_JOURNAL;
        }
    }
    struct live *lv;
    enum loop_status ls = refund_target(l, order_no, &lv);
    if (ls != LOOP_OK)
        return ls;
    if (lv->p.state == PAY_REFUNDING) {
        notify(l, (struct loop_message){.note = LOOP_NOTE_REFUND_UNDER_WAY,
                                        .order_no = order_no,
                                        .amount_fen = lv->p.refund_fen});
        return LOOP_BUSY;
    }
    if (lv->p.state != PAY_PAID) {
        notify(l, (struct loop_message){.note = LOOP_NOTE_REFUND_NOT_PAID,
                                        .order_no = order_no,
                                        .state = lv->p.state});
        return LOOP_INVALID;
    }
    if (amount_fen <= 0 || amount_fen > lv->p.amount_fen - lv->p.refunded_fen) {
        int64_t left_fen = lv->p.amount_fen - lv->p.refunded_fen;
        notify(l, (struct loop_message){.note = LOOP_NOTE_REFUND_ABOVE, .amount_fen = left_fen});
        return LOOP_INVALID;
    }
    /* refund_no holds the last refund sent ("<order>R<n>"); the next is n + 1, so a number
     * the gateway has seen is never used for another refund. */
    char refund_no[ORDER_NO_MAX + 1];
    size_t ol = strlen(order_no);
    unsigned n = lv->p.refund_no[0] ? (unsigned)strtoul(lv->p.refund_no + ol + 1, NULL, 10) + 1 : 1;
    if (!refund_no_format(order_no, n, refund_no)) {
        notify(l, (struct loop_message){.note = LOOP_NOTE_REFUND_TOO_MANY, .order_no = order_no});
        return LOOP_INVALID;
    }
    struct engine_event ev = {
        .type = EV_REFUND, .refund_no = refund_no, .refund_fen = amount_fen, .refund_key = key};
    bool committed;
    enum engine_status st = step(l, lv, &ev, STEP_REFUSE, &committed);
    if (st != ENGINE_OK) {
        notify(l, (struct loop_message){.note = LOOP_NOTE_REFUND_REFUSED, .engine = st});
        return LOOP_INVALID;
    }
    if (!committed) {
        notify(l, (struct loop_message){.note = LOOP_NOTE_JOURNAL_STUCK});
        return LOOP_JOURNAL;
    }
    return LOOP_OK;
}

bool loop_refund_repeats(struct loop *l, const char *order_no, int64_t amount_fen,
                         int64_t within_ms)
{
    struct journal_refund last;
    if (l->journal == NULL || journal_last_refund(l->journal, order_no, &last) != JOURNAL_OK)
        return false;
    return last.amount_fen == amount_fen && strcmp(last.state, "FAILED") != 0 &&
           now_wall(l) - last.at < within_ms;
}

const struct payment *loop_current(const struct loop *l)
{
    return l->current >= 0 ? &l->lives[l->current].p : NULL;
}

int loop_background(const struct loop *l)
{
    return unresolved_count(l);
}

int64_t loop_now(const struct loop *l)
{
    return now_mono(l);
}

int64_t loop_cancel_at(const struct loop *l)
{
    const struct payment *p = loop_current(l);
    return p ? engine_cancel_deadline(p, &l->cfg->policy) : 0;
}

int64_t loop_earliest_cancel(const struct loop *l)
{
    const struct payment *p = loop_current(l);
    /* A QR order may be closed at once: WeChat's 15 s rule is about reversing a pay. */
    if (p == NULL || (p->state != PAY_PAYING && p->state != PAY_QUERYING) || p->kind == PAY_KIND_QR)
        return 0;
    return p->sent_mono + l->cfg->policy.min_cancel_ms;
}

bool loop_gateway_reachable(const struct loop *l)
{
    return l->reachable;
}

enum loop_gateway_health loop_gateway_health(const struct loop *l)
{
    if (!l->reachable)
        return LOOP_GATEWAY_DOWN;
    /* A request out for longer than "slow" already tells, before its reply comes. */
    int64_t now = now_mono(l);
    int64_t slow_ms = l->cfg->gateway_slow_ms;
    for (int i = 0; i < l->nlives; i++)
        if (l->lives[i].sent_at != 0 && now - l->lives[i].sent_at > slow_ms)
            return LOOP_GATEWAY_SLOW;
    int64_t sum = 0;
    for (int i = 0; i < l->rtt_n; i++)
        sum += l->rtt_ms[i];
    return l->rtt_n > 0 && sum / l->rtt_n > slow_ms ? LOOP_GATEWAY_SLOW : LOOP_GATEWAY_ONLINE;
}

const char *loop_gateway_health_name(enum loop_gateway_health h)
{
    switch (h) {
    case LOOP_GATEWAY_ONLINE: return "online";
    case LOOP_GATEWAY_SLOW: return "slow";
    case LOOP_GATEWAY_DOWN: return "down";
    }
    return "?";
}

int loop_clock_skew(const struct loop *l)
{
    return l->clock_skew_s;
}

bool loop_taking_payments(const struct loop *l)
{
    return l->journal && !l->recover_failed && !l->journal_damaged;
}

void loop_journal_copied(struct loop *l, const char *identity)
{
    notify(l, (struct loop_message){.note = LOOP_NOTE_JOURNAL_COPIED, .detail = identity});
}

int loop_background_list(const struct loop *l, struct payment *out, int max)
{
    int n = 0;
    for (int i = 0; i < l->nlives && n < max; i++)
        if (i != l->current && pay_state_unresolved(l->lives[i].p.state))
            out[n++] = l->lives[i].p;
    return n;
}

struct journal *loop_journal(const struct loop *l)
{
    return l->journal;
}

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
 * with a message while a payment is under way - unless the front takes it first (a code
 * scanned on the refund screen names an order, it pays nothing). */
static void deliver_scans(struct loop *l)
{
    struct scan_code code;
    while (scanner_next_code(l->scanner, &code)) {
        if (l->obs.scan_taken == NULL || !l->obs.scan_taken(l->obs.ctx, code.text))
            (void)loop_scan(l, code.text);
        explicit_bzero(code.text, sizeof code.text);
    }
}

/* The gateway's clock against ours: a terminal clock minutes off makes every WeChat
 * signature stale (each payment would end cancelled), so it is an alarm, said once. */
static void check_clock(struct loop *l, const struct gw_reply *r)
{
    if (r->server_time <= 0)
        return;
    int64_t skew = r->server_time - now_wall(l) / 1000;
    int was = l->clock_skew_s;
    l->clock_skew_s = skew > CLOCK_SKEW_MAX_S || skew < -CLOCK_SKEW_MAX_S ? (int)skew : 0;
    if (l->clock_skew_s != 0 && was == 0) {
        int minutes = (int)((skew < 0 ? -skew : skew) + 59) / 60;
        notify(l, (struct loop_message){.note = LOOP_NOTE_CLOCK_WRONG,
                                        .count = minutes,
                                        .detail = skew > 0 ? "behind" : "ahead"});
    }
}

/* An HTTP 503 or a reply that cannot be believed leaves the cashier exactly where a dropped
 * connection does: the gateway is not answering. */
static bool reply_unusable(const struct gw_reply *r)
{
    return r->unreachable || (r->kind == GW_UNKNOWN &&
                              (r->cause == PAY_CAUSE_NO_ANSWER || r->cause == PAY_CAUSE_BAD_REPLY));
}

/* The gateway's health from each reply: usable or not, and how long its request was out. */
static void note_round_trip(struct loop *l, struct live *lv, const struct gw_reply *r)
{
    l->reachable = !reply_unusable(r);
    if (lv == NULL || lv->sent_at == 0 || lv->sent_id != r->request_id)
        return;
    int64_t rtt = now_mono(l) - lv->sent_at;
    lv->sent_at = 0;
    if (!l->reachable)
        return;
    if (l->rtt_n == LOOP_GATEWAY_RTT_KEPT) {
        memmove(l->rtt_ms, l->rtt_ms + 1, (LOOP_GATEWAY_RTT_KEPT - 1) * sizeof l->rtt_ms[0]);
        l->rtt_n--;
    }
    l->rtt_ms[l->rtt_n++] = rtt;
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
        r.request_id = lv->failed_id;
        r.channel = lv->p.channel;
        r.kind = GW_UNKNOWN;
        r.cause = PAY_CAUSE_NO_ANSWER;
        snprintf(r.order_no, sizeof r.order_no, "%s", lv->p.order_no);
        snprintf(r.refund_no, sizeof r.refund_no, "%s", lv->p.refund_no);
        snprintf(r.reason, sizeof r.reason, "request not sent");
        struct engine_event ev = {.type = EV_REPLY, .reply = &r};
        step(l, lv, &ev, STEP_HOLD, NULL);
    }
    while (gateway_next_reply(l->gateway, &r)) {
        check_clock(l, &r);
        struct live *lv = find_live(l, r.order_no);
        note_round_trip(l, lv, &r);
        if (lv == NULL || lv->has_held_reply)
            continue; /* nothing waits for it, or its payment holds the one it waits for */
        struct engine_event ev = {.type = EV_REPLY, .reply = &r};
        step(l, lv, &ev, STEP_HOLD, NULL);
    }
}

/* A held payment's second is up: step its kept reply again (timers come round by
 * themselves on the next turn). */
static void retry_held(struct loop *l, struct live *lv)
{
    lv->retry_at = 0;
    if (!lv->has_held_reply)
        return;
    lv->has_held_reply = false;
    struct engine_event ev = {.type = EV_REPLY, .reply = &lv->held_reply};
    step(l, lv, &ev, STEP_HOLD, NULL);
}

static void fire_timers(struct loop *l)
{
    int64_t now = now_mono(l);
    (void)drop_stale_early_code(l);
    if (l->recover_failed && now >= l->recover_retry_at) {
        int count;
        (void)loop_recover(l, &count);
    }
    for (int i = 0; i < l->nlives; i++) {
        struct live *lv = &l->lives[i];
        if (lv->retry_at != 0) {
            if (now >= lv->retry_at)
                retry_held(l, lv);
            continue;
        }
        if (lv->resume_at != 0) {
            if (now >= lv->resume_at) {
                lv->resume_at = 0;
                struct engine_event ev = {.type = EV_RESUME};
                step(l, lv, &ev, STEP_HOLD, NULL);
            }
            continue;
        }
        if (lv->p.timer_at != 0 && now >= lv->p.timer_at) {
            struct engine_event ev = {.type = EV_TIMER};
            step(l, lv, &ev, STEP_HOLD, NULL);
        }
    }
}

static int64_t next_deadline(const struct loop *l)
{
    int64_t next = l->recover_failed ? l->recover_retry_at : 0;
    if (l->early_code[0] != '\0' && (next == 0 || l->early_code_at + EARLY_CODE_MS + 1 < next))
        next = l->early_code_at + EARLY_CODE_MS + 1;
    for (int i = 0; i < l->nlives; i++) {
        const struct live *lv = &l->lives[i];
        int64_t at = lv->retry_at ? lv->retry_at : lv->resume_at ? lv->resume_at : lv->p.timer_at;
        if (at != 0 && (next == 0 || at < next))
            next = at;
    }
    return next;
}

enum loop_status loop_add_service(struct loop *l, const struct loop_service *s)
{
    if (l->nservices == LOOP_SERVICES_MAX || !s->pollfds || !s->process)
        return LOOP_INVALID;
    l->services[l->nservices++] = *s;
    return LOOP_OK;
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
    int nsv[LOOP_SERVICES_MAX];
    int nfds = nextra + ngw + nsc;
    for (int i = 0; i < l->nservices; i++) {
        int64_t service_wait = -1;
        nsv[i] = l->services[i].pollfds(l->services[i].ctx, fds + nfds, POLL_FDS_MAX - nfds,
                                        &service_wait);
        nfds += nsv[i];
        if (service_wait >= 0 && service_wait < wait)
            wait = service_wait;
    }
    int64_t deadline = next_deadline(l);
    if (deadline != 0) {
        int64_t until = deadline - now_mono(l);
        if (until < wait)
            wait = until < 0 ? 0 : until;
    }
    int n = poll(fds, (nfds_t)nfds, (int)wait);
    if (n < 0 && errno != EINTR)
        return -1;
    if (n <= 0)
        for (int i = 0; i < nfds; i++)
            fds[i].revents = 0;

    watch_journal_check(l);
    gateway_perform(l->gateway, n > 0 ? fds + nextra : NULL, n > 0 ? ngw : 0);
    deliver_replies(l);
    if (l->scanner) {
        scanner_process(l->scanner, fds + nextra + ngw, nsc, now_mono(l));
        deliver_scans(l);
    }
    for (int i = 0, at = nextra + ngw + nsc; i < l->nservices; at += nsv[i], i++)
        l->services[i].process(l->services[i].ctx, fds + at, nsv[i], now_mono(l));
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
