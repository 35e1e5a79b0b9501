/*
 * test_escpos.c - the ESC/POS bytes of receipts compared with sequences written by hand from
 * Epson's command reference (the sources are in drivers/printer/README.md), not produced by
 * the encoder: GB18030 text, alignment, emphasis, double size, native and raster QR codes,
 * feed and cut, at both paper widths; the plain text rendering; the DLE EOT answers.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "escpos.h"

static const struct escpos_options native = {.native_qr = true};
static const struct escpos_options raster = {.native_qr = false};

static void check_bytes(const unsigned char *got, size_t got_len, const unsigned char *want,
                        size_t want_len, int line)
{
    if (got_len == want_len && memcmp(got, want, want_len) == 0) {
        check_passed++;
        return;
    }
    check_failed++;
    fprintf(stderr, "%s:%d: bytes differ (%zu, want %zu)\n  got: ", __FILE__, line, got_len,
            want_len);
    for (size_t i = 0; i < got_len; i++)
        fprintf(stderr, "%02x ", got[i]);
    fprintf(stderr, "\n want: ");
    for (size_t i = 0; i < want_len; i++)
        fprintf(stderr, "%02x ", want[i]);
    fprintf(stderr, "\n");
}
#define CHECK_BYTES(got, len, want) check_bytes(got, len, want, sizeof want, __LINE__)

static void test_text_58mm(void)
{
    struct print_doc d;
    doc_init(&d, DOC_COLUMNS_58MM);
    doc_text(&d, DOC_CENTER, DOC_BOLD, "收银");
    doc_text(&d, DOC_LEFT, 0, "Total");
    doc_text(&d, DOC_RIGHT, DOC_DOUBLE, "12.00");
    doc_text(&d, DOC_RIGHT, DOC_DOUBLE, "OK");
    doc_rule(&d);
    doc_feed(&d, 3);
    doc_cut(&d);
    static const unsigned char want[] = {
        0x1B, 0x40,                         /* ESC @ */
        0x1C, 0x26,                         /* FS & */
        0x1B, 0x61, 0x01, 0x1B, 0x45, 0x01, /* ESC a 1, ESC E 1 */
        0xCA, 0xD5, 0xD2, 0xF8, 0x0A,       /* 收银 in GB18030 (iconv), LF */
        0x1B, 0x61, 0x00, 0x1B, 0x45, 0x00, /* ESC a 0, ESC E 0 */
        'T',  'o',  't',  'a',  'l',  0x0A, /* */
        0x1B, 0x61, 0x02, 0x1D, 0x21, 0x11, /* ESC a 2, GS ! 0x11 */
        '1',  '2',  '.',  '0',  '0',  0x0A, /* */
        'O',  'K',  0x0A,                   /* same mode: nothing resent */
        0x1B, 0x61, 0x00, 0x1D, 0x21, 0x00, /* the rule: left, normal size */
        '-',  '-',  '-',  '-',  '-',  '-',  '-', '-', '-',  '-',  '-',  '-',
        '-',  '-',  '-',  '-',  '-',  '-',  '-', '-', '-',  '-',  '-',  '-',
        '-',  '-',  '-',  '-',  '-',  '-',  '-', '-', 0x0A, 0x1B, 0x64, 0x03, /* ESC d 3 */
        0x1D, 0x56, 0x42, 0x00,                                               /* GS V 66 0 */
    };
    unsigned char *out = NULL;
    size_t len = 0;
    char err[128] = "";
    CHECK_EQ_INT(escpos_render(&d, &native, &out, &len, err, sizeof err), ESCPOS_OK);
    CHECK_BYTES(out, len, want);
    escpos_free(out);
}

static void test_text_80mm_pair(void)
{
    struct print_doc d;
    doc_init(&d, DOC_COLUMNS_80MM);
    doc_pair(&d, "金额", "¥1.00");
    doc_rule(&d);
    static const unsigned char want[] = {
        0x1B, 0x40, 0x1C, 0x26, 0xBD, 0xF0, 0xB6, 0xEE, /* 金额 */
        ' ',  ' ',  ' ',  ' ',  ' ',  ' ',  ' ',  ' ',  ' ',  ' ', ' ', ' ', ' ', ' ',
        ' ',  ' ',  ' ',  ' ',  ' ',  ' ',  ' ',  ' ',  ' ',  ' ', ' ', ' ', ' ', ' ',
        ' ',  ' ',  ' ',  ' ',  ' ',  ' ',  ' ',  ' ',  ' ',  ' ', ' ', /* 48 - 4 - 5 = 39 spaces */
        0x81, 0x30, 0x84, 0x36, '1',  '.',  '0',  '0',  0x0A, /* ¥ U+00A5: four bytes in GB18030 */
        '-',  '-',  '-',  '-',  '-',  '-',  '-',  '-',  '-',  '-', '-', '-', '-', '-',
        '-',  '-',  '-',  '-',  '-',  '-',  '-',  '-',  '-',  '-', '-', '-', '-', '-',
        '-',  '-',  '-',  '-',  '-',  '-',  '-',  '-',  '-',  '-', '-', '-', '-', '-',
        '-',  '-',  '-',  '-',  '-',  '-',  0x0A,
    };
    unsigned char *out = NULL;
    size_t len = 0;
    char err[128] = "";
    CHECK_EQ_INT(escpos_render(&d, &raster, &out, &len, err, sizeof err), ESCPOS_OK);
    CHECK_BYTES(out, len, want);
    escpos_free(out);
}

static void test_native_qr(void)
{
    struct print_doc d;
    doc_init(&d, DOC_COLUMNS_58MM);
    doc_qr(&d, "AB");
    static const unsigned char want[] = {
        0x1B, 0x40, 0x1C, 0x26, 0x1B, 0x61, 0x01,                  /* centred */
        0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00,      /* 165: model 2 */
        0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43, 0x06,            /* 167: module 6 dots */
        0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, 0x31,            /* 169: error correction M */
        0x1D, 0x28, 0x6B, 0x05, 0x00, 0x31, 0x50, 0x30, 'A',  'B', /* 180: store, k + 3 */
        0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30,            /* 181: print */
    };
    unsigned char *out = NULL;
    size_t len = 0;
    char err[128] = "";
    CHECK_EQ_INT(escpos_render(&d, &native, &out, &len, err, sizeof err), ESCPOS_OK);
    CHECK_BYTES(out, len, want);
    escpos_free(out);
}

static void test_raster_qr(int columns)
{
    struct print_doc d;
    doc_init(&d, columns);
    doc_qr(&d, "AB");
    unsigned char *out = NULL;
    size_t len = 0;
    char err[128] = "";
    CHECK_EQ_INT(escpos_render(&d, &raster, &out, &len, err, sizeof err), ESCPOS_OK);
    /* "AB" is a version 1 symbol: 21 modules + 2 x 4 of quiet zone = 29 modules of 6 dots,
     * 174 dots square: 22 bytes a row (the last 2 bits blank), 174 rows. */
    static const unsigned char head[] = {0x1B, 0x40, 0x1C, 0x26, 0x1B, 0x61, 0x01, 0x1D,
                                         0x76, 0x30, 0x00, 22,   0,    174,  0};
    CHECK_EQ_INT(len, sizeof head + 22 * 174);
    if (len != sizeof head + 22 * 174) {
        escpos_free(out);
        return;
    }
    CHECK(memcmp(out, head, sizeof head) == 0);
    const unsigned char *img = out + sizeof head;
    /* Rows 0..23 (4 modules) are the quiet zone: all white. */
    for (int i = 0; i < 22 * 24; i++)
        if (img[i] != 0) {
            CHECK(img[i] == 0);
            break;
        }
    /* Row 24 is the top of the finder pattern: modules 4..10 dark = dots 24..65, then the
     * white separator. */
    static const unsigned char finder_top[22] = {0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xC0};
    CHECK(memcmp(img + 22 * 24, finder_top, 9) == 0);
    /* The top-right finder: modules 18..24 = dots 108..149. */
    CHECK_EQ_INT(img[22 * 24 + 13], 0x0F); /* dots 108..111 */
    CHECK_EQ_INT(img[22 * 24 + 18], 0xFC); /* dots 144..149 */
    /* Module rows repeat 6 times. */
    CHECK(memcmp(img + 22 * 24, img + 22 * 29, 22) == 0);
    escpos_free(out);
}

static void test_refusals(void)
{
    struct print_doc d;
    unsigned char *out = NULL;
    size_t len = 0;
    char err[128] = "";

    doc_init(&d, DOC_COLUMNS_58MM);
    doc_text(&d, DOC_LEFT, 0, "fine");
    doc_text(&d, DOC_LEFT, 0, "x");
    strcpy(d.lines[1].text, "bad \xc0\xaf"); /* an overlong, slipped past doc_text */
    CHECK_EQ_INT(escpos_render(&d, &native, &out, &len, err, sizeof err), ESCPOS_BAD_TEXT);
    CHECK(strstr(err, "line 2") != NULL);
    char *text = NULL;
    CHECK_EQ_INT(escpos_render_text(&d, &text, &len, err, sizeof err), ESCPOS_BAD_TEXT);
    strcpy(d.lines[1].text, "tab\there");
    CHECK_EQ_INT(escpos_render(&d, &native, &out, &len, err, sizeof err), ESCPOS_BAD_TEXT);

    /* 200 bytes need a version 10 symbol, 57 + 8 modules: at 8 dots a module that is 520
     * dots, wider than 58 mm paper (384); the driver's own choice shrinks the module. */
    char payload[201];
    memset(payload, 'q', 200);
    payload[200] = '\0';
    doc_init(&d, DOC_COLUMNS_58MM);
    CHECK(doc_qr(&d, payload));
    d.lines[0].n = 8;
    err[0] = '\0';
    CHECK_EQ_INT(escpos_render(&d, &native, &out, &len, err, sizeof err), ESCPOS_QR_FAILED);
    CHECK(strstr(err, "520 dots") != NULL);
    CHECK_EQ_INT(escpos_render(&d, &raster, &out, &len, err, sizeof err), ESCPOS_QR_FAILED);
    d.lines[0].n = 17;
    CHECK_EQ_INT(escpos_render(&d, &native, &out, &len, err, sizeof err), ESCPOS_QR_FAILED);
    d.lines[0].n = 0;
    CHECK_EQ_INT(escpos_render(&d, &native, &out, &len, err, sizeof err), ESCPOS_OK);
    /* 65 modules: 5 dots fit (325), 6 would not (390). */
    static const unsigned char module5[] = {0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43, 0x05};
    CHECK(len > 30 && memcmp(out + 4 + 3 + 9, module5, sizeof module5) == 0);
    escpos_free(out);

    doc_init(&d, DOC_COLUMNS_58MM);
    d.columns = 40;
    CHECK_EQ_INT(escpos_render(&d, &native, &out, &len, err, sizeof err), ESCPOS_BAD_TEXT);
}

static void test_plain_text(void)
{
    struct print_doc d;
    doc_init(&d, DOC_COLUMNS_58MM);
    doc_text(&d, DOC_CENTER, DOC_BOLD, "收银");
    doc_text(&d, DOC_RIGHT, 0, "Total");
    doc_text(&d, DOC_CENTER, DOC_DOUBLE, "12.00");
    doc_rule(&d);
    doc_feed(&d, 2);
    doc_cut(&d);
    char *text = NULL;
    size_t len = 0;
    char err[128] = "";
    CHECK_EQ_INT(escpos_render_text(&d, &text, &len, err, sizeof err), ESCPOS_OK);
    const char *want = "              收银\n"
                       "                           Total\n"
                       "           12.00\n"
                       "--------------------------------\n"
                       "\n\n"
                       "- - ✂ - - - - - - - - - - - - -\n";
    CHECK_EQ_STR(text, want);
    CHECK_EQ_INT(len, strlen(want));
    free(text);

    /* A QR code in half blocks: "AB" is 21 modules + 8 of quiet zone = 29 wide, 15 lines;
     * the first two lines are quiet zone, the third starts the finder's top edge. */
    doc_init(&d, DOC_COLUMNS_80MM);
    doc_qr(&d, "AB");
    CHECK_EQ_INT(escpos_render_text(&d, &text, &len, err, sizeof err), ESCPOS_OK);
    int lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    CHECK_EQ_INT(lines, 15);
    /* indent (48 - 29) / 2 = 9 and 4 of quiet zone; line 3 holds module rows 4 and 5: the
     * finder's top edge (all dark) over its white ring (dark at both ends only). */
    const char *l3 = strchr(strchr(text, '\n') + 1, '\n') + 1;
    CHECK(strncmp(l3, "             █▀▀▀▀▀█", 13 + 7 * 3) == 0);
    free(text);
}

static void test_status(void)
{
    unsigned char req[ESCPOS_STATUS_REQUEST_LEN];
    escpos_status_request(4, req);
    static const unsigned char want[] = {0x10, 0x04, 0x04};
    CHECK_BYTES(req, sizeof req, want);

    struct escpos_status_bits b = {0};
    CHECK(escpos_status_parse(1, 0x16, &b)); /* bits 1, 2 (drawer pin), 4: online */
    CHECK(!b.offline);
    CHECK(escpos_status_parse(1, 0x1E, &b));
    CHECK(b.offline);
    CHECK(!escpos_status_parse(1, 0x00, &b)); /* fixed bits missing: not a status byte */
    CHECK(!escpos_status_parse(1, 0xFF, &b));
    CHECK(!escpos_status_parse(1, 0x92, &b)); /* bit 7 must be off */
    CHECK(!escpos_status_parse(3, 0x12, &b)); /* n = 3 not asked */

    memset(&b, 0, sizeof b);
    CHECK(escpos_status_parse(2, 0x12, &b));
    CHECK(!b.cover_open && !b.paper_out && !b.error);
    CHECK(escpos_status_parse(2, 0x16, &b));
    CHECK(b.cover_open);
    CHECK(escpos_status_parse(2, 0x32, &b));
    CHECK(b.paper_out && !b.cover_open);
    CHECK(escpos_status_parse(2, 0x52, &b));
    CHECK(b.error && !b.paper_out);

    memset(&b, 0, sizeof b);
    CHECK(escpos_status_parse(4, 0x12, &b));
    CHECK(!b.paper_near_end && !b.paper_out);
    CHECK(escpos_status_parse(4, 0x1E, &b));
    CHECK(b.paper_near_end && !b.paper_out);
    CHECK(escpos_status_parse(4, 0x72, &b));
    CHECK(b.paper_out);
}

int main(void)
{
    test_text_58mm();
    test_text_80mm_pair();
    test_native_qr();
    test_raster_qr(DOC_COLUMNS_58MM);
    test_raster_qr(DOC_COLUMNS_80MM);
    test_refusals();
    test_plain_text();
    test_status();
    return check_done();
}
