/* SPDX-License-Identifier: MIT */
/*
 * jobwait: one inotify instance and one watch, on the job directory's
 * inode (it follows the job from state to state), plus a deadline for the
 * next look without an event. Every look adds or replaces the watch first
 * and reads the job after, so nothing that happens between the two is
 * missed. An event is only a hint: a look re-reads the truth (jobinfo).
 * Returns -1 with errno, saved across cleanup.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobwait.h"
#include "timestamp.h"

#define JOBWAIT_MASK \
	(IN_MOVE_SELF | IN_DELETE_SELF | IN_CLOSE_WRITE | IN_MOVED_TO | \
	    IN_ONLYDIR)

static void
jobwait_clear_info(struct jobinfo *ji)
{
	memset(ji, 0, sizeof(*ji));
	status_init(&ji->st, NULL);
	ji->progress_percent = -1;
	ji->results = NULL;
}

/* True when b differs from a in what a follower shows. */
static bool
jobwait_differs(const struct jobinfo *a, const struct jobinfo *b)
{
	return a->state != b->state || a->st.attempt != b->st.attempt ||
	    a->st.started_ms != b->st.started_ms ||
	    a->st.finished_ms != b->st.finished_ms ||
	    a->st.exit_code != b->st.exit_code ||
	    a->st.signal != b->st.signal ||
	    strcmp(a->st.reason, b->st.reason) != 0 ||
	    a->progress_percent != b->progress_percent ||
	    strcmp(a->progress_message, b->progress_message) != 0;
}

static void
jobwait_unwatch(struct jobwait *jw)
{
	if (jw->wd != -1 && jw->inofd != -1)
		(void)inotify_rm_watch(jw->inofd, jw->wd); /* may be gone */
	jw->wd = -1;
	jw->dev = 0;
	jw->ino = 0;
}

/* Looks the job up and makes sure its directory is the one watched. A
 * plain file in new/ has none: no watch (the short timer looks again).
 * 0, or -1 with errno (ENOENT: not found). */
static int
jobwait_watch(struct jobwait *jw)
{
	enum spool_state state;
	char path[64];
	struct stat sb;
	int dirfd = -1, rc = -1, saved;

	if (spool_lookup(jw->sp, jw->id, &state, &dirfd) == -1)
		return -1;
	if (dirfd == -1)
		return 0;
	if (fstat(dirfd, &sb) == -1)
		goto out;
	if (jw->inofd == -1 ||
	    (jw->wd != -1 && sb.st_dev == jw->dev && sb.st_ino == jw->ino)) {
		rc = 0;
		goto out;
	}
	jobwait_unwatch(jw);
	/* Through the fd: the very inode we found, wherever it is now. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", dirfd);
	jw->wd = inotify_add_watch(jw->inofd, path, JOBWAIT_MASK);
	if (jw->wd != -1) {
		jw->dev = sb.st_dev;
		jw->ino = sb.st_ino;
	}
	/* Without a watch (no /proc, the watch limit reached) the short
	 * timer keeps the wait going, only less cheaply. */
	rc = 0;
out:
	saved = errno;
	close(dirfd);
	errno = saved;
	return rc;
}

/* One look: watch, then read. first: ENOENT is final at once. */
static int
jobwait_look(struct jobwait *jw, bool first)
{
	struct jobinfo ji;
	int64_t now;
	int rc;

	jw->changed = false;
	rc = jobwait_watch(jw);
	if (rc == 0)
		rc = jobinfo_load(jw->sp, jw->id, &ji);
	now = timestamp_mono_ms();
	if (rc == -1) {
		if (errno != ENOENT && errno != ESTALE)
			return -1;
		/* Gone for now: a move in flight, a shared filesystem's
		 * stale view. Look again shortly, for a while. */
		if (first)
			return -1;
		if (jw->gone_since_ms == 0)
			jw->gone_since_ms = now;
		if (now - jw->gone_since_ms >= JOBWAIT_GONE_MS) {
			errno = ENOENT;
			return -1;
		}
		jw->next_ms = now + JOBWAIT_SHORT_MS;
		return 0;
	}
	jw->gone_since_ms = 0;
	jw->changed = first || jobwait_differs(&jw->ji, &ji);
	jobinfo_fini(&jw->ji);
	jw->ji = ji;
	jw->ended = ji.state == SPOOL_DONE || ji.state == SPOOL_FAILED;
	jw->next_ms = now + (jw->wd != -1 ? jw->recheck_ms : JOBWAIT_SHORT_MS);
	return 0;
}

int
jobwait_open(
    struct jobwait *jw, const struct spool *sp, const char *id, int recheck_ms)
{
	memset(jw, 0, sizeof(*jw));
	jw->sp = sp;
	jw->inofd = -1;
	jw->wd = -1;
	jw->recheck_ms = recheck_ms > 0 ? recheck_ms : JOBWAIT_RECHECK_MS;
	jobwait_clear_info(&jw->ji);
	if (!jobid_name_valid(id)) {
		errno = EINVAL;
		return -1;
	}
	snprintf(jw->id, sizeof(jw->id), "%s", id);
	jw->inofd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (jw->inofd == -1 && errno != EMFILE && errno != ENFILE)
		return -1;
	/* Out of inotify instances (max_user_instances is 128 per user by
	 * default): follow the job with the short timer alone. */
	return jobwait_look(jw, true);
}

void
jobwait_close(struct jobwait *jw)
{
	int saved = errno;

	if (jw->inofd != -1)
		close(jw->inofd);
	jw->inofd = -1;
	jw->wd = -1;
	jobinfo_fini(&jw->ji);
	errno = saved;
}

int
jobwait_fd(const struct jobwait *jw)
{
	return jw->inofd;
}

int
jobwait_timeout_ms(const struct jobwait *jw)
{
	int64_t left = jw->next_ms - timestamp_mono_ms();

	if (left < 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

/* Reads every pending event; true when one concerns the job. */
static int
jobwait_drain(struct jobwait *jw, bool *relevant)
{
	char buf[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t n;

	if (jw->inofd == -1)
		return 0;
	for (;;) {
		n = read(jw->inofd, buf, sizeof(buf));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return -1;
		}
		if (n == 0)
			return 0;
		for (char *p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->mask & IN_Q_OVERFLOW) {
				*relevant = true;
				continue;
			}
			if (ev->wd != jw->wd || jw->wd == -1)
				continue; /* an old watch's IN_IGNORED */
			if (ev->mask & IN_IGNORED) {
				jw->wd = -1; /* the kernel dropped it */
				jw->dev = 0;
				jw->ino = 0;
				*relevant = true;
			} else if (ev->mask & (IN_MOVE_SELF | IN_DELETE_SELF))
				*relevant = true;
			else if (ev->len > 0 &&
			    (strcmp(ev->name, "status") == 0 ||
				strcmp(ev->name, "progress") == 0))
				*relevant = true;
		}
	}
}

int
jobwait_update(struct jobwait *jw)
{
	bool relevant = false;

	jw->changed = false;
	if (jobwait_drain(jw, &relevant) == -1)
		return -1;
	if (!relevant && timestamp_mono_ms() < jw->next_ms)
		return 0;
	return jobwait_look(jw, false);
}

int
jobwait_run(const struct spool *sp, const char *id, int64_t timeout_ms,
    int recheck_ms, jobwait_fn fn, void *arg, struct jobinfo *final)
{
	struct jobwait jw;
	struct pollfd pfd;
	int64_t deadline = 0, left;
	int rc = -1, wait_ms;

	if (final != NULL)
		jobwait_clear_info(final);
	if (timeout_ms >= 0)
		deadline = timestamp_mono_ms() + timeout_ms;
	if (jobwait_open(&jw, sp, id, recheck_ms) == -1)
		goto out;
	if (fn != NULL && fn(arg, &jw.ji) != 0) {
		errno = ECANCELED;
		goto out;
	}
	while (!jw.ended) {
		wait_ms = jobwait_timeout_ms(&jw);
		if (timeout_ms >= 0) {
			left = deadline - timestamp_mono_ms();
			if (left <= 0) {
				errno = ETIMEDOUT;
				goto out;
			}
			if (left < wait_ms)
				wait_ms = (int)left;
		}
		pfd.fd = jobwait_fd(&jw);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, wait_ms) == -1) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		if (jobwait_update(&jw) == -1)
			goto out;
		if (jw.changed && fn != NULL && fn(arg, &jw.ji) != 0) {
			errno = ECANCELED;
			goto out;
		}
	}
	if (final != NULL) {
		*final = jw.ji; /* handed over */
		jobwait_clear_info(&jw.ji);
	}
	rc = 0;
out:
	jobwait_close(&jw);
	return rc;
}
