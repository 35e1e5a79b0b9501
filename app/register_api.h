/*
 * register_api.h - the cash register drives posterm (issue 22): JSON lines over a Unix domain
 * socket, inside the event loop's one poll() (loop_add_service). app/REGISTER_API.md is the
 * spec: the commands, the events, the errors, with examples.
 *
 * What it promises:
 * - Every payment is tied to the register's sale_id, and the mapping is journaled in the
 *   transaction that creates the order (journal_set_sale), before anything can be sent: a
 *   repeated `payment` for a known sale answers that payment's state and never charges twice;
 *   `status` answers from the journal at any time, after a crash of either side.
 * - It is one more front on the same loop: a register's payment is the loop's current payment,
 *   as one keyed at the counter, so the cashier screen (or headless mode) shows it and takes its
 *   code from the scanner; one payment at a time, a second is refused with the reason.
 * - Events of a payment go to the client that asked (payment, abort, refund); a client gone
 *   leaves its payment going on, its result waiting for `status`.
 * - Nothing a client does blocks the till: sockets are non-blocking, a line longer than
 *   api.max_line is refused and the client dropped, a client whose unread output passes
 *   api.max_queue is dropped, at most api.max_clients at once.
 * - api.listen adds TCP: plain on loopback only (config.c refuses any other address), TLS with
 *   client certificates anywhere (register_tls.h), its handshake inside the same poll(): a
 *   client stalled in it is dropped after 10 s, never waited for.
 */
#ifndef POSTERM_REGISTER_API_H
#define POSTERM_REGISTER_API_H

#include <stddef.h>

#include "config.h"
#include "loop.h"
#include "receipts.h"

struct register_api;

enum register_api_status {
    REGISTER_API_OK = 0,
    REGISTER_API_SOCKET, /* the socket could not be made: err says why (another posterm on it,
                          * a file that is no socket in its place, no folder, ...) */
    REGISTER_API_MEMORY,
};

/* Listens on cfg->api.socket (mode 0660), and on cfg->api.listen when set (TLS when the
 * config names its files; their errors, or the address taken, are REGISTER_API_SOCKET). A socket
 * file left by a posterm that died is replaced; a live one, or a file that is no socket, is
 * refused. front is the screen's or headless mode's observer: register_api_observer() passes every
 * call on to it. */
enum register_api_status register_api_open(struct register_api **out, const struct config *cfg,
                                           const struct loop_observer *front, char *err,
                                           size_t errlen);

/* The observer to give loop_open instead of the front's: the front's, plus the register's
 * events. */
struct loop_observer register_api_observer(struct register_api *a);

/* Joins the loop's poll once the loop is open. refund: the limits and the supervisor's PIN
 * (refund_guard.h) a register's refund is held to; receipts: where the Z report of
 * `close_day` prints (NULL: not printed). LOOP_INVALID when the loop has no room for it. */
enum loop_status register_api_attach(struct register_api *a, struct loop *l,
                                     const struct config_refund *refund, struct receipts *receipts);

/* Closes every client and the socket, and removes the socket's file. NULL is fine. */
void register_api_close(struct register_api *a);

#endif
