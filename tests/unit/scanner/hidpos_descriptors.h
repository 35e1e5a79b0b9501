/*
 * hidpos_descriptors.h - HID POS report descriptors the tests parse, with where each comes from.
 *
 * No scanner vendor publishes a byte dump of its descriptor (see the project's scanner notes),
 * but several publish the input report layout their descriptor declares. These descriptors
 * declare exactly those layouts, item by item, so the parser is checked against the byte
 * positions a real device sends.
 */
#ifndef POSTERM_TEST_HIDPOS_DESCRIPTORS_H
#define POSTERM_TEST_HIDPOS_DESCRIPTORS_H

#include <stdint.h>

/* Access-IS LSR116 / ATR110 / LSR118 HID POS mode, product manual appendix "HID reports":
 * report ID 2; byte 1 length of data; bytes 2-4 AIM identifier ("]Q0"); bytes 5-60 data (56);
 * byte 61 further symbology identifier; byte 62 reserved; byte 63 bit 0 "data continued".
 * The same layout is Honeywell's and Newland's HID POS scanned-data report. Also declares the
 * command output report (ID 0xFD) the manual lists, which the parser must skip. */
static const uint8_t access_is_lsr116_desc[] = {
    0x05, 0x8C,       /* Usage Page (Bar Code Scanner) */
    0x09, 0x02,       /* Usage (Bar Code Scanner) */
    0xA1, 0x01,       /* Collection (Application) */
    0x85, 0x02,       /*   Report ID (2) */
    0x09, 0x12,       /*   Usage (Scanned Data Report) */
    0xA1, 0x02,       /*   Collection (Logical) */
    0x15, 0x00,       /*     Logical Minimum (0) */
    0x26, 0xFF, 0x00, /*     Logical Maximum (255) */
    0x75, 0x08,       /*     Report Size (8) */
    0x95, 0x01,       /*     Report Count (1) */
    0x05, 0x01,       /*     Usage Page (Generic Desktop) */
    0x09, 0x3B,       /*     Usage (Byte Count) */
    0x81, 0x02,       /*     Input (Data, Var, Abs) */
    0x05, 0x8C,       /*     Usage Page (Bar Code Scanner) */
    0x09, 0xFB,       /*     Usage (Symbology Identifier 1) */
    0x09, 0xFC,       /*     Usage (Symbology Identifier 2) */
    0x09, 0xFD,       /*     Usage (Symbology Identifier 3) */
    0x95, 0x03,       /*     Report Count (3) */
    0x81, 0x02,       /*     Input (Data, Var, Abs) */
    0x09, 0xFE,       /*     Usage (Decoded Data) */
    0x95, 0x38,       /*     Report Count (56) */
    0x82, 0x02, 0x01, /*     Input (Data, Var, Abs, Buffered Bytes) */
    0x06, 0x00, 0xFF, /*     Usage Page (Vendor Defined 0xFF00) */
    0x09, 0x01,       /*     Usage (further symbology identifier) */
    0x95, 0x01,       /*     Report Count (1) */
    0x81, 0x02,       /*     Input (Data, Var, Abs) */
    0x81, 0x03,       /*     Input (Const): reserved byte */
    0x05, 0x8C,       /*     Usage Page (Bar Code Scanner) */
    0x25, 0x01,       /*     Logical Maximum (1) */
    0x75, 0x01,       /*     Report Size (1) */
    0x09, 0xFF,       /*     Usage (Decode Data Continued) */
    0x81, 0x02,       /*     Input (Data, Var, Abs) */
    0x75, 0x07,       /*     Report Size (7) */
    0x81, 0x03,       /*     Input (Const): padding */
    0xC0,             /*   End Collection */
    0x85, 0xFD,       /*   Report ID (0xFD): commands to the reader */
    0x06, 0x00, 0xFF, /*   Usage Page (Vendor Defined 0xFF00) */
    0x09, 0x02,       /*   Usage (vendor command) */
    0x26, 0xFF, 0x00, /*   Logical Maximum (255) */
    0x75, 0x08,       /*   Report Size (8) */
    0x95, 0x3F,       /*   Report Count (63) */
    0x91, 0x02,       /*   Output (Data, Var, Abs) */
    0xC0,             /* End Collection */
};

/* Microscan MS-4 / Mini Hawk "Microscan HID" report (help file "Microscan HID Report
 * Format"): report ID 1, a length byte, 62 data bytes NUL padded; no symbology fields, no
 * continued flag (long messages simply follow in the next report). Declared here with the
 * POS usages so the parser sees a byte count but no symbology. */
static const uint8_t microscan_ms4_desc[] = {
    0x05, 0x8C, 0x09, 0x02, 0xA1, 0x01, /* Bar Code Scanner application */
    0x85, 0x01,                         /* Report ID (1) */
    0x15, 0x00, 0x26, 0xFF, 0x00, 0x75, 0x08, 0x05, 0x01,
    0x09, 0x3B, 0x95, 0x01, 0x81, 0x02,                   /* Byte Count */
    0x05, 0x8C, 0x09, 0xFE, 0x95, 0x3E, 0x82, 0x02, 0x01, /* Decoded Data x62 */
    0xC0,
};

/* A "dumb" POS scanner with no report IDs, no byte count (trailing NULs end the data), the
 * symbology given as a usage range, and the global state pushed and popped around a
 * status byte: the descriptor features real devices mix. */
static const uint8_t no_id_range_desc[] = {
    0x05, 0x8C, 0x09, 0x03, 0xA1, 0x01,                   /* Dumb Bar Code Scanner application */
    0x15, 0x00, 0x26, 0xFF, 0x00, 0x75, 0x08, 0xA4,       /* Push */
    0x06, 0x00, 0xFF, 0x09, 0x20, 0x95, 0x01, 0x81, 0x02, /* vendor status byte */
    0xB4,                                                 /* Pop: page 0x8C again */
    0x19, 0xFB, 0x29, 0xFD, 0x95, 0x03, 0x81, 0x02,       /* Symbology Identifier 1..3 */
    0x09, 0xFE, 0x95, 0x14, 0x81, 0x02,                   /* Decoded Data x20 */
    0xC0,
};

/* The HID boot keyboard descriptor (HID 1.11 appendix B.1), as keyboard-mode scanners send. */
static const uint8_t boot_keyboard_desc[] = {
    0x05, 0x01, 0x09, 0x06, 0xA1, 0x01, 0x05, 0x07, 0x19, 0xE0, 0x29, 0xE7, 0x15, 0x00, 0x25,
    0x01, 0x75, 0x01, 0x95, 0x08, 0x81, 0x02, 0x95, 0x01, 0x75, 0x08, 0x81, 0x03, 0x95, 0x06,
    0x75, 0x08, 0x15, 0x00, 0x25, 0x65, 0x05, 0x07, 0x19, 0x00, 0x29, 0x65, 0x81, 0x00, 0xC0,
};

#endif
