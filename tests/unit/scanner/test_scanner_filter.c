/*
 * test_scanner_filter.c - the gate: length, printable characters, AIM prefix, duplicates.
 */
#include <string.h>

#include "check.h"
#include "code_filter.h"

static enum code_verdict judge(struct code_filter *f, const char *text, int64_t now,
                               struct scan_code *out)
{
    return code_filter_check(f, text, strlen(text), "", now, out);
}

int main(void)
{
    struct code_filter f;
    struct scan_code c;
    code_filter_init(&f, 6, 24, 3000);

    CHECK_EQ_INT(judge(&f, "134567890123456789", 0, &c), CODE_ACCEPT);
    CHECK_EQ_STR(c.text, "134567890123456789");
    CHECK_EQ_INT(c.at_ms, 0);
    /* Same code again: one scan while it keeps coming within the interval. */
    CHECK_EQ_INT(judge(&f, "134567890123456789", 2999, &c), CODE_DUPLICATE);
    CHECK_EQ_INT(judge(&f, "134567890123456789", 5000, &c), CODE_DUPLICATE);
    CHECK_EQ_INT(judge(&f, "134567890123456789", 8001, &c), CODE_ACCEPT);
    /* Another code in between ends the run: the first one counts again. */
    CHECK_EQ_INT(judge(&f, "281234567890123456", 8002, &c), CODE_ACCEPT);
    CHECK_EQ_INT(judge(&f, "134567890123456789", 8003, &c), CODE_ACCEPT);
    /* A prefix of the last code is a different code. */
    CHECK_EQ_INT(judge(&f, "13456789012345678", 8004, &c), CODE_ACCEPT);

    CHECK_EQ_INT(judge(&f, "12345", 9000, &c), CODE_TOO_SHORT);
    CHECK_EQ_INT(judge(&f, "1234567890123456789012345", 9000, &c), CODE_TOO_LONG);
    CHECK_EQ_INT(judge(&f, "1345\t67890123", 9000, &c), CODE_NOT_PRINTABLE);
    CHECK_EQ_INT(judge(&f,
                       "1345\x7f"
                       "67890123",
                       9000, &c),
                 CODE_NOT_PRINTABLE);
    CHECK_EQ_INT(judge(&f,
                       "1345\xc3\xa9"
                       "67890123",
                       9000, &c),
                 CODE_NOT_PRINTABLE);
    CHECK_EQ_INT(code_filter_check(&f,
                                   "1345\0"
                                   "67890123",
                                   13, "", 9000, &c),
                 CODE_NOT_PRINTABLE);

    /* An AIM prefix typed in front of the code moves to symbology, and dedupe sees the code. */
    CHECK_EQ_INT(judge(&f, "]C0251234567890123456", 10000, &c), CODE_ACCEPT);
    CHECK_EQ_STR(c.text, "251234567890123456");
    CHECK_EQ_STR(c.symbology, "]C0");
    CHECK_EQ_INT(judge(&f, "251234567890123456", 10001, &c), CODE_DUPLICATE);
    /* The symbology reported by the device wins; the text is left as it is. */
    CHECK_EQ_INT(code_filter_check(&f, "301234567890123456", 18, "]Q1", 10002, &c), CODE_ACCEPT);
    CHECK_EQ_STR(c.symbology, "]Q1");
    CHECK_EQ_STR(c.text, "301234567890123456");

    /* dedupe 0 turns it off */
    code_filter_init(&f, 1, SCAN_CODE_MAX, 0);
    CHECK_EQ_INT(judge(&f, "1", 0, &c), CODE_ACCEPT);
    CHECK_EQ_INT(judge(&f, "1", 0, &c), CODE_ACCEPT);
    /* max_len above SCAN_CODE_MAX cannot let a longer code through */
    code_filter_init(&f, 1, 1000, 0);
    char big[SCAN_CODE_MAX + 2];
    memset(big, '7', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK_EQ_INT(judge(&f, big, 0, &c), CODE_TOO_LONG);
    for (int v = CODE_ACCEPT; v <= CODE_DUPLICATE; v++)
        CHECK(strcmp(code_verdict_reason((enum code_verdict)v), "?") != 0);
    return check_done();
}
