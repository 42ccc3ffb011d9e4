/* SPDX-License-Identifier: MIT */
/*
 * retry: requeueing a failed job by hand (`chute retry ID`) with a fresh
 * attempt count. Retries exclude each other with an exclusive flock(2) on
 * the job directory itself (the watcher locks ID/job, never the directory,
 * so a claim is never held up); the holder checks that the job is still in
 * failed/, resets its status there and moves it failed/ -> new/ in one
 * rename, where the watcher sees it (inotify). So of two retries at once
 * exactly one wins, the job is visible at every instant, and nobody writes
 * the status of a job that is already back in new/ or running.
 */
#ifndef CHUTE_RETRY_H
#define CHUTE_RETRY_H

#include <stdbool.h>

#include "spool.h"

/* Requeues failed job id. Its status becomes state queued, attempt 0, with
 * "submitted" and the "attempts" history kept and started, finished,
 * exit_code, signal, reason, runner_pid and not_before cleared (a missing
 * or corrupt status becomes a fresh one). A stale cancel/ID is removed
 * first, or it would cancel the new attempt. Returns 0, or -1 with errno:
 *   EINVAL  invalid id (the filesystem is not touched)
 *   ENOENT  unknown job
 *   EBUSY   the job is not in failed/; *found (when not NULL) says where
 *   EPERM   a rejected entry (reason "rejected"): it is not a job to run
 *   EALREADY another retry holds it or has moved it first (it won)
 *   other   from the filesystem; the job stays in failed/ with its
 *           original status put back where possible. A filesystem that
 *           refuses flock(2) on a directory (some NFS setups) fails here
 *           with that errno, having changed nothing.
 * While the winner works, a reader may see the job in failed/ with the
 * reset status for an instant. do_fsync: sync the status and new/. */
int retry_requeue(const struct spool *sp, const char *id, bool do_fsync,
    enum spool_state *found);

#endif
