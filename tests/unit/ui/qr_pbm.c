/*
 * qr_pbm.c - cells to pixels: a module is MODULE_PX square, the image has a white margin, and
 * zbarimg is run on the file written.
 */
#include "qr_pbm.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MODULE_PX 6
#define MARGIN_PX (8 * MODULE_PX)
#define MAX_CELLS 400

/* One UTF-8 character at s: its code point, and the bytes it took (1 for a bad byte). */
static uint32_t next_char(const char *s, int *used)
{
    const unsigned char *u = (const unsigned char *)s;
    int n = u[0] < 0x80 ? 1 : u[0] >= 0xF0 ? 4 : u[0] >= 0xE0 ? 3 : u[0] >= 0xC0 ? 2 : 1;
    uint32_t cp = n == 1 ? u[0] : u[0] & (0x3F >> (n - 1));
    for (int i = 1; i < n; i++) {
        if ((u[i] & 0xC0) != 0x80) {
            *used = 1;
            return 0xFFFD;
        }
        cp = cp << 6 | (u[i] & 0x3F);
    }
    *used = n;
    return cp;
}

/* Chinese and full-width forms take two cells on a terminal; block elements take one. */
static int cells_of(uint32_t cp)
{
    return cp >= 0x2E80 && cp <= 0xFFEF ? 2 : 1;
}

/* The ink of one cell: bit 0 its top half, bit 1 its bottom half. */
static int ink_of(uint32_t cp, enum qr_pbm_style style)
{
    if (style == QR_PBM_TEXT)
        return cp == '#' ? 3 : 0;
    switch (cp) {
    case 0x2580: return 1; /* ▀ */
    case 0x2584: return 2; /* ▄ */
    case 0x2588: return 3; /* █ */
    default: return 0;
    }
}

bool qr_pbm_write(const char *const *lines, int nlines, enum qr_pbm_style style, FILE *out)
{
    int cell_w = style == QR_PBM_HALF_BLOCKS ? MODULE_PX : MODULE_PX / 2;
    int cell_h = style == QR_PBM_HALF_BLOCKS ? 2 * MODULE_PX : MODULE_PX;
    static unsigned char ink[200][MAX_CELLS];
    memset(ink, 0, sizeof ink);
    int cols = 0;
    bool any = false;
    if (nlines > 200)
        return false;
    for (int r = 0; r < nlines; r++) {
        int c = 0, used;
        for (const char *s = lines[r]; *s && *s != '\n' && c < MAX_CELLS; s += used) {
            uint32_t cp = next_char(s, &used);
            ink[r][c] = (unsigned char)ink_of(cp, style);
            any |= ink[r][c] != 0;
            c += cells_of(cp);
        }
        if (c > cols)
            cols = c > MAX_CELLS ? MAX_CELLS : c;
    }
    if (!any)
        return false;
    int w = 2 * MARGIN_PX + cols * cell_w, h = 2 * MARGIN_PX + nlines * cell_h;
    int stride = (w + 7) / 8;
    fprintf(out, "P4\n%d %d\n", w, h);
    unsigned char *row = calloc((size_t)stride, 1);
    if (row == NULL)
        return false;
    for (int y = 0; y < h; y++) {
        memset(row, 0, (size_t)stride);
        int cy = y - MARGIN_PX;
        if (cy >= 0 && cy < nlines * cell_h) {
            int r = cy / cell_h, half = (cy % cell_h) < cell_h / 2 ? 1 : 2;
            for (int x = MARGIN_PX; x < MARGIN_PX + cols * cell_w; x++)
                if (ink[r][(x - MARGIN_PX) / cell_w] & half)
                    row[x / 8] |= (unsigned char)(0x80 >> (x % 8));
        }
        fwrite(row, 1, (size_t)stride, out);
    }
    free(row);
    return fflush(out) == 0 && !ferror(out);
}

bool qr_pbm_zbar(const char *path, char *out, size_t len)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "zbarimg --nodbus --raw -q '%s'", path);
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return false;
    size_t n = fread(out, 1, len - 1, p);
    out[n] = '\0';
    int rc = pclose(p);
    while (n > 0 && out[n - 1] == '\n')
        out[--n] = '\0';
    /* One code and nothing else: a second line would be a second code. */
    return rc == 0 && n > 0 && strchr(out, '\n') == NULL;
}
