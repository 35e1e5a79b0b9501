/*
 * cashier.c - wiring between the loop and the ncurses screens.
 *
 * The model is rebuilt from the loop and the journal; the screens only draw it. History,
 * detail and end-of-day are read from the journal when the cashier opens them, so what the
 * screen shows is what is on disk.
 */
#include "cashier.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleet_publish.h"
#include "history_view.h"
#include "money.h"
#include "reconcile_run.h"
#include "refund_guard.h"
#include "report_csv.h"
#include "reports.h"
#include "session.h"
#include "shifts.h"
#include "text.h"
#include "ui.h"
#include "zreports.h"

#define REFUND_REPEAT_MS (5 * 60 * 1000) /* "the same refund again?" within 5 minutes */
#define EVENTS_MAX       64
#define UNRESOLVED_MAX   50
#define RECON_LISTED_MAX 20 /* differences the RECONCILE screen lists; the rest are counted */

/* Head office is called unreachable after longer than a reconnection or two takes. */
#define FLEET_UNREACHABLE_AFTER_MS 10000

struct cashier {
    const struct config *cfg;
    struct ui *ui;
    struct ui_model m;
    struct loop *loop;
    struct fleet *fleet; /* NULL: no MQTT to head office */
    bool quit;
    bool dirty;

    struct payment current; /* copy of the loop's current payment */
    struct journal_event events[EVENTS_MAX];
    struct payment detail;
    struct payment refund; /* the order being refunded */
    struct report_day eod;
    struct payment unresolved[UNRESOLVED_MAX];
    struct payment background[UI_BACKGROUND_MAX]; /* copies: the loop's may move */
    struct payment referred[UNRESOLVED_MAX];
    struct receipts *receipts; /* NULL: no printer */
    bool print_eod;
    /* issue 18: cashiers, shifts, closed day */
    struct session session;
    struct shift shift;
    struct report_day shift_totals;
    struct z_report z;
    struct history_view history_view;             /* the history's day, filters and pages */
    struct payment candidates[UI_CANDIDATES_MAX]; /* the orders a refund's search found */
    struct refund_guard refunds;                  /* limits and the supervisor's PIN */
    /* issue 21 (recon2): the daily reconciliation and its open differences */
    struct reconcile_run *reconcile; /* NULL: no schedule (reconcile.daily_at unset) */
    struct reconcile_item recon_items[RECON_LISTED_MAX];
};

/* The message line, worded by ui/text in the cashier's language (id's conversions take the
 * arguments that follow). */
static void set_message(struct cashier *c, bool error, enum text_id id, ...)
{
    va_list ap;
    va_start(ap, id);
    vsnprintf(c->m.message, sizeof c->m.message, text(c->m.lang, id), ap);
    va_end(ap);
    c->m.message_is_error = error;
    c->dirty = true;
}

static enum ui_screen screen_for(const struct payment *p)
{
    if (p->state == PAY_NEW)
        return UI_SCREEN_SCAN;
    if (p->state == PAY_PAYING || p->state == PAY_QUERYING || p->state == PAY_CANCELLING)
        return UI_SCREEN_PAYING;
    return UI_SCREEN_RESULT;
}

static void on_payment(void *ctx, const struct payment *p, const char *event)
{
    struct cashier *c = ctx;
    (void)event;
    c->dirty = true;
    if (c->m.screen == UI_SCREEN_REFUND && strcmp(p->order_no, c->refund.order_no) == 0) {
        c->refund = *p;
        return;
    }
    const struct payment *cur = c->loop ? loop_current(c->loop) : NULL;
    if (cur && strcmp(cur->order_no, p->order_no) == 0) {
        c->current = *p;
        c->m.payment = &c->current;
        enum ui_screen s = screen_for(p);
        /* The counter screens follow the payment; the cashier's other screens stay put. */
        if (c->m.screen == UI_SCREEN_READY || c->m.screen == UI_SCREEN_SCAN ||
            c->m.screen == UI_SCREEN_PAYING || c->m.screen == UI_SCREEN_RESULT)
            c->m.screen = s;
    }
}

static void on_message(void *ctx, const struct loop_message *m)
{
    struct cashier *c = ctx;
    /* The loop words its notes in the cashier's language itself (app/loop_notes.def). */
    snprintf(c->m.message, sizeof c->m.message, "%s", m->cashier_text);
    c->m.message_is_error = m->level != LOOP_INFO;
    c->dirty = true;
}

struct cashier *cashier_new(const struct config *cfg, char *err, size_t errlen)
{
    struct cashier *c = calloc(1, sizeof *c);
    if (c == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (ui_open(&c->ui, err, errlen) != UI_OK) {
        free(c);
        return NULL;
    }
    c->cfg = cfg;
    c->m.screen = UI_SCREEN_READY;
    if (!ui_lang_from_name(cfg->language, &c->m.lang))
        c->m.lang = UI_LANG_EN;
    snprintf(c->m.terminal_id, sizeof c->m.terminal_id, "%s", cfg->terminal_id);
    unsigned lab = config_lab_flags(cfg);
    c->m.lab_settings = (lab & CONFIG_LAB_PLAIN_HTTP ? UI_LAB_PLAIN_HTTP : 0u) |
                        (lab & CONFIG_LAB_NO_TLS_VERIFY ? UI_LAB_NO_TLS_VERIFY : 0u) |
                        (lab & CONFIG_LAB_EARLY_CANCEL ? UI_LAB_EARLY_CANCEL : 0u);
    c->m.max_amount_fen = cfg->max_amount_fen;
    refund_guard_init(&c->refunds, &cfg->refund);
    c->m.refund_needs_pin = refund_guard_needs_pin(&c->refunds);
    c->m.min_cancel_s = (int)(cfg->policy.min_cancel_ms / 1000);
    c->m.bell = cfg->screen.bell;
    c->m.quick_fen = cfg->screen.quick_amounts.fen;
    c->m.quick_n = cfg->screen.quick_amounts.n;
    c->m.keep_early_code = strcmp(cfg->screen.code_before_amount, "keep") == 0;
    c->m.qr_as_text = strcmp(cfg->screen.qr_style, "text") == 0;
    c->dirty = true;
    return c;
}

static void handle(struct cashier *c, const struct ui_command *cmd);

/* A hardware scanner's code while the refund screen waits for an order goes the way a
 * keyboard-mode scan typed into its field does: it finds the order, it never pays. */
static bool on_scan(void *ctx, const char *code)
{
    struct cashier *c = ctx;
    struct ui_command cmd;
    if (c->loop == NULL || !ui_take_scan(c->ui, &c->m, code, &cmd))
        return false;
    handle(c, &cmd);
    explicit_bzero(&cmd, sizeof cmd);
    c->dirty = true;
    return true;
}

struct loop_observer cashier_observer(struct cashier *c)
{
    return (struct loop_observer){
        .ctx = c, .payment_changed = on_payment, .message = on_message, .scan_taken = on_scan};
}

void cashier_free(struct cashier *c)
{
    if (c == NULL)
        return;
    reconcile_run_free(c->reconcile);
    ui_close(c->ui);
    free(c);
}

struct collect {
    struct payment *rows;
    int n, max;
};

static int collect_payment(void *ctx, const struct payment *p)
{
    struct collect *col = ctx;
    if (col->n == col->max)
        return 1;
    col->rows[col->n++] = *p;
    return 0;
}

static bool journal_usable(struct cashier *c)
{
    if (loop_journal(c->loop))
        return true;
    set_message(c, true, T_JOURNAL_UNAVAILABLE);
    return false;
}

static void load_history(struct cashier *c)
{
    if (history_view_load(&c->history_view, &c->m, loop_journal(c->loop)) != JOURNAL_OK)
        set_message(c, true, T_HISTORY_UNREADABLE);
}

struct collect_events {
    struct journal_event *rows;
    int n;
};

static int collect_event(void *ctx, const struct journal_event *e)
{
    struct collect_events *col = ctx;
    if (col->n == EVENTS_MAX)
        return 1;
    col->rows[col->n++] = *e;
    return 0;
}

static void show_detail(struct cashier *c, const char *order_no)
{
    struct journal *j = loop_journal(c->loop);
    if (journal_load(j, order_no, &c->detail) != JOURNAL_OK) {
        set_message(c, true, T_NO_SUCH_ORDER);
        return;
    }
    struct collect_events col = {c->events, 0};
    (void)report_events(j, order_no, collect_event, &col);
    c->m.detail = &c->detail;
    c->m.events = c->events;
    c->m.events_n = col.n;
    c->m.screen = UI_SCREEN_DETAIL;
}

static void show_end_of_day(struct cashier *c)
{
    /* The full integrity check of the journal runs here, while the counter is idle. */
    if (journal_check(loop_journal(c->loop)) != JOURNAL_OK) {
        set_message(c, true, T_JOURNAL_DAMAGED, journal_last_error(loop_journal(c->loop)));
        return;
    }
    int64_t from, to;
    report_local_day(time(NULL), &from, &to, &c->m.eod_day);
    if (report_totals(loop_journal(c->loop), from, to, &c->eod) != JOURNAL_OK) {
        set_message(c, true, T_EOD_UNREADABLE);
        return;
    }
    c->m.eod = &c->eod;
    struct collect col = {c->unresolved, 0, UNRESOLVED_MAX};
    (void)report_payments(loop_journal(c->loop), from, to, true, collect_payment, &col);
    c->m.eod_unresolved = c->unresolved;
    c->m.eod_unresolved_n = col.n;
    struct collect ref = {c->referred, 0, UNRESOLVED_MAX};
    (void)report_referred(loop_journal(c->loop), collect_payment, &ref);
    c->m.eod_referred = c->referred;
    c->m.eod_referred_n = ref.n;
    c->m.screen = UI_SCREEN_EOD;
}

static void refund_lookup(struct cashier *c, const char *order_no)
{
    if (journal_load(loop_journal(c->loop), order_no, &c->refund) != JOURNAL_OK) {
        set_message(c, true, T_NO_SUCH_ORDER);
        return;
    }
    if (c->refund.state != PAY_PAID) {
        set_message(c, true, T_REFUND_ONLY_PAID);
        return;
    }
    c->m.refund_payment = &c->refund;
    c->m.refund_step = UI_REFUND_AMOUNT;
    c->m.screen = UI_SCREEN_REFUND;
}

static int collect_candidate(void *ctx, const struct payment *p)
{
    struct cashier *c = ctx;
    if (c->m.refund_candidates_n == UI_CANDIDATES_MAX)
        return 1;
    c->candidates[c->m.refund_candidates_n++] = *p;
    return 0;
}

/* The orders a payment code's last four digits (cmd->code) or an order number's last digits
 * (cmd->order_no) name: one opens, several are listed to pick from. */
static void refund_find(struct cashier *c, const struct ui_command *cmd)
{
    struct journal *j = loop_journal(c->loop);
    c->m.refund_candidates = c->candidates;
    c->m.refund_candidates_n = 0;
    c->m.refund_by_code = cmd->code[0] != '\0';
    enum journal_status st;
    if (c->m.refund_by_code) {
        struct report_filter f = {0};
        snprintf(f.last4, sizeof f.last4, "%.4s", cmd->code);
        st = report_history(j, &f, NULL, UI_CANDIDATES_MAX, collect_candidate, c, NULL, NULL);
    } else {
        st = report_find_short(j, cmd->order_no, UI_CANDIDATES_MAX, collect_candidate, c);
    }
    if (st != JOURNAL_OK) {
        set_message(c, true, T_HISTORY_UNREADABLE);
    } else if (c->m.refund_candidates_n == 0) {
        if (c->m.refund_by_code)
            set_message(c, true, T_REF_NONE_BY_CODE, cmd->code);
        else
            set_message(c, true, T_REF_NONE_BY_ORDER, cmd->order_no);
    } else if (c->m.refund_candidates_n == 1) {
        c->m.refund_candidates_n = 0;
        refund_lookup(c, c->candidates[0].order_no);
    } else {
        c->m.refund_step = UI_REFUND_PICK;
    }
}

/* The refund the cashier confirmed, within the limits and with the supervisor's PIN when one
 * is asked for; a refusal says why in the cashier's language. */
static void refund_confirmed(struct cashier *c, const struct ui_command *cmd)
{
    struct refund_decision d;
    char a[MONEY_TEXT_MAX], b[MONEY_TEXT_MAX];
    enum loop_status st =
        refund_guarded(&c->refunds, c->loop, cmd->order_no, cmd->fen, NULL, cmd->code, &d);
    switch (d.verdict) {
    case REFUND_ALLOWED: break;
    case REFUND_PIN_NEEDED: set_message(c, true, T_REF_PIN_NEEDED); return;
    case REFUND_PIN_WRONG:
        set_message(c, true, T_REF_PIN_WRONG, d.tries_left, REFUND_PIN_LOCK_MS / 1000);
        return;
    case REFUND_PIN_LOCKED: set_message(c, true, T_REF_PIN_LOCKED, d.locked_s); return;
    case REFUND_ABOVE_MAX:
        set_message(c, true, T_REF_ABOVE_MAX, money_format(d.limit_fen, a));
        return;
    case REFUND_ABOVE_DAY:
        set_message(c, true, T_REF_ABOVE_DAY, money_format(d.limit_fen, a),
                    money_format(d.left_fen, b));
        return;
    case REFUND_NO_JOURNAL: set_message(c, true, T_REF_NO_SUMS); return;
    }
    if (st == LOOP_OK || c->refund.state == PAY_REFUNDING)
        c->m.refund_step = UI_REFUND_SENT;
}

/* BACK means one step back on the refund screen and "leave" elsewhere (ui.h's table). */
static void go_back(struct cashier *c)
{
    switch (c->m.screen) {
    case UI_SCREEN_SCAN:
        (void)loop_abort(c->loop); /* nothing was sent: the order just ends */
        c->m.screen = UI_SCREEN_READY;
        break;
    case UI_SCREEN_DETAIL: c->m.screen = UI_SCREEN_HISTORY; break;
    case UI_SCREEN_CLOSE: c->m.screen = c->m.z_closed ? UI_SCREEN_READY : UI_SCREEN_EOD; break;
    case UI_SCREEN_SIGNIN: break;
    case UI_SCREEN_REFUND:
        if (c->m.refund_step == UI_REFUND_CONFIRM) {
            c->m.refund_step = UI_REFUND_AMOUNT;
        } else if (c->m.refund_step == UI_REFUND_AMOUNT || c->m.refund_step == UI_REFUND_PICK) {
            c->m.refund_step = UI_REFUND_ORDER;
            c->m.refund_payment = NULL;
            c->m.refund_candidates_n = 0;
        } else {
            c->m.screen = UI_SCREEN_READY;
        }
        break;
    default: c->m.screen = UI_SCREEN_READY; break;
    }
}

static void reprint(struct cashier *c, const char *order_no)
{
    if (!c->receipts) {
        set_message(c, true, T_REPRINT_NO_PRINTER);
        return;
    }
    switch (receipts_reprint(c->receipts, order_no)) {
    case RECEIPTS_OK: set_message(c, false, T_REPRINT_QUEUED, order_no); break;
    case RECEIPTS_NO_ORDER: set_message(c, true, T_NO_SUCH_ORDER); break;
    case RECEIPTS_NOT_PAID: set_message(c, true, T_REPRINT_NOT_PAID, order_no); break;
    case RECEIPTS_NO_JOURNAL: set_message(c, true, T_REPRINT_FAILED); break;
    }
}

/* issue 18: cashiers, shifts, closed day */

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sign_in(struct cashier *c, const struct ui_command *cmd)
{
    int64_t now = wall_ms();
    switch (session_sign_in(&c->session, cmd->cashier, cmd->pin, now)) {
    case SESSION_OK:
        snprintf(c->m.cashier, sizeof c->m.cashier, "%s", c->session.shift.cashier);
        snprintf(c->m.cashier_name, sizeof c->m.cashier_name, "%s", c->session.shift.name);
        c->m.screen = UI_SCREEN_READY;
        break;
    case SESSION_LOCKED:
        c->m.signin_locked_s = (int)((session_locked_for(&c->session, now) + 999) / 1000);
        break;
    case SESSION_NO_JOURNAL: set_message(c, true, T_SIGNIN_NO_JOURNAL); break;
    default:
        if (session_locked_for(&c->session, now) > 0)
            c->m.signin_locked_s = (int)((session_locked_for(&c->session, now) + 999) / 1000);
        set_message(c, true, T_SIGNIN_WRONG);
        break;
    }
}

static void show_shift(struct cashier *c)
{
    c->shift = c->session.shift;
    if (shift_totals(loop_journal(c->loop), &c->shift, wall_ms(), &c->shift_totals) != JOURNAL_OK) {
        set_message(c, true, T_EOD_UNREADABLE);
        return;
    }
    c->m.shift = &c->shift;
    c->m.shift_totals = &c->shift_totals;
    c->m.screen = UI_SCREEN_SHIFT;
}

static void sign_out(struct cashier *c)
{
    struct shift ended;
    if (session_sign_out(&c->session, wall_ms(), &ended) != SESSION_OK) {
        set_message(c, true, T_SIGNIN_NO_JOURNAL);
        return;
    }
    if (c->receipts && receipts_shift_report(c->receipts, ended.id) != RECEIPTS_OK)
        set_message(c, true, T_REPORT_PRINT_FAILED);
    else
        set_message(c, false, T_SHIFT_ENDED, ended.name[0] ? ended.name : ended.cashier);
    c->m.cashier[0] = c->m.cashier_name[0] = '\0';
    c->m.screen = UI_SCREEN_SIGNIN;
}

/* A day with a payment still owing work is not closed: its money would belong to this
 * report's period but be known only after it. */
static bool day_closable(struct cashier *c)
{
    int unresolved = 0;
    if (journal_count_unresolved(loop_journal(c->loop), &unresolved) != JOURNAL_OK) {
        set_message(c, true, T_EOD_UNREADABLE);
        return false;
    }
    if (unresolved > 0)
        set_message(c, true, T_CLOSE_UNRESOLVED, unresolved);
    return unresolved == 0;
}

static void start_close(struct cashier *c)
{
    if (!day_closable(c))
        return;
    struct z_report last;
    enum journal_status st = z_report_last(loop_journal(c->loop), &last);
    if (st != JOURNAL_OK && st != JOURNAL_NOT_FOUND) {
        set_message(c, true, T_EOD_UNREADABLE);
        return;
    }
    memset(&c->z, 0, sizeof c->z);
    c->z.number = st == JOURNAL_OK ? last.number + 1 : 1;
    c->z.from_at = st == JOURNAL_OK ? last.closed_at : 0;
    c->m.z = &c->z;
    c->m.z_closed = false;
    c->m.screen = UI_SCREEN_CLOSE;
}

static void close_day(struct cashier *c)
{
    if (!day_closable(c))
        return;
    if (z_report_close(loop_journal(c->loop), wall_ms(), &c->z) != JOURNAL_OK) {
        set_message(c, true, T_CLOSE_FAILED);
        return;
    }
    c->m.z_closed = true;
    if (c->receipts && receipts_z_report(c->receipts, c->z.number) != RECEIPTS_OK)
        set_message(c, true, T_REPORT_PRINT_FAILED);
}

/* The report on screen as CSV, in the journal's folder; the message says where. */
static void export_report(struct cashier *c)
{
    struct report_csv r;
    int64_t now = wall_ms();
    if (c->m.screen == UI_SCREEN_SHIFT && c->m.shift)
        report_csv_shift(&r, &c->shift, &c->shift_totals);
    else if (c->m.screen == UI_SCREEN_CLOSE && c->m.z_closed)
        report_csv_z(&r, &c->z);
    else if (c->m.screen == UI_SCREEN_EOD && c->m.eod) {
        int64_t from, to;
        int day;
        report_local_day(now / 1000, &from, &to, &day);
        report_csv_x(&r, &c->eod, from, now);
    } else
        return;
    char folder[sizeof c->cfg->journal_path], path[sizeof folder + 64];
    snprintf(folder, sizeof folder, "%s", c->cfg->journal_path);
    char *slash = strrchr(folder, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(folder, sizeof folder, ".");
    FILE *f = NULL;
    bool ok = report_csv_file_name(&r, folder, now, path, sizeof path) &&
              (f = fopen(path, "w")) != NULL && report_csv_write(f, &r);
    if (f && fclose(f) != 0)
        ok = false;
    if (ok)
        set_message(c, false, T_EXPORTED, path);
    else
        set_message(c, true, T_EXPORT_FAILED, path);
}

/* issue 21 (recon2): the reconciliation's differences */

struct open_items {
    struct cashier *c;
    int n;
};

static int collect_open(void *ctx, const struct reconcile_item *it)
{
    struct open_items *o = ctx;
    struct ui_model *m = &o->c->m;
    if (o->n == 0)
        snprintf(m->recon_first, sizeof m->recon_first, "%s", it->date);
    snprintf(m->recon_last, sizeof m->recon_last, "%s", it->date);
    if (o->n < RECON_LISTED_MAX)
        o->c->recon_items[o->n] = *it;
    o->n++;
    return 0;
}

/* The alert and the list from the journal: at the start, after a run, after an ack. */
static void load_differences(struct cashier *c)
{
    struct journal *j = loop_journal(c->loop);
    struct open_items o = {c, 0};
    if (j == NULL)
        return;
    if (recon_open_items(j, collect_open, &o) != JOURNAL_OK) {
        set_message(c, true, T_RECON_UNREADABLE);
        return;
    }
    c->m.recon_open = o.n;
    c->m.recon_items = c->recon_items;
    c->m.recon_items_n = o.n < RECON_LISTED_MAX ? o.n : RECON_LISTED_MAX;
    if (o.n == 0)
        c->m.recon_first[0] = c->m.recon_last[0] = '\0';
    c->dirty = true;
}

/* Every day listed is acknowledged at once, with the supervisor's PIN when refunds need it
 * (the same tries and lock). */
static void acknowledge_differences(struct cashier *c, const char *pin)
{
    struct refund_decision d =
        refund_guard_pin(&c->refunds, loop_journal(c->loop), pin, loop_now(c->loop), time(NULL));
    switch (d.verdict) {
    case REFUND_ALLOWED: break;
    case REFUND_PIN_WRONG:
        set_message(c, true, T_RECON_PIN_WRONG, d.tries_left, REFUND_PIN_LOCK_MS / 1000);
        return;
    case REFUND_PIN_LOCKED: set_message(c, true, T_RECON_PIN_LOCKED, d.locked_s); return;
    default: set_message(c, true, T_RECON_PIN_NEEDED); return;
    }
    int64_t total = 0;
    for (int i = 0; i < c->m.recon_items_n; i++) {
        if (i > 0 && strcmp(c->recon_items[i].date, c->recon_items[i - 1].date) == 0)
            continue;
        int64_t n = 0;
        if (recon_acknowledge(loop_journal(c->loop), c->recon_items[i].date, wall_ms(), &n) !=
            JOURNAL_OK) {
            set_message(c, true, T_RECON_UNREADABLE);
            load_differences(c);
            return;
        }
        total += n;
    }
    load_differences(c);
    set_message(c, false, T_RECON_ACKED, (int)total);
    c->m.screen = UI_SCREEN_READY;
}

static void on_reconciled(void *ctx, const struct reconcile_outcome *o)
{
    struct cashier *c = ctx;
    if (!o->ok) {
        set_message(c, true, T_RECON_FAILED, o->date);
        return;
    }
    load_differences(c);
    if (o->nitems == 0)
        return;
    set_message(c, true, T_RECON_FOUND, o->date, (int)o->nitems);
    /* Printed once per run that found differences: the slip is the manager's copy. */
    if (c->receipts && receipts_reconcile(c->receipts, o->date) != RECEIPTS_OK)
        set_message(c, true, T_REPORT_PRINT_FAILED);
}

/* reconcile.daily_at in screen mode: the same runner and schedule headless has. */
static void start_daily_reconcile(struct cashier *c)
{
    int daily = config_minute_of_day(c->cfg->reconcile_daily_at);
    struct journal *j = loop_journal(c->loop);
    if (daily < 0 || j == NULL)
        return;
    c->reconcile = reconcile_run_new(c->cfg, j, on_reconciled, c);
    struct loop_service s =
        c->reconcile ? reconcile_run_service(c->reconcile) : (struct loop_service){0};
    if (c->reconcile == NULL || loop_add_service(c->loop, &s) != LOOP_OK) {
        reconcile_run_free(c->reconcile);
        c->reconcile = NULL;
        set_message(c, true, T_RECON_UNREADABLE);
        return;
    }
    reconcile_run_daily(c->reconcile, daily);
}

static void handle(struct cashier *c, const struct ui_command *cmd)
{
    c->m.message[0] = '\0';
    c->dirty = true;
    switch (cmd->type) {
    case UI_CMD_NONE: break;
    case UI_CMD_REDRAW:
        /* Typing an amount: open the gateway connections now, not after the scan (issue 23). */
        if (c->m.screen == UI_SCREEN_READY)
            loop_warm_up(c->loop);
        break;
    case UI_CMD_AMOUNT_ENTERED:
        if (loop_start_payment(c->loop, cmd->fen) != LOOP_OK || c->m.screen == UI_SCREEN_PAYING)
            break; /* a kept code may have sent the pay already */
        c->m.screen = UI_SCREEN_SCAN;
        /* A till set to show its QR first: the scan screen only if the QR is refused. */
        if (strcmp(c->cfg->screen.customer_scans, "off") != 0)
            (void)loop_qr(c->loop, pay_channel_from_name(c->cfg->screen.customer_scans));
        break;
    case UI_CMD_CODE_KEPT:
        /* No payment waits for it: the loop keeps it for the next (screen.code_before_amount
         * "keep") and says so. */
        (void)loop_scan(c->loop, cmd->code);
        break;
    case UI_CMD_SCAN:
        (void)loop_scan(c->loop, cmd->code); /* a refusal arrives as a message */
        break;
    case UI_CMD_BACK: go_back(c); break;
    case UI_CMD_ABORT: (void)loop_abort(c->loop); break;
    case UI_CMD_QR: (void)loop_qr(c->loop, cmd->channel); break; /* a refusal: a message */
    case UI_CMD_SHOW_HISTORY:
        if (journal_usable(c)) {
            history_view_open(&c->history_view, &c->m, time(NULL));
            load_history(c);
            c->m.screen = UI_SCREEN_HISTORY;
        }
        break;
    case UI_CMD_HISTORY_FILTER_TOGGLE:
    case UI_CMD_HISTORY_DAY:
    case UI_CMD_HISTORY_PAGE:
    case UI_CMD_HISTORY_FIND:
    case UI_CMD_HISTORY_CHANNEL:
    case UI_CMD_HISTORY_STATE:
        if (journal_usable(c) && history_view_apply(&c->history_view, &c->m, cmd, time(NULL)))
            load_history(c);
        break;
    case UI_CMD_SHOW_DETAIL:
        if (journal_usable(c))
            show_detail(c, cmd->order_no);
        break;
    case UI_CMD_REFUND_START:
        c->m.screen = UI_SCREEN_REFUND;
        c->m.refund_step = UI_REFUND_ORDER;
        c->m.refund_payment = NULL;
        break;
    case UI_CMD_REFUND_LOOKUP:
        if (journal_usable(c))
            refund_lookup(c, cmd->order_no);
        break;
    case UI_CMD_REFUND_FIND:
        if (journal_usable(c))
            refund_find(c, cmd);
        break;
    case UI_CMD_REFUND_REQUEST:
        c->m.refund_fen = cmd->fen;
        c->m.refund_repeats =
            loop_refund_repeats(c->loop, cmd->order_no, cmd->fen, REFUND_REPEAT_MS);
        c->m.refund_step = UI_REFUND_CONFIRM;
        break;
    case UI_CMD_REFUND_CONFIRM: refund_confirmed(c, cmd); break;
    case UI_CMD_END_OF_DAY:
        if (journal_usable(c)) {
            show_end_of_day(c);
            if (c->receipts && c->print_eod &&
                receipts_day_report(c->receipts, c->m.eod_day) != RECEIPTS_OK)
                set_message(c, true, T_REPRINT_FAILED);
        }
        break;
    case UI_CMD_REPRINT: reprint(c, cmd->order_no); break;
    case UI_CMD_QUIT: c->quit = true; break;
    case UI_CMD_SIGN_IN: sign_in(c, cmd); break;
    case UI_CMD_SHIFT:
        if (journal_usable(c) && c->session.signed_in)
            show_shift(c);
        break;
    case UI_CMD_SIGN_OUT: sign_out(c); break;
    case UI_CMD_CLOSE_DAY_START:
        if (journal_usable(c))
            start_close(c);
        break;
    case UI_CMD_CLOSE_DAY:
        if (journal_usable(c))
            close_day(c);
        break;
    case UI_CMD_EXPORT: export_report(c); break;
    case UI_CMD_RECON_SHOW:
        if (journal_usable(c)) {
            load_differences(c);
            c->m.screen = UI_SCREEN_RECONCILE;
        }
        break;
    case UI_CMD_RECON_ACK:
        if (journal_usable(c))
            acknowledge_differences(c, cmd->code);
        break;
    }
}

static void on_receipts(void *ctx, const struct receipts_event *e)
{
    (void)e;
    ((struct cashier *)ctx)->dirty = true;
}

struct receipts_observer cashier_receipts_observer(struct cashier *c)
{
    return (struct receipts_observer){.ctx = c, .event = on_receipts};
}

void cashier_set_receipts(struct cashier *c, struct receipts *r, bool print_eod)
{
    c->receipts = r;
    c->print_eod = print_eod;
    c->m.printer_configured = r != NULL;
}

void cashier_set_fleet(struct cashier *c, struct fleet *f)
{
    c->fleet = f;
    c->m.fleet_on = f != NULL;
}

/* Head office's state for the header: unreachable once the broker has been away longer than
 * a reconnection takes, and the events waiting for it. */
static void refresh_fleet(struct cashier *c)
{
#ifdef POSTERM_WITH_MQTT
    if (!c->fleet)
        return;
    struct fleet_health fh;
    fleet_health(c->fleet, &fh);
    bool unreachable = !fh.connected && fh.down_ms >= FLEET_UNREACHABLE_AFTER_MS;
    int unsent = fh.unsent > INT32_MAX ? INT32_MAX : (int)fh.unsent;
    if (unreachable != c->m.fleet_unreachable || unsent != c->m.fleet_unsent)
        c->dirty = true;
    c->m.fleet_unreachable = unreachable;
    c->m.fleet_unsent = unsent;
#else
    (void)c;
#endif
}

/* The printer's line and the receipts owed, for the header. */
static void refresh_printer(struct cashier *c)
{
    if (!c->receipts)
        return;
    bool ready = false;
    (void)receipts_printer_line(c->receipts, &ready);
    enum printer_state st = receipts_printer_state(c->receipts);
    enum ui_printer problem = st == PRINTER_PAPER_OUT    ? UI_PRINTER_PAPER_OUT
                              : st == PRINTER_COVER_OPEN ? UI_PRINTER_COVER_OPEN
                              : st == PRINTER_OFFLINE    ? UI_PRINTER_OFFLINE
                                                         : UI_PRINTER_ABSENT;
    int waiting = receipts_waiting(c->receipts);
    if (ready != c->m.printer_ready || waiting != c->m.receipts_waiting ||
        problem != c->m.printer_problem)
        c->dirty = true;
    c->m.printer_ready = ready;
    c->m.receipts_waiting = waiting;
    c->m.printer_problem = problem;
}

/* The header and the countdown follow the loop every turn; a change means a redraw. */
static void refresh_model(struct cashier *c)
{
    enum loop_gateway_health health = loop_gateway_health(c->loop);
    bool reachable = health != LOOP_GATEWAY_DOWN, slow = health == LOOP_GATEWAY_SLOW;
    int pending = loop_background(c->loop);
    int countdown = 0, cancel_wait = 0;
    const struct payment *cur = loop_current(c->loop);
    if (cur && c->m.screen == UI_SCREEN_PAYING && cur->state != PAY_CANCELLING)
        countdown = ui_countdown_seconds(loop_cancel_at(c->loop), loop_now(c->loop));
    if (cur && c->m.screen == UI_SCREEN_PAYING && cur->abort_requested)
        cancel_wait = ui_countdown_seconds(loop_earliest_cancel(c->loop), loop_now(c->loop));
    if (cancel_wait != c->m.cancel_wait_s)
        c->dirty = true;
    c->m.cancel_wait_s = cancel_wait;
    int64_t last = cur ? cur->amount_fen : 0;
    if (last != c->m.last_amount_fen)
        c->dirty = true;
    c->m.last_amount_fen = last;
    bool connected;
    const char *scanner = loop_scanner_status(c->loop, &connected);
    int skew = loop_clock_skew(c->loop);
    struct payment bg[UI_BACKGROUND_MAX];
    int nbg = loop_background_list(c->loop, bg, UI_BACKGROUND_MAX);
    bool bg_changed = nbg != c->m.background_n;
    for (int i = 0; i < nbg && !bg_changed; i++)
        bg_changed = strcmp(bg[i].order_no, c->background[i].order_no) != 0 ||
                     bg[i].state != c->background[i].state ||
                     bg[i].cancels != c->background[i].cancels;
    if (bg_changed || skew != c->m.clock_skew_s)
        c->dirty = true;
    memcpy(c->background, bg, (size_t)nbg * sizeof bg[0]);
    c->m.background = c->background;
    c->m.background_n = nbg;
    c->m.clock_skew_s = skew;
    if (reachable != c->m.gateway_reachable || slow != c->m.gateway_slow ||
        pending != c->m.pending || countdown != c->m.countdown_s ||
        connected != c->m.scanner_connected ||
        strncmp(scanner, c->m.scanner_name, sizeof c->m.scanner_name - 1) != 0)
        c->dirty = true;
    c->m.scanner_connected = connected;
    snprintf(c->m.scanner_name, sizeof c->m.scanner_name, "%s", scanner);
    c->m.gateway_reachable = reachable;
    c->m.gateway_slow = slow;
    c->m.pending = pending;
    c->m.countdown_s = countdown;
    if (c->m.screen == UI_SCREEN_SIGNIN) {
        int locked = (int)((session_locked_for(&c->session, wall_ms()) + 999) / 1000);
        if (locked != c->m.signin_locked_s)
            c->dirty = true;
        c->m.signin_locked_s = locked;
    }
    refresh_printer(c);
    refresh_fleet(c);
}

int cashier_run(struct cashier *c, struct loop *l, volatile int *stop)
{
    c->loop = l;
    c->m.gateway_reachable = true;
    session_init(&c->session, c->cfg, loop_journal(l));
    session_restore_lock(&c->session, wall_ms());
    refund_guard_restore(&c->refunds, loop_journal(l), loop_now(l), wall_ms());
    if (session_required(&c->session))
        c->m.screen = UI_SCREEN_SIGNIN;
    load_differences(c);
    start_daily_reconcile(c);
    const struct payment *cur = loop_current(l);
    if (cur)
        on_payment(c, cur, "");
    while (!c->quit && !*stop) {
        refresh_model(c);
        if (c->dirty) {
            ui_render(c->ui, &c->m);
            c->dirty = false;
        }
        struct pollfd key = {.fd = ui_fd(c->ui), .events = POLLIN};
        /* Wake at least every quarter second so the countdown ticks on time. */
        if (loop_poll(l, &key, 1, 250) < 0)
            return 1;
        struct ui_command cmd;
        for (ui_read_keys(c->ui, &c->m, &cmd); cmd.type != UI_CMD_NONE;
             ui_read_keys(c->ui, &c->m, &cmd)) {
            handle(c, &cmd);
            explicit_bzero(cmd.pin, sizeof cmd.pin);
            explicit_bzero(cmd.code, sizeof cmd.code);
            if (c->quit)
                break;
            ui_render(c->ui, &c->m);
        }
    }
    return 0;
}
