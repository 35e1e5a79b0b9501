/*
 * test_sim_bill.c - the simulator's bills, read here with the libraries alone (libzip, iconv,
 * zlib), not with posterm's bill code: the query replies are signed, the Alipay zip holds the
 * GBK detail and summary files, the WeChat download needs a signed request and its gzip has the
 * published SHA1, a charge of the day shows up in both formats, and every kind of injected
 * difference changes the file as named; bad injections are refused.
 *
 * usage: test_sim_bill PATH/TO/posterm-sim
 */
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zip.h>
#include <zlib.h>

#include "check.h"
#include "sim_client.h"

static struct simproc sim;
static char date[16];

static char *utf8_of_gbk(const char *in, size_t len)
{
    char *out = calloc(1, len * 2 + 1);
    iconv_t cd = iconv_open("UTF-8", "GBK");
    char *src = (char *)in, *dst = out;
    size_t inleft = len, outleft = len * 2;
    bool ok = iconv(cd, &src, &inleft, &dst, &outleft) != (size_t)-1;
    iconv_close(cd);
    CHECK(ok);
    return out;
}

static void pay(const char *channel, const char *order, long fen)
{
    struct http_result r = {0};
    char body[768];
    if (strcmp(channel, "alipay") == 0) {
        snprintf(body, sizeof body,
                 "{\"out_trade_no\":\"%s\",\"scene\":\"bar_code\",\"auth_code\":"
                 "\"287654321098765400\",\"subject\":\"x\",\"total_amount\":\"%ld.%02ld\"}",
                 order, fen / 100, fen % 100);
        CHECK(alipay_call(&sim, "alipay.trade.pay", body, NULL, 10000, &r));
    } else {
        snprintf(body, sizeof body,
                 "{\"appid\":\"%s\",\"mchid\":\"%s\",\"description\":\"x\",\"out_trade_no\":\"%s\","
                 "\"payer\":{\"auth_code\":\"134567890123456700\"},\"amount\":{\"total\":%ld,"
                 "\"currency\":\"CNY\"},\"scene_info\":{\"store_info\":{\"out_id\":\"T1\"}}}",
                 SIM_WECHAT_APPID, SIM_WECHAT_MCHID, order, fen);
        CHECK(wechat_call(&sim, "POST", "/v3/pay/transactions/codepay", body, 10000, &r));
    }
    CHECK_EQ_INT(r.status, 200);
    http_result_free(&r);
}

static bool inject(const char *json)
{
    struct http_result r = {0};
    bool ok = sim_http(&sim, "POST", "/_sim/bill", json, 5000, &r) && r.status == 200;
    http_result_free(&r);
    return ok;
}

/* The Alipay detail file of the day, as UTF-8 text (caller frees). */
static char *alipay_detail(void)
{
    struct http_result r = {0};
    cJSON *resp = NULL;
    bool verified = false;
    char biz[96], path[300];
    snprintf(biz, sizeof biz, "{\"bill_type\":\"trade\",\"bill_date\":\"%s\"}", date);
    const char *method = "alipay.data.dataservice.bill.downloadurl.query";
    CHECK(alipay_call(&sim, method, biz, NULL, 10000, &r));
    CHECK(alipay_reply(&sim, &r, method, &resp, &verified));
    CHECK(verified);
    CHECK_EQ_STR(json_text(resp, "code"), "10000");
    const char *url = json_text(resp, "bill_download_url");
    CHECK(strncmp(url, sim.base, strlen(sim.base)) == 0);
    char *text = NULL;
    struct http_result file = {0};
    if (sim_http(&sim, "GET", url + strlen(sim.base), NULL, 10000, &file) && file.status == 200) {
        snprintf(path, sizeof path, "%s/bill.zip", sim.dir);
        FILE *f = fopen(path, "wb");
        fwrite(file.body, 1, file.len, f);
        fclose(f);
        zip_t *z = zip_open(path, ZIP_RDONLY, NULL);
        CHECK(z != NULL);
        CHECK_EQ_INT(zip_get_num_entries(z, 0), 2);
        for (zip_int64_t i = 0; z && i < zip_get_num_entries(z, 0); i++) {
            const char *raw = zip_get_name(z, (zip_uint64_t)i, ZIP_FL_ENC_RAW);
            char *name = utf8_of_gbk(raw, strlen(raw));
            zip_stat_t st;
            zip_stat_index(z, (zip_uint64_t)i, 0, &st);
            size_t n = strlen(name);
            if (n > 17 && strcmp(name + n - 17, "_业务明细.csv") == 0) {
                char *gbk = calloc(1, st.size + 1);
                zip_file_t *zf = zip_fopen_index(z, (zip_uint64_t)i, 0);
                CHECK(zip_fread(zf, gbk, st.size) == (zip_int64_t)st.size);
                zip_fclose(zf);
                text = utf8_of_gbk(gbk, st.size);
                free(gbk);
            } else {
                CHECK(strstr(name, "_业务明细(汇总).csv") != NULL);
            }
            free(name);
        }
        zip_close(z);
    }
    CHECK(text != NULL);
    http_result_free(&file);
    http_result_free(&r);
    cJSON_Delete(resp);
    return text;
}

static char *gunzip(const char *in, size_t len)
{
    size_t cap = len * 20 + 4096;
    char *out = calloc(1, cap);
    z_stream z;
    memset(&z, 0, sizeof z);
    CHECK(inflateInit2(&z, 15 + 16) == Z_OK); /* gzip only */
    z.next_in = (unsigned char *)in;
    z.avail_in = (uInt)len;
    z.next_out = (unsigned char *)out;
    z.avail_out = (uInt)cap - 1;
    CHECK(inflate(&z, Z_FINISH) == Z_STREAM_END);
    inflateEnd(&z);
    return out;
}

/* The WeChat bill of the day as text (caller frees); its SHA1 checked. */
static char *wechat_bill(void)
{
    struct http_result r = {0}, file = {0};
    char path[128], hex[41];
    snprintf(path, sizeof path, "/v3/bill/tradebill?bill_date=%s&bill_type=ALL&tar_type=GZIP",
             date);
    CHECK(wechat_call(&sim, "GET", path, "", 10000, &r));
    CHECK_EQ_INT(r.status, 200);
    CHECK(wechat_reply_verified(&sim, &r));
    cJSON *o = cJSON_ParseWithLength(r.body, r.len);
    CHECK_EQ_STR(json_text(o, "hash_type"), "SHA1");
    const char *url = json_text(o, "download_url");
    char *text = NULL;
    CHECK(strncmp(url, sim.base, strlen(sim.base)) == 0);
    /* the download wants a signed request */
    CHECK(sim_http(&sim, "GET", url + strlen(sim.base), NULL, 10000, &file));
    CHECK_EQ_INT(file.status, 401);
    http_result_free(&file);
    CHECK(wechat_call(&sim, "GET", url + strlen(sim.base), "", 10000, &file));
    CHECK_EQ_INT(file.status, 200);
    if (file.status == 200) {
        text = gunzip(file.body, file.len);
        sim_sha1_hex(text, strlen(text), hex);
        CHECK_EQ_STR(hex, json_text(o, "hash_value"));
    }
    cJSON_Delete(o);
    http_result_free(&file);
    http_result_free(&r);
    return text;
}

static void test_day(void)
{
    char a[40], w[40], json[300];
    test_order_no(a, "BA");
    test_order_no(w, "BW");
    pay("alipay", a, 1230);
    pay("wechat", w, 4560);
    char *text = alipay_detail();
    char want[200];
    snprintf(want, sizeof want, "%s\t,交易,", a);
    CHECK(text && strstr(text, want) && strstr(text, ",12.30,12.30,"));
    CHECK(text && strstr(text, "#-----------------------------------------业务明细列表结束"));
    free(text);
    text = wechat_bill();
    snprintf(want, sizeof want, ",`%s,`oSim0penid,`MICROPAY,`SUCCESS,", w);
    CHECK(text && strstr(text, want) && strstr(text, "`45.60,`0.00,`\n"));
    CHECK(text && strstr(text, "\n总交易单数,"));
    free(text);

    /* every kind of difference */
    snprintf(json, sizeof json,
             "{\"channel\":\"wechat\",\"date\":\"%s\",\"inject\":\"amount\",\"order\":\"%s\","
             "\"fen\":4000}",
             date, w);
    CHECK(inject(json));
    snprintf(json, sizeof json,
             "{\"channel\":\"wechat\",\"date\":\"%s\",\"inject\":\"charge\",\"order\":\"X1\","
             "\"fen\":777}",
             date);
    CHECK(inject(json));
    snprintf(
        json, sizeof json,
        "{\"channel\":\"wechat\",\"date\":\"%s\",\"inject\":\"portal_refund\",\"order\":\"%s\","
        "\"fen\":100,\"refund_no\":\"PORTAL1\"}",
        date, w);
    CHECK(inject(json));
    snprintf(json, sizeof json,
             "{\"channel\":\"alipay\",\"date\":\"%s\",\"inject\":\"missing\",\"order\":\"%s\"}",
             date, a);
    CHECK(inject(json));
    text = wechat_bill();
    CHECK(text && strstr(text, "`40.00,`0.00,`0,`0,"));
    CHECK(text && strstr(text, ",`X1,") && strstr(text, "`7.77,"));
    CHECK(text && strstr(text, ",`PORTAL1,`1.00,") && strstr(text, "`REFUND,"));
    free(text);
    text = alipay_detail();
    CHECK(text && !strstr(text, a));
    free(text);

    /* refused */
    CHECK(!inject("{\"channel\":\"cash\",\"date\":\"2026-12-07\",\"inject\":\"missing\","
                  "\"order\":\"A\"}"));
    CHECK(!inject("{\"channel\":\"alipay\",\"date\":\"2026-1-7\",\"inject\":\"missing\","
                  "\"order\":\"A\"}"));
    CHECK(!inject("{\"channel\":\"alipay\",\"date\":\"2026-12-07\",\"inject\":\"charge\","
                  "\"order\":\"A\",\"fen\":0}"));
    CHECK(!inject("{\"channel\":\"alipay\",\"date\":\"2026-12-07\",\"inject\":\"lose\","
                  "\"order\":\"A\"}"));
    struct http_result r = {0};
    CHECK(sim_http(&sim, "DELETE", "/_sim/bill", NULL, 5000, &r));
    CHECK_EQ_INT(r.status, 200);
    http_result_free(&r);
    text = alipay_detail();
    CHECK(text && strstr(text, a));
    free(text);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH/TO/posterm-sim\n", argv[0]);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    time_t beijing = time(NULL) + 8 * 3600;
    struct tm tm;
    gmtime_r(&beijing, &tm);
    strftime(date, sizeof date, "%Y-%m-%d", &tm);
    CHECK(simproc_prepare(&sim, argv[1]));
    CHECK(simproc_start(&sim, NULL));
    if (sim.port > 0) {
        test_day();
        CHECK_EQ_INT(simproc_stop(&sim), 0);
    }
    simproc_cleanup(&sim);
    curl_global_cleanup();
    return check_done();
}
