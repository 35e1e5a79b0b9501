/*
 * test_ui_receipt.c - the receipts as printed (ui/receipt.c): whole documents compared line
 * by line, rendered as the paper shows them, for 58 and 80 mm paper, in English and Chinese,
 * plain and marked (reprint, merchant copy); a sale never shows more of the payment code than
 * its last four digits; a name that cannot be printed is refused, never cut.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "receipt.h"

/* Renders a document as the paper shows it: each text line placed by its alignment within
 * the columns its style allows, a rule as dashes, a QR as [QR payload], feed and cut named. */
static void render(const struct print_doc *d, char *out, size_t len)
{
    size_t at = 0;
    out[0] = '\0';
    for (int i = 0; i < d->nlines && at < len; i++) {
        const struct doc_line *l = &d->lines[i];
        int n = 0;
        switch (l->kind) {
        case DOC_TEXT: {
            int cols = (l->style & DOC_DOUBLE) ? d->columns / 2 : d->columns;
            int w = doc_display_width(l->text);
            int pad = l->align == DOC_CENTER  ? (cols - w) / 2
                      : l->align == DOC_RIGHT ? cols - w
                                              : 0;
            n = snprintf(out + at, len - at, "%*s%s%s\n", pad, "", l->text,
                         (l->style & DOC_DOUBLE) ? " <x2>"
                         : (l->style & DOC_BOLD) ? " <b>"
                                                 : "");
            break;
        }
        case DOC_RULE:
            n = snprintf(out + at, len - at, "%.*s\n", d->columns,
                         "------------------------------------------------");
            break;
        case DOC_QR: n = snprintf(out + at, len - at, "[QR %s]\n", l->text); break;
        case DOC_FEED: n = snprintf(out + at, len - at, "[feed %d]\n", l->n); break;
        case DOC_CUT: n = snprintf(out + at, len - at, "[cut]\n"); break;
        }
        if (n < 0)
            break;
        at += (size_t)n;
    }
}

static const struct receipt_header header = {"posterm 便利店", "Store 1 / 一号店", "T01"};

static struct payment sample_payment(void)
{
    struct payment p;
    memset(&p, 0, sizeof p);
    snprintf(p.order_no, sizeof p.order_no, "T01-ABCDEFGH-000042");
    p.channel = CHANNEL_WECHAT;
    p.amount_fen = 1230;
    p.state = PAY_PAID;
    snprintf(p.auth_code, sizeof p.auth_code, "134567890123456789");
    snprintf(p.code_last4, sizeof p.code_last4, "6789");
    snprintf(p.trade_no, sizeof p.trade_no, "4200001234202612070000000042");
    p.created_at = 1765112400000; /* 2025-12-07 13:00:00 UTC */
    return p;
}

static const struct journal_refund sample_refund = {
    "T01-ABCDEFGH-000042-1", "T01-ABCDEFGH-000042", 300, "REFUNDED", 1765116000000, ""};

static struct report_day sample_day(void)
{
    struct report_day day;
    memset(&day, 0, sizeof day);
    day.channel[CHANNEL_WECHAT] = (struct report_totals){3, 1, 4500, 1000, 3500, 0, 0};
    day.channel[CHANNEL_ALIPAY] = (struct report_totals){1, 0, 800, 0, 800, 1, 0};
    day.all = (struct report_totals){4, 1, 5300, 1000, 4300, 1, 0};
    return day;
}

/* Composes case i into d; false when the composer refused. */
static bool compose_case(int i, struct print_doc *d)
{
    struct payment p = sample_payment();
    struct report_day day = sample_day();
    static const struct receipt_marks plain = {false, false}, marked = {true, true};
    switch (i) {
    case 0: return receipt_sale(d, DOC_COLUMNS_58MM, UI_LANG_EN, &header, &plain, &p);
    case 1: return receipt_sale(d, DOC_COLUMNS_80MM, UI_LANG_EN, &header, &plain, &p);
    case 2: return receipt_sale(d, DOC_COLUMNS_58MM, UI_LANG_ZH, &header, &marked, &p);
    case 3: return receipt_sale(d, DOC_COLUMNS_80MM, UI_LANG_ZH, &header, &plain, &p);
    case 4: return receipt_sale(d, DOC_COLUMNS_58MM, UI_LANG_EN, &header, &marked, &p);
    case 5:
        return receipt_refund(d, DOC_COLUMNS_58MM, UI_LANG_EN, &header, &plain, &p, &sample_refund);
    case 6:
        return receipt_refund(d, DOC_COLUMNS_80MM, UI_LANG_ZH, &header, &marked, &p,
                              &sample_refund);
    case 7: return receipt_day(d, DOC_COLUMNS_58MM, UI_LANG_EN, &header, &plain, 20251207, &day, 1);
    case 8: return receipt_day(d, DOC_COLUMNS_80MM, UI_LANG_ZH, &header, &plain, 20251207, &day, 0);
    default: return false;
    }
}
#define CASES 9

static const char *const expected[CASES] = {
    /* case 0 */
    " posterm 便利店 <x2>\n"
    "        Store 1 / 一号店\n"
    "              SALE <b>\n"
    "--------------------------------\n"
    "Terminal                     T01\n"
    "Order        T01-ABCDEFGH-000042\n"
    "Channel               WeChat Pay\n"
    "Trade no.\n"
    "    4200001234202612070000000042\n"
    "Time         2025-12-07 13:00:00\n"
    "Payment code            ****6789\n"
    "--------------------------------\n"
    "Amount                   ￥12.30\n"
    "--------------------------------\n"
    "   Order number (for refunds)\n"
    "[QR T01-ABCDEFGH-000042]\n"
    "           Thank you\n"
    "[feed 1]\n"
    "[cut]\n",
    /* case 1 */
    "     posterm 便利店 <x2>\n"
    "                Store 1 / 一号店\n"
    "                      SALE <b>\n"
    "------------------------------------------------\n"
    "Terminal                                     T01\n"
    "Order                        T01-ABCDEFGH-000042\n"
    "Channel                               WeChat Pay\n"
    "Trade no.           4200001234202612070000000042\n"
    "Time                         2025-12-07 13:00:00\n"
    "Payment code                            ****6789\n"
    "------------------------------------------------\n"
    "Amount                                   ￥12.30\n"
    "------------------------------------------------\n"
    "           Order number (for refunds)\n"
    "[QR T01-ABCDEFGH-000042]\n"
    "                   Thank you\n"
    "[feed 1]\n"
    "[cut]\n",
    /* case 2 */
    "          *** 重印 *** <b>\n"
    " posterm 便利店 <x2>\n"
    "        Store 1 / 一号店\n"
    "            收款凭证 <b>\n"
    "             商户联\n"
    "--------------------------------\n"
    "终端                         T01\n"
    "订单号       T01-ABCDEFGH-000042\n"
    "支付方式                微信支付\n"
    "交易单号\n"
    "    4200001234202612070000000042\n"
    "时间         2025-12-07 13:00:00\n"
    "付款码                  ****6789\n"
    "--------------------------------\n"
    "金额                     ￥12.30\n"
    "--------------------------------\n"
    "      订单号（退款时扫描）\n"
    "[QR T01-ABCDEFGH-000042]\n"
    "            谢谢惠顾\n"
    "          *** 重印 *** <b>\n"
    "[feed 1]\n"
    "[cut]\n",
    /* case 3 */
    "     posterm 便利店 <x2>\n"
    "                Store 1 / 一号店\n"
    "                    收款凭证 <b>\n"
    "------------------------------------------------\n"
    "终端                                         T01\n"
    "订单号                       T01-ABCDEFGH-000042\n"
    "支付方式                                微信支付\n"
    "交易单号            4200001234202612070000000042\n"
    "时间                         2025-12-07 13:00:00\n"
    "付款码                                  ****6789\n"
    "------------------------------------------------\n"
    "金额                                     ￥12.30\n"
    "------------------------------------------------\n"
    "              订单号（退款时扫描）\n"
    "[QR T01-ABCDEFGH-000042]\n"
    "                    谢谢惠顾\n"
    "[feed 1]\n"
    "[cut]\n",
    /* case 4 */
    "        *** REPRINT *** <b>\n"
    " posterm 便利店 <x2>\n"
    "        Store 1 / 一号店\n"
    "              SALE <b>\n"
    "         MERCHANT COPY\n"
    "--------------------------------\n"
    "Terminal                     T01\n"
    "Order        T01-ABCDEFGH-000042\n"
    "Channel               WeChat Pay\n"
    "Trade no.\n"
    "    4200001234202612070000000042\n"
    "Time         2025-12-07 13:00:00\n"
    "Payment code            ****6789\n"
    "--------------------------------\n"
    "Amount                   ￥12.30\n"
    "--------------------------------\n"
    "   Order number (for refunds)\n"
    "[QR T01-ABCDEFGH-000042]\n"
    "           Thank you\n"
    "        *** REPRINT *** <b>\n"
    "[feed 1]\n"
    "[cut]\n",
    /* case 5 */
    " posterm 便利店 <x2>\n"
    "        Store 1 / 一号店\n"
    "             REFUND <b>\n"
    "--------------------------------\n"
    "Terminal                     T01\n"
    "Refund no. T01-ABCDEFGH-000042-1\n"
    "Original order\n"
    "             T01-ABCDEFGH-000042\n"
    "Channel               WeChat Pay\n"
    "Trade no.\n"
    "    4200001234202612070000000042\n"
    "Time         2025-12-07 14:00:00\n"
    "--------------------------------\n"
    "Refunded                  ￥3.00\n"
    "--------------------------------\n"
    "[feed 1]\n"
    "[cut]\n",
    /* case 6 */
    "                  *** 重印 *** <b>\n"
    "     posterm 便利店 <x2>\n"
    "                Store 1 / 一号店\n"
    "                    退款凭证 <b>\n"
    "                     商户联\n"
    "------------------------------------------------\n"
    "终端                                         T01\n"
    "退款单号                   T01-ABCDEFGH-000042-1\n"
    "原订单号                     T01-ABCDEFGH-000042\n"
    "支付方式                                微信支付\n"
    "交易单号            4200001234202612070000000042\n"
    "时间                         2025-12-07 14:00:00\n"
    "------------------------------------------------\n"
    "退款金额                                  ￥3.00\n"
    "------------------------------------------------\n"
    "                  *** 重印 *** <b>\n"
    "[feed 1]\n"
    "[cut]\n",
    /* case 7 */
    " posterm 便利店 <x2>\n"
    "        Store 1 / 一号店\n"
    "           END OF DAY <b>\n"
    "--------------------------------\n"
    "Terminal                     T01\n"
    "Date                  2025-12-07\n"
    "--------------------------------\n"
    "WeChat Pay <b>\n"
    "Payments                       3\n"
    "Charged                  ￥45.00\n"
    "Fully refunded                 1\n"
    "Refunded                 ￥10.00\n"
    "Net                      ￥35.00\n"
    "--------------------------------\n"
    "Alipay <b>\n"
    "Payments                       1\n"
    "Charged                   ￥8.00\n"
    "Fully refunded                 0\n"
    "Refunded                  ￥0.00\n"
    "Net                       ￥8.00\n"
    "Unresolved                     1\n"
    "--------------------------------\n"
    "All channels <b>\n"
    "Payments                       4\n"
    "Charged                  ￥53.00\n"
    "Fully refunded                 1\n"
    "Refunded                 ￥10.00\n"
    "Net                      ￥43.00\n"
    "Unresolved                     1\n"
    "--------------------------------\n"
    "Left for the merchant          1\n"
    "--------------------------------\n"
    "[feed 1]\n"
    "[cut]\n",
    /* case 8 */
    "     posterm 便利店 <x2>\n"
    "                Store 1 / 一号店\n"
    "                    日结报表 <b>\n"
    "------------------------------------------------\n"
    "终端                                         T01\n"
    "日期                                  2025-12-07\n"
    "------------------------------------------------\n"
    "微信支付 <b>\n"
    "收款笔数                                       3\n"
    "收款金额                                 ￥45.00\n"
    "全额退款笔数                                   1\n"
    "退款金额                                 ￥10.00\n"
    "净额                                     ￥35.00\n"
    "------------------------------------------------\n"
    "支付宝 <b>\n"
    "收款笔数                                       1\n"
    "收款金额                                  ￥8.00\n"
    "全额退款笔数                                   0\n"
    "退款金额                                  ￥0.00\n"
    "净额                                      ￥8.00\n"
    "未完成                                         1\n"
    "------------------------------------------------\n"
    "合计 <b>\n"
    "收款笔数                                       4\n"
    "收款金额                                 ￥53.00\n"
    "全额退款笔数                                   1\n"
    "退款金额                                 ￥10.00\n"
    "净额                                     ￥43.00\n"
    "未完成                                         1\n"
    "------------------------------------------------\n"
    "[feed 1]\n"
    "[cut]\n",
};

static void whole_documents(void)
{
    static struct print_doc d;
    static char got[16000];
    for (int i = 0; i < CASES; i++) {
        CHECK(compose_case(i, &d));
        render(&d, got, sizeof got);
        if (strcmp(got, expected[i]) != 0) {
            check_failed++;
            fprintf(stderr, "case %d differs; got:\n%s", i, got);
        } else {
            check_passed++;
        }
    }
}

/* Only the last four digits: never the code the payment had in memory. */
static void code_never_printed(void)
{
    static struct print_doc d;
    static char got[16000];
    CHECK(compose_case(0, &d));
    render(&d, got, sizeof got);
    CHECK(strstr(got, "****6789") != NULL);
    CHECK(strstr(got, "13456789012345") == NULL);
    CHECK(strstr(got, "56789") == NULL);
}

static void refused(void)
{
    static struct print_doc d;
    struct payment p = sample_payment();
    struct receipt_header bad = header;
    static const struct receipt_marks plain = {false, false};
    snprintf(bad.merchant, sizeof bad.merchant, "Caf\xe9");
    CHECK(!receipt_sale(&d, DOC_COLUMNS_58MM, UI_LANG_EN, &bad, &plain, &p));
    snprintf(bad.merchant, sizeof bad.merchant, "tab\there");
    CHECK(!receipt_sale(&d, DOC_COLUMNS_58MM, UI_LANG_EN, &bad, &plain, &p));
    CHECK(!receipt_sale(&d, 40, UI_LANG_EN, &header, &plain, &p));
    /* Without names or a trade number the lines are left out, not printed empty. */
    struct receipt_header bare = {"", "", "T01"};
    p.trade_no[0] = '\0';
    CHECK(receipt_sale(&d, DOC_COLUMNS_58MM, UI_LANG_EN, &bare, &plain, &p));
    static char got[16000];
    render(&d, got, sizeof got);
    CHECK(strncmp(got, "              SALE <b>\n", 22) == 0);
    CHECK(strstr(got, "Trade no.") == NULL);
}

/* issue 18: the handover and the Z report, each in both languages and on both papers: the
 * cashier, the period (an open shift says so), the number, the figures of each channel. */
static void shift_and_z(void)
{
    static struct print_doc d;
    static char got[16000];
    static const struct receipt_marks plain = {false, false};
    struct report_day day = sample_day();
    struct shift s = {.id = 7, .cashier = "c1", .name = "李娜", .started_at = 1765090800000};
    CHECK(receipt_shift(&d, DOC_COLUMNS_58MM, UI_LANG_ZH, &header, &plain, &s, &day));
    render(&d, got, sizeof got);
    CHECK(strstr(got, "交班报表 <b>") != NULL);
    CHECK(strstr(got, "c1 李娜") != NULL);
    CHECK(strstr(got, "2025-12-07 07:00:00") != NULL);
    CHECK(strstr(got, "（未结束）") != NULL);
    CHECK(strstr(got, "合计 <b>") != NULL);
    s.ended_at = s.started_at + 3600000;
    CHECK(receipt_shift(&d, DOC_COLUMNS_80MM, UI_LANG_EN, &header, &plain, &s, &day));
    render(&d, got, sizeof got);
    CHECK(strstr(got, "SHIFT HANDOVER <b>") != NULL);
    CHECK(strstr(got, "2025-12-07 08:00:00") != NULL);
    CHECK(strstr(got, "(still open)") == NULL);

    struct z_report z = {.number = 12,
                         .day = 20251207,
                         .from_at = 1765000000000,
                         .closed_at = 1765090800000,
                         .totals = day};
    CHECK(receipt_z(&d, DOC_COLUMNS_58MM, UI_LANG_EN, &header, &plain, &z, 2));
    render(&d, got, sizeof got);
    CHECK(strstr(got, "Z REPORT - DAY CLOSED <b>") != NULL);
    CHECK(strstr(got, "Z-0012") != NULL);
    CHECK(strstr(got, "2025-12-07 07:00:00") != NULL);
    CHECK(strstr(got, "Left for the merchant") != NULL);
    char net[32];
    snprintf(net, sizeof net, "%lld.%02lld", (long long)(day.all.net_fen / 100),
             (long long)(day.all.net_fen % 100));
    CHECK(strstr(got, net) != NULL);
    z.from_at = 0;
    CHECK(receipt_z(&d, DOC_COLUMNS_80MM, UI_LANG_ZH, &header, &plain, &z, 0));
    render(&d, got, sizeof got);
    CHECK(strstr(got, "Z 报表（日结关账） <b>") != NULL);
    CHECK(strstr(got, "开始") == NULL); /* the first report has no start */
}

/* issue 21 (recon2): a reconciliation's slip, both channels and each difference. */
static void reconcile_slip(void)
{
    static struct print_doc d;
    static char got[16000];
    static const struct receipt_marks plain = {false, false};
    struct reconciliation runs[2] = {
        {.date = "2026-12-06", .channel = CHANNEL_ALIPAY, .bill_rows = 5, .foreign_rows = 1},
        {.date = "2026-12-06", .channel = CHANNEL_WECHAT, .no_bill = true}};
    runs[0].count[RECON_MATCHED] = 2;
    runs[0].count[RECON_CHARGED_NOT_PAID] = 1;
    runs[0].count[RECON_REFUND_OUTSIDE] = 1;
    struct reconcile_item items[2] = {{.channel = CHANNEL_ALIPAY,
                                       .kind = RECON_CHARGED_NOT_PAID,
                                       .order_no = "T1-A-999999",
                                       .bill_fen = 4200},
                                      {.channel = CHANNEL_ALIPAY,
                                       .kind = RECON_REFUND_OUTSIDE,
                                       .order_no = "T1-A-000001",
                                       .refund_no = "PORTAL1",
                                       .bill_fen = 150}};
    CHECK(receipt_reconcile(&d, DOC_COLUMNS_58MM, UI_LANG_EN, &header, &plain, runs, 2, items, 2));
    render(&d, got, sizeof got);
    CHECK(strstr(got, "RECONCILIATION <b>") != NULL);
    CHECK(strstr(got, "2026-12-06") != NULL);
    CHECK(strstr(got, "No bill that day") != NULL);
    CHECK(strstr(got, "Alipay: charged, not paid here") != NULL);
    CHECK(strstr(got, "Alipay: refund made") != NULL); /* wrapped at 32 columns */
    CHECK(strstr(got, "T1-A-999999") != NULL);
    CHECK(strstr(got, "PORTAL1") != NULL);
    CHECK(strstr(got, "42.00") != NULL);
    CHECK(receipt_reconcile(&d, DOC_COLUMNS_80MM, UI_LANG_ZH, &header, &plain, runs, 2, NULL, 0));
    render(&d, got, sizeof got);
    CHECK(strstr(got, "对账单 <b>") != NULL);
    CHECK(strstr(got, "当日无账单") != NULL);
    CHECK(strstr(got, "无差异") != NULL);
}

int main(void)
{
    setenv("TZ", "UTC", 1);
    whole_documents();
    shift_and_z();
    reconcile_slip();
    code_never_printed();
    refused();
    return check_done();
}
