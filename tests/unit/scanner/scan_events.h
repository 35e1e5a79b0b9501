/*
 * scan_events.h - records what a decoder hands over, for the scanner unit tests.
 */
#ifndef POSTERM_TEST_SCAN_EVENTS_H
#define POSTERM_TEST_SCAN_EVENTS_H

#include <stdio.h>
#include <string.h>

#include "code_filter.h"

#define SCAN_EVENTS_MAX 64

struct scan_events {
    int n;
    struct {
        int ok;
        char text[SCAN_CODE_MAX + 1];
        char reason[96];
        char symbology[4];
    } ev[SCAN_EVENTS_MAX];
};

static void scan_events_sink(void *ctx, const struct code_event *e)
{
    struct scan_events *r = ctx;
    if (r->n >= SCAN_EVENTS_MAX)
        return;
    r->ev[r->n].ok = e->ok;
    snprintf(r->ev[r->n].text, sizeof r->ev[r->n].text, "%.*s", (int)e->len, e->text);
    snprintf(r->ev[r->n].reason, sizeof r->ev[r->n].reason, "%s", e->reason ? e->reason : "");
    snprintf(r->ev[r->n].symbology, sizeof r->ev[r->n].symbology, "%s",
             e->symbology ? e->symbology : "");
    r->n++;
}

#endif
