/*
 * scanner_probe.c - opens posterm's scanner source and prints what it delivers, one line
 * each, for the USB-in-a-VM test (and for checking a real scanner by hand).
 *
 *   scanner-probe [--kind auto|usb-keyboard|hidpos|evdev|stdin] [--vid HEX] [--pid HEX]
 *                 [--evdev PATH] [--layout us|azerty] [--suffix enter|tab|none]
 *                 [--gap MS] [--dedupe MS] [--count N] [--timeout MS]
 *
 * Prints "CODE <text>" per code (full text: this is a test tool, not the terminal) and
 * "STATUS connected|waiting <line>" whenever the status line changes. Exits 0 after --count
 * codes, 1 when --timeout passes first, 2 on a usage or open error.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scanner.h"

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void log_line(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "scanner: %s\n", line);
}

static int usage(void)
{
    fprintf(stderr, "usage: scanner-probe [--kind K] [--vid HEX] [--pid HEX] [--evdev PATH] "
                    "[--layout us|azerty] [--suffix enter|tab|none] [--gap MS] [--dedupe MS] "
                    "[--count N] [--timeout MS]\n");
    return 2;
}

static int pick(const char *v, const char *const *names, int n)
{
    for (int i = 0; i < n; i++) {
        if (strcmp(v, names[i]) == 0)
            return i;
    }
    return -1;
}

int main(int argc, char **argv)
{
    static const char *const kinds[] = {"auto", "usb-keyboard", "hidpos", "evdev", "stdin"};
    static const char *const layouts[] = {"us", "azerty"};
    static const char *const suffixes[] = {"enter", "tab", "none"};
    struct scanner_config cfg;
    long count = -1, timeout = -1;
    scanner_config_defaults(&cfg);
    cfg.log = log_line;

    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            return usage();
        i++;
        int k;
        if (strcmp(opt, "--kind") == 0 && (k = pick(v, kinds, 5)) >= 0)
            cfg.kind = (enum scanner_kind)k;
        else if (strcmp(opt, "--layout") == 0 && (k = pick(v, layouts, 2)) >= 0)
            cfg.layout = (enum scan_layout)k;
        else if (strcmp(opt, "--suffix") == 0 && (k = pick(v, suffixes, 3)) >= 0)
            cfg.suffix = (enum scan_suffix)k;
        else if (strcmp(opt, "--vid") == 0)
            cfg.vid = (uint16_t)strtoul(v, NULL, 16);
        else if (strcmp(opt, "--pid") == 0)
            cfg.pid = (uint16_t)strtoul(v, NULL, 16);
        else if (strcmp(opt, "--evdev") == 0)
            snprintf(cfg.evdev_path, sizeof cfg.evdev_path, "%s", v);
        else if (strcmp(opt, "--gap") == 0)
            cfg.gap_ms = atoi(v);
        else if (strcmp(opt, "--dedupe") == 0)
            cfg.dedupe_ms = atoi(v);
        else if (strcmp(opt, "--count") == 0)
            count = atol(v);
        else if (strcmp(opt, "--timeout") == 0)
            timeout = atol(v);
        else
            return usage();
    }

    struct scanner *s;
    char err[256];
    if (scanner_open(&s, &cfg, err, sizeof err) != SCANNER_OK) {
        fprintf(stderr, "scanner-probe: %s\n", err);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    int64_t start = mono_ms();
    unsigned seq = 0;
    long got = 0;
    int rc = 1;
    /* The event loop's shape: show what changed, descriptors and deadline out, poll(),
     * process. */
    for (;;) {
        if (scanner_status_seq(s) != seq) {
            seq = scanner_status_seq(s);
            printf("STATUS %s %s\n", scanner_connected(s) ? "connected" : "waiting",
                   scanner_status_line(s));
        }
        struct scan_code c;
        while (scanner_next_code(s, &c)) {
            printf("CODE %s\n", c.text);
            got++;
        }
        if (count >= 0 && got >= count) {
            rc = 0;
            break;
        }
        struct pollfd fds[16];
        int64_t now = mono_ms(), wait = -1;
        if (timeout >= 0 && now - start >= timeout)
            break;
        int n = scanner_pollfds(s, fds, 16, &wait);
        if (timeout >= 0 && (wait < 0 || wait > timeout - (now - start)))
            wait = timeout - (now - start);
        if (poll(fds, (nfds_t)n, wait < 0 ? -1 : (int)wait) < 0 && errno != EINTR) {
            perror("scanner-probe: poll");
            break;
        }
        if (scanner_process(s, fds, n, mono_ms()) != SCANNER_OK)
            fprintf(stderr, "scanner-probe: source error\n");
    }
    scanner_close(s);
    return rc;
}
