/*
 * qr_art.h - a gateway's QR payload (WeChat Pay's code_url, Alipay's qr_code) as lines of
 * text a terminal can show and a phone can scan: no image service, no allocation the caller
 * has to free.
 *
 * What it promises:
 * - qr_art_encode() turns at most QR_ART_PAYLOAD_MAX bytes into the code's modules, with the
 *   4-module quiet zone the QR standard asks for, into a struct the caller owns. The error
 *   correction level is M (QR_ART_LEVEL_NAME): it recovers about 15% of the code, enough for
 *   a glare spot or a moire band on a screen, and keeps a typical code_url/qr_code (35 to 62
 *   bytes) at version 3 or 4, the largest that fits an 80x24 console. L would shrink only
 *   longer payloads; Q or H would push a 50-byte Alipay code past what 24 rows can show.
 * - Two ways to draw it, both "ink is a dark module": half blocks (two module rows per text
 *   row, one column per module, so a module is about square on a console's 1:2 cells) and a
 *   text fallback for terminals without Unicode ("##" per dark module, one row per module).
 *   Whoever draws the ink must make it dark on a light ground (screen_qr.c says how): phones
 *   read inverted codes poorly.
 * - Every failure is a value: an empty or too long payload, an encoder failure, a code that
 *   does not fit the room given.
 */
#ifndef POSTERM_UI_QR_ART_H
#define POSTERM_UI_QR_ART_H

#include <stdbool.h>
#include <stddef.h>

/* The longest payload taken: both gateways' QR payloads are well below it. */
#define QR_ART_PAYLOAD_MAX 128
/* Light modules around the code on every side (ISO/IEC 18004: at least 4). */
#define QR_ART_QUIET 4
/* The widest code a payload of QR_ART_PAYLOAD_MAX bytes can need at level M: version 8 (49
 * modules) with the quiet zone. */
#define QR_ART_SIDE_MAX (49 + 2 * QR_ART_QUIET)
/* One drawn line with its NUL: three UTF-8 bytes a module (half blocks), or two ("##"). */
#define QR_ART_LINE_MAX   (3 * QR_ART_SIDE_MAX + 1)
#define QR_ART_LEVEL_NAME "M"

enum qr_art_status {
    QR_ART_OK,
    QR_ART_EMPTY,         /* no payload: the gateway gave none */
    QR_ART_TOO_LONG,      /* more than QR_ART_PAYLOAD_MAX bytes */
    QR_ART_ENCODE_FAILED, /* libqrencode refused it (out of memory, or a version limit) */
    QR_ART_NO_FIT,        /* the drawing is larger than the room given */
};

enum qr_art_style {
    QR_ART_HALF_BLOCKS, /* ▀ ▄ █ and space: rows (side + 1) / 2, columns side */
    QR_ART_TEXT,        /* "##" and "  ": rows side, columns 2 * side */
};

/* A code's modules, quiet zone included: dark[y][x] for y, x < side. */
struct qr_art {
    int version; /* 1..40 */
    int side;    /* modules a side, 2 * QR_ART_QUIET included */
    bool dark[QR_ART_SIDE_MAX][QR_ART_SIDE_MAX];
};

/* Encodes payload (a NUL-terminated string, taken as bytes) at level M in the smallest
 * version that holds it. On anything but QR_ART_OK *out is zeroed. */
enum qr_art_status qr_art_encode(const char *payload, struct qr_art *out);

/* The text rows and the display columns the drawing takes in that style. */
int qr_art_rows(const struct qr_art *art, enum qr_art_style style);
int qr_art_cols(const struct qr_art *art, enum qr_art_style style);

/* QR_ART_OK when the drawing fits in cols x rows, else QR_ART_NO_FIT. */
enum qr_art_status qr_art_fits(const struct qr_art *art, enum qr_art_style style, int cols,
                               int rows);

/* Writes text row `row` (0 .. qr_art_rows - 1) of the drawing into buf (UTF-8 for half blocks,
 * ASCII for text), NUL-terminated. Returns false, with buf empty, for a row out of range or a
 * buf shorter than QR_ART_LINE_MAX. */
bool qr_art_line(const struct qr_art *art, enum qr_art_style style, int row, char *buf, size_t len);

/* The status in English, for logs and tests (the screen words it in text.h). */
const char *qr_art_status_name(enum qr_art_status st);

#endif
