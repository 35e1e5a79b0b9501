/*
 * sim_server.h - the simulator's HTTP(S) front: libmicrohttpd on 127.0.0.1, one thread per
 * connection, routing to the Alipay and WeChat handlers and to the /_sim control endpoints,
 * and applying each reply's transport fault.
 *
 * "Unreachable" is real: the listening socket is closed and every open connection dropped,
 * so clients get "connection refused" until the server resumes on the same port.
 */
#ifndef POSTERM_SIM_SERVER_H
#define POSTERM_SIM_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "sim.h"

struct sim_server;

struct sim_server_options {
    int port;              /* 0: pick a free one */
    const char *tls_cert;  /* PEM text, NULL for plain HTTP */
    const char *tls_key;   /* PEM text */
    bool quiet;            /* no per-request line on stderr */
    int timing_fd;         /* >= 0: one line "<CLOCK_MONOTONIC ns> <URI>" per request,
                            * written as its request line arrives (benchmarks); -1: none.
                            * Each accepted connection also writes "<ns> @accept". */
    unsigned idle_close_s; /* close a connection idle this long, as a gateway does; 0: 60 */
};

/* On failure *out is NULL and err says why (port taken, TLS material refused, ...). */
bool sim_server_start(struct sim_server **out, struct sim *s, const struct sim_server_options *o,
                      char *err, size_t errlen);
int sim_server_port(const struct sim_server *srv);

/* Readable when a control request asked for something only the main thread may do. */
int sim_server_control_fd(const struct sim_server *srv);
/* Seconds of unreachability requested since the last call (0 = none); drains the fd. */
int sim_server_take_unreachable(struct sim_server *srv);

/* Stop accepting and drop every connection (delayed replies are cut short). */
void sim_server_suspend(struct sim_server *srv);
/* Listen again on the same port. */
bool sim_server_resume(struct sim_server *srv, char *err, size_t errlen);
bool sim_server_suspended(const struct sim_server *srv);

void sim_server_stop(struct sim_server *srv);

#endif
