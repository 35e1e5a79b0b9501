/*
 * known_devices.h - USB vendors and products that are barcode scanners, for finding one
 * without configuration.
 *
 * A dedicated scanner vendor matches by vendor ID alone (the same unit changes product ID
 * with its mode); a general-purpose chip vendor (Cypress, Winbond, ...) matches only the
 * product IDs known to be scanners, so the cashier's keyboard is never taken.
 */
#ifndef POSTERM_KNOWN_DEVICES_H
#define POSTERM_KNOWN_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct known_device {
    uint16_t vid;
    uint16_t pid; /* 0: every product of the vendor */
    const char *name;
};

extern const struct known_device known_devices[];
extern const size_t known_devices_count;

/* The entry matching vid:pid, or NULL. */
const struct known_device *known_device_find(uint16_t vid, uint16_t pid);

/* A USB product string that names a barcode scanner ("USB Barcode Scanner", "2D SCANNER"):
 * how scanners built on general-purpose chips, under the chip maker's VID, are recognised. */
bool known_product_name(const char *product);

#endif
