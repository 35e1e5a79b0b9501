/*
 * tcp_port.c - a network printer on raw TCP (port 9100): non-blocking connect to a numeric
 * address, status with ESC/POS DLE EOT 1, 2 and 4 before and after each job and every
 * rescan_ms while idle, writes as the socket takes them. A closed connection is reported and
 * connected again on rescan.
 *
 * A printer that does not answer DLE EOT within STATUS_WAIT_MS is printed to with its status
 * unknown: some network interfaces do not pass the answers back. But one that has answered
 * before and falls silent is not ready: silence after a job's bytes then fails the job (a
 * printer that hung or lost power with the receipt in its buffer), so the receipt is printed
 * again, marked, rather than counted as printed. Answers that are not status bytes never read
 * as ready.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "escpos.h"
#include "printer_port.h"

#define CHUNK          4096
#define STATUS_WAIT_MS 500

enum link { DISCONNECTED, CONNECTING, CONNECTED };

struct tcp_port {
    struct port *p;
    int fd;
    enum link link;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char name[160]; /* "printer 192.0.2.7:9100" */
    char absent[160];
    int64_t next_scan, next_status, connect_deadline;
    bool asking;
    int64_t answer_deadline;
    uint8_t answers[3];
    int got;
    bool answers_status; /* this printer has answered a whole status round before */
};

static void disconnect(struct tcp_port *c, const char *why)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->link = DISCONNECTED;
    c->asking = false;
    c->next_scan = c->p->now + c->p->cfg.rescan_ms;
    port_state(c->p, PRINTER_ABSENT, false, c->absent, why);
    port_job_end(c->p, PRINTER_JOB_FAILED);
}

static void start_connect(struct tcp_port *c)
{
    c->next_scan = c->p->now + c->p->cfg.rescan_ms;
    c->fd = socket(c->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        port_state(c->p, PRINTER_ABSENT, false, c->absent, strerror(errno));
        return;
    }
    if (connect(c->fd, (struct sockaddr *)&c->addr, c->addrlen) == 0 || errno == EINPROGRESS) {
        c->link = CONNECTING;
        c->connect_deadline = c->p->now + c->p->cfg.io_timeout_ms;
        return;
    }
    disconnect(c, strerror(errno));
}

/* Sends DLE EOT 1, 2, 4; the answers are read as they come. */
static void ask_status(struct tcp_port *c)
{
    unsigned char req[3 * ESCPOS_STATUS_REQUEST_LEN], junk[256];
    /* Late answers to an earlier request must not be read as this one's. */
    while (recv(c->fd, junk, sizeof junk, MSG_DONTWAIT) > 0)
        ;
    escpos_status_request(1, req);
    escpos_status_request(2, req + 3);
    escpos_status_request(4, req + 6);
    c->next_status = c->p->now + c->p->cfg.rescan_ms;
    ssize_t n = send(c->fd, req, sizeof req, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        disconnect(c, strerror(errno));
        return;
    }
    c->asking = true;
    c->got = 0;
    c->answer_deadline = c->p->now + STATUS_WAIT_MS;
}

/* The status round is over (answers or silence): the state, then the job's next step. */
static void status_known(struct tcp_port *c)
{
    struct port *p = c->p;
    c->asking = false;
    if (c->got < 3 && c->answers_status) {
        port_state(p, PRINTER_OFFLINE, false, c->name, "stopped answering status requests");
    } else if (c->got < 3) {
        port_state(p, PRINTER_READY, false, c->name, "ready (status unknown: no DLE EOT answer)");
    } else {
        c->answers_status = true;
        struct escpos_status_bits b = {0};
        bool ok = escpos_status_parse(1, c->answers[0], &b) &&
                  escpos_status_parse(2, c->answers[1], &b) &&
                  escpos_status_parse(4, c->answers[2], &b);
        if (!ok)
            port_state(p, PRINTER_OFFLINE, false, c->name, "status answer not understood");
        else if (b.paper_out)
            port_state(p, PRINTER_PAPER_OUT, b.paper_near_end, c->name, NULL);
        else if (b.cover_open)
            port_state(p, PRINTER_COVER_OPEN, b.paper_near_end, c->name, NULL);
        else if (b.offline || b.error)
            port_state(p, PRINTER_OFFLINE, b.paper_near_end, c->name, NULL);
        else
            port_state(p, PRINTER_READY, b.paper_near_end, c->name, NULL);
    }
    if (p->phase == PORT_CHECK_BEFORE) {
        if (p->state == PRINTER_READY)
            p->phase = PORT_WRITING;
        else
            port_job_end(p, PRINTER_JOB_FAILED);
    } else if (p->phase == PORT_CHECK_AFTER) {
        port_job_end(p, p->state == PRINTER_READY ? PRINTER_JOB_DONE : PRINTER_JOB_FAILED);
    }
}

/* Reads what the printer sent; false when the connection is gone. */
static bool read_input(struct tcp_port *c)
{
    unsigned char buf[256];
    for (;;) {
        ssize_t n = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0) {
            disconnect(c, "connection closed");
            return false;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return true;
            disconnect(c, strerror(errno));
            return false;
        }
        for (ssize_t i = 0; i < n && c->asking && c->got < 3; i++)
            c->answers[c->got++] = buf[i];
    }
}

static void write_some(struct tcp_port *c)
{
    struct port *p = c->p;
    while (p->sent < p->len) {
        size_t n = p->len - p->sent < CHUNK ? p->len - p->sent : CHUNK;
        ssize_t w = send(c->fd, p->bytes + p->sent, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
            port_sent(p, (size_t)w);
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        disconnect(c, w < 0 ? strerror(errno) : "connection closed");
        return;
    }
    p->phase = PORT_CHECK_AFTER;
    ask_status(c);
}

static void finish_connect(struct tcp_port *c)
{
    int e = 0;
    socklen_t len = sizeof e;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
        e = errno;
    if (e == EINPROGRESS || e == EALREADY)
        return;
    if (e != 0) {
        disconnect(c, strerror(e));
        return;
    }
    c->link = CONNECTED;
    ask_status(c);
}

static int tcp_pollfds(void *t, struct pollfd *fds, int max)
{
    struct tcp_port *c = t;
    if (c->fd < 0 || max < 1)
        return 0;
    short ev = c->link == CONNECTING ? POLLOUT : POLLIN;
    if (c->link == CONNECTED && c->p->phase == PORT_WRITING)
        ev |= POLLOUT;
    fds[0] = (struct pollfd){.fd = c->fd, .events = ev};
    return 1;
}

static int64_t tcp_deadline(void *t)
{
    struct tcp_port *c = t;
    switch (c->link) {
    case DISCONNECTED: return c->next_scan;
    case CONNECTING: return c->connect_deadline;
    case CONNECTED: break;
    }
    if (c->asking)
        return c->answer_deadline;
    if (c->p->phase == PORT_CHECK_BEFORE)
        return c->p->now;
    return c->p->job == PRINTER_JOB_SENDING ? -1 : c->next_status;
}

static void tcp_process(void *t, const struct pollfd *fds, int nfds, int64_t now)
{
    struct tcp_port *c = t;
    struct port *p = c->p;
    short revents = 0;
    for (int i = 0; i < nfds; i++)
        if (c->fd >= 0 && fds[i].fd == c->fd)
            revents |= fds[i].revents;

    if (c->link == DISCONNECTED) {
        port_job_end(p, PRINTER_JOB_FAILED);
        if (now >= c->next_scan)
            start_connect(c);
        return;
    }
    if (c->link == CONNECTING) {
        if (revents)
            finish_connect(c);
        else if (now >= c->connect_deadline)
            disconnect(c, "connection timed out");
        return;
    }
    if ((revents & (POLLIN | POLLHUP | POLLERR)) && !read_input(c))
        return;
    if (c->asking && (c->got == 3 || now >= c->answer_deadline))
        status_known(c);
    if (c->asking || c->link != CONNECTED)
        return;
    switch (p->phase) {
    case PORT_IDLE:
        if (now >= c->next_status)
            ask_status(c);
        return;
    case PORT_CHECK_BEFORE: ask_status(c); return;
    case PORT_WRITING: write_some(c); return;
    case PORT_CHECK_AFTER: return;
    }
}

static void tcp_abort(void *t)
{
    struct tcp_port *c = t;
    /* A half-sent command would swallow the next job's first bytes: a fresh connection. */
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->link = DISCONNECTED;
    c->asking = false;
    c->next_scan = c->p->now;
    port_state(c->p, PRINTER_ABSENT, false, c->absent, "printer stopped taking data");
}

static void tcp_close(void *t)
{
    struct tcp_port *c = t;
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}

static const struct port_ops tcp_ops = {
    .pollfds = tcp_pollfds,
    .deadline = tcp_deadline,
    .process = tcp_process,
    .abort = tcp_abort,
    .close = tcp_close,
};

int tcp_port_open(void **t, const struct port_ops **ops, struct port *p, char *err, size_t errlen)
{
    struct tcp_port *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "printer: out of memory");
        return -1;
    }
    c->p = p;
    c->fd = -1;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&c->addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&c->addr;
    if (inet_pton(AF_INET, p->cfg.host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)p->cfg.port);
        c->addrlen = sizeof *v4;
        snprintf(c->name, sizeof c->name, "printer %s:%d", p->cfg.host, p->cfg.port);
    } else {
        inet_pton(AF_INET6, p->cfg.host, &v6->sin6_addr); /* checked by printer_open */
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)p->cfg.port);
        c->addrlen = sizeof *v6;
        snprintf(c->name, sizeof c->name, "printer [%s]:%d", p->cfg.host, p->cfg.port);
    }
    snprintf(c->absent, sizeof c->absent, "no printer at %s", c->name + strlen("printer "));
    port_state(p, PRINTER_ABSENT, false, c->absent, "connecting");
    *t = c;
    *ops = &tcp_ops;
    return 0;
}
