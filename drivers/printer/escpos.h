/*
 * escpos.h - a print_doc in ESC/POS, the command language of Epson TM receipt printers and
 * the compatible 58/80 mm printers sold in China; and the printer's status replies read back.
 *
 * The bytes: ESC @ (initialise) first; FS & (Chinese character mode) with text in GB18030,
 * the encoding those printers' Chinese fonts use (converted with iconv); ESC a (alignment),
 * ESC E (emphasis), GS ! (double size); QR codes either with the printer's own QR command
 * (GS ( k: model 2, module size, error correction M, store, print) or, for printers without
 * it, as a raster image (GS v 0) drawn with libqrencode; ESC d (feed) and GS V 66 (feed and
 * partial cut). Sources for every command are in drivers/printer/README.md.
 *
 * Pure: no I/O. The encoder allocates its output (escpos_free).
 */
#ifndef POSTERM_ESCPOS_H
#define POSTERM_ESCPOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "print_doc.h"

enum escpos_status {
    ESCPOS_OK = 0,
    ESCPOS_BAD_TEXT,  /* a line that GB18030 cannot hold or that is not UTF-8 (err says which) */
    ESCPOS_QR_FAILED, /* libqrencode refused the payload (too long for a receipt) */
    ESCPOS_NO_MEMORY,
};

struct escpos_options {
    bool native_qr; /* the printer has GS ( k; false = raster image */
};

/* Renders the whole document; *out (free with escpos_free) and *len on ESCPOS_OK. */
enum escpos_status escpos_render(const struct print_doc *d, const struct escpos_options *opt,
                                 unsigned char **out, size_t *len, char *err, size_t errlen);
void escpos_free(unsigned char *bytes);

/* Renders the document as UTF-8 plain text, as it would look on paper (QR codes drawn with
 * Unicode half blocks, a cut as a line of scissors), for the virtual printer and logs. */
enum escpos_status escpos_render_text(const struct print_doc *d, char **out, size_t *len, char *err,
                                      size_t errlen);

/* The real-time status request DLE EOT n (n = 1 printer, 2 off-line cause, 4 paper sensor)
 * and what its one-byte answers say. */
#define ESCPOS_STATUS_REQUEST_LEN 3
void escpos_status_request(int n, unsigned char out[ESCPOS_STATUS_REQUEST_LEN]);

struct escpos_status_bits {
    bool offline;
    bool cover_open;
    bool paper_out;
    bool paper_near_end;
    bool error;
};
/* Folds one answer byte to DLE EOT n into *bits. False when the byte is not a status answer
 * (bits 0x12 fixed: 0b0xx1xx10), so garbage from a printer never reads as "ready". */
bool escpos_status_parse(int n, uint8_t answer, struct escpos_status_bits *bits);

#endif
