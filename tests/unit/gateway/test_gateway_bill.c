/*
 * test_gateway_bill.c - both bill parsers on samples in the real formats: an Alipay zip of GBK
 * CSV (merchant names in Chinese, the padded trade numbers, the comment lines around the list
 * and its totals) and a WeChat gzip with backtick fields and the summary lines, checked against
 * its SHA-1. Then every kind of damage: each ends in an error naming the line.
 */
#include <iconv.h>
#include <stdlib.h>
#include <unistd.h>

#include <zip.h>
#include <zlib.h>

#include "bill.h"
#include "check.h"
#include "crypto.h"

static char dir[] = "/tmp/posterm-bill-XXXXXX";

struct got {
    int n;
    struct bill_row rows[16];
};

static bool keep(void *ctx, const struct bill_row *row)
{
    struct got *g = ctx;
    if (g->n < 16)
        g->rows[g->n] = *row;
    g->n++;
    return true;
}

/* UTF-8 to GBK, as Alipay writes its bill. */
static size_t to_gbk(const char *utf8, char *out, size_t cap)
{
    iconv_t cd = iconv_open("GBK", "UTF-8");
    char *src = (char *)utf8, *dst = out;
    size_t inleft = strlen(utf8), outleft = cap;
    CHECK(iconv(cd, &src, &inleft, &dst, &outleft) != (size_t)-1);
    iconv_close(cd);
    return (size_t)(dst - out);
}

static void write_zip(const char *path, const char *detail_utf8)
{
    static char detail[65536], summary[4096], name1[256], name2[256];
    size_t dlen = to_gbk(detail_utf8, detail, sizeof detail);
    size_t slen = to_gbk("#支付宝业务汇总查询\n门店编号,门店名称,交易订单总笔数\n,合计,2\n",
                         summary, sizeof summary);
    name1[to_gbk("20880000000000000156_20261206_业务明细.csv", name1, sizeof name1 - 1)] = 0;
    name2[to_gbk("20880000000000000156_20261206_业务明细(汇总).csv", name2, sizeof name2 - 1)] = 0;
    unlink(path);
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, NULL);
    zip_file_add(z, name2, zip_source_buffer(z, summary, slen, 0), ZIP_FL_ENC_RAW);
    zip_file_add(z, name1, zip_source_buffer(z, detail, dlen, 0), ZIP_FL_ENC_RAW);
    CHECK(zip_close(z) == 0);
}

#define ALIPAY_HEAD                                                                                                                         \
    "#支付宝业务明细查询\n#账号：[20880000000000000156]\n"                                                                      \
    "#起始日期：[2026年12月06日 00:00:00]   终止日期：[2026年12月07日 00:00:00]\n"                                          \
    "#-----------------------------------------业务明细列表--------------------------------------"                                    \
    "--\n"                                                                                                                                  \
    "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号," \
    "对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,"        \
    "商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/"  \
    "请求号,服务费（元）,分润（元）,备注\n"
#define ALIPAY_PAY                                                                                            \
    "2026120622001400001000000001\t,T01A0001\t,交易,上海便利店（人民广场店）收银,2026-12-06 " \
    "10:00:00,2026-12-06 "                                                                                    \
    "10:00:03,S01,上海便利店,,,buy***@example.com,12.30,12.30,0.00,0.00,0.00,0.00,0.00,,0.00,0."         \
    "00,,-0.07,0.00,\n"
#define ALIPAY_REFUND                                                                                         \
    "2026120622001400001000000001\t,T01A0001\t,退款,上海便利店（人民广场店）收银,2026-12-06 " \
    "10:00:00,2026-12-06 "                                                                                    \
    "11:20:00,S01,上海便利店,,,buy***@example.com,-2.30,-2.30,0.00,0.00,0.00,0.00,0.00,,0.00,0."         \
    "00,T01A0001R1\t,0.01,0.00,\n"
#define ALIPAY_TAIL                                                                                                             \
    "#-----------------------------------------业务明细列表结束----------------------------------"                      \
    "--\n"                                                                                                                      \
    "#交易合计：1笔，商家实收共12.30元，商家优惠共0.00元\n#退款合计：1笔，商家实收共-2.30元\n" \
    "#导出时间：[2026年12月07日 09:18:26]\n"

static enum bill_status read_alipay(const char *text, struct got *g, struct bill_error *e)
{
    char path[256];
    snprintf(path, sizeof path, "%s/alipay.zip", dir);
    write_zip(path, text);
    memset(g, 0, sizeof *g);
    memset(e, 0, sizeof *e);
    return bill_alipay_read_zip(path, keep, g, e);
}

static void test_alipay_sample(void)
{
    struct got g;
    struct bill_error e;
    CHECK_EQ_INT(read_alipay(ALIPAY_HEAD ALIPAY_PAY ALIPAY_REFUND ALIPAY_TAIL, &g, &e), BILL_OK);
    CHECK_EQ_INT(g.n, 2);
    CHECK_EQ_INT(g.rows[0].kind, BILL_PAYMENT);
    CHECK_EQ_STR(g.rows[0].order_no, "T01A0001");
    CHECK_EQ_STR(g.rows[0].trade_no, "2026120622001400001000000001");
    CHECK_EQ_INT(g.rows[0].amount_fen, 1230);
    CHECK_EQ_STR(g.rows[0].refund_no, "");
    CHECK_EQ_STR(g.rows[0].time, "2026-12-06 10:00:03");
    CHECK_EQ_STR(g.rows[0].state, "交易");
    CHECK_EQ_INT(g.rows[0].line, 6);
    CHECK_EQ_INT(g.rows[1].kind, BILL_REFUND);
    CHECK_EQ_INT(g.rows[1].amount_fen, 230);
    CHECK_EQ_STR(g.rows[1].refund_no, "T01A0001R1");
    CHECK_EQ_INT(g.rows[1].line, 7);
}

static void expect_alipay_error(const char *text, long line, const char *words)
{
    struct got g;
    struct bill_error e;
    CHECK_EQ_INT(read_alipay(text, &g, &e), BILL_ERR_FORMAT);
    CHECK_EQ_INT(e.line, line);
    if (!strstr(e.text, words))
        fprintf(stderr, "  error \"%s\" lacks \"%s\"\n", e.text, words);
    CHECK(strstr(e.text, words) != NULL);
}

static void test_alipay_damage(void)
{
    expect_alipay_error(ALIPAY_HEAD ALIPAY_PAY, 6, "no end marker");
    expect_alipay_error(ALIPAY_HEAD "2026\t,T01A0002\t,交易,x,2026-12-06 10:00:00,2026-12-06 "
                                    "10:00:03,,,,,,12.301,12.30,0,0,0,0,0,,0,0,,0,0,\n" ALIPAY_TAIL,
                        6, "amount");
    expect_alipay_error(ALIPAY_HEAD "2026\t,T01A0002\t,交易,x,2026-12-06 10:00:00,2026-12-06 "
                                    "10:00,,,,,,12.30,12.30,0,0,0,0,0,,0,0,,0,0,\n" ALIPAY_TAIL,
                        6, "time");
    expect_alipay_error(ALIPAY_HEAD "2026\t,T01A0002\t,转账,x,2026-12-06 10:00:00,2026-12-06 "
                                    "10:00:03,,,,,,12.30,12.30,0,0,0,0,0,,0,0,,0,0,\n" ALIPAY_TAIL,
                        6, "business type");
    expect_alipay_error(ALIPAY_HEAD "2026\t,T01 A0002\t,交易,x,2026-12-06 10:00:00,2026-12-06 "
                                    "10:00:03,,,,,,12.30,12.30,0,0,0,0,0,,0,0,,0,0,\n" ALIPAY_TAIL,
                        6, "order number");
    expect_alipay_error(ALIPAY_HEAD "2026\t,T01A0002\t,退款,x,2026-12-06 10:00:00,2026-12-06 "
                                    "10:00:03,,,,,,-1.00,-1.00,0,0,0,0,0,,0,0,,0,0,\n" ALIPAY_TAIL,
                        6, "refund number");
    expect_alipay_error(ALIPAY_HEAD "2026\t,T01A0002\t,交易\n" ALIPAY_TAIL, 6, "fields");
    expect_alipay_error("#x\n支付宝交易号,商户订单号,业务类型\n" ALIPAY_TAIL, 2,
                        "lacks the column");

    /* bytes that are no GBK inside the detail file */
    {
        char path[256], raw[] = "#x\n\x80\xff\xfe\n";
        snprintf(path, sizeof path, "%s/badgbk.zip", dir);
        unlink(path);
        char name[128];
        name[to_gbk("x_业务明细.csv", name, sizeof name - 1)] = 0;
        zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, NULL);
        zip_file_add(z, name, zip_source_buffer(z, raw, strlen(raw), 0), ZIP_FL_ENC_RAW);
        zip_close(z);
        struct bill_error e = {0};
        CHECK_EQ_INT(bill_alipay_read_zip(path, keep, &(struct got){0}, &e), BILL_ERR_FORMAT);
        CHECK(strstr(e.text, "not GBK") != NULL);
        CHECK_EQ_INT(e.line, 2);
    }

    /* a zip without the detail file, and a file that is no zip */
    char path[256];
    snprintf(path, sizeof path, "%s/none.zip", dir);
    unlink(path);
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, NULL);
    zip_file_add(z, "readme.txt", zip_source_buffer(z, "x", 1, 0), 0);
    zip_close(z);
    struct bill_error e = {0};
    CHECK_EQ_INT(bill_alipay_read_zip(path, keep, &(struct got){0}, &e), BILL_ERR_FORMAT);
    CHECK(strstr(e.text, "业务明细") != NULL);
    snprintf(path, sizeof path, "%s/plain.zip", dir);
    FILE *f = fopen(path, "w");
    fputs("not a zip", f);
    fclose(f);
    CHECK_EQ_INT(bill_alipay_read_zip(path, keep, &(struct got){0}, &e), BILL_ERR_FILE);
}

#define WECHAT_HEAD                                                                                                                  \
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,"     \
    "交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,"  \
    "充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额," \
    "费率备注\n"
#define WECHAT_PAY                                                                                 \
    "`2026-12-06 "                                                                                 \
    "10:00:03,`wx5f1e0c1a2b3c4d5e,`1900000109,`0,`T01,`4200000001202612060000000001,`T01W0001,`"   \
    "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`MICROPAY,`SUCCESS,`OTHERS,`CNY,`12.30,`0.00,`0,`0,`0.00,`0.00," \
    "`,`,`上海便利店,收银台 1,`,`-0.07000,`0.60%,`12.30,`0.00,`\n"
#define WECHAT_REFUND                                                                              \
    "`2026-12-06 "                                                                                 \
    "11:20:00,`wx5f1e0c1a2b3c4d5e,`1900000109,`0,`T01,`4200000001202612060000000001,`T01W0001,`"   \
    "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`MICROPAY,`REFUND,`OTHERS,`CNY,`0.00,`0.00,`"                    \
    "50300000012026120600000001,`T01W0001R1,`2.30,`0.00,`ORIGINAL,`SUCCESS,`上海便利店,`,`0." \
    "01000,`0.60%,`12.30,`2.30,`\n"
#define WECHAT_TAIL(n)                                                                                                   \
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额," \
    "申请退款总金额\n"                                                                                            \
    "`" n ",`12.30,`2.30,`0.00,`-0.06000,`12.30,`2.30\n"

static enum bill_status read_wechat(const char *text, const char *hash, struct got *g,
                                    struct bill_error *e)
{
    char path[256], hex[41];
    snprintf(path, sizeof path, "%s/wechat.gz", dir);
    gzFile gz = gzopen(path, "wb");
    gzwrite(gz, text, (unsigned)strlen(text));
    gzclose(gz);
    if (!hash) {
        unsigned char d[CRYPTO_SHA1_LEN];
        struct crypto_sha1 *h = crypto_sha1_new();
        crypto_sha1_update(h, text, strlen(text));
        crypto_sha1_finish(h, d);
        for (int i = 0; i < CRYPTO_SHA1_LEN; i++)
            snprintf(hex + 2 * i, 3, "%02X", d[i]);
        hash = hex;
    }
    memset(g, 0, sizeof *g);
    memset(e, 0, sizeof *e);
    return bill_wechat_read_gzip(path, "SHA1", hash, keep, g, e);
}

static void test_sha1_vector(void)
{
    unsigned char d[CRYPTO_SHA1_LEN];
    struct crypto_sha1 *h = crypto_sha1_new();
    crypto_sha1_update(h, "a", 1);
    crypto_sha1_update(h, "bc", 2);
    crypto_sha1_finish(h, d);
    static const unsigned char abc[] = {0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81, 0x6a, 0xba, 0x3e,
                                        0x25, 0x71, 0x78, 0x50, 0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d};
    CHECK(memcmp(d, abc, sizeof abc) == 0); /* FIPS 180 "abc" */
}

static void test_wechat_sample(void)
{
    struct got g;
    struct bill_error e;
    CHECK_EQ_INT(read_wechat(WECHAT_HEAD WECHAT_PAY WECHAT_REFUND WECHAT_TAIL("2"), NULL, &g, &e),
                 BILL_OK);
    CHECK_EQ_INT(g.n, 2);
    CHECK_EQ_INT(g.rows[0].kind, BILL_PAYMENT);
    CHECK_EQ_STR(g.rows[0].order_no, "T01W0001");
    CHECK_EQ_STR(g.rows[0].trade_no, "4200000001202612060000000001");
    CHECK_EQ_INT(g.rows[0].amount_fen, 1230);
    CHECK_EQ_STR(g.rows[0].state, "SUCCESS");
    CHECK_EQ_INT(g.rows[1].kind, BILL_REFUND);
    CHECK_EQ_STR(g.rows[1].refund_no, "T01W0001R1");
    CHECK_EQ_INT(g.rows[1].amount_fen, 230);
    CHECK_EQ_INT(g.rows[1].line, 3);
}

static void expect_wechat_error(const char *text, enum bill_status want, long line,
                                const char *words)
{
    struct got g;
    struct bill_error e;
    CHECK_EQ_INT(read_wechat(text, NULL, &g, &e), want);
    CHECK_EQ_INT(e.line, line);
    if (!strstr(e.text, words))
        fprintf(stderr, "  error \"%s\" lacks \"%s\"\n", e.text, words);
    CHECK(strstr(e.text, words) != NULL);
}

static void test_wechat_damage(void)
{
    struct got g;
    struct bill_error e;
    /* the wrong digest: not one row is given out */
    CHECK_EQ_INT(read_wechat(WECHAT_HEAD WECHAT_PAY WECHAT_TAIL("1"),
                             "79bb0f45fc4c42234a918000b2668d689e2bde04", &g, &e),
                 BILL_ERR_HASH);
    CHECK_EQ_INT(g.n, 0);
    expect_wechat_error(WECHAT_HEAD WECHAT_PAY WECHAT_TAIL("2"), BILL_ERR_FORMAT, 4,
                        "summary counts 2 rows");
    expect_wechat_error(WECHAT_HEAD WECHAT_PAY, BILL_ERR_FORMAT, 2, "no summary");
    expect_wechat_error(WECHAT_HEAD "2026-12-06 10:00:03,wx,1900000109\n", BILL_ERR_FORMAT, 2,
                        "neither a detail row");
    expect_wechat_error(WECHAT_HEAD "`2026-12-06 10:00:03,`wx,`1900000109\n", BILL_ERR_FORMAT, 2,
                        "fields");
    char bad[4096];
    snprintf(bad, sizeof bad, "%s%s", WECHAT_HEAD, WECHAT_PAY);
    char *amount = strstr(bad, "`12.30,`0.00,`0,`0");
    memcpy(amount, "`1e3  ", 6);
    strcat(bad, WECHAT_TAIL("1"));
    /* the 订单金额 column (25th) is read, so the changed settlement column passes... */
    CHECK_EQ_INT(read_wechat(bad, NULL, &g, &e), BILL_OK);
    char *total = strstr(strstr(bad, "`0.60%"), "`12.30");
    memcpy(total, "`12.3.", 6);
    expect_wechat_error(bad, BILL_ERR_FORMAT, 2, "amount"); /* ...but not the one read */
    snprintf(bad, sizeof bad, "%s%s", WECHAT_HEAD, WECHAT_PAY);
    memcpy(strstr(bad, "`SUCCESS"), "`CLOSED ", 8);
    strcat(bad, WECHAT_TAIL("1"));
    expect_wechat_error(bad, BILL_ERR_FORMAT, 2, "trade state");

    char path[256];
    snprintf(path, sizeof path, "%s/plain.gz", dir);
    FILE *f = fopen(path, "w");
    fputs(WECHAT_HEAD, f);
    fclose(f);
    CHECK_EQ_INT(bill_wechat_read_gzip(path, "SHA1", "79bb0f45fc4c42234a918000b2668d689e2bde04",
                                       keep, &g, &e),
                 BILL_ERR_FILE);
    CHECK_EQ_INT(
        bill_wechat_read_gzip(path, "MD5", "79bb0f45fc4c42234a918000b2668d68", keep, &g, &e),
        BILL_ERR_HASH);
}

/* Pieces of any size make the same rows: a line and a character cut between two pieces. */
static void test_pieces(void)
{
    const char *text = WECHAT_HEAD WECHAT_PAY WECHAT_REFUND WECHAT_TAIL("2");
    for (size_t piece = 1; piece < 40; piece += 7) {
        struct got g = {0};
        struct bill_error e = {0};
        struct bill_reader *r = bill_reader_new(BILL_WECHAT, keep, &g);
        enum bill_status st = BILL_OK;
        for (size_t at = 0; st == BILL_OK && at < strlen(text); at += piece) {
            size_t n = strlen(text) - at < piece ? strlen(text) - at : piece;
            st = bill_reader_feed(r, text + at, n, &e);
        }
        CHECK_EQ_INT(st, BILL_OK);
        CHECK_EQ_INT(bill_reader_finish(r, &e), BILL_OK);
        CHECK_EQ_INT(g.n, 2);
        CHECK_EQ_INT(g.rows[1].amount_fen, 230);
        bill_reader_free(r);
    }
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    test_sha1_vector();
    test_alipay_sample();
    test_alipay_damage();
    test_wechat_sample();
    test_wechat_damage();
    test_pieces();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_done();
}
