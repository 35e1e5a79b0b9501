/*
 * order_no.c - building and checking order and refund numbers.
 */
#include "order_no.h"

#include <stdio.h>
#include <string.h>

static bool id_char(char c, bool dash_ok)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_' || (dash_ok && c == '-');
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

bool order_no_format(const char *terminal_id, int yyyymmdd, uint32_t seq,
                     char out[ORDER_NO_MAX + 1])
{
    if (!terminal_id_valid(terminal_id) || yyyymmdd < 19700101 || yyyymmdd > 99991231)
        return false;
    int n = snprintf(out, ORDER_NO_MAX + 1, "%s-%08d-%06u", terminal_id, yyyymmdd, seq);
    return n > 0 && n <= ORDER_NO_MAX;
}

bool refund_no_format(const char *order_no, unsigned n, char out[ORDER_NO_MAX + 1])
{
    if (n == 0 || !order_no_valid(order_no))
        return false;
    int len = snprintf(out, ORDER_NO_MAX + 1, "%sR%u", order_no, n);
    return len > 0 && len <= ORDER_NO_MAX;
}
