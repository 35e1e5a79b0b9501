/*
 * escpos_decode.c - the ESC/POS reader of escpos_decode.h: a small interpreter holding the
 * printer's settings (alignment, emphasis, sizes, Chinese mode, the QR symbol settings and
 * storage) and a line buffer that LF prints. Every command's ranges are those of Epson's
 * ESC/POS command reference; the ones a command does not allow are decoding errors, because
 * a driver that sends them is relying on one printer's leniency.
 */
#include "escpos_decode.h"

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { ESC = 0x1b, GS = 0x1d, FS = 0x1c, DLE = 0x10, LF = 0x0a, EOT = 0x04 };

struct char_style {
    bool bold, underline, font_b;
    int width, height;
};

struct decoder {
    const unsigned char *bytes;
    size_t len, pos;
    struct decoded_receipt *r;
    iconv_t gb18030;

    enum decoded_align align;
    bool bold, underline, font_b, chinese;
    int ank_width, ank_height, kanji_width, kanji_height;

    int qr_model, qr_module;
    char qr_ec;
    unsigned char *qr_data;
    size_t qr_len;
    bool qr_stored;

    /* the line being filled: UTF-8, the style of its first character, whether another differs */
    char *line;
    size_t line_len, line_cap, line_offset;
    enum decoded_align line_align;
    struct char_style line_style;
    bool line_mixed;
};

static bool fail(struct decoder *d, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail(struct decoder *d, size_t offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->r->error, sizeof d->r->error, fmt, ap);
    va_end(ap);
    d->r->failed = true;
    d->r->error_offset = offset;
    return false;
}

/* The parameter bytes of a command starting at `at`: false (truncated) when they are not all
 * there. */
static bool need(struct decoder *d, size_t at, size_t n, const char *name)
{
    if (d->len - at < n)
        return fail(d, at, "%s: input ends inside the command (%zu of %zu bytes)", name,
                    d->len - at, n);
    return true;
}

static struct decoded_element *push(struct decoder *d, enum decoded_kind kind, size_t offset)
{
    struct decoded_receipt *r = d->r;
    if (r->count == r->capacity) {
        size_t cap = r->capacity ? r->capacity * 2 : 32;
        struct decoded_element *el = realloc(r->elements, cap * sizeof *el);
        if (!el) {
            fail(d, offset, "out of memory");
            return NULL;
        }
        r->elements = el;
        r->capacity = cap;
    }
    struct decoded_element *e = &r->elements[r->count++];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->offset = offset;
    e->align = d->align;
    return e;
}

static void reset_settings(struct decoder *d)
{
    d->align = DECODED_LEFT;
    d->bold = d->underline = d->font_b = d->chinese = false;
    d->ank_width = d->ank_height = d->kanji_width = d->kanji_height = 1;
    d->qr_model = 2;
    d->qr_module = 3;
    d->qr_ec = 'L';
    free(d->qr_data);
    d->qr_data = NULL;
    d->qr_len = 0;
    d->qr_stored = false;
}

/* Field by field: the struct's padding bytes are not part of the style. */
static bool same_style(struct char_style a, struct char_style b)
{
    return a.bold == b.bold && a.underline == b.underline && a.font_b == b.font_b &&
           a.width == b.width && a.height == b.height;
}

static bool line_append(struct decoder *d, const char *utf8, size_t n, struct char_style st,
                        size_t offset)
{
    if (d->line_len == 0) {
        d->line_offset = offset;
        d->line_align = d->align;
        d->line_style = st;
        d->line_mixed = false;
    } else if (!same_style(st, d->line_style)) {
        d->line_mixed = true;
    }
    if (d->line_len + n + 1 > d->line_cap) {
        size_t cap = d->line_cap ? d->line_cap * 2 : 128;
        while (cap < d->line_len + n + 1)
            cap *= 2;
        char *p = realloc(d->line, cap);
        if (!p)
            return fail(d, offset, "out of memory");
        d->line = p;
        d->line_cap = cap;
    }
    memcpy(d->line + d->line_len, utf8, n);
    d->line_len += n;
    d->line[d->line_len] = '\0';
    return true;
}

static bool print_line(struct decoder *d)
{
    struct decoded_element *e = push(d, DECODED_TEXT, d->line_offset);
    if (!e)
        return false;
    e->text = strdup(d->line);
    if (!e->text)
        return fail(d, d->line_offset, "out of memory");
    e->align = d->line_align;
    e->bold = d->line_style.bold;
    e->underline = d->line_style.underline;
    e->font_b = d->line_style.font_b;
    e->width = d->line_style.width;
    e->height = d->line_style.height;
    e->mixed = d->line_mixed;
    d->line_len = 0;
    return true;
}

static bool feed(struct decoder *d, size_t offset, int lines)
{
    struct decoded_element *e = push(d, DECODED_FEED, offset);
    if (!e)
        return false;
    e->n = lines;
    return true;
}

/* Commands that the printer honours only at the beginning of a line. */
static bool at_line_start(struct decoder *d, size_t at, const char *name)
{
    if (d->line_len > 0)
        return fail(d, at, "%s in the middle of a line (printers ignore it there)", name);
    return true;
}

static struct char_style ank_style(const struct decoder *d)
{
    return (struct char_style){d->bold, d->underline, d->font_b, d->ank_width, d->ank_height};
}

static struct char_style kanji_style(const struct decoder *d)
{
    return (struct char_style){d->bold, false, false, d->kanji_width, d->kanji_height};
}

/* One GB18030 character (2 or 4 bytes) at d->pos in Chinese mode. */
static bool kanji(struct decoder *d)
{
    size_t at = d->pos;
    const unsigned char *b = d->bytes + at;
    size_t n;
    if (!need(d, at, 2, "GB18030 character"))
        return false;
    if (b[1] >= 0x30 && b[1] <= 0x39) {
        n = 4;
        if (!need(d, at, 4, "GB18030 character"))
            return false;
    } else {
        n = 2;
    }
    char in[4], out[8];
    memcpy(in, b, n);
    char *ip = in, *op = out;
    size_t il = n, ol = sizeof out;
    iconv(d->gb18030, NULL, NULL, NULL, NULL);
    if (iconv(d->gb18030, &ip, &il, &op, &ol) == (size_t)-1 || il != 0)
        return fail(d, at, "bytes %02x %02x are not a GB18030 character", b[0], b[1]);
    d->pos += n;
    return line_append(d, out, (size_t)(op - out), kanji_style(d), at);
}

/* Well-formed UTF-8 (no overlong forms checked: the payloads here are ASCII or CJK). */
static bool utf8_valid(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        int follow = s[i] < 0x80             ? 0
                     : (s[i] & 0xe0) == 0xc0 ? 1
                     : (s[i] & 0xf0) == 0xe0 ? 2
                     : (s[i] & 0xf8) == 0xf0 ? 3
                                             : -1;
        if (follow < 0 || (size_t)follow > n - i - 1)
            return false;
        for (int k = 1; k <= follow; k++)
            if ((s[i + (size_t)k] & 0xc0) != 0x80)
                return false;
        i += (size_t)follow + 1;
    }
    return true;
}

static bool qr_function(struct decoder *d, size_t at)
{
    /* GS ( k pL pH cn fn [parameters]: pL + pH*256 bytes follow pH */
    if (!need(d, at, 5, "GS ( k"))
        return false;
    size_t plen = d->bytes[at + 3] + 256u * d->bytes[at + 4];
    if (plen < 2)
        return fail(d, at, "GS ( k: parameter length %zu (cn and fn at least)", plen);
    if (!need(d, at, 5 + plen, "GS ( k"))
        return false;
    const unsigned char *p = d->bytes + at + 5;
    int cn = p[0], fn = p[1];
    d->pos = at + 5 + plen;
    if (cn != 49)
        return fail(d, at, "GS ( k: symbol cn=%d is not QR Code (49)", cn);
    switch (fn) {
    case 65: /* select the model: n1 49/50 (model 1/2), n2 0 */
        if (plen != 4 || (p[2] != 49 && p[2] != 50) || p[3] != 0)
            return fail(d, at, "GS ( k fn 65 (QR model): bad parameters");
        d->qr_model = p[2] - 48;
        return true;
    case 67: /* module size in dots, 1..16 */
        if (plen != 3 || p[2] < 1 || p[2] > 16)
            return fail(d, at, "GS ( k fn 67 (QR module size): bad parameters");
        d->qr_module = p[2];
        return true;
    case 69: /* error correction 48..51 = L, M, Q, H */
        if (plen != 3 || p[2] < 48 || p[2] > 51)
            return fail(d, at, "GS ( k fn 69 (QR error correction): bad parameters");
        d->qr_ec = "LMQH"[p[2] - 48];
        return true;
    case 80: { /* store: m = 48, then the data */
        if (plen < 4 || p[2] != 48)
            return fail(d, at, "GS ( k fn 80 (QR store): bad parameters");
        size_t n = plen - 3;
        unsigned char *data = malloc(n + 1);
        if (!data)
            return fail(d, at, "out of memory");
        memcpy(data, p + 3, n);
        data[n] = 0;
        free(d->qr_data);
        d->qr_data = data;
        d->qr_len = n;
        d->qr_stored = true;
        return true;
    }
    case 81: { /* print the stored symbol: m = 48 */
        if (plen != 3 || p[2] != 48)
            return fail(d, at, "GS ( k fn 81 (QR print): bad parameters");
        if (!at_line_start(d, at, "GS ( k fn 81 (QR print)"))
            return false;
        if (!d->qr_stored)
            return fail(d, at, "GS ( k fn 81: no QR data stored (fn 80) since the last ESC @");
        if (memchr(d->qr_data, 0, d->qr_len))
            return fail(d, at, "GS ( k fn 81: stored QR data holds a NUL byte");
        if (!utf8_valid(d->qr_data, d->qr_len))
            return fail(d, at, "GS ( k fn 81: stored QR data is not UTF-8");
        struct decoded_element *e = push(d, DECODED_QR_NATIVE, at);
        if (!e)
            return false;
        e->text = strdup((const char *)d->qr_data);
        if (!e->text)
            return fail(d, at, "out of memory");
        e->qr_model = d->qr_model;
        e->qr_module = d->qr_module;
        e->qr_ec = d->qr_ec;
        return true;
    }
    default: return fail(d, at, "GS ( k: QR function fn=%d not supported", fn);
    }
}

static bool raster_image(struct decoder *d, size_t at)
{
    /* GS v 0 m xL xH yL yH d1...dk, k = (xL + xH*256) * (yL + yH*256) */
    if (!need(d, at, 8, "GS v 0"))
        return false;
    const unsigned char *p = d->bytes + at;
    int m = p[3];
    size_t xbytes = p[4] + 256u * p[5], rows = p[6] + 256u * p[7];
    if (!((m >= 0 && m <= 3) || (m >= 48 && m <= 51)))
        return fail(d, at, "GS v 0: mode m=%d out of range", m);
    if (xbytes == 0 || rows == 0)
        return fail(d, at, "GS v 0: empty image (%zu bytes x %zu rows)", xbytes, rows);
    if (!at_line_start(d, at, "GS v 0"))
        return false;
    size_t k = xbytes * rows;
    if (!need(d, at, 8 + k, "GS v 0"))
        return false;
    int sx = (m & 1) ? 2 : 1, sy = (m & 2) ? 2 : 1;
    size_t w = xbytes * 8 * (size_t)sx, h = rows * (size_t)sy;
    unsigned char *px = malloc(w * h);
    if (!px)
        return fail(d, at, "out of memory");
    const unsigned char *data = p + 8;
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++) {
            size_t sxp = x / (size_t)sx, syp = y / (size_t)sy;
            px[y * w + x] = (data[syp * xbytes + sxp / 8] >> (7 - sxp % 8)) & 1;
        }
    struct decoded_element *e = push(d, DECODED_IMAGE, at);
    if (!e) {
        free(px);
        return false;
    }
    e->image_width = (int)w;
    e->image_height = (int)h;
    e->pixels = px;
    d->pos = at + 8 + k;
    return true;
}

static bool cut(struct decoder *d, size_t at)
{
    if (!need(d, at, 3, "GS V"))
        return false;
    int m = d->bytes[at + 2], n = 0;
    bool full;
    size_t size = 3;
    switch (m) {
    case 0:
    case 48: full = true; break;
    case 1:
    case 49: full = false; break;
    case 65:
    case 66:
        if (!need(d, at, 4, "GS V"))
            return false;
        full = m == 65;
        n = d->bytes[at + 3];
        size = 4;
        break;
    default: return fail(d, at, "GS V: cut mode m=%d not supported", m);
    }
    if (!at_line_start(d, at, "GS V"))
        return false;
    struct decoded_element *e = push(d, DECODED_CUT, at);
    if (!e)
        return false;
    e->full_cut = full;
    e->n = n;
    d->pos = at + size;
    return true;
}

static bool esc_command(struct decoder *d, size_t at)
{
    if (!need(d, at, 2, "ESC"))
        return false;
    int c = d->bytes[at + 1];
    if (c == '@') {
        if (d->line_len > 0)
            return fail(d, at, "ESC @ discards a line never printed");
        reset_settings(d);
        d->pos = at + 2;
        return push(d, DECODED_INIT, at) != NULL;
    }
    const char *name;
    switch (c) {
    case 'a': name = "ESC a"; break;
    case 'E': name = "ESC E"; break;
    case '!': name = "ESC !"; break;
    case 'd': name = "ESC d"; break;
    case 't': name = "ESC t"; break;
    case 'R': name = "ESC R"; break;
    default: return fail(d, at, "unsupported command ESC 0x%02x", c);
    }
    if (!need(d, at, 3, name))
        return false;
    int n = d->bytes[at + 2];
    d->pos = at + 3;
    switch (c) {
    case 'a':
        if (!at_line_start(d, at, "ESC a"))
            return false;
        if (n == 0 || n == 48)
            d->align = DECODED_LEFT;
        else if (n == 1 || n == 49)
            d->align = DECODED_CENTER;
        else if (n == 2 || n == 50)
            d->align = DECODED_RIGHT;
        else
            return fail(d, at, "ESC a: justification n=%d out of range", n);
        return true;
    case 'E': d->bold = n & 1; return true;
    case '!':
        /* bit 0 font B, 3 emphasized, 4 double height, 5 double width, 7 underline */
        d->font_b = n & 0x01;
        d->bold = n & 0x08;
        d->ank_height = (n & 0x10) ? 2 : 1;
        d->ank_width = (n & 0x20) ? 2 : 1;
        d->underline = n & 0x80;
        return true;
    case 'd':
        /* prints the line buffer (that is the first line fed), then feeds the rest */
        if (d->line_len > 0) {
            if (!print_line(d))
                return false;
            return n <= 1 || feed(d, at, n - 1);
        }
        return n == 0 || feed(d, at, n);
    case 't':
    case 'R': return true; /* code table, international set: the text must be ASCII anyway */
    }
    return true;
}

static bool gs_command(struct decoder *d, size_t at)
{
    if (!need(d, at, 2, "GS"))
        return false;
    int c = d->bytes[at + 1];
    switch (c) {
    case '!': {
        if (!need(d, at, 3, "GS !"))
            return false;
        int n = d->bytes[at + 2], w = (n >> 4) + 1, h = (n & 0x0f) + 1;
        if (w > 8 || h > 8)
            return fail(d, at, "GS !: character size 0x%02x out of range", n);
        d->ank_width = d->kanji_width = w;
        d->ank_height = d->kanji_height = h;
        d->pos = at + 3;
        return true;
    }
    case 'V': return cut(d, at);
    case '(':
        if (!need(d, at, 3, "GS ("))
            return false;
        if (d->bytes[at + 2] != 'k')
            return fail(d, at, "unsupported command GS ( 0x%02x", d->bytes[at + 2]);
        return qr_function(d, at);
    case 'v':
        if (!need(d, at, 3, "GS v"))
            return false;
        if (d->bytes[at + 2] != '0')
            return fail(d, at, "unsupported command GS v 0x%02x", d->bytes[at + 2]);
        return raster_image(d, at);
    default: return fail(d, at, "unsupported command GS 0x%02x", c);
    }
}

static bool step(struct decoder *d)
{
    size_t at = d->pos;
    unsigned char b = d->bytes[at];
    switch (b) {
    case LF: d->pos++; return d->line_len > 0 ? print_line(d) : feed(d, at, 1);
    case ESC: return esc_command(d, at);
    case GS: return gs_command(d, at);
    case FS:
        if (!need(d, at, 2, "FS"))
            return false;
        if (d->bytes[at + 1] == '&')
            d->chinese = true;
        else if (d->bytes[at + 1] == '.')
            d->chinese = false;
        else
            return fail(d, at, "unsupported command FS 0x%02x", d->bytes[at + 1]);
        d->pos += 2;
        return true;
    case DLE: {
        if (!need(d, at, 3, "DLE EOT"))
            return false;
        int n = d->bytes[at + 2];
        if (d->bytes[at + 1] != EOT)
            return fail(d, at, "unsupported command DLE 0x%02x", d->bytes[at + 1]);
        if (n < 1 || n > 4)
            return fail(d, at, "DLE EOT: n=%d out of range 1..4", n);
        struct decoded_element *e = push(d, DECODED_STATUS_REQUEST, at);
        if (!e)
            return false;
        e->n = n;
        d->pos += 3;
        return true;
    }
    }
    if (b >= 0x20 && b < 0x7f) {
        char c = (char)b;
        d->pos++;
        return line_append(d, &c, 1, ank_style(d), at);
    }
    if (b >= 0x81 && b <= 0xfe && d->chinese)
        return kanji(d);
    if (b >= 0x80)
        return fail(d, at, "byte 0x%02x: not ASCII %s", b,
                    d->chinese ? "nor a GB18030 lead byte" : "and Chinese mode (FS &) is off");
    return fail(d, at, "unsupported control byte 0x%02x", b);
}

bool decode_escpos(const unsigned char *bytes, size_t len, struct decoded_receipt *r)
{
    memset(r, 0, sizeof *r);
    struct decoder d = {.bytes = bytes, .len = len, .r = r};
    d.gb18030 = iconv_open("UTF-8", "GB18030");
    if (d.gb18030 == (iconv_t)-1)
        return fail(&d, 0, "iconv cannot convert GB18030: %s", strerror(errno));
    reset_settings(&d);
    bool ok = true;
    while (ok && d.pos < d.len)
        ok = step(&d);
    if (ok && d.line_len > 0)
        ok = fail(&d, d.line_offset, "text never printed (no LF after it)");
    iconv_close(d.gb18030);
    free(d.qr_data);
    free(d.line);
    return ok;
}

void decoded_receipt_free(struct decoded_receipt *r)
{
    for (size_t i = 0; i < r->count; i++) {
        free(r->elements[i].text);
        free(r->elements[i].pixels);
    }
    free(r->elements);
    memset(r, 0, sizeof *r);
}

/* Writes the image as a binary PGM with a quiet zone of `margin` white dots around it. */
static bool write_pgm(const struct decoded_element *e, int fd, int margin)
{
    int w = e->image_width + 2 * margin, h = e->image_height + 2 * margin;
    FILE *f = fdopen(fd, "wb");
    if (!f)
        return false;
    fprintf(f, "P5\n%d %d\n255\n", w, h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int ix = x - margin, iy = y - margin;
            bool black = ix >= 0 && iy >= 0 && ix < e->image_width && iy < e->image_height &&
                         e->pixels[(size_t)iy * (size_t)e->image_width + (size_t)ix];
            fputc(black ? 0 : 255, f);
        }
    return fclose(f) == 0;
}

int decoded_image_read_qr(const struct decoded_element *e, char *out, size_t outlen, char *err,
                          size_t errlen)
{
    char path[] = "/tmp/escpos-decode-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create a temporary image: %s", strerror(errno));
        return -1;
    }
    if (!write_pgm(e, fd, 32)) {
        unlink(path);
        snprintf(err, errlen, "cannot write the temporary image %s", path);
        return -1;
    }
    int pipefd[2];
    if (pipe(pipefd) != 0) {
        unlink(path);
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        /* its stderr is only ImageMagick's complaints about D-Bus; its exit status tells */
        int devnull = open("/dev/null", O_WRONLY);
        dup2(pipefd[1], 1);
        if (devnull >= 0)
            dup2(devnull, 2);
        close(pipefd[0]);
        close(pipefd[1]);
        execlp("zbarimg", "zbarimg", "--raw", "-q", path, (char *)NULL);
        _exit(127);
    }
    close(pipefd[1]);
    size_t got = 0;
    bool too_long = false;
    ssize_t n;
    char spill[256];
    while (got < outlen - 1 && (n = read(pipefd[0], out + got, outlen - 1 - got)) > 0)
        got += (size_t)n;
    while ((n = read(pipefd[0], spill, sizeof spill)) > 0)
        too_long = true; /* drained so that zbarimg is never left blocked on a full pipe */
    close(pipefd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    unlink(path);
    out[got] = '\0';
    if (!WIFEXITED(status) || WEXITSTATUS(status) == 127) {
        snprintf(err, errlen, "zbarimg cannot be run (apt-get install zbar-tools)");
        return -1;
    }
    /* zbarimg: 0 = a code read, 4 = none found, others = it failed */
    if (WEXITSTATUS(status) == 4)
        return 0;
    if (WEXITSTATUS(status) != 0) {
        snprintf(err, errlen, "zbarimg failed (exit %d)", WEXITSTATUS(status));
        return -1;
    }
    if (too_long) {
        snprintf(err, errlen, "zbarimg read a code longer than %zu bytes", outlen - 1);
        return -1;
    }
    if (got > 0 && out[got - 1] == '\n')
        out[--got] = '\0';
    if (strchr(out, '\n')) {
        snprintf(err, errlen, "zbarimg read more than one code in one image");
        return -1;
    }
    return 1;
}

void write_json_string(const char *s, FILE *out)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

static const char *align_name(enum decoded_align a)
{
    return a == DECODED_CENTER ? "center" : a == DECODED_RIGHT ? "right" : "left";
}

void decoded_element_write_json(const struct decoded_element *e, const char *qr_payload, FILE *out)
{
    switch (e->kind) {
    case DECODED_TEXT: {
        bool dbl = e->width == 2 && e->height == 2;
        fputs("{\"text\":", out);
        write_json_string(e->text, out);
        fprintf(out, ",\"align\":\"%s\",\"bold\":%s,\"double\":%s", align_name(e->align),
                e->bold ? "true" : "false", dbl ? "true" : "false");
        if (!dbl && (e->width != 1 || e->height != 1))
            fprintf(out, ",\"size\":\"%dx%d\"", e->width, e->height);
        if (e->underline)
            fputs(",\"underline\":true", out);
        if (e->font_b)
            fputs(",\"font\":\"B\"", out);
        if (e->mixed)
            fputs(",\"mixed\":true", out);
        fputc('}', out);
        break;
    }
    case DECODED_QR_NATIVE:
        fputs("{\"qr\":", out);
        write_json_string(e->text, out);
        fprintf(out,
                ",\"how\":\"native\",\"align\":\"%s\",\"model\":%d,\"module\":%d,\"ec\":\"%c\"}",
                align_name(e->align), e->qr_model, e->qr_module, e->qr_ec);
        break;
    case DECODED_IMAGE:
        if (qr_payload) {
            fputs("{\"qr\":", out);
            write_json_string(qr_payload, out);
            fprintf(out, ",\"how\":\"raster\",\"align\":\"%s\",\"width\":%d,\"height\":%d}",
                    align_name(e->align), e->image_width, e->image_height);
        } else {
            fprintf(out, "{\"image\":\"%dx%d\",\"align\":\"%s\"}", e->image_width, e->image_height,
                    align_name(e->align));
        }
        break;
    case DECODED_FEED: fprintf(out, "{\"feed\":%d}", e->n); break;
    case DECODED_CUT: fprintf(out, "{\"cut\":\"%s\"}", e->full_cut ? "full" : "partial"); break;
    case DECODED_INIT: fputs("{\"init\":true}", out); break;
    case DECODED_STATUS_REQUEST: fprintf(out, "{\"status_request\":%d}", e->n); break;
    }
}
