/* SPDX-License-Identifier: MIT */
/*
 * spool: the on-disk layout. Only lib/ builds spool paths; programs hold a
 * struct spool and work relative to its directory fds (openat & co).
 *   SPOOL/tmp/ new/ run/ done/ failed/ cancel/   (DESIGN.md)
 * State dirs are opened O_PATH | O_DIRECTORY | O_NOFOLLOW, because a producer
 * in group chute may only search them (mode 2730 or 0710), not list them. A
 * state dir that is a symlink or not a directory makes spool_open() fail.
 */
#ifndef CHUTE_SPOOL_H
#define CHUTE_SPOOL_H

#include <stdbool.h>
#include <sys/types.h>

enum spool_state {
	SPOOL_TMP,
	SPOOL_NEW, /* public state "queued" */
	SPOOL_RUN, /* "running" */
	SPOOL_DONE, /* "done" */
	SPOOL_FAILED, /* "failed" */
	SPOOL_CANCEL,
	SPOOL_NSTATES
};

/* Modes chute init gives each directory (chute.conf(5) documents them). */
#define SPOOL_MODE_ROOT 02710 /* group may search only */
#define SPOOL_MODE_DROP 02730 /* tmp/ new/ cancel/: group may create only */
#define SPOOL_MODE_STATE 02710 /* run/ done/ failed/: group may search only */
#define SPOOL_MODE_JOBDIR 02770
#define SPOOL_MODE_JOBFILE 0640

struct spool {
	char *path;
	int rootfd; /* O_PATH */
	int dirfd[SPOOL_NSTATES]; /* O_PATH, one per state dir */
};

/* Opens an existing spool. 0, or -1 with errno (ENOENT: missing, ENOTDIR or
 * ELOOP: a state dir is not a real directory). spool_close() is safe after a
 * failed open and twice. */
int spool_open(struct spool *sp, const char *path);
void spool_close(struct spool *sp);

/* Creates path and every missing state dir with the modes above; when gid is
 * not (gid_t)-1, chowns what it creates to that group. Existing directories
 * are kept (their modes are not changed); a state path that exists but is not
 * a directory fails with ENOTDIR. 0 or -1. */
int spool_init(const char *path, gid_t gid);

/* "tmp", "new", "run", "done", "failed", "cancel". */
const char *spool_state_dirname(enum spool_state st);
/* Public name: "queued", "running", "done", "failed" (tmp/cancel: NULL). */
const char *spool_state_public(enum spool_state st);
/* Accepts queued|running|done|failed and new|run. 0, or -1 with EINVAL. */
int spool_state_parse(const char *text, enum spool_state *st);

/* Opens a fresh readable fd (O_RDONLY | O_DIRECTORY) on a state dir, for
 * readdir. Fails EACCES for users who may not list it. */
int spool_open_listing(const struct spool *sp, enum spool_state st);

/* Finds job id in new/, run/, done/, failed/ (the order of flow), and once
 * more if all four miss, since a retry moves a job back. Returns 0 and sets
 * *st, or -1 with errno: EINVAL for an invalid name (the filesystem is not
 * touched), ENOENT if unknown. When jobdirfd is not NULL it receives an
 * O_PATH | O_DIRECTORY | O_CLOEXEC fd on the job directory (the caller
 * closes it), or -1 when the job is a plain file still waiting in new/ (a
 * hand-dropped job not yet claimed). */
int spool_lookup(const struct spool *sp, const char *id, enum spool_state *st,
    int *jobdirfd);

#endif
