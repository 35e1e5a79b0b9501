/*
 * machine.h - which machine this is, as far as a cloned disk cannot fake it.
 *
 * The journal records the machine it belongs to (journal_claim in journal.h), so that a disk
 * image copied after use onto another terminal is noticed and that journal takes a new
 * identity: two terminals must never issue the same order number. /etc/machine-id alone
 * cannot tell them apart (it travels with the image), so the fingerprint also takes the
 * first hardware identity the board offers, in this order:
 *   1. /sys/class/dmi/id/product_uuid: x86 boards and virtual machines (the firmware's
 *      UUID; readable by root only on most systems, so usually skipped for posterm's user);
 *   2. /proc/device-tree/serial-number: ARM boards whose firmware sets it (Raspberry Pi,
 *      most Rockchip and Allwinner boards: the SoC's serial);
 *   3. the permanent MAC addresses of the physical network interfaces (those with a
 *      /sys/class/net/NAME/device), from the NIC's ROM via ETHTOOL_GPERMADDR, or the
 *      current address when the kernel says it is the permanent one (addr_assign_type 0);
 *      interfaces on a bus other than USB first, USB ones (a Pi 3's Ethernet) only when
 *      there are no others, so that a USB Wi-Fi stick plugged in does not change it.
 * A vendor's board must provide at least one of these; a board with none gets a fingerprint
 * of /etc/machine-id alone, and machine_fingerprint says so in err.
 */
#ifndef POSTERM_MACHINE_H
#define POSTERM_MACHINE_H

#include <stdbool.h>
#include <stddef.h>

/* Writes 64 lower-case hex digits (SHA-256 of what was read) and a NUL into out. Returns
 * false, err saying why, when neither /etc/machine-id nor any hardware identity could be
 * read. On true, err is empty, or holds a warning when no hardware identity was found (a
 * cloned disk would then not be told apart).
 * Test builds (POSTERM_CRASH_POINTS) take the fingerprint from $POSTERM_MACHINE_ID when it
 * is set, so that tests can play two machines on one; release builds ignore it. */
bool machine_fingerprint(char out[65], char *err, size_t errlen);

#endif
