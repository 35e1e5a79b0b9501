/*
 * bill_reader.c - the two gateways' bill CSV dialects, read line by line from a stream.
 *
 * Columns are found by their header names, never by position (both gateways have added
 * columns over the years). Every field used is checked in full; the first thing wrong ends
 * the read with its line number. Sources: drivers/gateway/README.md ("Bills").
 */
#include "bill.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"

enum col {
    C_TRADE,
    C_ORDER,
    C_KIND,
    C_TIME,
    C_AMOUNT,
    C_REFUND_NO,
    C_REFUND_FEN,
    C_REFUND_FEN2,
    C__N
};

/* Header names per column: Alipay's 业务明细 and WeChat's ALL trade bill. NULL: not read. */
static const char *const alipay_names[C__N] = {
    [C_TRADE] = "支付宝交易号", [C_ORDER] = "商户订单号",      [C_KIND] = "业务类型",
    [C_TIME] = "完成时间",      [C_AMOUNT] = "订单金额（元）", [C_REFUND_NO] = "退款批次号/请求号",
};
static const char *const wechat_names[C__N] = {
    [C_TRADE] = "微信订单号",        [C_ORDER] = "商户订单号",     [C_KIND] = "交易状态",
    [C_TIME] = "交易时间",           [C_AMOUNT] = "订单金额",      [C_REFUND_NO] = "商户退款单号",
    [C_REFUND_FEN] = "申请退款金额", [C_REFUND_FEN2] = "退款金额",
};
/* Bills in WeChat's early format name the order amount 总金额 (format-trade doc, "注意事项"). */
static const char *const wechat_old_amount = "总金额";

enum stage { BEFORE_HEADER, ROWS, SUMMARY_ROW, DONE };

#define FIELDS_MAX 64

struct bill_reader {
    enum bill_format format;
    bill_row_fn fn;
    void *ctx;
    enum stage stage;
    long lineno, rows, summary_count;
    int ncols, col[C__N];
    size_t len;
    bool failed;
    char line[BILL_LINE_MAX + 1];
};

const char *bill_status_name(enum bill_status st)
{
    static const char *const names[] = {
        "ok", "malformed bill", "file unreadable", "hash mismatch", "out of memory", "stopped"};
    return (unsigned)st < sizeof names / sizeof *names ? names[st] : "?";
}

static enum bill_status fail(struct bill_reader *r, struct bill_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static enum bill_status fail(struct bill_reader *r, struct bill_error *err, const char *fmt, ...)
{
    r->failed = true;
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->line = r->lineno;
        vsnprintf(err->text, sizeof err->text, fmt, ap);
        va_end(ap);
    }
    return BILL_ERR_FORMAT;
}

struct bill_reader *bill_reader_new(enum bill_format format, bill_row_fn fn, void *ctx)
{
    struct bill_reader *r = calloc(1, sizeof *r);
    if (r) {
        r->format = format;
        r->fn = fn;
        r->ctx = ctx;
    }
    return r;
}

void bill_reader_free(struct bill_reader *r)
{
    free(r);
}

long bill_reader_rows(const struct bill_reader *r)
{
    return r->rows;
}

/* Splits a line in place. WeChat: every field starts with '`' and the separator is ",`"
 * (so a comma inside a product name does not split it); Alipay: plain commas, fields trimmed
 * of the spaces and tabs its bill pads numbers with. Returns the count, or -1 when a WeChat
 * line does not start with a backtick or there are too many fields. */
static int split(char *line, bool backticks, char **f)
{
    int n = 0;
    char *p = line;
    if (backticks) {
        if (*p != '`')
            return -1;
        p++;
    }
    for (;;) {
        if (n == FIELDS_MAX)
            return -1;
        f[n++] = p;
        char *end = backticks ? strstr(p, ",`") : strchr(p, ',');
        if (!end)
            break;
        *end = '\0';
        p = end + (backticks ? 2 : 1);
    }
    if (!backticks) {
        for (int i = 0; i < n; i++) {
            while (*f[i] == ' ' || *f[i] == '\t')
                f[i]++;
            size_t l = strlen(f[i]);
            while (l && (f[i][l - 1] == ' ' || f[i][l - 1] == '\t'))
                f[i][--l] = '\0';
        }
    }
    return n;
}

static bool header(struct bill_reader *r, char *line, struct bill_error *err)
{
    char *f[FIELDS_MAX];
    int n = split(line, false, f);
    const char *const *names = r->format == BILL_ALIPAY ? alipay_names : wechat_names;
    if (n < 0) {
        fail(r, err, "header has more than %d columns", FIELDS_MAX);
        return false;
    }
    for (int c = 0; c < C__N; c++) {
        r->col[c] = -1;
        for (int i = 0; names[c] && i < n; i++)
            if (strcmp(f[i], names[c]) == 0 ||
                (c == C_AMOUNT && r->format == BILL_WECHAT &&
                 strcmp(f[i], wechat_old_amount) == 0 && r->col[c] < 0))
                r->col[c] = i;
        bool optional = c == C_REFUND_FEN || c == C_REFUND_FEN2;
        if (names[c] && r->col[c] < 0 && !optional) {
            fail(r, err, "header lacks the column %s", names[c]);
            return false;
        }
    }
    if (r->format == BILL_WECHAT && r->col[C_REFUND_FEN] < 0 && r->col[C_REFUND_FEN2] < 0) {
        fail(r, err, "header lacks a refund amount column");
        return false;
    }
    r->ncols = n;
    return true;
}

/* An order, trade or refund number: 1..BILL_NO_MAX of the characters out_trade_no allows. */
static bool number(const char *s, char out[BILL_NO_MAX + 1])
{
    size_t n = strlen(s);
    if (n == 0 || n > BILL_NO_MAX)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
              *p == '_' || *p == '-' || *p == '|' || *p == '*'))
            return false;
    memcpy(out, s, n + 1);
    return true;
}

/* "yyyy-MM-dd HH:mm:ss", digits where digits belong. */
static bool timestamp(const char *s, char out[20])
{
    static const char form[] = "dddd-dd-dd dd:dd:dd";
    if (strlen(s) != sizeof form - 1)
        return false;
    for (size_t i = 0; form[i]; i++)
        if (form[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != form[i])
            return false;
    memcpy(out, s, sizeof form);
    return true;
}

/* Yuan to fen, exactly; a leading '-' only where allowed (Alipay writes refunds negative). */
static bool amount(const char *s, bool minus_allowed, int64_t *fen)
{
    if (*s == '-' && minus_allowed)
        s++;
    return money_parse(s, 0, fen) == MONEY_OK;
}

static enum bill_status row(struct bill_reader *r, char *line, struct bill_error *err)
{
    char *f[FIELDS_MAX];
    bool wechat = r->format == BILL_WECHAT;
    int n = split(line, wechat, f);
    if (n != r->ncols)
        return fail(r, err, "row has %d fields, the header %d", n, r->ncols);
    struct bill_row b;
    memset(&b, 0, sizeof b);
    b.line = r->lineno;
    const char *kind = f[r->col[C_KIND]];
    snprintf(b.state, sizeof b.state, "%s", kind);
    if (!number(f[r->col[C_ORDER]], b.order_no))
        return fail(r, err, "order number \"%.64s\" is malformed", f[r->col[C_ORDER]]);
    if (!number(f[r->col[C_TRADE]], b.trade_no))
        return fail(r, err, "trade number \"%.64s\" is malformed", f[r->col[C_TRADE]]);
    if (!timestamp(f[r->col[C_TIME]], b.time))
        return fail(r, err, "time \"%.32s\" is not yyyy-MM-dd HH:mm:ss", f[r->col[C_TIME]]);
    const char *refund_no = f[r->col[C_REFUND_NO]];
    const char *fen_text = f[r->col[C_AMOUNT]];
    if (!wechat) {
        if (strcmp(kind, "交易") == 0)
            b.kind = BILL_PAYMENT;
        else if (strcmp(kind, "退款") == 0)
            b.kind = BILL_REFUND;
        else
            return fail(r, err, "business type \"%.32s\" is neither 交易 nor 退款", kind);
    } else if (strcmp(kind, "SUCCESS") == 0) {
        b.kind = BILL_PAYMENT;
    } else if (strcmp(kind, "REFUND") == 0 || strcmp(kind, "REVOKED") == 0) {
        b.kind = BILL_REFUND;
        int c = r->col[C_REFUND_FEN] >= 0 ? r->col[C_REFUND_FEN] : r->col[C_REFUND_FEN2];
        /* a reversal may leave the refund columns at zero: then it gave back the order */
        int64_t asked = 0;
        if (strcmp(kind, "REFUND") == 0 || (amount(f[c], false, &asked) && asked > 0))
            fen_text = f[c];
    } else {
        return fail(r, err, "trade state \"%.32s\" is not SUCCESS, REFUND or REVOKED", kind);
    }
    if (!amount(fen_text, b.kind == BILL_REFUND && !wechat, &b.amount_fen) || b.amount_fen <= 0)
        return fail(r, err, "amount \"%.32s\" is not a positive yuan amount with two decimals",
                    fen_text);
    if (b.kind == BILL_PAYMENT && fen_text[0] == '-')
        return fail(r, err, "a payment of a negative amount");
    if (b.kind == BILL_REFUND && refund_no[0] && !number(refund_no, b.refund_no))
        return fail(r, err, "refund number \"%.64s\" is malformed", refund_no);
    if (b.kind == BILL_REFUND && !refund_no[0] && !(wechat && strcmp(kind, "REVOKED") == 0))
        return fail(r, err, "a refund without its refund number");
    if (b.kind == BILL_PAYMENT && refund_no[0] && !(wechat && strcmp(refund_no, "0") == 0))
        return fail(r, err, "a payment with a refund number");
    r->rows++;
    return r->fn && !r->fn(r->ctx, &b) ? BILL_STOPPED : BILL_OK;
}

static enum bill_status alipay_line(struct bill_reader *r, char *line, struct bill_error *err)
{
    bool comment = line[0] == '#';
    switch (r->stage) {
    case BEFORE_HEADER:
        if (comment || !line[0])
            return BILL_OK;
        if (!header(r, line, err))
            return BILL_ERR_FORMAT;
        r->stage = ROWS;
        return BILL_OK;
    case ROWS:
        if (comment) {
            if (!strstr(line, "业务明细列表结束"))
                return fail(r, err, "a comment line inside the detail rows");
            r->stage = DONE;
            return BILL_OK;
        }
        return line[0] ? row(r, line, err) : BILL_OK;
    default:
        if (comment || !line[0])
            return BILL_OK;
        return fail(r, err, "a row after the end of the detail list");
    }
}

static enum bill_status wechat_line(struct bill_reader *r, char *line, struct bill_error *err)
{
    switch (r->stage) {
    case BEFORE_HEADER:
        if (strncmp(line, "\xEF\xBB\xBF", 3) == 0) /* a byte order mark */
            memmove(line, line + 3, strlen(line + 3) + 1);
        if (!header(r, line, err))
            return BILL_ERR_FORMAT;
        r->stage = ROWS;
        return BILL_OK;
    case ROWS:
        if (line[0] == '`')
            return row(r, line, err);
        if (strncmp(line, "总交易单数,", strlen("总交易单数,")) != 0)
            return fail(r, err, "neither a detail row nor the summary header");
        r->stage = SUMMARY_ROW;
        return BILL_OK;
    case SUMMARY_ROW: {
        char *f[FIELDS_MAX];
        char *end = NULL;
        if (split(line, true, f) < 1 || !*f[0])
            return fail(r, err, "the summary row is malformed");
        long count = strtol(f[0], &end, 10);
        if (*end || count < 0)
            return fail(r, err, "the summary's row count \"%.32s\" is not a number", f[0]);
        if (count != r->rows)
            return fail(r, err, "the summary counts %ld rows, the bill has %ld", count, r->rows);
        r->stage = DONE;
        return BILL_OK;
    }
    default: return line[0] ? fail(r, err, "text after the summary") : BILL_OK;
    }
}

static enum bill_status take_line(struct bill_reader *r, struct bill_error *err)
{
    r->lineno++;
    r->line[r->len] = '\0';
    if (r->len && r->line[r->len - 1] == '\r')
        r->line[--r->len] = '\0';
    if (memchr(r->line, '\0', r->len))
        return fail(r, err, "a NUL byte in the text");
    r->len = 0;
    return r->format == BILL_ALIPAY ? alipay_line(r, r->line, err) : wechat_line(r, r->line, err);
}

enum bill_status bill_reader_feed(struct bill_reader *r, const void *text, size_t len,
                                  struct bill_error *err)
{
    const char *p = text, *end = p + len;
    if (r->failed)
        return BILL_ERR_FORMAT;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t take = (size_t)((nl ? nl : end) - p);
        if (r->len + take > BILL_LINE_MAX) {
            r->lineno++;
            return fail(r, err, "a line longer than %d bytes", BILL_LINE_MAX);
        }
        memcpy(r->line + r->len, p, take);
        r->len += take;
        p += take;
        if (nl) {
            p++;
            enum bill_status st = take_line(r, err);
            if (st != BILL_OK) {
                r->failed = true;
                return st;
            }
        }
    }
    return BILL_OK;
}

enum bill_status bill_reader_finish(struct bill_reader *r, struct bill_error *err)
{
    if (r->failed)
        return BILL_ERR_FORMAT;
    if (r->len) {
        enum bill_status st = take_line(r, err);
        if (st != BILL_OK)
            return st;
    }
    if (r->stage != DONE)
        return fail(r, err,
                    r->format == BILL_ALIPAY ? "the detail list has no end marker: the bill is cut"
                                             : "the bill has no summary: it is cut");
    return BILL_OK;
}
