/*
 * text.c - the English and Chinese tables. Each id is one row holding both languages, so a
 * sentence and its translation are read and changed together.
 */
#include "text.h"

#include <stdio.h>

struct text_row {
    const char *en;
    const char *zh;
};

static const struct text_row table[T__COUNT] = {
    [T_TERMINAL] = {"Terminal %s", "终端 %s"},
    [T_GATEWAY_ONLINE] = {"Gateway: online", "网关：在线"},
    [T_GATEWAY_OFFLINE] = {"Gateway: not answering", "网关：无应答"},
    [T_SCANNER_OK] = {"Scanner: ready", "扫码枪：就绪"},
    [T_SCANNER_NAMED] = {"Scanner: %s", "扫码枪：%s"},
    [T_SCANNER_NONE] = {"Scanner: not connected (type codes)", "扫码枪：未连接（可键盘输入）"},
    [T_PENDING] = {"Background: %d", "后台处理：%d 笔"},
    [T_TOO_SMALL] = {"Window too small (%dx%d): need at least 80x24",
                     "窗口太小（%dx%d）：至少需要 80x24"},

    /* issue 18: words a cashier understands */
    [T_GATEWAY_SLOW] = {"Gateway: slow", "网关：缓慢"},
    [T_RES_TELL] = {"Tell the customer: %s", "告诉顾客：%s"},
    [T_STATE_NOT_STARTED] = {"not started", "未开始"},
    /* After Esc: why the cancel waits, and for how long (policy.min_cancel_ms). */
    [T_ST_CANCEL_WAIT] = {"Cancelling in %d s: %s allows a cancel %d s after the payment",
                          "%d 秒后撤销：%s要求支付 %d 秒后才能撤销"},
    /* Alipay has no such rule (drivers/gateway/README.md A6): the wait is the till's own. */
    [T_ST_CANCEL_WAIT_TILL] = {"Cancelling in %d s: this till cancels %d s after the payment",
                               "%d 秒后撤销：本机在支付 %d 秒后撤销"},
    [T_ST_CANCEL_WAIT_NOW] = {"Cancelling now", "正在撤销"},
    [T_ST_PAID_MEANWHILE] =
        {"If the customer pays now, the cancel gives the money back (or PAID shows).",
         "如顾客此时付款，撤销会退回款项（或显示收款成功）。"},
    [T_K_RETRY] = {"retry, new code", "重试（换付款码）"},
    [T_K_NEW_AMOUNT] = {"next amount", "下一笔金额"},
    [T_CODE_FIRST] = {"That is a payment code: key the amount first, then scan",
                      "这是付款码：请先输入金额，再扫码"},
    [T_QUICK_LAST] = {"+ last amount %s", "+ 上一笔金额 %s"},

    [T_K_AMOUNT] = {"amount", "金额"},
    [T_K_DELETE] = {"delete", "删除"},
    [T_K_CHARGE] = {"charge", "收款"},
    [T_K_HISTORY] = {"history", "流水"},
    [T_K_REFUND] = {"refund", "退款"},
    [T_K_EOD] = {"end of day", "日结"},
    [T_K_QUIT] = {"quit", "退出"},
    [T_K_BACK] = {"back", "返回"},
    [T_K_ABORT] = {"abort (cancels the payment)", "中止（撤销本笔）"},
    [T_K_NEXT] = {"next payment", "下一笔"},
    [T_K_SELECT] = {"select", "选择"},
    [T_K_DETAIL] = {"detail", "详情"},
    [T_K_ORDER] = {"order number", "订单号"},
    [T_K_LOOKUP] = {"look up", "查找"},
    [T_K_REFUND_AMOUNT] = {"refund (empty = all)", "退款（留空 = 全部）"},
    [T_K_CONFIRM] = {"confirm refund", "确认退款"},
    [T_K_DONE] = {"done", "完成"},
    [T_K_REPRINT] = {"reprint", "重印小票"},

    [T_READY_TITLE] = {"New payment - enter the amount", "新收款 - 请输入金额"},
    [T_AMOUNT] = {"Amount: ¥ %s", "金额：¥ %s"},
    [T_SCAN_TITLE] = {"Scan the customer's payment code", "请扫描顾客的付款码"},
    [T_SCAN_PROMPT] = {"Show payment code", "请出示付款码"},
    [T_SCAN_CHANNELS] = {"WeChat Pay or Alipay", "微信支付 或 支付宝"},
    /* Without a scanner the keyboard still takes a code: say so rather than alarm. */
    [T_SCAN_NO_SCANNER] = {"No scanner: type the code and press Enter",
                           "未连接扫码枪：请用键盘输入付款码并按回车"},
    /* issue 20 (qrart): the customer scans the QR code the screen draws (screen_qr.c) */
    [T_QR_TITLE] = {"Customer scans to pay", "顾客扫码付款"},
    [T_QR_ASK] = {"Ask the customer to scan this code with %s and confirm the payment",
                  "请顾客用%s扫描此二维码并确认付款"},
    [T_QR_CLOSES_IN] = {"Order closes in %s", "%s 后关闭订单"},
    [T_QR_TOO_SMALL] = {"Window too small for the QR code (%dx%d): need %dx%d",
                        "窗口太小，无法显示二维码（%dx%d）：至少需要 %dx%d"},
    [T_QR_NO_UNICODE] =
        {"This terminal cannot draw block characters: the code is drawn twice as large",
         "本终端无法显示方块字符：二维码需按双倍尺寸显示"},
    [T_QR_NONE] = {"No QR code to show: %s", "无法显示二维码：%s"},
    [T_QR_ERR_EMPTY] = {"the gateway gave no code", "网关未返回二维码内容"},
    [T_QR_ERR_TOO_LONG] = {"the gateway's code is too long", "网关返回的二维码内容太长"},
    [T_QR_ERR_ENCODE] = {"it could not be encoded", "无法生成二维码"},
    [T_K_QR_ABORT] = {"abort (closes the order)", "中止（关闭订单）"},
    [T_K_QR_WECHAT] = {"customer scans: WeChat Pay", "顾客扫码：微信支付"},
    [T_K_QR_ALIPAY] = {"customer scans: Alipay", "顾客扫码：支付宝"},

    [T_PAYING_TITLE] = {"Payment in progress", "正在收款"},
    [T_ST_WAITING_CODE] = {"Waiting for the payment code", "等待付款码"},
    [T_ST_SENDING] = {"Sending the payment to the gateway...", "正在发送支付请求……"},
    [T_ST_CONFIRMING] = {"Customer is confirming on the phone", "顾客正在手机上确认支付"},
    [T_ST_CHECKING] = {"Checking the payment with the gateway", "正在向网关查询支付结果"},
    [T_ST_NETWORK] = {"Why it takes long: %s", "耗时原因：%s"},
    [T_ST_CANCEL_IN] = {"Automatic cancel in %s", "%s 后自动撤销"},
    [T_ST_ABORTING] = {"Abort requested: the payment will be cancelled",
                       "已请求中止：本笔将被撤销"},
    [T_ST_CANCELLING] = {"Cancelling the payment...", "正在撤销本笔支付……"},
    [T_ST_CANCEL_RETRY] = {"Cancel not confirmed yet: retrying (attempt %u)",
                           "撤销尚未确认：正在重试（第 %u 次）"},
    [T_ST_REFUNDING] = {"Refund being sent...", "正在发送退款……"},
    [T_ST_DONE] = {"Finished", "已完成"},

    [T_RES_PAID] = {"PAID", "收款成功"},
    [T_RES_FAILED] = {"PAYMENT FAILED", "收款失败"},
    [T_RES_CANCELLED] = {"CANCELLED", "已撤销"},
    [T_RES_REFUNDED] = {"REFUNDED", "已退款"},
    [T_RES_REFERRED] = {"SEE MERCHANT PORTAL", "请在商户平台处理"},
    [T_RES_UNRESOLVED] = {"NOT FINISHED", "尚未完成"},
    [T_RES_MONEY_RETURNED] = {"The customer had been charged: the money was returned.",
                              "顾客曾被扣款：款项已退回。"},
    [T_RES_NO_MONEY] = {"No money was taken from the customer.", "未从顾客处扣款。"},
    [T_RES_REASON] = {"Reason: %s", "原因：%s"},
    [T_RES_STILL_WORKING] = {"Still being resolved in the background: do not hand over goods",
                             "仍在后台处理：请勿交付商品"},

    [T_F_AMOUNT] = {"Amount", "金额"},
    [T_F_CHANNEL] = {"Channel", "渠道"},
    [T_F_ORDER] = {"Order", "订单号"},
    [T_F_CODE] = {"Payment code", "付款码"},
    [T_F_TIME] = {"Time", "时间"},
    [T_F_TRADE] = {"Trade number", "交易单号"},
    [T_F_STATE] = {"State", "状态"},
    [T_F_REFUNDED] = {"Refunded", "已退款"},
    [T_F_REFUNDABLE] = {"Refundable", "可退金额"},
    [T_F_LAST_ERROR] = {"Last problem", "最近问题"},

    [T_CH_WECHAT] = {"WeChat Pay", "微信支付"},
    [T_CH_ALIPAY] = {"Alipay", "支付宝"},
    [T_CH_NONE] = {"-", "-"},

    [T_STATE_NEW] = {"new", "新建"},
    [T_STATE_PAYING] = {"sending", "发送中"},
    [T_STATE_QUERYING] = {"checking", "查询中"},
    [T_STATE_CANCELLING] = {"cancelling", "撤销中"},
    [T_STATE_PAID] = {"paid", "已支付"},
    [T_STATE_FAILED] = {"failed", "失败"},
    [T_STATE_CANCELLED] = {"cancelled", "已撤销"},
    [T_STATE_CANCELLED_RETURNED] = {"reversed", "已撤销退回"},
    [T_STATE_REFUNDING] = {"refunding", "退款中"},
    [T_STATE_REFUNDED] = {"refunded", "已退款"},
    [T_STATE_REFERRED] = {"left for the merchant", "待商户处理"},

    [T_HIST_TITLE] = {"Today's payments", "今日收款"},
    [T_HIST_TITLE_UNRESOLVED] = {"Today's payments - unresolved only", "今日收款 - 仅未完成"},
    [T_HIST_EMPTY] = {"No payments.", "没有记录。"},
    [T_COL_TIME] = {"Time", "时间"},
    [T_COL_ORDER] = {"Order", "订单号"},
    [T_COL_CHANNEL] = {"Channel", "渠道"},
    [T_COL_AMOUNT] = {"Amount", "金额"},
    [T_COL_REFUNDED] = {"Refunded", "已退"},
    [T_COL_STATE] = {"State", "状态"},
    [T_DETAIL_TITLE] = {"Payment %s", "订单 %s"},
    [T_EVENTS] = {"Events", "事件记录"},
    [T_NO_EVENTS] = {"No events.", "没有事件。"},
    /* issue 18: finding a payment */
    [T_HIST_TITLE_DAY] = {"Payments of %s", "%s 的收款"},
    [T_HIST_TITLE_ALL] = {"Payments of every day", "全部日期的收款"},
    [T_HIST_PAGE] = {"page %d", "第 %d 页"},
    [T_HIST_MORE] = {"More on the next page (PgDn)", "下一页还有更多"},
    [T_HIST_BY_AMOUNT] = {"amount ¥ %s", "金额 ¥ %s"},
    [T_HIST_BY_CODE] = {"code ****%s", "付款码 ****%s"},
    [T_HIST_BY_UNRESOLVED] = {"unresolved", "未完成"},
    [T_HIST_FIND_PROMPT] = {"Find: amount (12.30) or a code's last 4 digits (1234): %s",
                            "查找：金额（12.30）或付款码后 4 位（1234）：%s"},
    [T_HIST_FIND_BAD] = {"Type an amount such as 12.30, or 4 digits",
                         "请输入金额（如 12.30）或 4 位数字"},
    [T_COL_STARTED] = {"Started", "开始"},
    [T_COL_FINISHED] = {"Finished", "结束"},
    [T_COL_NO] = {"No.", "单号"},
    [T_K_DAY] = {"day", "日期"},
    [T_K_ALL_DAYS] = {"every day", "全部日期"},
    [T_K_FIND] = {"find", "查找"},
    [T_K_CHANNEL] = {"channel", "渠道"},
    [T_K_STATE] = {"state", "状态"},
    [T_K_PAGE] = {"page", "翻页"},
    [T_K_APPLY] = {"apply", "确定"},
    [T_K_PICK] = {"refund this one", "退这一笔"},
    [T_K_PIN] = {"supervisor PIN", "主管密码"},
    [T_REF_FIND_PROMPT] = {"Scan the receipt's QR code or the customer's payment code, or type "
                           "the order number's last digits.",
                           "扫描小票上的二维码或顾客的付款码，或输入订单号的末几位。"},
    [T_REF_FIND_BAD] = {"Not an order number, its last 6 digits, or a payment code",
                        "不是订单号、订单号末 6 位或付款码"},
    [T_REF_PICK_BY_CODE] = {"Payments with the code ****%s: pick one",
                            "付款码 ****%s 的收款：请选择"},
    [T_REF_PICK_BY_ORDER] = {"Orders whose last digits match %s: pick one",
                             "订单号末几位与 %s 相符的订单：请选择"},
    [T_REF_NONE_BY_CODE] = {"No payment with the code ****%s", "没有付款码 ****%s 的收款"},
    [T_REF_NONE_BY_ORDER] = {"No order number's last digits match %s",
                             "没有订单号末几位与 %s 相符的订单"},
    [T_REF_PIN_PROMPT] = {"Supervisor PIN: %s", "主管密码：%s"},
    [T_REF_PIN_NEEDED] = {"A supervisor must approve this refund: type the PIN",
                          "退款需要主管批准：请输入主管密码"},
    [T_REF_PIN_WRONG] = {"Wrong PIN: %d more tries, then refunds lock for %d s",
                         "密码错误：还可再试 %d 次，之后退款锁定 %d 秒"},
    [T_REF_PIN_LOCKED] = {"Too many wrong PINs: refunds are locked for %d s",
                          "密码错误次数过多：退款锁定 %d 秒"},
    [T_REF_ABOVE_MAX] = {"One refund may return at most ¥ %s", "单笔退款最多 ¥ %s"},
    [T_REF_ABOVE_DAY] = {"Today's refunds may total ¥ %s: ¥ %s is left",
                         "今日退款合计最多 ¥ %s：还剩 ¥ %s"},
    [T_REF_NO_SUMS] = {"Today's refunds could not be read: refund refused",
                       "无法读取今日退款合计：不能退款"},

    [T_REF_TITLE] = {"Refund", "退款"},
    [T_REF_ORDER_PROMPT] = {"Order number: %s", "订单号：%s"},
    [T_REF_AMOUNT_PROMPT] = {"Refund amount (empty = all refundable): ¥ %s",
                             "退款金额（留空 = 全部可退）：¥ %s"},
    [T_REF_CONFIRM] = {"Refund ¥ %s of order %s?", "确认退款 ¥ %s（订单 %s）？"},
    [T_REF_SENDING] = {"Refund of ¥ %s is being sent...", "正在退款 ¥ %s……"},
    [T_REF_SO_FAR] = {"Refunded so far: ¥ %s of ¥ %s", "累计已退：¥ %s / ¥ %s"},
    [T_REF_NOT_PAID] = {"This order was not paid: nothing to refund", "该订单未支付：无可退款"},
    [T_REF_IN_PROGRESS] = {"A refund of this order is still in progress", "该订单已有退款正在处理"},
    [T_REF_FULLY] = {"This order is fully refunded", "该订单已全额退款"},
    [T_REF_ABOVE] = {"Above what can be refunded (at most ¥ %s)", "超过可退金额（最多 ¥ %s）"},

    [T_EOD_TITLE] = {"End of day %s", "日结 %s"},
    [T_COL_COUNT] = {"Count", "笔数"},
    [T_COL_TOTAL] = {"Total", "收款"},
    [T_COL_REFUNDS] = {"Refunds", "退款"},
    [T_COL_NET] = {"Net", "净额"},
    [T_EOD_ALL] = {"All", "合计"},
    [T_EOD_UNRESOLVED] = {"Unresolved, not in the totals: %d", "未完成（未计入合计）：%d 笔"},
    [T_EOD_NONE_UNRESOLVED] = {"No unresolved payments.", "没有未完成的收款。"},
    [T_EOD_REFERRED] = {"Left for the merchant portal (settle there): %d",
                        "需在商户平台处理：%d 笔"},
    /* issue 18: cashiers, shifts, closed day */
    [T_SIGNIN_TITLE] = {"Cashier sign-in", "收银员登录"},
    [T_SIGNIN_ID] = {"Cashier number: %s", "收银员编号：%s"},
    [T_SIGNIN_PIN] = {"PIN: %s", "密码：%s"},
    [T_SIGNIN_HINT] = {"Type your cashier number and Enter, then your PIN and Enter.",
                       "输入收银员编号后按回车，再输入密码并按回车。"},
    [T_SIGNIN_WRONG] = {"Unknown cashier number or wrong PIN", "收银员编号或密码错误"},
    [T_SIGNIN_LOCKED] = {"Too many wrong PINs: try again in %d s",
                         "密码错误次数过多：请 %d 秒后再试"},
    [T_SIGNIN_NO_JOURNAL] = {"The shift cannot be recorded: the journal is unavailable",
                             "无法记录班次：日志不可用"},
    [T_CASHIER] = {"Cashier: %s %s", "收银员：%s %s"},
    [T_SHIFT_TITLE] = {"Shift handover: %s %s", "交班报表：%s %s"},
    [T_SHIFT_PERIOD] = {"From %s to %s", "从 %s 到 %s"},
    [T_SHIFT_NOW] = {"now", "现在"},
    [T_SHIFT_CONFIRM] = {"Enter ends your shift; the next cashier signs in.",
                         "按回车结束本班，由下一位收银员登录。"},
    [T_SHIFT_ENDED] = {"Shift of %s ended", "%s 已交班"},
    [T_CLOSE_TITLE] = {"Close the day: %s", "日结关账：%s"},
    [T_CLOSE_SINCE] = {"Everything since %s goes into this report; it cannot be changed later.",
                       "自 %s 以来的全部收款计入本报表，关账后不可更改。"},
    [T_CLOSE_SINCE_START] = {"Everything since the first payment goes into this report; it "
                             "cannot be changed later.",
                             "自第一笔收款以来的全部收款计入本报表，关账后不可更改。"},
    [T_CLOSE_CONFIRM] = {"Press Enter to close the day.", "按回车确认关账。"},
    [T_CLOSE_DONE] = {"Day closed at %s: stored as %s", "已于 %s 关账：编号 %s"},
    [T_CLOSE_UNRESOLVED] = {"%d payment(s) still being resolved: close the day when they are done",
                            "还有 %d 笔收款未完成：完成后再关账"},
    [T_CLOSE_FAILED] = {"The day could not be closed: the journal did not take it",
                        "无法关账：日志写入失败"},
    [T_EXPORTED] = {"Saved: %s", "已保存：%s"},
    [T_EXPORT_FAILED] = {"Could not save %s", "无法保存 %s"},
    [T_REPORT_PRINT_FAILED] = {"The report could not be queued for printing: the journal did "
                               "not take it",
                               "报表无法加入打印队列：日志写入失败"},
    [T_K_NEXT_FIELD] = {"next", "下一步"},
    [T_K_CASHIER_NO] = {"cashier number, then PIN", "收银员编号，然后密码"},
    [T_K_SIGN_IN] = {"sign in", "登录"},
    [T_K_HANDOVER] = {"hand over", "交班"},
    [T_K_SIGN_OUT] = {"end shift", "确认交班"},
    [T_K_CLOSE_DAY] = {"close the day", "日结关账"},
    [T_K_CLOSE_CONFIRM] = {"close now", "确认关账"},
    [T_K_EXPORT] = {"save CSV", "导出表格"},

    [T_BAD_SCAN] = {"Bad scan: %s", "扫码无效：%s"},

    [T_LAB_SETTINGS] = {"TEST SETTINGS - never for real money: %s",
                        "测试设置，切勿用于真实收款：%s"},
    [T_LAB_PLAIN_HTTP] = {"unencrypted local test gateway", "本机未加密测试网关"},
    [T_LAB_NO_TLS_VERIFY] = {"gateway certificate not checked", "不校验网关证书"},
    [T_LAB_EARLY_CANCEL] = {"cancels before WeChat Pay's 15 s", "撤销早于微信支付的 15 秒"},
    [T_LIST_AND] = {", ", "，"},
    [T_CLOCK_BEHIND] = {"CLOCK WRONG: %d min behind the gateway - set the clock",
                        "时钟错误：比网关慢 %d 分钟，请校准"},
    [T_CLOCK_AHEAD] = {"CLOCK WRONG: %d min ahead of the gateway - set the clock",
                       "时钟错误：比网关快 %d 分钟，请校准"},
    [T_RES_ANY_RETURNED] = {"Any money taken from the customer was returned.",
                            "如已扣款，款项已退回顾客。"},
    [T_READY_BACKGROUND] = {"Still being finished (the till is free):",
                            "后台仍在处理（可继续收款）："},
    [T_BG_CANCELLING] = {"%s  %s  cancelling at the gateway (attempt %u)",
                         "%s  %s  正在向网关撤销（第 %u 次）"},
    [T_BG_REFUNDING] = {"%s  %s  refund being confirmed", "%s  %s  退款确认中"},
    [T_BG_CHECKING] = {"%s  %s  checking with the gateway", "%s  %s  正在向网关查询"},
    [T_REF_REPEAT] = {"The same amount was refunded on this order a few minutes ago. Refund again?",
                      "该订单几分钟前已退过相同金额。确定再次退款？"},

    [T_PRINTER] = {"Printer: %s", "打印机：%s"},
    [T_PRINTER_ABSENT] = {"not connected", "未连接"},
    [T_PRINTER_PAPER_OUT] = {"out of paper", "缺纸"},
    [T_PRINTER_COVER_OPEN] = {"cover open", "盖子未关"},
    [T_PRINTER_OFFLINE] = {"offline", "离线"},
    [T_RECEIPTS_WAITING_ONE] = {"1 receipt waiting", "1 张小票待打印"},
    [T_RECEIPTS_WAITING] = {"%d receipts waiting", "%d 张小票待打印"},
    [T_REPRINT_QUEUED] = {"Receipt of %s queued for printing (marked as a reprint)",
                          "%s 的小票已加入打印队列（标注重印）"},
    [T_REPRINT_NOT_PAID] = {"Order %s was not paid: it has no receipt", "订单 %s 未支付：没有小票"},
    [T_REPRINT_NO_PRINTER] = {"No receipt printer is set up", "未设置小票打印机"},
    [T_REPRINT_FAILED] = {"The reprint could not be queued: the journal did not take it",
                          "无法加入重印：日志写入失败"},
    [T_JOURNAL_UNAVAILABLE] = {"the journal is unavailable", "日志不可用"},
    [T_HISTORY_UNREADABLE] = {"history: the journal could not be read", "流水：无法读取日志"},
    [T_NO_SUCH_ORDER] = {"no such order", "没有该订单"},
    [T_JOURNAL_DAMAGED] = {"journal damaged: %s", "日志已损坏：%s"},
    [T_EOD_UNREADABLE] = {"end of day: the journal could not be read", "日结：无法读取日志"},
    [T_REFUND_ONLY_PAID] = {"only a paid order can be refunded", "只有已支付的订单可以退款"},

    /* at most 18 cells: the detail screen's event column */
    [T_EV_CREATED] = {"created", "创建订单"},
    [T_EV_PAY_INTENT] = {"pay sent", "发送支付请求"},
    [T_EV_PAID] = {"paid", "支付成功"},
    [T_EV_PAY_FAILED] = {"pay failed", "支付失败"},
    [T_EV_PAY_CONFIRMING] = {"confirming", "顾客确认中"},
    [T_EV_PAY_UNKNOWN] = {"no definite answer", "结果未知"},
    [T_EV_ABORT_REQUESTED] = {"abort requested", "收银员中止"},
    [T_EV_ABORTED] = {"aborted", "已中止"},
    [T_EV_CANCEL_DECIDED] = {"cancel decided", "决定撤销"},
    [T_EV_CANCEL_REFUSED] = {"cancel refused", "撤销被拒绝"},
    [T_EV_REFERRED] = {"merchant to settle", "转交商户处理"},
    [T_EV_CANCELLED] = {"cancelled", "已撤销"},
    [T_EV_PAID_CANCEL_REFUSED] = {"paid (no cancel)", "已支付（未撤销）"},
    [T_EV_REFUND_REQUESTED] = {"refund requested", "申请退款"},
    [T_EV_REFUNDED] = {"refunded", "退款成功"},
    [T_EV_REFUND_FAILED] = {"refund failed", "退款失败"},
    [T_EV_RESUMED] = {"resumed", "重启后继续"},
    /* issue 21 (recon2): the reconciliation's differences (screen_reconcile.c) */
    [T_RECON_ALERT] = {"Reconciliation: %d to check on %s - supervisor: press A",
                       "对账：%d 笔差异（%s）- 请主管按 A 查看"},
    [T_RECON_ALERT_DAYS] = {"Reconciliation: %d to check, %s to %s - supervisor: press A",
                            "对账：%d 笔差异（%s 至 %s）- 请主管按 A 查看"},
    [T_RECON_TITLE] = {"Reconciliation: differences with the gateways' bills",
                       "对账：与网关账单不符之处"},
    [T_RECON_COL_DAY] = {"Day", "日期"},
    [T_RECON_COL_CHANNEL] = {"Channel", "渠道"},
    [T_RECON_COL_KIND] = {"Difference", "差异"},
    [T_RECON_COL_ORDER] = {"No.", "单号"},
    [T_RECON_COL_BILL] = {"Bill", "账单"},
    [T_RECON_COL_TILL] = {"Till", "本机"},
    [T_RECON_CHARGED_NOT_PAID] = {"charged, not paid here", "网关已扣款，本机未收款"},
    [T_RECON_PAID_NOT_IN_BILL] = {"paid here, not in the bill", "本机已收款，账单中没有"},
    [T_RECON_AMOUNT_DIFFERS] = {"amounts differ", "金额不符"},
    [T_RECON_REFUND_DIFFERS] = {"refund amounts differ", "退款金额不符"},
    [T_RECON_REFUND_NOT_IN_BILL] = {"refund not in the bill", "退款不在账单中"},
    [T_RECON_REFUND_OUTSIDE] = {"refund made outside posterm", "未经本机的退款"},
    [T_RECON_MORE] = {"... and %d more (reconcile csv, headless)", "…… 另有 %d 笔（见对账表格）"},
    [T_RECON_NONE] = {"No differences left to acknowledge.", "没有待确认的差异。"},
    [T_RECON_ASK_PIN] = {"A supervisor acknowledges these differences: PIN, then Enter",
                         "请主管确认以上差异：输入主管密码后按回车"},
    [T_RECON_ASK] = {"Enter acknowledges these differences", "按回车确认以上差异"},
    [T_RECON_PIN_NEEDED] = {"A supervisor must acknowledge the differences: type the PIN",
                            "差异需由主管确认：请输入主管密码"},
    [T_RECON_PIN_WRONG] = {"Wrong PIN: %d more tries, then the supervisor's PIN locks for %d s",
                           "密码错误：还可再试 %d 次，之后主管密码锁定 %d 秒"},
    [T_RECON_PIN_LOCKED] = {"Too many wrong PINs: the supervisor's PIN is locked for %d s",
                            "密码错误次数过多：主管密码锁定 %d 秒"},
    [T_RECON_ACKED] = {"Reconciliation: %d checked and acknowledged", "对账：已确认 %d 笔差异"},
    [T_RECON_UNREADABLE] = {"The reconciliation could not be read from the journal",
                            "无法从流水中读取对账结果"},
    [T_RECON_FAILED] = {"Reconciliation of %s not done: it is tried again later",
                        "%s 的对账未能完成：稍后自动重试"},
    [T_RECON_FOUND] = {"Reconciliation of %s: %d to check", "%s 对账：%d 笔差异"},
    [T_K_RECON_ACK] = {"acknowledge", "确认差异"},

    /* issue 24 (fleet) */
    [T_FLEET_UNREACHABLE] = {"Head office: unreachable", "总部：无法连接"},
    [T_FLEET_UNREACHABLE_N] = {"Head office: unreachable, %d to send",
                               "总部：无法连接，%d 条待发送"},
    [T_FLEET_BACKLOG] = {"Head office: %d to send", "总部：%d 条待发送"},
};

/* Chinese for the core's reasons; English is the core's own wording. */
static const char *const zh_money[] = {
    [MONEY_OK] = "正确",
    [MONEY_EMPTY] = "未输入金额",
    [MONEY_GARBAGE] = "不是数字",
    [MONEY_NEGATIVE] = "金额不能为负",
    [MONEY_DECIMALS] = "最多两位小数（分）",
    [MONEY_OVERFLOW] = "金额太大",
    [MONEY_ZERO] = "金额必须大于零",
    [MONEY_ABOVE_MAX] = "超过本终端的最大金额",
};

static const char *const zh_paycode[] = {
    [PAYCODE_OK] = "正确",
    [PAYCODE_EMPTY] = "扫到的内容为空",
    [PAYCODE_NOT_DIGITS] = "不是付款码（含非数字）",
    [PAYCODE_TOO_LONG] = "不是付款码（太长）",
    [PAYCODE_UNSUPPORTED] = "本店不支持该钱包",
    [PAYCODE_UNKNOWN] = "不是微信支付或支付宝的付款码",
    [PAYCODE_BAD_LENGTH] = "付款码长度不对，请重新扫码",
};

const char *text_entry(enum ui_lang lang, enum text_id id)
{
    if ((int)id < 0 || id >= T__COUNT)
        return NULL;
    return lang == UI_LANG_ZH ? table[id].zh : table[id].en;
}

const char *text(enum ui_lang lang, enum text_id id)
{
    const char *s = text_entry(lang, id);
    if (s == NULL)
        s = text_entry(UI_LANG_EN, id);
    return s ? s : "?";
}

const char *text_money_reason(enum ui_lang lang, enum money_status st)
{
    if (lang == UI_LANG_ZH && (size_t)st < sizeof zh_money / sizeof zh_money[0] && zh_money[st])
        return zh_money[st];
    return money_status_reason(st);
}

const char *text_paycode_reason(enum ui_lang lang, enum paycode_status st)
{
    if (lang == UI_LANG_ZH && (size_t)st < sizeof zh_paycode / sizeof zh_paycode[0] &&
        zh_paycode[st])
        return zh_paycode[st];
    return paycode_status_reason(st);
}

const char *text_state(enum ui_lang lang, enum pay_state state)
{
    switch (state) {
    case PAY_NEW: return text(lang, T_STATE_NEW);
    case PAY_PAYING: return text(lang, T_STATE_PAYING);
    case PAY_QUERYING: return text(lang, T_STATE_QUERYING);
    case PAY_CANCELLING: return text(lang, T_STATE_CANCELLING);
    case PAY_PAID: return text(lang, T_STATE_PAID);
    case PAY_FAILED: return text(lang, T_STATE_FAILED);
    case PAY_CANCELLED: return text(lang, T_STATE_CANCELLED);
    case PAY_REFUNDING: return text(lang, T_STATE_REFUNDING);
    case PAY_REFUNDED: return text(lang, T_STATE_REFUNDED);
    case PAY_REFERRED: return text(lang, T_STATE_REFERRED);
    }
    return text(lang, T_STATE_NEW);
}

const char *text_channel(enum ui_lang lang, enum pay_channel c)
{
    switch (c) {
    case CHANNEL_WECHAT: return text(lang, T_CH_WECHAT);
    case CHANNEL_ALIPAY: return text(lang, T_CH_ALIPAY);
    case CHANNEL_NONE: break;
    }
    return text(lang, T_CH_NONE);
}

const char *text_recon_kind(enum ui_lang lang, enum recon_kind kind)
{
    switch (kind) {
    case RECON_CHARGED_NOT_PAID: return text(lang, T_RECON_CHARGED_NOT_PAID);
    case RECON_PAID_NOT_IN_BILL: return text(lang, T_RECON_PAID_NOT_IN_BILL);
    case RECON_AMOUNT_DIFFERS: return text(lang, T_RECON_AMOUNT_DIFFERS);
    case RECON_REFUND_DIFFERS: return text(lang, T_RECON_REFUND_DIFFERS);
    case RECON_REFUND_NOT_IN_BILL: return text(lang, T_RECON_REFUND_NOT_IN_BILL);
    case RECON_REFUND_OUTSIDE: return text(lang, T_RECON_REFUND_OUTSIDE);
    default: return recon_kind_name(kind); /* a match is never listed as a difference */
    }
}
