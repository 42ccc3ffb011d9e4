/* SPDX-License-Identifier: MIT */
/*
 * helpers: what every libchute unit test shares: a real temporary spool
 * (mkdtemp + spool_init + spool_open) or a plain temporary directory,
 * removed at teardown, small file helpers, a way to run a check as an
 * unprivileged user (root ignores file modes), and a process that keeps a
 * job moving through every state while a test looks it up. Helpers fail
 * the current test on any unexpected error.
 */
#ifndef CHUTE_TEST_HELPERS_H
#define CHUTE_TEST_HELPERS_H

#include <stdatomic.h>
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

struct tdir {
	char path[64]; /* the mkdtemp directory */
	int fd; /* on it, O_DIRECTORY */
};

/* cmocka setup/teardown helpers: *state becomes a struct tdir, a fresh
 * temporary directory. tdir_setup's fd is O_RDONLY (it can be listed and
 * synced); tdir_path_setup's is O_PATH, as the programs hold job dirs. */
int tdir_setup(void **state);
int tdir_path_setup(void **state);
int tdir_teardown(void **state);

/* For a test that runs a producer with th_as_nobody(): makes ts's spool
 * anew with group 65534 (spool_init's modes) and its base dir 0711, so
 * that user reaches it as a member of the spool's group would. Returns
 * true; without root, prints why the test is skipped and returns false. */
bool tspool_nobody_group(struct tspool *ts);

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

/* A child that moves the entry name of sp through new/, run/, done/,
 * failed/ and back to new/ (a retry), TH_MOVER_ROUNDS times. After each
 * move back it waits until two more lookups have started (th_mover_next()),
 * so no lookup can meet two moves back: a reader that follows a moving job
 * as DESIGN.md says must never miss it. */
#define TH_MOVER_ROUNDS 300
struct th_mover {
	pid_t pid;
	atomic_int *shared; /* [0] lookups started, [1] the mover is done */
	int wstatus;
	bool reaped;
};

void th_mover_start(
    struct th_mover *m, const struct spool *sp, const char *name);
/* True while the mover goes on; then counts one lookup as started (the
 * caller looks the job up once after each true). False once it is done or
 * died. */
bool th_mover_next(struct th_mover *m);
/* Reaps the mover and fails the test unless it exited 0 (every move
 * succeeded). */
void th_mover_finish(struct th_mover *m);

#endif
