/*
 * lp_port.c - a printer behind the kernel's usblp driver (/dev/usb/lp0): the node opened
 * non-blocking, status with the LPGETSTATUS ioctl (the USB port status byte), writes as the
 * node takes them. A node that goes away (unplugged) is reopened on rescan.
 *
 * A node without LPGETSTATUS (a FIFO, a pty, a parallel port without status) is printed to
 * with its status unknown: ready as long as it takes bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/lp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "printer_port.h"

#define CHUNK 4096

struct lp_port {
    struct port *p;
    int fd;
    int64_t next_scan, next_status;
};

static void close_node(struct lp_port *l, const char *why)
{
    if (l->fd >= 0)
        close(l->fd);
    l->fd = -1;
    l->next_scan = l->p->now + l->p->cfg.rescan_ms;
    char detail[200];
    snprintf(detail, sizeof detail, "%s", why);
    port_state(l->p, PRINTER_ABSENT, false, l->p->cfg.path, detail);
    port_job_end(l->p, PRINTER_JOB_FAILED);
}

/* Reads the status into the port; false when the node is gone. */
static bool read_status(struct lp_port *l)
{
    int status = 0;
    l->next_status = l->p->now + l->p->cfg.rescan_ms;
    if (ioctl(l->fd, LPGETSTATUS, &status) == 0) {
        port_parallel_status(l->p, (uint8_t)status, l->p->cfg.path);
        return true;
    }
    /* No such ioctl on this node (ENOSYS is what qemu-user says for it). */
    if (errno == ENOTTY || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) {
        port_state(l->p, PRINTER_READY, false, l->p->cfg.path, "ready (status unknown)");
        return true;
    }
    char why[160];
    snprintf(why, sizeof why, "printer gone (%s): plug it back in", strerror(errno));
    close_node(l, why);
    return false;
}

static void try_open(struct lp_port *l)
{
    l->next_scan = l->p->now + l->p->cfg.rescan_ms;
    l->fd = open(l->p->cfg.path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (l->fd < 0) {
        char why[200];
        int e = errno;
        snprintf(why, sizeof why, "%s",
                 e == ENOENT || e == ENODEV || e == ENXIO ? "no printer found: plug one in"
                 : e == EACCES ? "permission denied (install 99-posterm-printer.rules)"
                               : strerror(e));
        port_state(l->p, PRINTER_ABSENT, false, l->p->cfg.path, why);
        return;
    }
    read_status(l);
}

static void write_some(struct lp_port *l)
{
    struct port *p = l->p;
    while (p->sent < p->len) {
        size_t n = p->len - p->sent < CHUNK ? p->len - p->sent : CHUNK;
        ssize_t w = write(l->fd, p->bytes + p->sent, n);
        if (w > 0) {
            port_sent(p, (size_t)w);
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        char why[160];
        snprintf(why, sizeof why, "write failed (%s): plug it back in",
                 w < 0 ? strerror(errno) : "nothing taken");
        close_node(l, why);
        return;
    }
    p->phase = PORT_CHECK_AFTER;
}

static int lp_pollfds(void *t, struct pollfd *fds, int max)
{
    struct lp_port *l = t;
    if (l->fd < 0 || max < 1 || l->p->phase != PORT_WRITING)
        return 0;
    fds[0] = (struct pollfd){.fd = l->fd, .events = POLLOUT};
    return 1;
}

static int64_t lp_deadline(void *t)
{
    struct lp_port *l = t;
    if (l->fd < 0)
        return l->next_scan;
    if (l->p->phase == PORT_CHECK_BEFORE || l->p->phase == PORT_CHECK_AFTER)
        return l->p->now;
    return l->p->job == PRINTER_JOB_SENDING ? -1 : l->next_status;
}

static void lp_process(void *t, const struct pollfd *fds, int nfds, int64_t now)
{
    struct lp_port *l = t;
    struct port *p = l->p;
    (void)fds;
    (void)nfds;
    if (l->fd < 0) {
        if (p->job == PRINTER_JOB_SENDING)
            port_job_end(p, PRINTER_JOB_FAILED);
        if (now >= l->next_scan)
            try_open(l);
        return;
    }
    switch (p->phase) {
    case PORT_IDLE:
        if (now >= l->next_status)
            read_status(l);
        return;
    case PORT_CHECK_BEFORE:
        if (!read_status(l))
            return;
        if (p->state != PRINTER_READY) {
            port_job_end(p, PRINTER_JOB_FAILED);
            return;
        }
        p->phase = PORT_WRITING;
        write_some(l);
        return;
    case PORT_WRITING: write_some(l); return;
    case PORT_CHECK_AFTER:
        if (read_status(l))
            port_job_end(p, p->state == PRINTER_READY ? PRINTER_JOB_DONE : PRINTER_JOB_FAILED);
        return;
    }
}

static void lp_abort(void *t)
{
    struct lp_port *l = t;
    /* Bytes of a half-sent command would run into the next job: start afresh. */
    if (l->fd >= 0)
        close(l->fd);
    l->fd = -1;
    l->next_scan = l->p->now;
}

static void lp_close(void *t)
{
    struct lp_port *l = t;
    if (l->fd >= 0)
        close(l->fd);
    free(l);
}

static const struct port_ops lp_ops = {
    .pollfds = lp_pollfds,
    .deadline = lp_deadline,
    .process = lp_process,
    .abort = lp_abort,
    .close = lp_close,
};

int lp_port_open(void **t, const struct port_ops **ops, struct port *p, char *err, size_t errlen)
{
    struct lp_port *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errlen, "printer: out of memory");
        return -1;
    }
    l->p = p;
    l->fd = -1;
    port_state(p, PRINTER_ABSENT, false, p->cfg.path, "looking for the printer");
    *t = l;
    *ops = &lp_ops;
    return 0;
}
