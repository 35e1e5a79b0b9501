/*
 * printer_port.h - what a transport (USB, lp node, TCP, virtual file) shares with printer.c:
 * the printer's state and the job under way, in one struct port that printer.c owns. Internal
 * to drivers/printer.
 *
 * A transport finds or connects its printer, reads its status, and sends the job's bytes, all
 * from its process(), never blocking; it reports through the port_* calls below, which keep
 * the status line and the job's outcome in one place. printer.c alone judges readiness, runs
 * the job timeout, and hands jobs over.
 */
#ifndef POSTERM_PRINTER_PORT_H
#define POSTERM_PRINTER_PORT_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "printer.h"

/* Where a job is: each transport reads status before and after the bytes (when it can). */
enum port_phase {
    PORT_IDLE,
    PORT_CHECK_BEFORE, /* status read; the bytes go only when it says ready */
    PORT_WRITING,
    PORT_CHECK_AFTER, /* every byte accepted: DONE if the printer still says ready */
};

struct port {
    struct printer_config cfg;
    enum printer_state state;
    bool near_end;
    char line[160];
    unsigned seq;
    enum printer_job job;
    enum port_phase phase;
    unsigned char *bytes; /* the rendered job */
    size_t len, sent;
    int64_t last_progress;
    int64_t now;
};

struct port_ops {
    /* Adds at most max descriptors; returns how many. */
    int (*pollfds)(void *t, struct pollfd *fds, int max);
    /* Next time process() must run even without I/O; -1 = none. */
    int64_t (*deadline)(void *t);
    void (*process)(void *t, const struct pollfd *fds, int nfds, int64_t now);
    /* The job is abandoned (timeout): stop sending it. */
    void (*abort)(void *t);
    void (*close)(void *t);
};

/* The printer's state as read; who names it ("EPSON TM-T20II 04b8:0e15", "192.0.2.7:9100"),
 * detail replaces the state's own words when given. */
void port_state(struct port *p, enum printer_state st, bool near_end, const char *who,
                const char *detail);
/* n more bytes of the job went out. */
void port_sent(struct port *p, size_t n);
/* The job ends: DONE or FAILED. */
void port_job_end(struct port *p, enum printer_job result);

/* Interprets a USB printer-class port status byte (also what usblp's LPGETSTATUS returns). */
void port_parallel_status(struct port *p, uint8_t status, const char *who);

int usb_port_open(void **t, const struct port_ops **ops, struct port *p, char *err, size_t errlen);
int lp_port_open(void **t, const struct port_ops **ops, struct port *p, char *err, size_t errlen);
int tcp_port_open(void **t, const struct port_ops **ops, struct port *p, char *err, size_t errlen);
int virtual_port_open(void **t, const struct port_ops **ops, struct port *p, char *err,
                      size_t errlen);

#endif
