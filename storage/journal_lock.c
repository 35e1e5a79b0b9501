/*
 * journal_lock.c - the flock on the journal's inode, and who holds it.
 */
#define _GNU_SOURCE
#include "journal_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* The pid of another process holding an flock on inode ino, or 0 when /proc/locks does not
 * say (another pid namespace, /proc not mounted). Lines look like
 * "3: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF". */
static long holder_pid(ino_t ino)
{
    FILE *f = fopen("/proc/locks", "re");
    if (!f)
        return 0;
    char line[256], kind[16];
    long pid = 0, found = 0;
    unsigned maj, min;
    unsigned long long inode;
    while (!found && fgets(line, sizeof line, f)) {
        const char *rest = strchr(line, ':');
        if (rest &&
            sscanf(rest + 1, " %15s %*s %*s %ld %x:%x:%llu", kind, &pid, &maj, &min, &inode) == 5 &&
            strcmp(kind, "FLOCK") == 0 && inode == (unsigned long long)ino && pid != getpid())
            found = pid;
    }
    fclose(f);
    return found;
}

enum journal_lock_status journal_lock_take(const char *journal_path, int *fd, char *err,
                                           size_t errlen)
{
    *fd = -1;
    if (journal_path == NULL || journal_path[0] == '\0') {
        snprintf(err, errlen, "no journal file named: nothing to lock");
        return JOURNAL_LOCK_UNAVAILABLE;
    }
    /* open() follows symlinks: the lock is on the file the journal really is. Read-only is
     * enough for flock, so a journal posterm may only read is still locked (and refused by
     * the journal's open, with its reason). O_NONBLOCK: a FIFO planted there must not hang. */
    int lfd = open(journal_path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (lfd < 0) {
        snprintf(err, errlen, "cannot lock the journal %s: %s", journal_path, strerror(errno));
        return JOURNAL_LOCK_UNAVAILABLE;
    }
    struct stat sb;
    if (fstat(lfd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "cannot lock the journal %s: not a regular file", journal_path);
        close(lfd);
        return JOURNAL_LOCK_UNAVAILABLE;
    }
    if (flock(lfd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(lfd);
        if (e != EWOULDBLOCK) {
            snprintf(err, errlen, "cannot lock the journal %s: %s", journal_path, strerror(e));
            return JOURNAL_LOCK_UNAVAILABLE;
        }
        long pid = holder_pid(sb.st_ino);
        if (pid > 0)
            snprintf(err, errlen,
                     "journal %s is in use by another posterm (pid %ld): one posterm per journal",
                     journal_path, pid);
        else
            snprintf(err, errlen,
                     "journal %s is in use by another posterm: one posterm per journal",
                     journal_path);
        return JOURNAL_LOCK_HELD;
    }
    *fd = lfd;
    return JOURNAL_LOCK_OK;
}

void journal_lock_release(int fd)
{
    if (fd >= 0)
        close(fd);
}
