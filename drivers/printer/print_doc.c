/*
 * print_doc.c - composing a receipt: strict UTF-8 measuring in printer columns and the
 * wrapping of text into lines that fit the paper. Pure; no I/O, no allocation.
 */
#include "print_doc.h"

#include <stdint.h>
#include <string.h>

/* Decodes one code point at s; returns its length in bytes, or 0 for anything that is not
 * well-formed UTF-8 (truncated, overlong, a surrogate, beyond U+10FFFF). */
static int utf8_decode(const unsigned char *s, uint32_t *cp)
{
    unsigned char c = s[0];
    int len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        v = c & 0x1Fu;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        v = c & 0x0Fu;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        v = c & 0x07u;
        min = 0x10000;
    } else {
        return 0;
    }
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xC0u) != 0x80u)
            return 0;
        v = (v << 6) | (s[i] & 0x3Fu);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

static bool is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

/* East Asian Wide and Fullwidth (Unicode UAX #11), the blocks a receipt meets: these take a
 * full 24x24 cell on the printer, two columns of the 12x24 font. */
static int cell_width(uint32_t cp)
{
    static const uint32_t wide[][2] = {
        {0x1100, 0x115F},   {0x2E80, 0xA4CF},   {0xAC00, 0xD7A3}, {0xF900, 0xFAFF},
        {0xFE30, 0xFE4F},   {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6}, {0x1F300, 0x1F64F},
        {0x1F900, 0x1F9FF}, {0x20000, 0x3FFFD},
    };
    for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++)
        if (cp >= wide[i][0] && cp <= wide[i][1])
            return 2;
    return 1;
}

/* The length and width of the character at s; 0 bytes when it is invalid or a control. */
static int next_char(const char *s, int *width)
{
    uint32_t cp;
    int len = utf8_decode((const unsigned char *)s, &cp);
    if (len == 0 || is_control(cp))
        return 0;
    *width = cell_width(cp);
    return len;
}

int doc_display_width(const char *utf8)
{
    int total = 0;
    for (const char *s = utf8; *s;) {
        int w, len = next_char(s, &w);
        if (len == 0)
            return -1;
        total += w;
        s += len;
    }
    return total;
}

bool doc_init(struct print_doc *d, int columns)
{
    if (columns != DOC_COLUMNS_58MM && columns != DOC_COLUMNS_80MM)
        return false;
    memset(d, 0, sizeof *d);
    d->columns = columns;
    return true;
}

static int style_columns(const struct print_doc *d, unsigned style)
{
    return (style & DOC_DOUBLE) ? d->columns / 2 : d->columns;
}

/* Lines laid out but not yet in the document, so a call that fails changes nothing. */
struct pending {
    int n;
    struct doc_line lines[DOC_MAX_LINES];
};

static bool pending_add(struct pending *p, enum doc_kind kind, enum doc_align align, unsigned style,
                        const char *text, size_t len)
{
    if (p->n >= DOC_MAX_LINES || len > DOC_TEXT_MAX)
        return false;
    struct doc_line *l = &p->lines[p->n++];
    memset(l, 0, sizeof *l);
    l->kind = kind;
    l->align = align;
    l->style = style;
    memcpy(l->text, text, len);
    return true;
}

static bool commit(struct print_doc *d, const struct pending *p)
{
    if (d->nlines + p->n > DOC_MAX_LINES)
        return false;
    memcpy(&d->lines[d->nlines], p->lines, (size_t)p->n * sizeof p->lines[0]);
    d->nlines += p->n;
    return true;
}

/* Greedy wrapping: a line ends at its last space when there is one, else before the
 * character that would overflow. Spaces at a break are dropped. */
static bool wrap_into(struct pending *p, int columns, enum doc_align align, unsigned style,
                      const char *utf8)
{
    if (doc_display_width(utf8) < 0)
        return false;
    if (*utf8 == '\0')
        return pending_add(p, DOC_TEXT, align, style, "", 0);
    const char *s = utf8;
    while (*s) {
        const char *line = s, *space = NULL, *end = s;
        int width = 0;
        bool seen_word = false;
        while (*end) {
            int w, len = next_char(end, &w);
            if (width + w > columns)
                break;
            if (*end == ' ' && seen_word)
                space = end;
            else if (*end != ' ')
                seen_word = true;
            width += w;
            end += len;
        }
        /* A word cut by the edge moves to the next line whole, when a space allows it. */
        if (*end && *end != ' ' && space)
            end = space;
        const char *trim = end;
        while (trim > line && trim[-1] == ' ')
            trim--;
        if (!pending_add(p, DOC_TEXT, align, style, line, (size_t)(trim - line)))
            return false;
        s = end;
        while (*s == ' ')
            s++;
    }
    return true;
}

bool doc_text(struct print_doc *d, enum doc_align align, unsigned style, const char *utf8)
{
    struct pending p = {0};
    if (align != DOC_LEFT && align != DOC_CENTER && align != DOC_RIGHT)
        return false;
    if (!wrap_into(&p, style_columns(d, style), align, style & (DOC_BOLD | DOC_DOUBLE), utf8))
        return false;
    return commit(d, &p);
}

bool doc_pair(struct print_doc *d, const char *label, const char *value)
{
    struct pending p = {0};
    int lw = doc_display_width(label), vw = doc_display_width(value);
    if (lw < 0 || vw < 0)
        return false;
    if (lw + 1 + vw <= d->columns) {
        char line[DOC_TEXT_MAX + 1];
        size_t ll = strlen(label), vl = strlen(value), pad = (size_t)(d->columns - lw - vw);
        if (ll + pad + vl > DOC_TEXT_MAX)
            return false;
        memcpy(line, label, ll);
        memset(line + ll, ' ', pad);
        memcpy(line + ll + pad, value, vl);
        if (!pending_add(&p, DOC_TEXT, DOC_LEFT, 0, line, ll + pad + vl))
            return false;
    } else if (!wrap_into(&p, d->columns, DOC_LEFT, 0, label) ||
               !wrap_into(&p, d->columns, DOC_RIGHT, 0, value)) {
        return false;
    }
    return commit(d, &p);
}

/* Appends one line that is not wrapped. */
static bool append_line(struct print_doc *d, enum doc_kind kind, const char *text, size_t len,
                        int n)
{
    if (d->nlines >= DOC_MAX_LINES || len > DOC_TEXT_MAX)
        return false;
    struct doc_line *l = &d->lines[d->nlines++];
    memset(l, 0, sizeof *l);
    l->kind = kind;
    l->align = kind == DOC_QR ? DOC_CENTER : DOC_LEFT;
    l->n = n;
    memcpy(l->text, text, len);
    return true;
}

bool doc_rule(struct print_doc *d)
{
    char dashes[DOC_COLUMNS_80MM];
    memset(dashes, '-', sizeof dashes);
    return append_line(d, DOC_RULE, dashes, (size_t)d->columns, 0);
}

bool doc_qr(struct print_doc *d, const char *payload)
{
    size_t len = strlen(payload);
    if (len == 0 || doc_display_width(payload) < 0)
        return false;
    return append_line(d, DOC_QR, payload, len, 0);
}

bool doc_feed(struct print_doc *d, int lines)
{
    if (lines < 1 || lines > 255)
        return false;
    return append_line(d, DOC_FEED, "", 0, lines);
}

bool doc_cut(struct print_doc *d)
{
    return append_line(d, DOC_CUT, "", 0, 0);
}
