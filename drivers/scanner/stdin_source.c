/*
 * stdin_source.c - one code per line on a descriptor, for the demo and headless mode.
 *
 * Reads only when poll() said the descriptor is readable, one read() per call, so the
 * descriptor's flags are left alone (it is often the terminal others share). A line longer
 * than SCAN_CODE_MAX is dropped whole; "\r\n" endings are accepted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "source.h"

struct stdin_source {
    const struct source_host *host;
    struct source_tap tap;
    int fd;
    bool eof;
    char line[SCAN_CODE_MAX + 2];
    size_t len;
    bool overlong;
};

static void end_line(struct stdin_source *in)
{
    while (in->len > 0 && in->line[in->len - 1] == '\r')
        in->len--;
    struct code_event ev = {.ok = !in->overlong,
                            .reason = "too long",
                            .text = in->line,
                            .len = in->len,
                            .symbology = ""};
    if (in->len > 0 || in->overlong)
        in->host->candidate(&in->tap, &ev);
    in->len = 0;
    in->overlong = false;
}

static int stdin_pollfds(void *src, struct pollfd *fds, int max)
{
    struct stdin_source *in = src;
    if (in->eof || max < 1)
        return 0;
    fds[0] = (struct pollfd){.fd = in->fd, .events = POLLIN};
    return 1;
}

static int64_t stdin_deadline(void *src)
{
    (void)src;
    return -1;
}

static enum scanner_status stdin_process(void *src, const struct pollfd *fds, int nfds, int64_t now)
{
    struct stdin_source *in = src;
    (void)now;
    bool ready = false;
    for (int i = 0; i < nfds; i++) {
        if (fds[i].fd == in->fd && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
            ready = true;
    }
    if (!ready || in->eof)
        return SCANNER_OK;
    char buf[512];
    ssize_t n = read(in->fd, buf, sizeof buf);
    if (n < 0) {
        if (errno == EINTR || errno == EAGAIN)
            return SCANNER_OK;
        in->host->logf(in->host, "stdin: read failed: %s", strerror(errno));
        in->eof = true;
        return SCANNER_ERR_IO;
    }
    if (n == 0) {
        if (in->len > 0)
            end_line(in);
        in->eof = true;
        return SCANNER_OK;
    }
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] == '\n') {
            end_line(in);
        } else if (in->len < SCAN_CODE_MAX + 1) {
            in->line[in->len++] = buf[i];
        } else {
            in->overlong = true;
        }
    }
    return SCANNER_OK;
}

static bool stdin_connected(const void *src)
{
    return !((const struct stdin_source *)src)->eof;
}

static void stdin_describe(const void *src, char *buf, size_t len)
{
    const struct stdin_source *in = src;
    snprintf(buf, len, in->eof ? "scanner input closed (fd %d)" : "scanner: lines on fd %d",
             in->fd);
}

static void stdin_close(void *src)
{
    free(src);
}

static const struct source_ops stdin_ops = {
    .pollfds = stdin_pollfds,
    .deadline = stdin_deadline,
    .process = stdin_process,
    .connected = stdin_connected,
    .describe = stdin_describe,
    .close = stdin_close,
};

enum scanner_status stdin_source_open(void **out, const struct source_ops **ops,
                                      const struct source_host *host,
                                      const struct scanner_config *cfg, char *err, size_t errlen)
{
    struct stdin_source *in = calloc(1, sizeof *in);
    if (!in) {
        snprintf(err, errlen, "scanner: out of memory");
        return SCANNER_ERR_NOMEM;
    }
    in->host = host;
    in->fd = cfg->stdin_fd;
    in->tap.host = host;
    snprintf(in->tap.name, sizeof in->tap.name, "stdin");
    *out = in;
    *ops = &stdin_ops;
    return SCANNER_OK;
}
