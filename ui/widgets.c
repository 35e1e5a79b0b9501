/*
 * widgets.c - drawing with ncursesw. Text from outside (scanner names, gateway reasons) is
 * shown cell by cell with control characters blanked, so no string can move the cursor or
 * spill past the column it was given.
 */
#include "widgets.h"

#include <curses.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "view.h"

enum { PAIR_BAR = 1, PAIR_GOOD, PAIR_BAD, PAIR_WARN, PAIR_TITLE, PAIR_SELECTED, PAIR_ALARM };

static bool colors;

void wdg_init_colors(void)
{
    if (!has_colors() || start_color() == ERR)
        return;
    /* The terminal's own background where it allows it (-1), black where it does not. */
    short bg = use_default_colors() == OK ? -1 : COLOR_BLACK;
    init_pair(PAIR_BAR, COLOR_WHITE, COLOR_BLUE);
    init_pair(PAIR_GOOD, COLOR_GREEN, bg);
    init_pair(PAIR_BAD, COLOR_WHITE, COLOR_RED);
    init_pair(PAIR_WARN, COLOR_YELLOW, bg);
    init_pair(PAIR_TITLE, COLOR_CYAN, bg);
    init_pair(PAIR_SELECTED, COLOR_BLACK, COLOR_CYAN);
    init_pair(PAIR_ALARM, COLOR_RED, bg);
    colors = true;
}

bool wdg_has_colors(void)
{
    return colors;
}

enum wdg_style wdg_state_style(const struct payment *p)
{
    switch (p->state) {
    case PAY_PAID: return WDG_GOOD;
    case PAY_FAILED: return view_not_started(p) ? WDG_DIM : WDG_ALARM;
    case PAY_CANCELLED:
    case PAY_REFERRED: return WDG_ALARM;
    case PAY_REFUNDED: return WDG_PLAIN;
    case PAY_NEW:
    case PAY_PAYING:
    case PAY_QUERYING:
    case PAY_CANCELLING:
    case PAY_REFUNDING: break;
    }
    return WDG_WARN;
}

static attr_t style_attr(enum wdg_style s)
{
    switch (s) {
    case WDG_PLAIN: return A_NORMAL;
    case WDG_BAR: return colors ? COLOR_PAIR(PAIR_BAR) : A_REVERSE;
    case WDG_GOOD: return A_BOLD | (colors ? COLOR_PAIR(PAIR_GOOD) : 0);
    case WDG_BAD: return A_BOLD | (colors ? COLOR_PAIR(PAIR_BAD) : A_REVERSE);
    case WDG_WARN: return A_BOLD | (colors ? COLOR_PAIR(PAIR_WARN) : 0);
    case WDG_TITLE: return A_BOLD | (colors ? COLOR_PAIR(PAIR_TITLE) : 0);
    case WDG_SELECTED: return colors ? COLOR_PAIR(PAIR_SELECTED) : A_REVERSE;
    case WDG_DIM: return A_DIM;
    case WDG_ALARM: return A_BOLD | (colors ? COLOR_PAIR(PAIR_ALARM) : 0);
    }
    return A_NORMAL;
}

/* Decodes the next character of s: its length in bytes and its cells. Invalid bytes and
 * control characters are one byte shown as one cell ('?' or a blank). */
static size_t next_char(const char *s, mbstate_t *st, wchar_t *wc, int *cells)
{
    size_t n = mbrtowc(wc, s, MB_CUR_MAX, st);
    if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
        memset(st, 0, sizeof *st);
        *wc = L'?';
        *cells = 1;
        return 1;
    }
    if (*wc < 0x20 || *wc == 0x7f) {
        *wc = L' ';
        *cells = 1;
        return n;
    }
    int w = wcwidth(*wc);
    if (w < 0) {
        *wc = L'?';
        w = 1;
    }
    *cells = w;
    return n;
}

int wdg_width(const char *s)
{
    mbstate_t st;
    memset(&st, 0, sizeof st);
    int total = 0;
    while (*s) {
        wchar_t wc;
        int cells;
        s += next_char(s, &st, &wc, &cells);
        total += cells;
    }
    return total;
}

int wdg_put(int y, int x, int maxw, enum wdg_style style, const char *s)
{
    if (y < 0 || y >= LINES || x < 0 || x >= COLS || maxw <= 0)
        return 0;
    if (maxw > COLS - x)
        maxw = COLS - x;
    mbstate_t st;
    memset(&st, 0, sizeof st);
    attr_t a = style_attr(style);
    int used = 0;
    while (*s) {
        wchar_t wc;
        int cells;
        s += next_char(s, &st, &wc, &cells);
        if (cells == 0)
            continue; /* combining marks: drawn with the character before, not counted */
        if (used + cells > maxw)
            break;
        cchar_t cc;
        wchar_t one[2] = {wc, L'\0'};
        /* The pair goes in its own argument: setcchar sets it from there, and a pair left in
         * the attributes alone would be overwritten with 0 (no colour at all). */
        setcchar(&cc, one, a & ~A_COLOR, (short)PAIR_NUMBER(a), NULL);
        mvadd_wch(y, x + used, &cc);
        used += cells;
    }
    return used;
}

void wdg_center(int y, enum wdg_style style, const char *s)
{
    int w = wdg_width(s);
    int x = w >= COLS ? 0 : (COLS - w) / 2;
    wdg_put(y, x, COLS - x, style, s);
}

/* Lays s out in lines of at most maxw columns, broken at spaces (or anywhere in a line
 * without one, as Chinese), on at most max_rows rows from y: centred, or from column x. With
 * draw false it only counts the rows. */
static int wrap(int y, int x, int maxw, int max_rows, enum wdg_style style, const char *s,
                bool center, bool draw)
{
    int rows = 0;
    while (*s && rows < max_rows) {
        /* Find where this line ends: the last space that fits, else the last character. */
        mbstate_t st;
        memset(&st, 0, sizeof st);
        const char *p = s, *cut = NULL, *last = s;
        int used = 0;
        while (*p) {
            wchar_t wc;
            int cells;
            size_t n = next_char(p, &st, &wc, &cells);
            if (used + cells > maxw)
                break;
            if (wc == L' ')
                cut = p;
            used += cells;
            p += n;
            last = p;
        }
        const char *end = *p == '\0' ? p : (cut && cut > s ? cut : last);
        if (end == s)
            break; /* not even one character fits */
        char line[512];
        size_t len = (size_t)(end - s) < sizeof line - 1 ? (size_t)(end - s) : sizeof line - 1;
        memcpy(line, s, len);
        line[len] = '\0';
        if (draw && center)
            wdg_center(y + rows, style, line);
        else if (draw)
            wdg_put(y + rows, x, maxw, style, line);
        rows++;
        s = end;
        while (*s == ' ')
            s++;
    }
    return rows;
}

int wdg_center_wrap(int y, int max_rows, enum wdg_style style, const char *s)
{
    return wrap(y, 0, COLS - 4, max_rows, style, s, true, true);
}

int wdg_put_wrap(int y, int x, int maxw, int max_rows, enum wdg_style style, const char *s)
{
    return wrap(y, x, maxw, max_rows, style, s, false, true);
}

void wdg_right(int y, int right, int maxw, enum wdg_style style, const char *s)
{
    int w = wdg_width(s);
    if (w > maxw)
        w = maxw;
    int x = right - w;
    if (x < 0)
        x = 0;
    wdg_put(y, x, w, style, s);
}

void wdg_format(char *buf, size_t len, enum ui_lang lang, enum text_id id, ...)
{
    va_list ap;
    va_start(ap, id);
    vsnprintf(buf, len, text(lang, id), ap);
    va_end(ap);
}

void wdg_fill_row(int y, enum wdg_style style)
{
    attr_t a = style_attr(style);
    attron(a);
    mvhline(y, 0, ' ', COLS);
    attroff(a);
}

#define PRINTER_MIN_W 24 /* "Printer: " and enough of its state to read */

/* Row 1's right side, beside the scanner's line (scanner_w columns from column 1): the
 * receipts owed and, while it is not ready, the printer's state (nothing when all is well: a
 * printer that works needs no attention), cut to what is left. Returns the last column the
 * scanner's line may use. */
static int printer_status(const struct ui_model *m, int right, int scanner_w)
{
    if (!m->printer_configured)
        return right;
    char buf[160];
    if (m->receipts_waiting > 0) {
        if (m->receipts_waiting == 1)
            snprintf(buf, sizeof buf, "%s", text(m->lang, T_RECEIPTS_WAITING_ONE));
        else
            wdg_format(buf, sizeof buf, m->lang, T_RECEIPTS_WAITING, m->receipts_waiting);
        wdg_right(1, right, COLS / 4, WDG_WARN, buf);
        right -= wdg_width(buf) + 2;
    }
    if (!m->printer_ready) {
        static const enum text_id problem[] = {
            [UI_PRINTER_ABSENT] = T_PRINTER_ABSENT,
            [UI_PRINTER_PAPER_OUT] = T_PRINTER_PAPER_OUT,
            [UI_PRINTER_COVER_OPEN] = T_PRINTER_COVER_OPEN,
            [UI_PRINTER_OFFLINE] = T_PRINTER_OFFLINE,
        };
        wdg_format(buf, sizeof buf, m->lang, T_PRINTER, text(m->lang, problem[m->printer_problem]));
        int w = wdg_width(buf);
        int room = right - scanner_w - 3;
        if (room < PRINTER_MIN_W)
            room = PRINTER_MIN_W; /* the scanner's line is cut instead */
        if (w > room)
            w = room;
        wdg_right(1, right, w, WDG_BAD, buf);
        right -= w + 2;
    }
    return right;
}

/* Row 1's rightmost words while head office needs attention: its broker unreachable, or
 * events piling up (UI_FLEET_BACKLOG or more) though connected. Returns the column left. */
static int fleet_status(const struct ui_model *m)
{
    int right = COLS - 1;
    if (!m->fleet_on || (!m->fleet_unreachable && m->fleet_unsent < UI_FLEET_BACKLOG))
        return right;
    char buf[160];
    if (m->fleet_unreachable && m->fleet_unsent == 0)
        snprintf(buf, sizeof buf, "%s", text(m->lang, T_FLEET_UNREACHABLE));
    else
        wdg_format(buf, sizeof buf, m->lang,
                   m->fleet_unreachable ? T_FLEET_UNREACHABLE_N : T_FLEET_BACKLOG, m->fleet_unsent);
    int w = wdg_width(buf) < COLS / 2 ? wdg_width(buf) : COLS / 2; /* the scanner keeps half */
    wdg_right(1, right, w, WDG_WARN, buf);
    return right - w - 2;
}

/* Row 0: terminal, gateway, pending. Row 1: scanner, printer. Then a red row for each alarm: lab
 * settings in force (never for real money), a terminal clock minutes off the gateway's. */
/* The test settings in force, in the cashier's words, joined as the language joins a list. */
static const char *lab_words(const struct ui_model *m, char *out, size_t len)
{
    static const struct {
        enum ui_lab flag;
        enum text_id words;
    } labs[] = {{UI_LAB_PLAIN_HTTP, T_LAB_PLAIN_HTTP},
                {UI_LAB_NO_TLS_VERIFY, T_LAB_NO_TLS_VERIFY},
                {UI_LAB_EARLY_CANCEL, T_LAB_EARLY_CANCEL}};
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof labs / sizeof labs[0] && used < len; i++) {
        if (!(m->lab_settings & labs[i].flag))
            continue;
        int w = snprintf(out + used, len - used, "%s%s", used ? text(m->lang, T_LIST_AND) : "",
                         text(m->lang, labs[i].words));
        used = w < 0 ? len : used + (size_t)w;
    }
    return out;
}

static int header(const struct ui_model *m)
{
    char buf[320];
    wdg_fill_row(0, WDG_BAR);
    wdg_format(buf, sizeof buf, m->lang, T_TERMINAL, m->terminal_id);
    int x = 1 + wdg_put(0, 1, COLS / 2, WDG_BAR, "posterm");
    x += 2;
    wdg_put(0, x, COLS / 2 - x, WDG_BAR, buf);

    char pending[64];
    wdg_format(pending, sizeof pending, m->lang, T_PENDING, m->pending);
    int right = COLS - 1;
    wdg_right(0, right, COLS / 4, m->pending > 0 ? WDG_WARN : WDG_BAR, pending);
    right -= wdg_width(pending) + 2;
    enum text_id gw = !m->gateway_reachable ? T_GATEWAY_OFFLINE
                      : m->gateway_slow     ? T_GATEWAY_SLOW
                                            : T_GATEWAY_ONLINE;
    wdg_right(0, right, COLS / 3,
              gw == T_GATEWAY_OFFLINE ? WDG_BAD
              : gw == T_GATEWAY_SLOW  ? WDG_WARN
                                      : WDG_BAR,
              text(m->lang, gw));

    if (m->scanner_connected && m->scanner_name[0] != '\0')
        wdg_format(buf, sizeof buf, m->lang, T_SCANNER_NAMED, m->scanner_name);
    else
        snprintf(buf, sizeof buf, "%s",
                 text(m->lang, m->scanner_connected ? T_SCANNER_OK : T_SCANNER_NONE));
    int scanner_end = printer_status(m, fleet_status(m), wdg_width(buf));
    wdg_put(1, 1, scanner_end - 1, m->scanner_connected ? WDG_DIM : WDG_BAD, buf);

    int y = 2;
    if (m->lab_settings != 0) {
        char list[200];
        /* Every setting named in the cashier's words, on a second row when one is not enough. */
        wdg_format(buf, sizeof buf, m->lang, T_LAB_SETTINGS, lab_words(m, list, sizeof list));
        wdg_fill_row(y, WDG_BAD);
        if (wdg_width(buf) > COLS - 4)
            wdg_fill_row(y + 1, WDG_BAD);
        y += wdg_center_wrap(y, 2, WDG_BAD, buf);
    }
    if (m->clock_skew_s != 0) {
        int minutes = ((m->clock_skew_s < 0 ? -m->clock_skew_s : m->clock_skew_s) + 59) / 60;
        wdg_fill_row(y, WDG_BAD);
        wdg_format(buf, sizeof buf, m->lang, m->clock_skew_s > 0 ? T_CLOCK_BEHIND : T_CLOCK_AHEAD,
                   minutes);
        wdg_center(y++, WDG_BAD, buf);
    }
    return y;
}

/* Lays the keys out on the screen's last rows, as many per row as fit. Returns the footer's
 * first row. */
static int footer(const struct ui_model *m, const struct wdg_key *keys, int nkeys)
{
    /* First pass counts the rows, second draws them, so the footer sits on the last rows. */
    int rows = 1, x = 1;
    for (int i = 0; i < nkeys; i++) {
        int w = wdg_width(keys[i].key) + 1 + wdg_width(text(m->lang, keys[i].label)) + 2;
        if (x + w > COLS && x > 1) {
            rows++;
            x = 1;
        }
        x += w;
    }
    int y = LINES - rows;
    x = 1;
    for (int i = 0; i < nkeys; i++) {
        const char *label = text(m->lang, keys[i].label);
        int w = wdg_width(keys[i].key) + 1 + wdg_width(label) + 2;
        if (x + w > COLS && x > 1) {
            y++;
            x = 1;
        }
        x += wdg_put(y, x, COLS - x, WDG_BAR, keys[i].key);
        x += 1;
        x += wdg_put(y, x, COLS - x, WDG_PLAIN, label);
        x += 2;
    }
    return LINES - rows;
}

struct frame wdg_frame(const struct ui_model *m, const struct ui_input *in,
                       const struct wdg_key *keys, int nkeys)
{
    struct frame f = {.cols = COLS};
    f.top = header(m);
    f.bottom = footer(m, keys, nkeys);
    /* A long message (a journal problem naming a path) takes a second row, never cut. */
    if (m->message[0] != '\0') {
        enum wdg_style style = m->message_is_error ? WDG_BAD : WDG_WARN;
        f.bottom -= wrap(0, 1, COLS - 2, 2, style, m->message, false, false);
        wrap(f.bottom, 1, COLS - 2, 2, style, m->message, false, true);
    }
    if (in->error[0] != '\0') {
        f.bottom -= wrap(0, 1, COLS - 2, 2, WDG_BAD, in->error, false, false);
        wrap(f.bottom, 1, COLS - 2, 2, WDG_BAD, in->error, false, true);
    }
    return f;
}

/* A 4x5 block font, enough for amounts. */
#define GLYPH_ROWS 5
static const char *const glyphs[12][GLYPH_ROWS] = {
    {"████", "█  █", "█  █", "█  █", "████"}, /* 0 */
    {"  █ ", " ██ ", "  █ ", "  █ ", " ███"}, /* 1 */
    {"████", "   █", "████", "█   ", "████"}, /* 2 */
    {"████", "   █", " ███", "   █", "████"}, /* 3 */
    {"█  █", "█  █", "████", "   █", "   █"}, /* 4 */
    {"████", "█   ", "████", "   █", "████"}, /* 5 */
    {"████", "█   ", "████", "█  █", "████"}, /* 6 */
    {"████", "   █", "  █ ", " █  ", " █  "}, /* 7 */
    {"████", "█  █", "████", "█  █", "████"}, /* 8 */
    {"████", "█  █", "████", "   █", "████"}, /* 9 */
    {" ", " ", " ", " ", "█"},                /* . */
    {"    ", "    ", "    ", "    ", "    "}, /* anything else */
};

static int glyph_of(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    return c == '.' ? 10 : 11;
}

static int big_width(const char *amount)
{
    int w = 0;
    for (const char *c = amount; *c; c++)
        w += wdg_width(glyphs[glyph_of(*c)][0]) + (c[1] ? 2 : 0);
    return w;
}

/* Rows the big amount takes: its digits, a gap and the plain line; 1 when only the plain line
 * fits. */
static int big_amount_rows(const char *amount, int cols, int rows_free)
{
    bool big = amount[0] != '\0' && big_width(amount) <= cols - 2 && rows_free >= GLYPH_ROWS + 2;
    return big ? GLYPH_ROWS + 2 : 1;
}

int wdg_big_amount(int y, int cols, int rows_free, enum ui_lang lang, const char *amount,
                   enum wdg_style style)
{
    char plain[96];
    wdg_format(plain, sizeof plain, lang, T_AMOUNT, amount);
    int rows = big_amount_rows(amount, cols, rows_free);
    if (rows == 1) {
        wdg_center(y, style, plain);
        return 1;
    }
    int x0 = (cols - big_width(amount)) / 2;
    for (int r = 0; r < GLYPH_ROWS; r++) {
        int x = x0;
        for (const char *c = amount; *c; c++) {
            const char *g = glyphs[glyph_of(*c)][r];
            wdg_put(y + r, x, cols - x, style, g);
            x += wdg_width(g) + 2;
        }
    }
    wdg_center(y + GLYPH_ROWS + 1, style, plain);
    return rows;
}

void wdg_field(int y, int x, int maxw, int label_w, const char *label, enum wdg_style style,
               const char *value)
{
    wdg_put(y, x, label_w, WDG_DIM, label);
    wdg_put(y, x + label_w + 2, maxw - label_w - 2, style, value);
}
