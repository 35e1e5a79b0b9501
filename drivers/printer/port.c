/*
 * port.c - how a transport reports to the printer object (printer_port.h): the state it read,
 * the bytes that went out, the job's end. Apart from printer.c, which opens the transports,
 * so that they and it never call each other in a circle.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "printer_port.h"

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
