/*
 * print_doc.h - a receipt as the printer driver receives it: lines of UTF-8 text with an
 * alignment and a style, QR codes, rules, feeds and a cut, laid out for a paper width.
 *
 * Whoever composes a receipt (ui/receipt.c) speaks only this; the driver turns it into the
 * printer's bytes (escpos.h) or into plain text for the virtual printer. The document is a
 * plain struct with no pointers, so it can be copied, kept and compared in tests.
 *
 * Layout is decided here, not in the printer: doc_text() wraps at the paper's columns by
 * display width (a CJK character takes two columns, as on every receipt printer's 12x24 /
 * 24x24 fonts), doc_pair() pads a label and a value to the full width. A line that does not
 * fit the document is refused (false), never cut silently.
 */
#ifndef POSTERM_PRINT_DOC_H
#define POSTERM_PRINT_DOC_H

#include <stdbool.h>
#include <stddef.h>

#define DOC_COLUMNS_58MM 32 /* font A, 12x24 dots, on 58 mm paper (384 dots) */
#define DOC_COLUMNS_80MM 48 /* font A on 80 mm paper (576 dots) */
#define DOC_MAX_LINES    120
#define DOC_TEXT_MAX     255 /* bytes of UTF-8 per line (a QR payload too) */

enum doc_kind {
    DOC_TEXT, /* one printed line (already wrapped) */
    DOC_RULE, /* a full-width line of '-' */
    DOC_QR,   /* text holds the payload; printed centred */
    DOC_FEED, /* n blank lines */
    DOC_CUT,  /* feed to the cutter and cut (partial cut) */
};

enum doc_align { DOC_LEFT, DOC_CENTER, DOC_RIGHT };

/* Styles combine. DOUBLE is double width and height: half the columns fit. */
#define DOC_BOLD   1u
#define DOC_DOUBLE 2u

struct doc_line {
    enum doc_kind kind;
    enum doc_align align;
    unsigned style;
    int n; /* DOC_FEED: lines; DOC_QR: module size in dots (0 = the driver's choice) */
    char text[DOC_TEXT_MAX + 1];
};

struct print_doc {
    int columns; /* DOC_COLUMNS_58MM or DOC_COLUMNS_80MM */
    int nlines;
    struct doc_line lines[DOC_MAX_LINES];
};

/* columns must be DOC_COLUMNS_58MM or DOC_COLUMNS_80MM (false otherwise). */
bool doc_init(struct print_doc *d, int columns);

/* Display width of UTF-8 text in printer columns: ASCII 1, CJK and full-width forms 2;
 * -1 for text that is not valid UTF-8 or holds a control character. */
int doc_display_width(const char *utf8);

/* Appends text, wrapped at the columns its style allows (at spaces where it can, else
 * between characters, never inside one). False when the text is invalid UTF-8 or holds a
 * control character, or the document is full; the document is then unchanged. */
bool doc_text(struct print_doc *d, enum doc_align align, unsigned style, const char *utf8);
/* One line: label at the left, value at the right, padded with spaces to the full width;
 * when both do not fit on one line the value goes on the next, right-aligned. */
bool doc_pair(struct print_doc *d, const char *label, const char *value);
bool doc_rule(struct print_doc *d);
bool doc_qr(struct print_doc *d, const char *payload);
bool doc_feed(struct print_doc *d, int lines);
bool doc_cut(struct print_doc *d);

#endif
