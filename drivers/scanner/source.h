/*
 * source.h - what scanner.c asks of an input source (USB, evdev, stdin), and what a source
 * may use of the scanner that opened it (struct source_host). Internal to drivers/scanner.
 *
 * A source owns its descriptors and decoders; everything it decodes goes through the host's
 * candidate() so that one gate (code_filter) and one queue serve every source. A source sees
 * the scanner only through its host: it includes this header, never scanner.h.
 */
#ifndef POSTERM_SCANNER_SOURCE_H
#define POSTERM_SCANNER_SOURCE_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "code_filter.h"
#include "scan_types.h"

struct source_ops {
    /* Adds at most max descriptors; returns how many. */
    int (*pollfds)(void *src, struct pollfd *fds, int max);
    /* Next time process() must run even without I/O; -1 = none. */
    int64_t (*deadline)(void *src);
    enum scanner_status (*process)(void *src, const struct pollfd *fds, int nfds, int64_t now_ms);
    bool (*connected)(const void *src);
    /* The status line: what is open, or what is missing. */
    void (*describe)(const void *src, char *buf, size_t len);
    void (*close)(void *src);
};

/* The scanner as a source sees it, filled in by scanner.c. */
struct source_host {
    /* A code_sink_fn: ctx is the source's struct source_tap. Judges the candidate and queues
     * or logs it. */
    code_sink_fn candidate;
    void (*logf)(const struct source_host *h, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
    /* The clock of the scanner_process() call under way. */
    int64_t (*now)(const struct source_host *h);
    void *ctx; /* the scanner's own */
};

/* Where a decoder's events go: the host plus the name of the device they came from. */
struct source_tap {
    const struct source_host *host;
    char name[32];
};

enum scanner_status usb_source_open(void **out, const struct source_ops **ops,
                                    const struct source_host *host,
                                    const struct scanner_config *cfg, char *err, size_t errlen);
enum scanner_status evdev_source_open(void **out, const struct source_ops **ops,
                                      const struct source_host *host,
                                      const struct scanner_config *cfg, char *err, size_t errlen);
enum scanner_status stdin_source_open(void **out, const struct source_ops **ops,
                                      const struct source_host *host,
                                      const struct scanner_config *cfg, char *err, size_t errlen);

/* Linux input key code (KEY_*) to keyboard usage (page 0x07); 0 when none. For evdev. */
uint8_t evdev_key_usage(unsigned code);

#endif
