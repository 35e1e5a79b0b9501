/*
 * known_devices.c - the table, with where each row comes from.
 *
 * usb.ids = the linux-usb.org list (usbids/usbids usb.ids). Keep 99-posterm-scanner.rules in
 * step: a unit test checks that every vendor here has a rule there.
 */
#include "known_devices.h"

#include <ctype.h>
#include <string.h>

const struct known_device known_devices[] = {
    /* usb.ids: Metrologic Instruments, now Honeywell; MS7120 keyboard 0x0204, Voyager 0x0b81 */
    {0x0c2e, 0, "Honeywell"},
    /* usb.ids: Hand Held Products (Welch Allyn), Honeywell imagers (IT4800 0x01ca) */
    {0x0536, 0, "Honeywell HHP"},
    /* usb.ids: Symbol Technologies; 0x1200 keyboard, 0x1300 IBM hand-held (MS4404/4407 guide,
     * kernel hid-ids.h USB_DEVICE_ID_SYMBOL_SCANNER_2/_3). Zebra scanners keep this VID. */
    {0x05e0, 0, "Zebra/Symbol"},
    /* usb.ids: PSC Scanning (Datalogic); Gryphon keyboard 0x2206, POS handheld 0x2202 */
    {0x05f9, 0, "Datalogic"},
    /* usb.ids: Datalogic S.p.A.; Gryphon D120 0x0300..0x0500, M100 0x0600 */
    {0x080c, 0, "Datalogic"},
    /* usb.ids: Fujian Newland; PID low byte 0x03 keyboard, 0x10 HID POS, 0x06 serial */
    {0x1eab, 0, "Newland"},
    /* usb.ids: Intermec; 0x0801 HID keyboard */
    {0x067e, 0, "Intermec"},
    /* usb.ids: Optoelectronics (Opticon); 0x0001 keyboard mode */
    {0x065a, 0, "Opticon"},
    /* usb.ids: Mindeo */
    {0x27dd, 0, "Mindeo"},
    /* usb.ids: Access IS; 0x013a virtual keyboard, 0x013b HID */
    {0x0db5, 0, "Access IS"},
    /* Generic chips: only the products usb.ids names as barcode readers. */
    {0x04b4, 0x0100, "Cino FuzzyScan (Cypress)"},
    {0x04b4, 0xbca1, "Barcode Reader (Cypress)"},
    {0x04b4, 0xde61, "Barcode Reader (Cypress)"},
    {0x04b4, 0xde64, "Barcode Reader (Cypress)"},
    {0x0416, 0xc141, "Barcode Scanner (Winbond)"},
    {0x040b, 0x6510, "Bar Code Reader (Weltrend)"},
};

const size_t known_devices_count = sizeof known_devices / sizeof known_devices[0];

const struct known_device *known_device_find(uint16_t vid, uint16_t pid)
{
    for (size_t i = 0; i < known_devices_count; i++) {
        if (known_devices[i].vid == vid &&
            (known_devices[i].pid == 0 || known_devices[i].pid == pid))
            return &known_devices[i];
    }
    return NULL;
}

/* Odoo's IoT box (keyboard_usb_driver_L.py, _is_scanner) also accepts "reader"; that word
 * also names card and RFID readers, which must not be taken for the cashier's scanner. */
bool known_product_name(const char *product)
{
    static const char *const words[] = {"barcode", "bar code", "scanner"};
    char lower[128];
    size_t n = 0;
    for (; product[n] && n < sizeof lower - 1; n++)
        lower[n] = (char)tolower((unsigned char)product[n]);
    lower[n] = '\0';
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (strstr(lower, words[i]))
            return true;
    }
    return false;
}
