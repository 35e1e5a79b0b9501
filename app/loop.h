/*
 * loop.h - the one event loop: payments in progress, their timers, the gateway and the
 * scanner, driven by one poll().
 *
 * The loop owns every live payment: the cashier's current one and those resumed from the
 * journal that finish in the background. It feeds the engine events and carries out the
 * actions the engine returns, journal first: when a journal write fails, the payment's
 * later actions wait (nothing is sent, nothing is shown) and the write is retried each
 * second until the disk takes it. Fronts (the ncurses screen, headless mode) call the
 * loop_* commands and learn about changes through the observer.
 */
#ifndef POSTERM_LOOP_H
#define POSTERM_LOOP_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "engine.h"
#include "gateway.h"
#include "journal.h"
#include "money.h"
#include "paycode.h"
#include "payment.h"
#include "scanner.h"

enum loop_status {
    LOOP_OK = 0,
    LOOP_BUSY,      /* a payment is under way: finish or abort it first */
    LOOP_IDLE,      /* nothing to act on (no payment waiting for a scan, nothing to abort) */
    LOOP_INVALID,   /* the input itself is wrong: the message says why */
    LOOP_DUPLICATE, /* the same code again within the de-duplication interval: ignored */
    LOOP_NOT_FOUND, /* no such order */
    LOOP_JOURNAL,   /* the journal cannot be written or is unusable: nothing was done */
    LOOP_GATEWAY,   /* the gateway client failed */
};

enum loop_level { LOOP_INFO, LOOP_WARN, LOOP_ERROR };

/* What the loop tells the cashier, one id per sentence (LOOP_NOTE_BUSY, ...): the ids, their
 * words in both languages and the values each names are one list, app/loop_notes.def. */
enum loop_note {
#define LOOP_NOTE(id, ...)       LOOP_NOTE_##id,
#define LOOP_NOTE_PLAIN(id, ...) LOOP_NOTE_##id,
#include "loop_notes.def"
#undef LOOP_NOTE
#undef LOOP_NOTE_PLAIN
    LOOP_NOTE__COUNT
};

/* One message: its id and level, its sentence in English (what headless mode and the logs
 * print) and in the cashier's language (config "language": what the screen shows), and the
 * values the sentence names. Fields a note does not use are zero; the strings live only for
 * the observer's call. */
struct loop_message {
    enum loop_note note;
    enum loop_level level;
    const char *text;         /* English */
    const char *cashier_text; /* the cashier's language; the same as text in English */
    const char *order_no;
    const char *refund_no;
    const char *code; /* masked, never the full payment code */
    int count;
    int64_t amount_fen;
    enum pay_channel channel;
    enum pay_state state;
    enum money_status money;
    enum paycode_status paycode;
    enum engine_status engine;
    enum journal_status journal;
    enum pay_cause cause;       /* why a payment ended, worded by the note (never last_error) */
    const char *journal_reason; /* journal_status_reason(journal), set by the loop */
    const char *detail; /* technical words kept in English (SQLite's error, a terminal id) */
};

struct loop_observer {
    void *ctx;
    /* A payment changed (event is the transition's name, e.g. "paid"). */
    void (*payment_changed)(void *ctx, const struct payment *p, const char *event);
    /* Something the cashier should read: a refused scan, a journal problem, ... */
    void (*message)(void *ctx, const struct loop_message *m);
    /* A code from the scanner (USB, HID POS, evdev, stdin), before it is taken as a payment
     * code: true when the front took it for itself (the refund screen waiting for an order),
     * and the loop then forgets it. NULL, or false: it goes to loop_scan. */
    bool (*scan_taken)(void *ctx, const char *code);
};

/* Reads time; tests may replace it to move clocks. Both in ms. */
struct loop_clock {
    int64_t (*mono)(void *ctx);
    int64_t (*wall)(void *ctx);
    void *ctx;
};

struct loop;

/* journal may be NULL (unusable file): the loop then refuses every new payment with
 * journal_problem as the reason. scanner may be NULL (scans then come only through
 * loop_scan, from the keyboard or headless input). clock may be NULL (system clocks). */
enum loop_status loop_open(struct loop **out, const struct config *cfg, struct journal *journal,
                           const char *journal_problem, struct gateway *gateway,
                           struct scanner *scanner, const struct loop_clock *clock,
                           const struct loop_observer *observer);
void loop_close(struct loop *l);

/* Loads every unresolved payment from the journal and schedules its resumption for the
 * loop's first turns (a new payment resumes any still waiting first). Called once, before
 * any new payment is taken. *count gets how many were loaded. Fails closed: if they cannot
 * all be read, no new payment is taken, the observer is told why, and the loop tries the
 * read again every few seconds. */
enum loop_status loop_recover(struct loop *l, int *count);

/* Tells the cashier that the journal found itself on another machine (a copied disk) and
 * took a new identity: its order numbers start afresh from identity. */
void loop_journal_copied(struct loop *l, const char *identity);

/* Cashier commands. Each returns LOOP_OK or says why nothing happened (and tells the
 * observer's message in plain words). */
enum loop_status loop_start_payment(struct loop *l, int64_t amount_fen);
/* As loop_start_payment, with subject (NULL or "": the config's) as the order's subject at the
 * gateway, shown in the customer's app: UTF-8 of at most 127 bytes (the register API's
 * description, checked and cut by register_line.c). Kept in memory only: a payment resumed
 * after a restart is queried or cancelled, never paid again, and needs none. */
enum loop_status loop_start_described_payment(struct loop *l, int64_t amount_fen,
                                              const char *subject);

/* A payment is likely soon (the cashier keyed an amount's first digit; loop_start_payment
 * calls it too): opens the gateway connections that are not open, so the pay that follows
 * pays one round trip, not a handshake's (gateway_warm_up). */
void loop_warm_up(struct loop *l);

/* A code with no payment waiting for it is refused (SCAN_BEFORE_AMOUNT), or, with the
 * config's screen.code_before_amount "keep", kept (CODE_KEPT, LOOP_OK): the next
 * loop_start_payment scans it, if it is less than a minute old (else CODE_TOO_OLD). */
enum loop_status loop_scan(struct loop *l, const char *code);
/* The amount waiting (a payment in NEW) is paid by the customer scanning the terminal's QR
 * for channel (dynamic QR, engine.h EV_QR): the order is created at the gateway and its
 * payload, once a verified reply gave it, is in loop_current()->qr_payload (shown through
 * payment_changed). The QR closes at loop_cancel_at() or on loop_abort(). Refused (with a
 * message) with no amount waiting, a channel not set up, or WeChat without
 * wechat.notify_url. */
enum loop_status loop_qr(struct loop *l, enum pay_channel channel);
enum loop_status loop_abort(struct loop *l);
/* Refunds (part of) a paid order. key, if not NULL or "", is the caller's idempotency key:
 * the same key again returns LOOP_DUPLICATE with the first refund's state and sends
 * nothing. A refund under way refuses another (LOOP_BUSY). */
enum loop_status loop_refund(struct loop *l, const char *order_no, int64_t amount_fen,
                             const char *key);
/* True when the order's last refund was of this amount within the last within_ms (and did
 * not fail): the cashier screen asks before refunding the same again. */
bool loop_refund_repeats(struct loop *l, const char *order_no, int64_t amount_fen,
                         int64_t within_ms);

/* The cashier's current payment (also after it ended, until the next one starts), or NULL. */
const struct payment *loop_current(const struct loop *l);
/* Unresolved payments other than the current one (the "being resolved" count). */
int loop_background(const struct loop *l);
/* Copies of the same payments, at most max of them, for a screen that lists what is still
 * being cancelled or refunded. */
int loop_background_list(const struct loop *l, struct payment *out, int max);
/* False while new payments are refused for want of a journal or of a complete recovery. */
bool loop_taking_payments(const struct loop *l);
/* The gateway's clock minus the terminal's, in seconds, when more than 5 minutes apart
 * (0 otherwise): the screen and headless status raise "the clock is wrong". */
int loop_clock_skew(const struct loop *l);
/* Monotonic ms now, and the current payment's automatic-cancel moment (0 = none). */
int64_t loop_now(const struct loop *l);
int64_t loop_cancel_at(const struct loop *l);
/* The current payment's earliest cancel (monotonic ms): its pay request's departure plus the
 * policy's min_cancel_ms (WeChat Pay refuses a cancel sooner). 0 when it is not being paid
 * (PAYING or QUERYING). After an abort the cancel waits for this moment. */
int64_t loop_earliest_cancel(const struct loop *l);
/* False after the gateway last failed to answer usably: no HTTP answer at all, or an answer
 * that cannot be believed (an HTTP 503, a broken signature); true after any other answer. */
bool loop_gateway_reachable(const struct loop *l);

/* The gateway as the cashier sees it. DOWN: as loop_gateway_reachable false. SLOW: answering,
 * but the mean round trip of the last LOOP_GATEWAY_RTT_KEPT answers, or the wait of a request
 * still out, is above the config's gateway_slow_ms (http.gateway_slow_ms). ONLINE otherwise
 * (and before any request). */
enum loop_gateway_health { LOOP_GATEWAY_ONLINE, LOOP_GATEWAY_SLOW, LOOP_GATEWAY_DOWN };
#define LOOP_GATEWAY_RTT_KEPT 3
enum loop_gateway_health loop_gateway_health(const struct loop *l);
/* "online", "slow", "down" (headless status). */
const char *loop_gateway_health_name(enum loop_gateway_health h);
struct journal *loop_journal(const struct loop *l);
/* The scanner's line for the screen ("" without one: the keyboard types codes); *connected
 * as it stands. */
const char *loop_scanner_status(const struct loop *l, bool *connected);

/* A service that shares the loop's one poll() (the receipt printer's queue, later MQTT).
 * pollfds fills at most max descriptors and may lower *timeout_ms (-1 on entry: no limit of
 * its own) and returns how many it filled; process gets the same descriptors with their
 * revents (all zero after a timeout) and the loop's monotonic ms. Neither may block. */
struct loop_service {
    void *ctx;
    int (*pollfds)(void *ctx, struct pollfd *fds, int max, int64_t *timeout_ms);
    void (*process)(void *ctx, const struct pollfd *fds, int nfds, int64_t now_ms);
};
#define LOOP_SERVICES_MAX 4

/* Adds a service, polled from the next loop_poll() on, in the order added, after the scanner
 * and before the payments' timers. LOOP_INVALID when LOOP_SERVICES_MAX are already there or
 * a function is missing. */
enum loop_status loop_add_service(struct loop *l, const struct loop_service *s);

/* Polls the gateway, the scanner, the timers and the caller's own descriptors (extra), for
 * at most max_wait_ms, and handles whatever is ready. extra[i].revents tell the caller
 * what is ready for it. Returns the number of extra descriptors ready, or -1 on a poll error. */
int loop_poll(struct loop *l, struct pollfd *extra, int nextra, int64_t max_wait_ms);

#endif
