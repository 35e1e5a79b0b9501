/*
 * printer_gadget.c - the printer's side of the USB printer VM test: runs inside the VM on the
 * kernel's printer gadget (usb_f_printer), keeps every byte the host prints, and plays the
 * printer's condition as the test tells it.
 *
 *   printer-gadget DEVICE OUT CONTROL      (DEVICE: /dev/g_printer0, CONTROL: a FIFO)
 *
 * The printer may be plugged in (the gadget bound to the UDC) before or after this starts, and
 * unplugged and plugged back in while it runs: DEVICE exists only while the gadget is bound and
 * opens only once the host has configured it, so it is opened whenever it can be, closed when
 * its node goes away (unplugged: "UNPLUGGED"), and opened again when it is back ("PLUGGED").
 * Bytes read from DEVICE are appended to OUT. A line on CONTROL sets the condition: "ready",
 * "paper-out", "cover-open", "offline"; "quit" ends. The condition is shown to the host two
 * ways, as a real USB receipt printer does: the USB printer class GET_PORT_STATUS byte (set
 * with the gadget's GADGET_SET_PRINTER_STATUS ioctl; bits from <linux/usb/g_printer.h>), and
 * the ESC/POS answers to DLE EOT n, written back on the bulk IN pipe (Epson's table: bits 1
 * and 4 always on; n=1 bit 3 offline; n=2 bit 2 cover, bit 5 paper-end stop, bit 6 error;
 * n=4 bits 5-6 paper out). Prints "STATUS 0xNN <condition>" after each change and
 * "ANSWER n 0xNN" per status request answered.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/usb/g_printer.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

enum condition { READY, PAPER_OUT, COVER_OPEN, OFFLINE };
static const char *const condition_names[] = {"ready", "paper-out", "cover-open", "offline"};

/* GET_PORT_STATUS: Selected and Not Error when ready; paper empty sets Paper Empty and
 * clears Not Error, as usblp and the USB printer class read it. */
static unsigned char port_status(enum condition c)
{
    switch (c) {
    case READY: return PRINTER_SELECTED | PRINTER_NOT_ERROR;
    case PAPER_OUT: return PRINTER_SELECTED | PRINTER_PAPER_EMPTY;
    case COVER_OPEN: return PRINTER_SELECTED;
    case OFFLINE: return 0;
    }
    return 0;
}

static unsigned char escpos_answer(enum condition c, int n)
{
    unsigned char b = 0x12;
    switch (n) {
    case 1: return b | (c != READY ? 0x08 : 0);
    case 2:
        return b | (c == COVER_OPEN ? 0x04 : 0) | (c == PAPER_OUT ? 0x20 : 0) |
               (c == OFFLINE ? 0x40 : 0);
    case 4: return b | (c == PAPER_OUT ? 0x60 : 0);
    default: return b;
    }
}

static bool set_condition(int dev, enum condition c)
{
    if (ioctl(dev, GADGET_SET_PRINTER_STATUS, (unsigned long)port_status(c)) < 0) {
        fprintf(stderr, "printer-gadget: GADGET_SET_PRINTER_STATUS: %s\n", strerror(errno));
        return false;
    }
    printf("STATUS 0x%02x %s\n", port_status(c), condition_names[c]);
    return true;
}

static void pause_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The node as it is now: open (and the condition shown), or -1 while it is absent or the host
 * has not configured the gadget yet (both are waited for); -2 on any other error. */
static int plug_in(const char *path, enum condition cond)
{
    int dev = open(path, O_RDWR | O_NONBLOCK);
    if (dev < 0)
        return errno == ENOENT || errno == ENODEV ? -1 : -2;
    printf("PLUGGED\n");
    if (!set_condition(dev, cond)) {
        close(dev); /* unconfigured again already: the next attempt tells */
        return -1;
    }
    return dev;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: printer-gadget DEVICE OUT CONTROL\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    int out = open(argv[2], O_WRONLY | O_CREAT | O_APPEND, 0644);
    /* read-write, so the FIFO never reads as ended between two writers */
    int ctl = open(argv[3], O_RDWR | O_NONBLOCK);
    if (out < 0 || ctl < 0) {
        fprintf(stderr, "printer-gadget: cannot open %s or %s: %s\n", argv[2], argv[3],
                strerror(errno));
        return 2;
    }
    enum condition cond = READY;
    int dev = -1;

    unsigned char tail[2];
    size_t tail_len = 0;
    char line[64];
    size_t line_len = 0;
    for (;;) {
        if (dev < 0) {
            dev = plug_in(argv[1], cond);
            if (dev == -2) {
                fprintf(stderr, "printer-gadget: cannot open %s: %s\n", argv[1], strerror(errno));
                return 2;
            }
            tail_len = 0;
        }
        /* poll ignores a negative descriptor: while unplugged only CONTROL is watched */
        struct pollfd fds[2] = {{dev, POLLIN, 0}, {ctl, POLLIN, 0}};
        if (poll(fds, 2, dev < 0 ? 100 : 1000) < 0 && errno != EINTR)
            return 1;
        if (fds[1].revents & POLLIN) {
            char buf[64];
            ssize_t n = read(ctl, buf, sizeof buf);
            for (ssize_t i = 0; i < n; i++) {
                if (buf[i] != '\n') {
                    if (line_len < sizeof line - 1)
                        line[line_len++] = buf[i];
                    continue;
                }
                line[line_len] = '\0';
                line_len = 0;
                if (strcmp(line, "quit") == 0)
                    return 0;
                bool known = false;
                for (int c = READY; c <= OFFLINE; c++)
                    if (strcmp(line, condition_names[c]) == 0) {
                        cond = (enum condition)c;
                        known = dev >= 0 ? set_condition(dev, cond)
                                         : printf("CONDITION %s when plugged in\n", line) > 0;
                    }
                if (!known)
                    fprintf(stderr, "printer-gadget: unknown command '%s'\n", line);
            }
        }
        if (dev < 0)
            continue;
        /* Not configured: the host resetting the device for a moment, or the gadget unbound
         * from the UDC (unplugged), which removes the node; only then is it closed, so that
         * the open file does not outlive the binding it belongs to. */
        bool broken = fds[0].revents & (POLLERR | POLLHUP);
        unsigned char buf[4096 + 2];
        ssize_t n = 0;
        if (!broken && (fds[0].revents & POLLIN)) {
            memcpy(buf, tail, tail_len);
            n = read(dev, buf + tail_len, 4096);
            broken = n < 0 && errno != EAGAIN && errno != EINTR;
        }
        if (broken) {
            if (access(argv[1], F_OK) != 0) {
                close(dev);
                dev = -1;
                printf("UNPLUGGED\n");
            } else {
                pause_ms(50);
            }
            continue;
        }
        if (n <= 0)
            continue;
        if (write(out, buf + tail_len, (size_t)n) != n) {
            fprintf(stderr, "printer-gadget: cannot write %s\n", argv[2]);
            return 1;
        }
        /* DLE EOT n wherever it appears, as the printer's firmware reacts to it; the last two
         * bytes of the previous read go in front so that a request split by a read counts */
        size_t total = tail_len + (size_t)n;
        for (size_t i = 0; i + 2 < total; i++) {
            if (buf[i] == 0x10 && buf[i + 1] == 0x04 && buf[i + 2] >= 1 && buf[i + 2] <= 4) {
                unsigned char b = escpos_answer(cond, buf[i + 2]);
                if (write(dev, &b, 1) == 1)
                    printf("ANSWER %d 0x%02x\n", buf[i + 2], b);
                else
                    printf("ANSWER %d lost: %s\n", buf[i + 2], strerror(errno));
            }
        }
        tail_len = total < 2 ? total : 2;
        memmove(tail, buf + total - tail_len, tail_len);
    }
}
