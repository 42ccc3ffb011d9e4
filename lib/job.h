/* SPDX-License-Identifier: MIT */
/*
 * job: moving jobs between state directories, for watchers and the CLI. Only
 * this module renames between states. Every move is one rename(2):
 * renameat2(RENAME_NOREPLACE) where the filesystem has it, plain rename(2)
 * where it answers EINVAL (GlusterFS). A lost race shows as ENOENT, EEXIST or
 * ESTALE; job_lost_race() says so and callers treat it as "someone else has
 * it", never as an error worth a warning.
 *
 * The claim protocol (DESIGN.md): the claimer opens ID/job and takes an
 * exclusive flock(2) on it before the claiming rename, then hands the locked
 * fd to the runner, which holds it until the job has left run/. So an entry
 * in run/ whose lock is free has no live owner.
 */
#ifndef CHUTE_JOB_H
#define CHUTE_JOB_H

#include <stdbool.h>
#include <stdint.h>

#include "spool.h"

/* True for the errnos that mean "another process moved it first". */
bool job_lost_race(int err);

/* Renames a job between state dirs, never replacing. 0 or -1 with errno. */
int job_move(const struct spool *sp, const char *id, enum spool_state from,
    enum spool_state to);

/* What job_claim() found in new/. */
enum job_claim_result {
	JOB_CLAIMED, /* *lockfd holds the lock; the job is in run/ID */
	JOB_CLAIM_LOST, /* another claimer had it, or it went away: ignore */
	JOB_CLAIM_BAD, /* not a job: hand it to job_reject() */
	JOB_CLAIM_ERROR /* a real error; errno says which; the entry is left */
};

/* Claims new/NAME into run/NAME. A directory needs a regular file ID/job
 * (opened O_NOFOLLOW | O_NONBLOCK, so a FIFO never blocks); a regular file
 * NAME becomes run/NAME/job crash-safely (run/NAME is made, locked file
 * renamed into it; an empty run/NAME left by a crash is removed by
 * job_recover_run()). Symlinks, FIFOs, sockets, devices, directories without
 * a regular job file and invalid names are JOB_CLAIM_BAD and are never
 * opened through. After the rename the locked file is checked to be the one
 * now at run/NAME/job (same inode). On JOB_CLAIMED, *lockfd is an O_CLOEXEC
 * fd holding LOCK_EX. */
enum job_claim_result job_claim(
    const struct spool *sp, const char *name, int *lockfd);

/* Moves a bad entry new/NAME to failed/ with a status whose reason is
 * "rejected": as failed/NAME when NAME is a valid name, else under a fresh ID
 * (stored in newid when not NULL, JOBID_NAME_MAX + 1 bytes). The entry itself
 * is never opened or followed: it becomes failed/X/job as it is. Returns 0,
 * or -1 with errno when it cannot be moved (the caller logs it once and
 * leaves it alone). */
int job_reject(
    const struct spool *sp, const char *name, char *newid, bool do_fsync);

/* Tries to take the lock of run/ID/job without blocking. Returns the locked
 * O_CLOEXEC fd when nobody holds it (the job has no live owner: the caller
 * decides while holding it), -1 with EWOULDBLOCK when it is held (alive), or
 * -1 with another errno (ENOENT: gone or has no job file). */
int job_lock_probe(const struct spool *sp, const char *id);

/* Cleans run/ID at start-up or rescan when it has no live owner and holds no
 * job file (a crash between mkdir and rename in job_claim()): removes the
 * empty directory. 0, or -1 with errno (ENOTEMPTY: it is a real job). */
int job_recover_run(const struct spool *sp, const char *id);

#define JOB_PEEK_BYTES 4096 /* bytes of a job file job_peek_submitted() reads */

/* When a job was submitted, from its open job file fd (read with pread, so
 * the file offset is untouched): the "submitted" field of chute's JSON when
 * it stands in the first JOB_PEEK_BYTES bytes (chute's producers write it
 * near the start; the file is not parsed as a whole), else the file's
 * mtime. Milliseconds since the epoch; 0 when neither can be had. */
int64_t job_peek_submitted(int jobfd);

#endif
