/*
 * escpos_decode_main.c - escpos-decode: what a receipt printer would print from ESC/POS bytes,
 * as JSON lines (escpos_decode.h), for the tests and for a human looking at a capture.
 *
 *   usage: escpos-decode [FILE]      (standard input without FILE)
 *
 * One JSON object per printed element; a raster image is read as a QR code with zbarimg.
 * Exit 0 when the whole input decoded; 1 when it did not (the elements before the error, then
 * {"error":...,"offset":N}), when zbarimg is missing, or when FILE cannot be read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escpos_decode.h"

static unsigned char *read_all(FILE *f, size_t *len)
{
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        unsigned char *bigger = realloc(buf, cap * 2);
        if (!bigger) {
            free(buf);
            return NULL;
        }
        buf = bigger;
        cap *= 2;
    }
    if (buf && ferror(f)) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && argv[1][0] == '-' && argv[1][1] != '\0')) {
        fprintf(stderr, "usage: escpos-decode [FILE]\n");
        return 1;
    }
    FILE *in = stdin;
    if (argc == 2 && strcmp(argv[1], "-") != 0) {
        in = fopen(argv[1], "rb");
        if (!in) {
            fprintf(stderr, "escpos-decode: %s: %s\n", argv[1], strerror(errno));
            return 1;
        }
    }
    size_t len = 0;
    unsigned char *bytes = read_all(in, &len);
    if (in != stdin)
        fclose(in);
    if (!bytes) {
        fprintf(stderr, "escpos-decode: cannot read the input\n");
        return 1;
    }

    struct decoded_receipt r;
    bool ok = decode_escpos(bytes, len, &r);
    int status = 0;
    for (size_t i = 0; i < r.count; i++) {
        const struct decoded_element *e = &r.elements[i];
        char payload[4096], err[256];
        const char *qr = NULL;
        if (e->kind == DECODED_IMAGE) {
            int found = decoded_image_read_qr(e, payload, sizeof payload, err, sizeof err);
            if (found < 0) {
                fprintf(stderr, "escpos-decode: image at offset %zu: %s\n", e->offset, err);
                status = 1;
                break;
            }
            qr = found ? payload : NULL;
        }
        decoded_element_write_json(e, qr, stdout);
        putchar('\n');
    }
    if (!ok && status == 0) {
        fputs("{\"error\":", stdout);
        write_json_string(r.error, stdout);
        printf(",\"offset\":%zu}\n", r.error_offset);
        fprintf(stderr, "escpos-decode: offset %zu: %s\n", r.error_offset, r.error);
        status = 1;
    }
    decoded_receipt_free(&r);
    free(bytes);
    return status;
}
