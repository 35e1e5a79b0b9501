/*
 * register_line.c - lines and requests of the cash register API (register_line.h).
 */
#include "register_line.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "money.h"

static const char *const command_names[] = {
    [REGISTER_PAYMENT] = "payment", [REGISTER_STATUS] = "status",
    [REGISTER_ABORT] = "abort",     [REGISTER_REFUND] = "refund",
    [REGISTER_TOTALS] = "totals",   [REGISTER_CLOSE_DAY] = "close_day",
};

static const char *const error_names[] = {
    [REGISTER_OK] = "ok",
    [REGISTER_BAD_JSON] = "bad_json",
    [REGISTER_UNKNOWN_COMMAND] = "unknown_command",
    [REGISTER_UNKNOWN_FIELD] = "unknown_field",
    [REGISTER_MISSING_FIELD] = "missing_field",
    [REGISTER_BAD_VALUE] = "bad_value",
};

const char *register_error_name(enum register_error e)
{
    return error_names[e];
}

const char *register_command_name(enum register_command c)
{
    return command_names[c];
}

/* The fields each command takes besides "command"; required ones are marked with '!'. */
static const char *const command_fields[][5] = {
    [REGISTER_PAYMENT] = {"!sale_id", "!amount", "description"},
    [REGISTER_STATUS] = {"sale_id"},
    [REGISTER_ABORT] = {"!sale_id"},
    [REGISTER_REFUND] = {"sale_id", "order", "!amount", "!key", "pin"},
    [REGISTER_TOTALS] = {NULL},
    [REGISTER_CLOSE_DAY] = {NULL},
};

static bool takes(enum register_command c, const char *field)
{
    for (int i = 0; i < 5 && command_fields[c][i]; i++) {
        const char *f = command_fields[c][i];
        if (strcmp(f + (f[0] == '!'), field) == 0)
            return true;
    }
    return false;
}

static enum register_error refuse(enum register_error e, char *why, size_t whylen, const char *fmt,
                                  const char *a, const char *b)
{
    snprintf(why, whylen, fmt, a, b);
    return e;
}

/* Printable ASCII only: an id the register, the journal and a log line all show as sent. */
static bool printable(const char *s)
{
    for (; *s; s++)
        if (*s < 0x20 || *s > 0x7e)
            return false;
    return true;
}

/* A client's field name as an error shows it: printable ASCII, at most 32 characters, any
 * other byte as '?' - the error goes back inside a JSON string and to the log, where a raw
 * control character or a broken UTF-8 sequence from the client has no place. */
static const char *shown_name(const char *name, char out[40])
{
    size_t n = 0;
    for (; name[n] && n < 32; n++)
        out[n] = name[n] >= 0x20 && name[n] <= 0x7e ? name[n] : '?';
    snprintf(out + n, 40 - n, "%s", name[n] ? "..." : "");
    return out;
}

/* Copies a string field of at most max bytes into out. */
static enum register_error text_field(const cJSON *v, const char *name, char *out, size_t max,
                                      char *why, size_t whylen)
{
    if (!cJSON_IsString(v))
        return refuse(REGISTER_BAD_VALUE, why, whylen, "%s: must be a string%s", name, "");
    size_t n = strlen(v->valuestring);
    if (n == 0 || n > max || !printable(v->valuestring)) {
        char limit[64];
        snprintf(limit, sizeof limit, "1 to %zu printable ASCII characters", max);
        return refuse(REGISTER_BAD_VALUE, why, whylen, "%s: must be %s", name, limit);
    }
    memcpy(out, v->valuestring, n + 1);
    return REGISTER_OK;
}

/* The length of the UTF-8 character at s (n bytes left) and its code point; 0 when the bytes
 * are no valid UTF-8 (overlong, a surrogate, past U+10FFFF, cut short). */
static size_t utf8_char(const unsigned char *s, size_t n, uint32_t *cp)
{
    size_t len = s[0] < 0x80 ? 1 : s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    if (len == 0 || s[0] > 0xf4 || len > n)
        return 0;
    *cp = len == 1 ? s[0] : s[0] & (0x7fu >> len);
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return 0;
        *cp = *cp << 6 | (s[k] & 0x3fu);
    }
    if ((len == 3 && *cp < 0x800) || (len == 4 && (*cp < 0x10000 || *cp > 0x10ffff)) ||
        (*cp >= 0xd800 && *cp <= 0xdfff))
        return 0;
    return len;
}

/* The description goes to the gateway as the order's subject, shown in the customer's app:
 * UTF-8 text without control characters, cut (between characters, never inside one) to
 * REGISTER_DESCRIPTION_MAX bytes, WeChat Pay's limit. */
static enum register_error description_field(const cJSON *v, char *out, char *why, size_t whylen)
{
    if (!cJSON_IsString(v) || v->valuestring[0] == '\0')
        return refuse(REGISTER_BAD_VALUE, why, whylen,
                      "description: must be a non-empty string%s%s", "", "");
    const unsigned char *s = (const unsigned char *)v->valuestring;
    size_t n = strlen(v->valuestring), cut = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp = 0;
        size_t len = utf8_char(s + i, n - i, &cp);
        if (len == 0)
            return refuse(REGISTER_BAD_VALUE, why, whylen, "description: not valid UTF-8%s%s", "",
                          "");
        if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
            char at[48];
            snprintf(at, sizeof at, "U+%04X at byte %zu", (unsigned)cp, i);
            return refuse(REGISTER_BAD_VALUE, why, whylen,
                          "description: control characters are not allowed (%s)%s", at, "");
        }
        i += len;
        if (i <= REGISTER_DESCRIPTION_MAX)
            cut = i;
    }
    memcpy(out, v->valuestring, cut);
    out[cut] = '\0';
    return REGISTER_OK;
}

static enum register_error read_field(struct register_request *out, const cJSON *v, char *why,
                                      size_t whylen)
{
    const char *name = v->string;
    if (strcmp(name, "sale_id") == 0)
        return text_field(v, name, out->sale_id, JOURNAL_SALE_ID_MAX, why, whylen);
    if (strcmp(name, "order") == 0)
        return text_field(v, name, out->order, ORDER_NO_MAX, why, whylen);
    if (strcmp(name, "key") == 0)
        return text_field(v, name, out->key, REGISTER_KEY_MAX, why, whylen);
    if (strcmp(name, "pin") == 0)
        return text_field(v, name, out->pin, REGISTER_PIN_MAX, why, whylen);
    if (strcmp(name, "description") == 0)
        return description_field(v, out->description, why, whylen);
    /* amount */
    if (!cJSON_IsString(v))
        return refuse(REGISTER_BAD_VALUE, why, whylen,
                      "amount: must be a string of yuan such as \"12.30\"%s%s", "", "");
    enum money_status ms = money_parse(v->valuestring, 0, &out->amount_fen);
    if (ms != MONEY_OK)
        return refuse(REGISTER_BAD_VALUE, why, whylen, "amount: %s%s", money_status_reason(ms), "");
    return REGISTER_OK;
}

enum register_error register_parse(const char *line, size_t len, struct register_request *out,
                                   char *why, size_t whylen)
{
    memset(out, 0, sizeof *out);
    why[0] = '\0';
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(line, len, &end, false);
    enum register_error e = REGISTER_OK;
    if (root == NULL || !cJSON_IsObject(root)) {
        e = refuse(REGISTER_BAD_JSON, why, whylen, "not a JSON object%s%s", "", "");
        goto done;
    }
    while (end && end < line + len && (*end == ' ' || *end == '\t' || *end == '\r'))
        end++;
    if (end != line + len) {
        e = refuse(REGISTER_BAD_JSON, why, whylen, "more than one JSON value on the line%s%s", "",
                   "");
        goto done;
    }
    const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(root, "command");
    int c = -1;
    for (int i = 0; cJSON_IsString(cmd) && i < (int)(sizeof command_names / sizeof *command_names);
         i++)
        if (strcmp(cmd->valuestring, command_names[i]) == 0)
            c = i;
    if (c < 0) {
        e = refuse(REGISTER_UNKNOWN_COMMAND, why, whylen,
                   "command: %s (payment, status, abort, refund, totals, close_day)",
                   cmd ? "not one this terminal knows" : "missing", "");
        goto done;
    }
    out->command = (enum register_command)c;
    for (const cJSON *v = root->child; v; v = v->next) {
        if (strcmp(v->string, "command") == 0)
            continue;
        if (!takes(out->command, v->string)) {
            char name[40];
            e = refuse(REGISTER_UNKNOWN_FIELD, why, whylen, "%s: %s does not take this field",
                       shown_name(v->string, name), command_names[c]);
            goto done;
        }
        if (cJSON_GetObjectItemCaseSensitive(root, v->string) != v) {
            e = refuse(REGISTER_BAD_VALUE, why, whylen, "%s: given twice%s", v->string, "");
            goto done;
        }
        if ((e = read_field(out, v, why, whylen)) != REGISTER_OK)
            goto done;
    }
    for (int i = 0; i < 5 && command_fields[c][i]; i++) {
        const char *f = command_fields[c][i];
        if (f[0] == '!' && !cJSON_GetObjectItemCaseSensitive(root, f + 1)) {
            e = refuse(REGISTER_MISSING_FIELD, why, whylen, "%s: %s needs this field", f + 1,
                       command_names[c]);
            goto done;
        }
    }
    if (out->command == REGISTER_REFUND && (out->sale_id[0] != '\0') == (out->order[0] != '\0'))
        e = refuse(REGISTER_MISSING_FIELD, why, whylen,
                   "sale_id or order: refund names the sale or the order, one of them%s%s", "", "");
done:
    cJSON_Delete(root);
    return e;
}

bool register_reader_init(struct register_reader *r, size_t max_line)
{
    r->max = max_line;
    r->used = 0;
    r->buf = malloc(max_line + 2);
    return r->buf != NULL;
}

void register_reader_free(struct register_reader *r)
{
    free(r->buf);
    r->buf = NULL;
}

enum register_feed register_reader_feed(struct register_reader *r, const char *data, size_t n,
                                        int (*fn)(void *ctx, char *line, size_t len), void *ctx)
{
    while (n > 0) {
        const char *nl = memchr(data, '\n', n);
        size_t take = nl ? (size_t)(nl - data) : n;
        if (r->used + take > r->max) {
            r->used = 0;
            return REGISTER_FEED_TOO_LONG;
        }
        memcpy(r->buf + r->used, data, take);
        r->used += take;
        if (nl == NULL)
            break;
        size_t len = r->used;
        if (len > 0 && r->buf[len - 1] == '\r')
            len--;
        r->buf[len] = '\0';
        r->used = 0;
        data += take + 1;
        n -= take + 1;
        if (fn(ctx, r->buf, len) != 0)
            return REGISTER_FEED_STOPPED;
    }
    return REGISTER_FEED_OK;
}
