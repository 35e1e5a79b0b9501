/*
 * gateway.h - every payment channel behind one asynchronous interface.
 *
 * The core submits requests (pay, query, cancel, refund) and later collects replies, each
 * mapped into exactly one of four kinds. The client never blocks: the event loop asks for
 * the descriptors to poll and a timeout, and calls gateway_perform() when they are ready.
 * The requests and replies themselves are the core's port (app/core/gateway_port.h), where
 * the promise every reply keeps is written down.
 */
#ifndef POSTERM_GATEWAY_H
#define POSTERM_GATEWAY_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway_port.h"

/* One configured channel. Secrets live in files (mode 0600 or stricter), never inline. */
struct gw_channel_config {
    bool enabled;
    char base_url[256];                 /* Alipay: the gateway.do URL; WeChat: API base URL */
    char app_id[64];                    /* Alipay app_id / WeChat appid */
    char merchant_id[64];               /* WeChat mchid */
    char merchant_serial[128];          /* WeChat: serial of the merchant certificate */
    char private_key_file[256];         /* merchant private key, PEM */
    char platform_public_key_file[256]; /* Alipay public key / WeChat platform public key, PEM */
    char platform_serial[128];          /* WeChat: expected Wechatpay-Serial */
    char apiv3_key_file[256];           /* WeChat: file holding the 32-byte APIv3 key */
    char notify_url[256]; /* WeChat: notify_url of Native (QR) orders; "" refuses them */
};

struct gateway_config {
    struct gw_channel_config alipay;
    struct gw_channel_config wechat;
    char terminal_id[33];
    bool tls_verify;             /* on unless the config explicitly turns it off */
    char ca_file[256];           /* "" = the system's CA store */
    char pinned_public_key[256]; /* "" = none; else CURLOPT_PINNEDPUBLICKEY's value */
    long connect_timeout_ms;
    long pay_timeout_ms;
    long query_timeout_ms;
    long cancel_timeout_ms;
    long refund_timeout_ms;
};

enum gateway_status {
    GATEWAY_OK = 0,
    GATEWAY_ERR_CONFIG,  /* a key file is missing, unreadable, too open, or not a key */
    GATEWAY_ERR_CHANNEL, /* the request names a channel that is not configured */
    GATEWAY_ERR_NOMEM,
    GATEWAY_ERR_INTERNAL,
};

struct gateway;

/* On failure *out is NULL and err holds a message that names the file or key at fault. */
enum gateway_status gateway_open(struct gateway **out, const struct gateway_config *cfg, char *err,
                                 size_t errlen);
void gateway_close(struct gateway *g);

/* Queues a request. Its reply is collected later with gateway_next_reply(). A request taken
 * (GATEWAY_OK) gets exactly one reply, whatever happens to it, gateway_close() included: room for
 * that reply is set aside here, so GATEWAY_ERR_NOMEM comes now, with nothing sent, never as a reply
 * lost later. The gateway keeps no timer for the core: the engine arms its own deadline for
 * each request in flight (policy.h, the request timeouts plus reply_margin_ms) and treats a
 * reply that has not come by then as UNKNOWN. */
enum gateway_status gateway_submit(struct gateway *g, const struct gw_request *req);

/* A payment is about to start (the cashier keys an amount): opens a connection to each
 * enabled channel's server unless one is open already, so the pay that follows pays no DNS,
 * TCP or TLS round trip (http_warm_up). Sends nothing a gateway acts on; no reply. */
void gateway_warm_up(struct gateway *g);

/* Event-loop glue: fills at most max descriptors, returns how many; lowers *timeout_ms
 * to the gateway's next deadline. */
int gateway_pollfds(struct gateway *g, struct pollfd *fds, int max, int64_t *timeout_ms);
/* Drives transfers after poll() (fds as returned by poll, or NULL/0 on timeout). */
enum gateway_status gateway_perform(struct gateway *g, const struct pollfd *fds, int nfds);
/* Returns true and fills *out while replies are waiting. */
bool gateway_next_reply(struct gateway *g, struct gw_reply *out);
/* Requests still out. */
int gateway_pending(const struct gateway *g);

/* Optional: where the gateway writes one line per request sent and per reply mapped. Lines
 * never hold a key, a signature or a full payment code (codes are masked). */
typedef void (*gateway_log_fn)(void *ctx, const char *line);
void gateway_set_log(struct gateway *g, gateway_log_fn fn, void *ctx);

#endif
