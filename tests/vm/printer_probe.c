/*
 * printer_probe.c - opens posterm's receipt printer (drivers/printer/printer.h) and prints one
 * built-in receipt on it, reporting every status change, for the USB printer VM test (and for
 * trying a real printer by hand).
 *
 *   printer-probe [--kind usb|lp|tcp|virtual] [--path PATH] [--host H] [--port N]
 *                 [--vid HEX] [--pid HEX] [--native-qr|--raster-qr] [--columns 32|48]
 *                 [--timeout MS]
 *
 * Prints "STATUS <state> <line>" whenever the printer's status line changes, "HELD <state>"
 * when the job is refused because the printer is not ready (once per state), "JOB submitted",
 * then "JOB done <bytes>" or "JOB failed <bytes>". A job refused or failed before any byte
 * went out is tried again when the printer is ready; one that failed part-way is not (the
 * caller would have to mark a second copy as a reprint). Exit 0 once the receipt printed,
 * 1 on a failed job or when --timeout passes, 2 on a usage or open error.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "printer.h"

/* The receipt, as the VM test expects to read it back (tests/vm/printer-vm.sh). */
#define PROBE_ORDER "P20261207000001"

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool build_receipt(struct print_doc *d, int columns)
{
    return doc_init(d, columns) && doc_text(d, DOC_CENTER, DOC_BOLD | DOC_DOUBLE, "收银小票") &&
           doc_text(d, DOC_CENTER, 0, "POSTERM VM TEST") && doc_rule(d) &&
           doc_pair(d, "Order", PROBE_ORDER) && doc_pair(d, "Amount", "12.34") &&
           doc_pair(d, "金额", "12.34") && doc_rule(d) && doc_qr(d, PROBE_ORDER) &&
           doc_feed(d, 2) && doc_cut(d);
}

static const char *state_name(enum printer_state s)
{
    switch (s) {
    case PRINTER_ABSENT: return "absent";
    case PRINTER_READY: return "ready";
    case PRINTER_PAPER_OUT: return "paper_out";
    case PRINTER_COVER_OPEN: return "cover_open";
    case PRINTER_OFFLINE: return "offline";
    }
    return "?";
}

static int usage(void)
{
    fprintf(stderr,
            "usage: printer-probe [--kind usb|lp|tcp|virtual] [--path PATH] [--host H] "
            "[--port N] [--vid HEX] [--pid HEX] [--native-qr|--raster-qr] [--columns 32|48] "
            "[--timeout MS]\n");
    return 2;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        enum printer_kind kind;
    } kinds[] = {{"usb", PRINTER_USB},
                 {"lp", PRINTER_LP},
                 {"tcp", PRINTER_TCP},
                 {"virtual", PRINTER_VIRTUAL}};
    struct printer_config cfg;
    long timeout = -1;
    int columns = DOC_COLUMNS_58MM;
    printer_config_defaults(&cfg);
    cfg.kind = PRINTER_USB;

    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        if (strcmp(opt, "--native-qr") == 0 || strcmp(opt, "--raster-qr") == 0) {
            cfg.native_qr = strcmp(opt, "--native-qr") == 0;
            continue;
        }
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            return usage();
        i++;
        bool known = false;
        if (strcmp(opt, "--kind") == 0) {
            for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
                if (strcmp(v, kinds[k].name) == 0) {
                    cfg.kind = kinds[k].kind;
                    known = true;
                }
            if (!known)
                return usage();
        } else if (strcmp(opt, "--path") == 0) {
            snprintf(cfg.path, sizeof cfg.path, "%s", v);
        } else if (strcmp(opt, "--host") == 0) {
            snprintf(cfg.host, sizeof cfg.host, "%s", v);
        } else if (strcmp(opt, "--port") == 0) {
            cfg.port = atoi(v);
        } else if (strcmp(opt, "--vid") == 0) {
            cfg.vid = (uint16_t)strtoul(v, NULL, 16);
        } else if (strcmp(opt, "--pid") == 0) {
            cfg.pid = (uint16_t)strtoul(v, NULL, 16);
        } else if (strcmp(opt, "--columns") == 0) {
            columns = atoi(v);
        } else if (strcmp(opt, "--timeout") == 0) {
            timeout = atol(v);
        } else {
            return usage();
        }
    }

    static struct print_doc doc;
    if (!build_receipt(&doc, columns)) {
        fprintf(stderr, "printer-probe: the built-in receipt does not fit %d columns\n", columns);
        return 2;
    }
    struct printer *p;
    char err[256];
    if (printer_open(&p, &cfg, err, sizeof err) != PRINTER_OK) {
        fprintf(stderr, "printer-probe: %s\n", err);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    int64_t start = mono_ms();
    unsigned seq = 0;
    bool submitted = false, tried_since_change = false;
    int held = -1;
    int rc = 1;
    /* The event loop's shape: show what changed, submit when it may go, descriptors and
     * deadline out, poll(), process. */
    for (;;) {
        if (printer_status_seq(p) != seq) {
            seq = printer_status_seq(p);
            printf("STATUS %s %s\n", state_name(printer_state(p)), printer_status_line(p));
            tried_since_change = false;
        }
        if (!submitted && !tried_since_change) {
            tried_since_change = true;
            enum printer_status st = printer_submit(p, &doc, err, sizeof err);
            if (st == PRINTER_OK) {
                submitted = true;
                printf("JOB submitted\n");
            } else if (st == PRINTER_ERR_NOT_READY) {
                if (held != (int)printer_state(p))
                    printf("HELD %s\n", state_name(printer_state(p)));
                held = (int)printer_state(p);
            } else {
                fprintf(stderr, "printer-probe: submit: %s (status %d)\n", err, (int)st);
                break;
            }
        }
        if (submitted) {
            enum printer_job js = printer_job_state(p);
            if (js == PRINTER_JOB_DONE) {
                printf("JOB done %zu\n", printer_job_sent(p));
                rc = 0;
                break;
            }
            if (js == PRINTER_JOB_FAILED) {
                size_t sent = printer_job_sent(p);
                printf("JOB failed %zu\n", sent);
                if (sent > 0)
                    break;
                printer_job_clear(p);
                submitted = false;
            }
        }
        struct pollfd fds[16];
        int64_t now = mono_ms(), wait = -1;
        if (timeout >= 0 && now - start >= timeout) {
            printf("TIMEOUT\n");
            break;
        }
        int n = printer_pollfds(p, fds, 16, &wait);
        if (timeout >= 0 && (wait < 0 || wait > timeout - (now - start)))
            wait = timeout - (now - start);
        if (poll(fds, (nfds_t)n, wait < 0 ? -1 : (int)wait) < 0 && errno != EINTR) {
            perror("printer-probe: poll");
            break;
        }
        printer_process(p, fds, n, mono_ms());
    }
    printer_close(p);
    return rc;
}
