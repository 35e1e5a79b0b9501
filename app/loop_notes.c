/*
 * loop_notes.c - loop_notes.def expanded: per note, its English and its Chinese each given to
 * one printf-checked call with the same values, and the words those values need in Chinese.
 */
#include "loop_notes.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cause_text.h"
#include "money.h"
#include "text.h"

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

/* The Chinese for the engine's and the journal's reasons (only the loop names them); English
 * is their own wording. The money and payment-code reasons, channels and states are the
 * screen's own words (ui/text.c), the one place they are written. */
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

#define ZH_WORD(table, i)                                                                          \
    ((size_t)(i) < sizeof table / sizeof table[0] && table[i] ? table[i] : NULL)

static const char *pick(enum loop_lang lang, const char *zh, const char *en)
{
    return lang == LOOP_LANG_ZH && zh ? zh : or_empty(en);
}

static const char *channel_words(enum loop_lang lang, enum pay_channel c)
{
    return text_channel(lang == LOOP_LANG_ZH ? UI_LANG_ZH : UI_LANG_EN, c);
}

/* Why a payment ended, in the cashier's words (ui/cause_text.c): never the drivers' English,
 * which stays in the journal and the log. */
static const char *cause_words(enum loop_lang lang, enum pay_cause c)
{
    enum ui_lang ui = lang == LOOP_LANG_ZH ? UI_LANG_ZH : UI_LANG_EN;
    const char *w = cause_text_entry(ui, c);
    return w ? w : cause_text_entry(ui, PAY_CAUSE_OTHER);
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
#define V_ORDER     or_empty(m->order_no)
#define V_REFUND_NO or_empty(m->refund_no)
#define V_CODE      or_empty(m->code)
#define V_DETAIL    or_empty(m->detail)
#define V_COUNT     m->count
#define V_AMOUNT    money_format(m->amount_fen, money)
#define V_MONEY     pick(lang, text_money_reason(UI_LANG_ZH, m->money), money_status_reason(m->money))
#define V_PAYCODE                                                                                  \
    pick(lang, text_paycode_reason(UI_LANG_ZH, m->paycode), paycode_status_reason(m->paycode))
#define V_ENGINE     pick(lang, ZH_WORD(zh_engine, m->engine), engine_status_reason(m->engine))
#define V_JOURNAL    pick(lang, ZH_WORD(zh_journal, m->journal), m->journal_reason)
#define V_CHANNEL    channel_words(lang, m->channel)
#define V_STATE      pick(lang, text_state(UI_LANG_ZH, m->state), pay_state_name(m->state))
#define V_CLOCK_SIDE clock_side_words(lang, m->detail)
#define V_CAUSE      cause_words(lang, m->cause)

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
