/*
 * escpos.c - a print_doc as ESC/POS bytes (GB18030 text, native or raster QR codes), as the
 * plain text the virtual printer writes, and the DLE EOT status answers read back.
 * Each command and its source are listed in drivers/printer/README.md.
 */
#include "escpos.h"

#include <errno.h>
#include <iconv.h>
#include <qrencode.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ESC 0x1B
#define GS  0x1D
#define FS  0x1C
#define DLE 0x10
#define EOT 0x04
#define LF  0x0A

#define QR_DEFAULT_MODULE 6  /* dots; 0.75 mm at 203 dpi, read well by phones */
#define QR_MIN_MODULE     3  /* below this a phone no longer reads a thermal print */
#define QR_MAX_MODULE     16 /* GS ( k function 167 accepts 1..16 */
#define QR_QUIET          4  /* modules of white around a symbol (ISO/IEC 18004) */

/* A growing output buffer; a failed append leaves ok false and every later one a no-op. */
struct out {
    unsigned char *buf;
    size_t len, cap;
    bool ok;
};

static void put(struct out *o, const void *bytes, size_t n)
{
    if (!o->ok)
        return;
    if (o->len + n > o->cap) {
        size_t cap = o->cap ? o->cap : 1024;
        while (cap < o->len + n)
            cap *= 2;
        unsigned char *nb = realloc(o->buf, cap);
        if (!nb) {
            o->ok = false;
            return;
        }
        o->buf = nb;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, bytes, n);
    o->len += n;
}

static void put_bytes(struct out *o, int n, ...)
{
    unsigned char b[16];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        b[i] = (unsigned char)va_arg(ap, int);
    va_end(ap);
    put(o, b, (size_t)n);
}

static void put_str(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void __attribute__((format(printf, 3, 4)))
set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int paper_dots(int columns)
{
    return columns == DOC_COLUMNS_58MM ? 384 : 576;
}

/* The symbol of a QR line and its module size in dots, checked to fit the paper. */
static enum escpos_status encode_qr(const struct print_doc *d, const struct doc_line *l, int index,
                                    QRcode **qr, int *module, char *err, size_t errlen)
{
    if (l->n < 0 || l->n > QR_MAX_MODULE) {
        set_err(err, errlen, "line %d: QR module size %d is not 0..%d", index + 1, l->n,
                QR_MAX_MODULE);
        return ESCPOS_QR_FAILED;
    }
    *qr = QRcode_encodeString(l->text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!*qr) {
        set_err(err, errlen, "line %d: libqrencode refused the QR payload (%s)", index + 1,
                errno == ERANGE ? "too long" : "invalid");
        return errno == ENOMEM ? ESCPOS_NO_MEMORY : ESCPOS_QR_FAILED;
    }
    int modules = (*qr)->width + 2 * QR_QUIET, dots = paper_dots(d->columns);
    int m = l->n ? l->n : QR_DEFAULT_MODULE;
    if (!l->n)
        while (m > QR_MIN_MODULE && modules * m > dots)
            m--;
    if (modules * m > dots) {
        set_err(err, errlen, "line %d: QR code of %d bytes is %d dots wide, the paper %d",
                index + 1, (int)strlen(l->text), modules * m, dots);
        QRcode_free(*qr);
        *qr = NULL;
        return ESCPOS_QR_FAILED;
    }
    *module = m;
    return ESCPOS_OK;
}

/* GS ( k, cn 49: model 2 (165), module size (167), error correction M (169), store (180),
 * print (181). */
static void put_native_qr(struct out *o, const char *payload, int module)
{
    size_t k = strlen(payload) + 3;
    put_bytes(o, 9, GS, '(', 'k', 4, 0, 49, 65, 50, 0);
    put_bytes(o, 8, GS, '(', 'k', 3, 0, 49, 67, module);
    put_bytes(o, 8, GS, '(', 'k', 3, 0, 49, 69, 49);
    put_bytes(o, 8, GS, '(', 'k', (int)(k & 0xFF), (int)(k >> 8), 49, 80, 48);
    put_str(o, payload);
    put_bytes(o, 8, GS, '(', 'k', 3, 0, 49, 81, 48);
}

/* GS v 0, mode 0: rows of (xL + xH*256) bytes, most significant bit the leftmost dot. */
static void put_raster_qr(struct out *o, const QRcode *qr, int module)
{
    int modules = qr->width + 2 * QR_QUIET, dots = modules * module;
    int row_bytes = (dots + 7) / 8;
    unsigned char *row = calloc((size_t)row_bytes, 1);
    if (!row) {
        o->ok = false;
        return;
    }
    put_bytes(o, 8, GS, 'v', '0', 0, row_bytes & 0xFF, row_bytes >> 8, dots & 0xFF, dots >> 8);
    for (int y = 0; y < modules; y++) {
        memset(row, 0, (size_t)row_bytes);
        int qy = y - QR_QUIET;
        for (int x = 0; x < modules; x++) {
            int qx = x - QR_QUIET;
            bool dark = qy >= 0 && qy < qr->width && qx >= 0 && qx < qr->width &&
                        (qr->data[qy * qr->width + qx] & 1);
            if (!dark)
                continue;
            for (int dx = 0; dx < module; dx++) {
                int bit = x * module + dx;
                row[bit / 8] |= (unsigned char)(0x80u >> (bit % 8));
            }
        }
        for (int dy = 0; dy < module; dy++)
            put(o, row, (size_t)row_bytes);
    }
    free(row);
}

/* The printer's state that the bytes so far have set, so each command is sent on change. */
struct mode {
    int align, bold, size;
};

static void set_mode(struct out *o, struct mode *m, int align, int bold, int size)
{
    if (m->align != align)
        put_bytes(o, 3, ESC, 'a', align);
    if (m->bold != bold)
        put_bytes(o, 3, ESC, 'E', bold);
    if (m->size != size)
        put_bytes(o, 3, GS, '!', size);
    m->align = align;
    m->bold = bold;
    m->size = size;
}

static enum escpos_status put_gb18030(struct out *o, iconv_t cd, const struct doc_line *l,
                                      int index, char *err, size_t errlen)
{
    if (doc_display_width(l->text) < 0) {
        set_err(err, errlen, "line %d: not UTF-8 or holds a control character", index + 1);
        return ESCPOS_BAD_TEXT;
    }
    char in[DOC_TEXT_MAX + 1], outbuf[4 * (DOC_TEXT_MAX + 1)];
    memcpy(in, l->text, sizeof in);
    char *ip = in, *op = outbuf;
    size_t il = strlen(in), ol = sizeof outbuf;
    iconv(cd, NULL, NULL, NULL, NULL);
    if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1) {
        set_err(err, errlen, "line %d: GB18030 cannot hold \"%s\"", index + 1, l->text);
        return ESCPOS_BAD_TEXT;
    }
    put(o, outbuf, (size_t)(op - outbuf));
    return ESCPOS_OK;
}

static enum escpos_status render_line(struct out *o, struct mode *m, iconv_t cd,
                                      const struct print_doc *d, const struct escpos_options *opt,
                                      int i, char *err, size_t errlen)
{
    const struct doc_line *l = &d->lines[i];
    enum escpos_status st = ESCPOS_OK;
    switch (l->kind) {
    case DOC_TEXT:
        set_mode(o, m, (int)l->align, (l->style & DOC_BOLD) ? 1 : 0,
                 (l->style & DOC_DOUBLE) ? 0x11 : 0);
        st = put_gb18030(o, cd, l, i, err, errlen);
        put_bytes(o, 1, LF);
        return st;
    case DOC_RULE:
        set_mode(o, m, DOC_LEFT, 0, 0);
        for (int c = 0; c < d->columns; c++)
            put_bytes(o, 1, '-');
        put_bytes(o, 1, LF);
        return ESCPOS_OK;
    case DOC_QR: {
        QRcode *qr;
        int module;
        st = encode_qr(d, l, i, &qr, &module, err, errlen);
        if (st != ESCPOS_OK)
            return st;
        set_mode(o, m, DOC_CENTER, m->bold, m->size);
        if (opt->native_qr)
            put_native_qr(o, l->text, module);
        else
            put_raster_qr(o, qr, module);
        QRcode_free(qr);
        return ESCPOS_OK;
    }
    case DOC_FEED: put_bytes(o, 3, ESC, 'd', l->n); return ESCPOS_OK;
    case DOC_CUT: put_bytes(o, 4, GS, 'V', 66, 0); return ESCPOS_OK;
    }
    set_err(err, errlen, "line %d: unknown kind %d", i + 1, (int)l->kind);
    return ESCPOS_BAD_TEXT;
}

static bool doc_shape_ok(const struct print_doc *d, char *err, size_t errlen)
{
    if ((d->columns != DOC_COLUMNS_58MM && d->columns != DOC_COLUMNS_80MM) || d->nlines < 0 ||
        d->nlines > DOC_MAX_LINES) {
        set_err(err, errlen, "not a print_doc (columns %d, %d lines)", d->columns, d->nlines);
        return false;
    }
    for (int i = 0; i < d->nlines; i++)
        if (memchr(d->lines[i].text, '\0', sizeof d->lines[i].text) == NULL) {
            set_err(err, errlen, "line %d: text not terminated", i + 1);
            return false;
        }
    return true;
}

enum escpos_status escpos_render(const struct print_doc *d, const struct escpos_options *opt,
                                 unsigned char **out, size_t *len, char *err, size_t errlen)
{
    if (!doc_shape_ok(d, err, errlen))
        return ESCPOS_BAD_TEXT;
    iconv_t cd = iconv_open("GB18030", "UTF-8");
    if (cd == (iconv_t)-1) {
        set_err(err, errlen, "iconv has no UTF-8 to GB18030: %s", strerror(errno));
        return ESCPOS_BAD_TEXT;
    }
    struct out o = {.ok = true};
    struct mode m = {0, 0, 0}; /* what ESC @ leaves */
    put_bytes(&o, 2, ESC, '@');
    put_bytes(&o, 2, FS, '&');
    enum escpos_status st = ESCPOS_OK;
    for (int i = 0; i < d->nlines && st == ESCPOS_OK; i++)
        st = render_line(&o, &m, cd, d, opt, i, err, errlen);
    iconv_close(cd);
    if (st == ESCPOS_OK && !o.ok) {
        set_err(err, errlen, "out of memory");
        st = ESCPOS_NO_MEMORY;
    }
    if (st != ESCPOS_OK) {
        free(o.buf);
        return st;
    }
    *out = o.buf;
    *len = o.len;
    return ESCPOS_OK;
}

void escpos_free(unsigned char *bytes)
{
    free(bytes);
}

static void put_spaces(struct out *o, int n)
{
    for (int i = 0; i < n; i++)
        put_bytes(o, 1, ' ');
}

/* Two module rows per text line: upper half, lower half, both, or neither. */
static void text_qr(struct out *o, const QRcode *qr, int columns)
{
    int modules = qr->width + 2 * QR_QUIET;
    int indent = modules < columns ? (columns - modules) / 2 : 0;
    for (int y = 0; y < modules; y += 2) {
        put_spaces(o, indent);
        for (int x = 0; x < modules; x++) {
            bool up = false, down = false;
            int qx = x - QR_QUIET, qy = y - QR_QUIET;
            if (qx >= 0 && qx < qr->width) {
                if (qy >= 0 && qy < qr->width)
                    up = qr->data[qy * qr->width + qx] & 1;
                if (qy + 1 >= 0 && qy + 1 < qr->width)
                    down = qr->data[(qy + 1) * qr->width + qx] & 1;
            }
            put_str(o, up && down ? "█" : up ? "▀" : down ? "▄" : " ");
        }
        put_bytes(o, 1, '\n');
    }
}

static enum escpos_status text_line(struct out *o, const struct print_doc *d, int i, char *err,
                                    size_t errlen)
{
    const struct doc_line *l = &d->lines[i];
    switch (l->kind) {
    case DOC_TEXT: {
        int w = doc_display_width(l->text);
        if (w < 0) {
            set_err(err, errlen, "line %d: not UTF-8 or holds a control character", i + 1);
            return ESCPOS_BAD_TEXT;
        }
        /* Double size takes two columns a character on paper. */
        if (l->style & DOC_DOUBLE)
            w *= 2;
        int room = d->columns - w > 0 ? d->columns - w : 0;
        put_spaces(o, l->align == DOC_CENTER ? room / 2 : l->align == DOC_RIGHT ? room : 0);
        put_str(o, l->text);
        put_bytes(o, 1, '\n');
        return ESCPOS_OK;
    }
    case DOC_RULE:
        for (int c = 0; c < d->columns; c++)
            put_bytes(o, 1, '-');
        put_bytes(o, 1, '\n');
        return ESCPOS_OK;
    case DOC_QR: {
        QRcode *qr;
        int module;
        enum escpos_status st = encode_qr(d, l, i, &qr, &module, err, errlen);
        if (st != ESCPOS_OK)
            return st;
        text_qr(o, qr, d->columns);
        QRcode_free(qr);
        return ESCPOS_OK;
    }
    case DOC_FEED:
        for (int n = 0; n < l->n; n++)
            put_bytes(o, 1, '\n');
        return ESCPOS_OK;
    case DOC_CUT:
        put_str(o, "- - ✂");
        for (int c = 5; c + 1 < d->columns; c += 2)
            put_str(o, " -");
        put_bytes(o, 1, '\n');
        return ESCPOS_OK;
    }
    set_err(err, errlen, "line %d: unknown kind %d", i + 1, (int)l->kind);
    return ESCPOS_BAD_TEXT;
}

enum escpos_status escpos_render_text(const struct print_doc *d, char **out, size_t *len, char *err,
                                      size_t errlen)
{
    if (!doc_shape_ok(d, err, errlen))
        return ESCPOS_BAD_TEXT;
    struct out o = {.ok = true};
    enum escpos_status st = ESCPOS_OK;
    for (int i = 0; i < d->nlines && st == ESCPOS_OK; i++)
        st = text_line(&o, d, i, err, errlen);
    put_bytes(&o, 1, '\0');
    if (st == ESCPOS_OK && !o.ok) {
        set_err(err, errlen, "out of memory");
        st = ESCPOS_NO_MEMORY;
    }
    if (st != ESCPOS_OK) {
        free(o.buf);
        return st;
    }
    *out = (char *)o.buf;
    *len = o.len - 1;
    return ESCPOS_OK;
}

void escpos_status_request(int n, unsigned char out[ESCPOS_STATUS_REQUEST_LEN])
{
    out[0] = DLE;
    out[1] = EOT;
    out[2] = (unsigned char)n;
}

bool escpos_status_parse(int n, uint8_t answer, struct escpos_status_bits *bits)
{
    if ((answer & 0x93) != 0x12)
        return false;
    switch (n) {
    case 1: bits->offline = answer & 0x08; return true;
    case 2:
        bits->cover_open = answer & 0x04;
        bits->paper_out = answer & 0x20;
        bits->error = answer & 0x40;
        return true;
    case 4:
        bits->paper_near_end = answer & 0x0C;
        bits->paper_out = bits->paper_out || (answer & 0x60);
        return true;
    default: return false;
    }
}
