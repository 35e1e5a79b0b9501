/*
 * usb_source.c - USB scanners through libusb, in HID keyboard mode and in HID POS mode.
 *
 * Finds scanners by configured VID[:PID], by the known-vendor table, or (for a device in no
 * table) by a product string that says "barcode" or "scanner"; detaches the kernel's
 * HID driver (so a code does not also type into the console), claims the interface and keeps
 * one interrupt IN transfer queued on it. Everything runs from the caller's poll(): libusb's
 * own descriptors are handed out and events handled with a zero timeout, so nothing here
 * blocks except the few control requests made once while opening a device.
 *
 * Hot-plug: libusb's hot-plug callback (where the platform has it) only asks for a rescan;
 * without it, or while no scanner is open, the bus is rescanned every rescan_ms, with a fresh
 * libusb context when nothing is open (see usb_process). A device that goes away (its
 * transfer fails) is closed, and found again when it returns.
 */
#include <libusb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hidpos.h"
#include "kbd_decoder.h"
#include "known_devices.h"
#include "source.h"

#define MAX_DEVICES        4
#define MAX_IFACES         2
#define MAX_WARNED         16
#define MAX_NOT_SCANNERS   32
#define CONTROL_TIMEOUT_MS 1000

#define HID_CLASS             3
#define HID_SUBCLASS_BOOT     1
#define HID_PROTOCOL_KEYBOARD 1
#define HID_DESCRIPTOR_TYPE   0x21
#define HID_REPORT_DESCRIPTOR 0x22
#define HID_SET_IDLE          0x0A
#define HID_SET_PROTOCOL      0x0B

struct usb_dev;

struct usb_iface {
    struct usb_dev *dev;
    int number;
    uint8_t endpoint;
    int read_len;
    bool hidpos;
    struct hidpos_layout layout;
    struct kbd_decoder kbd;
    struct hidpos_assembler pos;
    struct source_tap tap;
    struct libusb_transfer *xfer;
    bool in_flight;
    unsigned char buf[HIDPOS_REPORT_MAX];
};

struct usb_dev {
    struct usb_source *src;
    libusb_device_handle *handle;
    uint8_t bus, port_path[8];
    int port_depth;
    uint16_t vid, pid;
    char name[48];
    struct usb_iface ifaces[MAX_IFACES];
    int nifaces;
    bool gone;
    const char *gone_why;
};

struct usb_source {
    const struct source_host *host;
    struct scanner_config cfg;
    libusb_context *ctx;
    struct usb_dev *devs[MAX_DEVICES];
    int ndevs;
    bool hotplug;
    libusb_hotplug_callback_handle hotplug_handle;
    bool rescan_now;
    bool init_failed; /* the last fresh context could not be made (reported once) */
    int64_t next_scan;
    char last_name[48];          /* the last scanner seen, for "unplugged" on the screen */
    uint32_t warned[MAX_WARNED]; /* devices already reported as unusable (bus << 8 | address) */
    int nwarned;
    uint32_t not_scanners[MAX_NOT_SCANNERS]; /* unknown devices whose name says no (ring) */
    int next_not_scanner;
};

static bool already_warned(struct usb_source *u, uint32_t key)
{
    for (int i = 0; i < u->nwarned; i++) {
        if (u->warned[i] == key)
            return true;
    }
    if (u->nwarned < MAX_WARNED)
        u->warned[u->nwarned++] = key;
    return false;
}

static void on_transfer(struct libusb_transfer *xfer)
{
    struct usb_iface *f = xfer->user_data;
    struct usb_dev *d = f->dev;
    int64_t now = d->src->host->now(d->src->host);
    f->in_flight = false;
    switch (xfer->status) {
    case LIBUSB_TRANSFER_COMPLETED:
        if (f->hidpos)
            hidpos_assembler_report(&f->pos, &f->layout, xfer->buffer, (size_t)xfer->actual_length,
                                    now);
        else
            kbd_decoder_report(&f->kbd, xfer->buffer, (size_t)xfer->actual_length, now);
        break;
    case LIBUSB_TRANSFER_TIMED_OUT: break;
    case LIBUSB_TRANSFER_OVERFLOW:
        d->src->host->logf(d->src->host, "%s: report longer than expected, ignored", d->name);
        break;
    case LIBUSB_TRANSFER_CANCELLED: return;
    case LIBUSB_TRANSFER_NO_DEVICE:
        d->gone = true;
        d->gone_why = "scanner unplugged";
        return;
    default:
        d->gone = true;
        d->gone_why = xfer->status == LIBUSB_TRANSFER_STALL ? "endpoint stalled"
                                                            : "read failed (cable pulled?)";
        return;
    }
    if (d->gone)
        return;
    int rc = libusb_submit_transfer(xfer);
    if (rc == 0) {
        f->in_flight = true;
    } else {
        d->gone = true;
        d->gone_why = rc == LIBUSB_ERROR_NO_DEVICE ? "scanner unplugged" : libusb_strerror(rc);
    }
}

static void device_free(struct usb_source *u, struct usb_dev *d)
{
    /* Transfers still queued must come back (cancelled) before their memory goes. */
    for (int i = 0; i < d->nifaces; i++) {
        if (d->ifaces[i].in_flight)
            libusb_cancel_transfer(d->ifaces[i].xfer);
    }
    for (int spins = 0; spins < 100; spins++) {
        bool pending = false;
        for (int i = 0; i < d->nifaces; i++)
            pending |= d->ifaces[i].in_flight;
        if (!pending)
            break;
        struct timeval tv = {0, 10000};
        libusb_handle_events_timeout_completed(u->ctx, &tv, NULL);
    }
    for (int i = 0; i < d->nifaces; i++) {
        struct usb_iface *f = &d->ifaces[i];
        if (f->hidpos)
            hidpos_assembler_reset(&f->pos, d->gone_why ? d->gone_why : "scanner closed");
        else
            kbd_decoder_reset(&f->kbd, d->gone_why ? d->gone_why : "scanner closed");
        if (!f->in_flight && f->xfer)
            libusb_free_transfer(f->xfer);
        /* The kernel driver comes back (auto-detach); on a device already gone this fails
         * harmlessly. */
        libusb_release_interface(d->handle, f->number);
    }
    libusb_close(d->handle);
    free(d);
}

enum candidate { NOT_WANTED, WANTED, ASK_ITS_NAME };

static enum candidate candidate(const struct usb_source *u,
                                const struct libusb_device_descriptor *dd)
{
    if (u->cfg.vid)
        return dd->idVendor == u->cfg.vid && (u->cfg.pid == 0 || dd->idProduct == u->cfg.pid)
                   ? WANTED
                   : NOT_WANTED;
    if (known_device_find(dd->idVendor, dd->idProduct))
        return WANTED;
    /* Hubs, printers, storage and the like declare their class on the device; HID devices
     * (and composites) leave it to the interfaces. */
    if (dd->bDeviceClass != LIBUSB_CLASS_PER_INTERFACE || dd->iProduct == 0)
        return NOT_WANTED;
    return ASK_ITS_NAME;
}

static bool is_not_scanner(const struct usb_source *u, uint32_t key)
{
    for (int i = 0; i < MAX_NOT_SCANNERS; i++) {
        if (u->not_scanners[i] == key)
            return true;
    }
    return false;
}

static bool same_device(const struct usb_dev *d, libusb_device *dev)
{
    uint8_t path[8];
    int n = libusb_get_port_numbers(dev, path, sizeof path);
    return d->bus == libusb_get_bus_number(dev) && n == d->port_depth &&
           memcmp(path, d->port_path, (size_t)n) == 0;
}

/* Length of the report descriptor from the HID class descriptor that follows the interface. */
static int report_descriptor_length(const struct libusb_interface_descriptor *alt)
{
    const unsigned char *x = alt->extra;
    int left = alt->extra_length;
    while (left >= 2 && x[0] >= 2 && x[0] <= left) {
        if (x[1] == HID_DESCRIPTOR_TYPE && x[0] >= 9) {
            for (int k = 0; 6 + 3 * k + 2 < x[0] && k < x[5]; k++) {
                if (x[6 + 3 * k] == HID_REPORT_DESCRIPTOR)
                    return x[7 + 3 * k] | x[8 + 3 * k] << 8;
            }
        }
        left -= x[0];
        x += x[0];
    }
    return HIDPOS_DESCRIPTOR_MAX;
}

static uint8_t interrupt_in(const struct libusb_interface_descriptor *alt, int *packet)
{
    for (int e = 0; e < alt->bNumEndpoints; e++) {
        const struct libusb_endpoint_descriptor *ep = &alt->endpoint[e];
        if ((ep->bEndpointAddress & LIBUSB_ENDPOINT_IN) &&
            (ep->bmAttributes & 3) == LIBUSB_TRANSFER_TYPE_INTERRUPT) {
            *packet = ep->wMaxPacketSize & 0x7FF;
            return ep->bEndpointAddress;
        }
    }
    return 0;
}

/* Claims interface alt if it is a scanner interface this source reads; fills f. */
static bool take_interface(struct usb_source *u, struct usb_dev *d,
                           const struct libusb_interface_descriptor *alt, struct usb_iface *f)
{
    int packet = 0;
    uint8_t ep = interrupt_in(alt, &packet);
    if (alt->bInterfaceClass != HID_CLASS || ep == 0 || packet == 0)
        return false;
    bool keyboard = alt->bInterfaceSubClass == HID_SUBCLASS_BOOT &&
                    alt->bInterfaceProtocol == HID_PROTOCOL_KEYBOARD;
    if (keyboard && u->cfg.kind == SCANNER_HIDPOS)
        return false;
    if (!keyboard && u->cfg.kind == SCANNER_USB_KEYBOARD)
        return false;

    int n = alt->bInterfaceNumber;
    int rc = libusb_claim_interface(d->handle, n);
    if (rc != 0) {
        if (!already_warned(u, (uint32_t)d->bus << 16 | (uint32_t)n << 8 | d->port_depth))
            u->host->logf(u->host, "%s: cannot claim interface %d: %s%s", d->name, n,
                          libusb_strerror(rc),
                          rc == LIBUSB_ERROR_BUSY ? " (another program holds it)" : "");
        return false;
    }
    memset(f, 0, sizeof *f);
    f->dev = d;
    f->number = n;
    f->endpoint = ep;
    f->tap.host = u->host;
    if (keyboard) {
        /* Boot protocol guarantees the 8-byte report; some devices stall these: no matter. */
        libusb_control_transfer(d->handle, 0x21, HID_SET_PROTOCOL, 0, (uint16_t)n, NULL, 0,
                                CONTROL_TIMEOUT_MS);
        libusb_control_transfer(d->handle, 0x21, HID_SET_IDLE, 0, (uint16_t)n, NULL, 0,
                                CONTROL_TIMEOUT_MS);
        /* A whole packet: a device that sends more than 8 bytes must not overflow the read. */
        f->read_len = packet < (int)sizeof f->buf ? packet : (int)sizeof f->buf;
        kbd_decoder_init(&f->kbd, u->cfg.layout, u->cfg.suffix, u->cfg.gap_ms, u->cfg.max_len,
                         u->host->candidate, &f->tap);
        snprintf(f->tap.name, sizeof f->tap.name, "usb %04x:%04x", d->vid, d->pid);
        return true;
    }
    unsigned char desc[HIDPOS_DESCRIPTOR_MAX];
    int want = report_descriptor_length(alt);
    if (want > (int)sizeof desc)
        want = (int)sizeof desc;
    int got = libusb_control_transfer(d->handle, 0x81, LIBUSB_REQUEST_GET_DESCRIPTOR,
                                      HID_REPORT_DESCRIPTOR << 8, (uint16_t)n, desc, (uint16_t)want,
                                      CONTROL_TIMEOUT_MS);
    enum hidpos_parse_status ps =
        got > 0 ? hidpos_parse_descriptor(desc, (size_t)got, &f->layout) : HIDPOS_PARSE_MALFORMED;
    if (ps != HIDPOS_PARSE_OK) {
        if (ps == HIDPOS_PARSE_MALFORMED &&
            !already_warned(u, (uint32_t)d->bus << 16 | (uint32_t)n << 8 | 0x80))
            u->host->logf(u->host, "%s: interface %d: report descriptor unreadable (%s)", d->name,
                          n, got < 0 ? libusb_strerror(got) : "malformed");
        libusb_release_interface(d->handle, n);
        return false;
    }
    f->hidpos = true;
    /* One transfer per report: a report spans packets only when it is longer than one, and
     * asking for more than that would merge two full-size reports. */
    f->read_len = (int)f->layout.report_bytes > packet ? (int)f->layout.report_bytes : packet;
    if (f->read_len > (int)sizeof f->buf)
        f->read_len = (int)sizeof f->buf;
    hidpos_assembler_init(&f->pos, u->cfg.gap_ms, u->cfg.max_len, u->host->candidate, &f->tap);
    snprintf(f->tap.name, sizeof f->tap.name, "hidpos %04x:%04x", d->vid, d->pid);
    return true;
}

/* by_name: a device from no table, taken only if its product string says it is a scanner
 * (as Odoo's IoT box does); it is opened quietly and remembered when it is not one. */
static void open_device(struct usb_source *u, libusb_device *dev,
                        const struct libusb_device_descriptor *dd, bool by_name)
{
    uint32_t key = (uint32_t)libusb_get_bus_number(dev) << 8 | libusb_get_device_address(dev);
    libusb_device_handle *h;
    char product[64] = "";
    if (by_name && is_not_scanner(u, key))
        return;
    int rc = libusb_open(dev, &h);
    if (rc == 0 && dd->iProduct &&
        libusb_get_string_descriptor_ascii(h, dd->iProduct, (unsigned char *)product,
                                           sizeof product) < 0)
        product[0] = '\0';
    if (by_name && (rc != 0 || !known_product_name(product))) {
        if (rc == 0)
            libusb_close(h);
        u->not_scanners[u->next_not_scanner] = key;
        u->next_not_scanner = (u->next_not_scanner + 1) % MAX_NOT_SCANNERS;
        return;
    }
    if (rc != 0) {
        if (!already_warned(u, key))
            u->host->logf(u->host, "usb %04x:%04x: cannot open: %s%s", dd->idVendor, dd->idProduct,
                          libusb_strerror(rc),
                          rc == LIBUSB_ERROR_ACCESS ? " (install 99-posterm-scanner.rules)" : "");
        return;
    }
    struct usb_dev *d = calloc(1, sizeof *d);
    struct libusb_config_descriptor *conf = NULL;
    if (!d || libusb_get_active_config_descriptor(dev, &conf) != 0) {
        free(d);
        libusb_close(h);
        return;
    }
    d->src = u;
    d->handle = h;
    d->bus = libusb_get_bus_number(dev);
    d->port_depth = libusb_get_port_numbers(dev, d->port_path, sizeof d->port_path);
    d->vid = dd->idVendor;
    d->pid = dd->idProduct;
    const struct known_device *k = known_device_find(d->vid, d->pid);
    snprintf(d->name, sizeof d->name, "%.30s %04x:%04x",
             k            ? k->name
             : product[0] ? product
                          : "scanner",
             d->vid, d->pid);
    libusb_set_auto_detach_kernel_driver(h, 1);

    for (int i = 0; i < conf->bNumInterfaces && d->nifaces < MAX_IFACES; i++) {
        if (conf->interface[i].num_altsetting < 1)
            continue;
        struct usb_iface *f = &d->ifaces[d->nifaces];
        if (take_interface(u, d, &conf->interface[i].altsetting[0], f))
            d->nifaces++;
    }
    libusb_free_config_descriptor(conf);

    for (int i = 0; i < d->nifaces; i++) {
        struct usb_iface *f = &d->ifaces[i];
        f->xfer = libusb_alloc_transfer(0);
        if (!f->xfer) {
            d->gone = true;
            d->gone_why = "out of memory";
            break;
        }
        libusb_fill_interrupt_transfer(f->xfer, h, f->endpoint, f->buf, f->read_len, on_transfer, f,
                                       0);
        rc = libusb_submit_transfer(f->xfer);
        if (rc != 0) {
            u->host->logf(u->host, "%s: cannot read: %s", d->name, libusb_strerror(rc));
            d->gone = true;
            d->gone_why = libusb_strerror(rc);
            break;
        }
        f->in_flight = true;
    }
    if (d->nifaces == 0 || d->gone) {
        device_free(u, d);
        return;
    }
    u->devs[u->ndevs++] = d;
    snprintf(u->last_name, sizeof u->last_name, "%s", d->name);
    u->nwarned = 0;
    u->host->logf(u->host, "%s: reading (%s)", d->name,
                  d->ifaces[0].hidpos ? "HID POS" : "keyboard mode");
}

static void rescan(struct usb_source *u)
{
    libusb_device **list;
    ssize_t n = libusb_get_device_list(u->ctx, &list);
    if (n < 0) {
        u->host->logf(u->host, "usb: cannot list devices: %s", libusb_strerror((int)n));
        return;
    }
    for (ssize_t i = 0; i < n && u->ndevs < MAX_DEVICES; i++) {
        struct libusb_device_descriptor dd;
        enum candidate c = NOT_WANTED;
        if (libusb_get_device_descriptor(list[i], &dd) == 0)
            c = candidate(u, &dd);
        if (c == NOT_WANTED)
            continue;
        bool open = false;
        for (int k = 0; k < u->ndevs; k++)
            open |= same_device(u->devs[k], list[i]);
        if (!open)
            open_device(u, list[i], &dd, c == ASK_ITS_NAME);
    }
    libusb_free_device_list(list, 1);
}

static int LIBUSB_CALL on_hotplug(libusb_context *ctx, libusb_device *dev,
                                  libusb_hotplug_event event, void *user_data)
{
    (void)ctx;
    (void)dev;
    (void)event;
    /* Opening a device here is not allowed (it would run control transfers inside event
     * handling); the rescan after libusb returns does it. */
    ((struct usb_source *)user_data)->rescan_now = true;
    return 0;
}

static int start_context(struct usb_source *u)
{
    int rc = libusb_init(&u->ctx);
    if (rc != 0) {
        u->ctx = NULL;
        return rc;
    }
    u->hotplug = false;
    if (libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG)) {
        rc = libusb_hotplug_register_callback(
            u->ctx, LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED | LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT, 0,
            u->cfg.vid ? u->cfg.vid : LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY,
            LIBUSB_HOTPLUG_MATCH_ANY, on_hotplug, u, &u->hotplug_handle);
        u->hotplug = rc == 0;
    }
    return 0;
}

static void stop_context(struct usb_source *u)
{
    if (!u->ctx)
        return;
    if (u->hotplug)
        libusb_hotplug_deregister_callback(u->ctx, u->hotplug_handle);
    libusb_exit(u->ctx);
    u->ctx = NULL;
}

static int usb_pollfds(void *src, struct pollfd *fds, int max)
{
    struct usb_source *u = src;
    if (!u->ctx)
        return 0;
    const struct libusb_pollfd **pfds = libusb_get_pollfds(u->ctx);
    int n = 0;
    for (int i = 0; pfds && pfds[i] && n < max; i++)
        fds[n++] = (struct pollfd){.fd = pfds[i]->fd, .events = pfds[i]->events};
    libusb_free_pollfds(pfds);
    return n;
}

static void lower(int64_t *deadline, int64_t t)
{
    if (t >= 0 && (*deadline < 0 || t < *deadline))
        *deadline = t;
}

static bool rescanning(const struct usb_source *u)
{
    return !u->hotplug || u->ndevs == 0;
}

static int64_t usb_deadline(void *src)
{
    struct usb_source *u = src;
    int64_t d = -1;
    int64_t now = u->host->now(u->host);
    struct timeval tv;
    if (u->ctx && libusb_get_next_timeout(u->ctx, &tv) == 1)
        lower(&d, now + tv.tv_sec * 1000 + tv.tv_usec / 1000);
    if (rescanning(u) || u->rescan_now)
        lower(&d, u->rescan_now ? now : u->next_scan);
    for (int i = 0; i < u->ndevs; i++) {
        for (int k = 0; k < u->devs[i]->nifaces; k++) {
            struct usb_iface *f = &u->devs[i]->ifaces[k];
            lower(&d,
                  f->hidpos ? hidpos_assembler_deadline(&f->pos) : kbd_decoder_deadline(&f->kbd));
        }
    }
    return d;
}

static enum scanner_status usb_process(void *src, const struct pollfd *fds, int nfds, int64_t now)
{
    struct usb_source *u = src;
    (void)fds;
    (void)nfds;
    struct timeval zero = {0, 0};
    int rc = u->ctx ? libusb_handle_events_timeout_completed(u->ctx, &zero, NULL) : 0;
    if (rc != 0 && rc != LIBUSB_ERROR_INTERRUPTED && rc != LIBUSB_ERROR_TIMEOUT)
        u->host->logf(u->host, "usb: event handling failed: %s", libusb_strerror(rc));

    for (int i = 0; i < u->ndevs;) {
        struct usb_dev *d = u->devs[i];
        if (d->gone) {
            u->host->logf(u->host, "%s: %s", d->name, d->gone_why);
            device_free(u, d);
            u->devs[i] = u->devs[--u->ndevs];
            u->next_scan = now + u->cfg.rescan_ms;
            continue;
        }
        for (int k = 0; k < d->nifaces; k++) {
            struct usb_iface *f = &d->ifaces[k];
            if (f->hidpos)
                hidpos_assembler_tick(&f->pos, now);
            else
                kbd_decoder_tick(&f->kbd, now);
        }
        i++;
    }
    if (u->rescan_now || (rescanning(u) && now >= u->next_scan)) {
        u->rescan_now = false;
        u->next_scan = now + u->cfg.rescan_ms;
        /* With nothing open, a fresh context: libusb's device list follows udev's events,
         * and without a udev daemon (minimal terminal images) a device plugged in later is
         * only seen by a new enumeration. */
        if (u->ndevs == 0) {
            stop_context(u);
            rc = start_context(u);
            if (rc != 0) {
                /* Tried again at the next rescan; the loop carries on without USB meanwhile. */
                if (!u->init_failed)
                    u->host->logf(u->host, "usb: libusb_init failed: %s", libusb_strerror(rc));
                u->init_failed = true;
                return SCANNER_ERR_USB;
            }
            u->init_failed = false;
        }
        rescan(u);
    }
    return SCANNER_OK;
}

static bool usb_connected(const void *src)
{
    return ((const struct usb_source *)src)->ndevs > 0;
}

static void usb_describe(const void *src, char *buf, size_t len)
{
    const struct usb_source *u = src;
    if (u->ndevs > 0) {
        const struct usb_dev *d = u->devs[0];
        snprintf(buf, len, "%s (%s)%s", d->name, d->ifaces[0].hidpos ? "HID POS" : "keyboard",
                 u->ndevs > 1 ? " and more" : "");
    } else if (u->last_name[0]) {
        snprintf(buf, len, "scanner %s unplugged: plug it back in", u->last_name);
    } else {
        snprintf(buf, len, "no scanner found: plug one in");
    }
}

static void usb_close(void *src)
{
    struct usb_source *u = src;
    for (int i = 0; i < u->ndevs; i++)
        device_free(u, u->devs[i]);
    stop_context(u);
    free(u);
}

static const struct source_ops usb_ops = {
    .pollfds = usb_pollfds,
    .deadline = usb_deadline,
    .process = usb_process,
    .connected = usb_connected,
    .describe = usb_describe,
    .close = usb_close,
};

enum scanner_status usb_source_open(void **out, const struct source_ops **ops,
                                    const struct source_host *host,
                                    const struct scanner_config *cfg, char *err, size_t errlen)
{
    struct usb_source *u = calloc(1, sizeof *u);
    if (!u) {
        snprintf(err, errlen, "scanner: out of memory");
        return SCANNER_ERR_NOMEM;
    }
    u->host = host;
    u->cfg = *cfg;
    int rc = start_context(u);
    if (rc != 0) {
        snprintf(err, errlen, "scanner: libusb_init failed: %s", libusb_strerror(rc));
        free(u);
        return SCANNER_ERR_USB;
    }
    *out = u;
    *ops = &usb_ops;
    return SCANNER_OK;
}
