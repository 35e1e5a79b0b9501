/*
 * test_scanner_sources.c - the whole scanner object through the sources that need no USB:
 * lines on a pipe (stdin source) and an evdev path that is missing. libusb is never started
 * here (it spins under qemu-user); USB is covered by the VM test.
 *
 * argv[1]: the udev rules file, checked against the known-device table.
 */
#include <fcntl.h>
#include <linux/input.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "known_devices.h"
#include "scanner.h"
#include "source.h"

static char logbuf[8192];

static void log_line(void *ctx, const char *line)
{
    (void)ctx;
    strncat(logbuf, line, sizeof logbuf - strlen(logbuf) - 2);
    strcat(logbuf, "\n");
}

/* One loop turn as the event loop does it. */
static void turn(struct scanner *s, int64_t now)
{
    struct pollfd fds[8];
    int64_t timeout = -1;
    int n = scanner_pollfds(s, fds, 8, &timeout);
    CHECK(poll(fds, (nfds_t)n, 0) >= 0);
    CHECK_EQ_INT(scanner_process(s, fds, n, now), SCANNER_OK);
}

static void lines_on_a_pipe(void)
{
    struct scanner_config cfg;
    struct scanner *s;
    struct scan_code c;
    char err[128];
    int p[2];
    CHECK(pipe(p) == 0);
    scanner_config_defaults(&cfg);
    cfg.kind = SCANNER_STDIN;
    cfg.stdin_fd = p[0];
    cfg.log = log_line;
    logbuf[0] = '\0';
    CHECK_EQ_INT(scanner_open(&s, &cfg, err, sizeof err), SCANNER_OK);
    CHECK(scanner_connected(s));
    unsigned seq = scanner_status_seq(s);

    const char *input = "134567890123456789\n"
                        "134567890123456789\r\n" /* same code again: one scan */
                        "281234567890123456\n"
                        "12\n" /* too short */
                        "\n"   /* empty line: nothing */
                        "2812345\x01"
                        "67890\n" /* control character */
                        "]C0251234567890123456\n";
    CHECK(write(p[1], input, strlen(input)) == (ssize_t)strlen(input));
    char longline[400];
    memset(longline, '9', sizeof longline);
    longline[sizeof longline - 1] = '\n';
    CHECK(write(p[1], longline, sizeof longline) == (ssize_t)sizeof longline);
    CHECK(write(p[1], "301234567890123456\n", 19) == 19);
    for (int i = 0; i < 4; i++)
        turn(s, 1000 + i);

    const char *want[] = {"134567890123456789", "281234567890123456", "251234567890123456",
                          "301234567890123456"};
    for (int i = 0; i < 4; i++) {
        CHECK(scanner_next_code(s, &c));
        CHECK_EQ_STR(c.text, want[i]);
        CHECK_EQ_STR(c.source, "stdin");
    }
    CHECK_EQ_STR(c.symbology, "");
    CHECK(!scanner_next_code(s, &c));
    /* Logs say why each was dropped, and never hold a code in full. */
    CHECK(strstr(logbuf, "same code again") != NULL);
    CHECK(strstr(logbuf, "too short") != NULL);
    CHECK(strstr(logbuf, "non-printable") != NULL);
    CHECK(strstr(logbuf, "too long") != NULL);
    CHECK(strstr(logbuf, "len 18, ...6789") != NULL);
    CHECK(strstr(logbuf, "134567890123456789") == NULL);
    CHECK(strstr(logbuf, "2812345") == NULL);

    /* The writer goes away: the source says so and stops polling. */
    close(p[1]);
    turn(s, 2000);
    CHECK(!scanner_connected(s));
    CHECK(scanner_status_seq(s) != seq);
    CHECK(strstr(scanner_status_line(s), "closed") != NULL);
    struct pollfd fds[4];
    int64_t timeout = -1;
    CHECK_EQ_INT(scanner_pollfds(s, fds, 4, &timeout), 0);
    CHECK_EQ_INT(timeout, -1);
    scanner_close(s);
    close(p[0]);
}

static void queue_keeps_the_newest(void)
{
    struct scanner_config cfg;
    struct scanner *s;
    struct scan_code c;
    char err[128];
    int p[2];
    CHECK(pipe(p) == 0);
    scanner_config_defaults(&cfg);
    cfg.kind = SCANNER_STDIN;
    cfg.stdin_fd = p[0];
    cfg.log = log_line;
    CHECK_EQ_INT(scanner_open(&s, &cfg, err, sizeof err), SCANNER_OK);
    for (int i = 0; i < 10; i++) {
        char line[32];
        int n = snprintf(line, sizeof line, "1345678901234567%02d\n", i);
        CHECK(write(p[1], line, (size_t)n) == n);
    }
    turn(s, 0);
    int got = 0;
    while (scanner_next_code(s, &c))
        got++;
    CHECK_EQ_INT(got, 8);
    CHECK_EQ_STR(c.text, "134567890123456709");
    scanner_close(s);
    close(p[0]);
    close(p[1]);
}

static void evdev_node_missing_then_not_grabbable(void)
{
    struct scanner_config cfg;
    struct scanner *s;
    char err[128], dir[] = "/tmp/posterm-scanner-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    scanner_config_defaults(&cfg);
    cfg.kind = SCANNER_EVDEV;
    cfg.log = log_line;
    cfg.rescan_ms = 500;
    snprintf(cfg.evdev_path, sizeof cfg.evdev_path, "%s/event-scanner", dir);
    logbuf[0] = '\0';
    CHECK_EQ_INT(scanner_open(&s, &cfg, err, sizeof err), SCANNER_OK);
    CHECK(!scanner_connected(s));
    CHECK(strstr(scanner_status_line(s), "plug it in") != NULL);
    turn(s, 10000);
    /* Asked again every rescan_ms, not more often, and reported once. */
    struct pollfd fds[4];
    int64_t timeout = -1;
    CHECK_EQ_INT(scanner_pollfds(s, fds, 4, &timeout), 0);
    CHECK_EQ_INT(timeout, 500);
    /* Something that is there but is no input device (a FIFO): cannot be grabbed. */
    CHECK(mkfifo(cfg.evdev_path, 0600) == 0);
    int keep = open(cfg.evdev_path, O_RDWR | O_NONBLOCK);
    turn(s, 10500);
    CHECK(!scanner_connected(s));
    CHECK(strstr(logbuf, "cannot grab") != NULL);
    scanner_close(s);
    close(keep);
    unlink(cfg.evdev_path);
    rmdir(dir);
}

static void config_errors(void)
{
    struct scanner_config cfg;
    struct scanner *s = (struct scanner *)&cfg;
    char err[128];
    scanner_config_defaults(&cfg);
    cfg.kind = SCANNER_STDIN;
    cfg.max_len = SCAN_CODE_MAX + 1;
    CHECK_EQ_INT(scanner_open(&s, &cfg, err, sizeof err), SCANNER_ERR_CONFIG);
    CHECK(s == NULL);
    CHECK(strstr(err, "max_len") != NULL);
    scanner_config_defaults(&cfg);
    cfg.kind = SCANNER_EVDEV;
    CHECK_EQ_INT(scanner_open(&s, &cfg, err, sizeof err), SCANNER_ERR_CONFIG);
    CHECK(strstr(err, "evdev_path") != NULL);
    scanner_config_defaults(&cfg);
    cfg.gap_ms = 0;
    CHECK_EQ_INT(scanner_open(&s, &cfg, err, sizeof err), SCANNER_ERR_CONFIG);
    scanner_config_defaults(&cfg);
    cfg.layout = (enum scan_layout)7;
    CHECK_EQ_INT(scanner_open(&s, &cfg, err, sizeof err), SCANNER_ERR_CONFIG);
}

static void masking(void)
{
    char out[48];
    scanner_mask("134567890123456789", out, sizeof out);
    CHECK_EQ_STR(out, "len 18, ...6789");
    scanner_mask("12", out, sizeof out);
    CHECK_EQ_STR(out, "len 2, ...12");
}

static void evdev_keys_map_to_usages(void)
{
    CHECK_EQ_INT(evdev_key_usage(KEY_1), 0x1E);
    CHECK_EQ_INT(evdev_key_usage(KEY_0), 0x27);
    CHECK_EQ_INT(evdev_key_usage(KEY_A), 0x04);
    CHECK_EQ_INT(evdev_key_usage(KEY_Q), 0x14);
    CHECK_EQ_INT(evdev_key_usage(KEY_Z), 0x1D);
    CHECK_EQ_INT(evdev_key_usage(KEY_ENTER), 0x28);
    CHECK_EQ_INT(evdev_key_usage(KEY_KPENTER), 0x58);
    CHECK_EQ_INT(evdev_key_usage(KEY_TAB), 0x2B);
    CHECK_EQ_INT(evdev_key_usage(KEY_KP0), 0x62);
    CHECK_EQ_INT(evdev_key_usage(KEY_LEFTSHIFT), 0);
    CHECK(evdev_key_usage(KEY_F12) != 0); /* unknown keys still spoil a code */
}

static void udev_rules_cover_every_known_vendor(const char *path)
{
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (!f)
        return;
    static char rules[16384];
    size_t n = fread(rules, 1, sizeof rules - 1, f);
    rules[n] = '\0';
    fclose(f);
    for (size_t i = 0; i < known_devices_count; i++) {
        char want[64];
        snprintf(want, sizeof want, "ATTR{idVendor}==\"%04x\"", known_devices[i].vid);
        if (!strstr(rules, want))
            fprintf(stderr, "no udev rule for vendor %04x\n", known_devices[i].vid);
        CHECK(strstr(rules, want) != NULL);
    }
    CHECK(known_device_find(0x0c2e, 0x0b61) != NULL);
    CHECK(known_device_find(0x1eab, 0x1310) != NULL);
    CHECK(known_device_find(0x04b4, 0x0100) != NULL);
    CHECK(known_device_find(0x04b4, 0x1234) == NULL); /* a Cypress chip that is not a scanner */
    CHECK(known_device_find(0x046d, 0xc31c) == NULL); /* a Logitech keyboard */
    CHECK(known_product_name("USB Barcode Scanner"));
    CHECK(known_product_name("2D SCANNER"));
    CHECK(known_product_name("Bar Code Reader"));
    CHECK(!known_product_name("USB Keyboard"));
    CHECK(!known_product_name("Smart Card Reader"));
    CHECK(!known_product_name(""));
}

int main(int argc, char **argv)
{
    lines_on_a_pipe();
    queue_keeps_the_newest();
    evdev_node_missing_then_not_grabbable();
    config_errors();
    masking();
    evdev_keys_map_to_usages();
    CHECK(argc > 1);
    if (argc > 1)
        udev_rules_cover_every_known_vendor(argv[1]);
    return check_done();
}
