/*
 * fake_evdev.c - lets posterm's evdev scanner source read a FIFO as its input device, for the
 * screen tests that need a hardware scanner's codes (LD_PRELOAD=fake_evdev.so).
 *
 * A FIFO carries the struct input_event records a kernel's input node would; what it cannot
 * do is answer the two input ioctls the source asks (EVIOCGRAB, EVIOCGNAME). On a FIFO those
 * two succeed here; every other request, and these on anything else, go to the C library's
 * ioctl. Everything after the ioctls - reading events, the keyboard decoder, the code filter,
 * the loop and the front - is posterm's own. The device side this stands in for (a real
 * /dev/input node, grabbed) is tests/vm/scanner-vm.sh evdev's.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <linux/input.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#define FAKE_NAME "posterm test scanner"

int ioctl(int fd, unsigned long request, ...)
{
    va_list ap;
    va_start(ap, request);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode)) {
        if (request == (unsigned long)EVIOCGRAB)
            return 0;
        if (request == (unsigned long)EVIOCGNAME(_IOC_SIZE(request)) && _IOC_SIZE(request) > 0) {
            snprintf(arg, _IOC_SIZE(request), "%s", FAKE_NAME);
            return (int)strlen(FAKE_NAME) + 1;
        }
    }
    static int (*real)(int, unsigned long, ...);
    if (real == NULL)
        *(void **)&real = dlsym(RTLD_NEXT, "ioctl");
    return real(fd, request, arg);
}
