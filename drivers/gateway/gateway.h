/*
 * gateway.h - every payment channel behind one asynchronous interface.
 *
 * The core submits requests (pay, query, cancel, refund) and later collects replies, each
 * mapped into exactly one of four kinds. The client never blocks: the event loop asks for
 * the descriptors to poll and a timeout, and calls gateway_perform() when they are ready.
 *
 * The promise every reply keeps: GW_SUCCESS and GW_FAILED are only ever returned for a reply
 * that was parsed completely and whose signature verified. Anything else - a timeout, a
 * refused connection, a 5xx, a truncated or malformed body, a bad or missing signature, a
 * gateway "system error" - is GW_UNKNOWN, never success and never failure.
 */
#ifndef POSTERM_GATEWAY_H
#define POSTERM_GATEWAY_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "payment.h"

enum gw_op {
    GW_PAY,
    GW_QUERY,
    GW_CANCEL,
    GW_REFUND,
    GW_REFUND_QUERY, /* what became of refund_no (Alipay fastpay.refund.query, WeChat GET refunds) */
};
#define GW_OP_COUNT 5

enum gw_kind {
    GW_SUCCESS, /* pay/query: paid. cancel: closed or reversed. refund: refunded. */
    GW_FAILED,  /* definite: nothing happened (reason says why) */
    GW_PAYING,  /* customer still confirming (e.g. entering a password); or query: not yet paid */
    GW_UNKNOWN, /* no verified, definite answer: ask again */
};

struct gw_request {
    enum gw_op op;
    uint32_t request_id;               /* the payment's request sequence: the reply echoes it */
    enum pay_channel channel;
    char order_no[ORDER_NO_MAX + 1];
    char auth_code[AUTH_CODE_MAX + 1]; /* pay only */
    int64_t amount_fen;                /* pay: total. refund: this refund's amount */
    int64_t total_fen;                 /* refund: the order's total (WeChat needs it) */
    char refund_no[ORDER_NO_MAX + 1];  /* refund only: idempotent request number */
    char subject[64];                  /* shown on the customer's receipt */
};

/*
 * What a verified reply body states, each fact with its presence. The parsers only report;
 * the engine alone decides what a reply proves (engine.h). A fact the body does not carry
 * is `false`, never a zero that could pass for a value.
 */
struct gw_facts {
    bool order_no_given;         /* out_trade_no in the body */
    char order_no[ORDER_NO_MAX + 1];
    bool refund_no_given;        /* out_request_no / out_refund_no in the body */
    char refund_no[ORDER_NO_MAX + 1];
    bool amount_given;           /* the order's total (pay, query, cancel replies) */
    int64_t amount_fen;
    bool refund_given;           /* this refund's amount (refund and refund-query replies) */
    int64_t refund_fen;
    bool refunded_total_given;   /* the order's total refunded so far (Alipay refund_fee) */
    int64_t refunded_total_fen;
    bool trade_no_given;
    char trade_no[65];           /* the gateway's trade number */
};

struct gw_reply {
    /* Which request this answers: copied from the request, never from the body. */
    enum gw_op op;
    enum pay_channel channel;
    uint32_t request_id;
    char order_no[ORDER_NO_MAX + 1];
    char refund_no[ORDER_NO_MAX + 1];
    /* What the channel's rules make of the body. */
    enum gw_kind kind;
    bool retry;            /* cancel: the gateway asked for the cancel to be sent again */
    bool cancel_refunded;  /* cancel: money had been taken and was returned */
    bool no_such_order;    /* query: the gateway does not know the order (yet) */
    bool no_such_refund;   /* refund query: the gateway does not know the refund number */
    bool refund_abnormal;  /* refund (query): the gateway cannot finish it (WeChat ABNORMAL) */
    bool unreachable;      /* no HTTP answer at all (connect refused, DNS, TLS, timeout) */
    bool exchange_bound;   /* the signature binds the body to this exchange (a fresh timestamp
                            * and a nonce never seen before: WeChat), so a refusal that names
                            * no order may still be believed; see drivers/gateway/README.md */
    int64_t server_time;   /* the gateway's clock, unix s (Date / Wechatpay-Timestamp); 0 = none */
    struct gw_facts said;
    char code[64];         /* gateway's own code, e.g. ACQ.BUYER_BALANCE_NOT_ENOUGH, NOTENOUGH */
    char reason[160];      /* plain words for the cashier and the log; never a secret */
    enum pay_cause cause;  /* the same as a value, for the screen's language (pay_cause.h) */
};

/* One configured channel. Secrets live in files (mode 0600 or stricter), never inline. */
struct gw_channel_config {
    bool enabled;
    char base_url[256];                  /* Alipay: the gateway.do URL; WeChat: API base URL */
    char app_id[64];                     /* Alipay app_id / WeChat appid */
    char merchant_id[64];                /* WeChat mchid */
    char merchant_serial[128];           /* WeChat: serial of the merchant certificate */
    char private_key_file[256];          /* merchant private key, PEM */
    char platform_public_key_file[256];  /* Alipay public key / WeChat platform public key, PEM */
    char platform_serial[128];           /* WeChat: expected Wechatpay-Serial */
    char apiv3_key_file[256];            /* WeChat: file holding the 32-byte APIv3 key */
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

enum gw_status {
    GW_OK = 0,
    GW_ERR_CONFIG,  /* a key file is missing, unreadable, too open, or not a key */
    GW_ERR_CHANNEL, /* the request names a channel that is not configured */
    GW_ERR_NOMEM,
    GW_ERR_INTERNAL,
};

struct gateway;

/* On failure *out is NULL and err holds a message that names the file or key at fault. */
enum gw_status gateway_open(struct gateway **out, const struct gateway_config *cfg,
                            char *err, size_t errlen);
void gateway_close(struct gateway *g);

/* Queues a request. Its reply is collected later with gateway_next_reply(). A request taken
 * (GW_OK) gets exactly one reply, whatever happens to it, gateway_close() included: room for
 * that reply is set aside here, so GW_ERR_NOMEM comes now, with nothing sent, never as a reply
 * lost later. The gateway keeps no timer for the core: the engine arms its own deadline for
 * each request in flight (policy.h, the request timeouts plus reply_margin_ms) and treats a
 * reply that has not come by then as UNKNOWN. */
enum gw_status gateway_submit(struct gateway *g, const struct gw_request *req);

/* Event-loop glue: fills at most max descriptors, returns how many; lowers *timeout_ms
 * to the gateway's next deadline. */
int gateway_pollfds(struct gateway *g, struct pollfd *fds, int max, int64_t *timeout_ms);
/* Drives transfers after poll() (fds as returned by poll, or NULL/0 on timeout). */
enum gw_status gateway_perform(struct gateway *g, const struct pollfd *fds, int nfds);
/* Returns true and fills *out while replies are waiting. */
bool gateway_next_reply(struct gateway *g, struct gw_reply *out);
/* Requests still out. */
int gateway_pending(const struct gateway *g);

/* Optional: where the gateway writes one line per request sent and per reply mapped. Lines
 * never hold a key, a signature or a full payment code (codes are masked). */
typedef void (*gateway_log_fn)(void *ctx, const char *line);
void gateway_set_log(struct gateway *g, gateway_log_fn fn, void *ctx);

#endif
