/*
 * kbd_decoder.c - key-press detection, suffix and gap handling for keyboard-mode scanners.
 */
#include "kbd_decoder.h"

#include <string.h>

#include "keymap.h"

void kbd_decoder_init(struct kbd_decoder *d, enum scan_layout layout, enum scan_suffix suffix,
                      int gap_ms, int max_len, code_sink_fn sink, void *sink_ctx)
{
    memset(d, 0, sizeof *d);
    d->layout = layout;
    d->suffix = suffix;
    d->gap_ms = gap_ms;
    d->max_len = max_len > SCAN_CODE_MAX ? SCAN_CODE_MAX : max_len;
    d->sink = sink;
    d->sink_ctx = sink_ctx;
}

static bool in_progress(const struct kbd_decoder *d)
{
    return d->typed > 0;
}

static void clear_code(struct kbd_decoder *d)
{
    d->len = 0;
    d->typed = 0;
    d->fault = NULL;
    d->buf[0] = '\0';
}

static void drop(struct kbd_decoder *d, const char *reason)
{
    struct code_event ev = {
        .ok = false, .reason = reason, .text = d->buf, .len = d->len, .symbology = ""};
    d->buf[d->len] = '\0';
    d->sink(d->sink_ctx, &ev);
    clear_code(d);
}

static void end_code(struct kbd_decoder *d)
{
    if (!in_progress(d))
        return; /* a suffix with nothing before it: scanners send a lone Enter on a misread */
    if (d->fault) {
        drop(d, d->fault);
        return;
    }
    struct code_event ev = {.ok = true, .text = d->buf, .len = d->len, .symbology = ""};
    d->buf[d->len] = '\0';
    d->sink(d->sink_ctx, &ev);
    clear_code(d);
}

static void fault(struct kbd_decoder *d, const char *reason)
{
    if (!d->fault)
        d->fault = reason;
}

static bool is_terminator(uint8_t usage)
{
    return usage == KEY_USAGE_ENTER || usage == KEY_USAGE_KP_ENTER || usage == KEY_USAGE_TAB;
}

static void press(struct kbd_decoder *d, uint8_t usage, uint8_t modifiers, int64_t now_ms)
{
    if (usage == KEY_USAGE_CAPS_LOCK) {
        d->caps_lock = !d->caps_lock;
        return;
    }
    if (is_terminator(usage)) {
        bool tab = usage == KEY_USAGE_TAB;
        bool wanted = d->suffix == SCAN_SUFFIX_NONE || (tab == (d->suffix == SCAN_SUFFIX_TAB));
        if (!wanted && in_progress(d))
            fault(d, tab ? "Tab inside a code (suffix is Enter)"
                         : "Enter inside a code (suffix is Tab)");
        if (wanted || in_progress(d))
            end_code(d);
        return;
    }
    char c = keymap_char(d->layout, usage, modifiers, d->caps_lock);
    d->typed++;
    d->last_at = now_ms;
    if (c == 0) {
        fault(d, "key that types no printable character");
    } else if (d->len >= (size_t)d->max_len) {
        fault(d, "too long");
    } else {
        d->buf[d->len++] = c;
    }
}

static bool was_held(const struct kbd_decoder *d, uint8_t usage)
{
    for (int i = 0; i < KBD_REPORT_KEYS; i++) {
        if (d->held[i] == usage)
            return true;
    }
    return false;
}

void kbd_decoder_report(struct kbd_decoder *d, const uint8_t *report, size_t len, int64_t now_ms)
{
    if (len < 2)
        return;
    kbd_decoder_tick(d, now_ms);

    uint8_t modifiers = report[0];
    uint8_t keys[KBD_REPORT_KEYS] = {0};
    size_t nkeys = len - 2 > KBD_REPORT_KEYS ? KBD_REPORT_KEYS : len - 2;
    for (size_t i = 0; i < nkeys; i++) {
        uint8_t u = report[2 + i];
        /* Too many keys at once: the report says nothing about which; keep the old state. */
        if (u == KEY_USAGE_ERROR_ROLLOVER)
            return;
        /* Some devices list Shift as a key instead of setting the modifier bit. */
        if (u >= KEY_USAGE_FIRST_MODIFIER && u <= KEY_USAGE_LAST_MODIFIER) {
            modifiers |= (uint8_t)(1u << (u - KEY_USAGE_FIRST_MODIFIER));
            continue;
        }
        keys[i] = u;
    }
    for (size_t i = 0; i < nkeys; i++) {
        if (keys[i] != 0 && !was_held(d, keys[i]))
            press(d, keys[i], modifiers, now_ms);
    }
    memcpy(d->held, keys, sizeof keys);
}

void kbd_decoder_tick(struct kbd_decoder *d, int64_t now_ms)
{
    if (!in_progress(d) || now_ms - d->last_at < d->gap_ms)
        return;
    if (d->suffix == SCAN_SUFFIX_NONE)
        end_code(d);
    else
        drop(d, d->suffix == SCAN_SUFFIX_ENTER ? "cut off: no Enter within the gap"
                                               : "cut off: no Tab within the gap");
}

int64_t kbd_decoder_deadline(const struct kbd_decoder *d)
{
    return in_progress(d) ? d->last_at + d->gap_ms : -1;
}

void kbd_decoder_reset(struct kbd_decoder *d, const char *why)
{
    if (in_progress(d))
        drop(d, why);
    memset(d->held, 0, sizeof d->held);
    d->caps_lock = false;
}
