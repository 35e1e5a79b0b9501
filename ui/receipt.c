/*
 * receipt.c - composes the receipts (receipt.h). Its words live in the one table below, both
 * languages side by side, apart from the screen's (text.c): a receipt is printed without the
 * screen, also by posterm built without ncurses.
 */
#include "receipt.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "money.h"
#include "text.h"

enum receipt_word {
    W_SALE,
    W_REFUND,
    W_DAY,
    W_REPRINT,
    W_MERCHANT_COPY,
    W_TERMINAL,
    W_ORDER,
    W_CHANNEL,
    W_TRADE_NO,
    W_TIME,
    W_AMOUNT,
    W_CODE,
    W_REFUND_NO,
    W_ORIGINAL,
    W_REFUNDED,
    W_DATE,
    W_PAID_COUNT,
    W_REFUNDED_COUNT,
    W_CHARGED,
    W_NET,
    W_UNRESOLVED,
    W_REFERRED,
    W_ALL,
    W_THANKS,
    W_SCAN_HINT,
    W_SHIFT,
    W_Z,
    W_CASHIER,
    W_FROM,
    W_TO,
    W_OPEN,
    W_NUMBER,
    /* issue 21 (recon2): a reconciliation's slip */
    W_RECON,
    W_NO_BILL,
    W_BILL_ROWS,
    W_MATCHED,
    W_DIFFERENCES,
    W_BILL_AMOUNT,
    W_TILL_AMOUNT,
    W_NONE,
    W__COUNT
};

static const char *const words[W__COUNT][2] = {
    [W_SALE] = {"SALE", "收款凭证"},
    [W_REFUND] = {"REFUND", "退款凭证"},
    [W_DAY] = {"END OF DAY", "日结报表"},
    [W_REPRINT] = {"*** REPRINT ***", "*** 重印 ***"},
    [W_MERCHANT_COPY] = {"MERCHANT COPY", "商户联"},
    [W_TERMINAL] = {"Terminal", "终端"},
    [W_ORDER] = {"Order", "订单号"},
    [W_CHANNEL] = {"Channel", "支付方式"},
    [W_TRADE_NO] = {"Trade no.", "交易单号"},
    [W_TIME] = {"Time", "时间"},
    [W_AMOUNT] = {"Amount", "金额"},
    [W_CODE] = {"Payment code", "付款码"},
    [W_REFUND_NO] = {"Refund no.", "退款单号"},
    [W_ORIGINAL] = {"Original order", "原订单号"},
    [W_REFUNDED] = {"Refunded", "退款金额"},
    [W_DATE] = {"Date", "日期"},
    [W_PAID_COUNT] = {"Payments", "收款笔数"},
    [W_REFUNDED_COUNT] = {"Fully refunded", "全额退款笔数"},
    [W_CHARGED] = {"Charged", "收款金额"},
    [W_NET] = {"Net", "净额"},
    [W_UNRESOLVED] = {"Unresolved", "未完成"},
    [W_REFERRED] = {"Left for the merchant", "待商户处理"},
    [W_ALL] = {"All channels", "合计"},
    [W_THANKS] = {"Thank you", "谢谢惠顾"},
    [W_SCAN_HINT] = {"Order number (for refunds)", "订单号（退款时扫描）"},
    [W_SHIFT] = {"SHIFT HANDOVER", "交班报表"},
    [W_Z] = {"Z REPORT - DAY CLOSED", "Z 报表（日结关账）"},
    [W_CASHIER] = {"Cashier", "收银员"},
    [W_FROM] = {"From", "开始"},
    [W_TO] = {"To", "结束"},
    [W_OPEN] = {"(still open)", "（未结束）"},
    [W_NUMBER] = {"Number", "编号"},
    /* issue 21 (recon2): a reconciliation's slip */
    [W_RECON] = {"RECONCILIATION", "对账单"},
    [W_NO_BILL] = {"No bill that day", "当日无账单"},
    [W_BILL_ROWS] = {"Bill rows", "账单笔数"},
    [W_MATCHED] = {"Matched", "相符"},
    [W_DIFFERENCES] = {"Differences", "差异"},
    [W_BILL_AMOUNT] = {"Bill", "账单金额"},
    [W_TILL_AMOUNT] = {"Till", "本机金额"},
    [W_NONE] = {"No differences", "无差异"},
};

static const char *word(enum ui_lang lang, enum receipt_word w)
{
    return words[w][lang == UI_LANG_ZH ? 1 : 0];
}

/* "￥12.30" (the full-width yuan sign: in GB2312, so every Chinese printer font has it). */
static const char *yuan(int64_t fen, char *buf, size_t len)
{
    char amount[MONEY_TEXT_MAX];
    if (fen < 0)
        snprintf(buf, len, "-￥%s", money_format(-fen, amount));
    else
        snprintf(buf, len, "￥%s", money_format(fen, amount));
    return buf;
}

static const char *local_time(int64_t wall_ms, char *buf, size_t len)
{
    time_t t = (time_t)(wall_ms / 1000);
    struct tm tm;
    if (wall_ms <= 0 || !localtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
        snprintf(buf, len, "-");
    return buf;
}

/* Composition stops at the first line the document refuses; *ok remembers it. */
struct composer {
    struct print_doc *d;
    enum ui_lang lang;
    bool ok;
};

static void put_line(struct composer *c, enum doc_align align, unsigned style, const char *s)
{
    if (c->ok && s && *s)
        c->ok = doc_text(c->d, align, style, s);
}

static void pair(struct composer *c, enum receipt_word label, const char *value)
{
    if (c->ok)
        c->ok = doc_pair(c->d, word(c->lang, label), value);
}

static void rule(struct composer *c)
{
    if (c->ok)
        c->ok = doc_rule(c->d);
}

static bool start(struct composer *c, struct print_doc *d, int columns, enum ui_lang lang,
                  const struct receipt_header *h, const struct receipt_marks *m,
                  enum receipt_word title)
{
    c->d = d;
    c->lang = lang;
    c->ok = doc_init(d, columns);
    if (m->reprint)
        put_line(c, DOC_CENTER, DOC_BOLD, word(lang, W_REPRINT));
    put_line(c, DOC_CENTER, DOC_BOLD | DOC_DOUBLE, h->merchant);
    put_line(c, DOC_CENTER, 0, h->store);
    put_line(c, DOC_CENTER, DOC_BOLD, word(lang, title));
    if (m->merchant_copy)
        put_line(c, DOC_CENTER, 0, word(lang, W_MERCHANT_COPY));
    rule(c);
    pair(c, W_TERMINAL, h->terminal);
    return c->ok;
}

static bool finish(struct composer *c, const struct receipt_marks *m)
{
    if (m->reprint)
        put_line(c, DOC_CENTER, DOC_BOLD, word(c->lang, W_REPRINT));
    if (c->ok)
        c->ok = doc_feed(c->d, 1) && doc_cut(c->d);
    return c->ok;
}

bool receipt_sale(struct print_doc *d, int columns, enum ui_lang lang,
                  const struct receipt_header *h, const struct receipt_marks *m,
                  const struct payment *p)
{
    struct composer c;
    char buf[64], code[16];
    if (!start(&c, d, columns, lang, h, m, W_SALE))
        return false;
    pair(&c, W_ORDER, p->order_no);
    pair(&c, W_CHANNEL, text_channel(lang, p->channel));
    if (p->trade_no[0])
        pair(&c, W_TRADE_NO, p->trade_no);
    pair(&c, W_TIME, local_time(p->created_at, buf, sizeof buf));
    if (p->code_last4[0]) {
        snprintf(code, sizeof code, "****%.4s", p->code_last4);
        pair(&c, W_CODE, code);
    }
    rule(&c);
    if (c.ok)
        c.ok = doc_pair(d, word(lang, W_AMOUNT), yuan(p->amount_fen, buf, sizeof buf));
    rule(&c);
    put_line(&c, DOC_CENTER, 0, word(lang, W_SCAN_HINT));
    if (c.ok)
        c.ok = doc_qr(d, p->order_no);
    put_line(&c, DOC_CENTER, 0, word(lang, W_THANKS));
    return finish(&c, m);
}

bool receipt_refund(struct print_doc *d, int columns, enum ui_lang lang,
                    const struct receipt_header *h, const struct receipt_marks *m,
                    const struct payment *p, const struct journal_refund *r)
{
    struct composer c;
    char buf[64];
    if (!start(&c, d, columns, lang, h, m, W_REFUND))
        return false;
    pair(&c, W_REFUND_NO, r->refund_no);
    pair(&c, W_ORIGINAL, p->order_no);
    pair(&c, W_CHANNEL, text_channel(lang, p->channel));
    if (p->trade_no[0])
        pair(&c, W_TRADE_NO, p->trade_no);
    pair(&c, W_TIME, local_time(r->at, buf, sizeof buf));
    rule(&c);
    pair(&c, W_REFUNDED, yuan(r->amount_fen, buf, sizeof buf));
    rule(&c);
    return finish(&c, m);
}

static void totals(struct composer *c, const struct report_totals *t)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%lld", (long long)t->paid_count);
    pair(c, W_PAID_COUNT, buf);
    pair(c, W_CHARGED, yuan(t->charged_fen, buf, sizeof buf));
    snprintf(buf, sizeof buf, "%lld", (long long)t->refunded_count);
    pair(c, W_REFUNDED_COUNT, buf);
    pair(c, W_REFUNDED, yuan(t->refunded_fen, buf, sizeof buf));
    pair(c, W_NET, yuan(t->net_fen, buf, sizeof buf));
    if (t->unresolved_count) {
        snprintf(buf, sizeof buf, "%lld", (long long)t->unresolved_count);
        pair(c, W_UNRESOLVED, buf);
    }
}

/* Each channel with anything to say, then all channels, each under a rule. */
static void channel_totals(struct composer *c, const struct report_day *day)
{
    enum ui_lang lang = c->lang;
    static const enum pay_channel channels[] = {CHANNEL_WECHAT, CHANNEL_ALIPAY};
    for (size_t i = 0; i < sizeof channels / sizeof channels[0]; i++) {
        const struct report_totals *t = &day->channel[channels[i]];
        if (t->paid_count == 0 && t->refunded_count == 0 && t->refunded_fen == 0 &&
            t->unresolved_count == 0)
            continue;
        rule(c);
        put_line(c, DOC_LEFT, DOC_BOLD, text_channel(lang, channels[i]));
        totals(c, t);
    }
    rule(c);
    put_line(c, DOC_LEFT, DOC_BOLD, word(lang, W_ALL));
    totals(c, &day->all);
}

bool receipt_shift(struct print_doc *d, int columns, enum ui_lang lang,
                   const struct receipt_header *h, const struct receipt_marks *m,
                   const struct shift *s, const struct report_day *day)
{
    struct composer c;
    char buf[128];
    if (!start(&c, d, columns, lang, h, m, W_SHIFT))
        return false;
    snprintf(buf, sizeof buf, "%s %s", s->cashier, s->name);
    pair(&c, W_CASHIER, buf);
    pair(&c, W_FROM, local_time(s->started_at, buf, sizeof buf));
    pair(&c, W_TO, s->ended_at ? local_time(s->ended_at, buf, sizeof buf) : word(lang, W_OPEN));
    channel_totals(&c, day);
    rule(&c);
    return finish(&c, m);
}

bool receipt_z(struct print_doc *d, int columns, enum ui_lang lang, const struct receipt_header *h,
               const struct receipt_marks *m, const struct z_report *z, int referred)
{
    struct composer c;
    char buf[64];
    if (!start(&c, d, columns, lang, h, m, W_Z))
        return false;
    snprintf(buf, sizeof buf, "Z-%04lld", (long long)z->number);
    pair(&c, W_NUMBER, buf);
    snprintf(buf, sizeof buf, "%04d-%02d-%02d", z->day / 10000, z->day / 100 % 100, z->day % 100);
    pair(&c, W_DATE, buf);
    if (z->from_at > 0)
        pair(&c, W_FROM, local_time(z->from_at, buf, sizeof buf));
    pair(&c, W_TO, local_time(z->closed_at, buf, sizeof buf));
    channel_totals(&c, &z->totals);
    if (referred > 0) {
        snprintf(buf, sizeof buf, "%d", referred);
        rule(&c);
        pair(&c, W_REFERRED, buf);
    }
    rule(&c);
    return finish(&c, m);
}

bool receipt_day(struct print_doc *d, int columns, enum ui_lang lang,
                 const struct receipt_header *h, const struct receipt_marks *m, int yyyymmdd,
                 const struct report_day *day, int referred)
{
    struct composer c;
    char buf[32];
    if (!start(&c, d, columns, lang, h, m, W_DAY))
        return false;
    snprintf(buf, sizeof buf, "%04d-%02d-%02d", yyyymmdd / 10000, yyyymmdd / 100 % 100,
             yyyymmdd % 100);
    pair(&c, W_DATE, buf);
    channel_totals(&c, day);
    if (referred > 0) {
        snprintf(buf, sizeof buf, "%d", referred);
        rule(&c);
        pair(&c, W_REFERRED, buf);
    }
    rule(&c);
    return finish(&c, m);
}

bool receipt_reconcile(struct print_doc *d, int columns, enum ui_lang lang,
                       const struct receipt_header *h, const struct receipt_marks *m,
                       const struct reconciliation *runs, int nruns,
                       const struct reconcile_item *items, size_t nitems)
{
    struct composer c;
    char buf[64];
    if (!start(&c, d, columns, lang, h, m, W_RECON))
        return false;
    pair(&c, W_DATE, nruns > 0 ? runs[0].date : "-");
    for (int i = 0; i < nruns; i++) {
        const struct reconciliation *r = &runs[i];
        int64_t differences = 0;
        for (int k = 0; k < RECON__COUNT; k++)
            differences += recon_is_difference((enum recon_kind)k) ? r->count[k] : 0;
        rule(&c);
        put_line(&c, DOC_LEFT, DOC_BOLD, text_channel(lang, r->channel));
        if (r->no_bill)
            put_line(&c, DOC_LEFT, 0, word(lang, W_NO_BILL));
        snprintf(buf, sizeof buf, "%lld", (long long)(r->bill_rows - r->foreign_rows));
        pair(&c, W_BILL_ROWS, buf);
        snprintf(buf, sizeof buf, "%lld",
                 (long long)(r->count[RECON_MATCHED] + r->count[RECON_REFUND_MATCHED]));
        pair(&c, W_MATCHED, buf);
        snprintf(buf, sizeof buf, "%lld", (long long)differences);
        pair(&c, W_DIFFERENCES, buf);
    }
    rule(&c);
    if (nitems == 0)
        put_line(&c, DOC_LEFT, 0, word(lang, W_NONE));
    for (size_t i = 0; i < nitems; i++) {
        const struct reconcile_item *it = &items[i];
        if (i > 0)
            put_line(&c, DOC_LEFT, 0, " ");
        snprintf(buf, sizeof buf, "%s: %s", text_channel(lang, it->channel),
                 text_recon_kind(lang, it->kind));
        put_line(&c, DOC_LEFT, DOC_BOLD, buf);
        pair(&c, W_ORDER, it->order_no);
        if (it->refund_no[0])
            pair(&c, W_REFUND_NO, it->refund_no);
        pair(&c, W_BILL_AMOUNT, yuan(it->bill_fen, buf, sizeof buf));
        pair(&c, W_TILL_AMOUNT, yuan(it->journal_fen, buf, sizeof buf));
    }
    rule(&c);
    return finish(&c, m);
}
