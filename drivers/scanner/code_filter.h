/*
 * code_filter.h - the gate every finished code passes before the event loop sees it.
 *
 * Decoders (keyboard reports, HID POS reports, evdev keys, stdin lines) hand over candidate
 * codes through one callback type; the filter decides: long or short enough, printable ASCII
 * only, not the same scan again. An AIM symbology prefix ("]C0") typed in front of a code is
 * split off, so the same code reads the same with or without the scanner's AIM setting.
 */
#ifndef POSTERM_CODE_FILTER_H
#define POSTERM_CODE_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scan_types.h"

/* What a decoder hands over: a candidate code (ok) or the reason it dropped one. */
struct code_event {
    bool ok;
    const char *reason; /* when !ok: plain words for the log */
    const char *text;   /* the characters gathered (possibly partial when !ok) */
    size_t len;
    const char *symbology; /* "" or the AIM identifier the device reported */
};
typedef void (*code_sink_fn)(void *ctx, const struct code_event *ev);

enum code_verdict {
    CODE_ACCEPT,
    CODE_TOO_SHORT,
    CODE_TOO_LONG,
    CODE_NOT_PRINTABLE,
    CODE_DUPLICATE,
};

struct code_filter {
    int min_len, max_len, dedupe_ms;
    char last[SCAN_CODE_MAX + 1];
    int64_t last_at;
    bool have_last;
};

void code_filter_init(struct code_filter *f, int min_len, int max_len, int dedupe_ms);

/* Judges text (len bytes, not necessarily NUL-terminated) seen at now_ms. On CODE_ACCEPT,
 * out->text and out->symbology are filled (AIM prefix moved from text to symbology when the
 * device reported none). A duplicate restarts the window: a code held under a scanner in
 * continuous mode stays one scan for as long as it keeps being read. */
enum code_verdict code_filter_check(struct code_filter *f, const char *text, size_t len,
                                    const char *symbology, int64_t now_ms, struct scan_code *out);

const char *code_verdict_reason(enum code_verdict v);

#endif
