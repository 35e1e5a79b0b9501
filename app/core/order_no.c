/*
 * order_no.c - building and checking order and refund numbers.
 */
#include "order_no.h"

#include <stdio.h>
#include <string.h>

static bool id_char(char c, bool dash_ok)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           (dash_ok && c == '-');
}

bool terminal_id_valid(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > TERMINAL_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!id_char(id[i], false))
            return false;
    return true;
}

bool order_no_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > ORDER_NO_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!id_char(s[i], true))
            return false;
    return true;
}

bool journal_id_valid(const char *id)
{
    if (id == NULL || strlen(id) != JOURNAL_ID_LEN)
        return false;
    for (const char *c = id; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= '2' && *c <= '7')))
            return false;
    return true;
}

bool order_no_format(const char *terminal_id, const char *journal_id, uint32_t seq,
                     char out[ORDER_NO_MAX + 1])
{
    if (!terminal_id_valid(terminal_id) || !journal_id_valid(journal_id) || seq == 0)
        return false;
    char buf[64];
    int n = snprintf(buf, sizeof buf, "%s-%s-%06u", terminal_id, journal_id, seq);
    if (n <= 0 || n > ORDER_NO_MAX)
        return false;
    memcpy(out, buf, (size_t)n + 1);
    return true;
}

bool refund_no_format(const char *order_no, unsigned n, char out[ORDER_NO_MAX + 1])
{
    if (n == 0 || !order_no_valid(order_no))
        return false;
    int len = snprintf(out, ORDER_NO_MAX + 1, "%sR%u", order_no, n);
    return len > 0 && len <= ORDER_NO_MAX;
}
