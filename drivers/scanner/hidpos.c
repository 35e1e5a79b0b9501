/*
 * hidpos.c - a report descriptor walker that finds the scanned-data report, and the
 * assembler for codes split across reports.
 *
 * Sources: Device Class Definition for HID 1.11 section 6.2.2 (item format, global stack);
 * HID Point of Sale Usage Tables 1.02, page 0x8C; the report layout Access-IS documents for
 * its LSR116/ATR110 readers (ID 2, byte count, "]Q0", 56 data bytes, continued flag in bit 0
 * of byte 63).
 */
#include "hidpos.h"

#include <string.h>

#define PAGE_GENERIC_DESKTOP 0x01
#define PAGE_BARCODE         0x8C
#define USAGE_BYTE_COUNT     0x3B
#define USAGE_SYMBOLOGY_1    0xFB
#define USAGE_DECODED_DATA   0xFE
#define USAGE_CONTINUED      0xFF

#define MAX_USAGES      32 /* local usages kept per main item; more repeat the last */
#define MAX_REPORTS     16 /* distinct report IDs followed */
#define MAX_DEPTH       8  /* collection nesting and push/pop depth */
#define MAX_REPORT_BITS (HIDPOS_REPORT_MAX * 8L)

struct globals {
    uint32_t usage_page;
    uint32_t report_size;
    uint32_t report_count;
    uint32_t report_id;
};

/* What one report ID holds so far: its running input bit offset and the fields we want. */
struct report_seen {
    uint32_t id;
    long bits;
    struct hidpos_layout layout;
    bool has_data;
};

struct locals {
    uint32_t usages[MAX_USAGES];
    int nusages;
    uint32_t min, max;
    bool have_min, have_max;
};

static uint32_t item_value(const uint8_t *p, int size)
{
    uint32_t v = 0;
    for (int i = 0; i < size; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

static struct report_seen *report_for(struct report_seen *r, int *n, uint32_t id, bool ids_used)
{
    for (int i = 0; i < *n; i++) {
        if (r[i].id == id)
            return &r[i];
    }
    if (*n >= MAX_REPORTS)
        return NULL;
    struct report_seen *s = &r[(*n)++];
    memset(s, 0, sizeof *s);
    s->id = id;
    s->bits = ids_used ? 8 : 0;
    s->layout.count_bit = -1;
    s->layout.symbology_bit[0] = s->layout.symbology_bit[1] = s->layout.symbology_bit[2] = -1;
    s->layout.continued_bit = -1;
    return s;
}

/* Usage of element i of a main item: listed usages in order (the last repeats), or a range. */
static uint32_t element_usage(const struct locals *l, uint32_t i, uint32_t page)
{
    uint32_t u;
    if (l->nusages > 0)
        u = l->usages[i < (uint32_t)l->nusages ? i : (uint32_t)l->nusages - 1];
    else if (l->have_min && l->have_max && l->max >= l->min)
        u = l->min + (i <= l->max - l->min ? i : l->max - l->min);
    else
        return 0;
    return u > 0xFFFF ? u : (page << 16) | u;
}

static void note_input(struct report_seen *s, const struct globals *g, const struct locals *l,
                       uint32_t flags)
{
    bool constant = flags & 0x01;
    for (uint32_t i = 0; i < g->report_count && !constant; i++) {
        long bit = s->bits + (long)i * (long)g->report_size;
        uint32_t u = element_usage(l, i, g->usage_page);
        uint32_t page = u >> 16, id = u & 0xFFFF;
        if (page == PAGE_BARCODE && id == USAGE_DECODED_DATA && g->report_size == 8) {
            if (!s->has_data) {
                s->has_data = true;
                s->layout.data_bit = bit;
                s->layout.data_bytes = 0;
            }
            if (bit == s->layout.data_bit + 8 * (long)s->layout.data_bytes)
                s->layout.data_bytes++;
        } else if (page == PAGE_BARCODE && id >= USAGE_SYMBOLOGY_1 && id < USAGE_DECODED_DATA &&
                   g->report_size == 8) {
            s->layout.symbology_bit[id - USAGE_SYMBOLOGY_1] = bit;
        } else if (page == PAGE_BARCODE && id == USAGE_CONTINUED) {
            s->layout.continued_bit = bit;
        } else if (page == PAGE_GENERIC_DESKTOP && id == USAGE_BYTE_COUNT && g->report_size == 8) {
            s->layout.count_bit = bit;
        }
    }
    s->bits += (long)g->report_count * (long)g->report_size;
}

enum hidpos_parse_status hidpos_parse_descriptor(const uint8_t *desc, size_t len,
                                                 struct hidpos_layout *out)
{
    struct globals g = {0}, stack[MAX_DEPTH];
    struct locals l = {0};
    struct report_seen reports[MAX_REPORTS];
    int nreports = 0, depth = 0, pushed = 0;
    bool ids_used = false;

    if (len > HIDPOS_DESCRIPTOR_MAX)
        return HIDPOS_PARSE_MALFORMED;
    /* Report IDs change every offset, so learn first whether the device uses them. */
    for (size_t i = 0; i < len;) {
        uint8_t b = desc[i];
        if (b == 0xFE) {
            if (i + 2 >= len || i + 3 + (size_t)desc[i + 1] > len)
                return HIDPOS_PARSE_MALFORMED;
            i += 3 + (size_t)desc[i + 1];
            continue;
        }
        int size = (b & 3) == 3 ? 4 : (b & 3);
        if ((b & 0xFC) == 0x84)
            ids_used = true;
        i += 1 + (size_t)size;
    }

    for (size_t i = 0; i < len;) {
        uint8_t b = desc[i];
        if (b == 0xFE) { /* long item: no long items are defined; skip its data */
            i += 3 + (size_t)desc[i + 1];
            continue;
        }
        int size = (b & 3) == 3 ? 4 : (b & 3);
        if (i + 1 + (size_t)size > len)
            return HIDPOS_PARSE_MALFORMED;
        uint32_t v = item_value(desc + i + 1, size);
        int type = (b >> 2) & 3, tag = b >> 4;
        i += 1 + (size_t)size;

        if (type == 0) {      /* main */
            if (tag == 0x8) { /* Input */
                if (g.report_size > 32 || g.report_count > MAX_REPORT_BITS ||
                    (long)g.report_size * (long)g.report_count > MAX_REPORT_BITS)
                    return HIDPOS_PARSE_MALFORMED;
                if (ids_used && g.report_id == 0)
                    return HIDPOS_PARSE_MALFORMED; /* input before any Report ID */
                struct report_seen *s = report_for(reports, &nreports, g.report_id, ids_used);
                if (!s)
                    return HIDPOS_PARSE_MALFORMED;
                note_input(s, &g, &l, v);
                if (s->bits > MAX_REPORT_BITS)
                    return HIDPOS_PARSE_MALFORMED;
            } else if (tag == 0xA) {
                if (++depth > MAX_DEPTH)
                    return HIDPOS_PARSE_MALFORMED;
            } else if (tag == 0xC) {
                if (--depth < 0)
                    return HIDPOS_PARSE_MALFORMED;
            }
            memset(&l, 0, sizeof l);
        } else if (type == 1) { /* global */
            switch (tag) {
            case 0x0: g.usage_page = v; break;
            case 0x7: g.report_size = v; break;
            case 0x8:
                if (v == 0 || v > 0xFF)
                    return HIDPOS_PARSE_MALFORMED;
                g.report_id = v;
                break;
            case 0x9: g.report_count = v; break;
            case 0xA:
                if (pushed >= MAX_DEPTH)
                    return HIDPOS_PARSE_MALFORMED;
                stack[pushed++] = g;
                break;
            case 0xB:
                if (pushed == 0)
                    return HIDPOS_PARSE_MALFORMED;
                g = stack[--pushed];
                break;
            default: break;
            }
        } else if (type == 2) { /* local */
            switch (tag) {
            case 0x0:
                if (l.nusages < MAX_USAGES) {
                    /* A short usage takes the page in force now (HID 1.11, 6.2.2.8). */
                    l.usages[l.nusages++] = size == 4 ? v : (g.usage_page << 16) | v;
                }
                break;
            case 0x1:
                l.min = v;
                l.have_min = true;
                break;
            case 0x2:
                l.max = v;
                l.have_max = true;
                break;
            default: break;
            }
        }
    }
    if (depth != 0)
        return HIDPOS_PARSE_MALFORMED;
    for (int r = 0; r < nreports; r++) {
        struct report_seen *s = &reports[r];
        if (!s->has_data)
            continue;
        if (s->layout.data_bit % 8 != 0 || s->bits % 8 != 0)
            return HIDPOS_PARSE_MALFORMED;
        *out = s->layout;
        out->report_id = (uint8_t)s->id;
        out->report_bytes = (size_t)(s->bits / 8);
        return HIDPOS_PARSE_OK;
    }
    return HIDPOS_PARSE_NOT_POS;
}

static unsigned byte_at(const uint8_t *report, long bit)
{
    /* Byte-sized fields may sit at any bit offset. */
    long byte = bit / 8;
    int shift = (int)(bit % 8);
    unsigned v = report[byte] >> shift;
    if (shift)
        v |= (unsigned)report[byte + 1] << (8 - shift);
    return v & 0xFF;
}

static bool fits(long bit, long width, size_t len)
{
    return bit < 0 || bit + width <= (long)len * 8;
}

bool hidpos_read_report(const struct hidpos_layout *l, const uint8_t *report, size_t len,
                        struct hidpos_piece *out)
{
    memset(out, 0, sizeof *out);
    if (len == 0 || (l->report_id != 0 && report[0] != l->report_id))
        return false;
    if (!fits(l->count_bit, 8, len) || !fits(l->continued_bit, 1, len) ||
        l->data_bit / 8 > (long)len)
        return false;
    for (int i = 0; i < 3; i++) {
        if (!fits(l->symbology_bit[i], 8, len))
            return false;
    }

    size_t room = len - (size_t)(l->data_bit / 8);
    if (room > l->data_bytes)
        room = l->data_bytes;
    out->data = report + l->data_bit / 8;
    if (l->count_bit >= 0) {
        size_t n = byte_at(report, l->count_bit);
        out->len = n < room ? n : room;
    } else {
        out->len = room;
        while (out->len > 0 && out->data[out->len - 1] == 0)
            out->len--;
    }
    int k = 0;
    for (int i = 0; i < 3; i++) {
        unsigned c = l->symbology_bit[i] >= 0 ? byte_at(report, l->symbology_bit[i]) : 0;
        if (c > 0x20 && c < 0x7F)
            out->symbology[k++] = (char)c;
    }
    out->symbology[k] = '\0';
    if (l->continued_bit >= 0)
        out->continued = (report[l->continued_bit / 8] >> (l->continued_bit % 8)) & 1;
    return true;
}

void hidpos_assembler_init(struct hidpos_assembler *a, int gap_ms, int max_len, code_sink_fn sink,
                           void *sink_ctx)
{
    memset(a, 0, sizeof *a);
    a->gap_ms = gap_ms;
    a->max_len = max_len > SCAN_CODE_MAX ? SCAN_CODE_MAX : max_len;
    a->sink = sink;
    a->sink_ctx = sink_ctx;
}

static void assembler_clear(struct hidpos_assembler *a)
{
    a->len = 0;
    a->open = false;
    a->too_long = false;
    a->buf[0] = '\0';
    a->symbology[0] = '\0';
}

static void assembler_emit(struct hidpos_assembler *a, bool ok, const char *reason)
{
    a->buf[a->len] = '\0';
    struct code_event ev = {
        .ok = ok, .reason = reason, .text = a->buf, .len = a->len, .symbology = a->symbology};
    a->sink(a->sink_ctx, &ev);
    assembler_clear(a);
}

void hidpos_assembler_report(struct hidpos_assembler *a, const struct hidpos_layout *l,
                             const uint8_t *report, size_t len, int64_t now_ms)
{
    struct hidpos_piece p;
    hidpos_assembler_tick(a, now_ms);
    if (!hidpos_read_report(l, report, len, &p))
        return;
    if (!a->open)
        memcpy(a->symbology, p.symbology, sizeof a->symbology);
    for (size_t i = 0; i < p.len; i++) {
        if (a->len >= (size_t)a->max_len) {
            a->too_long = true;
            break;
        }
        a->buf[a->len++] = (char)p.data[i];
    }
    a->last_at = now_ms;
    if (p.continued) {
        a->open = true;
        return;
    }
    /* A scanner set to add a suffix in HID POS mode too: CR/LF is not part of the code. */
    while (a->len > 0 && (a->buf[a->len - 1] == '\r' || a->buf[a->len - 1] == '\n'))
        a->len--;
    if (a->too_long)
        assembler_emit(a, false, "too long");
    else if (a->len > 0)
        assembler_emit(a, true, NULL);
    else
        assembler_clear(a);
}

void hidpos_assembler_tick(struct hidpos_assembler *a, int64_t now_ms)
{
    if (a->open && now_ms - a->last_at >= a->gap_ms)
        assembler_emit(a, false, "cut off: the continued report never came");
}

int64_t hidpos_assembler_deadline(const struct hidpos_assembler *a)
{
    return a->open ? a->last_at + a->gap_ms : -1;
}

void hidpos_assembler_reset(struct hidpos_assembler *a, const char *why)
{
    if (a->open)
        assembler_emit(a, false, why);
}
