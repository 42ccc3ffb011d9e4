/* SPDX-License-Identifier: MIT */
/*
 * pool: chuted's side of its long-lived runners, one per slot. A runner is
 * forked when a claimed job finds none idle (at most `jobs` of them), then
 * serves job after job (runner_serve): chuted sends it the job's name and,
 * with SCM_RIGHTS, the claim's lock fd over a SOCK_SEQPACKET socketpair; the
 * runner answers with its exit code once the job has left run/. Invariants:
 * a runner is busy from the send to its answer or its death; chuted closes
 * its copy of the lock right after the send, so the lock is held by the
 * runner (or, while in flight, by the socket, which dies with the runner).
 * A runner that dies busy loses its job exactly as a per-job runner did
 * (dispatch_reap). Entries are freed only in pool_gc(), between loop
 * rounds, since an epoll batch may still point at them.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chuted.h"
#include "job.h"
#include "log.h"
#include "metrics.h"
#include "timestamp.h"

#define POOL_EXIT_WAIT_MS 2000 /* for idle runners to exit with chuted */

struct pool_runner {
	struct loop_watch w; /* first: the loop hands back &w */
	struct chuted *c;
	pid_t pid;
	unsigned gen; /* c->conf_gen at fork: its configuration and fds */
	bool busy, reaped;
	char id[JOBID_NAME_MAX + 1];
};

static size_t pool_live(const struct chuted *c);

/* Stops talking to r: the runner sees EOF and exits once idle. */
static void
pool_hangup(struct pool_runner *r)
{
	if (r->w.fd < 0)
		return;
	(void)loop_del(&r->c->loop, &r->w);
	close(r->w.fd);
	r->w.fd = -1;
}

/* The runner's answer: its job left run/ (or could not). */
static void
pool_answer(struct pool_runner *r, int rc)
{
	struct chuted *c = r->c;
	int lockfd;

	if (!r->busy)
		return;
	r->busy = false;
	dispatch_slot_release_id(c, r->id);
	/* The job's end, as a per-job runner's exit status would say it. */
	metrics_reaped(c, r->pid, W_EXITCODE(rc & 0xff, 0));
	if (rc == RUNNER_EXIT_DONE)
		c->counts.done++;
	else if (rc == RUNNER_EXIT_FAILED)
		c->counts.failed++;
	else if (rc == RUNNER_EXIT_RETRY) {
		/* Back in new/ with not_before, its lock already free: the
		 * claim check reads not_before and arms the timer. */
		c->counts.retried++;
		queue_push(&c->queue, r->id);
	} else {
		/* Its job may still be in run/ (a failed move, e.g. into a
		 * state dir that was removed): its lock is free now, so end
		 * it as for a runner that died. The runner retires: its
		 * directory fds may be stale. */
		log_warn(
		    "%s: runner %ld could not finish it", r->id, (long)r->pid);
		lockfd = job_lock_probe(&c->sp, r->id);
		if (lockfd >= 0)
			dispatch_lost(c, r->id, lockfd);
		r->gen = c->conf_gen - 1;
	}
	r->id[0] = '\0';
	/* A runner of an older configuration or spool, or one too many
	 * after a reload lowered `jobs`, retires. */
	if (r->gen != c->conf_gen || pool_live(c) > c->conf.jobs)
		pool_hangup(r);
}

/* Reads what r has sent: at most one answer is ever pending (a runner
 * answers once per job, and gets its next job only after), so one recv;
 * the loop is level-triggered. Returns false at EOF or a hard error. */
static bool
pool_read(struct pool_runner *r)
{
	int rc;
	ssize_t n;

	while (r->w.fd >= 0) {
		n = recv(r->w.fd, &rc, sizeof(rc), MSG_DONTWAIT);
		if (n == (ssize_t)sizeof(rc)) {
			pool_answer(r, rc);
			return true;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (n < 0)
			log_warn("runner %ld: recv: %s", (long)r->pid,
			    strerror(errno));
		else if (n > 0)
			log_warn("runner %ld: bad message of %zd bytes",
			    (long)r->pid, n);
		return false;
	}
	return false;
}

static void
pool_readable(void *arg)
{
	struct pool_runner *r = arg;

	if (r->w.fd >= 0 && !pool_read(r))
		pool_hangup(r); /* its death is handled when reaped */
}

/* Forks a new runner; NULL with errno. */
static struct pool_runner *
pool_spawn(struct chuted *c)
{
	struct pool_runner *r = NULL, **rs;
	int sv[2] = {-1, -1}, saved;
	pid_t pid;

	if (c->nrunners == c->runnercap) {
		size_t cap = c->runnercap ? 2 * c->runnercap : 8;

		rs = reallocarray(c->runners, cap, sizeof(*rs));
		if (rs == NULL)
			return NULL;
		c->runners = rs;
		c->runnercap = cap;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		goto fail;
	pid = fork();
	if (pid < 0)
		goto fail;
	if (pid == 0) {
		close(sv[0]);
		runner_serve(c, sv[1]);
	}
	close(sv[1]);
	r->c = c;
	r->pid = pid;
	r->gen = c->conf_gen;
	r->w.fd = sv[0];
	r->w.cb = pool_readable;
	r->w.arg = r;
	c->runners[c->nrunners++] = r;
	if (loop_add(&c->loop, &r->w) < 0) {
		/* Unusable: let it go (it exits at EOF, reaped later). */
		saved = errno;
		pool_hangup(r);
		errno = saved;
		return NULL;
	}
	log_debug("runner %ld started", (long)pid);
	return r;
fail:
	saved = errno;
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	free(r);
	errno = saved;
	return NULL;
}

/* Runners that count against `jobs`: those we talk to, and those we
 * stopped talking to that may still run a job. */
static size_t
pool_live(const struct chuted *c)
{
	size_t i, n = 0;

	for (i = 0; i < c->nrunners; i++) {
		const struct pool_runner *r = c->runners[i];

		if (!r->reaped && (r->w.fd >= 0 || r->busy))
			n++;
	}
	return n;
}

static struct pool_runner *
pool_idle(const struct chuted *c)
{
	size_t i;

	for (i = 0; i < c->nrunners; i++) {
		struct pool_runner *r = c->runners[i];

		if (r->w.fd >= 0 && !r->busy && r->gen == c->conf_gen)
			return r;
	}
	return NULL;
}

bool
pool_can_take(const struct chuted *c)
{
	return pool_idle(c) != NULL || pool_live(c) < c->conf.jobs;
}

/* Sends the job to r. 0, or -1 with errno (lockfd is still ours). */
static int
pool_send(
    struct pool_runner *r, const char *id, int lockfd, int64_t submitted_ms)
{
	struct runner_msg m;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
	struct msghdr mh = {.msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = u.buf,
	    .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *cm;
	ssize_t n;

	memset(&m, 0, sizeof(m));
	memset(&u, 0, sizeof(u));
	snprintf(m.id, sizeof(m.id), "%s", id);
	m.submitted_ms = submitted_ms;
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &lockfd, sizeof(int));
	do
		n = sendmsg(r->w.fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n != (ssize_t)sizeof(m)) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

pid_t
pool_run(struct chuted *c, const char *id, int lockfd, int64_t submitted_ms)
{
	struct pool_runner *r;
	int tries;

	if (strlen(id) >= sizeof(((struct runner_msg *)0)->id)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* A runner that died idle fails the send: drop it, take another. */
	for (tries = 0; tries < 3; tries++) {
		r = pool_idle(c);
		if (r == NULL) {
			if (pool_live(c) >= c->conf.jobs) {
				errno = EAGAIN;
				return -1;
			}
			r = pool_spawn(c);
			if (r == NULL)
				return -1;
		}
		if (pool_send(r, id, lockfd, submitted_ms) == 0) {
			r->busy = true;
			snprintf(r->id, sizeof(r->id), "%s", id);
			/* The lock lives on in the runner's copy. */
			close(lockfd);
			return r->pid;
		}
		log_warn("runner %ld: cannot send it a job: %s", (long)r->pid,
		    strerror(errno));
		pool_hangup(r);
	}
	return -1;
}

bool
pool_reaped(struct chuted *c, pid_t pid, char *id)
{
	size_t i;

	for (i = 0; i < c->nrunners; i++) {
		struct pool_runner *r = c->runners[i];

		if (r->pid != pid || r->reaped)
			continue;
		/* An answer sent just before its death still counts. */
		if (r->w.fd >= 0)
			(void)pool_read(r);
		pool_hangup(r);
		r->reaped = true;
		if (!r->busy)
			return false;
		r->busy = false;
		strcpy(id, r->id);
		return true;
	}
	return false;
}

void
pool_retire(struct chuted *c)
{
	size_t i;

	c->conf_gen++;
	for (i = 0; i < c->nrunners; i++)
		if (!c->runners[i]->busy)
			pool_hangup(c->runners[i]);
}

void
pool_gc(struct chuted *c)
{
	size_t i = 0;

	while (i < c->nrunners) {
		struct pool_runner *r = c->runners[i];

		if (r->reaped) {
			free(r);
			c->runners[i] = c->runners[--c->nrunners];
		} else {
			i++;
		}
	}
}

void
pool_close(struct chuted *c)
{
	int64_t deadline = timestamp_mono_ms() + POOL_EXIT_WAIT_MS, now;
	struct pollfd pfd = {.events = POLLIN};
	size_t i;

	for (i = 0; i < c->nrunners; i++)
		pool_hangup(c->runners[i]);
	/* Idle runners exit at the hang-up: reap them, so that nothing is
	 * left behind and their CPU time (and their handlers') is counted in
	 * ours. Busy ones go on with their job, and are not waited for. */
	for (i = 0; i < c->nrunners; i++) {
		struct pool_runner *r = c->runners[i];

		if (r->busy || r->reaped)
			continue;
		pfd.fd = pidfd_open(r->pid, 0);
		now = timestamp_mono_ms();
		if (pfd.fd >= 0 && now < deadline) {
			while (poll(&pfd, 1, (int)(deadline - now)) < 0 &&
			    errno == EINTR)
				now = timestamp_mono_ms();
		}
		if (pfd.fd >= 0)
			close(pfd.fd);
		(void)waitpid(r->pid, NULL, WNOHANG);
	}
	for (i = 0; i < c->nrunners; i++)
		free(c->runners[i]);
	free(c->runners);
	c->runners = NULL;
	c->nrunners = c->runnercap = 0;
}
