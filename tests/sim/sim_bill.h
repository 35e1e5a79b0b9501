/*
 * sim_bill.h - the daily trade bills the simulated gateways publish, built from the ledger in
 * the real formats, and the differences a test injects into them.
 *
 * Alipay: alipay.data.dataservice.bill.downloadurl.query answers a bill_download_url; the file
 * there (GET, unsigned, /_bill/alipay/DATE.csv.zip) is a zip of two GBK CSV files, the
 * "业务明细" detail and its "(汇总)" summary. WeChat Pay: GET /v3/bill/tradebill answers
 * hash_type SHA1, hash_value (of the uncompressed bill) and download_url; the file there
 * (GET /v3/billdownload/file?token=..., signed like any request, its reply not signed) is the
 * gzip of the ALL bill: backtick fields, the summary header and row at the end.
 *
 * A day's rows: every trade of the channel charged that day (Beijing time) - its charge, each
 * refund, and a reversal when a cancel gave the charge back - then the injected edits.
 */
#ifndef POSTERM_SIM_BILL_H
#define POSTERM_SIM_BILL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "payment.h"

enum sim_bill_edit_kind {
    SIM_BILL_CHARGE,        /* a charge posterm never saw: order, fen */
    SIM_BILL_PORTAL_REFUND, /* a refund made in the merchant portal: order, fen, refund_no */
    SIM_BILL_AMOUNT,        /* the order's charge shows fen instead */
    SIM_BILL_MISSING,       /* the order's rows are left out */
    /* the day's file itself, no order named (issue 21's failure tests): */
    SIM_BILL_SLOW,     /* the file's download is held back seconds (scaled by --time-scale) */
    SIM_BILL_GARBLE,   /* the file is cut in half: a damaged zip, a gzip without its end */
    SIM_BILL_BAD_HASH, /* WeChat: the published hash_value is not the file's */
};

struct sim_bill_edit {
    enum pay_channel channel;
    char date[11]; /* yyyy-MM-dd */
    enum sim_bill_edit_kind kind;
    char order[65];
    char refund_no[65];
    int64_t fen;
    int seconds; /* SIM_BILL_SLOW */
};

#define SIM_BILL_EDITS_MAX 64

/* POST /_sim/bill {"channel","date","inject":"charge|portal_refund|amount|missing","order",
 * "fen","refund_no"} or {"channel","date","inject":"slow","seconds"} or
 * {"channel","date","inject":"garble|bad_hash"}: false with why for a bad entry. */
bool sim_bill_edit_parse(const cJSON *o, struct sim_bill_edit *e, const char **why);

struct sim;
struct sim_request;
struct sim_reply;

/* The bill's text (UTF-8, before GBK or gzip), malloc'd; NULL when out of memory. Takes the
 * lock. */
char *sim_bill_text(struct sim *s, enum pay_channel ch, const char *date);

/* Alipay: the response object for the bill query's biz_content (caller deletes). */
cJSON *sim_bill_alipay_answer(struct sim *s, const struct sim_request *req, const cJSON *biz);
/* GET /_bill/alipay/DATE.csv.zip: the zip's bytes into rep (404 for another path). */
void sim_bill_alipay_file(struct sim *s, const char *path, struct sim_reply *rep);
/* WeChat: GET /v3/bill/tradebill (authenticated already): the answer's JSON and status. */
cJSON *sim_bill_wechat_answer(struct sim *s, const struct sim_request *req, unsigned *status);
/* GET /v3/billdownload/file?token=wechat-DATE (authenticated already): the gzip into rep. */
void sim_bill_wechat_file(struct sim *s, const struct sim_request *req, struct sim_reply *rep);

#endif
