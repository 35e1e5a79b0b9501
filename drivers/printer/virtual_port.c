/*
 * virtual_port.c - the demo's printer: each job's plain text appended to a file (created
 * 0644) and synced, done at once. Ready while the file's folder exists.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "printer_port.h"

struct virtual_port {
    struct port *p;
    char folder[256];
    int64_t next_check;
};

static void check_folder(struct virtual_port *v)
{
    struct stat st;
    char who[300];
    snprintf(who, sizeof who, "virtual printer %s", v->p->cfg.path);
    if (stat(v->folder, &st) != 0 || !S_ISDIR(st.st_mode)) {
        char detail[300];
        snprintf(detail, sizeof detail, "folder %s missing: create it", v->folder);
        port_state(v->p, PRINTER_ABSENT, false, who, detail);
    } else {
        port_state(v->p, PRINTER_READY, false, who, NULL);
    }
}

static int virtual_pollfds(void *t, struct pollfd *fds, int max)
{
    (void)t;
    (void)fds;
    (void)max;
    return 0;
}

static int64_t virtual_deadline(void *t)
{
    struct virtual_port *v = t;
    return v->p->job == PRINTER_JOB_SENDING ? v->p->now : v->next_check;
}

static void print_job(struct virtual_port *v)
{
    struct port *p = v->p;
    int fd = open(p->cfg.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        char detail[300];
        snprintf(detail, sizeof detail, "cannot open: %s", strerror(errno));
        port_state(p, PRINTER_ABSENT, false, "virtual printer", detail);
        port_job_end(p, PRINTER_JOB_FAILED);
        return;
    }
    while (p->sent < p->len) {
        ssize_t n = write(fd, p->bytes + p->sent, p->len - p->sent);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        port_sent(p, (size_t)n);
    }
    bool ok = p->sent == p->len && fsync(fd) == 0;
    close(fd);
    port_job_end(p, ok ? PRINTER_JOB_DONE : PRINTER_JOB_FAILED);
}

static void virtual_process(void *t, const struct pollfd *fds, int nfds, int64_t now)
{
    struct virtual_port *v = t;
    (void)fds;
    (void)nfds;
    if (now >= v->next_check) {
        v->next_check = now + v->p->cfg.rescan_ms;
        check_folder(v);
    }
    if (v->p->job == PRINTER_JOB_SENDING)
        print_job(v);
}

static void virtual_abort(void *t)
{
    (void)t;
}

static void virtual_close(void *t)
{
    free(t);
}

static const struct port_ops virtual_ops = {
    .pollfds = virtual_pollfds,
    .deadline = virtual_deadline,
    .process = virtual_process,
    .abort = virtual_abort,
    .close = virtual_close,
};

int virtual_port_open(void **t, const struct port_ops **ops, struct port *p, char *err,
                      size_t errlen)
{
    struct virtual_port *v = calloc(1, sizeof *v);
    if (!v) {
        snprintf(err, errlen, "printer: out of memory");
        return -1;
    }
    v->p = p;
    char copy[sizeof p->cfg.path];
    memcpy(copy, p->cfg.path, sizeof copy);
    snprintf(v->folder, sizeof v->folder, "%s", dirname(copy));
    check_folder(v);
    v->next_check = 0;
    *t = v;
    *ops = &virtual_ops;
    return 0;
}
