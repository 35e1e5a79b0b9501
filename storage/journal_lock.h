/*
 * journal_lock.h - one posterm per journal.
 *
 * SQLite serialises single writes, not whole payments: two processes on one journal would
 * both resume the same unresolved payments, each sending queries and cancels and each
 * journaling what it heard. The lock is an flock(2) on "<journal>.lock" beside the journal,
 * held for the process's life. The kernel drops it when the process ends, however it ends,
 * so a crash or a power cut never leaves a stale lock. The file holds the owner's pid, to
 * name it in the refusal.
 */
#ifndef POSTERM_JOURNAL_LOCK_H
#define POSTERM_JOURNAL_LOCK_H

#include <stddef.h>

enum journal_lock_status {
    JOURNAL_LOCK_OK,          /* taken: *fd holds it until journal_lock_release */
    JOURNAL_LOCK_HELD,        /* another process holds it: err names the pid */
    JOURNAL_LOCK_UNAVAILABLE, /* the lock file cannot be made (read-only folder, ...): no
                               * lock, and the journal cannot be written there either,
                               * which its own open reports */
};

enum journal_lock_status journal_lock_take(const char *journal_path, int *fd, char *err,
                                           size_t errlen);

/* Releases a lock taken (fd from journal_lock_take; -1 is ignored). */
void journal_lock_release(int fd);

#endif
