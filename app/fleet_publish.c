/*
 * fleet_publish.c - the MQTT publisher (fleet_publish.h). One libmosquitto client at a time:
 * a lost connection destroys it, with what it had in flight, and the next one starts again
 * from the journal's oldest unsent row, so the journal is the only queue and a resend is
 * always in seq order.
 *
 * The broker's name is resolved here, not by libmosquitto: its connect calls a blocking
 * getaddrinfo, and a name server that does not answer would freeze the till. glibc's
 * getaddrinfo_a (GAI_NOWAIT) runs the lookup on glibc's own helper thread (not one of ours)
 * and the loop asks gai_error each turn while it is pending; libmosquitto then gets the
 * numeric address, which it "resolves" without asking anyone. With TLS the broker's
 * certificate is checked against the configured name (not that address) by an SSL_CTX of
 * our own: the handshake fails on a wrong name, before CONNECT carries the password.
 */
#define _GNU_SOURCE
#include "fleet_publish.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>
/* OpenSSL beside posterm's mbedTLS: libmosquitto's TLS is OpenSSL, and the only way to make
 * it check the broker's name while connecting to an address is to hand it an SSL_CTX. */
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "journal.h"
#include "outbox.h"
#include "reports.h"

#define FIRST_RETRY_MS  1000
#define MISC_EVERY_MS   1000 /* libmosquitto's keepalive and retry timers */
#define PROBE_EVERY_MS  250  /* new outbox rows while connected and the window has room */
#define STATUS_EVERY_MS 60000
#define STATUS_CHECK_MS 1000 /* how often the health is read for a change */
#define TOTALS_CHECK_MS 2000 /* at most this often the day's totals are counted again */
#define TOTALS_MAX      1024
#define TOPIC_MAX       200
#define STATUS_MAX      512
#define CLOSE_WAIT_MS   500
#define HEALTH_EVERY_MS 1000  /* how often the unsent rows are counted for the till's header */
#define LOOKUP_POLL_MS  20    /* how often a pending lookup is asked whether it has finished */
#define LOOKUP_MAX_MS   10000 /* a lookup not answered by then is a failed connection attempt */

/* One asynchronous lookup of fleet.host. Its own allocation: glibc's helper thread writes
 * into it until it finishes, even after we stopped waiting for it. */
struct lookup {
    struct gaicb req;
    struct addrinfo hints;
    int64_t deadline; /* monotonic ms */
    bool given_up;    /* timed out and not cancellable: freed once glibc is done with it */
};

struct inflight {
    int mid;
    int64_t seq;
};

struct fleet {
    struct loop *loop;
    struct journal *journal;
    const struct config_fleet *cfg;
    char client_id[40];
    char password[256];
    char version[32];
    char topic_events[TOPIC_MAX], topic_status[TOPIC_MAX], topic_totals[TOPIC_MAX];

    struct mosquitto *mosq; /* NULL while disconnected */
    bool host_is_numeric;   /* fleet.host is an address: no lookup */
    struct lookup *lookup;  /* the pending lookup of fleet.host, else NULL */
    unsigned address_turn;  /* which of the name's addresses the next attempt uses */
    bool connected;         /* CONNACK accepted */
    int64_t retry_at;       /* monotonic ms of the next connection attempt */
    int64_t retry_ms;       /* the back-off */
    int64_t misc_at;
    int64_t connect_deadline; /* a connection not accepted by then is given up */
    int64_t status_at;
    int64_t status_check_at;
    char status_sent[STATUS_MAX];
    int64_t totals_check_at; /* monotonic ms */
    int64_t totals_at;       /* ... of the next count even with no new event (a new day) */
    int64_t totals_seq;      /* last_published when the totals were last counted */
    char totals_sent[TOTALS_MAX];

    struct inflight inflight[FLEET_INFLIGHT_MAX];
    int ninflight;
    int64_t acked[FLEET_INFLIGHT_MAX]; /* PUBACKs not yet marked (this turn's, or a failed
                                        * mark's), marked together */
    int nacked;
    int64_t last_published; /* seq of the last row handed to this connection */
    int64_t last_puback_at; /* monotonic ms of the last event's PUBACK, 0: none yet */
    int64_t down_since;     /* monotonic ms since when not connected */
    int64_t unsent;         /* outbox_count_unsent, refreshed every HEALTH_EVERY_MS */
    int64_t health_at;
    int offline_mid; /* fleet_close's "offline", until its PUBACK */
    bool offline_acked;
    const char *crash_after;
};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The password: one line of a file that only posterm's user may read (as the gateways'
 * keys). */
static bool read_password(const char *path, char *out, size_t len, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "fleet.password_file %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return false;
    }
    if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
        close(fd);
        snprintf(err, errlen,
                 "fleet.password_file %s: must be a regular file readable only by its owner "
                 "(chmod 600)",
                 path);
        return false;
    }
    ssize_t n = read(fd, out, len - 1);
    close(fd);
    if (n < 0) {
        snprintf(err, errlen, "fleet.password_file %s: %s", path, strerror(errno));
        return false;
    }
    out[n] = '\0';
    out[strcspn(out, "\r\n")] = '\0';
    return true;
}

static void drop_connection(struct fleet *f, int64_t now)
{
    if (f->connected)
        f->down_since = now;
    else
        f->address_turn++; /* a name with several addresses: the next one next time */
    if (f->mosq)
        mosquitto_destroy(f->mosq);
    f->mosq = NULL;
    f->connected = false;
    f->ninflight = 0;
    f->status_sent[0] = '\0';
    f->status_check_at = 0;
    f->totals_check_at = 0;
    f->totals_sent[0] = '\0';
    f->retry_at = now + f->retry_ms;
    f->retry_ms =
        f->retry_ms * 2 > f->cfg->reconnect_max_ms ? f->cfg->reconnect_max_ms : f->retry_ms * 2;
}

/* The health head office reads on .../status (FLEET.md). */
static void status_json(struct fleet *f, char *out, size_t len)
{
    int64_t unsent = -1;
    int unresolved = -1;
    bool scanner = false;
    (void)outbox_count_unsent(f->journal, &unsent);
    (void)journal_count_unresolved(f->journal, &unresolved);
    const char *scanner_line = loop_scanner_status(f->loop, &scanner);
    snprintf(out, len,
             "{\"state\":\"online\",\"journal\":\"%s\",\"version\":\"%s\","
             "\"gateway\":\"%s\",\"unresolved\":%d,\"outbox_unsent\":%lld,"
             "\"clock_skew_s\":%d,\"scanner\":%s,\"taking_payments\":%s}",
             journal_identity(f->journal), f->version,
             loop_gateway_health_name(loop_gateway_health(f->loop)), unresolved, (long long)unsent,
             loop_clock_skew(f->loop),
             scanner_line[0] == '\0' ? "null"
             : scanner               ? "\"connected\""
                                     : "\"missing\"",
             loop_taking_payments(f->loop) ? "true" : "false");
}

/* Publishes the status when it changed (outbox_unsent aside, which changes with every
 * event) or once a minute. */
static void publish_status(struct fleet *f, int64_t now)
{
    if (now < f->status_check_at)
        return;
    f->status_check_at = now + STATUS_CHECK_MS;
    char now_json[STATUS_MAX];
    status_json(f, now_json, sizeof now_json);
    const char *a = strstr(now_json, ",\"outbox_unsent\"");
    const char *b = strstr(f->status_sent, ",\"outbox_unsent\"");
    bool same = b && a - now_json == b - f->status_sent &&
                strncmp(now_json, f->status_sent, (size_t)(a - now_json)) == 0 &&
                strcmp(strchr(a + 1, ','), strchr(b + 1, ',')) == 0;
    if (same && now < f->status_at)
        return;
    if (mosquitto_publish(f->mosq, NULL, f->topic_status, (int)strlen(now_json), now_json, 1,
                          true) == MOSQ_ERR_SUCCESS) {
        snprintf(f->status_sent, sizeof f->status_sent, "%s", now_json);
        f->status_at = now + STATUS_EVERY_MS;
    }
}

static int totals_part(char *out, size_t len, const char *name, const struct report_totals *t)
{
    return snprintf(out, len,
                    "\"%s\":{\"paid_count\":%lld,\"refunded_count\":%lld,\"charged_fen\":%lld,"
                    "\"refunded_fen\":%lld,\"net_fen\":%lld,\"unresolved_count\":%lld,"
                    "\"referred_count\":%lld}",
                    name, (long long)t->paid_count, (long long)t->refunded_count,
                    (long long)t->charged_fen, (long long)t->refunded_fen, (long long)t->net_fen,
                    (long long)t->unresolved_count, (long long)t->referred_count);
}

/* The day so far (an X report, as the end-of-day screen counts it) on .../totals, retained:
 * counted again when events were published since, or once a minute (a new day). */
static void publish_totals(struct fleet *f, int64_t now)
{
    if (now < f->totals_check_at)
        return;
    f->totals_check_at = now + TOTALS_CHECK_MS;
    if (f->totals_sent[0] && f->totals_seq == f->last_published && now < f->totals_at)
        return;
    int64_t from, to;
    int day;
    struct report_day d;
    report_local_day(wall_ms() / 1000, &from, &to, &day);
    if (report_totals(f->journal, from, to, &d) != JOURNAL_OK)
        return;
    f->totals_seq = f->last_published;
    f->totals_at = now + STATUS_EVERY_MS;
    char json[TOTALS_MAX];
    size_t n = (size_t)snprintf(json, sizeof json, "{\"journal\":\"%s\",\"day\":%d,",
                                journal_identity(f->journal), day);
    n += (size_t)totals_part(json + n, sizeof json - n, "all", &d.all);
    n += (size_t)snprintf(json + n, sizeof json - n, ",");
    n += (size_t)totals_part(json + n, sizeof json - n, "wechat", &d.channel[CHANNEL_WECHAT]);
    n += (size_t)snprintf(json + n, sizeof json - n, ",");
    n += (size_t)totals_part(json + n, sizeof json - n, "alipay", &d.channel[CHANNEL_ALIPAY]);
    n += (size_t)snprintf(json + n, sizeof json - n, "}");
    if (n >= sizeof json || strcmp(json, f->totals_sent) == 0)
        return;
    if (mosquitto_publish(f->mosq, NULL, f->topic_totals, (int)n, json, 1, true) ==
        MOSQ_ERR_SUCCESS)
        snprintf(f->totals_sent, sizeof f->totals_sent, "%s", json);
}

/* Crash tests (POSTERM_CRASH_AFTER=name): SIGKILL at one of the publisher's own points -
 * fleet_published (a row handed to the connection, no PUBACK yet), fleet_puback (the broker
 * has it, the journal does not know), fleet_marked (its mark committed). */
static void crash_point(const struct fleet *f, const char *name)
{
#ifdef POSTERM_CRASH_POINTS
    if (f->crash_after && strcmp(f->crash_after, name) == 0)
        raise(SIGKILL);
#else
    (void)f;
    (void)name;
#endif
}

static void on_connect(struct mosquitto *m, void *ctx, int rc)
{
    (void)m;
    struct fleet *f = ctx;
    if (rc != 0)
        return; /* refused (a bad password, a client id not allowed): the read fails next */
    f->connected = true;
    f->retry_ms = FIRST_RETRY_MS;
    f->last_published = 0;
    f->ninflight = 0;
}

/* The broker's PUBACK for mid: its row is delivered, and only now marked so. */
static void on_publish(struct mosquitto *m, void *ctx, int mid)
{
    (void)m;
    struct fleet *f = ctx;
    if (f->offline_mid && mid == f->offline_mid)
        f->offline_acked = true;
    for (int i = 0; i < f->ninflight; i++) {
        if (f->inflight[i].mid != mid)
            continue;
        crash_point(f, "fleet_puback");
        f->acked[f->nacked++] = f->inflight[i].seq;
        f->last_puback_at = loop_now(f->loop);
        f->inflight[i] = f->inflight[--f->ninflight];
        return;
    }
}

/* libmosquitto names the address it was given in the TLS hello (SNI); a broker behind a
 * proxy that routes by name needs the name. The hello is written after this callback. */
static void name_in_hello(const SSL *ssl, int where, int ret)
{
    (void)ret;
    const char *name = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    if ((where & SSL_CB_HANDSHAKE_START) && name)
        (void)SSL_set_tlsext_host_name((SSL *)ssl, name);
}

/* The TLS settings libmosquitto would use (TLS 1.2 at least, the chain verified against
 * fleet.ca_file or the system's CAs, the terminal's certificate), plus the check that the
 * certificate names fleet.host - an address in its IP entries, a name in its DNS entries -
 * done by OpenSSL inside the chain's verification. NULL when a file cannot be loaded. */
static SSL_CTX *tls_context(const struct config_fleet *c, bool host_is_numeric)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL)
        return NULL;
    X509_VERIFY_PARAM *param = SSL_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    bool ok = SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1 &&
              (host_is_numeric ? X509_VERIFY_PARAM_set1_ip_asc(param, c->host)
                               : X509_VERIFY_PARAM_set1_host(param, c->host, 0)) == 1 &&
              SSL_CTX_load_verify_locations(ctx, c->ca_file[0] ? c->ca_file : NULL,
                                            c->ca_file[0] ? NULL : "/etc/ssl/certs") == 1;
    if (ok && c->cert_file[0])
        ok = SSL_CTX_use_certificate_chain_file(ctx, c->cert_file) == 1 &&
             SSL_CTX_use_PrivateKey_file(ctx, c->key_file, SSL_FILETYPE_PEM) == 1 &&
             SSL_CTX_check_private_key(ctx) == 1;
    if (!ok) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (!host_is_numeric) {
        SSL_CTX_set_app_data(ctx, (void *)c->host);
        SSL_CTX_set_info_callback(ctx, name_in_hello);
    }
    return ctx;
}

/* A new client connecting to address, a numeric one (libmosquitto's getaddrinfo of it asks
 * no name server). */
static void connect_now(struct fleet *f, const char *address, int64_t now)
{
    const struct config_fleet *c = f->cfg;
    f->mosq = mosquitto_new(f->client_id, true, f);
    if (f->mosq == NULL) {
        drop_connection(f, now);
        return;
    }
    mosquitto_connect_callback_set(f->mosq, on_connect);
    mosquitto_publish_callback_set(f->mosq, on_publish);
    mosquitto_int_option(f->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_max_inflight_messages_set(f->mosq, FLEET_INFLIGHT_MAX + 2);
    static const char offline[] = "{\"state\":\"offline\"}";
    int rc = mosquitto_will_set(f->mosq, f->topic_status, (int)strlen(offline), offline, 1, true);
    if (rc == MOSQ_ERR_SUCCESS && c->username[0])
        rc = mosquitto_username_pw_set(f->mosq, c->username, f->password[0] ? f->password : NULL);
    if (rc == MOSQ_ERR_SUCCESS && c->tls) {
        /* With MOSQ_OPT_SSL_CTX_WITH_DEFAULTS off (on by default in libmosquitto 2.0)
         * libmosquitto uses this context as it is and keeps a reference of its own; its own
         * name check, which would compare the certificate with the address, stays out. */
        SSL_CTX *ctx = tls_context(c, f->host_is_numeric);
        rc = ctx ? mosquitto_int_option(f->mosq, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0) : MOSQ_ERR_TLS;
        if (rc == MOSQ_ERR_SUCCESS)
            rc = mosquitto_void_option(f->mosq, MOSQ_OPT_SSL_CTX, ctx);
        SSL_CTX_free(ctx);
    }
    int port = c->port ? c->port : c->tls ? 8883 : 1883;
    if (rc == MOSQ_ERR_SUCCESS)
        rc = mosquitto_connect_async(f->mosq, address, port, c->keepalive_s);
    if (rc != MOSQ_ERR_SUCCESS)
        drop_connection(f, now);
    f->misc_at = now + MISC_EVERY_MS;
    /* A SYN a firewall swallows would otherwise wait for the kernel's two minutes. */
    f->connect_deadline = now + (int64_t)c->keepalive_s * 1000;
}

/* Starts the lookup of fleet.host without waiting for it; false when glibc cannot. */
static bool lookup_start(struct fleet *f, int64_t now)
{
    struct lookup *l = calloc(1, sizeof *l);
    if (l == NULL)
        return false;
    l->hints.ai_family = AF_UNSPEC;
    l->hints.ai_socktype = SOCK_STREAM;
    l->req.ar_name = f->cfg->host;
    l->req.ar_request = &l->hints;
    l->deadline = now + LOOKUP_MAX_MS;
    struct gaicb *list[1] = {&l->req};
    /* SIGEV_NONE: no signal, no thread of ours; the loop asks gai_error (fleet_pollfds wakes
     * it every LOOKUP_POLL_MS meanwhile). */
    struct sigevent sev = {.sigev_notify = SIGEV_NONE};
    if (getaddrinfo_a(GAI_NOWAIT, list, 1, &sev) != 0) {
        free(l);
        return false;
    }
    f->lookup = l;
    return true;
}

/* Frees the lookup if glibc is done with it (or let go of it); true if it is gone. */
static bool lookup_release(struct fleet *f)
{
    struct lookup *l = f->lookup;
    if (gai_error(&l->req) == EAI_INPROGRESS && gai_cancel(&l->req) == EAI_NOTCANCELED)
        return false;
    if (l->req.ar_result)
        freeaddrinfo(l->req.ar_result);
    free(l);
    f->lookup = NULL;
    return true;
}

/* The lookup's answer, once there is one: connects to one of its addresses, or counts a
 * failed attempt (no such name, no answer in LOOKUP_MAX_MS). */
static void lookup_check(struct fleet *f, int64_t now)
{
    struct lookup *l = f->lookup;
    int rc = gai_error(&l->req);
    if (rc == EAI_INPROGRESS) {
        if (now < l->deadline)
            return;
        l->given_up = true;
        (void)lookup_release(f);
        drop_connection(f, now);
        return;
    }
    char address[INET6_ADDRSTRLEN] = "";
    if (rc == 0 && l->req.ar_result) {
        unsigned n = 0;
        for (const struct addrinfo *a = l->req.ar_result; a; a = a->ai_next)
            n++;
        const struct addrinfo *a = l->req.ar_result;
        for (unsigned i = 0; a && i < f->address_turn % n; i++)
            a = a->ai_next;
        if (getnameinfo(a->ai_addr, a->ai_addrlen, address, sizeof address, NULL, 0,
                        NI_NUMERICHOST) != 0)
            address[0] = '\0';
    }
    (void)lookup_release(f);
    if (address[0])
        connect_now(f, address, now);
    else
        drop_connection(f, now);
}

/* A connection attempt: at once to an address, after a lookup for a name. */
static void attempt_connection(struct fleet *f, int64_t now)
{
    if (f->lookup && !f->lookup->given_up) {
        lookup_check(f, now);
        return;
    }
    if (f->lookup)
        (void)lookup_release(f);
    if (now < f->retry_at)
        return;
    if (f->host_is_numeric)
        connect_now(f, f->cfg->host, now);
    else if (f->lookup || !lookup_start(f, now))
        drop_connection(f, now); /* the lookup glibc could not cancel still runs, or none */
}

/* Hands the oldest unsent rows to the connection, up to the window. */
static void fill_window(struct fleet *f)
{
    while (f->connected && f->ninflight + f->nacked < FLEET_INFLIGHT_MAX) {
        struct outbox_row row;
        bool found = false;
        if (outbox_next(f->journal, f->last_published, &row, &found) != JOURNAL_OK || !found)
            return;
        /* A closed day goes with the day's totals, in the same seq as the events. Not
         * retained: the next X report would replace it, and the persistent session of head
         * office keeps it like any event. */
        const char *topic = strcmp(row.kind, "zreport") == 0 ? f->topic_totals : f->topic_events;
        int mid = 0;
        if (mosquitto_publish(f->mosq, &mid, topic, (int)strlen(row.payload), row.payload, 1,
                              false) != MOSQ_ERR_SUCCESS)
            return;
        f->inflight[f->ninflight++] = (struct inflight){mid, row.seq};
        f->last_published = row.seq;
        crash_point(f, "fleet_published");
    }
}

static int fleet_pollfds(void *ctx, struct pollfd *fds, int max, int64_t *timeout_ms)
{
    struct fleet *f = ctx;
    int64_t now = loop_now(f->loop);
    int64_t wake = f->mosq ? f->misc_at : f->retry_at;
    if (f->lookup && !f->lookup->given_up)
        wake = now + LOOKUP_POLL_MS;
    if (f->connected && f->ninflight < FLEET_INFLIGHT_MAX && now + PROBE_EVERY_MS < wake)
        wake = now + PROBE_EVERY_MS;
    if (f->health_at < wake)
        wake = f->health_at;
    int64_t wait = wake > now ? wake - now : 0;
    if (*timeout_ms < 0 || wait < *timeout_ms)
        *timeout_ms = wait;
    int fd = f->mosq ? mosquitto_socket(f->mosq) : -1;
    if (fd < 0 || max < 1)
        return 0;
    fds[0] = (struct pollfd){
        .fd = fd, .events = (short)(POLLIN | (mosquitto_want_write(f->mosq) ? POLLOUT : 0))};
    return 1;
}

static void fleet_process(void *ctx, const struct pollfd *fds, int nfds, int64_t now)
{
    struct fleet *f = ctx;
    if (now >= f->health_at) {
        int64_t unsent = 0;
        if (outbox_count_unsent(f->journal, &unsent) == JOURNAL_OK)
            f->unsent = unsent;
        f->health_at = now + HEALTH_EVERY_MS;
    }
    if (f->mosq == NULL) {
        attempt_connection(f, now);
        return;
    }
    int rc = MOSQ_ERR_SUCCESS;
    short ev = nfds > 0 ? fds[0].revents : 0;
    /* With TLS a record may wait decrypted inside the library while the socket is quiet:
     * a read with nothing there returns at once. */
    if ((ev & (POLLIN | POLLERR | POLLHUP)) || (f->connected && f->cfg->tls))
        rc = mosquitto_loop_read(f->mosq, 1);
    /* A refused connect while TLS's handshake waits: libmosquitto takes the socket's error
     * for "try again", and the poll would return at once every turn until connect_deadline. */
    if (rc == MOSQ_ERR_SUCCESS && !f->connected && (ev & (POLLERR | POLLHUP)))
        rc = MOSQ_ERR_NO_CONN;
    if (rc == MOSQ_ERR_SUCCESS && (ev & POLLOUT))
        rc = mosquitto_loop_write(f->mosq, 1);
    if (rc == MOSQ_ERR_SUCCESS && now >= f->misc_at) {
        rc = mosquitto_loop_misc(f->mosq);
        f->misc_at = now + MISC_EVERY_MS;
        if (rc == MOSQ_ERR_SUCCESS &&
            (mosquitto_socket(f->mosq) < 0 || (!f->connected && now >= f->connect_deadline)))
            rc = MOSQ_ERR_NO_CONN; /* the connect failed, or no CONNACK in time */
    }
    /* A mark that fails (a full disk) is tried again next turn, and no new row is handed
     * over meanwhile (fill_window): the window holds the unmarked ones. */
    if (f->nacked > 0 &&
        outbox_mark_sent(f->journal, f->acked, f->nacked, wall_ms()) == JOURNAL_OK) {
        f->nacked = 0;
        crash_point(f, "fleet_marked");
    }
    if (rc != MOSQ_ERR_SUCCESS) {
        drop_connection(f, now);
        return;
    }
    if (f->connected) {
        publish_status(f, now);
        fill_window(f);
        publish_totals(f, now);
    }
}

struct fleet *fleet_attach(struct loop *loop, const struct config *cfg, const char *version,
                           char *err, size_t errlen)
{
    struct journal *journal = loop_journal(loop);
    if (journal == NULL) {
        snprintf(err, errlen, "MQTT needs a journal (fleet.host is set)");
        return NULL;
    }
    struct fleet *f = calloc(1, sizeof *f);
    if (f == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    f->loop = loop;
    f->journal = journal;
    f->cfg = &cfg->fleet;
    f->retry_ms = FIRST_RETRY_MS;
    f->retry_at = loop_now(loop);
    f->down_since = loop_now(loop);
    snprintf(f->client_id, sizeof f->client_id, "%s", cfg->terminal_id);
    snprintf(f->version, sizeof f->version, "%s", version);
    snprintf(f->topic_events, sizeof f->topic_events, "posterm/%s/%s/events", cfg->fleet.merchant,
             cfg->terminal_id);
    snprintf(f->topic_status, sizeof f->topic_status, "posterm/%s/%s/status", cfg->fleet.merchant,
             cfg->terminal_id);
    snprintf(f->topic_totals, sizeof f->topic_totals, "posterm/%s/%s/totals", cfg->fleet.merchant,
             cfg->terminal_id);
#ifdef POSTERM_CRASH_POINTS
    f->crash_after = getenv("POSTERM_CRASH_AFTER");
#endif
    if (cfg->fleet.password_file[0] &&
        !read_password(cfg->fleet.password_file, f->password, sizeof f->password, err, errlen)) {
        free(f);
        return NULL;
    }
    /* AI_NUMERICHOST: answered from the string alone, no name server asked. */
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST, .ai_socktype = SOCK_STREAM};
    struct addrinfo *numeric = NULL;
    f->host_is_numeric = getaddrinfo(cfg->fleet.host, NULL, &hints, &numeric) == 0;
    if (numeric)
        freeaddrinfo(numeric);
    mosquitto_lib_init();
    struct loop_service s = {f, fleet_pollfds, fleet_process};
    if (loop_add_service(loop, &s) != LOOP_OK) {
        snprintf(err, errlen, "MQTT could not join the event loop (no service slot left)");
        explicit_bzero(f->password, sizeof f->password);
        free(f);
        mosquitto_lib_cleanup();
        return NULL;
    }
    outbox_turn_on(journal);
    return f;
}

void fleet_health(const struct fleet *f, struct fleet_health *out)
{
    out->connected = f->connected;
    out->down_ms = f->connected ? 0 : loop_now(f->loop) - f->down_since;
    out->unsent = f->unsent;
    out->last_puback_age_ms = f->last_puback_at ? loop_now(f->loop) - f->last_puback_at : -1;
}

void fleet_close(struct fleet *f)
{
    if (f == NULL)
        return;
    if (f->connected) {
        static const char offline[] = "{\"state\":\"offline\"}";
        if (mosquitto_publish(f->mosq, &f->offline_mid, f->topic_status, (int)strlen(offline),
                              offline, 1, true) == MOSQ_ERR_SUCCESS) {
            /* posterm is stopping: a short blocking wait holds up no payment. */
            struct timespec start, t;
            clock_gettime(CLOCK_MONOTONIC, &start);
            do {
                if (mosquitto_loop(f->mosq, 50, 1) != MOSQ_ERR_SUCCESS)
                    break;
                clock_gettime(CLOCK_MONOTONIC, &t);
            } while (!f->offline_acked &&
                     (t.tv_sec - start.tv_sec) * 1000 + (t.tv_nsec - start.tv_nsec) / 1000000 <
                         CLOSE_WAIT_MS);
        }
        if (f->nacked > 0)
            (void)outbox_mark_sent(f->journal, f->acked, f->nacked, wall_ms());
        mosquitto_disconnect(f->mosq);
        mosquitto_loop_write(f->mosq, 1);
    }
    if (f->mosq)
        mosquitto_destroy(f->mosq);
    /* A lookup glibc cannot cancel is left to it: its helper thread still writes there, and
     * the process is stopping. */
    if (f->lookup)
        (void)lookup_release(f);
    explicit_bzero(f->password, sizeof f->password);
    free(f);
    mosquitto_lib_cleanup();
}
