/*
 * cause_text.c - one row per cause, both languages side by side, and whether the Chinese screen
 * needs the English detail next to the cause's words.
 */
#include "cause_text.h"

#include <stdbool.h>
#include <stdio.h>

struct reason_row {
    const char *en;
    const char *zh;
    bool detail; /* the English words say more than the cause: show them too */
};

static const struct reason_row table[PAY_CAUSE_LAST + 1] = {
    [PAY_CAUSE_OTHER] = {"the gateway gave a reason", "网关返回的原因", true},
    [PAY_CAUSE_BALANCE] = {"customer's balance is not enough",
                           "余额不足：请顾客换卡或换其他方式付款", false},
    [PAY_CAUSE_CODE_INVALID] = {"payment code not valid: ask for a new one",
                                "付款码无效：请顾客刷新付款码", false},
    [PAY_CAUSE_CODE_EXPIRED] = {"payment code expired: ask for a new one",
                                "付款码已过期：请顾客刷新付款码", false},
    [PAY_CAUSE_SCAN_AGAIN] = {"payment did not go through: scan a fresh code",
                              "支付未成功：请顾客刷新付款码后重试", false},
    [PAY_CAUSE_BUYER_LIMIT] = {"customer's payment limit reached",
                               "顾客已达支付限额：请换其他方式付款", false},
    [PAY_CAUSE_BUYER_ACCOUNT] = {"customer's account cannot pay this way",
                                 "顾客账户无法完成此付款：请换其他方式", false},
    [PAY_CAUSE_RISK] = {"refused by the gateway's risk control: use another method",
                        "被风控拒绝：请换其他方式付款", false},
    [PAY_CAUSE_MERCHANT_LIMIT] = {"merchant's collection limit reached", "商户收款已达限额", false},
    [PAY_CAUSE_AMOUNT_LIMIT] = {"amount above the gateway's limit", "金额超过网关限额", false},
    [PAY_CAUSE_MERCHANT_SETUP] = {"merchant settings refused: call the terminal's vendor",
                                  "商户配置被拒绝：请联系终端维护人员", true},
    [PAY_CAUSE_REQUEST_REFUSED] = {"request refused by the gateway", "请求被网关拒绝", true},
    [PAY_CAUSE_ORDER_CONFLICT] = {"order number conflict", "订单号冲突", false},
    [PAY_CAUSE_ORDER_CLOSED] = {"order closed without payment", "订单已关闭，未扣款", false},
    [PAY_CAUSE_CANCEL_TOO_LATE] = {"too late to cancel: refund instead",
                                   "已超过撤销时限：请改为退款", false},
    [PAY_CAUSE_NOT_CANCELLABLE] = {"the gateway will not cancel this trade", "网关不允许撤销此交易",
                                   false},
    [PAY_CAUSE_NOT_REFUNDABLE] = {"this trade cannot be refunded", "此交易无法退款", false},
    [PAY_CAUSE_REFUND_AMOUNT] = {"refund amount refused", "退款金额被拒绝", false},
    [PAY_CAUSE_MERCHANT_BALANCE] = {"merchant balance too low to refund", "商户余额不足，无法退款",
                                    false},
    [PAY_CAUSE_REFUND_BY_HAND] = {"refund stuck: finish it in the merchant portal",
                                  "退款异常：请在商户平台处理", false},
    [PAY_CAUSE_CANCEL_RETRY] = {"the gateway asked for the cancel again", "网关要求重新撤销",
                                false},
    [PAY_CAUSE_NO_ANSWER] = {"no answer from the gateway", "网关无应答", true},
    [PAY_CAUSE_BAD_REPLY] = {"the gateway's reply could not be trusted", "网关应答无法确认", true},
    [PAY_CAUSE_RESULT_UNKNOWN] = {"the gateway did not say the result", "网关未给出结果", true},
    [PAY_CAUSE_NOT_FOUND_YET] = {"the gateway does not know the order yet", "网关暂未查到该订单",
                                 false},
    [PAY_CAUSE_AMOUNT_MISMATCH] = {"the gateway reported another amount",
                                   "网关报告的金额与订单不符", true},
    [PAY_CAUSE_ABORTED] = {"cancelled by the cashier", "收银员已取消", false},
    [PAY_CAUSE_WINDOW_CLOSED] = {"no definite answer within the payment window",
                                 "支付时限内未得到确定结果，已撤销", false},
    [PAY_CAUSE_ABORTED_BEFORE_SCAN] = {"aborted before a payment code was scanned",
                                       "扫码前已取消，未扣款", false},
    [PAY_CAUSE_RESTARTED_BEFORE_SCAN] = {"terminal restarted before a payment code was scanned",
                                         "扫码前终端已重启，未扣款", false},
};

const char *cause_text_entry(enum ui_lang lang, enum pay_cause cause)
{
    if ((unsigned)cause > PAY_CAUSE_LAST)
        return NULL;
    return lang == UI_LANG_ZH ? table[cause].zh : table[cause].en;
}

const char *cause_text(enum ui_lang lang, enum pay_cause cause, const char *english, char *buf,
                       size_t len)
{
    const char *words = cause == PAY_CAUSE_NONE ? NULL : cause_text_entry(lang, cause);
    bool have_english = english != NULL && english[0] != '\0';
    if (lang == UI_LANG_EN || words == NULL || cause == PAY_CAUSE_OTHER) {
        /* English, or nothing better than the drivers' words. */
        snprintf(buf, len, "%s", have_english ? english : words ? words : "");
    } else if (table[cause].detail && have_english) {
        snprintf(buf, len, "%s（%s）", words, english);
    } else {
        snprintf(buf, len, "%s", words);
    }
    return buf;
}
