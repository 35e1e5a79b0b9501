/*
 * journal_lock.c - the flock beside the journal, and the owner's pid inside it.
 */
#define _GNU_SOURCE
#include "journal_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* The pid the holder wrote, or 0 when it cannot be read (written a moment later). */
static long holder_pid(int fd)
{
    char buf[24] = "";
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    long pid = strtol(buf, NULL, 10);
    return pid > 0 ? pid : 0;
}

enum journal_lock_status journal_lock_take(const char *journal_path, int *fd, char *err,
                                           size_t errlen)
{
    char path[PATH_MAX];
    *fd = -1;
    if (journal_path == NULL || journal_path[0] == '\0') {
        snprintf(err, errlen, "no journal file named: nothing to lock");
        return JOURNAL_LOCK_UNAVAILABLE;
    }
    if (snprintf(path, sizeof path, "%s.lock", journal_path) >= (int)sizeof path) {
        snprintf(err, errlen, "journal %s: its path is too long for a lock file", journal_path);
        return JOURNAL_LOCK_UNAVAILABLE;
    }
    int lfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (lfd < 0) {
        snprintf(err, errlen, "cannot create the lock file %s: %s", path, strerror(errno));
        return JOURNAL_LOCK_UNAVAILABLE;
    }
    if (flock(lfd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        long pid = e == EWOULDBLOCK ? holder_pid(lfd) : 0;
        close(lfd);
        if (e != EWOULDBLOCK) {
            snprintf(err, errlen, "cannot lock %s: %s", path, strerror(e));
            return JOURNAL_LOCK_UNAVAILABLE;
        }
        if (pid > 0)
            snprintf(err, errlen,
                     "journal %s is in use by another posterm (pid %ld): one posterm per journal",
                     journal_path, pid);
        else
            snprintf(err, errlen, "journal %s is in use by another posterm: one posterm per journal",
                     journal_path);
        return JOURNAL_LOCK_HELD;
    }
    /* The pid is only for the refusal's message: failing to write it changes nothing. */
    char pid[24];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(lfd, 0) == 0) {
        ssize_t written = pwrite(lfd, pid, (size_t)n, 0);
        (void)written;
    }
    *fd = lfd;
    return JOURNAL_LOCK_OK;
}

void journal_lock_release(int fd)
{
    if (fd >= 0)
        close(fd);
}
