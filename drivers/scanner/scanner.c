/*
 * scanner.c - the one scanner object: picks the source, gates and queues its codes, keeps
 * the status line, and masks codes in every log line.
 */
#include "scanner.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "code_filter.h"
#include "source.h"

#define QUEUE_LEN 8

struct scanner {
    struct scanner_config cfg;
    const struct source_ops *ops;
    void *src;
    struct code_filter filter;
    struct scan_code queue[QUEUE_LEN];
    int head, count;
    int64_t now;
    char status[96];
    unsigned status_seq;
    struct source_host host; /* what the source sees of this scanner */
};

void scanner_config_defaults(struct scanner_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->kind = SCANNER_AUTO;
    cfg->layout = SCAN_LAYOUT_US;
    cfg->suffix = SCAN_SUFFIX_ENTER;
    cfg->gap_ms = 150;
    cfg->dedupe_ms = 3000;
    cfg->min_len = 6;
    cfg->max_len = 64;
    cfg->rescan_ms = 1000;
    cfg->stdin_fd = 0;
}

void scanner_mask(const char *text, char *out, size_t outlen)
{
    size_t n = strlen(text);
    snprintf(out, outlen, "len %zu, ...%.4s", n, n > 4 ? text + n - 4 : text);
}

static void vlog_line(const struct scanner *s, const char *fmt, va_list ap)
{
    char line[256];
    vsnprintf(line, sizeof line, fmt, ap);
    if (s->cfg.log)
        s->cfg.log(s->cfg.log_ctx, line);
    else
        fprintf(stderr, "scanner: %s\n", line);
}

static void __attribute__((format(printf, 2, 3)))
log_line(const struct scanner *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog_line(s, fmt, ap);
    va_end(ap);
}

static void __attribute__((format(printf, 2, 3)))
host_logf(const struct source_host *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog_line(h->ctx, fmt, ap);
    va_end(ap);
}

static int64_t host_now(const struct source_host *h)
{
    const struct scanner *s = h->ctx;
    return s->now;
}

/* Rebuilds the status line from the source; a change is counted and logged. */
static void refresh_status(struct scanner *s)
{
    char line[sizeof s->status];
    s->ops->describe(s->src, line, sizeof line);
    if (strcmp(line, s->status) != 0) {
        snprintf(s->status, sizeof s->status, "%s", line);
        s->status_seq++;
        log_line(s, "%s", line);
    }
}

/* The host's candidate(): the one gate and the one queue every source's codes go through. */
static void take_candidate(void *ctx, const struct code_event *ev)
{
    struct source_tap *tap = ctx;
    struct scanner *s = tap->host->ctx;
    char text[SCAN_CODE_MAX + 1], masked[48];
    size_t n = ev->len > SCAN_CODE_MAX ? SCAN_CODE_MAX : ev->len;
    /* The mask shows the last four characters: make them printable so the log stays one line. */
    for (size_t i = 0; i < n; i++)
        text[i] = (ev->text[i] >= 0x20 && ev->text[i] < 0x7f) ? ev->text[i] : '?';
    text[n] = '\0';
    scanner_mask(text, masked, sizeof masked);
    if (!ev->ok) {
        log_line(s, "%s: dropped input (%s): %s", tap->name, masked, ev->reason);
        return;
    }
    struct scan_code code;
    enum code_verdict v =
        code_filter_check(&s->filter, ev->text, ev->len, ev->symbology, s->now, &code);
    if (v != CODE_ACCEPT) {
        log_line(s, "%s: dropped code (%s): %s", tap->name, masked, code_verdict_reason(v));
        return;
    }
    if (s->count == QUEUE_LEN) {
        /* Nobody is taking codes: the oldest is the one the cashier no longer expects. */
        log_line(s, "%s: queue full, oldest code dropped", tap->name);
        s->head = (s->head + 1) % QUEUE_LEN;
        s->count--;
    }
    snprintf(code.source, sizeof code.source, "%s", tap->name);
    s->queue[(s->head + s->count) % QUEUE_LEN] = code;
    s->count++;
    log_line(s, "%s: code (%s)%s%s", tap->name, masked, code.symbology[0] ? " " : "",
             code.symbology);
}

static const char *check_config(const struct scanner_config *cfg)
{
    if (cfg->kind < SCANNER_AUTO || cfg->kind > SCANNER_STDIN)
        return "kind";
    if (cfg->layout != SCAN_LAYOUT_US && cfg->layout != SCAN_LAYOUT_AZERTY)
        return "layout";
    if (cfg->suffix < SCAN_SUFFIX_ENTER || cfg->suffix > SCAN_SUFFIX_NONE)
        return "suffix";
    if (cfg->gap_ms < 1 || cfg->gap_ms > 60000)
        return "gap_ms (1..60000)";
    if (cfg->dedupe_ms < 0 || cfg->dedupe_ms > 600000)
        return "dedupe_ms (0..600000)";
    if (cfg->min_len < 1 || cfg->max_len < cfg->min_len || cfg->max_len > SCAN_CODE_MAX)
        return "min_len/max_len (1 <= min_len <= max_len <= SCAN_CODE_MAX)";
    if (cfg->rescan_ms < 10 || cfg->rescan_ms > 600000)
        return "rescan_ms (10..600000)";
    if (cfg->kind == SCANNER_EVDEV && cfg->evdev_path[0] == '\0')
        return "evdev_path (empty)";
    if (cfg->kind == SCANNER_STDIN && cfg->stdin_fd < 0)
        return "stdin_fd";
    return NULL;
}

enum scanner_status scanner_open(struct scanner **out, const struct scanner_config *cfg, char *err,
                                 size_t errlen)
{
    *out = NULL;
    const char *bad = check_config(cfg);
    if (bad) {
        snprintf(err, errlen, "scanner config: bad %s", bad);
        return SCANNER_ERR_CONFIG;
    }
    struct scanner *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "scanner: out of memory");
        return SCANNER_ERR_NOMEM;
    }
    s->cfg = *cfg;
    code_filter_init(&s->filter, cfg->min_len, cfg->max_len, cfg->dedupe_ms);
    s->host = (struct source_host){
        .candidate = take_candidate, .logf = host_logf, .now = host_now, .ctx = s};
    enum scanner_status st;
    switch (cfg->kind) {
    case SCANNER_EVDEV: st = evdev_source_open(&s->src, &s->ops, &s->host, cfg, err, errlen); break;
    case SCANNER_STDIN: st = stdin_source_open(&s->src, &s->ops, &s->host, cfg, err, errlen); break;
    default: st = usb_source_open(&s->src, &s->ops, &s->host, cfg, err, errlen); break;
    }
    if (st != SCANNER_OK) {
        free(s);
        return st;
    }
    refresh_status(s);
    *out = s;
    return SCANNER_OK;
}

void scanner_close(struct scanner *s)
{
    if (!s)
        return;
    s->ops->close(s->src);
    free(s);
}

int scanner_pollfds(struct scanner *s, struct pollfd *fds, int max, int64_t *timeout_ms)
{
    int n = s->ops->pollfds(s->src, fds, max);
    int64_t deadline = s->ops->deadline(s->src);
    if (deadline >= 0) {
        int64_t wait = deadline - s->now;
        if (wait < 0)
            wait = 0;
        if (*timeout_ms < 0 || wait < *timeout_ms)
            *timeout_ms = wait;
    }
    return n;
}

enum scanner_status scanner_process(struct scanner *s, const struct pollfd *fds, int nfds,
                                    int64_t now_ms)
{
    s->now = now_ms;
    enum scanner_status st = s->ops->process(s->src, fds, nfds, now_ms);
    refresh_status(s);
    return st;
}

bool scanner_next_code(struct scanner *s, struct scan_code *out)
{
    if (s->count == 0)
        return false;
    *out = s->queue[s->head];
    s->head = (s->head + 1) % QUEUE_LEN;
    s->count--;
    return true;
}

bool scanner_connected(const struct scanner *s)
{
    return s->ops->connected(s->src);
}

const char *scanner_status_line(const struct scanner *s)
{
    return s->status;
}

unsigned scanner_status_seq(const struct scanner *s)
{
    return s->status_seq;
}
