/*
 * http.c - libcurl multi glue: a socket table for poll(), a deadline, one done call per
 * transfer, and warm connections (drivers/gateway/README.md, "Latency").
 *
 * Why the socket callbacks: Debian 12's curl 7.88 has no curl_multi_waitfds(), and
 * curl_multi_fdset() cannot describe descriptors above FD_SETSIZE; CURLMOPT_SOCKETFUNCTION
 * tells us exactly which descriptors to watch and for what.
 */
#include "http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#define HTTP_CONNECTIONS_MAX 16
#define SOCKETS_MAX          64 /* room for every connection's socket, and libcurl's resolver's */

/* Cloud load balancers close an idle HTTP(S) connection after 60 s by default (Alibaba Cloud
 * SLB, Huawei ELB); the gateways do not publish their own figure. A connection idle longer
 * than this is not reused, so a request never goes first to one the server may be closing. */
#define HTTP_IDLE_MAX_S 50L
/* A pay, never resent, fails if the server closes its connection as it goes out (the race
 * every kept-alive client runs). It reuses a connection only this fresh from use: far below
 * any idle close a server has reason to apply, so only a server going away can hit it. */
#define HTTP_PAY_IDLE_MAX_S 10L
/* A warm-up is skipped while a connection to the server is open and was used this recently;
 * else it uses the connection again (or opens one), so that the pay expected within seconds
 * finds it fresh. */
#define HTTP_WARM_IDLE_MS 3000
/* Servers whose last activity is remembered (both channels, the bills, a spare). */
#define ORIGINS_MAX 4
/* TCP keep-alive probes on idle connections: NAT routers forget a silent mapping. */
#define TCP_KEEPIDLE_S  30L
#define TCP_KEEPINTVL_S 10L

struct watched {
    curl_socket_t fd;
    int what; /* CURL_POLL_IN / OUT / INOUT */
};

/* A server (scheme://host:port) and when it last answered. */
struct origin {
    char name[200];
    int running;           /* transfers to it in flight */
    int64_t last_activity; /* monotonic ms of the last transfer's end; 0 = never */
};

/* A connection's socket, from libcurl's open to its close, and the server it is for. */
struct conn_socket {
    curl_socket_t fd;
    struct origin *origin;
};

struct transfer {
    struct http *h;
    CURL *easy;
    struct curl_slist *headers;
    struct origin *origin;
    char *body;      /* request body (curl reads it in place) */
    size_t body_len; /* and, sent once only (never_resent), how far it has been read */
    size_t body_sent;
    char *reply; /* reply body so far */
    size_t reply_len, reply_cap;
    bool too_big;
    struct wire_response resp;
    http_done_fn done; /* NULL: a warm-up, whose reply nobody wants */
    void *ctx;
    char error[CURL_ERROR_SIZE];
    struct transfer *next;
};

struct http {
    CURLM *multi;
    CURLSH *share; /* TLS sessions and DNS answers, for every transfer */
    struct http_options opt;
    char ca_file[256];
    char pinned[256];
    struct watched sockets[SOCKETS_MAX];
    int nsockets;
    int64_t deadline_ms; /* monotonic; 0 = libcurl wants no timeout */
    struct transfer *transfers;
    struct origin origins[ORIGINS_MAX];
    struct conn_socket conns[SOCKETS_MAX];
    int nconns;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct http *h = userp;
    (void)easy;
    (void)socketp;
    for (int i = 0; i < h->nsockets; i++) {
        if (h->sockets[i].fd != fd)
            continue;
        if (what == CURL_POLL_REMOVE)
            h->sockets[i] = h->sockets[--h->nsockets];
        else
            h->sockets[i].what = what;
        return 0;
    }
    if (what == CURL_POLL_REMOVE)
        return 0;
    if (h->nsockets == SOCKETS_MAX)
        return -1; /* libcurl fails that transfer: UNKNOWN */
    h->sockets[h->nsockets].fd = fd;
    h->sockets[h->nsockets].what = what;
    h->nsockets++;
    return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
    struct http *h = userp;
    (void)multi;
    h->deadline_ms = timeout_ms < 0 ? 0 : mono_ms() + timeout_ms;
    return 0;
}

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
    struct transfer *t = userp;
    size_t len = size * n;
    if (t->reply_len + len > WIRE_BODY_MAX) {
        t->too_big = true;
        return 0; /* aborts the transfer */
    }
    if (t->reply_len + len + 1 > t->reply_cap) {
        size_t cap = t->reply_cap ? t->reply_cap : 4096;
        while (cap < t->reply_len + len + 1)
            cap *= 2;
        char *p = realloc(t->reply, cap);
        if (!p)
            return 0;
        t->reply = p;
        t->reply_cap = cap;
    }
    memcpy(t->reply + t->reply_len, data, len);
    t->reply_len += len;
    t->reply[t->reply_len] = '\0';
    return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *userp)
{
    struct transfer *t = userp;
    size_t len = size * n;
    /* a new status line (after 100 Continue, say) starts a new set of headers */
    if (len >= 5 && memcmp(data, "HTTP/", 5) == 0)
        t->resp.nheaders = 0;
    else
        wire_response_add_header(&t->resp, data, len);
    return len;
}

/* "https://host:port/path" -> "https://host:port" (what a connection is kept for). */
static void origin_of(const char *url, char *out, size_t len)
{
    const char *host = strstr(url, "://");
    size_t n = host ? (size_t)(host + 3 - url) + strcspn(host + 3, "/?#") : strlen(url);
    snprintf(out, len, "%.*s", (int)n, url);
}

static struct origin *find_origin(struct http *h, const char *url)
{
    char name[sizeof h->origins[0].name];
    origin_of(url, name, sizeof name);
    struct origin *free_slot = NULL, *oldest = NULL;
    for (int i = 0; i < ORIGINS_MAX; i++) {
        struct origin *o = &h->origins[i];
        if (strcmp(o->name, name) == 0)
            return o;
        if (!o->name[0] && !free_slot)
            free_slot = o;
        if (o->running == 0 && (!oldest || o->last_activity < oldest->last_activity))
            oldest = o;
    }
    struct origin *o = free_slot ? free_slot : oldest;
    if (o) {
        for (int i = 0; i < h->nconns; i++)
            if (h->conns[i].origin == o)
                h->conns[i].origin = NULL;
        memset(o, 0, sizeof *o);
        snprintf(o->name, sizeof o->name, "%s", name);
    }
    return o;
}

/* Every connection's socket is opened and closed here, so that a warm-up can tell whether
 * the server has closed the kept one (the pool does not watch idle sockets). */
static curl_socket_t open_socket(void *userp, curlsocktype purpose, struct curl_sockaddr *a)
{
    struct transfer *t = userp;
    struct http *h = t->h;
    (void)purpose;
    curl_socket_t fd = socket(a->family, a->socktype, a->protocol);
    if (fd != CURL_SOCKET_BAD && h->nconns < SOCKETS_MAX) {
        h->conns[h->nconns].fd = fd;
        h->conns[h->nconns].origin = t->origin;
        h->nconns++;
    }
    return fd;
}

static int close_socket(void *userp, curl_socket_t fd)
{
    struct http *h = userp;
    for (int i = 0; i < h->nconns; i++) {
        if (h->conns[i].fd == fd) {
            h->conns[i] = h->conns[--h->nconns];
            break;
        }
    }
    return close(fd);
}

/* Open as libcurl judges a pooled connection before reusing it: nothing waiting to be read.
 * An end of stream, an error, or bytes (a TLS close_notify) and libcurl opens a new one. */
static bool socket_open(curl_socket_t fd)
{
    char byte;
    ssize_t n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

static bool origin_warm(const struct http *h, const struct origin *o)
{
    if (o->running > 0)
        return true;
    if (o->last_activity == 0 || mono_ms() - o->last_activity > HTTP_WARM_IDLE_MS)
        return false;
    for (int i = 0; i < h->nconns; i++)
        if (h->conns[i].origin == o && socket_open(h->conns[i].fd))
            return true;
    return false;
}

/* A pay's body is handed to libcurl once. libcurl, resending a request by itself on a new
 * connection because a kept-alive one died (Curl_retry_request), must rewind the body it had
 * sent; refused, it fails the transfer (CURLE_SEND_FAIL_REWIND) instead of sending a second
 * copy the gateway may act on. A request whose body never left may go again: no server can
 * have acted on it. */
static size_t read_body_once(char *buf, size_t size, size_t n, void *userp)
{
    struct transfer *t = userp;
    size_t left = t->body_len - t->body_sent;
    size_t len = size * n < left ? size * n : left;
    memcpy(buf, t->body + t->body_sent, len);
    t->body_sent += len;
    return len;
}

static int refuse_rewind(void *userp, curl_off_t offset, int origin)
{
    struct transfer *t = userp;
    (void)origin;
    return offset == 0 && t->body_sent == 0 ? CURL_SEEKFUNC_OK : CURL_SEEKFUNC_FAIL;
}

enum gateway_status http_open(struct http **out, const struct http_options *opt)
{
    struct http *h = calloc(1, sizeof *h);
    *out = NULL;
    if (!h)
        return GATEWAY_ERR_NOMEM;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(h->multi = curl_multi_init())) {
        free(h);
        return GATEWAY_ERR_INTERNAL;
    }
    /* Each transfer is an easy handle of its own: without a share its TLS session (and the
     * next connection's abbreviated handshake) would be forgotten with it. */
    if (!(h->share = curl_share_init())) {
        curl_multi_cleanup(h->multi);
        curl_global_cleanup();
        free(h);
        return GATEWAY_ERR_NOMEM;
    }
    curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    h->opt = *opt;
    snprintf(h->ca_file, sizeof h->ca_file, "%s", opt->ca_file ? opt->ca_file : "");
    snprintf(h->pinned, sizeof h->pinned, "%s",
             opt->pinned_public_key ? opt->pinned_public_key : "");
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
    /* More transfers than this wait in libcurl's own queue, so the socket table (and the
     * loop's poll set) never overflows: a terminal back from a long outage may owe a
     * hundred cancels at once, and a refused socket made libcurl 7.88 abort the multi
     * handle and crash in the next call. */
    curl_multi_setopt(h->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)HTTP_CONNECTIONS_MAX);
    *out = h;
    return GATEWAY_OK;
}

static void transfer_free(struct transfer *t)
{
    if (t->origin)
        t->origin->running--;
    if (t->easy) {
        curl_multi_remove_handle(t->h->multi, t->easy);
        curl_easy_cleanup(t->easy);
    }
    curl_slist_free_all(t->headers);
    free(t->body);
    free(t->reply);
    free(t);
}

void http_close(struct http *h)
{
    if (!h)
        return;
    while (h->transfers) {
        struct transfer *t = h->transfers;
        struct wire_response none;
        memset(&none, 0, sizeof none);
        h->transfers = t->next;
        if (t->done)
            t->done(t->ctx, &none, "client closed before the reply");
        transfer_free(t);
    }
    curl_multi_cleanup(h->multi);
    curl_share_cleanup(h->share);
    curl_global_cleanup();
    free(h);
}

/* The options every transfer shares: where, how long, TLS, keep-alive. */
static void set_common(struct http *h, struct transfer *t, const char *url, long timeout_ms)
{
    CURL *e = t->easy;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "posterm/0.1");
    curl_easy_setopt(e, CURLOPT_SHARE, h->share);
    curl_easy_setopt(e, CURLOPT_MAXAGE_CONN, HTTP_IDLE_MAX_S);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, TCP_KEEPIDLE_S);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, TCP_KEEPINTVL_S);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, h->opt.connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, h->opt.tls_verify ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, h->opt.tls_verify ? 2L : 0L);
    if (h->ca_file[0])
        curl_easy_setopt(e, CURLOPT_CAINFO, h->ca_file);
    if (h->pinned[0])
        curl_easy_setopt(e, CURLOPT_PINNEDPUBLICKEY, h->pinned);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, close_socket);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, h);
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
}

static enum gateway_status add_transfer(struct http *h, struct transfer *t, const char *url)
{
    if (curl_multi_add_handle(h->multi, t->easy) != CURLM_OK) {
        transfer_free(t);
        return GATEWAY_ERR_INTERNAL;
    }
    t->origin = find_origin(h, url);
    if (t->origin)
        t->origin->running++;
    t->next = h->transfers;
    h->transfers = t;
    return GATEWAY_OK;
}

enum gateway_status http_start(struct http *h, const struct wire_request *req, long timeout_ms,
                               bool never_resent, http_done_fn done, void *ctx)
{
    struct transfer *t = calloc(1, sizeof *t);
    if (!t)
        return GATEWAY_ERR_NOMEM;
    t->h = h;
    t->done = done;
    t->ctx = ctx;
    t->easy = curl_easy_init();
    if (!t->easy) {
        free(t);
        return GATEWAY_ERR_NOMEM;
    }
    for (int i = 0; i < req->nheaders; i++) {
        struct curl_slist *l = curl_slist_append(t->headers, req->headers[i]);
        if (!l) {
            transfer_free(t);
            return GATEWAY_ERR_NOMEM;
        }
        t->headers = l;
    }
    /* no "Expect: 100-continue" round trip on small bodies */
    struct curl_slist *l = curl_slist_append(t->headers, "Expect:");
    if (!l) {
        transfer_free(t);
        return GATEWAY_ERR_NOMEM;
    }
    t->headers = l;

    CURL *e = t->easy;
    set_common(h, t, req->url, timeout_ms);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
    if (strcmp(req->method, "GET") == 0) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else {
        t->body = malloc(req->body_len + 1);
        if (!t->body) {
            transfer_free(t);
            return GATEWAY_ERR_NOMEM;
        }
        if (req->body_len)
            memcpy(t->body, req->body, req->body_len);
        t->body[req->body_len] = '\0';
        t->body_len = req->body_len;
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        if (never_resent) {
            curl_easy_setopt(e, CURLOPT_MAXAGE_CONN, HTTP_PAY_IDLE_MAX_S);
            curl_easy_setopt(e, CURLOPT_READFUNCTION, read_body_once);
            curl_easy_setopt(e, CURLOPT_READDATA, t);
            curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, refuse_rewind);
            curl_easy_setopt(e, CURLOPT_SEEKDATA, t);
        } else {
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->body);
        }
    }
    return add_transfer(h, t, req->url);
}

enum gateway_status http_warm_up(struct http *h, const char *url)
{
    struct origin *o = find_origin(h, url);
    if (o && origin_warm(h, o))
        return GATEWAY_OK;
    struct transfer *t = calloc(1, sizeof *t);
    if (!t)
        return GATEWAY_ERR_NOMEM;
    t->h = h;
    t->easy = curl_easy_init();
    if (!t->easy) {
        free(t);
        return GATEWAY_ERR_NOMEM;
    }
    /* HEAD of the server's root: the answer (a 404 is as good) is dropped, the connection,
     * its TLS session and the DNS answer are kept. Never a path the gateway acts on. */
    char root[sizeof o->name + 1];
    origin_of(url, root, sizeof root - 1);
    size_t n = strlen(root);
    root[n] = '/';
    root[n + 1] = '\0';
    set_common(h, t, root, h->opt.connect_timeout_ms * 2);
    curl_easy_setopt(t->easy, CURLOPT_NOBODY, 1L);
    return add_transfer(h, t, url);
}

int http_pollfds(struct http *h, struct pollfd *fds, int max, int64_t *timeout_ms)
{
    int n = 0;
    for (int i = 0; i < h->nsockets && n < max; i++) {
        fds[n].fd = h->sockets[i].fd;
        fds[n].events = (short)(((h->sockets[i].what & CURL_POLL_IN) ? POLLIN : 0) |
                                ((h->sockets[i].what & CURL_POLL_OUT) ? POLLOUT : 0));
        fds[n].revents = 0;
        n++;
    }
    if (h->deadline_ms != 0) {
        int64_t left = h->deadline_ms - mono_ms();
        if (left < 0)
            left = 0;
        if (*timeout_ms < 0 || left < *timeout_ms)
            *timeout_ms = left;
    }
    return n;
}

static void unlink_transfer(struct http *h, struct transfer *t)
{
    for (struct transfer **p = &h->transfers; *p; p = &(*p)->next) {
        if (*p == t) {
            *p = t->next;
            return;
        }
    }
}

static void finish_transfer(struct http *h, CURL *easy, CURLcode result)
{
    struct transfer *t = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
    if (!t)
        return;
    unlink_transfer(h, t);
    if (t->origin && result == CURLE_OK)
        t->origin->last_activity = mono_ms();
    if (!t->done) {
        transfer_free(t);
        return;
    }
    const char *error = NULL;
    char why[CURL_ERROR_SIZE + 64];
    if (t->too_big) {
        error = "reply larger than any real reply: dropped";
    } else if (result != CURLE_OK) {
        snprintf(why, sizeof why, "%s%s%s", curl_easy_strerror(result), t->error[0] ? ": " : "",
                 t->error);
        error = why;
    }
    if (error) {
        /* status stays 0 unless an HTTP answer did start (an oversized one) */
        struct wire_response none;
        memset(&none, 0, sizeof none);
        if (t->too_big)
            curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &none.status);
        t->done(t->ctx, &none, error);
    } else {
        long status = 0;
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        t->resp.status = status;
        t->resp.body = t->reply ? t->reply : "";
        t->resp.body_len = t->reply_len;
        t->done(t->ctx, &t->resp, NULL);
    }
    transfer_free(t);
}

void http_perform(struct http *h, const struct pollfd *fds, int nfds)
{
    int still = 0;
    for (int i = 0; i < nfds; i++) {
        if (!fds[i].revents)
            continue;
        int mask = ((fds[i].revents & POLLIN) ? CURL_CSELECT_IN : 0) |
                   ((fds[i].revents & POLLOUT) ? CURL_CSELECT_OUT : 0) |
                   ((fds[i].revents & (POLLERR | POLLHUP | POLLNVAL)) ? CURL_CSELECT_ERR : 0);
        curl_multi_socket_action(h->multi, fds[i].fd, mask, &still);
    }
    if (h->deadline_ms != 0 && mono_ms() >= h->deadline_ms) {
        h->deadline_ms = 0;
        curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &still);
    }
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(h->multi, &left)))
        if (msg->msg == CURLMSG_DONE)
            finish_transfer(h, msg->easy_handle, msg->data.result);
}
