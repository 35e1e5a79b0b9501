/*
 * bench_bill.c - the bill readers on big bills: time and peak memory.
 *
 * usage: bench_bill [ROWS...]   (default 1000 100000)
 *
 * For each size it writes a WeChat ALL bill (gzip, backtick fields, summary) and an Alipay
 * bill (zip of the GBK detail CSV) of ROWS rows, then reads each in a child process of its
 * own with a row function that keeps nothing, and prints the wall time, rows per second and
 * the child's peak RSS (ru_maxrss). Memory flat means the peak does not grow with ROWS.
 * Prints figures; nothing here fails on a slow machine.
 */
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zip.h>
#include <zlib.h>

#include "bill.h"
#include "crypto.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char wechat_head[] =
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,"
    "交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,"
    "充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,"
    "费率备注\n";
static const char alipay_head[] =
    "#支付宝业务明细查询\n#账号：[20880000000000000156]\n"
    "#-----------------------------------------业务明细列表--------------------------------------"
    "--\n支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端"
    "号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,"
    "商家优"
    "惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/"
    "请求号,服务"
    "费（元）,分润（元）,备注\n";

/* Writes both bills of rows rows into dir; their SHA1 (WeChat) into hex. */
static void make_bills(const char *dir, long rows, char hex[41])
{
    char path[300], line[1024];
    snprintf(path, sizeof path, "%s/wechat.gz", dir);
    gzFile gz = gzopen(path, "wb6");
    struct crypto_sha1 *h = crypto_sha1_new();
    gzputs(gz, wechat_head);
    crypto_sha1_update(h, wechat_head, strlen(wechat_head));
    for (long i = 0; i < rows; i++) {
        int n = snprintf(line, sizeof line,
                         "`2026-12-06 %02ld:%02ld:%02ld,`wx5f1e0c1a2b3c4d5e,`1900000109,`0,`T01,"
                         "`42000000012026120600%08ld,`T01W%08ld,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,"
                         "`MICROPAY,`SUCCESS,`OTHERS,`CNY,`%ld.%02ld,`0.00,`0,`0,`0.00,`0.00,`,`,"
                         "`上海便利店,`,`0.00000,`0.60%%,`%ld.%02ld,`0.00,`\n",
                         (i / 3600) % 24, (i / 60) % 60, i % 60, i, i, 1 + i % 500, i % 100,
                         1 + i % 500, i % 100);
        gzwrite(gz, line, (unsigned)n);
        crypto_sha1_update(h, line, (size_t)n);
    }
    int n =
        snprintf(line, sizeof line,
                 "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,"
                 "申请退款总金额\n`%ld,`0.00,`0.00,`0.00,`0.00000,`0.00,`0.00\n",
                 rows);
    gzwrite(gz, line, (unsigned)n);
    crypto_sha1_update(h, line, (size_t)n);
    gzclose(gz);
    unsigned char d[CRYPTO_SHA1_LEN];
    crypto_sha1_finish(h, d);
    for (int i = 0; i < CRYPTO_SHA1_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);

    /* Alipay: the UTF-8 text to a file, converted to GBK, zipped from that file */
    char utf8[300], gbk[300], zpath[300], name[128];
    snprintf(utf8, sizeof utf8, "%s/detail.utf8", dir);
    snprintf(gbk, sizeof gbk, "%s/detail.gbk", dir);
    FILE *f = fopen(utf8, "w");
    fputs(alipay_head, f);
    for (long i = 0; i < rows; i++)
        fprintf(f,
                "2026120622001400%012ld\t,T01A%08ld\t,交易,上海便利店（人民广场店）收银,2026-12-06 "
                "10:00:00,2026-12-06 10:00:03,S01,上海便利店,,,buy***@example.com,%ld.%02ld,%ld."
                "%02ld,0.00,0.00,0.00,0.00,0.00,,0.00,0.00,,0.00,0.00,\n",
                i, i, 1 + i % 500, i % 100, 1 + i % 500, i % 100);
    fputs("#-----------------------------------------业务明细列表结束-----------------------------"
          "-------\n#交易合计：笔\n",
          f);
    fclose(f);
    char cmd[800];
    snprintf(cmd, sizeof cmd, "iconv -f UTF-8 -t GBK '%s' > '%s'", utf8, gbk);
    if (system(cmd) != 0)
        fprintf(stderr, "iconv failed\n");
    snprintf(zpath, sizeof zpath, "%s/alipay.zip", dir);
    iconv_t cd = iconv_open("GBK", "UTF-8");
    char *src = (char *)"20880000000000000156_20261206_业务明细.csv", *dst = name;
    size_t inleft = strlen(src), outleft = sizeof name - 1;
    iconv(cd, &src, &inleft, &dst, &outleft);
    *dst = '\0';
    iconv_close(cd);
    unlink(zpath);
    zip_t *z = zip_open(zpath, ZIP_CREATE | ZIP_TRUNCATE, NULL);
    zip_file_add(z, name, zip_source_file(z, gbk, 0, -1), ZIP_FL_ENC_RAW);
    zip_close(z);
    unlink(utf8);
    unlink(gbk);
}

static bool count(void *ctx, const struct bill_row *row)
{
    (void)row;
    ++*(long *)ctx;
    return true;
}

static void measure(const char *dir, const char *which, long rows, const char *hex)
{
    pid_t pid = fork();
    if (pid == 0) {
        char path[300];
        struct bill_error e = {0};
        long got = 0;
        double t0 = now_s();
        enum bill_status st;
        if (strcmp(which, "wechat") == 0) {
            snprintf(path, sizeof path, "%s/wechat.gz", dir);
            st = bill_wechat_read_gzip(path, "SHA1", hex, count, &got, &e);
        } else {
            snprintf(path, sizeof path, "%s/alipay.zip", dir);
            st = bill_alipay_read_zip(path, count, &got, &e);
        }
        double t = now_s() - t0;
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        printf("%-7s %8ld rows: %-6s %7.3f s  %9.0f rows/s  peak RSS %6ld KiB%s%s\n", which, rows,
               bill_status_name(st), t, t > 0 ? (double)got / t : 0.0, ru.ru_maxrss,
               st == BILL_OK ? "" : "  ", st == BILL_OK ? "" : e.text);
        fflush(stdout);
        _exit(st == BILL_OK && got == rows ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
}

int main(int argc, char **argv)
{
    char dir[] = "/tmp/posterm-bench-bill-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    long sizes[8] = {1000, 100000};
    int nsizes = 2;
    if (argc > 1) {
        nsizes = 0;
        for (int i = 1; i < argc && nsizes < 8; i++)
            sizes[nsizes++] = atol(argv[i]);
    }
    for (int i = 0; i < nsizes; i++) {
        char hex[41];
        make_bills(dir, sizes[i], hex);
        measure(dir, "wechat", sizes[i], hex);
        measure(dir, "alipay", sizes[i], hex);
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
