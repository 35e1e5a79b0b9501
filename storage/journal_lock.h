/*
 * journal_lock.h - one posterm per journal.
 *
 * SQLite serialises single writes, not whole payments: two processes on one journal would
 * both resume the same unresolved payments, each sending queries and cancels and each
 * journaling what it heard, and both would hand out order numbers. The lock is an exclusive
 * flock(2) on the journal file itself, that is on its inode: a symlink or a hard link to
 * the journal names the same inode and meets the same lock, which a lock file beside the
 * path (keyed by the name) did not. It is held for the process's life; the kernel drops it
 * when the process ends, however it ends, so a crash or a power cut never leaves a stale
 * lock. The holder's pid, for the refusal, comes from /proc/locks.
 *
 * Why flock and not fcntl: SQLite itself takes POSIX fcntl locks on the same file, and
 * POSIX drops every fcntl lock a process holds on a file when it closes ANY descriptor of
 * that file; an fcntl lock of ours would mix with SQLite's and vanish with them. On Linux,
 * flock locks are a separate kind, held by the open file description, untouched by SQLite's
 * locks and by other descriptors' closing (not so on NFS, where the kernel emulates flock
 * with fcntl: SQLite refuses WAL there anyway). The other way round matters too: closing the
 * lock's descriptor would drop SQLite's fcntl locks, so it is closed only after
 * journal_close().
 *
 * Taken before anything writes the file: the journal must already exist (journal_create).
 */
#ifndef POSTERM_JOURNAL_LOCK_H
#define POSTERM_JOURNAL_LOCK_H

#include <stddef.h>

enum journal_lock_status {
    JOURNAL_LOCK_OK,          /* taken: *fd holds it until journal_lock_release */
    JOURNAL_LOCK_HELD,        /* another process holds it: err names the pid when known */
    JOURNAL_LOCK_UNAVAILABLE, /* cannot be taken (no such file, not a regular file, flock
                               * refused, ...): err says why. posterm must not start. */
};

enum journal_lock_status journal_lock_take(const char *journal_path, int *fd, char *err,
                                           size_t errlen);

/* Releases a lock taken (fd from journal_lock_take; -1 is ignored). Call it only after
 * journal_close(): closing this descriptor drops SQLite's own locks on the file. */
void journal_lock_release(int fd);

#endif
