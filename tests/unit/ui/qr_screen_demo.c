/*
 * qr_screen_demo.c - `qr_screen_demo LOG en|zh wechat|alipay PAYLOAD SECONDS [ascii]`: draws
 * screen_qr() alone in a real terminal for ui_qr_tmux.sh, redraws it after each resize, logs
 * what each draw returned (qr_art_status_name) and exits 0 on Esc.
 */
#include <curses.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "screens.h"
#include "widgets.h"

static void draw(const struct qr_screen *q, FILE *log)
{
    erase();
    enum qr_art_status st = screen_qr(q);
    refresh();
    fprintf(log, "%dx%d %s\n", COLS, LINES, qr_art_status_name(st));
    fflush(log);
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: qr_screen_demo LOG en|zh wechat|alipay PAYLOAD SECONDS [ascii]\n");
        return 2;
    }
    FILE *log = fopen(argv[1], "a");
    if (log == NULL || setlocale(LC_CTYPE, "C.UTF-8") == NULL)
        return 1;
    struct qr_screen q = {
        .payload = argv[4],
        .channel = strcmp(argv[3], "alipay") == 0 ? CHANNEL_ALIPAY : CHANNEL_WECHAT,
        .amount_fen = 1230,
        .seconds_left = atoi(argv[5]),
        .lang = strcmp(argv[2], "zh") == 0 ? UI_LANG_ZH : UI_LANG_EN,
        .ascii_only = argc > 6 && strcmp(argv[6], "ascii") == 0,
    };
    if (initscr() == NULL)
        return 1;
    cbreak();
    noecho();
    keypad(stdscr, TRUE);
    curs_set(0);
    wdg_init_colors();
    draw(&q, log);
    int k;
    while ((k = getch()) != 27) {
        if (k == KEY_RESIZE)
            draw(&q, log);
    }
    endwin();
    fprintf(log, "esc\n");
    fclose(log);
    return 0;
}
