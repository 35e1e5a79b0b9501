/*
 * machine.c - the machine fingerprint (machine.h): /etc/machine-id plus the first hardware
 * identity the board offers, hashed.
 */
#define _GNU_SOURCE
#include "machine.h"

#include <dirent.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mbedtls/md.h>

#define MAX_NICS 16

/* The file's first line (trimmed of trailing white space and NULs), or "" when unreadable. */
static void read_line(const char *path, char *out, size_t len)
{
    out[0] = '\0';
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    size_t n = fread(out, 1, len - 1, f);
    fclose(f);
    out[n] = '\0';
    /* device-tree strings end in NUL; sysfs and machine-id in a newline */
    n = strnlen(out, n);
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' ' || out[n - 1] == '\t'))
        n--;
    out[n] = '\0';
    out[strcspn(out, "\n")] = '\0';
}

/* The NIC's burnt-in address as "aa:bb:...", or "" when it has none we can trust. */
static void permanent_mac(int sock, const char *name, char *out, size_t len)
{
    out[0] = '\0';
    enum { ROOM = 32 }; /* MAX_ADDR_LEN */
    struct ethtool_perm_addr *req = calloc(1, sizeof *req + ROOM);
    bool any = false;
    if (req) {
        req->cmd = ETHTOOL_GPERMADDR;
        req->size = ROOM;
        struct ifreq ifr;
        memset(&ifr, 0, sizeof ifr);
        snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
        ifr.ifr_data = (char *)req;
        if (sock >= 0 && ioctl(sock, SIOCETHTOOL, &ifr) == 0 && req->size > 0 &&
            req->size <= ROOM) {
            for (unsigned i = 0; i < req->size; i++)
                any = any || req->data[i] != 0;
            for (unsigned i = 0; any && i < req->size && strlen(out) + 4 < len; i++)
                snprintf(out + strlen(out), len - strlen(out), i ? ":%02x" : "%02x", req->data[i]);
        }
        free(req);
    }
    if (any)
        return;
    /* No ethtool answer: the current address, only when the kernel says it is the NIC's
     * own (NET_ADDR_PERM = 0), not one set by software or made up at boot. */
    char path[300], type[16];
    snprintf(path, sizeof path, "/sys/class/net/%s/addr_assign_type", name);
    read_line(path, type, sizeof type);
    if (strcmp(type, "0") == 0) {
        snprintf(path, sizeof path, "/sys/class/net/%s/address", name);
        read_line(path, out, len);
    }
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

/* The permanent MACs of physical NICs, sorted and joined: the non-USB ones, or the USB ones
 * when there is no other. "" when none. */
static void nic_identity(char *out, size_t len)
{
    char macs[2][MAX_NICS][64]; /* [0] on a bus other than USB, [1] on USB */
    int count[2] = {0, 0};
    out[0] = '\0';
    DIR *d = opendir("/sys/class/net");
    if (!d)
        return;
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strlen(e->d_name) >= IFNAMSIZ)
            continue;
        char path[300], bus[300];
        snprintf(path, sizeof path, "/sys/class/net/%s/device", e->d_name);
        if (access(path, F_OK) != 0)
            continue; /* virtual: lo, bridges, VPNs, containers' veths */
        snprintf(path, sizeof path, "/sys/class/net/%s/device/subsystem", e->d_name);
        ssize_t n = readlink(path, bus, sizeof bus - 1);
        bus[n > 0 ? n : 0] = '\0';
        const char *slash = strrchr(bus, '/');
        int usb = strcmp(slash ? slash + 1 : bus, "usb") == 0;
        if (count[usb] == MAX_NICS)
            continue;
        permanent_mac(sock, e->d_name, macs[usb][count[usb]], sizeof macs[usb][0]);
        if (macs[usb][count[usb]][0])
            count[usb]++;
    }
    closedir(d);
    if (sock >= 0)
        close(sock);
    int pick = count[0] > 0 ? 0 : 1;
    qsort(macs[pick], (size_t)count[pick], sizeof macs[pick][0], compare_strings);
    for (int i = 0; i < count[pick]; i++)
        snprintf(out + strlen(out), len - strlen(out), "%s%s", i ? "," : "", macs[pick][i]);
}

static void hex_sha256(const char *text, char out[65])
{
    unsigned char hash[32];
    mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), (const unsigned char *)text,
               strlen(text), hash);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", hash[i]);
}

bool machine_fingerprint(char out[65], char *err, size_t errlen)
{
    out[0] = '\0';
    if (err && errlen)
        err[0] = '\0';
#ifdef POSTERM_CRASH_POINTS
    const char *override = getenv("POSTERM_MACHINE_ID");
    if (override && *override) {
        char text[300];
        snprintf(text, sizeof text, "test:%s", override);
        hex_sha256(text, out);
        return true;
    }
#endif
    char id[128], hw[MAX_NICS * 64 + 32], text[sizeof id + sizeof hw + 16];
    read_line("/etc/machine-id", id, sizeof id);
    const char *kind = "dmi";
    read_line("/sys/class/dmi/id/product_uuid", hw, sizeof hw);
    if (!hw[0]) {
        kind = "serial";
        read_line("/proc/device-tree/serial-number", hw, sizeof hw);
    }
    if (!hw[0]) {
        kind = "mac";
        nic_identity(hw, sizeof hw);
    }
    if (!id[0] && !hw[0]) {
        snprintf(err, errlen,
                 "cannot tell which machine this is: no /etc/machine-id and no hardware "
                 "identity (DMI UUID, device-tree serial, NIC address)");
        return false;
    }
    if (!hw[0])
        snprintf(err, errlen,
                 "no hardware identity found (DMI UUID, device-tree serial, NIC address): "
                 "a copy of this disk on another terminal would not be noticed");
    snprintf(text, sizeof text, "%s\n%s:%s", id, hw[0] ? kind : "none", hw);
    hex_sha256(text, out);
    return true;
}
