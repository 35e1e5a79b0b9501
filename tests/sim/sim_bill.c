/*
 * sim_bill.c - the bills: rows from the ledger's audit, the two file formats, the endpoints.
 *
 * Written from the gateways' documentation (drivers/gateway/README.md, "Bills"), without any
 * of posterm's bill code, so that a parser and this writer that disagree show it.
 */
#include "sim_bill.h"

#include <iconv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zip.h>
#include <zlib.h>

#include "sim.h"

struct text {
    char *s;
    size_t len, cap;
    bool failed;
};

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || t->failed)
        return;
    if (t->len + (size_t)n + 1 > t->cap) {
        size_t cap = (t->len + (size_t)n + 1) * 2;
        char *s = realloc(t->s, cap);
        if (!s) {
            t->failed = true;
            return;
        }
        t->s = s;
        t->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(t->s + t->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

static bool is_date(const char *d)
{
    if (!d || strlen(d) != 10 || d[4] != '-' || d[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (d[i] < '0' || d[i] > '9'))
            return false;
    return true;
}

bool sim_bill_edit_parse(const cJSON *o, struct sim_bill_edit *e, const char **why)
{
    static const char *const kinds[] = {"charge", "portal_refund", "amount",  "missing",
                                        "slow",   "garble",        "bad_hash"};
    const size_t nkinds = sizeof kinds / sizeof kinds[0];
    memset(e, 0, sizeof *e);
    const cJSON *ch = cJSON_GetObjectItemCaseSensitive(o, "channel");
    const cJSON *date = cJSON_GetObjectItemCaseSensitive(o, "date");
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(o, "inject");
    const cJSON *order = cJSON_GetObjectItemCaseSensitive(o, "order");
    const cJSON *fen = cJSON_GetObjectItemCaseSensitive(o, "fen");
    const cJSON *refund = cJSON_GetObjectItemCaseSensitive(o, "refund_no");
    const cJSON *seconds = cJSON_GetObjectItemCaseSensitive(o, "seconds");
    *why = "channel must be alipay or wechat";
    if (!cJSON_IsString(ch) ||
        (e->channel = pay_channel_from_name(ch->valuestring)) == CHANNEL_NONE)
        return false;
    *why = "date must be yyyy-MM-dd";
    if (!cJSON_IsString(date) || !is_date(date->valuestring))
        return false;
    snprintf(e->date, sizeof e->date, "%s", date->valuestring);
    *why = "inject must be charge, portal_refund, amount, missing, slow, garble or bad_hash";
    size_t k = 0;
    while (cJSON_IsString(kind) && k < nkinds && strcmp(kinds[k], kind->valuestring) != 0)
        k++;
    if (!cJSON_IsString(kind) || k == nkinds)
        return false;
    e->kind = (enum sim_bill_edit_kind)k;
    if (e->kind == SIM_BILL_SLOW) {
        *why = "seconds must be a whole number from 1 to 600";
        if (!cJSON_IsNumber(seconds) || seconds->valuedouble < 1 || seconds->valuedouble > 600 ||
            seconds->valuedouble != (double)(int)seconds->valuedouble)
            return false;
        e->seconds = (int)seconds->valuedouble;
        return true;
    }
    if (e->kind == SIM_BILL_GARBLE)
        return true;
    *why = "bad_hash is a WeChat Pay bill's (Alipay publishes no hash)";
    if (e->kind == SIM_BILL_BAD_HASH)
        return e->channel == CHANNEL_WECHAT;
    *why = "order must be 1-64 characters";
    if (!cJSON_IsString(order) || !order->valuestring[0] || strlen(order->valuestring) > 64)
        return false;
    snprintf(e->order, sizeof e->order, "%s", order->valuestring);
    *why = "fen must be a positive whole number";
    if (e->kind != SIM_BILL_MISSING &&
        (!cJSON_IsNumber(fen) || fen->valuedouble < 1 || fen->valuedouble > 1e12 ||
         fen->valuedouble != (double)(int64_t)fen->valuedouble))
        return false;
    e->fen = e->kind == SIM_BILL_MISSING ? 0 : (int64_t)fen->valuedouble;
    if (cJSON_IsString(refund) && strlen(refund->valuestring) <= 64)
        snprintf(e->refund_no, sizeof e->refund_no, "%s", refund->valuestring);
    else
        snprintf(e->refund_no, sizeof e->refund_no, "PORTAL%.50s", e->order);
    return true;
}

/* The day's edit of a kind that names no order (slow, garble, bad_hash), copied; false when
 * there is none. */
static bool day_edit(struct sim *s, enum pay_channel ch, const char *date,
                     enum sim_bill_edit_kind kind, struct sim_bill_edit *out)
{
    bool found = false;
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < s->nbill_edits && !found; i++) {
        const struct sim_bill_edit *e = &s->bill_edits[i];
        if (e->channel == ch && e->kind == kind && strcmp(e->date, date) == 0) {
            *out = *e;
            found = true;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return found;
}

/* The file's own edits: held back, cut in half. */
static void file_edits(struct sim *s, enum pay_channel ch, const char *date, struct sim_reply *rep)
{
    struct sim_bill_edit e;
    if (rep->status == 200 && day_edit(s, ch, date, SIM_BILL_GARBLE, &e))
        rep->body_len /= 2;
    if (day_edit(s, ch, date, SIM_BILL_SLOW, &e)) {
        rep->fault = FAULT_DELAY;
        rep->delay_s = sim_scaled_seconds(e.seconds);
    }
}

/* One row as both formats need it. */
struct row {
    bool refund;
    const char *order, *trade_no, *refund_no, *refund_id, *state;
    int64_t fen, order_fen;
    int64_t when;
};

static const struct sim_bill_edit *edit_for(const struct sim *s, enum pay_channel ch,
                                            const char *date, enum sim_bill_edit_kind kind,
                                            const char *order)
{
    for (int i = 0; i < s->nbill_edits; i++) {
        const struct sim_bill_edit *e = &s->bill_edits[i];
        if (e->channel == ch && e->kind == kind && strcmp(e->date, date) == 0 &&
            strcmp(e->order, order) == 0)
            return e;
    }
    return NULL;
}

static void put_row(struct text *t, enum pay_channel ch, const struct row *r, int64_t *count,
                    int64_t *paid, int64_t *refunded)
{
    char when[32], fen[32], order_fen[32];
    sim_time_alipay(r->when, when);
    sim_yuan_format(r->fen, fen);
    sim_yuan_format(r->order_fen, order_fen);
    (*count)++;
    if (r->refund)
        *refunded += r->fen;
    else
        *paid += r->fen;
    if (ch == CHANNEL_ALIPAY) {
        /* numbers padded with a tab, as Alipay writes them so spreadsheets keep them text */
        add(t,
            "%s\t,%s\t,%s,上海测试便利店（人民广场店）收银,%s,%s,S01,上海测试便利店,,,"
            "buy***@example.com,%s%s,%s%s,0.00,0.00,0.00,0.00,0.00,,0.00,0.00,%s%s,0.00,0.00,\n",
            r->trade_no, r->order, r->refund ? "退款" : "交易", when, when, r->refund ? "-" : "",
            fen, r->refund ? "-" : "", fen, r->refund_no, r->refund ? "\t" : "");
    } else if (r->refund) {
        add(t,
            "`%s,`" SIM_WECHAT_APPID ",`" SIM_WECHAT_MCHID ",`0,`,`%s,`%s,`oSim0penid,`MICROPAY,"
            "`%s,`OTHERS,`CNY,`0.00,`0.00,`%s,`%s,`%s,`0.00,`ORIGINAL,`SUCCESS,`上海测试便利店,`,"
            "`0.00000,`0.60%%,`%s,`%s,`\n",
            when, r->trade_no, r->order, r->state, r->refund_id, r->refund_no,
            strcmp(r->state, "REVOKED") == 0 ? "0.00" : fen, order_fen,
            strcmp(r->state, "REVOKED") == 0 ? "0.00" : fen);
    } else {
        add(t,
            "`%s,`" SIM_WECHAT_APPID ",`" SIM_WECHAT_MCHID ",`0,`,`%s,`%s,`oSim0penid,`MICROPAY,"
            "`SUCCESS,`OTHERS,`CNY,`%s,`0.00,`0,`0,`0.00,`0.00,`,`,`上海测试便利店,收银,`,"
            "`0.00000,`0.60%%,`%s,`0.00,`\n",
            when, r->trade_no, r->order, fen, fen);
    }
}

static int64_t num(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static const char *str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

char *sim_bill_text(struct sim *s, enum pay_channel ch, const char *date)
{
    pthread_mutex_lock(&s->lock);
    char *audit = sim_ledger_audit(s->ledger, sim_now_ms());
    struct sim_bill_edit edits[SIM_BILL_EDITS_MAX];
    int nedits = s->nbill_edits;
    memcpy(edits, s->bill_edits, sizeof edits);
    struct sim copy; /* the edits only, for edit_for() without the lock */
    memcpy(copy.bill_edits, edits, sizeof edits);
    copy.nbill_edits = nedits;
    pthread_mutex_unlock(&s->lock);
    cJSON *root = cJSON_Parse(audit);
    free(audit);
    const cJSON *trades = cJSON_GetObjectItemCaseSensitive(root, "trades");
    struct text t = {0};
    int64_t count = 0, paid = 0, refunded = 0;
    if (ch == CHANNEL_ALIPAY)
        add(&t,
            "#支付宝业务明细查询\n#账号：[20880000000000010156]\n#起始日期：[%.4s年%.2s月%.2s日 "
            "00:00:00]   终止日期：[%.4s年%.2s月%.2s日 24:00:00]\n"
            "#-----------------------------------------业务明细列表--------------------------------"
            "--------\n"
            "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,"
            "终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,"
            "支付宝优惠（元）"
            ",商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,"
            "退款批次号/"
            "请求号,服务费（元）,分润（元）,备注\n",
            date, date + 5, date + 8, date, date + 5, date + 8);
    else
        add(&t,
            "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,"
            "交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,"
            "退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,"
            "申请退款金额,费率备注\n");
    const cJSON *tr;
    cJSON_ArrayForEach(tr, trades)
    {
        char day[32];
        int64_t when = num(tr, "paid_at");
        if (pay_channel_from_name(str(tr, "channel")) != ch || num(tr, "charged") < 1 || when <= 0)
            continue;
        sim_time_alipay(when, day);
        const char *order = str(tr, "out_trade_no");
        if (strncmp(day, date, 10) != 0 || edit_for(&copy, ch, date, SIM_BILL_MISSING, order))
            continue;
        const struct sim_bill_edit *changed = edit_for(&copy, ch, date, SIM_BILL_AMOUNT, order);
        int64_t amount = num(tr, "amount_fen");
        struct row r = {.order = order,
                        .trade_no = str(tr, "trade_no"),
                        .refund_no = "",
                        .refund_id = "",
                        .fen = changed ? changed->fen : amount,
                        .order_fen = amount,
                        .when = when};
        put_row(&t, ch, &r, &count, &paid, &refunded);
        const cJSON *rf;
        cJSON_ArrayForEach(rf, cJSON_GetObjectItemCaseSensitive(tr, "refunds"))
        {
            struct row b = {.refund = true,
                            .order = order,
                            .trade_no = r.trade_no,
                            .refund_no = str(rf, "request_no"),
                            .refund_id = str(rf, "refund_id"),
                            .state = "REFUND",
                            .fen = num(rf, "amount_fen"),
                            .order_fen = amount,
                            .when = when};
            put_row(&t, ch, &b, &count, &paid, &refunded);
        }
        if (strcmp(str(tr, "state"), "cancelled") == 0) { /* the cancel gave the charge back */
            struct row b = {.refund = true,
                            .order = order,
                            .trade_no = r.trade_no,
                            .refund_no = ch == CHANNEL_ALIPAY ? order : "",
                            .refund_id = "",
                            .state = "REVOKED",
                            .fen = amount,
                            .order_fen = amount,
                            .when = when};
            put_row(&t, ch, &b, &count, &paid, &refunded);
        }
    }
    cJSON_Delete(root);
    for (int i = 0; i < nedits; i++) {
        const struct sim_bill_edit *e = &edits[i];
        if (e->channel != ch || strcmp(e->date, date) != 0 ||
            (e->kind != SIM_BILL_CHARGE && e->kind != SIM_BILL_PORTAL_REFUND))
            continue;
        char trade_no[40];
        snprintf(trade_no, sizeof trade_no, "%s%.8s99%06d", ch == CHANNEL_ALIPAY ? "2026" : "4200",
                 "00000000", i);
        struct row r = {.refund = e->kind == SIM_BILL_PORTAL_REFUND,
                        .order = e->order,
                        .trade_no = trade_no,
                        .refund_no = e->kind == SIM_BILL_CHARGE ? "" : e->refund_no,
                        .refund_id = "50300000000000000001",
                        .state = "REFUND",
                        .fen = e->fen,
                        .order_fen = e->fen,
                        .when = 0};
        /* an injected row happens at noon of its day */
        struct tm tm = {0};
        sscanf(date, "%d-%d-%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        tm.tm_hour = 4; /* 12:00 Beijing is 04:00 UTC */
        r.when = (int64_t)timegm(&tm);
        put_row(&t, ch, &r, &count, &paid, &refunded);
    }
    char total[32], back[32];
    sim_yuan_format(paid, total);
    sim_yuan_format(refunded, back);
    if (ch == CHANNEL_ALIPAY)
        add(&t,
            "#-----------------------------------------业务明细列表结束----------------------------"
            "--"
            "------\n#交易合计：%lld笔，商家实收共%s元，商家优惠共0.00元\n#"
            "退款合计：笔，商家实收共-%s元\n"
            "#导出时间：[%s 09:00:00]\n",
            (long long)count, total, back, date);
    else
        add(&t,
            "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,"
            "申请退款总金额\n`%lld,`%s,`%s,`0.00,`0.00000,`%s,`%s\n",
            (long long)count, total, back, total, back);
    if (t.failed) {
        free(t.s);
        return NULL;
    }
    return t.s;
}

/* A body of bytes (not text: it may hold NUL bytes). */
static void binary_body(struct sim_reply *rep, unsigned status, const char *type, char *bytes,
                        size_t len)
{
    free(rep->body);
    rep->status = status;
    snprintf(rep->content_type, sizeof rep->content_type, "%s", type);
    rep->body = bytes;
    rep->body_len = len;
}

/* --- Alipay --------------------------------------------------------------------------- */

cJSON *sim_bill_alipay_answer(struct sim *s, const struct sim_request *req, const cJSON *biz)
{
    (void)s;
    const char *type = str(biz, "bill_type"), *date = str(biz, "bill_date");
    cJSON *o = cJSON_CreateObject();
    if (strcmp(type, "trade") != 0 || !is_date(date)) {
        cJSON_AddStringToObject(o, "code", "40004");
        cJSON_AddStringToObject(o, "msg", "Business Failed");
        cJSON_AddStringToObject(o, "sub_code", "isv.invalid-arguments");
        cJSON_AddStringToObject(o, "sub_msg", "参数不合法");
        return o;
    }
    char url[512];
    snprintf(url, sizeof url,
             "%s/_bill/alipay/%s.csv.zip?bizType=trade&fileType=csv.zip&downloadFileName="
             "20880000000000010156_%.4s%.2s%.2s.csv.zip",
             req->base, date, date, date + 5, date + 8);
    cJSON_AddStringToObject(o, "code", "10000");
    cJSON_AddStringToObject(o, "msg", "Success");
    cJSON_AddStringToObject(o, "bill_download_url", url);
    return o;
}

static size_t gbk(const char *utf8, char **out)
{
    size_t cap = strlen(utf8) + 16;
    *out = malloc(cap);
    iconv_t cd = iconv_open("GBK", "UTF-8");
    if (!*out || cd == (iconv_t)-1) {
        if (cd != (iconv_t)-1)
            iconv_close(cd);
        return 0;
    }
    char *src = (char *)utf8, *dst = *out;
    size_t inleft = strlen(utf8), outleft = cap;
    iconv(cd, &src, &inleft, &dst, &outleft);
    iconv_close(cd);
    return (size_t)(dst - *out);
}

void sim_bill_alipay_file(struct sim *s, const char *path, struct sim_reply *rep)
{
    char date[11] = "";
    if (sscanf(path, "/_bill/alipay/%10[0-9-].csv.zip", date) != 1 || !is_date(date)) {
        sim_reply_body(rep, 404, "text/plain", strdup("no such bill\n"));
        return;
    }
    char *text = sim_bill_text(s, CHANNEL_ALIPAY, date);
    char *detail = NULL, *summary = NULL, *n1 = NULL, *n2 = NULL;
    char name1[128], name2[128], tmp[] = "/tmp/posterm-sim-bill-XXXXXX";
    snprintf(name1, sizeof name1, "20880000000000010156_%.4s%.2s%.2s_业务明细.csv", date, date + 5,
             date + 8);
    snprintf(name2, sizeof name2, "20880000000000010156_%.4s%.2s%.2s_业务明细(汇总).csv", date,
             date + 5, date + 8);
    size_t dlen = text ? gbk(text, &detail) : 0;
    size_t slen = gbk("#支付宝业务汇总查询\n门店编号,门店名称,交易订单总笔数\n,合计,0\n", &summary);
    size_t l1 = gbk(name1, &n1), l2 = gbk(name2, &n2);
    int fd = mkstemp(tmp);
    bool ok = fd >= 0 && dlen && slen && l1 && l2;
    if (fd >= 0)
        close(fd);
    if (ok) {
        n1[l1] = n2[l2] = '\0';
        zip_t *z = zip_open(tmp, ZIP_TRUNCATE, NULL);
        ok = z && zip_file_add(z, n1, zip_source_buffer(z, detail, dlen, 0), ZIP_FL_ENC_RAW) >= 0 &&
             zip_file_add(z, n2, zip_source_buffer(z, summary, slen, 0), ZIP_FL_ENC_RAW) >= 0 &&
             zip_close(z) == 0;
    }
    FILE *f = ok ? fopen(tmp, "rb") : NULL;
    char *bytes = NULL;
    long size = 0;
    if (f && fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (bytes = malloc((size_t)size)) && fread(bytes, 1, (size_t)size, f) == (size_t)size) {
        binary_body(rep, 200, "application/zip", bytes, (size_t)size);
        file_edits(s, CHANNEL_ALIPAY, date, rep);
    } else {
        free(bytes);
        sim_reply_body(rep, 500, "text/plain", strdup("the bill could not be made\n"));
    }
    if (f)
        fclose(f);
    unlink(tmp);
    free(text);
    free(detail);
    free(summary);
    free(n1);
    free(n2);
}

/* --- WeChat Pay ----------------------------------------------------------------------- */

static bool query_value(const char *query, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    for (const char *p = query; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
        if (strncmp(p, name, n) == 0 && p[n] == '=') {
            const char *v = p + n + 1, *end = strchr(v, '&');
            size_t len = end ? (size_t)(end - v) : strlen(v);
            if (len >= cap)
                return false;
            memcpy(out, v, len);
            out[len] = '\0';
            return true;
        }
    }
    return false;
}

static cJSON *error_json(const char *code, const char *message)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "code", code);
    cJSON_AddStringToObject(o, "message", message);
    return o;
}

cJSON *sim_bill_wechat_answer(struct sim *s, const struct sim_request *req, unsigned *status)
{
    char date[16] = "", type[16] = "ALL", tar[16] = "";
    query_value(req->query, "bill_type", type, sizeof type);
    query_value(req->query, "tar_type", tar, sizeof tar);
    if (!query_value(req->query, "bill_date", date, sizeof date) || !is_date(date) ||
        strcmp(type, "ALL") != 0 || strcmp(tar, "GZIP") != 0) {
        *status = 400;
        return error_json("PARAM_ERROR", "参数错误（此模拟器只出 ALL 类型、GZIP 压缩的账单）");
    }
    char *text = sim_bill_text(s, CHANNEL_WECHAT, date);
    if (!text) {
        *status = 500;
        return error_json("SYSTEM_ERROR", "系统错误");
    }
    char hex[41], url[512];
    sim_sha1_hex(text, strlen(text), hex);
    free(text);
    struct sim_bill_edit e;
    if (day_edit(s, CHANNEL_WECHAT, date, SIM_BILL_BAD_HASH, &e))
        hex[0] = hex[0] == '0' ? '1' : '0';
    snprintf(url, sizeof url, "%s/v3/billdownload/file?token=wechat-%s", req->base, date);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "hash_type", "SHA1");
    cJSON_AddStringToObject(o, "hash_value", hex);
    cJSON_AddStringToObject(o, "download_url", url);
    *status = 200;
    return o;
}

void sim_bill_wechat_file(struct sim *s, const struct sim_request *req, struct sim_reply *rep)
{
    char token[40] = "";
    if (!query_value(req->query, "token", token, sizeof token) ||
        strncmp(token, "wechat-", 7) != 0 || !is_date(token + 7)) {
        sim_reply_body(rep, 404, "application/json",
                       strdup("{\"code\":\"RESOURCE_NOT_EXISTS\",\"message\":\"账单不存在\"}"));
        return;
    }
    char *text = sim_bill_text(s, CHANNEL_WECHAT, token + 7);
    size_t len = text ? strlen(text) : 0;
    size_t cap = len + len / 100 + 256;
    unsigned char *out = text ? malloc(cap) : NULL;
    z_stream z;
    memset(&z, 0, sizeof z);
    /* windowBits 15 + 16: a gzip wrapper, as tar_type=GZIP promises */
    bool ok = out && deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
    if (ok) {
        z.next_in = (unsigned char *)text;
        z.avail_in = (uInt)len;
        z.next_out = out;
        z.avail_out = (uInt)cap;
        ok = deflate(&z, Z_FINISH) == Z_STREAM_END;
        deflateEnd(&z);
    }
    if (ok) {
        binary_body(rep, 200, "application/octet-stream", (char *)out, z.total_out);
        file_edits(s, CHANNEL_WECHAT, token + 7, rep);
    } else {
        free(out);
        sim_reply_body(rep, 500, "text/plain", strdup("the bill could not be made\n"));
    }
    free(text);
}
