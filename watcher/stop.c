/* SPDX-License-Identifier: MIT */
/*
 * stop: the watcher's side of cancel/ID (lib/cancel.c drops the file). A
 * queued job is claimed like any claim (so no other watcher runs it) and
 * failed "cancelled"; a running job's runner gets SIGUSR1 and kills its
 * handler's process group itself, so the runner alone decides between the
 * handler's own end and the cancel; cancel/ID stays until the job has
 * settled (the runner removes it when it stopped the job, and does not
 * retry a job while it exists), and is looked at again until then. A runner that is not our child is
 * signalled through a pidfd, and only after /proc shows that this very
 * process holds the job's lock file open (pid reuse). cancel/ID is removed
 * once handled, or at once when stale (finished, unknown, invalid, not a
 * regular file: never opened or followed). A cancel that cannot be
 * delivered yet (a runner that has not written its pid) is looked at again.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chuted.h"
#include "job.h"
#include "log.h"
#include "status.h"
#include "timestamp.h"

#define STOP_TRIES 3 /* lookups of a job that keeps moving */
#define STOP_AGAIN_MS 500 /* before looking at a pending cancel again */

static void
stop_unlink(struct chuted *c, const char *name, const char *why)
{
	char pr[QUEUE_NAME_SIZE];

	if (unlinkat(c->sp.dirfd[SPOOL_CANCEL], name, 0) < 0 &&
	    errno == EISDIR &&
	    unlinkat(c->sp.dirfd[SPOOL_CANCEL], name, AT_REMOVEDIR) < 0 &&
	    errno != ENOENT) {
		dispatch_log_once(
		    c, name, "cannot remove cancel/ entry", errno);
		return;
	}
	if (why != NULL)
		log_debug("removed cancel/%s: %s",
		    dispatch_printable(name, pr, sizeof(pr)), why);
}

/* True when process pid (pinned by pidfd) holds the inode of run/ID/job
 * open: then it is that job's runner, not a process that reused its pid. */
static bool
stop_holds_job(struct chuted *c, const char *id, pid_t pid)
{
	char path[64];
	struct stat job, sb;
	struct dirent *de;
	bool found = false;
	int jobdirfd, fd;
	DIR *dir;

	jobdirfd = openat(c->sp.dirfd[SPOOL_RUN], id,
	    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (jobdirfd < 0)
		return false;
	if (fstatat(jobdirfd, "job", &job, AT_SYMLINK_NOFOLLOW) < 0) {
		close(jobdirfd);
		return false;
	}
	close(jobdirfd);
	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	dir = fdopendir(fd);
	if (dir == NULL) {
		close(fd);
		return false;
	}
	while (!found && (de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(dir), de->d_name, &sb, 0) == 0 &&
		    sb.st_dev == job.st_dev && sb.st_ino == job.st_ino)
			found = true;
	}
	closedir(dir);
	return found;
}

/* Tells the runner of run/ID (whose lock is held) to cancel. 0, or -1
 * when its runner cannot be told (yet). */
static int
stop_signal(struct chuted *c, const char *id)
{
	struct status st;
	int jobdirfd, pidfd = -1, rc = -1;
	size_t i;

	/* Our own child: its pid cannot be reused before we reap it. */
	for (i = 0; i < c->nslots; i++)
		if (c->slots[i].pid > 0 && strcmp(c->slots[i].id, id) == 0)
			return kill(c->slots[i].pid, SIGUSR1);
	status_init(&st, id);
	jobdirfd = openat(c->sp.dirfd[SPOOL_RUN], id,
	    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (jobdirfd < 0 || status_read(jobdirfd, &st) < 0 ||
	    st.state != SPOOL_RUN || st.runner_pid <= 0)
		goto out;
	/* Pin the process first, then check what it holds. */
	pidfd = pidfd_open(st.runner_pid, 0);
	if (pidfd < 0 || !stop_holds_job(c, id, st.runner_pid))
		goto out;
	rc = pidfd_send_signal(pidfd, SIGUSR1, NULL, 0);
out:
	if (pidfd >= 0)
		close(pidfd);
	if (jobdirfd >= 0)
		close(jobdirfd);
	status_fini(&st);
	return rc;
}

void
stop_handle(struct chuted *c, const char *name)
{
	enum spool_state where;
	struct stat sb;
	int tries, lockfd;

	if (fstatat(c->sp.dirfd[SPOOL_CANCEL], name, &sb, AT_SYMLINK_NOFOLLOW) <
	    0)
		return; /* handled already */
	if (!S_ISREG(sb.st_mode)) {
		stop_unlink(c, name, "not a regular file");
		return;
	}
	if (!jobid_name_valid(name)) {
		stop_unlink(c, name, "not a job name");
		return;
	}
	for (tries = 0; tries < STOP_TRIES; tries++) {
		if (spool_lookup(&c->sp, name, &where, NULL) < 0) {
			if (errno == ENOENT) {
				stop_unlink(c, name, "unknown job");
				return;
			}
			break;
		}
		switch (where) {
		case SPOOL_DONE:
		case SPOOL_FAILED:
			stop_unlink(c, name, "the job has finished");
			return;
		case SPOOL_NEW:
			switch (job_claim(&c->sp, name, &lockfd)) {
			case JOB_CLAIMED:
				c->counts.cancelled++;
				dispatch_end_locked(c, name, lockfd, true);
				stop_unlink(c, name, NULL);
				return;
			case JOB_CLAIM_BAD:
				/* A hard link settling: it may yet run. */
				if (errno == EMLINK)
					goto later;
				/* Not a job: the dispatcher rejects it. */
				stop_unlink(c, name, "not a job");
				return;
			case JOB_CLAIM_LOST:
				continue; /* someone moved it: look again */
			default:
				goto later;
			}
		case SPOOL_RUN:
			lockfd = job_lock_probe(&c->sp, name);
			if (lockfd >= 0) {
				c->counts.cancelled++;
				dispatch_end_locked(c, name, lockfd, true);
				stop_unlink(c, name, NULL);
				return;
			}
			if (errno == ENOENT)
				continue;
			/* The runner removes cancel/ID once the cancel has
			 * stopped its job; if the job ends first (done, or a
			 * retry: the runner sees cancel/ID and does not
			 * retry), the next look finds it stale or queued. */
			if (errno == EWOULDBLOCK && stop_signal(c, name) == 0)
				log_debug(
				    "%s: cancel sent to its runner", name);
			goto later;
		default:
			goto later;
		}
	}
later:
	/* Its runner was told and has not settled yet, has not written its
	 * pid yet, runs on another host, or the spool answered an error:
	 * look again a little later. */
	log_debug("%s: cancel pending", name);
	if (c->cancel_due_ms == 0)
		c->cancel_due_ms = timestamp_mono_ms() + STOP_AGAIN_MS;
}

int
stop_scan(struct chuted *c)
{
	struct dirent *de;
	DIR *dir;
	int fd;

	fd = spool_open_listing(&c->sp, SPOOL_CANCEL);
	if (fd < 0)
		return -1;
	dir = fdopendir(fd);
	if (dir == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		stop_handle(c, de->d_name);
	}
	closedir(dir);
	return 0;
}
