/*
 * test_ui_qr_art.c - the QR drawings read back by an independent decoder: each payload is
 * drawn as qr_art's lines, the lines (characters only) become an image (qr_pbm.c) and zbarimg
 * must read exactly the payload, in half blocks and in the "##" fallback. Then the sizes an
 * 80x24 console can show, the quiet zone, and every refusal.
 */
#define _GNU_SOURCE /* mkstemps */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "qr_art.h"
#include "qr_pbm.h"

#define WECHAT_URL "weixin://wxpay/bizpayurl?pr=p4lpSuKzz"
#define ALIPAY_URL "https://qr.alipay.com/bax03431ljhokirwl38f00a7"

/* The code drawn in `style`, read back by zbarimg from its characters alone. */
static void decodes_to(const struct qr_art *art, enum qr_art_style style, const char *payload)
{
    static char lines[2 * QR_ART_SIDE_MAX][QR_ART_LINE_MAX];
    const char *ptrs[2 * QR_ART_SIDE_MAX];
    int rows = qr_art_rows(art, style);
    for (int r = 0; r < rows; r++) {
        CHECK(qr_art_line(art, style, r, lines[r], sizeof lines[r]));
        ptrs[r] = lines[r];
    }
    char path[] = "/tmp/posterm-qr-art-XXXXXX.pbm";
    int fd = mkstemps(path, 4);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    FILE *f = fdopen(fd, "wb");
    CHECK(f != NULL &&
          qr_pbm_write(ptrs, rows, style == QR_ART_TEXT ? QR_PBM_TEXT : QR_PBM_HALF_BLOCKS, f));
    if (f != NULL)
        fclose(f);
    char read[QR_ART_PAYLOAD_MAX * 2] = "";
    bool ok = qr_pbm_zbar(path, read, sizeof read);
    if (!ok || strcmp(read, payload) != 0)
        fprintf(stderr, "zbarimg read \"%s\" from %s (style %d), expected \"%s\"\n", read, path,
                (int)style, payload);
    CHECK(ok);
    CHECK_EQ_STR(read, payload);
    unlink(path);
}

/* Counts the UTF-8 characters (not bytes) of a line. */
static int chars_of(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static void one_payload(const char *payload, int version)
{
    struct qr_art art;
    CHECK_EQ_INT(qr_art_encode(payload, &art), QR_ART_OK);
    CHECK_EQ_INT(art.version, version);
    CHECK_EQ_INT(art.side, 17 + 4 * version + 2 * QR_ART_QUIET);
    CHECK_EQ_INT(qr_art_rows(&art, QR_ART_HALF_BLOCKS), (art.side + 1) / 2);
    CHECK_EQ_INT(qr_art_cols(&art, QR_ART_HALF_BLOCKS), art.side);
    CHECK_EQ_INT(qr_art_rows(&art, QR_ART_TEXT), art.side);
    CHECK_EQ_INT(qr_art_cols(&art, QR_ART_TEXT), 2 * art.side);
    decodes_to(&art, QR_ART_HALF_BLOCKS, payload);
    decodes_to(&art, QR_ART_TEXT, payload);

    /* The quiet zone: 4 light modules on every side, i.e. two blank half-block rows on top and
     * four blank columns at each end of every row. */
    char line[QR_ART_LINE_MAX];
    for (int r = 0; r < 2; r++) {
        CHECK(qr_art_line(&art, QR_ART_HALF_BLOCKS, r, line, sizeof line));
        CHECK_EQ_INT(strspn(line, " "), art.side);
    }
    for (int r = 0; r < qr_art_rows(&art, QR_ART_HALF_BLOCKS); r++) {
        CHECK(qr_art_line(&art, QR_ART_HALF_BLOCKS, r, line, sizeof line));
        CHECK_EQ_INT(chars_of(line), art.side);
        CHECK(strspn(line, " ") >= QR_ART_QUIET);
        CHECK(strncmp(line + strlen(line) - QR_ART_QUIET, "    ", QR_ART_QUIET) == 0);
    }
    for (int r = 0; r < art.side; r++) {
        CHECK(qr_art_line(&art, QR_ART_TEXT, r, line, sizeof line));
        CHECK_EQ_INT(strlen(line), 2 * art.side);
        CHECK_EQ_INT(strspn(line, " ") >= 2 * QR_ART_QUIET, 1);
        CHECK_EQ_INT(strspn(line, "# "), 2 * art.side);
    }
}

int main(void)
{
    /* Both channels' forms: WeChat Pay's code_url, Alipay's qr_code. */
    one_payload(WECHAT_URL, 3);
    one_payload(ALIPAY_URL, 4);
    /* Level M: 62 bytes is the most version 4 holds, 63 needs version 5. */
    char p62[63], p63[64], p128[QR_ART_PAYLOAD_MAX + 1], p129[QR_ART_PAYLOAD_MAX + 2];
    memset(p62, 'a', 62), p62[62] = '\0';
    memcpy(p62, "https://qr.alipay.com/", 22);
    memcpy(p63, p62, 62), p63[62] = 'z', p63[63] = '\0';
    one_payload(p62, 4);
    one_payload(p63, 5);
    for (int i = 0; i < QR_ART_PAYLOAD_MAX; i++)
        p128[i] = "abcdefghijklmnopqrstuvwxyz"[i % 26]; /* all 8-bit: the largest code */
    p128[QR_ART_PAYLOAD_MAX] = '\0';
    one_payload(p128, 8);

    /* What an 80x24 console shows (title and key rows taken: 22 rows): a WeChat or Alipay code
     * in half blocks, 19 and 21 rows; not version 5, nor any code as "##" text. */
    struct qr_art art;
    CHECK_EQ_INT(qr_art_encode(WECHAT_URL, &art), QR_ART_OK);
    CHECK_EQ_INT(qr_art_rows(&art, QR_ART_HALF_BLOCKS), 19);
    CHECK_EQ_INT(qr_art_fits(&art, QR_ART_HALF_BLOCKS, 80, 22), QR_ART_OK);
    CHECK_EQ_INT(qr_art_fits(&art, QR_ART_TEXT, 80, 22), QR_ART_NO_FIT);
    CHECK_EQ_INT(qr_art_fits(&art, QR_ART_TEXT, 120, 40), QR_ART_OK);
    CHECK_EQ_INT(qr_art_fits(&art, QR_ART_HALF_BLOCKS, 36, 22), QR_ART_NO_FIT);
    CHECK_EQ_INT(qr_art_fits(&art, QR_ART_HALF_BLOCKS, 80, 18), QR_ART_NO_FIT);
    CHECK_EQ_INT(qr_art_encode(ALIPAY_URL, &art), QR_ART_OK);
    CHECK_EQ_INT(qr_art_rows(&art, QR_ART_HALF_BLOCKS), 21);
    CHECK_EQ_INT(qr_art_fits(&art, QR_ART_HALF_BLOCKS, 80, 22), QR_ART_OK);
    CHECK_EQ_INT(qr_art_encode(p63, &art), QR_ART_OK);
    CHECK_EQ_INT(qr_art_fits(&art, QR_ART_HALF_BLOCKS, 80, 22), QR_ART_NO_FIT);

    /* Refusals, as values, and the struct left empty. */
    CHECK_EQ_INT(qr_art_encode("", &art), QR_ART_EMPTY);
    CHECK_EQ_INT(art.side, 0);
    CHECK_EQ_INT(qr_art_encode(NULL, &art), QR_ART_EMPTY);
    memset(p129, 'x', sizeof p129 - 1), p129[sizeof p129 - 1] = '\0';
    CHECK_EQ_INT(qr_art_encode(p129, &art), QR_ART_TOO_LONG);
    CHECK_EQ_INT(art.side, 0);
    CHECK_EQ_INT(qr_art_fits(&art, QR_ART_HALF_BLOCKS, 200, 200), QR_ART_NO_FIT);
    char line[QR_ART_LINE_MAX] = "junk";
    CHECK(!qr_art_line(&art, QR_ART_HALF_BLOCKS, 0, line, sizeof line));
    CHECK_EQ_STR(line, "");
    CHECK_EQ_INT(qr_art_encode(WECHAT_URL, &art), QR_ART_OK);
    CHECK(!qr_art_line(&art, QR_ART_HALF_BLOCKS, qr_art_rows(&art, QR_ART_HALF_BLOCKS), line,
                       sizeof line));
    CHECK(!qr_art_line(&art, QR_ART_HALF_BLOCKS, -1, line, sizeof line));
    char small[QR_ART_LINE_MAX - 1];
    CHECK(!qr_art_line(&art, QR_ART_HALF_BLOCKS, 0, small, sizeof small));
    CHECK_EQ_STR(qr_art_status_name(QR_ART_TOO_LONG), "QR payload longer than 128 bytes");

    /* The decoder is no rubber stamp: a drawing with its ink inverted (light modules drawn) is
     * not read as the payload. */
    CHECK_EQ_INT(qr_art_encode(WECHAT_URL, &art), QR_ART_OK);
    for (int y = 0; y < art.side; y++)
        for (int x = 0; x < art.side; x++)
            art.dark[y][x] = !art.dark[y][x];
    static char inv[QR_ART_SIDE_MAX][QR_ART_LINE_MAX];
    const char *ptrs[QR_ART_SIDE_MAX];
    for (int r = 0; r < qr_art_rows(&art, QR_ART_HALF_BLOCKS); r++) {
        qr_art_line(&art, QR_ART_HALF_BLOCKS, r, inv[r], sizeof inv[r]);
        ptrs[r] = inv[r];
    }
    char path[] = "/tmp/posterm-qr-inv-XXXXXX.pbm";
    int fd = mkstemps(path, 4);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    CHECK(f != NULL &&
          qr_pbm_write(ptrs, qr_art_rows(&art, QR_ART_HALF_BLOCKS), QR_PBM_HALF_BLOCKS, f));
    if (f != NULL)
        fclose(f);
    char read[256] = "";
    CHECK(!qr_pbm_zbar(path, read, sizeof read) || strcmp(read, WECHAT_URL) != 0);
    unlink(path);
    return check_done();
}
