/*
 * loop_notes.c - loop_notes.def expanded: per note, its English and its Chinese each given to
 * one printf-checked call with the same values, and the words those values need in Chinese.
 */
#include "loop_notes.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "money.h"

bool loop_lang_from_name(const char *name, enum loop_lang *out)
{
    if (strcmp(name, "en") == 0)
        *out = LOOP_LANG_EN;
    else if (strcmp(name, "zh") == 0)
        *out = LOOP_LANG_ZH;
    else
        return false;
    return true;
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

/* The Chinese for the core's and the journal's reasons; English is their own wording. The
 * screen's copies of the money and payment-code words (ui/text.c) are proven the same by
 * tests/unit/ui/test_ui_loop_notes.c. */
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

static const char *const zh_engine[] = {
    [ENGINE_OK] = "正常",
    [ENGINE_REFUSED] = "当前状态下不能这样做",
    [ENGINE_STALE] = "没有在等待这一项",
    [ENGINE_INVALID] = "请求无效",
};

static const char *const zh_journal[] = {
    [JOURNAL_OK] = "正常",
    [JOURNAL_NOT_FOUND] = "日志中没有该订单",
    [JOURNAL_EXISTS] = "订单号已被另一笔订单占用",
    [JOURNAL_FULL] = "磁盘已满：什么也没有写入",
    [JOURNAL_READONLY] = "日志无法写入（文件或目录只读）",
    [JOURNAL_CORRUPT] = "日志已损坏、为空或不是 posterm 日志；不再写入",
    [JOURNAL_TOO_NEW] = "日志由更新版本的 posterm 写入；本版本不写入",
    [JOURNAL_IO] = "日志无法读写",
};

/* A state as the screen names it in Chinese (ui/text.c's state words). */
static const char *const zh_state[] = {
    [PAY_NEW] = "新建",         [PAY_PAYING] = "发送中",
    [PAY_QUERYING] = "查询中",  [PAY_CANCELLING] = "撤销中",
    [PAY_PAID] = "已支付",      [PAY_FAILED] = "失败",
    [PAY_CANCELLED] = "已撤销", [PAY_REFUNDING] = "退款中",
    [PAY_REFUNDED] = "已退款",  [PAY_REFERRED] = "待商户处理",
};

#define ZH_WORD(table, i)                                                                          \
    ((size_t)(i) < sizeof table / sizeof table[0] && table[i] ? table[i] : NULL)

static const char *pick(enum loop_lang lang, const char *zh, const char *en)
{
    return lang == LOOP_LANG_ZH && zh ? zh : or_empty(en);
}

static const char *channel_words(enum loop_lang lang, enum pay_channel c)
{
    switch (c) {
    case CHANNEL_WECHAT: return lang == LOOP_LANG_ZH ? "微信支付" : "WeChat Pay";
    case CHANNEL_ALIPAY: return lang == LOOP_LANG_ZH ? "支付宝" : "Alipay";
    case CHANNEL_NONE: break;
    }
    return "-";
}

/* detail is "behind" or "ahead" (the loop's check_clock). */
static const char *clock_side_words(enum loop_lang lang, const char *detail)
{
    bool behind = detail && strcmp(detail, "behind") == 0;
    if (lang == LOOP_LANG_ZH)
        return behind ? "慢" : "快";
    return behind ? "behind" : "ahead of";
}

/* The values a row names, read from the message m in the language lang. */
#define V_ORDER      or_empty(m->order_no)
#define V_REFUND_NO  or_empty(m->refund_no)
#define V_CODE       or_empty(m->code)
#define V_DETAIL     or_empty(m->detail)
#define V_COUNT      m->count
#define V_AMOUNT     money_format(m->amount_fen, money)
#define V_MONEY      pick(lang, ZH_WORD(zh_money, m->money), money_status_reason(m->money))
#define V_PAYCODE    pick(lang, ZH_WORD(zh_paycode, m->paycode), paycode_status_reason(m->paycode))
#define V_ENGINE     pick(lang, ZH_WORD(zh_engine, m->engine), engine_status_reason(m->engine))
#define V_JOURNAL    pick(lang, ZH_WORD(zh_journal, m->journal), m->journal_reason)
#define V_CHANNEL    channel_words(lang, m->channel)
#define V_STATE      pick(lang, ZH_WORD(zh_state, m->state), pay_state_name(m->state))
#define V_CLOCK_SIDE clock_side_words(lang, m->detail)

/* Where both literals of a row meet their values: the attribute makes the compiler check each
 * against the same arguments. */
static void word(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void word(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

void loop_note_render(enum loop_lang lang, const struct loop_message *m, char *buf, size_t len)
{
    char money[MONEY_TEXT_MAX];
    (void)money; /* used by the rows that name an amount */
    switch (m->note) {
#define LOOP_NOTE(id, level, en, zh, ...)                                                          \
    case LOOP_NOTE_##id:                                                                           \
        if (lang == LOOP_LANG_ZH)                                                                  \
            word(buf, len, zh, __VA_ARGS__);                                                       \
        else                                                                                       \
            word(buf, len, en, __VA_ARGS__);                                                       \
        return;
#define LOOP_NOTE_PLAIN(id, level, en, zh)                                                         \
    case LOOP_NOTE_##id:                                                                           \
        if (lang == LOOP_LANG_ZH)                                                                  \
            word(buf, len, zh);                                                                    \
        else                                                                                       \
            word(buf, len, en);                                                                    \
        return;
#include "loop_notes.def"
#undef LOOP_NOTE
#undef LOOP_NOTE_PLAIN
    case LOOP_NOTE__COUNT: break;
    }
    word(buf, len, "note %d", (int)m->note);
}

struct note_row {
    const char *name;
    enum loop_level level;
    const char *en, *zh;
};

static const struct note_row rows[LOOP_NOTE__COUNT] = {
#define LOOP_NOTE(id, lvl, english, chinese, ...)                                                  \
    [LOOP_NOTE_##id] = {.name = #id, .level = lvl, .en = english, .zh = chinese},
#define LOOP_NOTE_PLAIN(id, lvl, english, chinese)                                                 \
    [LOOP_NOTE_##id] = {.name = #id, .level = lvl, .en = english, .zh = chinese},
#include "loop_notes.def"
#undef LOOP_NOTE
#undef LOOP_NOTE_PLAIN
};

enum loop_level loop_note_level(enum loop_note note)
{
    return (size_t)note < LOOP_NOTE__COUNT ? rows[note].level : LOOP_ERROR;
}

const char *loop_note_name(enum loop_note note)
{
    return (size_t)note < LOOP_NOTE__COUNT ? rows[note].name : NULL;
}

const char *loop_note_format(enum loop_lang lang, enum loop_note note)
{
    if ((size_t)note >= LOOP_NOTE__COUNT)
        return NULL;
    return lang == LOOP_LANG_ZH ? rows[note].zh : rows[note].en;
}
