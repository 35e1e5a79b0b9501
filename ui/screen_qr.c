/*
 * screen_qr.c - the customer scans the terminal: the order's QR code on the left, beside it
 * the channel's mark, the amount, what to ask the customer, the countdown to the order's
 * close, and Esc to abort. Drawn from a plain struct (screens.h) so that it needs no model.
 *
 * Dark on light, as phones expect (an inverted code reads poorly or not at all): the drawing's
 * ink is the dark modules (qr_art.h). With colours the code gets its own black-on-white pair,
 * whatever the terminal's theme. Without colours reverse video makes the ink the terminal's
 * background and the ground its foreground: right on the light-on-dark consoles and serial
 * terminals a till has. The quiet zone is drawn in the same light ground, so it does not
 * depend on the terminal's background either.
 */
#include "screens.h"

#include <curses.h>

#include <stdio.h>

#include "money.h"
#include "text.h"
#include "view.h"
#include "widgets.h"

/* The columns the words beside the code need at least, and use at most. */
#define PANEL_MIN 30
#define PANEL_MAX 48

/* The code's own colour pairs, at the top of the first 64 (what an 8-colour terminal has), far
 * above the shared widgets' pairs, which are numbered from 1. */
static bool qr_pairs(short *ground, short *ink)
{
    if (!wdg_has_colors() || COLOR_PAIRS < 64)
        return false;
    *ground = 63;
    *ink = 62;
    init_pair(*ground, COLOR_BLACK, COLOR_WHITE);
    init_pair(*ink, COLOR_BLACK, COLOR_BLACK);
    return true;
}

/* Half blocks: one attribute for the row, the glyphs carry the ink. The text fallback's '#'
 * is not a solid glyph, so there each cell is painted: dark where the ink is. */
static void draw_code(const struct qr_art *art, enum qr_art_style style, int y0, int x0)
{
    short ground = 0, ink = 0;
    bool colours = qr_pairs(&ground, &ink);
    attr_t light = colours ? COLOR_PAIR(ground) : A_REVERSE;
    attr_t dark = colours ? COLOR_PAIR(ink) : A_NORMAL;
    char line[QR_ART_LINE_MAX];
    for (int r = 0; r < qr_art_rows(art, style); r++) {
        if (!qr_art_line(art, style, r, line, sizeof line))
            return;
        if (style == QR_ART_HALF_BLOCKS) {
            attrset(light);
            mvaddstr(y0 + r, x0, line);
            continue;
        }
        for (int c = 0; line[c] != '\0'; c++) {
            attrset(line[c] == '#' ? dark : light);
            mvaddch(y0 + r, x0 + c, (chtype)line[c]);
        }
    }
    attrset(A_NORMAL);
}

static enum text_id status_words(enum qr_art_status st)
{
    switch (st) {
    case QR_ART_EMPTY: return T_QR_ERR_EMPTY;
    case QR_ART_TOO_LONG: return T_QR_ERR_TOO_LONG;
    case QR_ART_OK:
    case QR_ART_ENCODE_FAILED:
    case QR_ART_NO_FIT: break;
    }
    return T_QR_ERR_ENCODE;
}

/* The words beside (or, when the code is not drawn, instead of) the code, from row y in
 * columns x .. x + w - 1, above row bottom. */
static void draw_panel(const struct qr_screen *q, int y, int x, int w, int bottom)
{
    char buf[200], amount[MONEY_TEXT_MAX];
    enum wdg_style mark = q->channel == CHANNEL_WECHAT ? WDG_GOOD : WDG_TITLE;
    snprintf(buf, sizeof buf, "[ %s ]", text_channel(q->lang, q->channel));
    if (y >= bottom)
        return;
    wdg_put(y, x, w, mark, buf);
    y += 2;
    money_format(q->amount_fen, amount);
    wdg_format(buf, sizeof buf, q->lang, T_AMOUNT, amount);
    wdg_put(y, x, w, WDG_TITLE, buf);
    y += 2;
    wdg_format(buf, sizeof buf, q->lang, T_QR_ASK, text_channel(q->lang, q->channel));
    if (y < bottom)
        y += wdg_put_wrap(y, x, w, bottom - y, WDG_PLAIN, buf) + 1;
    if (q->seconds_left >= 0 && y < bottom) {
        char left[VIEW_COUNTDOWN_MAX];
        view_countdown(q->seconds_left, left);
        wdg_format(buf, sizeof buf, q->lang, T_QR_CLOSES_IN, left);
        wdg_put(y, x, w, WDG_WARN, buf);
    }
}

enum qr_art_status screen_qr(const struct qr_screen *q)
{
    char buf[200];
    wdg_fill_row(0, WDG_BAR);
    wdg_put(0, 1, COLS - 2, WDG_BAR, text(q->lang, T_QR_TITLE));
    wdg_fill_row(LINES - 1, WDG_BAR);
    snprintf(buf, sizeof buf, "Esc %s", text(q->lang, T_K_QR_ABORT));
    wdg_put(LINES - 1, 1, COLS - 2, WDG_BAR, buf);
    int top = 1, bottom = LINES - 1;

    struct qr_art art;
    enum qr_art_style style = q->ascii_only ? QR_ART_TEXT : QR_ART_HALF_BLOCKS;
    enum qr_art_status st = qr_art_encode(q->payload, &art);
    if (st != QR_ART_OK) {
        wdg_format(buf, sizeof buf, q->lang, T_QR_NONE, text(q->lang, status_words(st)));
        int y = top + 1 + wdg_put_wrap(top + 1, 2, COLS - 4, 2, WDG_BAD, buf);
        draw_panel(q, y + 1, 2, COLS - 4, bottom);
        return st;
    }

    int need_cols = 1 + qr_art_cols(&art, style) + 2 + PANEL_MIN;
    int need_rows = qr_art_rows(&art, style) + 2;
    if (COLS < need_cols || LINES < need_rows) {
        /* The order is open all the same: the cashier still sees what it is for, and Esc. */
        wdg_format(buf, sizeof buf, q->lang, T_QR_TOO_SMALL, COLS, LINES, need_cols, need_rows);
        int y = top + 1 + wdg_put_wrap(top + 1, 2, COLS - 4, 2, WDG_BAD, buf);
        if (q->ascii_only)
            y += wdg_put_wrap(y, 2, COLS - 4, 2, WDG_PLAIN, text(q->lang, T_QR_NO_UNICODE));
        draw_panel(q, y + 1, 2, COLS - 4, bottom);
        return QR_ART_NO_FIT;
    }

    int panel_w = COLS - need_cols + PANEL_MIN;
    if (panel_w > PANEL_MAX)
        panel_w = PANEL_MAX;
    int used = qr_art_cols(&art, style) + 2 + panel_w;
    int x0 = (COLS - used) / 2 > 1 ? (COLS - used) / 2 : 1;
    int y0 = top + (bottom - top - qr_art_rows(&art, style)) / 2;
    draw_code(&art, style, y0, x0);
    int panel_y = y0 + 1 > top + 1 ? y0 + 1 : top + 1;
    draw_panel(q, panel_y, x0 + qr_art_cols(&art, style) + 2, panel_w, bottom);
    return QR_ART_OK;
}
