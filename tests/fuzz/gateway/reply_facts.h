/*
 * reply_facts.h - the rule both gateway fuzz targets hold every parsed reply to: what a parser
 * reports of a body. A fact not given is zero, never a value that could pass for one; amounts
 * are never negative; a reply about another order decides nothing; the reply answers the
 * request it was given and its reason is a terminated string; a QR payload is only given by a
 * believed QR order (SUCCESS to a QR create), terminated. Any breach aborts, which is
 * what libFuzzer reports.
 */
#ifndef POSTERM_FUZZ_REPLY_FACTS_H
#define POSTERM_FUZZ_REPLY_FACTS_H

#include <stdlib.h>
#include <string.h>

#include "gateway_port.h"

static inline void check_facts(const struct gw_request *req, const struct gw_reply *out)
{
    const struct gw_facts *f = &out->said;
    if ((!f->order_no_given && f->order_no[0]) || (!f->refund_no_given && f->refund_no[0]) ||
        (!f->trade_no_given && f->trade_no[0]) || (!f->amount_given && f->amount_fen) ||
        (!f->refund_given && f->refund_fen) || (!f->refunded_total_given && f->refunded_total_fen))
        abort();
    if (f->amount_fen < 0 || f->refund_fen < 0 || f->refunded_total_fen < 0)
        abort();
    if (f->order_no_given && strcmp(f->order_no, req->order_no) != 0 && out->kind != GW_UNKNOWN)
        abort();
    if ((!f->qr_given && f->qr_payload[0]) ||
        (f->qr_given && (req->op != GW_QR_CREATE || out->kind != GW_SUCCESS)) ||
        memchr(f->qr_payload, '\0', sizeof f->qr_payload) == NULL)
        abort();
    if (out->request_id != req->request_id || memchr(out->reason, '\0', sizeof out->reason) == NULL)
        abort();
}

#endif
