/*
 * sim_server.c - libmicrohttpd glue, the /_sim control endpoints and the transport faults.
 *
 * The listening socket is ours (bound to 127.0.0.1), handed to MHD; to become unreachable
 * MHD is quiesced, the socket closed and the daemon stopped, which drops open connections.
 * The request that asks for it is answered first: the main thread is woken only when that
 * reply has been sent (the completion callback).
 */
#include "sim_server.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BODY_MAX (1024 * 1024)

/* A reply as it left, bytes and headers, for /_sim/replay. */
struct capture {
    enum pay_channel channel;
    enum sim_op op;
    char order[65];
    unsigned status;
    char content_type[64];
    struct {
        char name[32];
        char value[400];
    } headers[SIM_REPLY_HEADERS];
    int nheaders;
    char *body;
    size_t body_len;
};

/* The last CAPTURES replies are kept; a replay needs one from moments ago. */
#define CAPTURES    256
#define REPLAYS_MAX 16

/* An armed replay: the next request of op on channel (for order, or any when "") is
 * answered with the captured reply instead of its own. */
struct replay {
    enum sim_op op;
    char order[65];
    struct capture reply;
};

struct sim_server {
    struct sim *sim;
    struct MHD_Daemon *daemon;
    int listen_fd;
    int port;
    char *tls_cert, *tls_key;
    bool quiet;
    int timing_fd;
    unsigned idle_close_s;
    bool suspended;
    int ctl_pipe[2];
    pthread_mutex_t ctl_lock;
    int unreachable_s; /* requested, not yet taken by the main thread */

    /* Guarded by sim->lock. */
    struct capture captured[CAPTURES];
    size_t ncaptured; /* total ever captured; slot = count % CAPTURES */
    struct replay replays[REPLAYS_MAX];
    int nreplays;
    uint64_t replayed;
    uint64_t connections; /* accepted since start (benchmarks: a warm-up opened one) */
};

/* One request: filled by the URI logger (the raw URI, query included) and the upload. */
struct exchange {
    char *raw_uri;
    char *body;
    size_t len, cap;
    bool started, too_big;
    int unreachable_s; /* this control request asked to go away, after its reply */
};

struct sim_plan sim_plan_for(struct sim *s, enum pay_channel ch, enum sim_op op,
                             const char *auth_code)
{
    struct sim_plan p = {"normal", BIZ_NORMAL, FAULT_NONE, 0, 0, false, 0, 0};
    if (!sim_script_take(s->script, op, ch, &p) && op == SIM_OP_PAY)
        sim_scenario_by_code(auth_code, &p);
    p.seconds = sim_scaled_seconds(p.seconds);
    p.confirm_ms = sim_scaled_ms(p.confirm_ms);
    return p;
}

/* Called as soon as a request line has been read: the moment a request "reaches" the
 * simulator, which benchmarks compare with when the client decided to send it. One write()
 * per line on an O_APPEND descriptor, so lines from connection threads never interleave. */
static void log_arrival(const struct sim_server *srv, const char *uri)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    char line[600];
    int n = snprintf(line, sizeof line, "%lld %.500s\n",
                     (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec, uri ? uri : "");
    if (n > 0 && write(srv->timing_fd, line, (size_t)n) < 0)
        fprintf(stderr, "posterm-sim: timing log: %s\n", strerror(errno));
}

/* Counts and logs each accepted connection, so a test can tell whether a request came on a
 * connection opened before it (a warm-up) or on one of its own. */
static void on_connection(void *cls, struct MHD_Connection *con, void **socket_ctx,
                          enum MHD_ConnectionNotificationCode code)
{
    struct sim_server *srv = cls;
    (void)con;
    (void)socket_ctx;
    if (code != MHD_CONNECTION_NOTIFY_STARTED)
        return;
    pthread_mutex_lock(&srv->sim->lock);
    srv->connections++;
    pthread_mutex_unlock(&srv->sim->lock);
    if (srv->timing_fd >= 0)
        log_arrival(srv, "@accept");
}

static void *log_uri(void *cls, const char *uri, struct MHD_Connection *con)
{
    const struct sim_server *srv = cls;
    (void)con;
    if (srv->timing_fd >= 0)
        log_arrival(srv, uri);
    struct exchange *x = calloc(1, sizeof *x);
    if (x != NULL)
        x->raw_uri = strdup(uri ? uri : "");
    return x;
}

static void completed(void *cls, struct MHD_Connection *con, void **req_cls,
                      enum MHD_RequestTerminationCode toe)
{
    struct sim_server *srv = cls;
    struct exchange *x = *req_cls;
    (void)con;
    if (x == NULL)
        return;
    if (x->unreachable_s > 0 && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK) {
        pthread_mutex_lock(&srv->ctl_lock);
        srv->unreachable_s = x->unreachable_s;
        pthread_mutex_unlock(&srv->ctl_lock);
        char byte = 'u';
        if (write(srv->ctl_pipe[1], &byte, 1) != 1)
            fprintf(stderr, "posterm-sim: control pipe full\n");
    }
    free(x->raw_uri);
    free(x->body);
    free(x);
    *req_cls = NULL;
}

static enum MHD_Result queue_text(struct MHD_Connection *con, unsigned status,
                                  const char *content_type, char *text)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(text ? strlen(text) : 0, text, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    enum MHD_Result ret = MHD_queue_response(con, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result queue_json(struct MHD_Connection *con, unsigned status, cJSON *o)
{
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    return queue_text(con, status, "application/json", text);
}

static enum MHD_Result control_error(struct MHD_Connection *con, unsigned status, const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", msg);
    return queue_json(con, status, o);
}

/* --- capture and replay (caller holds sim->lock) --- */

static void capture_clear(struct capture *c)
{
    free(c->body);
    memset(c, 0, sizeof *c);
    c->channel = CHANNEL_NONE;
}

/* Keeps the bytes rep is about to send, whatever they are, unless none will leave whole. */
static void capture_reply(struct sim_server *srv, const struct sim_reply *rep)
{
    if (rep->channel == CHANNEL_NONE || rep->body == NULL || rep->fault == FAULT_DROP ||
        rep->fault == FAULT_TRUNCATED)
        return;
    struct capture *c = &srv->captured[srv->ncaptured % CAPTURES];
    capture_clear(c);
    c->body = malloc(rep->body_len + 1);
    if (c->body == NULL)
        return;
    memcpy(c->body, rep->body, rep->body_len);
    c->body[rep->body_len] = '\0';
    c->body_len = rep->body_len;
    c->channel = rep->channel;
    c->op = rep->op;
    snprintf(c->order, sizeof c->order, "%s", rep->order);
    c->status = rep->status;
    snprintf(c->content_type, sizeof c->content_type, "%s", rep->content_type);
    c->nheaders = rep->nheaders;
    memcpy(c->headers, rep->headers, sizeof c->headers);
    srv->ncaptured++;
}

/* The latest reply captured for order's op; NULL if none is kept. */
static const struct capture *find_capture(const struct sim_server *srv, const char *order,
                                          enum sim_op op, enum pay_channel channel)
{
    size_t kept = srv->ncaptured < CAPTURES ? srv->ncaptured : CAPTURES;
    for (size_t i = 0; i < kept; i++) {
        const struct capture *c = &srv->captured[(srv->ncaptured - 1 - i) % CAPTURES];
        if (c->channel != CHANNEL_NONE && c->op == op && strcmp(c->order, order) == 0 &&
            (channel == CHANNEL_NONE || channel == c->channel))
            return c;
    }
    return NULL;
}

/* When a replay is armed for rep's request, rep becomes the captured reply: its exact
 * status, headers and body, with no fault. The request itself has already taken effect. */
static void apply_replay(struct sim_server *srv, struct sim_reply *rep)
{
    for (int i = 0; i < srv->nreplays; i++) {
        struct replay *r = &srv->replays[i];
        if (r->reply.channel != rep->channel || r->op != rep->op ||
            (r->order[0] != '\0' && strcmp(r->order, rep->order) != 0))
            continue;
        free(rep->body);
        rep->body = r->reply.body;
        rep->body_len = r->reply.body_len;
        rep->status = r->reply.status;
        snprintf(rep->content_type, sizeof rep->content_type, "%s", r->reply.content_type);
        rep->nheaders = r->reply.nheaders;
        memcpy(rep->headers, r->reply.headers, sizeof rep->headers);
        rep->fault = FAULT_NONE;
        rep->delay_s = 0;
        snprintf(rep->summary + strlen(rep->summary), sizeof rep->summary - strlen(rep->summary),
                 " [replayed from %.40s]", r->reply.order);
        srv->replays[i] = srv->replays[--srv->nreplays];
        srv->replayed++;
        return;
    }
}

static void replays_clear(struct sim_server *srv)
{
    for (int i = 0; i < srv->nreplays; i++)
        capture_clear(&srv->replays[i].reply);
    srv->nreplays = 0;
}

/* One script entry; false with *why on a bad one. */
static bool script_entry(struct sim *s, const cJSON *e, int *queued, const char **why)
{
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "scenario"));
    struct sim_plan plan;
    if (name == NULL || !sim_scenario_by_name(name, &plan)) {
        *why = "unknown or missing \"scenario\" (see posterm-sim --scenarios)";
        return false;
    }
    const cJSON *count = cJSON_GetObjectItemCaseSensitive(e, "count");
    const cJSON *seconds = cJSON_GetObjectItemCaseSensitive(e, "seconds");
    const cJSON *cancels = cJSON_GetObjectItemCaseSensitive(e, "cancels");
    const cJSON *commit = cJSON_GetObjectItemCaseSensitive(e, "commit");
    const cJSON *fen = cJSON_GetObjectItemCaseSensitive(e, "fen");
    const cJSON *confirm_ms = cJSON_GetObjectItemCaseSensitive(e, "confirm_ms");
    const char *op_name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "op"));
    const char *ch_name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "channel"));
    int n = 1;
    if (count != NULL) {
        if (!cJSON_IsNumber(count) || count->valuedouble < 1 || count->valuedouble > 100000) {
            *why = "\"count\" must be a number from 1 to 100000";
            return false;
        }
        n = (int)count->valuedouble;
    }
    if (seconds != NULL) {
        if (!cJSON_IsNumber(seconds) || seconds->valuedouble < 0 || seconds->valuedouble > 3600) {
            *why = "\"seconds\" must be a number from 0 to 3600";
            return false;
        }
        plan.seconds = (int)seconds->valuedouble;
    }
    if (cancels != NULL) {
        if (!cJSON_IsNumber(cancels) || cancels->valuedouble < 0 || cancels->valuedouble > 1000) {
            *why = "\"cancels\" must be a number from 0 to 1000";
            return false;
        }
        plan.count = (int)cancels->valuedouble;
    }
    if (commit != NULL) {
        if (!cJSON_IsBool(commit)) {
            *why = "\"commit\" must be true or false";
            return false;
        }
        plan.commit = cJSON_IsTrue(commit);
    }
    if (fen != NULL) {
        if (!cJSON_IsNumber(fen) || fen->valuedouble < 1 || fen->valuedouble > 10000000000.0 ||
            fen->valuedouble != (double)(int64_t)fen->valuedouble) {
            *why = "\"fen\" must be a whole number of fen from 1";
            return false;
        }
        plan.fen = (int64_t)fen->valuedouble;
    }
    if (confirm_ms != NULL) {
        if (!cJSON_IsNumber(confirm_ms) || confirm_ms->valuedouble < 1 ||
            confirm_ms->valuedouble > 3600000 ||
            confirm_ms->valuedouble != (double)(int64_t)confirm_ms->valuedouble ||
            (plan.biz != BIZ_CONFIRM_PAYS && plan.biz != BIZ_CONFIRM_GIVES_UP)) {
            *why = "\"confirm_ms\" must be a whole number of ms from 1 to 3600000, for "
                   "confirm_then_paid or confirm_then_gave_up";
            return false;
        }
        plan.confirm_ms = (int64_t)confirm_ms->valuedouble;
    }
    enum sim_op op = sim_scenario_default_op(&plan);
    if (op_name != NULL && !sim_op_from_name(op_name, &op)) {
        *why = "\"op\" must be pay, query, cancel, refund, qr, close or any";
        return false;
    }
    enum pay_channel ch = CHANNEL_NONE;
    if (ch_name != NULL && strcmp(ch_name, "any") != 0 &&
        (ch = pay_channel_from_name(ch_name)) == CHANNEL_NONE) {
        *why = "\"channel\" must be alipay, wechat or any";
        return false;
    }
    pthread_mutex_lock(&s->lock);
    bool ok = sim_script_push(s->script, &plan, n, op, ch);
    pthread_mutex_unlock(&s->lock);
    if (!ok) {
        *why = "out of memory";
        return false;
    }
    *queued += n;
    return true;
}

/* POST /_sim/replay {"op":"pay","from_order":"A"[,"order":"B","channel":"wechat"]}: arms
 * a copy of A's latest captured reply of that op (README.md). */
static enum MHD_Result control_replay(struct sim_server *srv, struct MHD_Connection *con,
                                      const struct exchange *x)
{
    struct sim *s = srv->sim;
    cJSON *body = cJSON_ParseWithLength(x->body ? x->body : "", x->len);
    const char *op_name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "op"));
    const char *from = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "from_order"));
    const char *to = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "order"));
    const char *ch_name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "channel"));
    enum sim_op op = SIM_OP_ANY;
    enum pay_channel ch = CHANNEL_NONE;
    const char *why = NULL;
    if (!cJSON_IsObject(body))
        why = "body must be a JSON object {\"op\",\"from_order\"[,\"order\",\"channel\"]}";
    else if (op_name == NULL || !sim_op_from_name(op_name, &op) || op == SIM_OP_ANY)
        why = "\"op\" must be pay, query, cancel, refund, qr or close";
    else if (from == NULL || *from == '\0' || strlen(from) > 64)
        why = "\"from_order\" must name the order whose reply is replayed";
    else if (to != NULL && strlen(to) > 64)
        why = "\"order\" is too long";
    else if (ch_name != NULL && strcmp(ch_name, "any") != 0 &&
             (ch = pay_channel_from_name(ch_name)) == CHANNEL_NONE)
        why = "\"channel\" must be alipay, wechat or any";
    if (why != NULL) {
        cJSON_Delete(body);
        return control_error(con, 400, why);
    }
    pthread_mutex_lock(&s->lock);
    const struct capture *c = find_capture(srv, from, op, ch);
    struct replay *r = NULL;
    if (c != NULL && srv->nreplays < REPLAYS_MAX) {
        r = &srv->replays[srv->nreplays];
        memset(r, 0, sizeof *r);
        r->reply = *c;
        r->reply.body = malloc(c->body_len + 1);
        if (r->reply.body == NULL) {
            r = NULL;
        } else {
            memcpy(r->reply.body, c->body, c->body_len + 1);
            r->op = op;
            snprintf(r->order, sizeof r->order, "%s", to ? to : "");
            srv->nreplays++;
        }
    }
    cJSON *o = NULL;
    if (r != NULL) {
        o = cJSON_CreateObject();
        cJSON *armed = cJSON_AddObjectToObject(o, "armed");
        cJSON_AddStringToObject(armed, "op", sim_op_name(op));
        cJSON_AddStringToObject(armed, "channel", pay_channel_name(r->reply.channel));
        cJSON_AddStringToObject(armed, "from_order", from);
        cJSON_AddStringToObject(armed, "order", r->order);
        cJSON_AddNumberToObject(armed, "status", r->reply.status);
        cJSON_AddNumberToObject(o, "pending", srv->nreplays);
    }
    bool full = c != NULL && r == NULL;
    pthread_mutex_unlock(&s->lock);
    cJSON_Delete(body);
    if (o != NULL)
        return queue_json(con, 200, o);
    if (full)
        return control_error(con, 409, "too many replays armed (or out of memory)");
    return control_error(con, 404,
                         "no reply of that op captured for from_order (only the "
                         "last 256 replies are kept)");
}

/* POST /_sim/scan {"order":"A"} or {"qr":"<payload>"}, with optional "seconds" (the
 * customer pays that long after scanning; 0, the default: at once) and "pays" (false: scans,
 * then gives up): the customer scans a dynamic QR order (README.md "Dynamic QR"). */
static enum MHD_Result control_scan(struct sim_server *srv, struct MHD_Connection *con,
                                    const struct exchange *x)
{
    struct sim *s = srv->sim;
    cJSON *body = cJSON_ParseWithLength(x->body ? x->body : "", x->len);
    const char *order = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "order"));
    const char *qr = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "qr"));
    const cJSON *seconds = cJSON_GetObjectItemCaseSensitive(body, "seconds");
    const cJSON *pays = cJSON_GetObjectItemCaseSensitive(body, "pays");
    const char *why = NULL;
    if (!cJSON_IsObject(body))
        why = "body must be a JSON object {\"order\" or \"qr\"[,\"seconds\",\"pays\"]}";
    else if ((order == NULL) == (qr == NULL) || (order && (!*order || strlen(order) > 64)) ||
             (qr && (!*qr || strlen(qr) > 128)))
        why = "name the order by exactly one of \"order\" (its number) or \"qr\" (its payload)";
    else if (seconds != NULL &&
             (!cJSON_IsNumber(seconds) || seconds->valuedouble < 0 || seconds->valuedouble > 3600 ||
              seconds->valuedouble != (double)(int)seconds->valuedouble))
        why = "\"seconds\" must be a whole number from 0 to 3600";
    else if (pays != NULL && !cJSON_IsBool(pays))
        why = "\"pays\" must be true or false";
    if (why != NULL) {
        cJSON_Delete(body);
        return control_error(con, 400, why);
    }
    int after = seconds ? sim_scaled_seconds((int)seconds->valuedouble) : 0;
    pthread_mutex_lock(&s->lock);
    struct sim_trade *t = NULL;
    enum sim_scan_result r = sim_ledger_qr_scan(s->ledger, order, qr, after,
                                                pays ? cJSON_IsTrue(pays) : true, sim_now_ms(), &t);
    static const char *const results[] = {
        "paid", "confirming", "refused_closed", "refused_expired", "already", "not_found"};
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "result", results[r]);
    if (t != NULL) {
        cJSON_AddStringToObject(o, "order", t->out_trade_no);
        cJSON_AddStringToObject(o, "channel", pay_channel_name(t->channel));
        cJSON_AddStringToObject(o, "state", sim_trade_state_name(t->state));
    }
    pthread_mutex_unlock(&s->lock);
    cJSON_Delete(body);
    unsigned status = r == SIM_SCAN_PAID || r == SIM_SCAN_CONFIRMING ? 200
                      : r == SIM_SCAN_NOT_FOUND                      ? 404
                                                                     : 409;
    return queue_json(con, status, o);
}

/* POST /_sim/bill {"channel","date","inject","order","fen"[,"refund_no"]}: one difference
 * more in that day's bill (sim_bill.h). */
static enum MHD_Result control_bill(struct sim_server *srv, struct MHD_Connection *con,
                                    const struct exchange *x)
{
    cJSON *o = cJSON_ParseWithLength(x->body ? x->body : "", x->len);
    struct sim_bill_edit e;
    const char *why = "body must be a JSON object";
    if (!cJSON_IsObject(o) || !sim_bill_edit_parse(o, &e, &why)) {
        cJSON_Delete(o);
        return control_error(con, 400, why);
    }
    cJSON_Delete(o);
    pthread_mutex_lock(&srv->sim->lock);
    bool room = srv->sim->nbill_edits < SIM_BILL_EDITS_MAX;
    if (room)
        srv->sim->bill_edits[srv->sim->nbill_edits++] = e;
    int n = srv->sim->nbill_edits;
    pthread_mutex_unlock(&srv->sim->lock);
    if (!room)
        return control_error(con, 409, "too many bill edits");
    cJSON *r = cJSON_CreateObject();
    cJSON_AddNumberToObject(r, "edits", n);
    return queue_json(con, 200, r);
}

/* POST /_sim/clock {"offset_s":N}: the gateway's clock runs N seconds ahead of the system's
 * (behind when negative), as a terminal with a wrong clock would see it. */
static enum MHD_Result control_clock(struct MHD_Connection *con, const struct exchange *x)
{
    cJSON *body = cJSON_ParseWithLength(x->body ? x->body : "", x->len);
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(body, "offset_s");
    double v = cJSON_IsNumber(n) ? n->valuedouble : 0.5;
    cJSON_Delete(body);
    if (v != (double)(int64_t)v || v > (double)SIM_CLOCK_OFFSET_MAX_S ||
        v < -(double)SIM_CLOCK_OFFSET_MAX_S)
        return control_error(con, 400,
                             "body must be {\"offset_s\":N}, N whole seconds, at "
                             "most ten years either way");
    sim_clock_set_offset((int64_t)v);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "offset_s", v);
    return queue_json(con, 200, o);
}

static enum MHD_Result control(struct sim_server *srv, struct MHD_Connection *con,
                               struct exchange *x, const char *url, const char *method)
{
    struct sim *s = srv->sim;
    bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
    if (get && strcmp(url, "/_sim/health") == 0) {
        cJSON *o = cJSON_CreateObject();
        pthread_mutex_lock(&s->lock);
        cJSON_AddStringToObject(o, "status", "ok");
        cJSON_AddNumberToObject(o, "port", srv->port);
        cJSON_AddBoolToObject(o, "tls", srv->tls_cert != NULL);
        cJSON_AddNumberToObject(o, "requests", (double)s->requests);
        cJSON_AddNumberToObject(o, "rejected_signatures", (double)s->rejected_signatures);
        cJSON_AddNumberToObject(o, "script_pending", sim_script_pending(s->script));
        cJSON_AddNumberToObject(o, "replays_pending", srv->nreplays);
        cJSON_AddNumberToObject(o, "replayed", (double)srv->replayed);
        cJSON_AddNumberToObject(o, "connections", (double)srv->connections);
        cJSON_AddNumberToObject(o, "clock_offset_s", (double)sim_clock_offset());
        pthread_mutex_unlock(&s->lock);
        return queue_json(con, 200, o);
    }
    if (get && strcmp(url, "/_sim/audit") == 0) {
        pthread_mutex_lock(&s->lock);
        char *text = sim_ledger_audit(s->ledger, sim_now_ms());
        pthread_mutex_unlock(&s->lock);
        return queue_text(con, 200, "application/json", text);
    }
    if (strcmp(url, "/_sim/script") == 0 && strcmp(method, "DELETE") == 0) {
        pthread_mutex_lock(&s->lock);
        sim_script_clear(s->script);
        pthread_mutex_unlock(&s->lock);
        return queue_json(con, 200, cJSON_CreateObject());
    }
    if (post && strcmp(url, "/_sim/script") == 0) {
        cJSON *body = cJSON_ParseWithLength(x->body ? x->body : "", x->len);
        if (body == NULL)
            return control_error(con, 400, "body must be a JSON object or array of objects");
        int queued = 0;
        const char *why = NULL;
        if (cJSON_IsArray(body)) {
            const cJSON *e;
            cJSON_ArrayForEach(e, body) if (!script_entry(s, e, &queued, &why)) break;
        } else {
            script_entry(s, body, &queued, &why);
        }
        cJSON_Delete(body);
        if (why != NULL)
            return control_error(con, 400, why);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "queued", queued);
        pthread_mutex_lock(&s->lock);
        cJSON_AddNumberToObject(o, "pending", sim_script_pending(s->script));
        pthread_mutex_unlock(&s->lock);
        return queue_json(con, 200, o);
    }
    if (post && strcmp(url, "/_sim/replay") == 0)
        return control_replay(srv, con, x);
    if (strcmp(url, "/_sim/replay") == 0 && strcmp(method, "DELETE") == 0) {
        pthread_mutex_lock(&s->lock);
        replays_clear(srv);
        pthread_mutex_unlock(&s->lock);
        return queue_json(con, 200, cJSON_CreateObject());
    }
    if (post && strcmp(url, "/_sim/bill") == 0)
        return control_bill(srv, con, x);
    if (strcmp(url, "/_sim/bill") == 0 && strcmp(method, "DELETE") == 0) {
        pthread_mutex_lock(&srv->sim->lock);
        srv->sim->nbill_edits = 0;
        pthread_mutex_unlock(&srv->sim->lock);
        return queue_text(con, 200, "application/json", strdup("{\"edits\":0}"));
    }
    if (post && strcmp(url, "/_sim/clock") == 0)
        return control_clock(con, x);
    if (post && strcmp(url, "/_sim/scan") == 0)
        return control_scan(srv, con, x);
    if (post && strcmp(url, "/_sim/unreachable") == 0) {
        const char *arg = MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND, "seconds");
        char *end = NULL;
        long n = arg ? strtol(arg, &end, 10) : 0;
        if (arg == NULL || end == arg || *end != '\0' || n < 1 || n > 3600)
            return control_error(con, 400, "?seconds= must be a whole number from 1 to 3600");
        x->unreachable_s = (int)n;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "unreachable_for_s", (double)n);
        return queue_json(con, 200, o);
    }
    return control_error(con, 404, "no such control endpoint");
}

/* The truncated_body fault: promise the whole body, deliver half, then cut the connection. */
struct partial {
    char *body;
    size_t len, keep;
};

static ssize_t partial_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct partial *p = cls;
    if (pos >= p->keep)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    size_t n = p->keep - (size_t)pos;
    if (n > max)
        n = max;
    memcpy(buf, p->body + pos, n);
    return (ssize_t)n;
}

static void partial_free(void *cls)
{
    struct partial *p = cls;
    free(p->body);
    free(p);
}

/* Holds a reply back; false when shutdown or unreachability cut the wait short (also when
 * they began before this request got here: the daemon is waiting for it to finish). */
static bool hold_back(struct sim *s, int seconds)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += seconds;
    pthread_mutex_lock(&s->lock);
    int rc = 0;
    while (!s->draining && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&s->wake, &s->lock, &until);
    bool ok = !s->draining;
    pthread_mutex_unlock(&s->lock);
    return ok;
}

static const char *fault_page(enum sim_fault f, unsigned *status)
{
    switch (f) {
    case FAULT_HTTP_500:
        *status = 500;
        return "<html><head><title>500 Internal Server Error</title></head>"
               "<body><h1>500 Internal Server Error</h1></body></html>";
    case FAULT_HTTP_502:
        *status = 502;
        return "<html><head><title>502 Bad Gateway</title></head>"
               "<body><h1>502 Bad Gateway</h1></body></html>";
    default:
        *status = 503;
        return "<html><head><title>503 Service Temporarily Unavailable</title></head>"
               "<body><h1>503 Service Temporarily Unavailable</h1></body></html>";
    }
}

static const char *fault_name(enum sim_fault f)
{
    switch (f) {
    case FAULT_NONE: return "";
    case FAULT_DELAY: return " [delayed]";
    case FAULT_DROP: return " [dropped]";
    case FAULT_HTTP_500: return " [500 page]";
    case FAULT_HTTP_502: return " [502 page]";
    case FAULT_HTTP_503: return " [503 page]";
    case FAULT_MALFORMED: return " [malformed]";
    case FAULT_TRUNCATED: return " [truncated]";
    case FAULT_BAD_SIGNATURE: return " [bad signature]";
    case FAULT_UNSIGNED: return " [unsigned]";
    case FAULT_SIGNATURE_PROBE: return " [signature probe]";
    case FAULT_STALE_TIMESTAMP: return " [stale timestamp]";
    case FAULT_OTHER_ORDER: return " [other order]";
    case FAULT_NO_AMOUNT: return " [no amount]";
    case FAULT_NO_ORDER: return " [no order number]";
    }
    return "";
}

/* An HTTP date, "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 IMF-fixdate), whatever the locale. */
static void http_date(int64_t unix_s, char out[40])
{
    static const char days[][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)unix_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, 40, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static enum MHD_Result gateway(struct sim_server *srv, struct MHD_Connection *con,
                               struct exchange *x, const char *url, const char *method, bool alipay)
{
    struct sim *s = srv->sim;
    const char *raw = x->raw_uri ? x->raw_uri : url;
    const char *q = strchr(raw, '?');
    const char *host = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Host");
    char base[300];
    snprintf(base, sizeof base, "%s://%.200s", srv->tls_cert ? "https" : "http",
             host ? host : "127.0.0.1");
    struct sim_request req = {
        .method = method,
        .raw_uri = raw,
        .path = url,
        .query = q ? q + 1 : "",
        .body = x->body ? x->body : "",
        .body_len = x->len,
        .authorization = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Authorization"),
        .content_type = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Content-Type"),
        .accept = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Accept"),
        .base = base,
    };
    struct sim_reply rep;
    memset(&rep, 0, sizeof rep);
    if (alipay)
        sim_alipay_handle(s, &req, &rep);
    else
        sim_wechat_handle(s, &req, &rep);
    pthread_mutex_lock(&s->lock);
    s->requests++;
    pthread_mutex_unlock(&s->lock);

    if (rep.fault == FAULT_HTTP_500 || rep.fault == FAULT_HTTP_502 || rep.fault == FAULT_HTTP_503) {
        unsigned status;
        const char *page = fault_page(rep.fault, &status);
        sim_reply_body(&rep, status, "text/html", strdup(page));
        rep.nheaders = 0;
    }
    pthread_mutex_lock(&s->lock);
    capture_reply(srv, &rep);
    apply_replay(srv, &rep);
    pthread_mutex_unlock(&s->lock);
    if (!srv->quiet)
        fprintf(stderr, "posterm-sim: %s %s %s%s-> %u%s\n", method, url, rep.summary,
                rep.summary[0] ? " " : "", rep.status, fault_name(rep.fault));
    if (rep.fault == FAULT_DELAY && !hold_back(s, rep.delay_s)) {
        free(rep.body);
        return MHD_NO;
    }
    if (rep.fault == FAULT_DROP || rep.body == NULL) {
        free(rep.body);
        return MHD_NO;
    }
    struct MHD_Response *r;
    if (rep.fault == FAULT_TRUNCATED) {
        struct partial *p = malloc(sizeof *p);
        if (p == NULL) {
            free(rep.body);
            return MHD_NO;
        }
        *p = (struct partial){rep.body, rep.body_len, rep.body_len / 2};
        r = MHD_create_response_from_callback(rep.body_len, 4096, partial_read, p, partial_free);
        if (r == NULL) {
            partial_free(p);
            return MHD_NO;
        }
    } else {
        r = MHD_create_response_from_buffer(rep.body_len, rep.body, MHD_RESPMEM_MUST_FREE);
        if (r == NULL) {
            free(rep.body);
            return MHD_NO;
        }
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rep.content_type);
    /* The gateway's own Date (MHD adds the system's only when none is set): what a client
     * reads the gateway's clock from. */
    char date[40];
    http_date(sim_wall_s(), date);
    MHD_add_response_header(r, MHD_HTTP_HEADER_DATE, date);
    for (int i = 0; i < rep.nheaders; i++)
        MHD_add_response_header(r, rep.headers[i].name, rep.headers[i].value);
    enum MHD_Result ret = MHD_queue_response(con, rep.status, r);
    MHD_destroy_response(r);
    return ret;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    struct sim_server *srv = cls;
    struct exchange *x = *req_cls;
    (void)version;
    if (x == NULL)
        return MHD_NO;
    if (!x->started) {
        x->started = true;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (x->too_big || x->len + n > BODY_MAX) {
            x->too_big = true;
            return MHD_YES;
        }
        if (x->len + n + 1 > x->cap) {
            size_t cap = (x->len + n + 1) * 2;
            char *grown = realloc(x->body, cap);
            if (grown == NULL)
                return MHD_NO;
            x->body = grown;
            x->cap = cap;
        }
        memcpy(x->body + x->len, upload_data, n);
        x->len += n;
        x->body[x->len] = '\0';
        return MHD_YES;
    }
    if (x->too_big)
        return queue_text(con, 413, "text/plain", strdup("request body too large\n"));
    if (strncmp(url, "/_sim/", 6) == 0)
        return control(srv, con, x, url, method);
    if (strncmp(url, "/_bill/alipay/", 14) == 0 && strcmp(method, "GET") == 0) {
        struct sim_reply rep;
        memset(&rep, 0, sizeof rep);
        sim_bill_alipay_file(srv->sim, url, &rep);
        if (rep.fault == FAULT_DELAY && !hold_back(srv->sim, rep.delay_s)) {
            free(rep.body);
            return MHD_NO;
        }
        struct MHD_Response *r =
            MHD_create_response_from_buffer(rep.body_len, rep.body, MHD_RESPMEM_MUST_FREE);
        if (r == NULL) {
            free(rep.body);
            return MHD_NO;
        }
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rep.content_type);
        enum MHD_Result ret = MHD_queue_response(con, rep.status, r);
        MHD_destroy_response(r);
        return ret;
    }
    if (ends_with(url, "/gateway.do"))
        return gateway(srv, con, x, url, method, true);
    if (strncmp(url, "/v3/", 4) == 0)
        return gateway(srv, con, x, url, method, false);
    return queue_text(con, 404, "text/plain", strdup("not a simulated gateway path\n"));
}

static int open_listener(int port, char *err, size_t errlen)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 64) != 0) {
        snprintf(err, errlen, "127.0.0.1:%d: %s", port, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static bool start_daemon(struct sim_server *srv, char *err, size_t errlen)
{
    int fd = open_listener(srv->port, err, errlen);
    if (fd < 0)
        return false;
    if (srv->port == 0) {
        struct sockaddr_in a;
        socklen_t alen = sizeof a;
        getsockname(fd, (struct sockaddr *)&a, &alen);
        srv->port = ntohs(a.sin_port);
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ITC;
    if (srv->tls_cert != NULL)
        flags |= MHD_USE_TLS;
    if (srv->tls_cert != NULL)
        srv->daemon = MHD_start_daemon(
            flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_LISTEN_SOCKET, fd,
            MHD_OPTION_URI_LOG_CALLBACK, log_uri, srv, MHD_OPTION_NOTIFY_COMPLETED, completed, srv,
            MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv, MHD_OPTION_CONNECTION_TIMEOUT,
            srv->idle_close_s, MHD_OPTION_HTTPS_MEM_CERT, srv->tls_cert, MHD_OPTION_HTTPS_MEM_KEY,
            srv->tls_key, MHD_OPTION_END);
    else
        srv->daemon =
            MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_LISTEN_SOCKET, fd,
                             MHD_OPTION_URI_LOG_CALLBACK, log_uri, srv, MHD_OPTION_NOTIFY_COMPLETED,
                             completed, srv, MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
                             MHD_OPTION_CONNECTION_TIMEOUT, srv->idle_close_s, MHD_OPTION_END);
    if (srv->daemon == NULL) {
        snprintf(err, errlen, "libmicrohttpd refused to start%s",
                 srv->tls_cert ? " (is the certificate/key pair valid PEM?)" : "");
        close(fd);
        return false;
    }
    srv->listen_fd = fd;
    return true;
}

bool sim_server_start(struct sim_server **out, struct sim *s, const struct sim_server_options *o,
                      char *err, size_t errlen)
{
    *out = NULL;
    struct sim_server *srv = calloc(1, sizeof *srv);
    if (srv == NULL) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    srv->sim = s;
    srv->port = o->port;
    srv->quiet = o->quiet;
    srv->timing_fd = o->timing_fd;
    srv->idle_close_s = o->idle_close_s ? o->idle_close_s : 60;
    srv->listen_fd = -1;
    srv->ctl_pipe[0] = srv->ctl_pipe[1] = -1;
    pthread_mutex_init(&srv->ctl_lock, NULL);
    if (o->tls_cert != NULL) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            snprintf(err, errlen, "this libmicrohttpd was built without TLS");
            sim_server_stop(srv);
            return false;
        }
        srv->tls_cert = strdup(o->tls_cert);
        srv->tls_key = strdup(o->tls_key);
    }
    if (pipe(srv->ctl_pipe) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        sim_server_stop(srv);
        return false;
    }
    fcntl(srv->ctl_pipe[0], F_SETFL, O_NONBLOCK);
    fcntl(srv->ctl_pipe[1], F_SETFL, O_NONBLOCK);
    fcntl(srv->ctl_pipe[0], F_SETFD, FD_CLOEXEC);
    fcntl(srv->ctl_pipe[1], F_SETFD, FD_CLOEXEC);
    if (!start_daemon(srv, err, errlen)) {
        sim_server_stop(srv);
        return false;
    }
    *out = srv;
    return true;
}

int sim_server_port(const struct sim_server *srv)
{
    return srv->port;
}

int sim_server_control_fd(const struct sim_server *srv)
{
    return srv->ctl_pipe[0];
}

int sim_server_take_unreachable(struct sim_server *srv)
{
    char buf[64];
    while (read(srv->ctl_pipe[0], buf, sizeof buf) > 0)
        ;
    pthread_mutex_lock(&srv->ctl_lock);
    int n = srv->unreachable_s;
    srv->unreachable_s = 0;
    pthread_mutex_unlock(&srv->ctl_lock);
    return sim_scaled_seconds(n);
}

static void set_draining(struct sim *s, bool draining)
{
    pthread_mutex_lock(&s->lock);
    s->draining = draining;
    pthread_cond_broadcast(&s->wake);
    pthread_mutex_unlock(&s->lock);
}

void sim_server_suspend(struct sim_server *srv)
{
    if (srv->daemon == NULL)
        return;
    /* Refuse new connections first, then drop the open ones. */
    MHD_socket fd = MHD_quiesce_daemon(srv->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    srv->listen_fd = -1;
    set_draining(srv->sim, true);
    MHD_stop_daemon(srv->daemon);
    srv->daemon = NULL;
    srv->suspended = true;
}

bool sim_server_resume(struct sim_server *srv, char *err, size_t errlen)
{
    if (srv->daemon != NULL)
        return true;
    /* The old daemon's connections are all gone (MHD_stop_daemon joined them). */
    set_draining(srv->sim, false);
    if (!start_daemon(srv, err, errlen))
        return false;
    srv->suspended = false;
    return true;
}

bool sim_server_suspended(const struct sim_server *srv)
{
    return srv->suspended;
}

void sim_server_stop(struct sim_server *srv)
{
    if (srv == NULL)
        return;
    if (srv->daemon != NULL) {
        set_draining(srv->sim, true);
        MHD_stop_daemon(srv->daemon);
    }
    if (srv->ctl_pipe[0] >= 0)
        close(srv->ctl_pipe[0]);
    if (srv->ctl_pipe[1] >= 0)
        close(srv->ctl_pipe[1]);
    pthread_mutex_destroy(&srv->ctl_lock);
    for (size_t i = 0; i < CAPTURES; i++)
        free(srv->captured[i].body);
    replays_clear(srv);
    free(srv->tls_cert);
    free(srv->tls_key);
    free(srv);
}
