/*
 * printer.c - the one printer object: checks the config, picks the transport, renders jobs,
 * judges readiness and the job timeout, and keeps the status line.
 */
#include "printer.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escpos.h"
#include "printer_port.h"

struct printer {
    struct port port;
    const struct port_ops *ops; /* NULL: printing off */
    void *t;
};

void printer_config_defaults(struct printer_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->kind = PRINTER_NONE;
    cfg->port = 9100;
    cfg->rescan_ms = 1000;
    cfg->io_timeout_ms = 10000;
    cfg->native_qr = true;
}

static const char *state_words(enum printer_state st)
{
    switch (st) {
    case PRINTER_ABSENT: return "not found";
    case PRINTER_READY: return "ready";
    case PRINTER_PAPER_OUT: return "paper out";
    case PRINTER_COVER_OPEN: return "cover open";
    case PRINTER_OFFLINE: return "offline";
    }
    return "?";
}

void port_state(struct port *p, enum printer_state st, bool near_end, const char *who,
                const char *detail)
{
    char line[sizeof p->line];
    if (detail)
        snprintf(line, sizeof line, "%s: %s", who, detail);
    else if (st == PRINTER_READY && near_end)
        snprintf(line, sizeof line, "%s: ready, paper low", who);
    else
        snprintf(line, sizeof line, "%s: %s", who, state_words(st));
    p->state = st;
    p->near_end = near_end;
    if (strcmp(line, p->line) != 0) {
        memcpy(p->line, line, sizeof line);
        p->seq++;
    }
}

void port_parallel_status(struct port *p, uint8_t status, const char *who)
{
    /* Paper Empty (bit 5) and Not Error (bit 3) of the parallel-port status register. Select
     * (bit 4) is not required: the Linux printer gadget answers 0x08 until told otherwise, and
     * a printer that stops says so through Not Error. Cover open has no bit of its own. */
    if (status & 0x20)
        port_state(p, PRINTER_PAPER_OUT, false, who, NULL);
    else if (!(status & 0x08))
        port_state(p, PRINTER_OFFLINE, false, who, "offline or error (cover open?)");
    else
        port_state(p, PRINTER_READY, false, who, NULL);
}

void port_sent(struct port *p, size_t n)
{
    p->sent += n;
    p->last_progress = p->now;
}

void port_job_end(struct port *p, enum printer_job result)
{
    if (p->job != PRINTER_JOB_SENDING)
        return;
    p->job = result;
    p->phase = PORT_IDLE;
    free(p->bytes);
    p->bytes = NULL;
    p->seq++;
}

static const char *check_config(const struct printer_config *cfg, char *why, size_t len)
{
    if (cfg->kind < PRINTER_NONE || cfg->kind > PRINTER_VIRTUAL)
        return "kind";
    if (cfg->rescan_ms < 50 || cfg->rescan_ms > 60000) {
        snprintf(why, len, "rescan_ms %d (50..60000)", cfg->rescan_ms);
        return why;
    }
    if (cfg->io_timeout_ms < 100 || cfg->io_timeout_ms > 600000) {
        snprintf(why, len, "io_timeout_ms %d (100..600000)", cfg->io_timeout_ms);
        return why;
    }
    const char *nul_path = memchr(cfg->path, '\0', sizeof cfg->path);
    const char *nul_host = memchr(cfg->host, '\0', sizeof cfg->host);
    if (!nul_path || !nul_host)
        return "path or host (not terminated)";
    switch (cfg->kind) {
    case PRINTER_USB:
        if (cfg->vid == 0 && cfg->pid != 0)
            return "pid without vid";
        break;
    case PRINTER_LP:
        if (cfg->path[0] != '/')
            return "path: the lp node as an absolute path (/dev/usb/lp0)";
        break;
    case PRINTER_TCP: {
        unsigned char addr[16];
        if (inet_pton(AF_INET, cfg->host, addr) != 1 && inet_pton(AF_INET6, cfg->host, addr) != 1) {
            /* A name lookup would block the till's loop; the printer's address is fixed. */
            snprintf(why, len, "host \"%s\": an IPv4 or IPv6 address, not a name", cfg->host);
            return why;
        }
        if (cfg->port < 1 || cfg->port > 65535) {
            snprintf(why, len, "port %d (1..65535)", cfg->port);
            return why;
        }
        break;
    }
    case PRINTER_VIRTUAL:
        if (cfg->path[0] == '\0')
            return "path: the file the virtual printer writes";
        break;
    case PRINTER_NONE: break;
    }
    return NULL;
}

enum printer_status printer_open(struct printer **out, const struct printer_config *cfg, char *err,
                                 size_t errlen)
{
    *out = NULL;
    char why[200];
    const char *bad = check_config(cfg, why, sizeof why);
    if (bad) {
        snprintf(err, errlen, "printer config: bad %s", bad);
        return PRINTER_ERR_CONFIG;
    }
    struct printer *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "printer: out of memory");
        return PRINTER_ERR_NOMEM;
    }
    p->port.cfg = *cfg;
    int rc = 0;
    switch (cfg->kind) {
    case PRINTER_NONE:
        port_state(&p->port, PRINTER_ABSENT, false, "printer", "printing off");
        break;
    case PRINTER_USB: rc = usb_port_open(&p->t, &p->ops, &p->port, err, errlen); break;
    case PRINTER_LP: rc = lp_port_open(&p->t, &p->ops, &p->port, err, errlen); break;
    case PRINTER_TCP: rc = tcp_port_open(&p->t, &p->ops, &p->port, err, errlen); break;
    case PRINTER_VIRTUAL: rc = virtual_port_open(&p->t, &p->ops, &p->port, err, errlen); break;
    }
    if (rc != 0) {
        free(p);
        return PRINTER_ERR_NOMEM;
    }
    *out = p;
    return PRINTER_OK;
}

void printer_close(struct printer *p)
{
    if (!p)
        return;
    if (p->ops)
        p->ops->close(p->t);
    free(p->port.bytes);
    free(p);
}

int printer_pollfds(struct printer *p, struct pollfd *fds, int max, int64_t *timeout_ms)
{
    if (!p->ops)
        return 0;
    int n = p->ops->pollfds(p->t, fds, max);
    int64_t deadline = p->ops->deadline(p->t);
    if (p->port.job == PRINTER_JOB_SENDING) {
        int64_t give_up = p->port.last_progress + p->port.cfg.io_timeout_ms;
        if (deadline < 0 || give_up < deadline)
            deadline = give_up;
    }
    if (deadline >= 0) {
        int64_t wait = deadline - p->port.now;
        if (wait < 0)
            wait = 0;
        if (*timeout_ms < 0 || wait < *timeout_ms)
            *timeout_ms = wait;
    }
    return n;
}

void printer_process(struct printer *p, const struct pollfd *fds, int nfds, int64_t now_ms)
{
    p->port.now = now_ms;
    if (!p->ops)
        return;
    p->ops->process(p->t, fds, nfds, now_ms);
    if (p->port.job == PRINTER_JOB_SENDING &&
        now_ms - p->port.last_progress >= p->port.cfg.io_timeout_ms) {
        p->ops->abort(p->t);
        port_job_end(&p->port, PRINTER_JOB_FAILED);
    }
}

enum printer_status printer_submit(struct printer *p, const struct print_doc *doc, char *err,
                                   size_t errlen)
{
    if (p->port.job != PRINTER_JOB_NONE) {
        snprintf(err, errlen, "printer: a job is under way");
        return PRINTER_ERR_BUSY;
    }
    if (!p->ops || p->port.state != PRINTER_READY) {
        snprintf(err, errlen, "%s", p->port.line);
        return PRINTER_ERR_NOT_READY;
    }
    unsigned char *bytes = NULL;
    size_t len = 0;
    enum escpos_status st;
    if (p->port.cfg.kind == PRINTER_VIRTUAL) {
        char *text = NULL;
        st = escpos_render_text(doc, &text, &len, err, errlen);
        bytes = (unsigned char *)text;
    } else {
        struct escpos_options opt = {.native_qr = p->port.cfg.native_qr};
        st = escpos_render(doc, &opt, &bytes, &len, err, errlen);
    }
    if (st == ESCPOS_NO_MEMORY)
        return PRINTER_ERR_NOMEM;
    if (st != ESCPOS_OK)
        return PRINTER_ERR_RENDER;
    p->port.bytes = bytes;
    p->port.len = len;
    p->port.sent = 0;
    p->port.job = PRINTER_JOB_SENDING;
    p->port.phase = PORT_CHECK_BEFORE;
    p->port.last_progress = p->port.now;
    p->port.seq++;
    return PRINTER_OK;
}

enum printer_job printer_job_state(const struct printer *p)
{
    return p->port.job;
}

size_t printer_job_sent(const struct printer *p)
{
    return p->port.sent;
}

void printer_job_clear(struct printer *p)
{
    if (p->port.job == PRINTER_JOB_SENDING)
        return;
    p->port.job = PRINTER_JOB_NONE;
    p->port.sent = 0;
    p->port.len = 0;
}

enum printer_state printer_state(const struct printer *p)
{
    return p->port.state;
}

bool printer_paper_near_end(const struct printer *p)
{
    return p->port.near_end;
}

const char *printer_status_line(const struct printer *p)
{
    return p->port.line;
}

unsigned printer_status_seq(const struct printer *p)
{
    return p->port.seq;
}
