/*
 * escpos_decode.h - ESC/POS bytes read back as the printer would print them: lines of text with
 * their alignment and style, QR codes (the printer's own GS ( k command, or a raster image
 * GS v 0 to be read with zbarimg), feeds, cuts, resets and real-time status requests.
 *
 * Written for the tests from the printers' command references, independently of the driver
 * (drivers/printer/), so that a misreading of the command set in one is caught by the other.
 * Strict on purpose: a command outside the set below, a parameter out of its range, input that
 * ends inside a command, text never printed, or a setting a printer ignores where it appears
 * (ESC a, GS V, GS v 0 in the middle of a line) stops the decoding with the offset.
 *
 * The set: LF, ESC @, ESC a, ESC E, ESC !, ESC d, ESC t, ESC R, GS !, GS V, GS ( k (QR:
 * fn 65, 67, 69, 80, 81), GS v 0, FS &, FS ., DLE EOT. In Chinese character mode (FS &) the
 * bytes 0x81-0xFE start a GB18030 character, converted to UTF-8 with iconv; outside it the text
 * must be ASCII. ESC ! sizes only the one-byte (ANK) characters; GS ! sizes both kinds, as on
 * Epson's Chinese models.
 */
#ifndef POSTERM_ESCPOS_DECODE_H
#define POSTERM_ESCPOS_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum decoded_kind {
    DECODED_TEXT,           /* one printed line */
    DECODED_QR_NATIVE,      /* GS ( k fn 81: the stored payload printed */
    DECODED_IMAGE,          /* GS v 0: a raster image (a QR code to read with zbarimg) */
    DECODED_FEED,           /* n blank lines (LF on an empty line, ESC d) */
    DECODED_CUT,            /* GS V */
    DECODED_INIT,           /* ESC @ */
    DECODED_STATUS_REQUEST, /* DLE EOT n */
};

enum decoded_align { DECODED_LEFT, DECODED_CENTER, DECODED_RIGHT };

struct decoded_element {
    enum decoded_kind kind;
    size_t offset; /* of the command (TEXT: of the line's first byte) */
    enum decoded_align align;
    /* TEXT: the line in UTF-8; QR_NATIVE: the payload (must be UTF-8) */
    char *text;
    /* TEXT: the style of every character; mixed when they differ (then those of the first) */
    bool bold, underline, font_b, mixed;
    int width, height; /* character magnification, 1..8 */
    /* FEED: lines; STATUS_REQUEST: n; CUT: the feed before the cut (m 65/66), else 0 */
    int n;
    bool full_cut;
    /* QR_NATIVE: the settings in force: model 1/2, module size in dots, EC 'L','M','Q','H' */
    int qr_model, qr_module;
    char qr_ec;
    /* IMAGE: dots across and down, one byte per dot (1 = black), after GS v 0's scaling */
    int image_width, image_height;
    unsigned char *pixels;
};

struct decoded_receipt {
    struct decoded_element *elements;
    size_t count, capacity;
    /* When decoding stopped early: what and where. */
    bool failed;
    size_t error_offset;
    char error[200];
};

/* Decodes len bytes into *r (free with decoded_receipt_free even on failure). Returns false
 * with r->error / r->error_offset set when the bytes are not a complete ESC/POS stream of the
 * commands above; the elements decoded before the error are kept. */
bool decode_escpos(const unsigned char *bytes, size_t len, struct decoded_receipt *r);
void decoded_receipt_free(struct decoded_receipt *r);

/* Reads a DECODED_IMAGE as a QR code: the image, with a white quiet zone, written as a PGM
 * to a temporary file and read by `zbarimg --raw -q`. 1 with the payload in out; 0 when
 * zbarimg finds no code; -1 with err set when zbarimg cannot be run or fails. */
int decoded_image_read_qr(const struct decoded_element *e, char *out, size_t outlen, char *err,
                          size_t errlen);

/* One JSON object (no newline) for an element: {"text":...,"align":...,"bold":...,"double":...}
 * and the other kinds as escpos-decode prints them. qr_payload is used for an IMAGE: the code
 * zbarimg read from it, or NULL when it held none. */
void decoded_element_write_json(const struct decoded_element *e, const char *qr_payload, FILE *out);

/* A JSON string literal of UTF-8 text (quotes and escapes), as the writer above uses. */
void write_json_string(const char *utf8, FILE *out);

#endif
