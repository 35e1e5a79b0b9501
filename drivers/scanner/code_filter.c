/*
 * code_filter.c - length, character and duplicate checks shared by every source.
 */
#include "code_filter.h"

#include <string.h>

void code_filter_init(struct code_filter *f, int min_len, int max_len, int dedupe_ms)
{
    memset(f, 0, sizeof *f);
    f->min_len = min_len;
    f->max_len = max_len;
    f->dedupe_ms = dedupe_ms;
}

/* "]" + symbology letter + modifier: ISO/IEC 15424. ']' never starts a payment code. */
static bool has_aim_prefix(const char *text, size_t len)
{
    return len >= 3 && text[0] == ']' && text[1] > ' ' && text[1] <= '~' && text[2] > ' ' &&
           text[2] <= '~';
}

enum code_verdict code_filter_check(struct code_filter *f, const char *text, size_t len,
                                    const char *symbology, int64_t now_ms, struct scan_code *out)
{
    char sym[4] = "";
    if (symbology && symbology[0]) {
        strncpy(sym, symbology, sizeof sym - 1);
    } else if (has_aim_prefix(text, len)) {
        memcpy(sym, text, 3);
        text += 3;
        len -= 3;
    }
    for (size_t i = 0; i < len; i++) {
        if (text[i] < 0x20 || text[i] > 0x7e)
            return CODE_NOT_PRINTABLE;
    }
    if (len > (size_t)f->max_len || len > SCAN_CODE_MAX)
        return CODE_TOO_LONG;
    if (len < (size_t)f->min_len)
        return CODE_TOO_SHORT;
    if (f->have_last && f->dedupe_ms > 0 && strlen(f->last) == len &&
        memcmp(f->last, text, len) == 0 && now_ms - f->last_at < f->dedupe_ms) {
        f->last_at = now_ms;
        return CODE_DUPLICATE;
    }
    memcpy(f->last, text, len);
    f->last[len] = '\0';
    f->last_at = now_ms;
    f->have_last = true;

    memset(out, 0, sizeof *out);
    memcpy(out->text, text, len);
    memcpy(out->symbology, sym, sizeof sym);
    out->at_ms = now_ms;
    return CODE_ACCEPT;
}

const char *code_verdict_reason(enum code_verdict v)
{
    switch (v) {
    case CODE_ACCEPT: return "accepted";
    case CODE_TOO_SHORT: return "too short";
    case CODE_TOO_LONG: return "too long";
    case CODE_NOT_PRINTABLE: return "non-printable character";
    case CODE_DUPLICATE: return "same code again within the dedupe interval";
    }
    return "?";
}
