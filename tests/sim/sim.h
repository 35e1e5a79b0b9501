/*
 * sim.h - what the simulator's parts share: its state, one request, one reply, and the test
 * identities (app ids, merchant number, certificate serials) the keys belong to.
 *
 * The server (sim_server.c) turns HTTP into a sim_request and a sim_reply back into HTTP,
 * applying the transport faults; the channel handlers (sim_alipay.c, sim_wechat.c) verify,
 * consult the plan and the ledger, and write the reply in their gateway's format.
 */
#ifndef POSTERM_SIM_H
#define POSTERM_SIM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "payment.h"
#include "sim_bill.h"
#include "sim_crypto.h"
#include "sim_identity.h"
#include "sim_ledger.h"
#include "sim_scenario.h"

struct sim {
    pthread_mutex_t lock; /* guards ledger, script, counters */
    struct sim_ledger *ledger;
    struct sim_script *script;
    struct sim_key *alipay_app_public;
    struct sim_key *alipay_platform_private;
    struct sim_key *wechat_merchant_public;
    struct sim_key *wechat_platform_private;
    uint64_t requests; /* gateway requests answered or dropped */
    /* --query-limit-ms: a trade query sooner than this after the same order's previous one
     * gets the gateway's frequency-limit refusal (0: no limit). */
    int query_limit_ms;
    uint64_t rejected_signatures;

    /* Replies held back (slow_reply) wait on this; while draining (shutdown, unreachable)
     * none waits, and their connections are dropped. */
    pthread_cond_t wake;
    bool draining;

    /* Differences injected into the published bills (POST /_sim/bill). */
    struct sim_bill_edit bill_edits[SIM_BILL_EDITS_MAX];
    int nbill_edits;
};

struct sim_request {
    const char *method;
    const char *raw_uri; /* path and query exactly as sent (what WeChat signs) */
    const char *path;    /* path without the query */
    const char *query;   /* raw query without '?', "" when none */
    const char *body;
    size_t body_len;
    const char *authorization; /* NULL when absent */
    const char *content_type;  /* NULL when absent */
    const char *accept;        /* NULL when absent */
    const char *base;          /* "http(s)://HOST" as the client reached us (bill URLs) */
};

#define SIM_REPLY_HEADERS 6

struct sim_reply {
    unsigned status;
    char content_type[64];
    char *body; /* malloc'd */
    size_t body_len;
    struct {
        char name[32];
        char value[400];
    } headers[SIM_REPLY_HEADERS];
    int nheaders;
    char summary[128]; /* for the request log: channel, op, order, masked code, scenario */
    /* What the request was, for capture and replay; channel CHANNEL_NONE when it never got
     * that far (refused by protocol checks). Set by sim_reply_summary. */
    enum pay_channel channel;
    enum sim_op op;
    char order[65];
    enum sim_fault fault; /* applied by the server: delay, drop, 5xx page, truncation */
    int delay_s;
};

int64_t sim_now_ms(void);

/* The gateway's wall clock, unix s: the system's plus the offset POST /_sim/clock set (a
 * terminal whose clock is wrong, seen from the gateway's side). Everything the gateways say or
 * check about the time of day uses it: Date, Wechatpay-Timestamp, the age of a WeChat
 * request's timestamp, payment and refund times. Any thread may call these. */
int64_t sim_wall_s(void);
int64_t sim_clock_offset(void);
void sim_clock_set_offset(int64_t seconds);
/* Every duration a scenario or a control request names (a customer confirming, a late reply,
 * an outage), stretched by --time-scale PERCENT (100 = as named; the e2e harness passes its
 * measured slowdown, so that on a slow or emulated machine the gateway's delays and the
 * terminal's windows, both stretched alike, keep their order). Rounded up to whole seconds. */
void sim_time_scale_set(int percent);
int sim_scaled_seconds(int seconds);
/* The same for a duration in ms, rounded up to whole ms. */
int64_t sim_scaled_ms(int64_t ms);
/* Largest offset accepted, either way: ten years (a clock reset to 1970 is out of range). */
#define SIM_CLOCK_OFFSET_MAX_S (10LL * 366 * 86400)

/* The plan for a verified request: the script's next matching entry, else for a pay the
 * code's last digits, else a normal reply. Caller holds s->lock. */
struct sim_plan sim_plan_for(struct sim *s, enum pay_channel ch, enum sim_op op,
                             const char *auth_code);

/* What a refund under this plan gives back (sim_ledger_refund's grant_fen): for refund_short
 * the script's "fen", else half of asked_fen (at least 1); 0 (all of it) for other plans. */
int64_t sim_plan_grant(const struct sim_plan *plan, int64_t asked_fen);

/* Replies take ownership of text (malloc'd). */
void sim_reply_body(struct sim_reply *rep, unsigned status, const char *content_type, char *text);
void sim_reply_header(struct sim_reply *rep, const char *name, const char *value);
/* Fills rep->summary (codes masked to their last four digits) and what the request was. */
void sim_reply_summary(struct sim_reply *rep, enum pay_channel ch, enum sim_op op,
                       const char *order, const char *auth_code, const char *scenario);
/* A different order number that looks like order (the other_order fault). */
void sim_other_order(const char *order, char *out, size_t size);
/* Removes every amount field from a reply object (the success_no_amount fault). */
void sim_json_drop_amounts(cJSON *o);
/* Makes text no longer JSON (the malformed_json fault) while keeping its length roughly. */
void sim_text_malform(char *text);

/* Money as the Alipay wire writes it: "12.30". Parsing is exact: at most two decimals. */
void sim_yuan_format(int64_t fen, char out[32]);
bool sim_yuan_parse(const char *text, int64_t *fen);

/* Beijing-time stamps: Alipay "2026-11-23 18:00:00", WeChat "2026-11-23T18:00:00+08:00". */
void sim_time_alipay(int64_t unix_s, char out[32]);
void sim_time_wechat(int64_t unix_s, char out[32]);

/* Payment-code routing as the real wallets define it. */
bool sim_code_is_wechat(const char *code);
bool sim_code_is_alipay(const char *code);

void sim_alipay_handle(struct sim *s, const struct sim_request *req, struct sim_reply *rep);
void sim_wechat_handle(struct sim *s, const struct sim_request *req, struct sim_reply *rep);

#endif
