/*
 * event_text.c - a journal event's detail in the cashier's language (event_text.h).
 *
 * Each engine phrase is matched whole (a phrase with values by its exact shape), so a detail
 * the engine did not write in that shape - a newer engine's, a gateway's reason - is never
 * half translated: it is quoted as it is.
 */
#include "event_text.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* The engine's fixed phrases (no values). */
static const struct {
    const char *en, *zh;
} phrases[] = {
    {"before scan", "扫码前放弃"},
    {"restart before scan", "扫码前终端重启"},
    {"by cashier", "收银员操作"},
    {"cashier aborted", "收银员已中止"},
    {"payment window closed", "支付时限已到"},
    {"resumed: cashier had aborted", "重启后继续：收银员已中止"},
    {"resumed: payment window closed", "重启后继续：支付时限已到"},
    {"querying the pay's fate", "查询支付结果"},
    {"sending the cancel again", "重新发送撤销"},
    {"customer confirming", "顾客确认中"},
    {"paid money returned", "已付款项已退回"},
    {"reversed: any money taken returned", "已冲正，已扣款项退回"},
    {"closed", "交易已关闭"},
    {"trade closed", "交易已关闭"},
    {"trade (no trade number)", "无交易号"},
    {"creating the QR again", "重新创建二维码订单"},
    {"QR shown again: querying", "重新显示二维码，查询中"},
    {"closing the QR order again", "重新关闭二维码订单"},
    {"a QR create reply not bound to this order", "创建二维码订单的回复不属于本订单"},
    {"a QR create reply without a QR", "创建二维码订单的回复没有二维码"},
};

/* A channel's name as the engine journals it, in Chinese; NULL for any other word. */
static const char *channel_zh(const char *name)
{
    return strcmp(name, "wechat") == 0   ? text_channel(UI_LANG_ZH, CHANNEL_WECHAT)
           : strcmp(name, "alipay") == 0 ? text_channel(UI_LANG_ZH, CHANNEL_ALIPAY)
                                         : NULL;
}

/* The phrases with values, by their exact shape (sscanf up to a final %n that must reach the
 * end); false for any other detail. */
static bool with_values(const char *name, const char *d, char *buf, size_t len)
{
    char a[64], b[64], c[64];
    int end = -1;
#define SHAPE(fmt, ...)                                                                            \
    (end = -1, sscanf(d, fmt "%n", __VA_ARGS__, &end), end > 0 && d[end] == '\0')
    if (strcmp(name, "created") == 0 && SHAPE("%31[0-9.]", a)) {
        snprintf(buf, len, "金额 %s", a);
        return true;
    }
    if (strcmp(name, "pay_intent") == 0 && SHAPE("%15[a-z] code ...%4[0-9]", a, b)) {
        if (channel_zh(a) == NULL)
            return false;
        snprintf(buf, len, "%s，付款码尾号 %s", channel_zh(a), b);
        return true;
    }
    if (strcmp(name, "pay_intent") == 0 && SHAPE("%15[a-z] QR, %7[0-9] s to pay", a, b)) {
        if (channel_zh(a) == NULL)
            return false;
        snprintf(buf, len, "%s二维码，%s 秒内付款", channel_zh(a), b);
        return true;
    }
    if (strcmp(name, "pay_confirming") == 0 && SHAPE("%15[a-z] QR shown", a)) {
        if (channel_zh(a) == NULL)
            return false;
        snprintf(buf, len, "%s二维码已显示", channel_zh(a));
        return true;
    }
    if (SHAPE("trade %63[!-~]", a)) {
        snprintf(buf, len, "交易号 %s", a);
        return true;
    }
    /* A refund number: printable ASCII but the ')' and ';' that end it. */
    if (strcmp(name, "refund_requested") == 0 && SHAPE("%31[0-9.] (%63[!-(*-:<-~])", a, b)) {
        snprintf(buf, len, "退款 %s（退款编号 %s）", a, b);
        return true;
    }
    if (strcmp(name, "refunded") == 0 && SHAPE("%31[0-9.] refunded (%63[!-(*-:<-~])", a, b)) {
        snprintf(buf, len, "已退 %s（退款编号 %s）", a, b);
        return true;
    }
    if (strcmp(name, "refunded") == 0 &&
        SHAPE("%31[0-9.] refunded (%63[!-(*-:<-~]; %31[0-9.] asked)", a, b, c)) {
        snprintf(buf, len, "已退 %s（退款编号 %s，申请退款 %s）", a, b, c);
        return true;
    }
    if (strcmp(name, "resumed") == 0 && SHAPE("sending refund %63[!-~] again", a)) {
        snprintf(buf, len, "重新发送退款 %s", a);
        return true;
    }
#undef SHAPE
    return false;
}

void event_detail_text(enum ui_lang lang, const struct journal_event *e, char *buf, size_t len)
{
    if (lang != UI_LANG_ZH || e->detail[0] == '\0') {
        snprintf(buf, len, "%s", e->detail);
        return;
    }
    for (size_t i = 0; i < sizeof phrases / sizeof phrases[0]; i++)
        if (strcmp(e->detail, phrases[i].en) == 0) {
            snprintf(buf, len, "%s", phrases[i].zh);
            return;
        }
    if (with_values(e->name, e->detail, buf, len))
        return;
    /* A failed query's reason: the engine's own prefix in Chinese, the reason quoted. */
    const char *detail = e->detail;
    const char *label = "技术详情";
    if (strncmp(detail, "query: ", 7) == 0) {
        detail += 7;
        label = "查询结果";
    } else if (strncmp(detail, "QR create: ", 11) == 0) {
        detail += 11;
        label = "创建二维码订单结果";
    }
    snprintf(buf, len, "%s“%s”", label, detail);
}
