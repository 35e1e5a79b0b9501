/*
 * test_scanner_hidpos.c - HID POS descriptors parsed, reports read, multi-report codes joined.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "hidpos.h"
#include "hidpos_descriptors.h"
#include "scan_events.h"

/* An Access-IS/Honeywell style report: ID 2, count, AIM, 56 data bytes, 3 trailing bytes. */
static size_t lsr116_report(uint8_t r[64], const char *aim, const char *data, size_t n, int cont)
{
    memset(r, 0, 64);
    r[0] = 2;
    r[1] = (uint8_t)n;
    memcpy(r + 2, aim, 3);
    memcpy(r + 5, data, n);
    r[61] = 's';
    r[63] = (uint8_t)cont;
    return 64;
}

static void parses_the_documented_layouts(void)
{
    struct hidpos_layout l;
    CHECK_EQ_INT(hidpos_parse_descriptor(access_is_lsr116_desc, sizeof access_is_lsr116_desc, &l),
                 HIDPOS_PARSE_OK);
    CHECK_EQ_INT(l.report_id, 2);
    CHECK_EQ_INT(l.report_bytes, 64);
    CHECK_EQ_INT(l.count_bit, 8);
    CHECK_EQ_INT(l.symbology_bit[0], 16);
    CHECK_EQ_INT(l.symbology_bit[2], 32);
    CHECK_EQ_INT(l.data_bit, 40);
    CHECK_EQ_INT(l.data_bytes, 56);
    CHECK_EQ_INT(l.continued_bit, 63 * 8);

    CHECK_EQ_INT(hidpos_parse_descriptor(microscan_ms4_desc, sizeof microscan_ms4_desc, &l),
                 HIDPOS_PARSE_OK);
    CHECK_EQ_INT(l.report_id, 1);
    CHECK_EQ_INT(l.report_bytes, 64);
    CHECK_EQ_INT(l.count_bit, 8);
    CHECK_EQ_INT(l.symbology_bit[0], -1);
    CHECK_EQ_INT(l.data_bit, 16);
    CHECK_EQ_INT(l.data_bytes, 62);
    CHECK_EQ_INT(l.continued_bit, -1);

    CHECK_EQ_INT(hidpos_parse_descriptor(no_id_range_desc, sizeof no_id_range_desc, &l),
                 HIDPOS_PARSE_OK);
    CHECK_EQ_INT(l.report_id, 0);
    CHECK_EQ_INT(l.report_bytes, 24);
    CHECK_EQ_INT(l.count_bit, -1);
    CHECK_EQ_INT(l.symbology_bit[0], 8);
    CHECK_EQ_INT(l.symbology_bit[1], 16);
    CHECK_EQ_INT(l.symbology_bit[2], 24);
    CHECK_EQ_INT(l.data_bit, 32);
    CHECK_EQ_INT(l.data_bytes, 20);

    CHECK_EQ_INT(hidpos_parse_descriptor(boot_keyboard_desc, sizeof boot_keyboard_desc, &l),
                 HIDPOS_PARSE_NOT_POS);
}

static void rejects_malformed_descriptors(void)
{
    struct hidpos_layout l;
    /* Cut in the middle of an item. */
    CHECK_EQ_INT(hidpos_parse_descriptor(access_is_lsr116_desc, 16, &l), HIDPOS_PARSE_MALFORMED);
    /* Every shorter prefix either fails cleanly or parses; none reads past its end. */
    for (size_t n = 0; n < sizeof access_is_lsr116_desc; n++)
        CHECK(hidpos_parse_descriptor(access_is_lsr116_desc, n, &l) != HIDPOS_PARSE_OK);
    static const uint8_t unbalanced[] = {0x05, 0x8C, 0xA1, 0x01, 0x09, 0xFE,
                                         0x75, 0x08, 0x95, 0x04, 0x81, 0x02};
    CHECK_EQ_INT(hidpos_parse_descriptor(unbalanced, sizeof unbalanced, &l),
                 HIDPOS_PARSE_MALFORMED);
    static const uint8_t extra_end[] = {0xC0};
    CHECK_EQ_INT(hidpos_parse_descriptor(extra_end, sizeof extra_end, &l), HIDPOS_PARSE_MALFORMED);
    static const uint8_t pop_first[] = {0xB4};
    CHECK_EQ_INT(hidpos_parse_descriptor(pop_first, sizeof pop_first, &l), HIDPOS_PARSE_MALFORMED);
    /* Input before the first Report ID on a device that uses IDs. */
    static const uint8_t id_late[] = {0x05, 0x8C, 0x09, 0xFE, 0x75, 0x08,
                                      0x95, 0x04, 0x81, 0x02, 0x85, 0x02};
    CHECK_EQ_INT(hidpos_parse_descriptor(id_late, sizeof id_late, &l), HIDPOS_PARSE_MALFORMED);
    /* A report far larger than any endpoint. */
    static const uint8_t huge[] = {0x05, 0x8C, 0x09, 0xFE, 0x75, 0x08,
                                   0x96, 0xFF, 0x7F, 0x81, 0x02};
    CHECK_EQ_INT(hidpos_parse_descriptor(huge, sizeof huge, &l), HIDPOS_PARSE_MALFORMED);
    /* Decoded data that does not start on a byte boundary. */
    static const uint8_t odd[] = {0x05, 0x8C, 0x75, 0x01, 0x95, 0x01, 0x81, 0x03, 0x09, 0xFE,
                                  0x75, 0x08, 0x95, 0x04, 0x81, 0x02, 0x75, 0x07, 0x81, 0x03};
    CHECK_EQ_INT(hidpos_parse_descriptor(odd, sizeof odd, &l), HIDPOS_PARSE_MALFORMED);
    /* A long item whose length runs past the end. */
    static const uint8_t long_item[] = {0xFE, 0x10, 0x01, 0x00};
    CHECK_EQ_INT(hidpos_parse_descriptor(long_item, sizeof long_item, &l), HIDPOS_PARSE_MALFORMED);
}

static void reads_one_report(void)
{
    struct hidpos_layout l;
    struct hidpos_piece p;
    uint8_t r[64];
    hidpos_parse_descriptor(access_is_lsr116_desc, sizeof access_is_lsr116_desc, &l);
    lsr116_report(r, "]C0", "134567890123456789", 18, 0);
    CHECK(hidpos_read_report(&l, r, 64, &p));
    CHECK_EQ_INT(p.len, 18);
    CHECK(memcmp(p.data, "134567890123456789", 18) == 0);
    CHECK_EQ_STR(p.symbology, "]C0");
    CHECK(!p.continued);
    /* The byte count wins over padding, and NULs inside the count are data (the gate
     * rejects them later, not the reader). */
    r[1] = 20;
    CHECK(hidpos_read_report(&l, r, 64, &p));
    CHECK_EQ_INT(p.len, 20);
    /* A count larger than the data field is held to it. */
    r[1] = 200;
    CHECK(hidpos_read_report(&l, r, 64, &p));
    CHECK_EQ_INT(p.len, 56);
    /* Other report IDs and truncated reports are not scanned data. */
    r[0] = 1;
    CHECK(!hidpos_read_report(&l, r, 64, &p));
    r[0] = 2;
    CHECK(!hidpos_read_report(&l, r, 0, &p));
    CHECK(!hidpos_read_report(&l, r, 4, &p));
    /* Short of the continued flag: the report is not trusted. */
    CHECK(!hidpos_read_report(&l, r, 63, &p));

    /* No byte count: trailing NULs end the data. */
    hidpos_parse_descriptor(no_id_range_desc, sizeof no_id_range_desc, &l);
    uint8_t r2[24] = {0x07, ']', 'Q', '1'};
    memcpy(r2 + 4, "28123456789012345678", 20);
    CHECK(hidpos_read_report(&l, r2, sizeof r2, &p));
    CHECK_EQ_INT(p.len, 20);
    CHECK_EQ_STR(p.symbology, "]Q1");
    memset(r2 + 4 + 18, 0, 2);
    CHECK(hidpos_read_report(&l, r2, sizeof r2, &p));
    CHECK_EQ_INT(p.len, 18);
}

static void joins_codes_across_reports(void)
{
    struct hidpos_layout l;
    struct hidpos_assembler a;
    struct scan_events ev;
    uint8_t r[64];
    int64_t t = 1000;
    memset(&ev, 0, sizeof ev);
    hidpos_parse_descriptor(access_is_lsr116_desc, sizeof access_is_lsr116_desc, &l);
    hidpos_assembler_init(&a, 100, 64, scan_events_sink, &ev);

    /* The manual's example: 60 bytes in two reports, 56 with the flag set, then 4. */
    const char *pass = "M1GATHERGOOD/MICHAEL YABCDEF LHRDURAK 3542 052Y003D23  12345";
    lsr116_report(r, "]Q0", pass, 56, 1);
    hidpos_assembler_report(&a, &l, r, 64, t);
    CHECK_EQ_INT(ev.n, 0);
    CHECK_EQ_INT(hidpos_assembler_deadline(&a), t + 100);
    lsr116_report(r, "]Q0", pass + 56, 4, 0);
    hidpos_assembler_report(&a, &l, r, 64, t += 5);
    CHECK_EQ_INT(ev.n, 1);
    CHECK(ev.ev[0].ok);
    CHECK_EQ_STR(ev.ev[0].text, pass);
    CHECK_EQ_STR(ev.ev[0].symbology, "]Q0");
    CHECK_EQ_INT(hidpos_assembler_deadline(&a), -1);

    /* Three pieces of a payment code, a stray report of another ID in between. */
    lsr116_report(r, "]C0", "134567", 6, 1);
    hidpos_assembler_report(&a, &l, r, 64, t += 5);
    uint8_t other[8] = {1, 0x55};
    hidpos_assembler_report(&a, &l, other, sizeof other, t += 1);
    lsr116_report(r, "]C0", "890123", 6, 1);
    hidpos_assembler_report(&a, &l, r, 64, t += 5);
    lsr116_report(r, "]C0", "456789\r", 7, 0); /* a CR suffix configured in the scanner */
    hidpos_assembler_report(&a, &l, r, 64, t += 5);
    CHECK_EQ_INT(ev.n, 2);
    CHECK_EQ_STR(ev.ev[1].text, "134567890123456789");

    /* The continuation never comes: dropped at the deadline; the next scan still works. */
    lsr116_report(r, "]C0", "13456789", 8, 1);
    hidpos_assembler_report(&a, &l, r, 64, t += 5);
    hidpos_assembler_tick(&a, t + 99);
    CHECK_EQ_INT(ev.n, 2);
    hidpos_assembler_tick(&a, t + 100);
    CHECK_EQ_INT(ev.n, 3);
    CHECK(!ev.ev[2].ok);
    CHECK(strstr(ev.ev[2].reason, "cut off") != NULL);
    lsr116_report(r, "]C0", "281234567890123456", 18, 0);
    hidpos_assembler_report(&a, &l, r, 64, t += 500);
    CHECK_EQ_INT(ev.n, 4);
    CHECK_EQ_STR(ev.ev[3].text, "281234567890123456");

    /* Longer than max_len over several reports: dropped whole. */
    for (int i = 0; i < 3; i++) {
        lsr116_report(r, "]Q1", "0123456789012345678901234567890123456789", 40, i < 2);
        hidpos_assembler_report(&a, &l, r, 64, t += 5);
    }
    CHECK_EQ_INT(ev.n, 5);
    CHECK(!ev.ev[4].ok && strcmp(ev.ev[4].reason, "too long") == 0);

    /* Unplugged half way: dropped with the reason given. */
    lsr116_report(r, "]C0", "1345", 4, 1);
    hidpos_assembler_report(&a, &l, r, 64, t += 5);
    hidpos_assembler_reset(&a, "scanner unplugged");
    CHECK_EQ_INT(ev.n, 6);
    CHECK_EQ_STR(ev.ev[5].reason, "scanner unplugged");

    /* An empty report (count 0, no flag) is nothing. */
    lsr116_report(r, "\0\0\0", "", 0, 0);
    hidpos_assembler_report(&a, &l, r, 64, t += 5);
    CHECK_EQ_INT(ev.n, 6);
}

static void microscan_long_message(void)
{
    struct hidpos_layout l;
    struct hidpos_assembler a;
    struct scan_events ev;
    uint8_t r[64] = {1, 11};
    memset(&ev, 0, sizeof ev);
    hidpos_parse_descriptor(microscan_ms4_desc, sizeof microscan_ms4_desc, &l);
    hidpos_assembler_init(&a, 100, 48, scan_events_sink, &ev);
    /* The help file's example report "1_11_A]002374938": here a code with no AIM field. */
    memcpy(r + 2, "25123456789", 11);
    hidpos_assembler_report(&a, &l, r, sizeof r, 0);
    CHECK_EQ_INT(ev.n, 1);
    CHECK_EQ_STR(ev.ev[0].text, "25123456789");
    CHECK_EQ_STR(ev.ev[0].symbology, "");
}

int main(void)
{
    parses_the_documented_layouts();
    rejects_malformed_descriptors();
    reads_one_report();
    joins_codes_across_reports();
    microscan_long_message();
    return check_done();
}
