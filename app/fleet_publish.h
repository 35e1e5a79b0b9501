/*
 * fleet_publish.h - the journal's events to head office over MQTT (issue 24), from the event
 * loop's one poll (a loop_service: libmosquitto's non-blocking calls, no thread of its own).
 * app/FLEET.md is the spec: topics, payloads, the delivery guarantee.
 *
 * What it promises:
 * - At least once, nothing lost: every outbox row (storage/outbox.h, written in its event's
 *   transaction) is published with QoS 1 and marked sent only on the broker's PUBACK; a
 *   broker outage, a restart or a power cut resend what was not acknowledged, in seq order.
 *   Consumers deduplicate by (journal, seq).
 * - The till never waits for the broker: sockets are non-blocking, at most
 *   FLEET_INFLIGHT_MAX messages are out at once, a lost connection is tried again with a
 *   back-off doubling from 1 s to fleet.reconnect_max_ms. A broker named by a host name is
 *   looked up beside the loop (glibc's getaddrinfo_a), never by a blocking call: a name server
 *   that does not answer holds up no payment, and a lookup that fails or takes more than 10 s
 *   is a failed attempt like a refused connection.
 * - With TLS the broker's certificate must name fleet.host as configured (the name, not the
 *   address it resolved to), checked in the handshake, before the password is sent.
 * - `.../status` is retained: "online" with the terminal's health on connecting and when it
 *   changes; "offline" when posterm stops, and as the broker's last will when it dies.
 */
#ifndef POSTERM_FLEET_PUBLISH_H
#define POSTERM_FLEET_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "loop.h"

/* Messages published and not yet acknowledged, at most. */
#define FLEET_INFLIGHT_MAX 32

struct fleet;

/* With cfg->fleet.host set: turns the journal's outbox on (outbox_turn_on) and joins the
 * loop's poll (one loop_add_service slot). Call it after loop_open and before loop_recover,
 * so recovery's events go to head office too. NULL with err when it cannot (the password
 * file unreadable or readable by others, the loop's services full, out of memory). */
struct fleet *fleet_attach(struct loop *loop, const struct config *cfg, const char *version,
                           char *err, size_t errlen);

/* What the till shows of head office (headless status, the cashier's header). */
struct fleet_health {
    bool connected;             /* the broker accepted the connection */
    int64_t down_ms;            /* not connected for this long (since start or the loss), else 0 */
    int64_t unsent;             /* outbox rows not yet acknowledged, counted at most 1 s ago */
    int64_t last_puback_age_ms; /* since the broker's last PUBACK of an event; -1: none yet */
};

/* Cheap enough for every turn of the loop: no journal read. */
void fleet_health(const struct fleet *f, struct fleet_health *out);

/* Publishes "offline" (waiting at most a moment for the broker) and disconnects. Call it
 * before loop_close. NULL is fine. */
void fleet_close(struct fleet *f);

#endif
