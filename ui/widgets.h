/*
 * widgets.h - the pieces every screen is built from: the header bar (terminal, gateway,
 * scanner, pending work, TLS warning), the key-help footer, the message line, a big centred
 * amount, and text that is cut to the columns it may use, counted in display cells so that
 * Chinese (two cells a character) lines up.
 */
#ifndef POSTERM_UI_WIDGETS_H
#define POSTERM_UI_WIDGETS_H

#include <stdbool.h>
#include <stddef.h>

#include "keys.h"
#include "text.h"
#include "ui.h"

enum wdg_style {
    WDG_PLAIN,
    WDG_BAR,  /* header and footer keys */
    WDG_GOOD, /* paid, online */
    WDG_BAD,  /* failed, offline, warnings that must not be missed */
    WDG_WARN, /* in progress, unresolved */
    WDG_TITLE,
    WDG_SELECTED,
    WDG_DIM,
    WDG_ALARM, /* red text: failed, cancelled (bold where there are no colours) */
};

/* A payment's colour in lists and big amounts: paid green, failed and cancelled red, in
 * progress yellow, an order that never started dim. */
enum wdg_style wdg_state_style(const struct payment *p);

/* True when the terminal shows colours (after wdg_init_colors). Without them the styles fall
 * back to bold and reverse video. */
bool wdg_has_colors(void);

/* Sets up the colour pairs when the terminal has colours (called once after newterm). */
void wdg_init_colors(void);

/* Columns that s takes on screen (invalid bytes and control characters count as one). */
int wdg_width(const char *s);

/* Draws s at row y, column x, in at most maxw columns; returns the columns used. */
int wdg_put(int y, int x, int maxw, enum wdg_style style, const char *s);

/* Draws s centred on row y (cut to the screen's width). */
void wdg_center(int y, enum wdg_style style, const char *s);

/* Draws s centred from row y on at most max_rows rows, broken at spaces (or between any two
 * characters where a line has none, as Chinese) so that nothing is cut at the screen's edge.
 * Returns the rows used. */
int wdg_center_wrap(int y, int max_rows, enum wdg_style style, const char *s);

/* The same from column x, at most maxw columns wide: a sentence longer than its room goes on
 * to the next row instead of being cut. Returns the rows used. */
int wdg_put_wrap(int y, int x, int maxw, int max_rows, enum wdg_style style, const char *s);

/* Draws s right-aligned so that it ends at column right (exclusive). */
void wdg_right(int y, int right, int maxw, enum wdg_style style, const char *s);

/* Paints row y in the style, edge to edge (bars, the selected row). */
void wdg_fill_row(int y, enum wdg_style style);

/* A key and what it does, for the footer. */
struct wdg_key {
    const char *key; /* "Enter", "Esc", "0-9 ." */
    enum text_id label;
};

/* The rows a screen may draw its body in, after the header, footer and message lines. */
struct frame {
    int top;    /* first free row */
    int bottom; /* first row not free */
    int cols;
};

/* Draws the header, the footer with these keys, the model's message and the input's error,
 * and returns the rows left for the body. */
struct frame wdg_frame(const struct ui_model *m, const struct ui_input *in,
                       const struct wdg_key *keys, int nkeys);

/* Draws amount (as typed or formatted) big and centred from row y, with the plain line under
 * it; falls back to the plain line alone when the big one does not fit. Returns rows used. */
int wdg_big_amount(int y, int cols, int rows_free, enum ui_lang lang, const char *amount,
                   enum wdg_style style);

/* "Label    value" with the label padded to label_w columns. */
void wdg_field(int y, int x, int maxw, int label_w, const char *label, enum wdg_style style,
               const char *value);

/* snprintf of a table message. */
void wdg_format(char *buf, size_t len, enum ui_lang lang, enum text_id id, ...);

#endif
