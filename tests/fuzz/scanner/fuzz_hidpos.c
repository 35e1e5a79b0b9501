/*
 * fuzz_hidpos.c - any bytes as a report descriptor followed by reports: the parser never
 * reads outside its input, a layout it accepts stays inside the report it describes, and the
 * assembler never hands over more than max_len characters.
 *
 * Input: byte 0 = descriptor length; the descriptor; then records of [time step, length,
 * report bytes].
 */
#include <stdint.h>
#include <stdlib.h>

#include "hidpos.h"

static void sink(void *ctx, const struct code_event *ev)
{
    int max_len = *(int *)ctx;
    if (ev->ok && (ev->len == 0 || ev->len > (size_t)max_len))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int max_len = 40;
    struct hidpos_layout l;
    struct hidpos_assembler a;
    if (size < 1 || (size_t)data[0] + 1 > size)
        return 0;
    size_t dlen = data[0];
    if (hidpos_parse_descriptor(data + 1, dlen, &l) != HIDPOS_PARSE_OK)
        return 0;
    if (l.report_bytes > HIDPOS_REPORT_MAX || l.data_bit < 0 ||
        (size_t)l.data_bit / 8 + l.data_bytes > l.report_bytes)
        abort();
    hidpos_assembler_init(&a, 50, max_len, sink, &max_len);
    int64_t now = 0;
    for (size_t i = 1 + dlen; i + 2 <= size;) {
        now += data[i];
        size_t n = data[i + 1];
        i += 2;
        if (n > size - i)
            n = size - i;
        /* A copy of exactly n bytes, so ASan sees any read past the report. */
        uint8_t *report = malloc(n ? n : 1);
        if (!report)
            return 0;
        for (size_t k = 0; k < n; k++)
            report[k] = data[i + k];
        hidpos_assembler_report(&a, &l, report, n, now);
        free(report);
        i += n;
    }
    hidpos_assembler_tick(&a, now + 1000);
    return 0;
}
