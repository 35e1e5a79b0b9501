/*
 * cause_text.c - one row per cause: the cashier's sentence and what to tell the customer, both
 * languages side by side. Each sentence fits one 80-column line after "Reason: " (the Chinese
 * counted two columns a character), so nothing is cut at the screen's edge.
 */
#include "cause_text.h"

#include <stdio.h>

struct reason_row {
    const char *en, *zh;           /* what happened */
    const char *tell_en, *tell_zh; /* what to tell the customer ("" = nothing more) */
};

#define NEW_CODE_EN    "Ask for a fresh payment code, then scan again."
#define NEW_CODE_ZH    "请顾客刷新付款码后重新扫码。"
#define OTHER_WAY_EN   "Ask the customer to pay another way."
#define OTHER_WAY_ZH   "请顾客换其他方式付款。"
#define NOT_CHARGED_EN "The customer was not charged."
#define NOT_CHARGED_ZH "顾客未被扣款。"
#define WAIT_EN        "Ask the customer to wait: the terminal keeps checking."
#define WAIT_ZH        "请顾客稍候：终端正在继续确认。"

static const struct reason_row table[PAY_CAUSE_LAST + 1] = {
    [PAY_CAUSE_OTHER] = {"refused by the payment service (the payment's events say why)",
                         "被支付平台拒绝（原因见本笔事件记录）", OTHER_WAY_EN, OTHER_WAY_ZH},
    [PAY_CAUSE_BALANCE] = {"the customer's balance is not enough", "顾客余额不足", OTHER_WAY_EN,
                           OTHER_WAY_ZH},
    [PAY_CAUSE_CODE_INVALID] = {"the payment code is not valid", "付款码无效", NEW_CODE_EN,
                                NEW_CODE_ZH},
    [PAY_CAUSE_CODE_EXPIRED] = {"the payment code has expired", "付款码已过期", NEW_CODE_EN,
                                NEW_CODE_ZH},
    [PAY_CAUSE_SCAN_AGAIN] = {"the payment did not go through", "支付未成功", NEW_CODE_EN,
                              NEW_CODE_ZH},
    [PAY_CAUSE_BUYER_LIMIT] = {"the customer's payment limit is reached", "顾客已达支付限额",
                               OTHER_WAY_EN, OTHER_WAY_ZH},
    [PAY_CAUSE_BUYER_ACCOUNT] = {"the customer's account cannot pay this way",
                                 "顾客账户无法这样付款", OTHER_WAY_EN, OTHER_WAY_ZH},
    [PAY_CAUSE_RISK] = {"refused by the payment service's security check",
                        "被支付平台的安全检查拒绝", OTHER_WAY_EN, OTHER_WAY_ZH},
    [PAY_CAUSE_MERCHANT_LIMIT] = {"the shop's collection limit is reached", "本店收款已达限额",
                                  OTHER_WAY_EN, OTHER_WAY_ZH},
    [PAY_CAUSE_AMOUNT_LIMIT] = {"the amount is above what the payment service allows",
                                "金额超过支付平台的限额", OTHER_WAY_EN, OTHER_WAY_ZH},
    [PAY_CAUSE_MERCHANT_SETUP] = {"the shop's payment settings were refused: call the vendor",
                                  "本店收款设置被拒绝：请联系终端维护人员", OTHER_WAY_EN,
                                  OTHER_WAY_ZH},
    [PAY_CAUSE_REQUEST_REFUSED] = {"the payment service refused the request: call the vendor",
                                   "支付平台拒绝了请求：请联系终端维护人员", OTHER_WAY_EN,
                                   OTHER_WAY_ZH},
    [PAY_CAUSE_ORDER_CONFLICT] = {"the order number was already used", "订单号已被使用",
                                  NEW_CODE_EN, NEW_CODE_ZH},
    [PAY_CAUSE_ORDER_CLOSED] = {"the order was closed without payment", "订单已关闭，未扣款",
                                NOT_CHARGED_EN, NOT_CHARGED_ZH},
    [PAY_CAUSE_CANCEL_TOO_LATE] = {"too late to cancel: refund instead",
                                   "已超过撤销时限：请改为退款", "", ""},
    [PAY_CAUSE_NOT_CANCELLABLE] = {"the payment service will not cancel this payment",
                                   "支付平台不允许撤销本笔", "", ""},
    [PAY_CAUSE_NOT_REFUNDABLE] = {"this payment cannot be refunded", "本笔无法退款", "", ""},
    [PAY_CAUSE_REFUND_AMOUNT] = {"the refund amount was refused", "退款金额被拒绝", "", ""},
    [PAY_CAUSE_MERCHANT_BALANCE] = {"the shop's balance is too low to refund",
                                    "本店余额不足，无法退款", "", ""},
    [PAY_CAUSE_REFUND_BY_HAND] = {"the refund must be finished in the merchant portal",
                                  "退款需在商户平台处理", "", ""},
    [PAY_CAUSE_CANCEL_RETRY] = {"the cancel is being sent again", "正在重新发送撤销", WAIT_EN,
                                WAIT_ZH},
    [PAY_CAUSE_NO_ANSWER] = {"the payment service is not answering", "支付平台没有应答", WAIT_EN,
                             WAIT_ZH},
    [PAY_CAUSE_BAD_REPLY] = {"the payment service's answer could not be trusted",
                             "支付平台的应答无法确认", WAIT_EN, WAIT_ZH},
    [PAY_CAUSE_RESULT_UNKNOWN] = {"the payment service did not say the result yet",
                                  "支付平台尚未给出结果", WAIT_EN, WAIT_ZH},
    [PAY_CAUSE_NOT_FOUND_YET] = {"the payment service does not know the payment yet",
                                 "支付平台暂未查到本笔", WAIT_EN, WAIT_ZH},
    [PAY_CAUSE_AMOUNT_MISMATCH] = {"the payment service reported another amount",
                                   "支付平台报告的金额与本笔不符", "", ""},
    [PAY_CAUSE_ABORTED] = {"cancelled by the cashier", "收银员已取消", "", ""},
    [PAY_CAUSE_WINDOW_CLOSED] = {"no definite answer in time: cancelled",
                                 "未能及时确认结果，已撤销", "", ""},
    [PAY_CAUSE_ABORTED_BEFORE_SCAN] = {"not started: stopped before a code was scanned",
                                       "未开始：扫码前已取消", NOT_CHARGED_EN, NOT_CHARGED_ZH},
    [PAY_CAUSE_RESTARTED_BEFORE_SCAN] = {"not started: the terminal restarted before the scan",
                                         "未开始：扫码前终端已重启", NOT_CHARGED_EN,
                                         NOT_CHARGED_ZH},
};

static const struct reason_row *row_of(enum pay_cause cause)
{
    return (unsigned)cause > PAY_CAUSE_LAST || cause == PAY_CAUSE_NONE ? &table[PAY_CAUSE_OTHER]
                                                                       : &table[cause];
}

const char *cause_text_entry(enum ui_lang lang, enum pay_cause cause)
{
    if ((unsigned)cause > PAY_CAUSE_LAST)
        return NULL;
    return lang == UI_LANG_ZH ? table[cause].zh : table[cause].en;
}

const char *cause_advice_entry(enum ui_lang lang, enum pay_cause cause)
{
    if ((unsigned)cause > PAY_CAUSE_LAST)
        return NULL;
    return lang == UI_LANG_ZH ? table[cause].tell_zh : table[cause].tell_en;
}

const char *cause_text(enum ui_lang lang, enum pay_cause cause, char *buf, size_t len)
{
    if (cause == PAY_CAUSE_NONE) {
        snprintf(buf, len, "%s", "");
        return buf;
    }
    const struct reason_row *r = row_of(cause);
    snprintf(buf, len, "%s", lang == UI_LANG_ZH ? r->zh : r->en);
    return buf;
}

const char *cause_advice(enum ui_lang lang, enum pay_cause cause)
{
    if (cause == PAY_CAUSE_NONE)
        return "";
    const struct reason_row *r = row_of(cause);
    return lang == UI_LANG_ZH ? r->tell_zh : r->tell_en;
}
