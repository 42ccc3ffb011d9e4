/* SPDX-License-Identifier: MIT */
/*
 * retry: the lock is an exclusive, non-blocking flock(2) on failed/ID (the
 * directory). Under it the job is checked to be still at failed/ID (a
 * retry that takes the lock after the winner let go finds it gone: lost),
 * its status is reset and it is renamed into new/. Nothing is written to a
 * job whose lock we do not hold while it is in failed/. A failure before
 * the rename puts the original status back. Returns -1 with errno, saved
 * across cleanup.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsio.h"
#include "job.h"
#include "jobid.h"
#include "retry.h"
#include "status.h"

/* True while dirfd is still the entry failed/id. */
static bool
retry_still_failed(const struct spool *sp, const char *id, int dirfd)
{
	struct stat a, b;

	if (fstat(dirfd, &a) == -1 ||
	    fstatat(sp->dirfd[SPOOL_FAILED], id, &b, AT_SYMLINK_NOFOLLOW) == -1)
		return false;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int
retry_requeue(const struct spool *sp, const char *id, bool do_fsync,
    enum spool_state *found)
{
	struct status orig, st;
	enum spool_state state;
	int dirfd = -1, rc = -1, saved;
	bool had_status = false, reset = false;

	status_init(&orig, NULL);
	status_init(&st, NULL);
	if (!jobid_name_valid(id)) {
		errno = EINVAL;
		goto out;
	}
	if (spool_lookup(sp, id, &state, NULL) == -1)
		goto out;
	if (found != NULL)
		*found = state;
	if (state != SPOOL_FAILED) {
		errno = EBUSY;
		goto out;
	}
	dirfd = openat(sp->dirfd[SPOOL_FAILED], id,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dirfd == -1) {
		if (job_lost_race(errno))
			errno = EALREADY; /* moved since the lookup */
		goto out;
	}
	if (flock(dirfd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			errno = EALREADY; /* another retry holds it */
		goto out;
	}
	if (!retry_still_failed(sp, id, dirfd)) {
		errno = EALREADY; /* the holder before us moved it */
		goto out;
	}
	had_status = status_read(dirfd, &orig) == 0;
	if (!had_status)
		status_init(&orig, NULL);
	if (strcmp(orig.reason, "rejected") == 0) {
		errno = EPERM; /* not a job: it would only be rejected again */
		goto out;
	}
	if (status_read(dirfd, &st) == -1)
		status_init(&st, id);
	snprintf(st.id, sizeof(st.id), "%s", id);
	st.state = SPOOL_NEW;
	st.attempt = 0;
	st.started_ms = 0;
	st.finished_ms = 0;
	st.exit_code = -1;
	st.signal = 0;
	st.reason[0] = '\0';
	st.runner_pid = 0;
	st.not_before_ms = 0;
	reset = true;
	if (status_write(dirfd, &st, do_fsync) == -1)
		goto out;
	/* A cancel left from the failed attempt would end this one at once.
	 * Best effort: ENOENT is the normal case. */
	(void)unlinkat(sp->dirfd[SPOOL_CANCEL], id, 0);
	if (job_move(sp, id, SPOOL_FAILED, SPOOL_NEW) == -1)
		goto out;
	reset = false; /* published: the watcher may run it now */
	if (do_fsync && fsio_fsync_dir(sp->dirfd[SPOOL_NEW]) == -1)
		goto out; /* requeued, but not durably: say so */
	rc = 0;
out:
	saved = errno;
	if (reset) {
		/* Still in failed/ and still ours: the original back. */
		if (had_status)
			(void)status_write(dirfd, &orig, do_fsync);
		else
			(void)unlinkat(dirfd, "status", 0);
	}
	if (dirfd != -1)
		close(dirfd); /* and the lock with it */
	status_fini(&orig);
	status_fini(&st);
	errno = saved;
	return rc;
}
