/*
 * qr_text_pbm.c - `qr_text_pbm half|text OUT.pbm < captured-pane`: the tmux test's converter
 * from a terminal's captured characters to an image for zbarimg (qr_pbm.h).
 */
#include <stdio.h>
#include <string.h>

#include "qr_pbm.h"

#define MAX_LINES 200

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "half") != 0 && strcmp(argv[1], "text") != 0)) {
        fprintf(stderr, "usage: qr_text_pbm half|text OUT.pbm < text\n");
        return 2;
    }
    static char buf[MAX_LINES][2048];
    const char *lines[MAX_LINES];
    int n = 0;
    while (n < MAX_LINES && fgets(buf[n], sizeof buf[n], stdin) != NULL) {
        lines[n] = buf[n];
        n++;
    }
    FILE *out = fopen(argv[2], "wb");
    if (out == NULL) {
        perror(argv[2]);
        return 1;
    }
    enum qr_pbm_style style = strcmp(argv[1], "half") == 0 ? QR_PBM_HALF_BLOCKS : QR_PBM_TEXT;
    bool ok = qr_pbm_write(lines, n, style, out);
    if (fclose(out) != 0 || !ok) {
        fprintf(stderr, "qr_text_pbm: no QR drawing in the input\n");
        return 1;
    }
    return 0;
}
