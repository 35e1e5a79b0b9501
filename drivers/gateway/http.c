/*
 * http.c - libcurl multi glue: a socket table for poll(), a deadline, and one done call per
 * transfer.
 *
 * Why the socket callbacks: Debian 12's curl 7.88 has no curl_multi_waitfds(), and
 * curl_multi_fdset() cannot describe descriptors above FD_SETSIZE; CURLMOPT_SOCKETFUNCTION
 * tells us exactly which descriptors to watch and for what.
 */
#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#define HTTP_CONNECTIONS_MAX 16
#define SOCKETS_MAX          64 /* room for every connection's socket, and libcurl's resolver's */

struct watched {
    curl_socket_t fd;
    int what; /* CURL_POLL_IN / OUT / INOUT */
};

struct transfer {
    struct http *h;
    CURL *easy;
    struct curl_slist *headers;
    char *body;  /* request body (curl reads it in place) */
    char *reply; /* reply body so far */
    size_t reply_len, reply_cap;
    bool too_big;
    struct wire_response resp;
    http_done_fn done;
    void *ctx;
    char error[CURL_ERROR_SIZE];
    struct transfer *next;
};

struct http {
    CURLM *multi;
    struct http_options opt;
    char ca_file[256];
    char pinned[256];
    struct watched sockets[SOCKETS_MAX];
    int nsockets;
    int64_t deadline_ms; /* monotonic; 0 = libcurl wants no timeout */
    struct transfer *transfers;
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
        t->done(t->ctx, &none, "client closed before the reply");
        transfer_free(t);
    }
    curl_multi_cleanup(h->multi);
    curl_global_cleanup();
    free(h);
}

enum gateway_status http_start(struct http *h, const struct wire_request *req, long timeout_ms,
                               bool fresh_connection, http_done_fn done, void *ctx)
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
    curl_easy_setopt(e, CURLOPT_URL, req->url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "posterm/0.1");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, h->opt.connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, fresh_connection ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, h->opt.tls_verify ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, h->opt.tls_verify ? 2L : 0L);
    if (h->ca_file[0])
        curl_easy_setopt(e, CURLOPT_CAINFO, h->ca_file);
    if (h->pinned[0])
        curl_easy_setopt(e, CURLOPT_PINNEDPUBLICKEY, h->pinned);
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
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->body);
    }
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    if (curl_multi_add_handle(h->multi, e) != CURLM_OK) {
        transfer_free(t);
        return GATEWAY_ERR_INTERNAL;
    }
    t->next = h->transfers;
    h->transfers = t;
    return GATEWAY_OK;
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
