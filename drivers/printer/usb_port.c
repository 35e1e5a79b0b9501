/*
 * usb_port.c - a USB printer-class device through libusb: the first interface of class 7
 * with a bulk OUT endpoint (on the configured vid:pid, or on any device), the kernel's usblp
 * detached while posterm holds it; the job's bytes in bulk transfers of CHUNK bytes and the
 * class request GET_PORT_STATUS, both asynchronous and driven from the caller's poll(), so
 * nothing here waits on the printer.
 *
 * Hot-plug as the scanner does it: while no printer is open the bus is enumerated every
 * rescan_ms with a fresh libusb context (without a udev daemon only a new enumeration sees a
 * device plugged in later); an unplugged printer fails its job and is looked for again.
 */
#include <libusb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "printer_port.h"

#define PRINTER_CLASS      7
#define GET_PORT_STATUS    1
#define CHUNK              4096
#define CONTROL_TIMEOUT_MS 1000

struct usb_port {
    struct port *p;
    libusb_context *ctx;
    libusb_device_handle *handle;
    int iface;
    uint8_t out_ep;
    char name[96];      /* "EPSON TM-T20II 04b8:0e15" */
    char last_name[96]; /* the last printer seen, for "unplugged" */
    struct libusb_transfer *bulk, *control;
    bool bulk_busy, control_busy;
    unsigned char setup[LIBUSB_CONTROL_SETUP_SIZE + 1];
    bool gone;
    const char *gone_why;
    bool init_failed;
    int64_t next_scan, next_status;
};

static void status_done(struct usb_port *u)
{
    struct port *p = u->p;
    switch (p->phase) {
    case PORT_CHECK_BEFORE:
        if (p->state == PRINTER_READY)
            p->phase = PORT_WRITING;
        else
            port_job_end(p, PRINTER_JOB_FAILED);
        break;
    case PORT_WRITING:
        /* Paper out mid-job: the printer stops taking data; say so now, not at the timeout. */
        if (p->state != PRINTER_READY) {
            if (u->bulk_busy)
                libusb_cancel_transfer(u->bulk);
            port_job_end(p, PRINTER_JOB_FAILED);
        }
        break;
    case PORT_CHECK_AFTER:
        port_job_end(p, p->state == PRINTER_READY ? PRINTER_JOB_DONE : PRINTER_JOB_FAILED);
        break;
    case PORT_IDLE: break;
    }
}

static void LIBUSB_CALL on_control(struct libusb_transfer *x)
{
    struct usb_port *u = x->user_data;
    u->control_busy = false;
    switch (x->status) {
    case LIBUSB_TRANSFER_COMPLETED:
        if (x->actual_length >= 1)
            port_parallel_status(u->p, libusb_control_transfer_get_data(x)[0], u->name);
        else
            port_state(u->p, PRINTER_READY, false, u->name, "ready (status unknown)");
        break;
    case LIBUSB_TRANSFER_STALL:
        /* GET_PORT_STATUS is optional in the class spec; a printer without it takes data. */
        port_state(u->p, PRINTER_READY, false, u->name, "ready (status unknown)");
        break;
    case LIBUSB_TRANSFER_CANCELLED: return;
    case LIBUSB_TRANSFER_NO_DEVICE:
        u->gone = true;
        u->gone_why = "unplugged: plug it back in";
        return;
    default: port_state(u->p, PRINTER_OFFLINE, false, u->name, "not answering"); break;
    }
    status_done(u);
}

static void submit_status(struct usb_port *u)
{
    u->next_status = u->p->now + u->p->cfg.rescan_ms;
    libusb_fill_control_setup(
        u->setup, LIBUSB_ENDPOINT_IN | LIBUSB_REQUEST_TYPE_CLASS | LIBUSB_RECIPIENT_INTERFACE,
        GET_PORT_STATUS, 0, (uint16_t)u->iface, 1);
    libusb_fill_control_transfer(u->control, u->handle, u->setup, on_control, u,
                                 CONTROL_TIMEOUT_MS);
    int rc = libusb_submit_transfer(u->control);
    if (rc == 0) {
        u->control_busy = true;
    } else {
        u->gone = true;
        u->gone_why =
            rc == LIBUSB_ERROR_NO_DEVICE ? "unplugged: plug it back in" : libusb_strerror(rc);
    }
}

static void submit_chunk(struct usb_port *u);

static void LIBUSB_CALL on_bulk(struct libusb_transfer *x)
{
    struct usb_port *u = x->user_data;
    struct port *p = u->p;
    u->bulk_busy = false;
    if (x->actual_length > 0 && p->job == PRINTER_JOB_SENDING)
        port_sent(p, (size_t)x->actual_length);
    switch (x->status) {
    case LIBUSB_TRANSFER_COMPLETED:
        if (p->job != PRINTER_JOB_SENDING)
            return;
        if (p->sent < p->len) {
            submit_chunk(u);
        } else {
            p->phase = PORT_CHECK_AFTER;
            if (!u->control_busy)
                submit_status(u);
        }
        return;
    case LIBUSB_TRANSFER_CANCELLED: return;
    case LIBUSB_TRANSFER_NO_DEVICE:
        u->gone = true;
        u->gone_why = "unplugged: plug it back in";
        return;
    default:
        u->gone = true;
        u->gone_why = x->status == LIBUSB_TRANSFER_STALL ? "endpoint stalled" : "write failed";
        return;
    }
}

static void submit_chunk(struct usb_port *u)
{
    struct port *p = u->p;
    size_t n = p->len - p->sent < CHUNK ? p->len - p->sent : CHUNK;
    libusb_fill_bulk_transfer(u->bulk, u->handle, u->out_ep, p->bytes + p->sent, (int)n, on_bulk, u,
                              0);
    int rc = libusb_submit_transfer(u->bulk);
    if (rc == 0) {
        u->bulk_busy = true;
    } else {
        u->gone = true;
        u->gone_why =
            rc == LIBUSB_ERROR_NO_DEVICE ? "unplugged: plug it back in" : libusb_strerror(rc);
    }
}

static void device_free(struct usb_port *u)
{
    if (!u->handle)
        return;
    /* Transfers still queued must come back (cancelled) before their memory goes. */
    if (u->bulk_busy)
        libusb_cancel_transfer(u->bulk);
    if (u->control_busy)
        libusb_cancel_transfer(u->control);
    for (int spins = 0; spins < 100 && (u->bulk_busy || u->control_busy); spins++) {
        struct timeval tv = {0, 10000};
        libusb_handle_events_timeout_completed(u->ctx, &tv, NULL);
    }
    if (!u->bulk_busy)
        libusb_free_transfer(u->bulk);
    if (!u->control_busy)
        libusb_free_transfer(u->control);
    u->bulk = u->control = NULL;
    u->bulk_busy = u->control_busy = false;
    /* Auto-detach gives the interface back to usblp on release. */
    libusb_release_interface(u->handle, u->iface);
    libusb_close(u->handle);
    u->handle = NULL;
}

/* The first printer-class interface with a bulk OUT endpoint: interface, alt, endpoint. */
static bool find_printer_interface(const struct libusb_config_descriptor *conf, int *iface,
                                   int *alt, uint8_t *ep)
{
    for (int i = 0; i < conf->bNumInterfaces; i++) {
        for (int a = 0; a < conf->interface[i].num_altsetting; a++) {
            const struct libusb_interface_descriptor *d = &conf->interface[i].altsetting[a];
            if (d->bInterfaceClass != PRINTER_CLASS)
                continue;
            for (int e = 0; e < d->bNumEndpoints; e++) {
                const struct libusb_endpoint_descriptor *x = &d->endpoint[e];
                if (!(x->bEndpointAddress & LIBUSB_ENDPOINT_IN) &&
                    (x->bmAttributes & 3) == LIBUSB_TRANSFER_TYPE_BULK) {
                    *iface = d->bInterfaceNumber;
                    *alt = d->bAlternateSetting;
                    *ep = x->bEndpointAddress;
                    return true;
                }
            }
        }
    }
    return false;
}

static bool open_device(struct usb_port *u, libusb_device *dev,
                        const struct libusb_device_descriptor *dd, char *why, size_t whylen)
{
    struct libusb_config_descriptor *conf = NULL;
    int iface, alt;
    uint8_t ep;
    if (libusb_get_active_config_descriptor(dev, &conf) != 0)
        return false;
    bool found = find_printer_interface(conf, &iface, &alt, &ep);
    libusb_free_config_descriptor(conf);
    if (!found)
        return false;
    libusb_device_handle *h;
    int rc = libusb_open(dev, &h);
    if (rc != 0) {
        snprintf(why, whylen, "printer %04x:%04x: cannot open: %s%s", dd->idVendor, dd->idProduct,
                 libusb_strerror(rc),
                 rc == LIBUSB_ERROR_ACCESS ? " (install 99-posterm-printer.rules)" : "");
        return false;
    }
    char product[64] = "";
    if (dd->iProduct == 0 || libusb_get_string_descriptor_ascii(
                                 h, dd->iProduct, (unsigned char *)product, sizeof product) < 0)
        snprintf(product, sizeof product, "USB printer");
    libusb_set_auto_detach_kernel_driver(h, 1);
    rc = libusb_claim_interface(h, iface);
    if (rc == 0 && alt != 0)
        rc = libusb_set_interface_alt_setting(h, iface, alt);
    if (rc != 0) {
        snprintf(why, whylen, "%s %04x:%04x: cannot claim interface %d: %s%s", product,
                 dd->idVendor, dd->idProduct, iface, libusb_strerror(rc),
                 rc == LIBUSB_ERROR_BUSY ? " (another program holds it)" : "");
        libusb_release_interface(h, iface);
        libusb_close(h);
        return false;
    }
    u->bulk = libusb_alloc_transfer(0);
    u->control = libusb_alloc_transfer(0);
    u->handle = h;
    u->iface = iface;
    u->out_ep = ep;
    u->gone = false;
    snprintf(u->name, sizeof u->name, "%.60s %04x:%04x", product, dd->idVendor, dd->idProduct);
    snprintf(u->last_name, sizeof u->last_name, "%s", u->name);
    if (!u->bulk || !u->control) {
        u->gone = true;
        u->gone_why = "out of memory";
        return true;
    }
    port_state(u->p, PRINTER_ABSENT, false, u->name, "reading status");
    submit_status(u);
    return true;
}

static void rescan(struct usb_port *u)
{
    char why[200] = "";
    libusb_device **list;
    ssize_t n = libusb_get_device_list(u->ctx, &list);
    if (n < 0) {
        port_state(u->p, PRINTER_ABSENT, false, "printer", libusb_strerror((int)n));
        return;
    }
    for (ssize_t i = 0; i < n && !u->handle; i++) {
        struct libusb_device_descriptor dd;
        if (libusb_get_device_descriptor(list[i], &dd) != 0)
            continue;
        if (u->p->cfg.vid &&
            (dd.idVendor != u->p->cfg.vid || (u->p->cfg.pid && dd.idProduct != u->p->cfg.pid)))
            continue;
        open_device(u, list[i], &dd, why, sizeof why);
    }
    libusb_free_device_list(list, 1);
    if (u->handle)
        return;
    if (why[0])
        port_state(u->p, PRINTER_ABSENT, false, "printer", why);
    else if (u->last_name[0])
        port_state(u->p, PRINTER_ABSENT, false, u->last_name, "unplugged: plug it back in");
    else
        port_state(u->p, PRINTER_ABSENT, false, "no printer found", "plug one in");
}

static int usb_pollfds(void *t, struct pollfd *fds, int max)
{
    struct usb_port *u = t;
    if (!u->ctx)
        return 0;
    const struct libusb_pollfd **pfds = libusb_get_pollfds(u->ctx);
    int n = 0;
    for (int i = 0; pfds && pfds[i] && n < max; i++)
        fds[n++] = (struct pollfd){.fd = pfds[i]->fd, .events = pfds[i]->events};
    libusb_free_pollfds(pfds);
    return n;
}

static int64_t usb_deadline(void *t)
{
    struct usb_port *u = t;
    int64_t d = u->handle ? u->next_status : u->next_scan;
    struct timeval tv;
    if (u->ctx && libusb_get_next_timeout(u->ctx, &tv) == 1) {
        int64_t lib = u->p->now + tv.tv_sec * 1000 + tv.tv_usec / 1000;
        if (lib < d)
            d = lib;
    }
    if (u->handle && u->p->job == PRINTER_JOB_SENDING && !u->bulk_busy && !u->control_busy)
        d = u->p->now;
    return d;
}

static void usb_process(void *t, const struct pollfd *fds, int nfds, int64_t now)
{
    struct usb_port *u = t;
    struct port *p = u->p;
    (void)fds;
    (void)nfds;
    struct timeval zero = {0, 0};
    if (u->ctx)
        libusb_handle_events_timeout_completed(u->ctx, &zero, NULL);
    if (u->handle && u->gone) {
        port_state(p, PRINTER_ABSENT, false, u->name, u->gone_why);
        port_job_end(p, PRINTER_JOB_FAILED);
        device_free(u);
        u->next_scan = now + p->cfg.rescan_ms;
        return;
    }
    if (!u->handle) {
        port_job_end(p, PRINTER_JOB_FAILED);
        if (now < u->next_scan)
            return;
        u->next_scan = now + p->cfg.rescan_ms;
        /* A fresh context: libusb's device list follows udev's events, and without a udev
         * daemon (minimal terminal images) a device plugged in later is only seen by a new
         * enumeration. */
        if (u->ctx)
            libusb_exit(u->ctx);
        u->ctx = NULL;
        int rc = libusb_init(&u->ctx);
        if (rc != 0) {
            u->ctx = NULL;
            if (!u->init_failed)
                port_state(p, PRINTER_ABSENT, false, "printer", libusb_strerror(rc));
            u->init_failed = true;
            return;
        }
        u->init_failed = false;
        rescan(u);
        return;
    }
    if (u->control_busy)
        return;
    switch (p->phase) {
    case PORT_IDLE:
        if (now >= u->next_status)
            submit_status(u);
        return;
    case PORT_CHECK_BEFORE: submit_status(u); return;
    case PORT_WRITING:
        if (!u->bulk_busy)
            submit_chunk(u);
        if (now >= u->next_status)
            submit_status(u);
        return;
    case PORT_CHECK_AFTER: submit_status(u); return;
    }
}

static void usb_abort(void *t)
{
    struct usb_port *u = t;
    if (!u->handle)
        return;
    /* The printer took no data for io_timeout_ms; a half-sent command would run into the next
     * job, so the device is opened afresh. */
    u->gone = true;
    u->gone_why = "stopped taking data";
}

static void usb_close(void *t)
{
    struct usb_port *u = t;
    device_free(u);
    if (u->ctx)
        libusb_exit(u->ctx);
    free(u);
}

static const struct port_ops usb_ops = {
    .pollfds = usb_pollfds,
    .deadline = usb_deadline,
    .process = usb_process,
    .abort = usb_abort,
    .close = usb_close,
};

int usb_port_open(void **t, const struct port_ops **ops, struct port *p, char *err, size_t errlen)
{
    struct usb_port *u = calloc(1, sizeof *u);
    if (!u) {
        snprintf(err, errlen, "printer: out of memory");
        return -1;
    }
    u->p = p;
    port_state(p, PRINTER_ABSENT, false, "printer", "looking for a USB printer");
    *t = u;
    *ops = &usb_ops;
    return 0;
}
