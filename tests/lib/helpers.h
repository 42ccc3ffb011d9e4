/* SPDX-License-Identifier: MIT */
/*
 * helpers: what every libchute unit test shares: a real temporary spool
 * (mkdtemp + spool_init + spool_open) removed at teardown, small file
 * helpers, and a way to run a check as an unprivileged user (root ignores
 * file modes). Helpers fail the current test on any unexpected error.
 */
#ifndef CHUTE_TEST_HELPERS_H
#define CHUTE_TEST_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "spool.h"

struct tspool {
	char base[64]; /* the mkdtemp directory */
	char path[96]; /* base/spool */
	struct spool sp;
};

/* cmocka group/setup helpers: *state becomes a struct tspool. */
int tspool_setup(void **state);
int tspool_teardown(void **state);

/* A fresh temporary directory (caller removes it with th_rmrf). */
void th_tmpdir(char *buf, size_t len);
/* rm -rf path (no symlinks followed). */
void th_rmrf(const char *path);

/* Writes a file with content at dirfd/name (mode 0644). */
void th_write(int dirfd, const char *name, const char *content);
/* mkdir dirfd/name 0755. */
void th_mkdir(int dirfd, const char *name);
/* True when dirfd/name exists (lstat). */
bool th_exists(int dirfd, const char *name);
/* Reads dirfd/name into a static-free heap buffer (caller frees). */
char *th_read(int dirfd, const char *name);
/* Number of entries (without . and ..) in state dir st. */
int th_count(const struct spool *sp, enum spool_state st);

/* Number of entries (without . and ..) in the directory dirfd. */
int th_count_dir(int dirfd);

/* Runs fn(arg) in a child as uid/gid 65534; returns the child's exit code
 * (0-255), or -1 when we are not root (the caller skips and says why). */
int th_as_nobody(int (*fn)(void *), void *arg);

#endif
