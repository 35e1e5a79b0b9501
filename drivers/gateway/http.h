/*
 * http.h - HTTP(S) transfers on libcurl's multi interface, driven by the caller's poll().
 *
 * Nothing here blocks: http_pollfds() hands out the sockets libcurl wants watched (kept from
 * CURLMOPT_SOCKETFUNCTION) and its next deadline (CURLMOPT_TIMERFUNCTION); http_perform()
 * moves the transfers on and calls each transfer's done function once, with the reply or
 * with the reason there is none. Connections are kept alive and reused by the multi handle.
 */
#ifndef POSTERM_HTTP_H
#define POSTERM_HTTP_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#include "wire.h"

struct http_options {
    bool tls_verify;               /* verify the peer's certificate and host name */
    const char *ca_file;           /* NULL or "" = the system's CA store */
    const char *pinned_public_key; /* NULL or "" = none; CURLOPT_PINNEDPUBLICKEY's value */
    long connect_timeout_ms;
};

struct http;

/* resp is the reply; error says why there is no usable one, else NULL. With an error,
 * resp->status is 0 when no HTTP answer arrived at all. Both are valid only during the call. */
typedef void (*http_done_fn)(void *ctx, const struct wire_response *resp, const char *error);

enum gateway_status http_open(struct http **out, const struct http_options *opt);
/* Ends transfers still running; each one's done function is called with an error first. */
void http_close(struct http *h);

/* Starts one transfer of req (copied; the caller may free it at once). timeout_ms bounds the
 * whole transfer. done is called from a later http_perform(), never from here.
 * fresh_connection: send it on a new connection, never on one kept alive from before. libcurl
 * sends a request again by itself, on a new connection, when a reused one dies before any
 * byte of the answer came (its Curl_retry_request()), although the server may have read and
 * acted on the first copy; on a new connection it never does (drivers/gateway/README.md,
 * "Resent pays"). The connection is kept for later requests all the same. */
enum gateway_status http_start(struct http *h, const struct wire_request *req, long timeout_ms,
                               bool fresh_connection, http_done_fn done, void *ctx);

int http_pollfds(struct http *h, struct pollfd *fds, int max, int64_t *timeout_ms);
void http_perform(struct http *h, const struct pollfd *fds, int nfds);

#endif
