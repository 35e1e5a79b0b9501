/*
 * fuzz_bill.c - a bill reader (bill_reader.c) on any text, built once per format (BILL_FORMAT:
 * fuzz_bill_alipay, fuzz_bill_wechat), fed in pieces whose size the first byte picks
 * (1..256), so lines and characters cut between pieces are exercised. Invariants checked on
 * every row given out: numbers non-empty and NUL-terminated within their size, amount
 * positive, time in its one form, kind known; and a read that ends in an error names a line
 * within the text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bill.h"

static bool check_row(void *ctx, const struct bill_row *row)
{
    long *lines = ctx;
    if (!row->order_no[0] || !row->trade_no[0] || row->amount_fen <= 0 ||
        strnlen(row->order_no, sizeof row->order_no) == sizeof row->order_no ||
        strnlen(row->refund_no, sizeof row->refund_no) == sizeof row->refund_no ||
        strlen(row->time) != 19 || row->time[4] != '-' || row->time[10] != ' ' ||
        (row->kind != BILL_PAYMENT && row->kind != BILL_REFUND) ||
        (row->kind == BILL_PAYMENT && row->refund_no[0]) || row->line < 1 || row->line > *lines)
        abort();
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t piece = (size_t)data[0] + 1;
    data++;
    size--;
    long lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    struct bill_reader *r = bill_reader_new(BILL_FORMAT, check_row, &lines);
    if (!r)
        return 0;
    struct bill_error err = {0};
    enum bill_status st = BILL_OK;
    for (size_t at = 0; st == BILL_OK && at < size; at += piece)
        st = bill_reader_feed(r, data + at, size - at < piece ? size - at : piece, &err);
    if (st == BILL_OK)
        st = bill_reader_finish(r, &err);
    if (st == BILL_ERR_FORMAT && (err.line < 0 || err.line > lines || !err.text[0]))
        abort();
    bill_reader_free(r);
    return 0;
}
