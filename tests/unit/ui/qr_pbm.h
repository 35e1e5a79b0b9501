/*
 * qr_pbm.h - the characters a QR code was drawn with (qr_art's lines, or a terminal's captured
 * pane) turned back into an image, so that an independent decoder (zbarimg) can read what a
 * phone would see. It reads only the characters: each cell is ink or not, as its glyph says.
 */
#ifndef POSTERM_TESTS_QR_PBM_H
#define POSTERM_TESTS_QR_PBM_H

#include <stdbool.h>
#include <stdio.h>

enum qr_pbm_style {
    QR_PBM_HALF_BLOCKS, /* a cell is one module wide, two tall: ▀ ▄ █ carry the ink */
    QR_PBM_TEXT,        /* a cell is half a module wide, one tall: '#' is ink */
};

/* Writes the lines as a binary PBM (P4), ink black, with a white margin; a wide (CJK)
 * character counts two cells. False when the lines hold no ink or the image cannot be
 * written. */
bool qr_pbm_write(const char *const *lines, int nlines, enum qr_pbm_style style, FILE *out);

/* Runs `zbarimg --nodbus --raw -q path`; true with the one code read (no trailing newline) in out.
 */
bool qr_pbm_zbar(const char *path, char *out, size_t len);

#endif
