/*
 * qr_art.c - libqrencode's modules copied into the caller's struct (libqrencode's own
 * allocation is freed before returning), and each drawing row composed from them.
 */
#include "qr_art.h"

#include <qrencode.h>
#include <string.h>

/* Half-block glyphs by (top dark, bottom dark): the ink is the dark module. */
static const char *const half_block[2][2] = {
    {" ", "▄"}, /* top light: nothing, lower half */
    {"▀", "█"}, /* top dark: upper half, full block */
};

enum qr_art_status qr_art_encode(const char *payload, struct qr_art *out)
{
    memset(out, 0, sizeof *out);
    if (payload == NULL || payload[0] == '\0')
        return QR_ART_EMPTY;
    if (strnlen(payload, QR_ART_PAYLOAD_MAX + 1) > QR_ART_PAYLOAD_MAX)
        return QR_ART_TOO_LONG;
    /* Case-sensitive, 8-bit where needed: libqrencode picks numeric or alphanumeric segments
     * where they are shorter, and a URL's lower case stays as it is. */
    QRcode *code = QRcode_encodeString(payload, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (code == NULL)
        return QR_ART_ENCODE_FAILED;
    int side = code->width + 2 * QR_ART_QUIET;
    if (side > QR_ART_SIDE_MAX) {
        QRcode_free(code);
        return QR_ART_ENCODE_FAILED;
    }
    out->version = code->version;
    out->side = side;
    /* libqrencode: bit 0 of each byte is the module's colour (1 dark). */
    for (int y = 0; y < code->width; y++)
        for (int x = 0; x < code->width; x++)
            out->dark[y + QR_ART_QUIET][x + QR_ART_QUIET] =
                (code->data[y * code->width + x] & 1) != 0;
    QRcode_free(code);
    return QR_ART_OK;
}

int qr_art_rows(const struct qr_art *art, enum qr_art_style style)
{
    return style == QR_ART_HALF_BLOCKS ? (art->side + 1) / 2 : art->side;
}

int qr_art_cols(const struct qr_art *art, enum qr_art_style style)
{
    return style == QR_ART_HALF_BLOCKS ? art->side : 2 * art->side;
}

enum qr_art_status qr_art_fits(const struct qr_art *art, enum qr_art_style style, int cols,
                               int rows)
{
    bool fits = art->side > 0 && qr_art_cols(art, style) <= cols && qr_art_rows(art, style) <= rows;
    return fits ? QR_ART_OK : QR_ART_NO_FIT;
}

/* A module outside the code (the half row below an odd side) is light, as the quiet zone. */
static bool dark_at(const struct qr_art *art, int y, int x)
{
    return y < art->side && art->dark[y][x];
}

bool qr_art_line(const struct qr_art *art, enum qr_art_style style, int row, char *buf, size_t len)
{
    if (len > 0)
        buf[0] = '\0';
    if (art->side <= 0 || row < 0 || row >= qr_art_rows(art, style) || len < QR_ART_LINE_MAX)
        return false;
    char *at = buf;
    for (int x = 0; x < art->side; x++) {
        const char *cell;
        if (style == QR_ART_HALF_BLOCKS)
            cell = half_block[dark_at(art, 2 * row, x)][dark_at(art, 2 * row + 1, x)];
        else
            cell = dark_at(art, row, x) ? "##" : "  ";
        size_t n = strlen(cell);
        memcpy(at, cell, n);
        at += n;
    }
    *at = '\0';
    return true;
}

const char *qr_art_status_name(enum qr_art_status st)
{
    switch (st) {
    case QR_ART_OK: return "ok";
    case QR_ART_EMPTY: return "no QR payload";
    case QR_ART_TOO_LONG: return "QR payload longer than 128 bytes";
    case QR_ART_ENCODE_FAILED: return "QR payload could not be encoded";
    case QR_ART_NO_FIT: return "QR code does not fit the screen";
    }
    return "?";
}
