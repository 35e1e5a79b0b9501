/*
 * scanner.h - barcode scanners behind one interface that yields whole codes.
 *
 * Whatever is configured - a USB scanner in HID keyboard mode or in HID POS mode (both read
 * through libusb), an evdev node, or plain lines on a file descriptor - the event loop sees
 * only finished codes: text, where it came from, when. The core never sees HID reports.
 *
 * The promise: a code is delivered exactly once, whole, with every character as scanned, or
 * not at all. Input that cannot be a clean code (too long, too short, non-printable, cut off
 * by a long pause, noise between codes) is dropped with a log line and the next good scan
 * still works. The same text again within dedupe_ms is the same scan and is dropped.
 * A scanner unplugged is reported and reopened when it comes back, without a restart.
 *
 * Nothing blocks and no thread is started: the loop polls the descriptors and the deadline
 * that scanner_pollfds() hands out, then calls scanner_process() with the clock it read.
 * Logs never hold a code in full: only its length and last four characters.
 */
#ifndef POSTERM_SCANNER_H
#define POSTERM_SCANNER_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scan_types.h"

struct scanner;

/* Defaults: auto, US layout, Enter suffix, gap 150 ms, dedupe 3000 ms, length 6..64,
 * rescan 1000 ms, stdin_fd 0, log to stderr. */
void scanner_config_defaults(struct scanner_config *cfg);

/* Opens the configured source. A USB scanner or evdev node that is absent is not an
 * error: it is looked for again every rescan_ms and the status line says so. */
enum scanner_status scanner_open(struct scanner **out, const struct scanner_config *cfg, char *err,
                                 size_t errlen);
/* Releases every interface (the kernel driver gets its device back) and frees s. */
void scanner_close(struct scanner *s);

/* Fills at most max descriptors for the loop's poll() and returns how many; lowers
 * *timeout_ms (-1 = none yet) to the scanner's next deadline (gap timeout, rescan), counted
 * from the clock of the last scanner_process(). Call it before every poll(): the set
 * changes as scanners come and go. 16 slots are plenty. */
int scanner_pollfds(struct scanner *s, struct pollfd *fds, int max, int64_t *timeout_ms);
/* Call after every poll() - also on timeout - with the same fds and their revents.
 * now_ms is a monotonic clock in milliseconds. */
enum scanner_status scanner_process(struct scanner *s, const struct pollfd *fds, int nfds,
                                    int64_t now_ms);
/* Returns true and fills *out while finished codes are waiting, oldest first. */
bool scanner_next_code(struct scanner *s, struct scan_code *out);

/* At least one scanner is open and reading. */
bool scanner_connected(const struct scanner *s);
/* One line for the screen: the device while connected ("Honeywell 0c2e:0b61 (keyboard)"),
 * else why not ("no scanner found: plug one in").
 * status_seq() changes whenever that line does, so the screen knows when to redraw. */
const char *scanner_status_line(const struct scanner *s);
unsigned scanner_status_seq(const struct scanner *s);

/* "len 18, ...6789": how a code appears in logs. out holds at least 24 bytes. */
void scanner_mask(const char *text, char *out, size_t outlen);

#endif
