/*
 * fake_gateway.h - a scripted gateway for the event loop's unit tests, linked instead of the
 * real client (drivers/gateway): it sends nothing, records every request the loop submits
 * together with what the journal said about that order at that moment (the write-ahead
 * proof), and hands the loop whatever replies the test queues.
 */
#ifndef POSTERM_FAKE_GATEWAY_H
#define POSTERM_FAKE_GATEWAY_H

#include <stdbool.h>

#include "gateway.h"
#include "journal.h"

#define FAKE_GATEWAY_MAX 64

struct fake_sent {
    struct gw_request req;
    bool journaled;           /* the order was in the journal when the request was submitted */
    struct payment at_submit; /* ... as journal_load read it back then */
    int unresolved;           /* journal_count_unresolved at that moment (-1 on error) */
};

/* A gateway that reads the order of every submitted request back from journal. */
struct gateway *fake_gateway_new(struct journal *journal);
void fake_gateway_free(struct gateway *g);

/* How many requests were submitted so far, and the i-th of them (0 = first). */
int fake_gateway_sent(const struct gateway *g);
const struct fake_sent *fake_gateway_request(const struct gateway *g, int i);

/* Queues the reply of the given kind to the i-th request: its op, channel, id and numbers
 * echoed, the body naming its order (and refund), the amounts it was asked for. */
void fake_gateway_answer(struct gateway *g, int i, enum gw_kind kind);

/* The reply queued last, for a test to make it a dropped connection or an HTTP 503. */
struct gw_reply *fake_gateway_last_answer(struct gateway *g);

#endif
