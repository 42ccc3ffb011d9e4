/* SPDX-License-Identifier: MIT */
/*
 * fsio: small, careful file I/O helpers shared by every program. All paths are
 * relative to a directory fd and opened with O_NOFOLLOW | O_CLOEXEC; symlinks,
 * FIFOs and devices are refused where a regular file is expected. Every call
 * returns 0 (or a count) on success and -1 with errno set on failure, with
 * errno preserved across cleanup.
 */
#ifndef CHUTE_FSIO_H
#define CHUTE_FSIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* write(2) until all len bytes are written; retries EINTR. 0 or -1. */
int fsio_write_all(int fd, const void *buf, size_t len);

/* fsync(2) a directory by fd. When dirfd is an O_PATH fd or a directory we may
 * only search, reopens it read-only; when that is refused (EACCES: a
 * producer's new/ is write+search only), returns -1 with EACCES. */
int fsio_fsync_dir(int dirfd);

/* Replaces dirfd/name atomically: writes a temporary file beside it (a name
 * starting with '.'), fsyncs it when do_fsync, renames it over name, then
 * fsyncs the directory when do_fsync. The file gets mode (before umask).
 * On failure the temporary file is removed and name is untouched. */
int fsio_atomic_write(int dirfd, const char *name, const void *buf, size_t len,
    mode_t mode, bool do_fsync);

/* Reads the regular file dirfd/name (no symlinks, FIFOs or devices: ELOOP or
 * EINVAL) into a fresh NUL-terminated buffer. Larger than max bytes: EFBIG.
 * The caller frees *out. */
int fsio_read_file(
    int dirfd, const char *name, size_t max, char **out, size_t *outlen);

/* Copies infd to outfd through a bounded stack buffer until EOF. When limit
 * is not 0 and more than limit bytes arrive, stops with EFBIG. Stores the
 * bytes copied in *copied when it is not NULL (also on failure). */
int fsio_copy(int infd, int outfd, uint64_t limit, uint64_t *copied);

/* Removes dirfd/name and, if it is a directory, everything below it, without
 * following symlinks and without leaving dirfd. ENOENT if it is not there. */
int fsio_remove_tree(int dirfd, const char *name);

/* Renames olddirfd/oldname to newdirfd/newname, never replacing: with
 * renameat2(RENAME_NOREPLACE), or where the filesystem answers EINVAL
 * (GlusterFS; remembered for the process) with a stat then rename(2), which
 * still refuses to replace a non-empty directory. EEXIST (also for
 * ENOTEMPTY) when the target exists. 0 or -1. */
int fsio_rename_noreplace(
    int olddirfd, const char *oldname, int newdirfd, const char *newname);

#endif
