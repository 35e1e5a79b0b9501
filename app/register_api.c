/*
 * register_api.c - the cash register's socket: clients, their lines, their events
 * (register_api.h; the wire format is register_line.h, the spec app/REGISTER_API.md).
 *
 * One thread, the loop's: commands run on the loop directly (loop_start_payment, loop_abort,
 * refund_guarded), exactly as a front's keys do, and their refusals come back through the
 * observer, which this module stands in front of.
 */
#include "register_api.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "money.h"
#include "paycode.h"
#include "refund_guard.h"
#include "register_line.h"
#include "register_tls.h"
#include "reports.h"
#include "sales.h"
#include "zreports.h"

/* Orders whose events go to a client: the payments and refunds under way. */
#define WATCHES_MAX 16
/* How long the socket is not listened to after accept() failed for want of descriptors. */
#define ACCEPT_PAUSE_MS 1000
/* How long a TCP client may take over its TLS handshake before its place is given back. */
#define HANDSHAKE_MS 10000

struct client {
    int fd; /* -1: a free slot */
    uint64_t id;
    struct register_reader in;
    char *out; /* cfg->api.max_queue bytes */
    size_t out_used;
    bool read_closed; /* it sent its last request (shut its side): kept for the events owed */
    struct register_tls_session *tls; /* a TCP client's TLS (NULL: plain) */
    int64_t handshake_until;          /* loop ms; 0 once the TLS handshake is done (or none) */
};

struct watch {
    char order_no[ORDER_NO_MAX + 1]; /* "" = free */
    char sale_id[JOURNAL_SALE_ID_MAX + 1];
    uint64_t client;
};

struct register_api {
    const struct config *cfg;
    struct loop_observer front;
    struct loop *loop;
    struct receipts *receipts;
    struct refund_guard refunds;
    int listen_fd;
    int tcp_fd;               /* api.listen, -1 when not set */
    struct register_tls *tls; /* api.listen's TLS, NULL for plain TCP (loopback only) */
    int64_t accept_again_at;  /* loop ms: accept() failed, listen again from then */
    char path[sizeof((struct sockaddr_un *)0)->sun_path];
    struct client *clients;
    int nclients;
    uint64_t next_id;
    struct watch watches[WATCHES_MAX];

    /* While a client's command runs: who asked (loop messages go to it), the sale whose
     * order is being created (its "created" event makes the watch), the loop's last words. */
    uint64_t asking;
    const char *creating_sale;
    char last_text[512];
};

static struct client *client_by_id(struct register_api *a, uint64_t id)
{
    for (int i = 0; id && i < a->nclients; i++)
        if (a->clients[i].fd >= 0 && a->clients[i].id == id)
            return &a->clients[i];
    return NULL;
}

static void drop(struct client *c)
{
    if (c->fd < 0)
        return;
    register_tls_end(c->tls);
    c->tls = NULL;
    c->handshake_until = 0;
    close(c->fd);
    c->fd = -1;
    c->id = 0;
    c->out_used = 0;
    c->in.used = 0;
    c->read_closed = false;
}

/* Bytes from the client: > 0 read, 0 it closed, -1 nothing now, -2 broken. */
static ssize_t client_recv(struct client *c, char *buf, size_t n)
{
    if (c->tls)
        return register_tls_read(c->tls, buf, n);
    ssize_t got = recv(c->fd, buf, n, MSG_DONTWAIT);
    if (got >= 0)
        return got;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -1 : -2;
}

/* Bytes to the client: > 0 written, -1 not now, -2 broken. */
static ssize_t client_send(struct client *c, const char *buf, size_t n)
{
    if (c->tls)
        return register_tls_write(c->tls, buf, n);
    ssize_t put = send(c->fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (put >= 0)
        return put;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -1 : -2;
}

/* Sends what is queued, as much as the socket takes now (nothing before the handshake's end:
 * the queue's head stays as it is until written, as TLS needs). */
static void flush_out(struct client *c)
{
    while (c->fd >= 0 && c->out_used > 0 && c->handshake_until == 0) {
        ssize_t n = client_send(c, c->out, c->out_used);
        if (n < 0) {
            if (n == -2)
                drop(c);
            return;
        }
        memmove(c->out, c->out + n, c->out_used - (size_t)n);
        c->out_used -= (size_t)n;
    }
}

/* Queues one JSON line for the client and deletes o. A client whose queue would pass
 * api.max_queue has stopped reading: it is dropped, never waited for. */
static void send_to(struct register_api *a, struct client *c, cJSON *o)
{
    char *text = c && c->fd >= 0 ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (text == NULL)
        return;
    size_t len = strlen(text);
    if (c->out_used + len + 1 > (size_t)a->cfg->api.max_queue) {
        fprintf(stderr,
                "posterm: register API: a client stopped reading (%zu bytes of events owed, "
                "api.max_queue %d): disconnected\n",
                c->out_used, a->cfg->api.max_queue);
        drop(c);
    } else {
        memcpy(c->out + c->out_used, text, len);
        c->out[c->out_used + len] = '\n';
        c->out_used += len + 1;
        flush_out(c);
    }
    free(text);
}

static cJSON *event_object(const char *name)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "event", name);
    return o;
}

static void add_money(cJSON *o, const char *key, int64_t fen)
{
    char text[MONEY_TEXT_MAX];
    cJSON_AddStringToObject(o, key, money_format(fen, text));
}

/* Where the payment is, in the register's words. */
static const char *step_of(const struct payment *p)
{
    switch (p->state) {
    case PAY_NEW: return "waiting_for_code";
    case PAY_PAYING: return "sent";
    case PAY_QUERYING: return p->customer_confirming ? "customer_confirming" : "checking";
    case PAY_CANCELLING: return "cancelling";
    case PAY_PAID: return "paid";
    case PAY_FAILED: return pay_not_started(p) ? "not_started" : "failed";
    case PAY_CANCELLED: return "cancelled";
    case PAY_REFUNDING: return "refunding";
    case PAY_REFUNDED: return "refunded";
    case PAY_REFERRED: return "referred";
    }
    return "unknown";
}

/* The payment as headless mode prints it, with the sale and the register's step. */
static void add_payment(cJSON *o, const char *sale_id, const struct payment *p)
{
    char masked[AUTH_CODE_MAX + 8];
    if (sale_id && sale_id[0])
        cJSON_AddStringToObject(o, "sale_id", sale_id);
    cJSON_AddStringToObject(o, "order", p->order_no);
    cJSON_AddStringToObject(o, "state", pay_state_name(p->state));
    cJSON_AddStringToObject(o, "step", step_of(p));
    cJSON_AddBoolToObject(o, "final", !pay_state_unresolved(p->state));
    add_money(o, "amount", p->amount_fen);
    cJSON_AddStringToObject(o, "channel", pay_channel_name(p->channel));
    cJSON_AddStringToObject(o, "kind", pay_kind_name(p->kind));
    paycode_mask(p->auth_code[0] ? p->auth_code : p->code_last4, masked, sizeof masked);
    cJSON_AddStringToObject(o, "code", masked);
    cJSON_AddBoolToObject(o, "confirming", p->customer_confirming);
    cJSON_AddBoolToObject(o, "abort_requested", p->abort_requested);
    cJSON_AddStringToObject(o, "trade_no", p->trade_no);
    cJSON_AddStringToObject(o, "error", p->last_error);
    cJSON_AddStringToObject(o, "cause", pay_cause_name(p->last_cause));
    add_money(o, "refunded", p->refunded_fen);
}

static void send_error(struct register_api *a, struct client *c, const char *error,
                       const char *sale_id, const char *text)
{
    cJSON *o = event_object("error");
    cJSON_AddStringToObject(o, "error", error);
    if (sale_id && sale_id[0])
        cJSON_AddStringToObject(o, "sale_id", sale_id);
    cJSON_AddStringToObject(o, "text", text);
    send_to(a, c, o);
}

static struct watch *watch_of(struct register_api *a, const char *order_no)
{
    for (int i = 0; i < WATCHES_MAX; i++)
        if (a->watches[i].order_no[0] && strcmp(a->watches[i].order_no, order_no) == 0)
            return &a->watches[i];
    return NULL;
}

/* From now on the order's events go to client (the last to ask about it). */
static void watch(struct register_api *a, const char *order_no, const char *sale_id,
                  uint64_t client)
{
    struct watch *w = watch_of(a, order_no);
    for (int i = 0; w == NULL && i < WATCHES_MAX; i++)
        if (a->watches[i].order_no[0] == '\0')
            w = &a->watches[i];
    if (w == NULL)
        w = &a->watches[0]; /* every slot busy: the oldest gives way; status still answers */
    snprintf(w->order_no, sizeof w->order_no, "%s", order_no);
    snprintf(w->sale_id, sizeof w->sale_id, "%s", sale_id ? sale_id : "");
    w->client = client;
}

/* A client that has shut its side (`echo ... | socat`) stays until its payments' events are
 * out: then it is closed. */
static void close_if_done(struct register_api *a, struct client *c)
{
    if (c == NULL || c->fd < 0 || !c->read_closed || c->out_used > 0)
        return;
    for (int i = 0; i < WATCHES_MAX; i++)
        if (a->watches[i].order_no[0] && a->watches[i].client == c->id)
            return;
    drop(c);
}

static void on_payment(void *ctx, const struct payment *p, const char *event)
{
    struct register_api *a = ctx;
    if (a->front.payment_changed)
        a->front.payment_changed(a->front.ctx, p, event);
    if (a->creating_sale && p->state == PAY_NEW && strcmp(event, "created") == 0)
        watch(a, p->order_no, a->creating_sale, a->asking);
    struct watch *w = watch_of(a, p->order_no);
    if (w == NULL)
        return;
    cJSON *o = event_object("payment");
    cJSON_AddStringToObject(o, "transition", event);
    add_payment(o, w->sale_id, p);
    struct client *c = client_by_id(a, w->client);
    send_to(a, c, o);
    if (!pay_state_unresolved(p->state)) {
        w->order_no[0] = '\0';
        close_if_done(a, c);
    }
}

static void on_message(void *ctx, const struct loop_message *m)
{
    static const char *const levels[] = {"info", "warn", "error"};
    struct register_api *a = ctx;
    if (a->front.message)
        a->front.message(a->front.ctx, m);
    struct client *to = client_by_id(a, a->asking);
    struct watch *w = m->order_no ? watch_of(a, m->order_no) : NULL;
    if (a->asking)
        snprintf(a->last_text, sizeof a->last_text, "%s", m->text);
    else if (w)
        to = client_by_id(a, w->client);
    if (to == NULL)
        return;
    cJSON *o = event_object("message");
    cJSON_AddStringToObject(o, "level", levels[m->level]);
    cJSON_AddStringToObject(o, "text", m->text);
    if (m->order_no && m->order_no[0])
        cJSON_AddStringToObject(o, "order", m->order_no);
    send_to(a, to, o);
}

static bool on_scan_taken(void *ctx, const char *code)
{
    struct register_api *a = ctx;
    return a->front.scan_taken && a->front.scan_taken(a->front.ctx, code);
}

struct loop_observer register_api_observer(struct register_api *a)
{
    return (struct loop_observer){.ctx = a,
                                  .payment_changed = on_payment,
                                  .message = on_message,
                                  .scan_taken = on_scan_taken};
}

/* The payment of order_no as it is now: the loop's own copy while it is the current one
 * (it knows whether the customer is confirming), else the journal's. */
static enum journal_status payment_now(struct register_api *a, const char *order_no,
                                       struct payment *out)
{
    const struct payment *cur = loop_current(a->loop);
    if (cur && strcmp(cur->order_no, order_no) == 0) {
        *out = *cur;
        explicit_bzero(out->auth_code, sizeof out->auth_code);
        return JOURNAL_OK;
    }
    return journal_load(loop_journal(a->loop), order_no, out);
}

static void journal_error(struct register_api *a, struct client *c, const char *sale_id,
                          enum journal_status st)
{
    struct journal *j = loop_journal(a->loop);
    char text[400];
    snprintf(text, sizeof text, "the journal: %s%s%s%s", journal_status_reason(st), j ? " (" : "",
             j ? journal_last_error(j) : "", j ? ")" : "");
    send_error(a, c, "journal", sale_id, text);
}

enum sale_lookup { SALE_FOUND, SALE_UNKNOWN, SALE_UNREADABLE };

/* The sale's order into order_no. Unreadable: the client was told why; unknown: told too
 * when unknown_is_error (abort, refund: there is nothing to act on). */
static enum sale_lookup find_sale(struct register_api *a, struct client *c, const char *sale_id,
                                  char *order_no, bool unknown_is_error)
{
    struct journal *j = loop_journal(a->loop);
    enum journal_status st = j ? sale_order(j, sale_id, order_no) : JOURNAL_IO;
    if (st == JOURNAL_OK)
        return SALE_FOUND;
    if (st != JOURNAL_NOT_FOUND) {
        journal_error(a, c, sale_id, st);
        return SALE_UNREADABLE;
    }
    if (unknown_is_error)
        send_error(a, c, "unknown_sale", sale_id, "no payment was ever started for this sale");
    return SALE_UNKNOWN;
}

/* A sale's payment as an event (payment, status); false when it could not be read. */
static bool send_sale(struct register_api *a, struct client *c, const char *event,
                      const char *transition, const char *sale_id, const char *order_no)
{
    struct payment p;
    enum journal_status st = payment_now(a, order_no, &p);
    if (st != JOURNAL_OK) {
        journal_error(a, c, sale_id, st);
        return false;
    }
    cJSON *o = event_object(event);
    if (transition)
        cJSON_AddStringToObject(o, "transition", transition);
    cJSON_AddBoolToObject(o, "known", true);
    add_payment(o, sale_id, &p);
    send_to(a, c, o);
    return true;
}

static void start_payment(struct register_api *a, struct client *c,
                          const struct register_request *r)
{
    char order_no[ORDER_NO_MAX + 1];
    struct journal *j = loop_journal(a->loop);
    enum sale_lookup found = j ? find_sale(a, c, r->sale_id, order_no, false) : SALE_UNKNOWN;
    if (found == SALE_UNREADABLE)
        return;
    if (found == SALE_FOUND) {
        /* Known: its state, never a second charge; the asker takes its events up. */
        if (send_sale(a, c, "payment", "known", r->sale_id, order_no)) {
            struct payment p;
            if (payment_now(a, order_no, &p) == JOURNAL_OK && pay_state_unresolved(p.state))
                watch(a, order_no, r->sale_id, c->id);
        }
        return;
    }
    if (j == NULL) {
        /* The loop says why with its own words. */
        (void)loop_start_payment(a->loop, r->amount_fen);
        send_error(a, c, "journal", r->sale_id, a->last_text);
        return;
    }
    journal_set_sale(j, r->sale_id);
    a->creating_sale = r->sale_id;
    enum loop_status st = loop_start_described_payment(a->loop, r->amount_fen, r->description);
    a->creating_sale = NULL;
    journal_set_sale(j, NULL);
    if (st == LOOP_OK)
        return; /* its "created" event went to the client, as every later one will */
    send_error(a, c,
               st == LOOP_BUSY      ? "busy"
               : st == LOOP_JOURNAL ? "journal"
                                    : "refused",
               r->sale_id, a->last_text[0] ? a->last_text : "the payment was not started");
}

static void reply_status(struct register_api *a, struct client *c, const struct register_request *r)
{
    char order_no[ORDER_NO_MAX + 1];
    if (r->sale_id[0]) {
        enum sale_lookup found = find_sale(a, c, r->sale_id, order_no, false);
        if (found == SALE_FOUND) {
            send_sale(a, c, "status", NULL, r->sale_id, order_no);
        } else if (found == SALE_UNKNOWN) {
            /* Never started here: nothing was sent for it, no money can have moved. */
            cJSON *o = event_object("status");
            cJSON_AddBoolToObject(o, "known", false);
            cJSON_AddStringToObject(o, "sale_id", r->sale_id);
            send_to(a, c, o);
        }
        return;
    }
    cJSON *o = event_object("status");
    const struct payment *p = loop_current(a->loop);
    struct journal *j = loop_journal(a->loop);
    if (p) {
        char sale[JOURNAL_SALE_ID_MAX + 1] = "";
        if (j)
            (void)sale_of_order(j, p->order_no, sale);
        struct payment copy = *p;
        explicit_bzero(copy.auth_code, sizeof copy.auth_code);
        add_payment(cJSON_AddObjectToObject(o, "current"), sale, &copy);
    } else {
        cJSON_AddNullToObject(o, "current");
    }
    cJSON_AddBoolToObject(
        o, "busy",
        p && (p->state == PAY_NEW || p->state == PAY_PAYING || p->state == PAY_QUERYING));
    cJSON_AddNumberToObject(o, "background", loop_background(a->loop));
    cJSON_AddBoolToObject(o, "taking_payments", loop_taking_payments(a->loop));
    cJSON_AddStringToObject(o, "gateway", loop_gateway_health_name(loop_gateway_health(a->loop)));
    send_to(a, c, o);
}

static void abort_sale(struct register_api *a, struct client *c, const struct register_request *r)
{
    char order_no[ORDER_NO_MAX + 1];
    if (find_sale(a, c, r->sale_id, order_no, true) != SALE_FOUND)
        return;
    const struct payment *cur = loop_current(a->loop);
    bool current = cur && strcmp(cur->order_no, order_no) == 0;
    bool abortable = current && pay_state_unresolved(cur->state) && cur->state != PAY_CANCELLING;
    if (abortable)
        watch(a, order_no, r->sale_id, c->id); /* the abort's own events come to the asker */
    bool accepted = abortable && loop_abort(a->loop) == LOOP_OK;
    struct payment p;
    enum journal_status st = payment_now(a, order_no, &p);
    if (st != JOURNAL_OK) {
        journal_error(a, c, r->sale_id, st);
        return;
    }
    cJSON *o = event_object("abort");
    cJSON_AddBoolToObject(o, "accepted", accepted);
    if (!accepted)
        cJSON_AddStringToObject(o, "reason",
                                !pay_state_unresolved(p.state) ? "the payment has already ended"
                                : p.state == PAY_CANCELLING || p.abort_requested
                                    ? "the payment is already being cancelled"
                                    : "the payment cannot be aborted now");
    add_payment(o, r->sale_id, &p);
    send_to(a, c, o);
    if (pay_state_unresolved(p.state))
        watch(a, order_no, r->sale_id, c->id);
}

static void refund(struct register_api *a, struct client *c, const struct register_request *r)
{
    char order_no[ORDER_NO_MAX + 1];
    if (r->sale_id[0]) {
        if (find_sale(a, c, r->sale_id, order_no, true) != SALE_FOUND)
            return;
    } else {
        snprintf(order_no, sizeof order_no, "%s", r->order);
    }
    struct journal *j = loop_journal(a->loop);
    char sale[JOURNAL_SALE_ID_MAX + 1] = "";
    if (r->sale_id[0])
        snprintf(sale, sizeof sale, "%s", r->sale_id);
    else if (j)
        (void)sale_of_order(j, order_no, sale);
    /* The refund's first event comes during the call: the asker watches before it, and the
     * order's earlier watcher, if any, is given back when nothing was asked. */
    struct watch *was = watch_of(a, order_no);
    struct watch before = was ? *was : (struct watch){0};
    watch(a, order_no, sale, c->id);
    struct refund_decision d;
    enum loop_status st = refund_guarded(&a->refunds, a->loop, order_no, r->amount_fen, r->key,
                                         r->pin[0] ? r->pin : NULL, &d);
    struct watch *now = watch_of(a, order_no);
    if (st != LOOP_OK && now)
        *now = before;
    if (st == LOOP_INVALID && d.verdict != REFUND_ALLOWED) {
        char text[320];
        send_error(a, c, "refused", r->sale_id, refund_decision_text(&d, text, sizeof text));
        return;
    }
    struct journal_refund known;
    if (st == LOOP_DUPLICATE && j && journal_refund_by_key(j, r->key, &known) == JOURNAL_OK) {
        cJSON *o = event_object("refund");
        cJSON_AddBoolToObject(o, "accepted", false);
        cJSON_AddBoolToObject(o, "known", true);
        cJSON_AddStringToObject(o, "key", r->key);
        cJSON_AddStringToObject(o, "order", known.order_no);
        cJSON_AddStringToObject(o, "refund", known.refund_no);
        cJSON_AddStringToObject(o, "state", known.state);
        add_money(o, "amount", known.amount_fen);
        send_to(a, c, o);
        return;
    }
    if (st != LOOP_OK) {
        send_error(a, c,
                   st == LOOP_BUSY        ? "busy"
                   : st == LOOP_NOT_FOUND ? "unknown_order"
                   : st == LOOP_JOURNAL   ? "journal"
                                          : "refused",
                   r->sale_id, a->last_text[0] ? a->last_text : "the refund was not asked");
        return;
    }
    cJSON *o = event_object("refund");
    cJSON_AddBoolToObject(o, "accepted", true);
    if (sale[0])
        cJSON_AddStringToObject(o, "sale_id", sale);
    cJSON_AddStringToObject(o, "key", r->key);
    cJSON_AddStringToObject(o, "order", order_no);
    send_to(a, c, o);
}

static void add_totals(cJSON *o, const char *key, const struct report_totals *t)
{
    cJSON *c = cJSON_AddObjectToObject(o, key);
    cJSON_AddNumberToObject(c, "paid", (double)t->paid_count);
    cJSON_AddNumberToObject(c, "refunded_orders", (double)t->refunded_count);
    add_money(c, "charged", t->charged_fen);
    add_money(c, "refunds", t->refunded_fen);
    add_money(c, "net", t->net_fen);
    cJSON_AddNumberToObject(c, "unresolved", (double)t->unresolved_count);
}

static void add_day(cJSON *o, const struct report_day *d)
{
    add_totals(o, "wechat", &d->channel[CHANNEL_WECHAT]);
    add_totals(o, "alipay", &d->channel[CHANNEL_ALIPAY]);
    add_totals(o, "all", &d->all);
}

static int add_referred(void *ctx, const struct payment *p)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return 1;
    add_payment(o, NULL, p);
    cJSON_AddItemToArray(ctx, o);
    return 0;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The X report: today's running totals and what is left for the merchant (headless eod). */
static void reply_totals(struct register_api *a, struct client *c)
{
    struct journal *j = loop_journal(a->loop);
    int64_t from, to;
    int day;
    struct report_day d;
    report_local_day(time(NULL), &from, &to, &day);
    enum journal_status st = j ? report_totals(j, from, to, &d) : JOURNAL_IO;
    cJSON *o = event_object("totals");
    cJSON_AddNumberToObject(o, "day", day);
    cJSON *referred = cJSON_CreateArray();
    if (st == JOURNAL_OK)
        st = report_referred(j, add_referred, referred);
    if (st != JOURNAL_OK) {
        cJSON_Delete(referred);
        cJSON_Delete(o);
        journal_error(a, c, NULL, st);
        return;
    }
    add_day(o, &d);
    cJSON_AddItemToObject(o, "referred", referred);
    send_to(a, c, o);
}

/* The Z report, as headless `close`: refused while a payment still owes work. */
static void close_day(struct register_api *a, struct client *c)
{
    struct journal *j = loop_journal(a->loop);
    int unresolved = 0;
    enum journal_status st = j ? journal_count_unresolved(j, &unresolved) : JOURNAL_IO;
    if (st == JOURNAL_OK && unresolved > 0) {
        char text[200];
        snprintf(text, sizeof text,
                 "%d payment(s) still being resolved; close the day when they are done",
                 unresolved);
        send_error(a, c, "busy", NULL, text);
        return;
    }
    struct z_report z;
    if (st == JOURNAL_OK)
        st = z_report_close(j, wall_ms(), &z);
    if (st != JOURNAL_OK) {
        journal_error(a, c, NULL, st);
        return;
    }
    char number[32];
    snprintf(number, sizeof number, "Z-%04lld", (long long)z.number);
    cJSON *o = event_object("z");
    cJSON_AddStringToObject(o, "number", number);
    cJSON_AddNumberToObject(o, "day", z.day);
    cJSON_AddNumberToObject(o, "from_at", (double)z.from_at);
    cJSON_AddNumberToObject(o, "closed_at", (double)z.closed_at);
    add_day(o, &z.totals);
    cJSON_AddBoolToObject(o, "printing",
                          a->receipts != NULL &&
                              receipts_z_report(a->receipts, z.number) == RECEIPTS_OK);
    send_to(a, c, o);
}

struct line_ctx {
    struct register_api *a;
    struct client *c;
};

static int on_line(void *ctx, char *line, size_t len)
{
    struct line_ctx *lc = ctx;
    struct register_api *a = lc->a;
    struct client *c = lc->c;
    if (strspn(line, " \t") == len)
        return 0; /* a blank line is no request */
    struct register_request r;
    char why[256];
    enum register_error e = register_parse(line, len, &r, why, sizeof why);
    if (e != REGISTER_OK) {
        send_error(a, c, register_error_name(e), NULL, why);
        return c->fd < 0;
    }
    a->asking = c->id;
    a->last_text[0] = '\0';
    switch (r.command) {
    case REGISTER_PAYMENT: start_payment(a, c, &r); break;
    case REGISTER_STATUS: reply_status(a, c, &r); break;
    case REGISTER_ABORT: abort_sale(a, c, &r); break;
    case REGISTER_REFUND: refund(a, c, &r); break;
    case REGISTER_TOTALS: reply_totals(a, c); break;
    case REGISTER_CLOSE_DAY: close_day(a, c); break;
    }
    a->asking = 0;
    explicit_bzero(r.pin, sizeof r.pin);
    return c->fd < 0; /* dropped meanwhile: nothing more is read from it */
}

/* A TCP client's TLS handshake, as far as its socket allows: true once it is done. */
static bool handshake(struct client *c)
{
    if (c->handshake_until == 0)
        return true;
    char why[256];
    enum register_tls_step st = register_tls_handshake(c->tls, why, sizeof why);
    if (st == REGISTER_TLS_WAITING)
        return false;
    if (st == REGISTER_TLS_REFUSED) {
        fprintf(stderr, "posterm: register API: a TCP client refused: %s\n", why);
        drop(c);
        return false;
    }
    c->handshake_until = 0;
    return true;
}

/* One read of at most 4 KB per client per poll turn: a register that floods cheap requests
 * (a `totals` is ~20 bytes and a journal query) costs the till one 4 KB batch per turn, not
 * 64 KB; poll() says again next turn that the rest is waiting. */
static void read_client(struct register_api *a, struct client *c)
{
    char buf[4096];
    if (!handshake(c) || c->fd < 0)
        return;
    ssize_t n = client_recv(c, buf, sizeof buf);
    if (n == -2) {
        drop(c);
        return;
    }
    if (n == 0) {
        c->read_closed = true;
        close_if_done(a, c);
        return;
    }
    if (n < 0)
        return;
    struct line_ctx lc = {a, c};
    if (register_reader_feed(&c->in, buf, (size_t)n, on_line, &lc) == REGISTER_FEED_TOO_LONG) {
        char why[128];
        snprintf(why, sizeof why, "a line longer than %d bytes (api.max_line): disconnected",
                 a->cfg->api.max_line);
        send_error(a, c, "line_too_long", NULL, why);
        drop(c);
    }
}

static void accept_clients(struct register_api *a, int listen_fd, int64_t now_ms)
{
    for (;;) {
        int fd = accept(listen_fd, NULL, NULL);
        if (fd < 0) {
            /* Out of descriptors (EMFILE) leaves the connection waiting and the socket
             * readable: listening again a second later keeps poll() from spinning. */
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                a->accept_again_at = now_ms + ACCEPT_PAUSE_MS;
            return;
        }
        if (fcntl(fd, F_SETFL, O_NONBLOCK) != 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
            close(fd);
            continue;
        }
        struct client *c = NULL;
        for (int i = 0; c == NULL && i < a->nclients; i++)
            if (a->clients[i].fd < 0)
                c = &a->clients[i];
        if (c == NULL) {
            static const char full[] =
                "{\"event\":\"error\",\"error\":\"too_many_clients\","
                "\"text\":\"every connection (api.max_clients) is taken\"}\n";
            (void)send(fd, full, sizeof full - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
            close(fd);
            continue;
        }
        /* TCP's send buffer grows to megabytes for a client that does not read: held to
         * api.max_queue, the kernel keeps no more for it than posterm would. */
        if (listen_fd == a->tcp_fd)
            (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &a->cfg->api.max_queue,
                             sizeof a->cfg->api.max_queue);
        if (listen_fd == a->tcp_fd && a->tls) {
            c->tls = register_tls_accept(a->tls, fd);
            if (c->tls == NULL) {
                close(fd);
                continue;
            }
            c->handshake_until = now_ms + HANDSHAKE_MS;
        }
        c->fd = fd;
        c->id = ++a->next_id;
        c->in.used = 0;
        c->out_used = 0;
    }
}

static int api_pollfds(void *ctx, struct pollfd *fds, int max, int64_t *timeout_ms)
{
    struct register_api *a = ctx;
    int n = 0;
    int64_t pause = a->accept_again_at - loop_now(a->loop);
    if (pause > 0 && (*timeout_ms < 0 || pause < *timeout_ms))
        *timeout_ms = pause;
    if (n < max)
        fds[n++] = (struct pollfd){.fd = a->listen_fd, .events = pause > 0 ? 0 : POLLIN};
    if (a->tcp_fd >= 0 && n < max)
        fds[n++] = (struct pollfd){.fd = a->tcp_fd, .events = pause > 0 ? 0 : POLLIN};
    int64_t now = loop_now(a->loop);
    for (int i = 0; i < a->nclients && n < max; i++) {
        struct client *c = &a->clients[i];
        if (c->fd < 0)
            continue;
        short events = (short)((c->read_closed ? 0 : POLLIN) | (c->out_used ? POLLOUT : 0));
        int64_t wait = -1;
        if (c->handshake_until) {
            events = register_tls_events(c->tls);
            wait = c->handshake_until > now ? c->handshake_until - now : 0;
        } else if (c->tls && !c->read_closed && register_tls_buffered(c->tls)) {
            wait = 0; /* a request already decrypted: poll() cannot see it */
        }
        if (wait >= 0 && (*timeout_ms < 0 || wait < *timeout_ms))
            *timeout_ms = wait;
        fds[n++] = (struct pollfd){.fd = c->fd, .events = events};
    }
    return n;
}

static void api_process(void *ctx, const struct pollfd *fds, int nfds, int64_t now_ms)
{
    struct register_api *a = ctx;
    /* A TCP client stalled in its handshake gives its place back. */
    for (int i = 0; i < a->nclients; i++)
        if (a->clients[i].fd >= 0 && a->clients[i].handshake_until &&
            now_ms >= a->clients[i].handshake_until) {
            fprintf(stderr,
                    "posterm: register API: a TCP client's TLS handshake took over %d s: "
                    "disconnected\n",
                    HANDSHAKE_MS / 1000);
            drop(&a->clients[i]);
        }
    for (int k = 0; k < nfds; k++) {
        if (fds[k].fd == a->listen_fd || (a->tcp_fd >= 0 && fds[k].fd == a->tcp_fd)) {
            if (fds[k].revents & POLLIN)
                accept_clients(a, fds[k].fd, now_ms);
            continue;
        }
        struct client *c = NULL;
        for (int i = 0; c == NULL && i < a->nclients; i++)
            if (a->clients[i].fd == fds[k].fd)
                c = &a->clients[i];
        if (c == NULL)
            continue; /* dropped earlier in this turn */
        if (c->handshake_until) {
            if (fds[k].revents & (POLLIN | POLLOUT | POLLHUP | POLLERR))
                read_client(a, c); /* the handshake goes on, both ways, then the requests */
            continue;
        }
        bool buffered = c->tls && !c->read_closed && register_tls_buffered(c->tls);
        if (fds[k].revents & POLLOUT)
            flush_out(c);
        if (c->read_closed && (fds[k].revents & (POLLHUP | POLLERR)))
            drop(c); /* gone altogether: the events owed wait for status */
        else if (c->fd >= 0 && ((fds[k].revents & (POLLIN | POLLHUP | POLLERR)) || buffered))
            read_client(a, c);
        close_if_done(a, c);
    }
}

/* Refuses a path some live process listens on, or that is no socket; removes a dead socket. */
static bool clear_stale(const char *path, const struct sockaddr_un *addr, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return true;
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen, "api.socket %s: a file that is no socket is there; not replaced",
                 path);
        return false;
    }
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool live = probe >= 0 && connect(probe, (const struct sockaddr *)addr, sizeof *addr) == 0;
    if (probe >= 0)
        close(probe);
    if (live) {
        snprintf(err, errlen, "api.socket %s: another program is listening on it", path);
        return false;
    }
    if (unlink(path) != 0) {
        snprintf(err, errlen, "api.socket %s: cannot remove the old socket: %s", path,
                 strerror(errno));
        return false;
    }
    return true;
}

static enum register_api_status open_socket(struct register_api *a, char *err, size_t errlen)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    size_t len = strlen(a->cfg->api.socket);
    if (len == 0 || len >= sizeof addr.sun_path) {
        snprintf(err, errlen, "api.socket: must be a path of 1 to %zu bytes",
                 sizeof addr.sun_path - 1);
        return REGISTER_API_SOCKET;
    }
    memcpy(addr.sun_path, a->cfg->api.socket, len + 1);
    if (!clear_stale(addr.sun_path, &addr, err, errlen))
        return REGISTER_API_SOCKET;
    a->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    /* Made 0660 from the start (umask), not chmod-ed after a window open to others. */
    mode_t old = umask(0117);
    bool ok =
        a->listen_fd >= 0 && bind(a->listen_fd, (const struct sockaddr *)&addr, sizeof addr) == 0;
    umask(old);
    if (ok)
        snprintf(a->path, sizeof a->path, "%s", addr.sun_path);
    if (!ok || listen(a->listen_fd, 16) != 0) {
        snprintf(err, errlen, "api.socket %s: %s", addr.sun_path, strerror(errno));
        return REGISTER_API_SOCKET;
    }
    return REGISTER_API_OK;
}

/* api.listen: TCP on the address the config checked (an IP; loopback unless TLS is on). */
static enum register_api_status open_tcp(struct register_api *a, char *err, size_t errlen)
{
    const struct config_api *api = &a->cfg->api;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE};
    struct addrinfo *ai = NULL;
    int rc = getaddrinfo(api->listen_host, api->listen_port, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen, "api.listen %s: %s", api->listen, gai_strerror(rc));
        return REGISTER_API_SOCKET;
    }
    a->tcp_fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    bool ok = a->tcp_fd >= 0 &&
              setsockopt(a->tcp_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
              bind(a->tcp_fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(a->tcp_fd, 16) == 0;
    freeaddrinfo(ai);
    if (!ok) {
        snprintf(err, errlen, "api.listen %s: %s", api->listen, strerror(errno));
        return REGISTER_API_SOCKET;
    }
    if (api->tls_cert[0] &&
        !register_tls_open(&a->tls, api->tls_cert, api->tls_key, api->tls_client_ca, err, errlen))
        return REGISTER_API_SOCKET;
    return REGISTER_API_OK;
}

enum register_api_status register_api_open(struct register_api **out, const struct config *cfg,
                                           const struct loop_observer *front, char *err,
                                           size_t errlen)
{
    *out = NULL;
    struct register_api *a = calloc(1, sizeof *a);
    if (a == NULL)
        return REGISTER_API_MEMORY;
    a->cfg = cfg;
    a->listen_fd = -1;
    a->tcp_fd = -1;
    if (front)
        a->front = *front;
    a->nclients = cfg->api.max_clients;
    a->clients = calloc((size_t)a->nclients, sizeof *a->clients);
    bool ok = a->clients != NULL;
    for (int i = 0; ok && i < a->nclients; i++) {
        a->clients[i].fd = -1;
        a->clients[i].out = malloc((size_t)cfg->api.max_queue);
        ok =
            a->clients[i].out && register_reader_init(&a->clients[i].in, (size_t)cfg->api.max_line);
    }
    if (!ok) {
        register_api_close(a);
        snprintf(err, errlen, "the register API: out of memory");
        return REGISTER_API_MEMORY;
    }
    enum register_api_status st = open_socket(a, err, errlen);
    if (st == REGISTER_API_OK && cfg->api.listen[0])
        st = open_tcp(a, err, errlen);
    if (st != REGISTER_API_OK) {
        register_api_close(a);
        return st;
    }
    *out = a;
    return REGISTER_API_OK;
}

enum loop_status register_api_attach(struct register_api *a, struct loop *l,
                                     const struct config_refund *refund, struct receipts *receipts)
{
    a->loop = l;
    a->receipts = receipts;
    refund_guard_init(&a->refunds, refund);
    refund_guard_restore(&a->refunds, loop_journal(l), loop_now(l), wall_ms());
    struct loop_service s = {.ctx = a, .pollfds = api_pollfds, .process = api_process};
    return loop_add_service(l, &s);
}

void register_api_close(struct register_api *a)
{
    if (a == NULL)
        return;
    for (int i = 0; a->clients && i < a->nclients; i++) {
        drop(&a->clients[i]);
        free(a->clients[i].out);
        register_reader_free(&a->clients[i].in);
    }
    free(a->clients);
    if (a->listen_fd >= 0)
        close(a->listen_fd);
    if (a->tcp_fd >= 0)
        close(a->tcp_fd);
    register_tls_close(a->tls);
    if (a->path[0])
        unlink(a->path);
    free(a);
}
