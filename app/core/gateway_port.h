/*
 * gateway_port.h - the requests the engine sends a payment gateway and the replies it reads.
 *
 * The port of the pure core: plain data only. The gateway client (drivers/gateway/gateway.h)
 * carries these requests over the wire and maps each answer into exactly one reply kind; the
 * engine (engine.h) alone decides what a reply proves.
 *
 * The promise every reply keeps: GW_SUCCESS and GW_FAILED are only ever returned for a reply
 * that was parsed completely and whose signature verified. Anything else - a timeout, a
 * refused connection, a 5xx, a truncated or malformed body, a bad or missing signature, a
 * gateway "system error" - is GW_UNKNOWN, never success and never failure.
 *
 * Dynamic QR (the customer scans the terminal): the engine creates the order with GW_QR_CREATE,
 * queries it with GW_QUERY, as a barcode payment is, and ends an unpaid one with GW_QR_CLOSE
 * (engine.c "dynamic QR").
 */
#ifndef POSTERM_GATEWAY_PORT_H
#define POSTERM_GATEWAY_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include "payment.h"

enum gw_op {
    GW_PAY,
    GW_QUERY,
    GW_CANCEL,
    GW_REFUND,
    GW_REFUND_QUERY, /* what became of refund_no (Alipay fastpay.refund.query, WeChat GET refunds)
                      */
    GW_QR_CREATE,    /* an order the customer pays by scanning its QR (Alipay trade.precreate,
                      * WeChat Pay Native): the reply gives the QR payload */
    GW_QR_CLOSE,     /* close an unpaid QR order (Alipay trade.close, WeChat .../close) */
};
#define GW_OP_COUNT 7

/* The longest QR payload believed. Real ones are under 64 characters
 * (https://qr.alipay.com/bax..., weixin://wxpay/bizpayurl?pr=...); a longer one would need a
 * QR code too large to scan from an 80x24 console, so it is refused as a malformed reply. */
#define GW_QR_PAYLOAD_MAX QR_PAYLOAD_MAX

enum gw_kind {
    GW_SUCCESS, /* pay/query: paid. cancel: closed or reversed. refund: refunded.
                 * qr create: the order exists and said.qr_payload is its QR (never "paid").
                 * qr close: closed, the customer can no longer pay it. */
    GW_FAILED,  /* definite: nothing happened (reason says why). qr close: the gateway will
                 * not close (close_refused_paid says when because it is paid) */
    GW_PAYING,  /* customer still confirming (e.g. entering a password); or query: not yet paid */
    GW_UNKNOWN, /* no verified, definite answer: ask again */
};

struct gw_request {
    enum gw_op op;
    uint32_t request_id; /* the payment's request sequence: the reply echoes it */
    enum pay_channel channel;
    char order_no[ORDER_NO_MAX + 1];
    char auth_code[AUTH_CODE_MAX + 1]; /* pay only */
    int64_t amount_fen;                /* pay: total. refund: this refund's amount */
    int64_t total_fen;                 /* refund: the order's total (WeChat needs it) */
    char refund_no[ORDER_NO_MAX + 1];  /* refund only: idempotent request number */
    char subject[128];   /* shown on the customer's receipt: at most 127 bytes (WeChat's limit) */
    int32_t qr_window_s; /* qr create: how long the customer may pay, seconds (> 0): the
                          * gateway refuses a later payment (Alipay timeout_express, whole
                          * minutes rounded up; WeChat time_expire, at least one minute) */
};

/*
 * What a verified reply body states, each fact with its presence. The parsers only report;
 * the engine alone decides what a reply proves (engine.h). A fact the body does not carry
 * is `false`, never a zero that could pass for a value.
 */
struct gw_facts {
    bool order_no_given; /* out_trade_no in the body */
    char order_no[ORDER_NO_MAX + 1];
    bool refund_no_given; /* out_request_no / out_refund_no in the body */
    char refund_no[ORDER_NO_MAX + 1];
    bool amount_given; /* the order's total (pay, query, cancel replies) */
    int64_t amount_fen;
    bool refund_given; /* this refund's amount (refund and refund-query replies) */
    int64_t refund_fen;
    bool refunded_total_given; /* the order's total refunded so far (Alipay refund_fee) */
    int64_t refunded_total_fen;
    bool trade_no_given;
    char trade_no[65]; /* the gateway's trade number */
    bool qr_given;     /* qr create: the QR payload (Alipay qr_code, WeChat code_url), of the
                        * channel's form and at most GW_QR_PAYLOAD_MAX long; any other is a
                        * malformed reply, never given */
    char qr_payload[GW_QR_PAYLOAD_MAX + 1];
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
    bool retry;              /* cancel: the gateway asked for the cancel to be sent again */
    bool cancel_refunded;    /* cancel: money had been taken and was returned */
    bool no_such_order;      /* query: the gateway does not know the order (yet) */
    bool no_such_refund;     /* refund query: the gateway does not know the refund number */
    bool refund_abnormal;    /* refund (query): the gateway cannot finish it (WeChat ABNORMAL) */
    bool close_refused_paid; /* qr close, FAILED: the order no longer waits for payment, it was
                              * paid (WeChat ORDERPAID; Alipay TRADE_HAS_SUCCESS, and
                              * TRADE_STATUS_ERROR: paid, or closed already). Not PAID by
                              * itself: a query states the amount */
    bool unreachable;        /* no HTTP answer at all (connect refused, DNS, TLS, timeout) */
    bool exchange_bound;     /* the signature binds the body to this exchange (a fresh timestamp
                              * and a nonce never seen before: WeChat), so a refusal that names
                              * no order may still be believed; see drivers/gateway/README.md */
    int64_t server_time; /* the gateway's clock, unix s (Date / Wechatpay-Timestamp); 0 = none */
    struct gw_facts said;
    char code[64];        /* gateway's own code, e.g. ACQ.BUYER_BALANCE_NOT_ENOUGH, NOTENOUGH */
    char reason[160];     /* plain words for the cashier and the log; never a secret */
    enum pay_cause cause; /* the same as a value, for the screen's language (pay_cause.h) */
};

#endif
