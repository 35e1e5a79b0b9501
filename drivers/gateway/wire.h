/*
 * wire.h - an HTTP exchange as plain bytes (wire_request, wire_response) and the helpers both
 * channels share to build one and to word a reply (reply_start, reply_set).
 *
 * A channel (alipay.c, wechatpay.c) is pure functions from a gw_request to a wire_request and
 * from a wire_response to a gw_reply. No sockets and no clock live behind these types: the time
 * and the nonce are arguments, so tests and fuzzers drive a channel without a network and get
 * the same bytes every run. The transport (http.c) moves them.
 */
#ifndef POSTERM_WIRE_H
#define POSTERM_WIRE_H

#include <stdarg.h>
#include <stddef.h>

#include "gateway.h"

#define WIRE_HEADERS_MAX 6
#define WIRE_HEADER_LEN  1024 /* "Authorization: WECHATPAY2-..." with a 4096-bit signature */
#define WIRE_URL_LEN     2048
/* A real reply is a few kilobytes; anything past this is not a reply, it is an attack or a bug,
 * and is treated as truncated (UNKNOWN). */
#define WIRE_BODY_MAX (256 * 1024)

struct wire_request {
    char method[8];                                  /* "GET" or "POST" */
    char url[WIRE_URL_LEN];                          /* absolute URL */
    char headers[WIRE_HEADERS_MAX][WIRE_HEADER_LEN]; /* "Name: value" */
    int nheaders;
    char *body; /* malloc'd, may be NULL for GET */
    size_t body_len;
    char log_line[160]; /* what to log: no secret, code masked */
};

#define WIRE_RESPONSE_HEADERS_MAX 16 /* only the headers a channel reads are kept (wire.c) */
struct wire_header {
    char name[48];
    char value[1024];
};

struct wire_response {
    long status;      /* HTTP status; 0 when no reply arrived */
    const char *body; /* exact bytes as received (not NUL-terminated necessarily) */
    size_t body_len;
    struct wire_header headers[WIRE_RESPONSE_HEADERS_MAX];
    int nheaders;
};

void wire_request_free(struct wire_request *req);
/* Appends "Name: value"; false when there is no room (the request must then not be sent). */
bool wire_add_header(struct wire_request *req, const char *name, const char *value);
/* Case-insensitive lookup; NULL when absent. */
const char *wire_header(const struct wire_response *resp, const char *name);
/* Records a received header line when it is one a channel reads (Date, Wechatpay-*,
 * Request-Id), so that any number of proxy or CDN headers before them cannot push them out.
 * Keeps the first WIRE_RESPONSE_HEADERS_MAX of those; longer values are cut, which then fails
 * verification rather than passing it. */
void wire_response_add_header(struct wire_response *resp, const char *line, size_t len);
/* The HTTP Date header as unix seconds (RFC 9110 IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT",
 * the only form a server may send); 0 when absent or not in that form. Not authenticated:
 * only what TLS makes of it. */
int64_t wire_date(const struct wire_response *resp);

/* A reply about req, not yet decided: kind UNKNOWN, the request's identity (op, channel,
 * request_id, order and refund numbers) copied, nothing said. */
void reply_start(struct gw_reply *r, const struct gw_request *req);
/* Decides the reply: kind, its cause (PAY_CAUSE_NONE for a success or a customer still
 * confirming), the gateway's own code (may be NULL) and plain words. */
void reply_set(struct gw_reply *r, enum gw_kind kind, enum pay_cause cause, const char *code,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* A QR payload is only ever given with GW_SUCCESS: a reply that is not believed (about
 * another order, a refusal) must not leave a payload someone could draw for the customer. */
void forget_qr_unless_believed(struct gw_reply *r);

const char *gw_op_name(enum gw_op op);

#endif
