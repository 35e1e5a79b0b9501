/*
 * fuzz_register_line.c - the cash register API's wire format (app/register_line.h) on any bytes
 * a client can send: the line reader fed in pieces, and every line it gives parsed.
 *
 * Input: the first byte sets the size of the pieces the stream is fed in (1 to 256) and the
 * second the longest line (1 to 1024); the rest is the stream. The whole rest is also parsed as
 * one line, from a buffer of exactly its size (no NUL after it: ASan sees any read past it).
 * Properties: the reader gives the same lines, whatever the pieces, as a plain split on '\n'
 * (a "\r" before it dropped), none longer than its limit, each NUL-terminated at its length; a
 * line over the limit stops the stream. A refusal has a reason, and the reason is valid UTF-8
 * without control characters (it goes back to the client inside a JSON string). An accepted
 * request is whole: its ids are printable ASCII within their bounds, a payment or refund has
 * an amount above zero, a payment has a sale, a refund names exactly one of sale and order,
 * the description is valid UTF-8 without control characters, every text is NUL-terminated.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "register_line.h"

static void must(int ok)
{
    if (!ok)
        abort();
}

/* Valid UTF-8 (no overlong form, no surrogate, nothing past U+10FFFF) without C0/C1
 * controls or DEL. */
static int clean_utf8(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f)
                return 0;
            i++;
            continue;
        }
        size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
        if (len == 0 || c > 0xf4 || i + len > n)
            return 0;
        uint32_t cp = c & (0x7f >> len);
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (p[i + k] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0))
            return 0;
        i += len;
    }
    return 1;
}

static int printable_within(const char *s, size_t size)
{
    const char *end = memchr(s, '\0', size);
    if (end == NULL)
        return 0;
    for (; s < end; s++)
        if (*s < 0x20 || *s > 0x7e)
            return 0;
    return 1;
}

static void check_parse(const char *line, size_t len)
{
    struct register_request r;
    char why[256];
    enum register_error e = register_parse(line, len, &r, why, sizeof why);
    must(e >= REGISTER_OK && e <= REGISTER_BAD_VALUE);
    must(register_error_name(e) != NULL);
    size_t wl = strnlen(why, sizeof why);
    must(wl < sizeof why);
    if (e != REGISTER_OK) {
        must(wl > 0);
        must(clean_utf8(why, wl));
        return;
    }
    must(r.command >= REGISTER_PAYMENT && r.command <= REGISTER_CLOSE_DAY);
    must(register_command_name(r.command) != NULL);
    must(printable_within(r.sale_id, sizeof r.sale_id));
    must(printable_within(r.order, sizeof r.order));
    must(printable_within(r.key, sizeof r.key));
    must(printable_within(r.pin, sizeof r.pin));
    size_t dl = strnlen(r.description, sizeof r.description);
    must(dl < sizeof r.description);
    must(clean_utf8(r.description, dl));
    if (r.command == REGISTER_PAYMENT) {
        must(r.sale_id[0] != '\0');
        must(r.amount_fen > 0);
    }
    if (r.command == REGISTER_REFUND) {
        must((r.sale_id[0] != '\0') != (r.order[0] != '\0'));
        must(r.amount_fen > 0);
        must(r.key[0] != '\0');
    }
    if (r.command == REGISTER_ABORT)
        must(r.sale_id[0] != '\0');
}

/* The lines the reader should give: a plain split, stopping at the first line over max. */
struct expected {
    const char *data;
    size_t size, at, max;
};

static int next_expected(struct expected *x, const char **line, size_t *len)
{
    const char *nl = memchr(x->data + x->at, '\n', x->size - x->at);
    if (nl == NULL)
        return 0;
    size_t n = (size_t)(nl - (x->data + x->at));
    if (n > x->max)
        return 0;
    *line = x->data + x->at;
    *len = n > 0 && (*line)[n - 1] == '\r' ? n - 1 : n;
    x->at += n + 1;
    return 1;
}

static int take_line(void *ctx, char *line, size_t len)
{
    struct expected *x = ctx;
    const char *want;
    size_t want_len;
    must(next_expected(x, &want, &want_len));
    must(len == want_len && len <= x->max);
    must(line[len] == '\0');
    must(memcmp(line, want, len) == 0);
    check_parse(line, len);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t piece = (size_t)data[0] + 1, max = ((size_t)data[1] << 2) + 4;
    const char *stream = (const char *)data + 2;
    size_t n = size - 2;

    char *exact = malloc(n ? n : 1);
    if (exact == NULL)
        return 0;
    memcpy(exact, stream, n);
    check_parse(exact, n);
    free(exact);

    struct register_reader rd;
    if (!register_reader_init(&rd, max))
        return 0;
    struct expected x = {.data = stream, .size = n, .max = max};
    enum register_feed fed = REGISTER_FEED_OK;
    for (size_t at = 0; at < n && fed == REGISTER_FEED_OK; at += piece) {
        size_t k = n - at < piece ? n - at : piece;
        fed = register_reader_feed(&rd, stream + at, k, take_line, &x);
    }
    must(fed != REGISTER_FEED_STOPPED);
    /* Accepted: every complete line was given and what is left waits within the limit.
     * Refused: the line (complete or not) the reader stopped at is over the limit. */
    const char *left = stream + x.at;
    const char *nl = memchr(left, '\n', n - x.at);
    size_t left_len = nl ? (size_t)(nl - left) : n - x.at;
    if (fed == REGISTER_FEED_OK)
        must(nl == NULL && left_len <= max);
    else
        must(left_len > max);
    register_reader_free(&rd);
    return 0;
}
