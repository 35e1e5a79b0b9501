/*
 * fake_gateway.c - the scripted gateway of fake_gateway.h: the functions of
 * drivers/gateway/gateway.h that the event loop calls, with no network behind them.
 */
#include "fake_gateway.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gateway {
    struct journal *journal;
    struct fake_sent sent[FAKE_GATEWAY_MAX];
    int nsent;
    struct gw_reply replies[FAKE_GATEWAY_MAX];
    int nreplies;
    int out; /* submitted and not yet answered */
};

struct gateway *fake_gateway_new(struct journal *journal)
{
    struct gateway *g = calloc(1, sizeof *g);
    if (g)
        g->journal = journal;
    return g;
}

void fake_gateway_free(struct gateway *g)
{
    free(g);
}

int fake_gateway_sent(const struct gateway *g)
{
    return g->nsent;
}

const struct fake_sent *fake_gateway_request(const struct gateway *g, int i)
{
    return i >= 0 && i < g->nsent ? &g->sent[i] : NULL;
}

void fake_gateway_answer(struct gateway *g, int i, enum gw_kind kind)
{
    if (i < 0 || i >= g->nsent || g->nreplies == FAKE_GATEWAY_MAX) {
        fprintf(stderr, "fake gateway: no request %d to answer\n", i);
        abort();
    }
    const struct gw_request req = g->sent[i].req, *q = &req;
    struct gw_reply reply, *r = &reply;
    memset(r, 0, sizeof *r);
    r->op = q->op;
    r->channel = q->channel;
    r->request_id = q->request_id;
    memcpy(r->order_no, q->order_no, sizeof r->order_no);
    memcpy(r->refund_no, q->refund_no, sizeof r->refund_no);
    r->kind = kind;
    r->said.order_no_given = true;
    memcpy(r->said.order_no, q->order_no, sizeof r->said.order_no);
    if (q->op == GW_REFUND || q->op == GW_REFUND_QUERY) {
        r->said.refund_no_given = true;
        memcpy(r->said.refund_no, q->refund_no, sizeof r->said.refund_no);
        r->said.refund_given = kind == GW_SUCCESS;
        r->said.refund_fen = kind == GW_SUCCESS ? q->amount_fen : 0;
    } else {
        r->said.amount_given = true;
        r->said.amount_fen = q->amount_fen;
        r->said.trade_no_given = true;
        snprintf(r->said.trade_no, sizeof r->said.trade_no, "FAKE%u", q->request_id);
    }
    snprintf(r->reason, sizeof r->reason, "scripted");
    r->cause = kind == GW_UNKNOWN ? PAY_CAUSE_NO_ANSWER : PAY_CAUSE_NONE;
    g->replies[g->nreplies++] = reply;
}

struct gw_reply *fake_gateway_last_answer(struct gateway *g)
{
    return g->nreplies > 0 ? &g->replies[g->nreplies - 1] : NULL;
}

enum gateway_status gateway_submit(struct gateway *g, const struct gw_request *req)
{
    if (g->nsent == FAKE_GATEWAY_MAX)
        return GATEWAY_ERR_NOMEM;
    struct fake_sent *s = &g->sent[g->nsent++];
    memset(s, 0, sizeof *s);
    s->req = *req;
    memset(s->req.auth_code, 0, sizeof s->req.auth_code); /* the test needs no code */
    s->journaled = journal_load(g->journal, req->order_no, &s->at_submit) == JOURNAL_OK;
    if (journal_count_unresolved(g->journal, &s->unresolved) != JOURNAL_OK)
        s->unresolved = -1;
    g->out++;
    return GATEWAY_OK;
}

int gateway_pollfds(struct gateway *g, struct pollfd *fds, int max, int64_t *timeout_ms)
{
    (void)fds, (void)max;
    if (g->nreplies > 0)
        *timeout_ms = 0;
    return 0;
}

enum gateway_status gateway_perform(struct gateway *g, const struct pollfd *fds, int nfds)
{
    (void)g, (void)fds, (void)nfds;
    return GATEWAY_OK;
}

bool gateway_next_reply(struct gateway *g, struct gw_reply *out)
{
    if (g->nreplies == 0)
        return false;
    *out = g->replies[0];
    memmove(g->replies, g->replies + 1, (size_t)(g->nreplies - 1) * sizeof *g->replies);
    g->nreplies--;
    if (g->out > 0)
        g->out--;
    return true;
}

int gateway_pending(const struct gateway *g)
{
    return g->out;
}

/* Opens nothing: the fake has no connections to keep warm. */
void gateway_warm_up(struct gateway *g)
{
    (void)g;
}
