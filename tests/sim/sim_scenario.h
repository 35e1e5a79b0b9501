/*
 * sim_scenario.h - what the simulated gateway does with the next request.
 *
 * A plan has two halves: the business outcome (funds, customer confirming, a cancel refused)
 * and the transport fault applied to the reply (delay, drop, 5xx, malformed, truncated, bad
 * signature). Plans come from the control endpoint's script first (the next N matching
 * requests), else, for a pay, from the payment code's last two digits (table in README.md).
 */
#ifndef POSTERM_SIM_SCENARIO_H
#define POSTERM_SIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "payment.h"

/* SIM_OP_QR: a dynamic QR order is created (Alipay precreate, WeChat Native); SIM_OP_CLOSE:
 * one is closed (Alipay trade.close, WeChat .../close). Their queries are SIM_OP_QUERY. */
enum sim_op {
    SIM_OP_PAY,
    SIM_OP_QUERY,
    SIM_OP_CANCEL,
    SIM_OP_REFUND,
    SIM_OP_QR,
    SIM_OP_CLOSE,
    SIM_OP_ANY
};

enum sim_business {
    BIZ_NORMAL,
    BIZ_NO_FUNDS,         /* pay refused: insufficient funds */
    BIZ_CODE_INVALID,     /* pay refused: payment code expired or invalid */
    BIZ_CONFIRM_PAYS,     /* customer confirms for `seconds`, then the trade is paid */
    BIZ_CONFIRM_GIVES_UP, /* customer confirms for `seconds`, then gives up */
    BIZ_HIDDEN,           /* pay: queries say "no such order" for `seconds`; query: this one */
    BIZ_CANCEL_REFUSED,   /* pay: the order's first `count` cancels are refused; cancel: this one */
    BIZ_SYSTEM_ERROR,     /* the gateway's own "system error" reply, nothing committed */
    BIZ_REFUND_SLOW,  /* pay: the order's refunds stay processing for `seconds`; refund: this one */
    BIZ_REFUND_SHORT, /* refund: gives back only `fen` (0: half of what was asked) and says so */
};

enum sim_fault {
    FAULT_NONE,
    FAULT_DELAY,    /* reply sent `seconds` late (the effect is committed at once) */
    FAULT_DROP,     /* connection closed without a reply, after the effect is committed */
    FAULT_HTTP_500, /* HTTP error page; committed only when `commit` */
    FAULT_HTTP_502,
    FAULT_HTTP_503,
    FAULT_MALFORMED,     /* 200 with a body that is not JSON */
    FAULT_TRUNCATED,     /* Content-Length promises more than is sent, then the connection closes */
    FAULT_BAD_SIGNATURE, /* well-formed reply whose signature does not verify */
    FAULT_UNSIGNED,      /* well-formed reply without its signature */
    FAULT_SIGNATURE_PROBE, /* WeChat: Wechatpay-Signature "WECHATPAY/SIGNTEST/..."; Alipay: bad */
    FAULT_STALE_TIMESTAMP, /* WeChat: correctly signed, Wechatpay-Timestamp 10 minutes old */
    FAULT_OTHER_ORDER,     /* correctly signed reply about another order number */
    FAULT_NO_AMOUNT,       /* correctly signed reply with every amount field left out */
    FAULT_NO_ORDER,        /* correctly signed reply without out_trade_no (an unbound answer) */
};

struct sim_plan {
    const char *name; /* scenario name as in README.md */
    enum sim_business biz;
    enum sim_fault fault;
    int seconds;
    int count;   /* BIZ_CANCEL_REFUSED on a pay: how many cancels are refused */
    bool commit; /* for 5xx faults: whether the request took effect before the error */
    int64_t fen; /* BIZ_REFUND_SHORT: the amount actually given back, 0 = half the request */
    /* BIZ_CONFIRM_*: above 0, the customer confirms this many ms instead of `seconds` (script
     * key "confirm_ms": the latency benchmark's customer confirming at any moment) */
    int64_t confirm_ms;
};

/* The plan of a named scenario with its documented defaults; false for an unknown name. */
bool sim_scenario_by_name(const char *name, struct sim_plan *out);

/* The plan a pay gets from its payment code's last two digits (unlisted endings: success). */
void sim_scenario_by_code(const char *auth_code, struct sim_plan *out);

/* The op a scripted scenario applies to when the script does not say. */
enum sim_op sim_scenario_default_op(const struct sim_plan *plan);

const char *sim_op_name(enum sim_op op);
bool sim_op_from_name(const char *name, enum sim_op *out);

/* The documented table, one line per scenario, for --help and README.md. */
void sim_scenario_print_table(FILE *out);

/* --- the script: plans for the next N matching requests, first come first served --- */

struct sim_script;

struct sim_script *sim_script_new(void);
void sim_script_free(struct sim_script *s);
/* Appends count uses of plan for requests matching op and channel (CHANNEL_NONE = any). */
bool sim_script_push(struct sim_script *s, const struct sim_plan *plan, int count, enum sim_op op,
                     enum pay_channel channel);
/* Takes one use of the first entry that matches; false when none does. */
bool sim_script_take(struct sim_script *s, enum sim_op op, enum pay_channel channel,
                     struct sim_plan *out);
void sim_script_clear(struct sim_script *s);
int sim_script_pending(const struct sim_script *s);

#endif
