/*
 * sim_ledger.h - the simulated gateway's books: every trade, what was charged and given back,
 * and the rules the real gateways apply to pay, query, cancel and refund.
 *
 * Channel-neutral: sim_alipay.c and sim_wechat.c turn these outcomes into each wire format.
 * The ledger is not locked here; the server holds its lock around every call. Time is passed
 * in (monotonic ms) so "the customer confirms for 8 s" runs on the caller's clock.
 * With a file, every change is appended and synced before the caller replies, and the file is
 * replayed on open, so the books survive a restart, a kill or a power cut of the simulator.
 */
#ifndef POSTERM_SIM_LEDGER_H
#define POSTERM_SIM_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "payment.h"
#include "sim_scenario.h"

enum sim_trade_state {
    TRADE_PAYING,    /* customer still confirming; nothing charged yet */
    TRADE_CHARGED,   /* money taken (possibly partly refunded) */
    TRADE_REFUNDED,  /* money taken and fully given back by refunds */
    TRADE_CANCELLED, /* cancelled/reversed; if it had been charged, the money went back */
    TRADE_CLOSED,    /* never charged and can no longer be (refused, the customer gave up, or
                      * a QR order closed by the merchant) */
    TRADE_WAITING,   /* a dynamic QR order: created, the customer has not scanned it yet */
};

struct sim_refund {
    char request_no[65];
    char refund_id[33];
    int64_t amount_fen;    /* what was given back */
    int64_t requested_fen; /* what was asked (more than amount_fen for a short refund) */
    int64_t settles_at;    /* monotonic ms; before it the refund is still processing */
};

/* A pay for an order number the gateway already knew, from another sale: another amount or
 * another payment code (its last four digits). Order numbers used twice show up here. */
struct sim_other_pay {
    int64_t amount_fen;
    char code_last4[5];
};

#define SIM_OTHER_PAYS_MAX 8

struct sim_trade {
    enum pay_channel channel;
    char out_trade_no[65];
    char trade_no[33];
    int64_t amount_fen;
    char code_last4[5];
    char subject[257]; /* the first pay's subject (Alipay) or description (WeChat Pay) */
    char scenario[32];
    enum sim_trade_state state;
    char close_reason[64];
    int charged;            /* times money was taken for this order: 0 or 1, never more */
    bool cancel_before_pay; /* the cancel arrived before any pay for this order */
    char cancel_action[8];  /* "", "close" or "refund" */
    int pay_requests;
    struct sim_other_pay other_pays[SIM_OTHER_PAYS_MAX]; /* distinct, the first few */
    int nother_pays;
    int late_pays_refused; /* pays refused because the order was already cancelled/closed */
    int query_requests;    /* trade queries answered about this order (kept with its next change) */
    int queries_throttled; /* trade queries refused as too frequent (kept likewise) */
    int64_t last_query_at; /* monotonic ms of the latest trade query, answered or not; 0: none */
    int cancel_requests;
    int cancel_refusals_left;
    int64_t refunded_fen;
    struct sim_refund *refunds;
    size_t nrefunds;
    int64_t confirm_until; /* TRADE_PAYING: monotonic ms when the customer decides */
    bool confirm_pays;     /* TRADE_PAYING: what the customer decides */
    int64_t visible_at;    /* monotonic ms before which queries say "no such order" */
    int refund_delay_s;    /* each refund stays processing this long */
    int64_t paid_wall;     /* wall clock (unix s) when charged */
    /* Dynamic QR orders (created by precreate / Native): */
    char qr_payload[129]; /* "" for a barcode trade */
    bool scanned;         /* the customer has scanned it (Alipay's trade exists only from then) */
    int64_t qr_expires_wall; /* unix s after which a scan is refused */
    int close_requests;
};

enum sim_pay_result {
    SIM_PAY_CHARGED,
    SIM_PAY_PAYING,
    SIM_PAY_NO_FUNDS,
    SIM_PAY_CODE_INVALID,
    SIM_PAY_ORDER_CLOSED, /* cancelled or closed before: a late pay never charges */
    SIM_PAY_ALREADY_PAID,
    SIM_PAY_INCONSISTENT, /* same order number, different amount */
};

enum sim_cancel_result {
    SIM_CANCEL_CLOSED,   /* nothing had been charged; the order can no longer be paid */
    SIM_CANCEL_REFUNDED, /* it had been charged; the money went back */
    SIM_CANCEL_RETRY,    /* refused for now; send it again */
    SIM_CANCEL_BUSY,     /* refused: the customer is still confirming (WeChat's rule) */
};

enum sim_qr_result {
    SIM_QR_CREATED,
    SIM_QR_REPEATED,     /* the same order and amount again: the same QR */
    SIM_QR_INCONSISTENT, /* the order number exists with another amount, or as a barcode pay */
    SIM_QR_CLOSED,       /* closed or cancelled before */
    SIM_QR_PAID,         /* paid already */
};

enum sim_close_result {
    SIM_CLOSE_CLOSED,    /* nothing had been charged; the order can no longer be paid */
    SIM_CLOSE_REPEATED,  /* it was closed (or cancelled unpaid) before */
    SIM_CLOSE_PAID,      /* it is paid: the gateway will not close it */
    SIM_CLOSE_NOT_FOUND, /* no such order at the gateway (Alipay: not scanned yet) */
};

enum sim_scan_result {
    SIM_SCAN_PAID,            /* charged now */
    SIM_SCAN_CONFIRMING,      /* scanned; the customer decides after the given seconds */
    SIM_SCAN_REFUSED_CLOSED,  /* the order was closed or cancelled: the wallet refuses */
    SIM_SCAN_REFUSED_EXPIRED, /* the QR's time to pay is over: the wallet refuses */
    SIM_SCAN_ALREADY,         /* already paid, or already scanned and confirming */
    SIM_SCAN_NOT_FOUND,       /* no QR order with that number or payload */
};

enum sim_refund_result {
    SIM_REFUND_DONE,
    SIM_REFUND_REPEATED, /* same request number, same amount: the earlier result */
    SIM_REFUND_NOT_FOUND,
    SIM_REFUND_NOT_PAID,     /* trade not charged (paying, closed, cancelled) */
    SIM_REFUND_EXCEEDS,      /* more than what is left */
    SIM_REFUND_INCONSISTENT, /* same request number, different amount; or wrong order total */
};

struct sim_ledger;

/* path NULL: memory only. A file that exists but cannot be read is an error (err says why). */
struct sim_ledger *sim_ledger_open(const char *path, char *err, size_t errlen);
void sim_ledger_close(struct sim_ledger *l);

/* The order number of the trade the gateway numbered trade_no; NULL if none. */
const char *sim_ledger_order_of(struct sim_ledger *l, const char *trade_no);

/* The trade for order, after applying any decision that is due at now; NULL if none. */
struct sim_trade *sim_ledger_find(struct sim_ledger *l, const char *order, int64_t now);

/* Keeps the subject the first pay gave its trade (a repeated pay leaves it). */
void sim_ledger_note_subject(struct sim_ledger *l, struct sim_trade *t, const char *subject,
                             int64_t now);

enum sim_pay_result sim_ledger_pay(struct sim_ledger *l, enum pay_channel ch, const char *order,
                                   const char *auth_code, int64_t amount_fen,
                                   const struct sim_plan *plan, int64_t now,
                                   struct sim_trade **trade);
/* NULL when the gateway would say "no such order" (unknown, or still hidden). */
struct sim_trade *sim_ledger_query(struct sim_ledger *l, const char *order, int64_t now);
/* Records a trade query of t at now; true when it came less than limit_ms after the previous
 * one (limit_ms 0: never), counted in queries_throttled. Every query counts, refused or not,
 * as a gateway's rate limiter counts each request it sees. */
bool sim_ledger_query_throttled(struct sim_trade *t, int limit_ms, int64_t now);
/* refuse: this cancel is refused whatever the order's own scenario says. busy_while_paying:
 * a trade whose customer is still confirming cannot be cancelled yet (WeChat reverse). */
enum sim_cancel_result sim_ledger_cancel(struct sim_ledger *l, enum pay_channel ch,
                                         const char *order, bool refuse, bool busy_while_paying,
                                         int64_t now, struct sim_trade **trade);
/* total_fen < 0: the channel does not state the order total. delay_s > 0: this refund stays
 * processing that long (else the order's own refund delay applies). grant_fen > 0: only that
 * much (at most amount_fen) is given back, a short refund; 0: all of amount_fen. The money
 * counts as given back from the request on: it is committed, only not yet settled. A repeat
 * of a request number is recognised by the amount first asked. */
enum sim_refund_result sim_ledger_refund(struct sim_ledger *l, const char *order,
                                         const char *request_no, int64_t amount_fen,
                                         int64_t total_fen, int delay_s, int64_t grant_fen,
                                         int64_t now, struct sim_trade **trade,
                                         const struct sim_refund **refund);

/* A dynamic QR order for amount_fen, payable until expires_wall (unix s); its payload is
 * made here (Alipay https://qr.alipay.com/..., WeChat weixin://wxpay/bizpayurl?pr=...). */
enum sim_qr_result sim_ledger_qr_create(struct sim_ledger *l, enum pay_channel ch,
                                        const char *order, int64_t amount_fen, int64_t expires_wall,
                                        const char *scenario, int64_t now,
                                        struct sim_trade **trade);
/* The merchant closes an unpaid order. exists_unscanned: the gateway holds the order before
 * the customer scans it (WeChat); when false (Alipay precreate) an unscanned order is
 * "no such order", and is not closed: its QR stays payable until it expires. */
enum sim_close_result sim_ledger_qr_close(struct sim_ledger *l, const char *order,
                                          bool exists_unscanned, int64_t now,
                                          struct sim_trade **trade);
/* The customer scans the QR of order (or, with order NULL, the order whose payload is qr)
 * and pays after_s seconds later (0: at once); pays false: scans, then gives up after it. */
enum sim_scan_result sim_ledger_qr_scan(struct sim_ledger *l, const char *order, const char *qr,
                                        int after_s, bool pays, int64_t now,
                                        struct sim_trade **trade);

/* The refund with this request number on order t (Alipay's out_request_no is per trade);
 * NULL if none. */
const struct sim_refund *sim_ledger_trade_refund(const struct sim_trade *t, const char *request_no);

/* The refund with this request number on any order (WeChat's out_refund_no is unique per
 * merchant), with its trade in *trade; NULL if none. */
const struct sim_refund *sim_ledger_find_refund(struct sim_ledger *l, const char *request_no,
                                                int64_t now, struct sim_trade **trade);

/* Whole ledger as JSON text (malloc'd; caller frees), the audit endpoint's body. */
char *sim_ledger_audit(struct sim_ledger *l, int64_t now);

/* Rewrites the file compacted, one line per trade (every change is already on disk); false
 * with err when it could not. */
bool sim_ledger_save(struct sim_ledger *l, int64_t now, char *err, size_t errlen);

const char *sim_trade_state_name(enum sim_trade_state s);

#endif
