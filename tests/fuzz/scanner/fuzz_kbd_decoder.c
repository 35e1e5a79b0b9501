/*
 * fuzz_kbd_decoder.c - any byte stream as keyboard reports: no crash, and whatever comes out
 * as a code is printable and within max_len.
 *
 * Input: byte 0 picks layout and suffix; then records of [time step, 8 report bytes].
 */
#include <stdint.h>
#include <stdlib.h>

#include "kbd_decoder.h"

static void sink(void *ctx, const struct code_event *ev)
{
    int max_len = *(int *)ctx;
    if (!ev->ok)
        return;
    if (ev->len == 0 || ev->len > (size_t)max_len)
        abort();
    for (size_t i = 0; i < ev->len; i++) {
        if (ev->text[i] < 0x20 || ev->text[i] > 0x7e)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int max_len = 32;
    struct kbd_decoder d;
    int64_t now = 0;
    if (size < 1)
        return 0;
    kbd_decoder_init(&d, (data[0] & 1) ? SCAN_LAYOUT_AZERTY : SCAN_LAYOUT_US,
                     (enum scan_suffix)((data[0] >> 1) % 3), 50, max_len, sink, &max_len);
    for (size_t i = 1; i + 9 <= size; i += 9) {
        now += data[i];
        kbd_decoder_report(&d, data + i + 1, 8, now);
        int64_t deadline = kbd_decoder_deadline(&d);
        if (deadline >= 0 && deadline < now)
            abort(); /* a deadline in the past means a tick was missed */
    }
    kbd_decoder_tick(&d, now + 1000);
    if (kbd_decoder_deadline(&d) != -1)
        abort();
    return 0;
}
