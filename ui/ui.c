/*
 * ui.c - curses set-up, the full redraw, and the non-blocking key reader.
 *
 * Every render starts from an erased screen and draws the whole model, so nothing from an
 * earlier screen or an earlier size can survive; after a resize the next refresh repaints
 * every cell (clear) because the terminal's idea of the old contents is no longer reliable.
 */
#include "ui.h"

#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keys.h"
#include "screens.h"
#include "text.h"
#include "view.h"
#include "widgets.h"

#define MIN_COLS  80
#define MIN_LINES 24

struct ui {
    SCREEN *screen;
    struct ui_input in;
    bool repaint_all;            /* a resize happened: repaint every cell on the next render */
    char rung[ORDER_NO_MAX + 1]; /* the order whose result last rang the bell */
};

/* One short beep per result, when it is first drawn: a redraw, a resize or a second look at
 * the same result stays quiet. */
static void ring_for_result(struct ui *ui, const struct ui_model *m)
{
    const struct payment *p = m->payment;
    if (m->screen != UI_SCREEN_RESULT || p == NULL || pay_state_unresolved(p->state) ||
        strcmp(ui->rung, p->order_no) == 0)
        return;
    snprintf(ui->rung, sizeof ui->rung, "%s", p->order_no);
    if (m->bell)
        beep();
}

static bool ctype_is_utf8(void)
{
    const char *cs = nl_langinfo(CODESET);
    return cs != NULL && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

/* Only LC_CTYPE: characters and their widths. Numbers and messages stay in the C locale. */
static bool use_utf8(void)
{
    if (setlocale(LC_CTYPE, "") != NULL && ctype_is_utf8())
        return true;
    return setlocale(LC_CTYPE, "C.UTF-8") != NULL && ctype_is_utf8();
}

/*
 * keypad(TRUE) switches the terminal's keypad to application mode (smkx), where the numeric
 * keypad sends VT100 SS3 sequences (ESC O q for 1) instead of its characters. Terminals whose
 * terminfo does not name those keys (screen, tmux, many POS terminal types) would hand them
 * over as Esc, 'O', 'q' - the last of which quits on the ready screen. The keypad is the
 * cashier's main tool, so its keys are taught to curses here, as the characters they bear.
 */
static void define_keypad_keys(void)
{
    static const struct {
        const char *seq;
        int key;
    } keypad_keys[] = {
        {"\033Op", '0'}, {"\033Oq", '1'},  {"\033Or", '2'}, {"\033Os", '3'}, {"\033Ot", '4'},
        {"\033Ou", '5'}, {"\033Ov", '6'},  {"\033Ow", '7'}, {"\033Ox", '8'}, {"\033Oy", '9'},
        {"\033On", '.'}, {"\033Ol", ','},  {"\033Ok", '+'}, {"\033Om", '-'}, {"\033Oj", '*'},
        {"\033Oo", '/'}, {"\033OM", '\n'},
    };
    for (size_t i = 0; i < sizeof keypad_keys / sizeof keypad_keys[0]; i++)
        define_key(keypad_keys[i].seq, keypad_keys[i].key);
}

enum ui_status ui_open(struct ui **out, char *err, size_t errlen)
{
    *out = NULL;
    enum ui_status st = UI_OK;
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        st = UI_NOT_A_TTY;
    else if (!use_utf8())
        st = UI_NO_UTF8;
    struct ui *ui = NULL;
    if (st == UI_OK && (ui = calloc(1, sizeof *ui)) == NULL)
        st = UI_NO_MEMORY;
    if (st == UI_OK && (ui->screen = newterm(NULL, stdout, stdin)) == NULL)
        st = UI_NO_TERMINAL;
    if (st != UI_OK) {
        free(ui);
        snprintf(err, errlen, "cannot start the cashier screen: %s", ui_status_reason(st));
        return st;
    }
    set_term(ui->screen);
    cbreak();
    noecho();
    nonl();
    intrflush(stdscr, FALSE);
    keypad(stdscr, TRUE);
    define_keypad_keys();
    nodelay(stdscr, TRUE);
    set_escdelay(25); /* Esc is a key here, not the start of a sequence typed by hand */
    curs_set(0);
    wdg_init_colors();
    *out = ui;
    return UI_OK;
}

int ui_fd(const struct ui *ui)
{
    (void)ui;
    return STDIN_FILENO;
}

/* Below the minimum the screen says so; a payment at the counter still shows its status,
 * because the cashier must never be left without the truth about it. */
static void too_small(const struct ui_model *m)
{
    char buf[160];
    wdg_format(buf, sizeof buf, m->lang, T_TOO_SMALL, COLS, LINES);
    wdg_center(LINES / 2, WDG_BAD, buf);
    const struct payment *p = m->payment;
    if (p == NULL || (m->screen != UI_SCREEN_PAYING && m->screen != UI_SCREEN_RESULT))
        return;
    enum text_id line = m->screen == UI_SCREEN_RESULT ? view_headline(p) : view_progress(p);
    wdg_format(buf, sizeof buf, m->lang, line, (unsigned)p->cancels);
    wdg_center(LINES / 2 + 1, WDG_WARN, buf);
}

/* A QR payment whose code the customer may scan now: shown (journaled) and not being closed.
 * Before it (the create is out) and after Esc the paying screen says what happens. */
static bool shows_qr(const struct ui_model *m)
{
    const struct payment *p = m->payment;
    return p != NULL && p->kind == PAY_KIND_QR && p->qr_payload[0] != '\0' &&
           p->state == PAY_QUERYING && !p->abort_requested;
}

static void draw_qr(const struct ui_model *m)
{
    const struct payment *p = m->payment;
    struct qr_screen q = {.payload = p->qr_payload,
                          .channel = p->channel,
                          .amount_fen = p->amount_fen,
                          .seconds_left = m->countdown_s > 0 ? m->countdown_s : -1,
                          .lang = m->lang,
                          .ascii_only = m->qr_as_text};
    (void)screen_qr(&q); /* a code it cannot draw, it says why on the screen itself */
}

void ui_render(struct ui *ui, const struct ui_model *m)
{
    keys_sync(&ui->in, m);
    if (ui->repaint_all) {
        clear();
        ui->repaint_all = false;
    } else {
        erase();
    }
    if (COLS < MIN_COLS || LINES < MIN_LINES) {
        too_small(m);
        refresh();
        return;
    }
    switch (m->screen) {
    case UI_SCREEN_READY: screen_ready(m, &ui->in); break;
    case UI_SCREEN_SCAN: screen_scan(m, &ui->in); break;
    case UI_SCREEN_PAYING:
        if (shows_qr(m))
            draw_qr(m);
        else
            screen_paying(m, &ui->in);
        break;
    case UI_SCREEN_RESULT: screen_result(m, &ui->in); break;
    case UI_SCREEN_HISTORY: screen_history(m, &ui->in); break;
    case UI_SCREEN_DETAIL: screen_detail(m, &ui->in); break;
    case UI_SCREEN_REFUND: screen_refund(m, &ui->in); break;
    case UI_SCREEN_EOD: screen_eod(m, &ui->in); break;
    case UI_SCREEN_SIGNIN: screen_signin(m, &ui->in); break;
    case UI_SCREEN_SHIFT: screen_shift(m, &ui->in); break;
    case UI_SCREEN_CLOSE: screen_close(m, &ui->in); break;
    case UI_SCREEN_RECONCILE: screen_reconcile(m, &ui->in); break;
    }
    ring_for_result(ui, m);
    refresh();
}

void ui_read_keys(struct ui *ui, const struct ui_model *m, struct ui_command *out)
{
    bool redraw = false;
    int k;
    while ((k = getch()) != ERR) {
        if (k == KEY_RESIZE)
            ui->repaint_all = true;
        keys_translate(&ui->in, m, k, out);
        if (out->type == UI_CMD_REDRAW) {
            redraw = true;
            continue;
        }
        if (out->type != UI_CMD_NONE)
            return;
    }
    memset(out, 0, sizeof *out);
    out->type = redraw ? UI_CMD_REDRAW : UI_CMD_NONE;
}

bool ui_take_scan(struct ui *ui, const struct ui_model *m, const char *code, struct ui_command *out)
{
    return keys_refund_scan(&ui->in, m, code, out);
}

void ui_close(struct ui *ui)
{
    if (ui == NULL)
        return;
    endwin();
    delscreen(ui->screen);
    free(ui);
}
