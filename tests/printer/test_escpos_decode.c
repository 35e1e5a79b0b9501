/*
 * test_escpos_decode.c - the test decoder against byte strings written by hand from the ESC/POS
 * command reference (not produced by the driver): text, alignment, styles, GB18030 in Chinese
 * mode, the printer's QR command, a raster QR drawn here with libqrencode and read back with
 * zbarimg, feeds, cuts, status requests, and every kind of bad input it must refuse.
 */
#include <iconv.h>
#include <qrencode.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "escpos_decode.h"

#define BYTES(...)                                                                                 \
    ((const unsigned char[]){__VA_ARGS__}), sizeof((const unsigned char[]){__VA_ARGS__})

static struct decoded_receipt r;

static bool decode(const unsigned char *b, size_t n)
{
    decoded_receipt_free(&r);
    return decode_escpos(b, n, &r);
}

static char *json_of(const struct decoded_element *e, const char *qr)
{
    static char *buf;
    size_t len;
    free(buf);
    FILE *f = open_memstream(&buf, &len);
    decoded_element_write_json(e, qr, f);
    fclose(f);
    return buf;
}

static void test_styled_receipt(void)
{
    /* ESC @; FS &; ESC a 1; ESC E 1; GS ! 0x11; "收银" LF; GS ! 0; ESC E 0; ESC a 0;
     * "Total 12.00" LF; ESC a 2; "thanks" LF; ESC d 3; GS V 66 0 */
    CHECK(decode(BYTES(0x1b, '@', 0x1c, '&', 0x1b, 'a', 1, 0x1b, 'E', 1, 0x1d, '!', 0x11, 0xca,
                       0xd5, 0xd2, 0xf8, '\n', 0x1d, '!', 0, 0x1b, 'E', 0, 0x1b, 'a', 48, 'T', 'o',
                       't', 'a', 'l', ' ', '1', '2', '.', '0', '0', '\n', 0x1b, 'a', 2, 't', 'h',
                       'a', 'n', 'k', 's', '\n', 0x1b, 'd', 3, 0x1d, 'V', 66, 0)));
    CHECK_EQ_INT(r.count, 6);
    if (r.count != 6)
        return;
    CHECK_EQ_INT(r.elements[0].kind, DECODED_INIT);
    CHECK_EQ_STR(json_of(&r.elements[1], NULL),
                 "{\"text\":\"收银\",\"align\":\"center\",\"bold\":true,\"double\":true}");
    CHECK_EQ_STR(json_of(&r.elements[2], NULL),
                 "{\"text\":\"Total 12.00\",\"align\":\"left\",\"bold\":false,\"double\":false}");
    CHECK_EQ_STR(json_of(&r.elements[3], NULL),
                 "{\"text\":\"thanks\",\"align\":\"right\",\"bold\":false,\"double\":false}");
    CHECK_EQ_STR(json_of(&r.elements[4], NULL), "{\"feed\":3}");
    CHECK_EQ_STR(json_of(&r.elements[5], NULL), "{\"cut\":\"partial\"}");
    CHECK_EQ_INT(r.elements[2].offset, 27);
}

static void test_gb18030_bytes_are_what_iconv_says(void)
{
    /* The hand-written bytes above, checked against the system's converter. */
    iconv_t cd = iconv_open("GB18030", "UTF-8");
    char in[] = "收银", out[16];
    char *ip = in, *op = out;
    size_t il = strlen(in), ol = sizeof out;
    CHECK(iconv(cd, &ip, &il, &op, &ol) != (size_t)-1);
    iconv_close(cd);
    CHECK_EQ_INT(op - out, 4);
    CHECK(memcmp(out, "\xca\xd5\xd2\xf8", 4) == 0);
    /* a four-byte GB18030 character (U+00DE, 0x81 0x30 0x89 0x37) and ASCII on one line */
    CHECK(decode(BYTES(0x1c, '&', 'A', 0x81, 0x30, 0x89, 0x37, 'B', '\n')));
    CHECK(r.count == 1 && strcmp(r.elements[0].text, "A\xc3\x9e"
                                                     "B") == 0);
    /* FS . leaves Chinese mode: the same bytes are then refused */
    CHECK(!decode(BYTES(0x1c, '&', 0x1c, '.', 0xca, 0xd5, '\n')));
    CHECK_EQ_INT(r.error_offset, 4);
    /* ESC @ leaves it too (the driver must say FS & itself) */
    CHECK(!decode(BYTES(0x1c, '&', 0x1b, '@', 0xca, 0xd5, '\n')));
    CHECK_EQ_INT(r.error_offset, 4);
    /* a lead byte with a trail byte GB18030 has no character for */
    CHECK(!decode(BYTES(0x1c, '&', 0xca, 0x0a, '\n')));
    CHECK_EQ_INT(r.error_offset, 2);
}

static void test_styles(void)
{
    /* ESC ! 0x38: emphasized, double height and width, one-byte characters only */
    CHECK(decode(BYTES(0x1b, '!', 0x38, 'A', 'B', '\n')));
    CHECK(r.count == 1 && r.elements[0].bold && r.elements[0].width == 2 &&
          r.elements[0].height == 2 && !r.elements[0].mixed);
    /* ... so a Chinese character on that line stays single size: the line is mixed */
    CHECK(decode(BYTES(0x1c, '&', 0x1b, '!', 0x30, 'A', 0xca, 0xd5, '\n')));
    CHECK(r.count == 1 && r.elements[0].mixed);
    CHECK_EQ_STR(
        json_of(&r.elements[0], NULL),
        "{\"text\":\"A收\",\"align\":\"left\",\"bold\":false,\"double\":true,\"mixed\":true}");
    /* ESC ! bit 7 is underline, bit 0 font B: never emphasis */
    CHECK(decode(BYTES(0x1b, '!', 0x81, 'x', '\n')));
    CHECK_EQ_STR(json_of(&r.elements[0], NULL),
                 "{\"text\":\"x\",\"align\":\"left\",\"bold\":false,"
                 "\"double\":false,\"underline\":true,\"font\":\"B\"}");
    /* GS ! 0x10: double width only; 0x01 double height only */
    CHECK(decode(BYTES(0x1d, '!', 0x10, 'w', '\n', 0x1d, '!', 0x01, 'h', '\n')));
    CHECK(r.count == 2 && strstr(json_of(&r.elements[0], NULL), "\"size\":\"2x1\""));
    CHECK(r.count == 2 && strstr(json_of(&r.elements[1], NULL), "\"size\":\"1x2\""));
    /* emphasis switched off mid-line: mixed, the style of the first character reported */
    CHECK(decode(BYTES(0x1b, 'E', 1, 'a', 0x1b, 'E', 0, 'b', '\n')));
    CHECK(r.count == 1 && r.elements[0].bold && r.elements[0].mixed);
    /* ESC t and ESC R select tables: accepted, nothing printed */
    CHECK(decode(BYTES(0x1b, 't', 0, 0x1b, 'R', 15, 'k', '\n')));
    CHECK_EQ_INT(r.count, 1);
}

static void test_feeds_cuts_and_status_requests(void)
{
    /* LF on an empty line feeds one; ESC d n after text prints it as the first of the n */
    CHECK(decode(BYTES('\n', 'a', 0x1b, 'd', 3, 0x1b, 'd', 1, 0x1b, 'd', 0)));
    CHECK_EQ_INT(r.count, 4);
    if (r.count == 4) {
        CHECK_EQ_STR(json_of(&r.elements[0], NULL), "{\"feed\":1}");
        CHECK_EQ_STR(r.elements[1].text, "a");
        CHECK_EQ_STR(json_of(&r.elements[2], NULL), "{\"feed\":2}");
        CHECK_EQ_STR(json_of(&r.elements[3], NULL), "{\"feed\":1}");
    }
    CHECK(decode(BYTES(0x1d, 'V', 0, 0x1d, 'V', 1, 0x1d, 'V', 48, 0x1d, 'V', 49, 0x1d, 'V', 65, 5,
                       0x1d, 'V', 66, 0)));
    CHECK_EQ_INT(r.count, 6);
    if (r.count == 6) {
        const char *want[] = {"full", "partial", "full", "partial", "full", "partial"};
        for (int i = 0; i < 6; i++)
            CHECK_EQ_INT(r.elements[i].full_cut, strcmp(want[i], "full") == 0);
        CHECK_EQ_INT(r.elements[4].n, 5);
        CHECK_EQ_STR(json_of(&r.elements[0], NULL), "{\"cut\":\"full\"}");
    }
    /* DLE EOT anywhere between commands, even inside a line */
    CHECK(
        decode(BYTES(0x10, 0x04, 1, 'a', 0x10, 0x04, 4, 'b', '\n', 0x10, 0x04, 2, 0x10, 0x04, 3)));
    CHECK_EQ_INT(r.count, 5);
    if (r.count == 5) {
        CHECK_EQ_STR(json_of(&r.elements[0], NULL), "{\"status_request\":1}");
        CHECK_EQ_STR(json_of(&r.elements[1], NULL), "{\"status_request\":4}");
        CHECK_EQ_STR(r.elements[2].text, "ab");
        CHECK_EQ_STR(json_of(&r.elements[4], NULL), "{\"status_request\":3}");
    }
}

static void test_native_qr(void)
{
    /* model 2, module 4 dots, EC M, store "P202612070001", print; centred */
    CHECK(decode(BYTES(0x1b, 'a', 1, 0x1d, '(', 'k', 4, 0, 49, 65, 50, 0, 0x1d, '(', 'k', 3, 0, 49,
                       67, 4, 0x1d, '(', 'k', 3, 0, 49, 69, 49, 0x1d, '(', 'k', 16, 0, 49, 80, 48,
                       'P', '2', '0', '2', '6', '1', '2', '0', '7', '0', '0', '0', '1', 0x1d, '(',
                       'k', 3, 0, 49, 81, 48)));
    CHECK_EQ_INT(r.count, 1);
    if (r.count == 1) {
        CHECK_EQ_INT(r.elements[0].kind, DECODED_QR_NATIVE);
        CHECK_EQ_STR(json_of(&r.elements[0], NULL),
                     "{\"qr\":\"P202612070001\",\"how\":\"native\",\"align\":\"center\","
                     "\"model\":2,\"module\":4,\"ec\":\"M\"}");
    }
    /* defaults after ESC @: model 2, module 3, EC L; and the stored data is gone */
    CHECK(!decode(
        BYTES(0x1d, '(', 'k', 4, 0, 49, 80, 48, 'X', 0x1b, '@', 0x1d, '(', 'k', 3, 0, 49, 81, 48)));
    CHECK(r.failed && strstr(r.error, "no QR data"));
    CHECK_EQ_INT(r.error_offset, 11);
    CHECK(decode(BYTES(0x1d, '(', 'k', 4, 0, 49, 80, 48, 'X', 0x1d, '(', 'k', 3, 0, 49, 81, 48)));
    CHECK(r.count == 1 && r.elements[0].qr_module == 3 && r.elements[0].qr_ec == 'L' &&
          r.elements[0].qr_model == 2);
    /* PDF417 (cn 48), an unknown QR function, a bad EC level, a wrong length */
    CHECK(!decode(BYTES(0x1d, '(', 'k', 3, 0, 48, 67, 3)));
    CHECK(!decode(BYTES(0x1d, '(', 'k', 3, 0, 49, 82, 48)));
    CHECK(!decode(BYTES(0x1d, '(', 'k', 3, 0, 49, 69, 52)));
    CHECK(!decode(BYTES(0x1d, '(', 'k', 4, 0, 49, 67, 4, 0)));
    /* the length says more bytes than there are */
    CHECK(!decode(BYTES(0x1d, '(', 'k', 20, 0, 49, 80, 48, 'a', 'b')));
    CHECK(strstr(r.error, "input ends inside") != NULL);
}

/* A GS v 0 image of a QR code drawn by libqrencode, `dots` printer dots per module, with
 * a 4-module quiet zone of its own. */
static unsigned char *raster_qr(const char *payload, int dots, int m, size_t *len)
{
    QRcode *q = QRcode_encodeString(payload, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!q)
        return NULL;
    int side = (q->width + 8) * dots, xbytes = (side + 7) / 8;
    *len = 8 + (size_t)xbytes * (size_t)side;
    unsigned char *b = calloc(1, *len);
    b[0] = 0x1d, b[1] = 'v', b[2] = '0', b[3] = (unsigned char)m;
    b[4] = (unsigned char)(xbytes & 0xff), b[5] = (unsigned char)(xbytes >> 8);
    b[6] = (unsigned char)(side & 0xff), b[7] = (unsigned char)(side >> 8);
    for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++) {
            int mx = x / dots - 4, my = y / dots - 4;
            if (mx >= 0 && my >= 0 && mx < q->width && my < q->width &&
                (q->data[my * q->width + mx] & 1))
                b[8 + y * xbytes + x / 8] |= (unsigned char)(0x80 >> (x % 8));
        }
    QRcode_free(q);
    return b;
}

static void test_raster_qr(void)
{
    const char *payload = "P20261207-000042";
    size_t len;
    unsigned char *b = raster_qr(payload, 4, 0, &len);
    CHECK(b != NULL);
    if (!b)
        return;
    CHECK(decode(b, len));
    CHECK_EQ_INT(r.count, 1);
    if (r.count == 1) {
        CHECK_EQ_INT(r.elements[0].kind, DECODED_IMAGE);
        char got[256], err[256] = "";
        int found = decoded_image_read_qr(&r.elements[0], got, sizeof got, err, sizeof err);
        if (found < 0)
            fprintf(stderr, "zbarimg: %s\n", err);
        CHECK_EQ_INT(found, 1);
        CHECK_EQ_STR(got, payload);
        char want[256];
        snprintf(want, sizeof want,
                 "{\"qr\":\"%s\",\"how\":\"raster\",\"align\":\"left\",\"width\":%d,\"height\":%d}",
                 payload, r.elements[0].image_width, r.elements[0].image_height);
        CHECK_EQ_STR(json_of(&r.elements[0], got), want);
    }
    /* m = 51 (quadruple): the image is scaled up and still reads */
    free(b);
    b = raster_qr(payload, 2, 51, &len);
    CHECK(decode(b, len));
    if (r.count == 1) {
        char got[256], err[256];
        CHECK_EQ_INT(decoded_image_read_qr(&r.elements[0], got, sizeof got, err, sizeof err), 1);
        CHECK_EQ_STR(got, payload);
        CHECK_EQ_INT(r.elements[0].image_width, 2 * 8 * b[4]);
    }
    /* a raster image that is no QR code: read as none */
    CHECK(decode(BYTES(0x1d, 'v', '0', 0, 1, 0, 2, 0, 0xff, 0x00)));
    if (r.count == 1) {
        char got[256], err[256];
        CHECK_EQ_INT(decoded_image_read_qr(&r.elements[0], got, sizeof got, err, sizeof err), 0);
        CHECK_EQ_STR(json_of(&r.elements[0], NULL), "{\"image\":\"8x2\",\"align\":\"left\"}");
    }
    /* the image cut short */
    CHECK(!decode(b, len - 1));
    CHECK(strstr(r.error, "GS v 0") && r.error_offset == 0);
    free(b);
}

static void test_refused(void)
{
    /* unknown commands, with their offsets */
    CHECK(!decode(BYTES('a', '\n', 0x1b, 0x99)));
    CHECK_EQ_INT(r.error_offset, 2);
    CHECK_EQ_INT(r.count, 1); /* what came before is kept */
    CHECK(!decode(BYTES(0x1d, 'B', 1)));
    CHECK(!decode(BYTES(0x1c, '!', 0)));
    CHECK(!decode(BYTES(0x10, 0x05, 1)));
    CHECK(!decode(BYTES('\r', '\n')));
    CHECK(!decode(BYTES('\t', '\n')));
    /* out-of-range parameters */
    CHECK(!decode(BYTES(0x1b, 'a', 3)));
    CHECK(!decode(BYTES(0x10, 0x04, 5)));
    CHECK(!decode(BYTES(0x1d, 'V', 2)));
    CHECK(!decode(BYTES(0x1d, 'V', 97, 0)));
    CHECK(!decode(BYTES(0x1d, '!', 0x80)));
    CHECK(!decode(BYTES(0x1d, 'v', '0', 4, 1, 0, 1, 0, 0)));
    /* truncated anywhere */
    CHECK(!decode(BYTES(0x1b)));
    CHECK(!decode(BYTES(0x1b, 'a')));
    CHECK(!decode(BYTES(0x1d, 'V', 66)));
    CHECK(!decode(BYTES(0x10, 0x04)));
    CHECK(!decode(BYTES(0x1c, '&', 0xca)));
    CHECK(!decode(BYTES(0x1d, '(', 'k', 3)));
    /* text never printed, non-ASCII outside Chinese mode */
    CHECK(!decode(BYTES('a', 'b')));
    CHECK(strstr(r.error, "never printed") && r.error_offset == 0);
    CHECK(!decode(BYTES('a', 0xe9, '\n')));
    CHECK_EQ_INT(r.error_offset, 1);
    /* settings a printer ignores in the middle of a line, ESC @ throwing a line away */
    CHECK(!decode(BYTES('a', 0x1b, 'a', 1, '\n')));
    CHECK(!decode(BYTES('a', 0x1d, 'V', 1)));
    CHECK(!decode(BYTES('a', 0x1d, 'v', '0', 0, 1, 0, 1, 0, 0xff)));
    CHECK(!decode(BYTES('a', 0x1b, '@')));
    CHECK_EQ_INT(r.error_offset, 1);
    /* empty input is an empty receipt, not an error */
    CHECK(decode((const unsigned char *)"", 0));
    CHECK_EQ_INT(r.count, 0);
}

int main(void)
{
    test_styled_receipt();
    test_gb18030_bytes_are_what_iconv_says();
    test_styles();
    test_feeds_cuts_and_status_requests();
    test_native_qr();
    test_raster_qr();
    test_refused();
    decoded_receipt_free(&r);
    return check_done();
}
