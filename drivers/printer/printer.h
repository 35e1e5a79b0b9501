/*
 * printer.h - one receipt printer behind one interface: a USB printer-class device through
 * libusb (the kernel's usblp detached, as the scanner does), a usblp node (/dev/usb/lp*), a
 * network printer on raw TCP port 9100, or the virtual printer (plain text appended to a file).
 *
 * The promise: one job at a time, handed over whole or reported as failed with how many bytes
 * went out, so the caller (which journals jobs) can tell "not printed" from "maybe printed".
 * A job is only started while the printer says it is ready (online, paper, cover closed);
 * a printer that is absent, unplugged or out of paper is reported and looked for again every
 * rescan_ms, without a restart, and a printer plugged in later is found.
 *
 * Nothing blocks and no thread is started: like the scanner, the event loop polls the
 * descriptors and the deadline printer_pollfds() hands out, then calls printer_process().
 */
#ifndef POSTERM_PRINTER_H
#define POSTERM_PRINTER_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "print_doc.h"

struct printer;

enum printer_kind {
    PRINTER_NONE,    /* printing off */
    PRINTER_USB,     /* libusb, first printer-class interface (or vid:pid) */
    PRINTER_LP,      /* a usblp node, e.g. /dev/usb/lp0 */
    PRINTER_TCP,     /* host:port, raw (JetDirect) port 9100 */
    PRINTER_VIRTUAL, /* plain text appended to path (the demo's printer) */
};

struct printer_config {
    enum printer_kind kind;
    uint16_t vid, pid; /* USB: 0 = the first printer-class interface found */
    char path[256];    /* LP: the node; VIRTUAL: the text file */
    char host[128];    /* TCP */
    int port;          /* TCP, 9100 */
    int rescan_ms;     /* looking for an absent printer, and status while idle (1000) */
    int io_timeout_ms; /* a job that makes no progress for this long fails (10000) */
    bool native_qr;    /* the printer has ESC/POS GS ( k; false = QR as a raster image.
                        * A config choice: printers do not say whether they have it. */
};

enum printer_status {
    PRINTER_OK = 0,
    PRINTER_ERR_CONFIG,    /* a field out of range; err names it */
    PRINTER_ERR_BUSY,      /* a job is already under way */
    PRINTER_ERR_NOT_READY, /* absent, offline, paper out or cover open: nothing was sent */
    PRINTER_ERR_NOMEM,
    PRINTER_ERR_RENDER, /* the document cannot be rendered (err says why) */
};

/* What the printer is, as last read. */
enum printer_state {
    PRINTER_ABSENT, /* not found, unplugged, or the connection refused */
    PRINTER_READY,
    PRINTER_PAPER_OUT,
    PRINTER_COVER_OPEN,
    PRINTER_OFFLINE, /* the printer says offline or error without saying why */
};

enum printer_job {
    PRINTER_JOB_NONE, /* no job (or the last one was taken with printer_job_clear) */
    PRINTER_JOB_SENDING,
    PRINTER_JOB_DONE,   /* every byte accepted and the printer still ready afterwards */
    PRINTER_JOB_FAILED, /* printer_job_sent() says whether any byte went out */
};

void printer_config_defaults(struct printer_config *cfg);

enum printer_status printer_open(struct printer **out, const struct printer_config *cfg, char *err,
                                 size_t errlen);
/* Gives a USB printer back to the kernel's driver and frees p. */
void printer_close(struct printer *p);

/* As scanner_pollfds / scanner_process: call before and after every poll(). */
int printer_pollfds(struct printer *p, struct pollfd *fds, int max, int64_t *timeout_ms);
void printer_process(struct printer *p, const struct pollfd *fds, int nfds, int64_t now_ms);

/* Starts a job: the document rendered for this printer (ESC/POS, or plain text for the
 * virtual printer). PRINTER_ERR_RENDER with err set when the document cannot be rendered. */
enum printer_status printer_submit(struct printer *p, const struct print_doc *doc, char *err,
                                   size_t errlen);
enum printer_job printer_job_state(const struct printer *p);
size_t printer_job_sent(const struct printer *p);
/* Forgets a finished or failed job so the next can start. */
void printer_job_clear(struct printer *p);

enum printer_state printer_state(const struct printer *p);
bool printer_paper_near_end(const struct printer *p);
/* One line for the screen and logs ("EPSON TM-T20II 04b8:0e15: paper out", "no printer at
 * 192.0.2.7:9100: connection refused"); status_seq() changes whenever it does. */
const char *printer_status_line(const struct printer *p);
unsigned printer_status_seq(const struct printer *p);
#endif
