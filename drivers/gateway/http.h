/*
 * http.h - HTTP(S) transfers on libcurl's multi interface, driven by the caller's poll().
 *
 * Nothing here blocks: http_pollfds() hands out the sockets libcurl wants watched (kept from
 * CURLMOPT_SOCKETFUNCTION) and its next deadline (CURLMOPT_TIMERFUNCTION); http_perform()
 * moves the transfers on and calls each transfer's done function once, with the reply or
 * with the reason there is none. Connections are kept alive and reused by the multi handle,
 * for at most 50 s idle (below the 60 s after which cloud load balancers close them); TLS
 * sessions and DNS answers are shared by every transfer; http_warm_up() opens a connection
 * ahead of a request, so the request pays no DNS, TCP or TLS round trip.
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
 * never_resent: a body that left once never leaves again. libcurl sends a request again by
 * itself, on a new connection, when a kept-alive one dies before any byte of the answer came
 * (its Curl_retry_request()), although the server may have read and acted on the first copy;
 * with never_resent that transfer fails instead (drivers/gateway/README.md, "Resent pays").
 * The request may still use a kept connection, used within the last 10 s (so that no server
 * closing idle connections is about to close it), and pays no handshake. */
enum gateway_status http_start(struct http *h, const struct wire_request *req, long timeout_ms,
                               bool never_resent, http_done_fn done, void *ctx);

/* Makes sure a connection to url's server (scheme, host, port) is open or opening, for a
 * request expected soon (the cashier started keying an amount): unless a transfer to it is
 * running, or a kept connection to it is still open (the server has not closed it) and was
 * used in the last 3 s, sends HEAD for the server's root ("/") - never a path that acts -
 * and drops the answer: on the kept connection if it is open, which is then fresh for a
 * pay (see http_start), else on a new one. No done call, nothing journaled; a failure is silent
 * (the request that follows connects by itself). Cheap to call on every key. */
enum gateway_status http_warm_up(struct http *h, const char *url);

int http_pollfds(struct http *h, struct pollfd *fds, int max, int64_t *timeout_ms);
void http_perform(struct http *h, const struct pollfd *fds, int nfds);

#endif
