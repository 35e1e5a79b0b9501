/*
 * kbd_decoder.h - turns a scanner's HID boot keyboard reports into whole codes.
 *
 * A report is 8 bytes: modifiers, reserved, up to six keys held. A character is typed when a
 * key appears that was not held in the previous report, so "22" needs a release in between
 * and a key held across reports types once (rollover works in any order). The code ends at
 * the configured suffix (Enter or Tab) or, with no suffix, after gap_ms without a key.
 * Everything else that cannot be a clean code - a key that types no printable character,
 * more than max_len characters, a code cut off by a pause - is reported as dropped, never
 * delivered in part. Pure: no I/O, time comes in as now_ms.
 */
#ifndef POSTERM_KBD_DECODER_H
#define POSTERM_KBD_DECODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "code_filter.h"
#include "scan_types.h"

#define KBD_REPORT_KEYS 6

struct kbd_decoder {
    enum scan_layout layout;
    enum scan_suffix suffix;
    int gap_ms;
    int max_len;
    code_sink_fn sink;
    void *sink_ctx;

    uint8_t held[KBD_REPORT_KEYS]; /* keys down in the previous report */
    bool caps_lock;
    char buf[SCAN_CODE_MAX + 1];
    size_t len;        /* characters kept in buf */
    size_t typed;      /* characters typed, kept or not */
    const char *fault; /* first reason this code cannot be delivered, or NULL */
    int64_t last_at;   /* when the last key of this code came */
};

void kbd_decoder_init(struct kbd_decoder *d, enum scan_layout layout, enum scan_suffix suffix,
                      int gap_ms, int max_len, code_sink_fn sink, void *sink_ctx);

/* One input report as read from the interrupt endpoint (len is normally 8). */
void kbd_decoder_report(struct kbd_decoder *d, const uint8_t *report, size_t len, int64_t now_ms);

/* Ends (no suffix) or drops (suffix expected) a code once gap_ms passed since its last key. */
void kbd_decoder_tick(struct kbd_decoder *d, int64_t now_ms);

/* When kbd_decoder_tick() has work to do next; -1 when no code is in progress. */
int64_t kbd_decoder_deadline(const struct kbd_decoder *d);

/* The device went away: a code in progress is dropped and the key state forgotten. */
void kbd_decoder_reset(struct kbd_decoder *d, const char *why);

#endif
