/*
 * hidpos.h - HID Point of Sale scanners (usage page 0x8C): where the code sits in a report,
 * and codes that span several reports put back together.
 *
 * The report layout is read from the device's own report descriptor, never assumed: the
 * report holding Decoded Data (0x8C:0xFE), its byte count (Generic Desktop 0x3B, when
 * present; otherwise trailing NULs end the data), the three AIM symbology identifier bytes
 * (0x8C:0xFB..0xFD) and the Decode Data Continued flag (0x8C:0xFF). A descriptor that does
 * not parse is an error, never a guess. Pure: no I/O, time comes in as now_ms.
 */
#ifndef POSTERM_HIDPOS_H
#define POSTERM_HIDPOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "code_filter.h"
#include "scan_types.h"

#define HIDPOS_DESCRIPTOR_MAX 4096
#define HIDPOS_REPORT_MAX     1024

/* Bit offsets count from the start of the report as read, report ID byte included. */
struct hidpos_layout {
    uint8_t report_id;     /* 0: the device uses no report IDs */
    size_t report_bytes;   /* length of the scanned-data report, ID byte included */
    long count_bit;        /* Byte Count field (8 bits), -1 when absent */
    long symbology_bit[3]; /* AIM identifier bytes, -1 when absent */
    long data_bit;         /* first byte of Decoded Data (byte-aligned) */
    size_t data_bytes;     /* room for data in one report */
    long continued_bit;    /* Decode Data Continued flag, -1 when absent */
};

enum hidpos_parse_status {
    HIDPOS_PARSE_OK = 0,
    HIDPOS_PARSE_MALFORMED, /* truncated item, unbalanced collections or push/pop, absurd sizes */
    HIDPOS_PARSE_NOT_POS,   /* parses, but no Decoded Data input field */
};

enum hidpos_parse_status hidpos_parse_descriptor(const uint8_t *desc, size_t len,
                                                 struct hidpos_layout *out);

/* One report's share of a code. data points into the report. */
struct hidpos_piece {
    char symbology[4];
    const uint8_t *data;
    size_t len;
    bool continued;
};

/* False when report is not the scanned-data report (another report ID, or too short). */
bool hidpos_read_report(const struct hidpos_layout *l, const uint8_t *report, size_t len,
                        struct hidpos_piece *out);

/* Joins pieces into codes; a code whose next piece does not come within gap_ms is dropped. */
struct hidpos_assembler {
    int gap_ms;
    int max_len;
    code_sink_fn sink;
    void *sink_ctx;
    char buf[SCAN_CODE_MAX + 1];
    char symbology[4];
    size_t len;
    bool open; /* a continued piece came and the code is not finished */
    bool too_long;
    int64_t last_at;
};

void hidpos_assembler_init(struct hidpos_assembler *a, int gap_ms, int max_len, code_sink_fn sink,
                           void *sink_ctx);
/* Feeds one report read from the device; reports of other IDs are ignored. */
void hidpos_assembler_report(struct hidpos_assembler *a, const struct hidpos_layout *l,
                             const uint8_t *report, size_t len, int64_t now_ms);
void hidpos_assembler_tick(struct hidpos_assembler *a, int64_t now_ms);
int64_t hidpos_assembler_deadline(const struct hidpos_assembler *a);
/* The device went away: a half-assembled code is dropped. */
void hidpos_assembler_reset(struct hidpos_assembler *a, const char *why);

#endif
