/*
 * scan_types.h - the plain data of drivers/scanner: what a scanner is told (its config),
 * what it yields (a whole code) and how it fails. Shared by the facade (scanner.h), the
 * sources (source.h) and the decoders, which need the data but not the scanner itself.
 */
#ifndef POSTERM_SCAN_TYPES_H
#define POSTERM_SCAN_TYPES_H

#include <stdint.h>

#define SCAN_CODE_MAX 256 /* longest text a code may carry; max_len cannot exceed it */

struct scan_code {
    char text[SCAN_CODE_MAX + 1]; /* printable ASCII, NUL-terminated */
    char symbology[4]; /* AIM identifier such as "]C0" or "]Q1" when the scanner sent one */
    char source[32];   /* "usb 0c2e:0b61", "hidpos 1eab:1310", "evdev ...", "stdin" */
    int64_t at_ms;     /* the caller's clock when the code was completed */
};

enum scanner_kind {
    SCANNER_AUTO,         /* every USB scanner found, keyboard or HID POS mode */
    SCANNER_USB_KEYBOARD, /* USB, HID keyboard interfaces only */
    SCANNER_HIDPOS,       /* USB, HID POS (usage page 0x8C) interfaces only */
    SCANNER_EVDEV,        /* one /dev/input/event* node, grabbed */
    SCANNER_STDIN,        /* one code per line on a descriptor (demo, headless) */
};

enum scan_layout { SCAN_LAYOUT_US, SCAN_LAYOUT_AZERTY };

/* What the scanner types after each code in keyboard mode. With none, a pause of gap_ms
 * ends the code; with enter or tab, a pause of gap_ms inside a code drops it as cut off. */
enum scan_suffix { SCAN_SUFFIX_ENTER, SCAN_SUFFIX_TAB, SCAN_SUFFIX_NONE };

typedef void (*scanner_log_fn)(void *ctx, const char *line);

struct scanner_config {
    enum scanner_kind kind;
    uint16_t vid, pid;       /* USB: 0 = find by the known-vendor table and descriptors */
    char evdev_path[128];    /* evdev: the node (a /dev/input/by-id/ name survives replugs) */
    int stdin_fd;            /* stdin: descriptor to read lines from (usually 0) */
    enum scan_layout layout; /* keyboard mode and evdev */
    enum scan_suffix suffix; /* keyboard mode and evdev */
    int gap_ms;              /* longest pause between two characters of one code */
    int dedupe_ms;           /* the same code again within this is one scan; 0 = off */
    int min_len, max_len;    /* shorter or longer codes are dropped (max_len <= SCAN_CODE_MAX) */
    int rescan_ms;           /* how often to look for a missing scanner */
    scanner_log_fn log;      /* NULL = lines go to stderr */
    void *log_ctx;
};

enum scanner_status {
    SCANNER_OK = 0,
    SCANNER_ERR_CONFIG, /* a field is out of range; err names it */
    SCANNER_ERR_USB,    /* libusb could not start (from scanner_process: tried again later) */
    SCANNER_ERR_IO,     /* the evdev node or descriptor failed for good */
    SCANNER_ERR_NOMEM,
};

#endif
