/*
 * evdev_source.c - a scanner read through its /dev/input/event* node, for setups where the
 * kernel's HID driver must stay bound.
 *
 * The node is grabbed (EVIOCGRAB) so codes do not also type into the console or a desktop.
 * Key events are turned back into boot keyboard reports at every SYN_REPORT and go through the
 * same decoder as USB keyboard mode, so both read a code identically. A node that disappears
 * (unplug) is reopened by path every rescan_ms; /dev/input/by-id/ names survive a replug.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kbd_decoder.h"
#include "keymap.h"
#include "source.h"

/* Linux key codes back to keyboard usages: the inverse of the kernel's hid-input mapping. */
static const uint8_t key_usage[128] = {
    [KEY_A] = 0x04,         [KEY_B] = 0x05,          [KEY_C] = 0x06,
    [KEY_D] = 0x07,         [KEY_E] = 0x08,          [KEY_F] = 0x09,
    [KEY_G] = 0x0A,         [KEY_H] = 0x0B,          [KEY_I] = 0x0C,
    [KEY_J] = 0x0D,         [KEY_K] = 0x0E,          [KEY_L] = 0x0F,
    [KEY_M] = 0x10,         [KEY_N] = 0x11,          [KEY_O] = 0x12,
    [KEY_P] = 0x13,         [KEY_Q] = 0x14,          [KEY_R] = 0x15,
    [KEY_S] = 0x16,         [KEY_T] = 0x17,          [KEY_U] = 0x18,
    [KEY_V] = 0x19,         [KEY_W] = 0x1A,          [KEY_X] = 0x1B,
    [KEY_Y] = 0x1C,         [KEY_Z] = 0x1D,          [KEY_1] = 0x1E,
    [KEY_2] = 0x1F,         [KEY_3] = 0x20,          [KEY_4] = 0x21,
    [KEY_5] = 0x22,         [KEY_6] = 0x23,          [KEY_7] = 0x24,
    [KEY_8] = 0x25,         [KEY_9] = 0x26,          [KEY_0] = 0x27,
    [KEY_ENTER] = 0x28,     [KEY_ESC] = 0x29,        [KEY_BACKSPACE] = 0x2A,
    [KEY_TAB] = 0x2B,       [KEY_SPACE] = 0x2C,      [KEY_MINUS] = 0x2D,
    [KEY_EQUAL] = 0x2E,     [KEY_LEFTBRACE] = 0x2F,  [KEY_RIGHTBRACE] = 0x30,
    [KEY_BACKSLASH] = 0x31, [KEY_SEMICOLON] = 0x33,  [KEY_APOSTROPHE] = 0x34,
    [KEY_GRAVE] = 0x35,     [KEY_COMMA] = 0x36,      [KEY_DOT] = 0x37,
    [KEY_SLASH] = 0x38,     [KEY_CAPSLOCK] = 0x39,   [KEY_F1] = 0x3A,
    [KEY_KPSLASH] = 0x54,   [KEY_KPASTERISK] = 0x55, [KEY_KPMINUS] = 0x56,
    [KEY_KPPLUS] = 0x57,    [KEY_KPENTER] = 0x58,    [KEY_KP1] = 0x59,
    [KEY_KP2] = 0x5A,       [KEY_KP3] = 0x5B,        [KEY_KP4] = 0x5C,
    [KEY_KP5] = 0x5D,       [KEY_KP6] = 0x5E,        [KEY_KP7] = 0x5F,
    [KEY_KP8] = 0x60,       [KEY_KP9] = 0x61,        [KEY_KP0] = 0x62,
    [KEY_KPDOT] = 0x63,     [KEY_102ND] = 0x64,
};

static uint8_t modifier_bit(unsigned code)
{
    switch (code) {
    case KEY_LEFTCTRL: return KEYMOD_LCTRL;
    case KEY_LEFTSHIFT: return KEYMOD_LSHIFT;
    case KEY_LEFTALT: return KEYMOD_LALT;
    case KEY_LEFTMETA: return KEYMOD_LGUI;
    case KEY_RIGHTCTRL: return KEYMOD_RCTRL;
    case KEY_RIGHTSHIFT: return KEYMOD_RSHIFT;
    case KEY_RIGHTALT: return KEYMOD_RALT;
    case KEY_RIGHTMETA: return KEYMOD_RGUI;
    }
    return 0;
}

uint8_t evdev_key_usage(unsigned code)
{
    if (code < sizeof key_usage && key_usage[code])
        return key_usage[code];
    /* Any other key still counts as a key press (it spoils the code), never as nothing. */
    return code && !modifier_bit(code) ? 0x3B /* F2: types no character */ : 0;
}

struct evdev_source {
    const struct source_host *host;
    struct source_tap tap;
    char path[128];
    char name[64];
    int fd;
    int rescan_ms;
    int64_t retry_at;
    bool was_open; /* for the status line: unplugged, rather than never found */
    int warned; /* the last failure reported (errno, or -1 for a failed grab): report changes only
                 */
    uint8_t report[8]; /* the keyboard state as a boot report */
    struct kbd_decoder dec;
};

static void evdev_lost(struct evdev_source *e, const char *why)
{
    kbd_decoder_reset(&e->dec, why);
    memset(e->report, 0, sizeof e->report);
    if (e->fd >= 0)
        close(e->fd);
    e->fd = -1;
    e->retry_at = e->host->now(e->host) + e->rescan_ms;
    e->host->logf(e->host, "%s: %s", e->path, why);
}

static void evdev_try_open(struct evdev_source *e, int64_t now)
{
    e->retry_at = now + e->rescan_ms;
    int fd = open(e->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int why = errno;
        if (e->warned != why)
            e->host->logf(e->host, "%s: %s; trying again every %d ms", e->path, strerror(why),
                          e->rescan_ms);
        e->warned = why;
        return;
    }
    if (ioctl(fd, EVIOCGRAB, 1) != 0) {
        if (e->warned != -1)
            e->host->logf(e->host,
                          "%s: cannot grab (%s): not an input device, or another "
                          "program holds it",
                          e->path, strerror(errno));
        e->warned = -1;
        close(fd);
        return;
    }
    if (ioctl(fd, EVIOCGNAME(sizeof e->name), e->name) < 0)
        snprintf(e->name, sizeof e->name, "input device");
    e->name[sizeof e->name - 1] = '\0';
    e->fd = fd;
    e->was_open = true;
    e->warned = 0;
    memset(e->report, 0, sizeof e->report);
    e->host->logf(e->host, "%s: opened \"%s\" (grabbed)", e->path, e->name);
}

static void key_event(struct evdev_source *e, unsigned code, int value)
{
    uint8_t mod = modifier_bit(code);
    if (value == 2)
        return; /* auto-repeat: the key is only held */
    if (mod) {
        e->report[0] = value ? (uint8_t)(e->report[0] | mod) : (uint8_t)(e->report[0] & ~mod);
        return;
    }
    uint8_t usage = evdev_key_usage(code);
    if (!usage)
        return;
    uint8_t *keys = e->report + 2;
    for (int i = 0; i < KBD_REPORT_KEYS; i++) {
        if (keys[i] == usage) {
            if (!value) {
                memmove(keys + i, keys + i + 1, (size_t)(KBD_REPORT_KEYS - 1 - i));
                keys[KBD_REPORT_KEYS - 1] = 0;
            }
            return;
        }
    }
    for (int i = 0; value && i < KBD_REPORT_KEYS; i++) {
        if (keys[i] == 0) {
            keys[i] = usage;
            return;
        }
    }
}

static int evdev_pollfds(void *src, struct pollfd *fds, int max)
{
    struct evdev_source *e = src;
    if (e->fd < 0 || max < 1)
        return 0;
    fds[0] = (struct pollfd){.fd = e->fd, .events = POLLIN};
    return 1;
}

static int64_t evdev_deadline(void *src)
{
    struct evdev_source *e = src;
    int64_t d = kbd_decoder_deadline(&e->dec);
    if (e->fd < 0 && (d < 0 || e->retry_at < d))
        d = e->retry_at;
    return d;
}

static enum scanner_status evdev_process(void *src, const struct pollfd *fds, int nfds, int64_t now)
{
    struct evdev_source *e = src;
    if (e->fd < 0) {
        if (now >= e->retry_at)
            evdev_try_open(e, now);
        kbd_decoder_tick(&e->dec, now);
        return SCANNER_OK;
    }
    bool ready = false;
    for (int i = 0; i < nfds; i++) {
        if (fds[i].fd == e->fd && fds[i].revents)
            ready = true;
    }
    while (ready) {
        struct input_event evs[64];
        ssize_t n = read(e->fd, evs, sizeof evs);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            break;
        if (n <= 0) {
            evdev_lost(e, n < 0 && errno != ENODEV ? strerror(errno) : "scanner unplugged");
            return SCANNER_OK;
        }
        for (size_t i = 0; i < (size_t)n / sizeof evs[0]; i++) {
            const struct input_event *ev = &evs[i];
            if (ev->type == EV_KEY) {
                key_event(e, ev->code, ev->value);
            } else if (ev->type == EV_SYN && ev->code == SYN_REPORT) {
                kbd_decoder_report(&e->dec, e->report, sizeof e->report, now);
            } else if (ev->type == EV_SYN && ev->code == SYN_DROPPED) {
                /* The kernel's buffer overflowed: keys were lost, so no code in flight is whole. */
                kbd_decoder_reset(&e->dec, "input events lost (SYN_DROPPED)");
                memset(e->report, 0, sizeof e->report);
            }
        }
    }
    kbd_decoder_tick(&e->dec, now);
    return SCANNER_OK;
}

static bool evdev_connected(const void *src)
{
    return ((const struct evdev_source *)src)->fd >= 0;
}

static void evdev_describe(const void *src, char *buf, size_t len)
{
    const struct evdev_source *e = src;
    if (e->fd >= 0)
        snprintf(buf, len, "%.40s (evdev)", e->name);
    else if (e->was_open)
        snprintf(buf, len, "scanner at %.60s unplugged: plug it back in", e->path);
    else
        snprintf(buf, len, "no scanner at %.60s: plug it in", e->path);
}

static void evdev_close(void *src)
{
    struct evdev_source *e = src;
    if (e->fd >= 0) {
        ioctl(e->fd, EVIOCGRAB, 0);
        close(e->fd);
    }
    free(e);
}

static const struct source_ops evdev_ops = {
    .pollfds = evdev_pollfds,
    .deadline = evdev_deadline,
    .process = evdev_process,
    .connected = evdev_connected,
    .describe = evdev_describe,
    .close = evdev_close,
};

enum scanner_status evdev_source_open(void **out, const struct source_ops **ops,
                                      const struct source_host *host,
                                      const struct scanner_config *cfg, char *err, size_t errlen)
{
    struct evdev_source *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(err, errlen, "scanner: out of memory");
        return SCANNER_ERR_NOMEM;
    }
    e->host = host;
    e->fd = -1;
    e->rescan_ms = cfg->rescan_ms;
    snprintf(e->path, sizeof e->path, "%s", cfg->evdev_path);
    e->tap.host = host;
    snprintf(e->tap.name, sizeof e->tap.name, "evdev %.24s", cfg->evdev_path);
    kbd_decoder_init(&e->dec, cfg->layout, cfg->suffix, cfg->gap_ms, cfg->max_len,
                     e->host->candidate, &e->tap);
    evdev_try_open(e, 0);
    *out = e;
    *ops = &evdev_ops;
    return SCANNER_OK;
}
