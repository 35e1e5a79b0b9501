/*
 * test_print_doc.c - the receipt document: display widths of UTF-8 (CJK two columns, invalid
 * text refused) and wrapping at both paper widths, with the expected lines written out.
 */
#include <string.h>

#include "check.h"
#include "print_doc.h"

static void test_width(void)
{
    CHECK_EQ_INT(doc_display_width(""), 0);
    CHECK_EQ_INT(doc_display_width("Total"), 5);
    CHECK_EQ_INT(doc_display_width("收银"), 4);              /* CJK unified */
    CHECK_EQ_INT(doc_display_width("￥12.00"), 7);           /* U+FFE5 fullwidth yen */
    CHECK_EQ_INT(doc_display_width("ＡＢ"), 4);              /* U+FF21 fullwidth forms */
    CHECK_EQ_INT(doc_display_width("한"), 2);                /* Hangul syllable */
    CHECK_EQ_INT(doc_display_width("\xe3\x80\x82"), 2);      /* U+3002 ideographic stop */
    CHECK_EQ_INT(doc_display_width("\xf0\xa0\x80\x80"), 2);  /* U+20000, plane 2 */
    CHECK_EQ_INT(doc_display_width("caf\xc3\xa9"), 4);       /* é, narrow */
    CHECK_EQ_INT(doc_display_width("\xe2\x82\xac"), 1);      /* €, narrow */
    CHECK_EQ_INT(doc_display_width("a\nb"), -1);             /* control */
    CHECK_EQ_INT(doc_display_width("a\x7f"), -1);            /* DEL */
    CHECK_EQ_INT(doc_display_width("\xc2\x85"), -1);         /* C1 control NEL */
    CHECK_EQ_INT(doc_display_width("\xc0\xaf"), -1);         /* overlong '/' */
    CHECK_EQ_INT(doc_display_width("\xe0\x80\xaf"), -1);     /* overlong, 3 bytes */
    CHECK_EQ_INT(doc_display_width("\xed\xa0\x80"), -1);     /* surrogate U+D800 */
    CHECK_EQ_INT(doc_display_width("\xf4\x90\x80\x80"), -1); /* beyond U+10FFFF */
    CHECK_EQ_INT(doc_display_width("\xe6\x94"), -1);         /* truncated */
    CHECK_EQ_INT(doc_display_width("\xff"), -1);
    CHECK_EQ_INT(doc_display_width("\x80"), -1); /* lone continuation */
}

static void test_init(void)
{
    struct print_doc d;
    CHECK(!doc_init(&d, 40));
    CHECK(!doc_init(&d, 0));
    CHECK(doc_init(&d, DOC_COLUMNS_58MM));
    CHECK_EQ_INT(d.columns, 32);
    CHECK_EQ_INT(d.nlines, 0);
    CHECK(doc_init(&d, DOC_COLUMNS_80MM));
    CHECK_EQ_INT(d.columns, 48);
}

static void test_wrap_words(void)
{
    struct print_doc d;
    doc_init(&d, DOC_COLUMNS_58MM);
    /* 32 columns: "Thank you for shopping with us," is 31; the next word moves down whole. */
    CHECK(doc_text(&d, DOC_CENTER, DOC_BOLD, "Thank you for shopping with us, please come again"));
    CHECK_EQ_INT(d.nlines, 2);
    CHECK_EQ_STR(d.lines[0].text, "Thank you for shopping with us,");
    CHECK_EQ_STR(d.lines[1].text, "please come again");
    CHECK_EQ_INT(d.lines[0].kind, DOC_TEXT);
    CHECK_EQ_INT(d.lines[1].align, DOC_CENTER);
    CHECK_EQ_INT(d.lines[1].style, DOC_BOLD);

    /* Exactly 32 wide stays one line; a space at the edge is dropped, not carried. */
    doc_init(&d, DOC_COLUMNS_58MM);
    CHECK(doc_text(&d, DOC_LEFT, 0, "0123456789012345678901234567890X next"));
    CHECK_EQ_INT(d.nlines, 2);
    CHECK_EQ_STR(d.lines[0].text, "0123456789012345678901234567890X");
    CHECK_EQ_STR(d.lines[1].text, "next");

    /* A word longer than the line (34 columns) moves down, then is cut between characters. */
    doc_init(&d, DOC_COLUMNS_58MM);
    CHECK(doc_text(&d, DOC_LEFT, 0, "ab 4200000123202512071234567890123456"));
    CHECK_EQ_INT(d.nlines, 3);
    CHECK_EQ_STR(d.lines[0].text, "ab");
    CHECK_EQ_STR(d.lines[1].text, "42000001232025120712345678901234");
    CHECK_EQ_STR(d.lines[2].text, "56");
    doc_init(&d, DOC_COLUMNS_58MM);
    CHECK(doc_text(&d, DOC_LEFT, 0, "4200000123202512071234567890123456"));
    CHECK_EQ_INT(d.nlines, 2);
    CHECK_EQ_STR(d.lines[0].text, "42000001232025120712345678901234");
    CHECK_EQ_STR(d.lines[1].text, "56");

    /* An empty text is one blank line. */
    doc_init(&d, DOC_COLUMNS_80MM);
    CHECK(doc_text(&d, DOC_LEFT, 0, ""));
    CHECK_EQ_INT(d.nlines, 1);
    CHECK_EQ_STR(d.lines[0].text, "");
}

static void test_wrap_double_and_cjk(void)
{
    struct print_doc d;
    /* DOUBLE on 58 mm: 16 columns. */
    doc_init(&d, DOC_COLUMNS_58MM);
    CHECK(doc_text(&d, DOC_CENTER, DOC_DOUBLE, "TOTAL CNY 1234.56"));
    CHECK_EQ_INT(d.nlines, 2);
    CHECK_EQ_STR(d.lines[0].text, "TOTAL CNY");
    CHECK_EQ_STR(d.lines[1].text, "1234.56");
    CHECK_EQ_INT(d.lines[0].style, DOC_DOUBLE);

    /* 17 CJK characters = 34 columns: 16 on the first line of 58 mm, never half of one. */
    doc_init(&d, DOC_COLUMNS_58MM);
    CHECK(doc_text(&d, DOC_LEFT, 0, "欢迎光临本店谢谢惠顾欢迎下次再来呀"));
    CHECK_EQ_INT(d.nlines, 2);
    CHECK_EQ_STR(d.lines[0].text, "欢迎光临本店谢谢惠顾欢迎下次再来");
    CHECK_EQ_STR(d.lines[1].text, "呀");
    CHECK_EQ_INT(doc_display_width(d.lines[0].text), 32);

    /* Mixed: an odd column left over is not filled with half a character. */
    doc_init(&d, DOC_COLUMNS_58MM);
    CHECK(doc_text(&d, DOC_LEFT, DOC_DOUBLE, "a收银收银收银收银"));
    CHECK_EQ_INT(d.nlines, 2);
    CHECK_EQ_STR(d.lines[0].text, "a收银收银收银收");
    CHECK_EQ_STR(d.lines[1].text, "银");

    /* 80 mm, double: 24 columns. */
    doc_init(&d, DOC_COLUMNS_80MM);
    CHECK(doc_text(&d, DOC_LEFT, DOC_DOUBLE, "123456789012345678901234 x"));
    CHECK_EQ_INT(d.nlines, 2);
    CHECK_EQ_STR(d.lines[0].text, "123456789012345678901234");
}

static void test_refusals_leave_doc_unchanged(void)
{
    struct print_doc d;
    doc_init(&d, DOC_COLUMNS_58MM);
    CHECK(doc_text(&d, DOC_LEFT, 0, "keep"));
    CHECK(!doc_text(&d, DOC_LEFT, 0, "bad\xc0\xaf"));
    CHECK(!doc_text(&d, DOC_LEFT, 0, "line\nbreak"));
    CHECK(!doc_text(&d, (enum doc_align)7, 0, "x"));
    CHECK(!doc_pair(&d, "ok", "\xed\xa0\x80"));
    CHECK(!doc_qr(&d, ""));
    CHECK(!doc_qr(&d, "tab\there"));
    CHECK(!doc_feed(&d, 0));
    CHECK(!doc_feed(&d, 256));
    CHECK_EQ_INT(d.nlines, 1);

    /* Full: a text that needs more lines than are left is refused whole. */
    doc_init(&d, DOC_COLUMNS_58MM);
    for (int i = 0; i < DOC_MAX_LINES - 1; i++)
        CHECK(doc_feed(&d, 1));
    CHECK(!doc_text(&d, DOC_LEFT, 0, "this text is longer than the thirty two columns"));
    CHECK_EQ_INT(d.nlines, DOC_MAX_LINES - 1);
    CHECK(doc_cut(&d));
    CHECK(!doc_cut(&d));
    CHECK(!doc_rule(&d));
    CHECK_EQ_INT(d.nlines, DOC_MAX_LINES);
}

static void test_pair(void)
{
    struct print_doc d;
    doc_init(&d, DOC_COLUMNS_58MM);
    CHECK(doc_pair(&d, "Amount", "CNY 12.34"));
    CHECK_EQ_INT(d.nlines, 1);
    CHECK_EQ_STR(d.lines[0].text, "Amount                 CNY 12.34");
    CHECK_EQ_INT(doc_display_width(d.lines[0].text), 32);

    doc_init(&d, DOC_COLUMNS_80MM);
    CHECK(doc_pair(&d, "金额", "¥12.34"));
    CHECK_EQ_INT(doc_display_width(d.lines[0].text), 48);
    CHECK(strncmp(d.lines[0].text, "金额    ", 10) == 0);

    /* Too long for one line: the value goes on the next, right-aligned. */
    doc_init(&d, DOC_COLUMNS_58MM);
    CHECK(doc_pair(&d, "Trade no.", "4200000123202512071234567"));
    CHECK_EQ_INT(d.nlines, 2);
    CHECK_EQ_STR(d.lines[0].text, "Trade no.");
    CHECK_EQ_INT(d.lines[0].align, DOC_LEFT);
    CHECK_EQ_STR(d.lines[1].text, "4200000123202512071234567");
    CHECK_EQ_INT(d.lines[1].align, DOC_RIGHT);
}

static void test_other_lines(void)
{
    struct print_doc d;
    doc_init(&d, DOC_COLUMNS_58MM);
    CHECK(doc_rule(&d));
    CHECK(doc_qr(&d, "P20251207-0001"));
    CHECK(doc_feed(&d, 3));
    CHECK(doc_cut(&d));
    CHECK_EQ_INT(d.nlines, 4);
    CHECK_EQ_INT(d.lines[0].kind, DOC_RULE);
    CHECK_EQ_INT((int)strlen(d.lines[0].text), 32);
    CHECK_EQ_INT(d.lines[1].kind, DOC_QR);
    CHECK_EQ_INT(d.lines[1].align, DOC_CENTER);
    CHECK_EQ_STR(d.lines[1].text, "P20251207-0001");
    CHECK_EQ_INT(d.lines[2].kind, DOC_FEED);
    CHECK_EQ_INT(d.lines[2].n, 3);
    CHECK_EQ_INT(d.lines[3].kind, DOC_CUT);

    char big[DOC_TEXT_MAX + 2];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK(!doc_qr(&d, big));
    big[DOC_TEXT_MAX] = '\0';
    CHECK(doc_qr(&d, big));
}

int main(void)
{
    test_width();
    test_init();
    test_wrap_words();
    test_wrap_double_and_cjk();
    test_refusals_leave_doc_unchanged();
    test_pair();
    test_other_lines();
    return check_done();
}
