/* SPDX-License-Identifier: MIT */
/*
 * dispatch: the runner slots, the claim loop, and what becomes of entries
 * nobody runs (bad entries, jobs whose runner is gone). A claim that loses
 * a race is normal and silent. A failure tied to one entry is logged (once
 * for an entry that stays in new/) and never stops the watcher.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chuted.h"
#include "fate.h"
#include "fsio.h"
#include "job.h"
#include "log.h"
#include "metrics.h"
#include "status.h"
#include "timestamp.h"

const char *
dispatch_printable(const char *name, char *buf, size_t len)
{
	size_t i;

	for (i = 0; name[i] != '\0' && i + 1 < len; i++) {
		unsigned char ch = (unsigned char)name[i];

		buf[i] = (ch < 0x20 || ch >= 0x7f) ? '?' : (char)ch;
	}
	buf[i] = '\0';
	return buf;
}

void
dispatch_log_once(struct chuted *c, const char *name, const char *msg, int err)
{
	char pr[QUEUE_NAME_SIZE];
	size_t i,
	    n = c->nlogged < CHUTED_LOGGED_CAP ? c->nlogged : CHUTED_LOGGED_CAP;

	for (i = 0; i < n; i++)
		if (c->logged_msg[i] == msg && strcmp(c->logged[i], name) == 0)
			return;
	if (strlen(name) < QUEUE_NAME_SIZE) {
		i = c->nlogged++ % CHUTED_LOGGED_CAP;
		strcpy(c->logged[i], name);
		c->logged_msg[i] = msg;
	}
	log_warn("%s '%s': %s (logged once)", msg,
	    dispatch_printable(name, pr, sizeof(pr)),
	    err ? strerror(err) : "not a job");
}

int
dispatch_slot_add(struct chuted *c, const char *id, pid_t pid)
{
	struct slot *s;

	if (c->nslots == c->slotcap) {
		size_t cap = c->slotcap ? 2 * c->slotcap : 16;

		s = reallocarray(c->slots, cap, sizeof(*s));
		if (s == NULL)
			return -1;
		c->slots = s;
		c->slotcap = cap;
	}
	s = &c->slots[c->nslots++];
	s->pid = pid;
	strncpy(s->id, id, sizeof(s->id) - 1);
	s->id[sizeof(s->id) - 1] = '\0';
	return 0;
}

static void
dispatch_slot_drop(struct chuted *c, size_t i)
{
	c->slots[i] = c->slots[--c->nslots];
}

bool
dispatch_slot_release_id(struct chuted *c, const char *id)
{
	size_t i;

	for (i = 0; i < c->nslots; i++) {
		if (strcmp(c->slots[i].id, id) == 0) {
			dispatch_slot_drop(c, i);
			return true;
		}
	}
	return false;
}

bool
dispatch_slot_release_pid(struct chuted *c, pid_t pid, char *id)
{
	size_t i;

	for (i = 0; i < c->nslots; i++) {
		if (c->slots[i].pid == pid) {
			if (id != NULL)
				strcpy(id, c->slots[i].id);
			dispatch_slot_drop(c, i);
			return true;
		}
	}
	return false;
}

/* Moves a bad entry to failed/ (rejected); why says what it is. */
static void
dispatch_reject(struct chuted *c, const char *name, const char *why)
{
	char newid[JOBID_NAME_MAX + 1] = "";
	char pr[QUEUE_NAME_SIZE];

	if (job_reject(&c->sp, name, newid, c->conf.fsync) < 0) {
		dispatch_log_once(c, name, "cannot reject bad entry", errno);
		return;
	}
	c->counts.rejected++;
	metrics_settled(c, "rejected", SPOOL_FAILED);
	log_warn("%s failed: rejected, %s (new/%s)", newid[0] ? newid : name,
	    why, dispatch_printable(name, pr, sizeof(pr)));
}

/* A job file with more than one link (job_claim: EMLINK). A link(2)
 * producer unlinks its source right after linking; a hard link to a file
 * outside the spool (a user who can write new/ linking /etc/shadow) stays.
 * link(2), unlink(2) and rename(2) all set the file's ctime: while it is
 * less than CHUTED_LINK_SETTLE_MS old, look again then; once settled and
 * still linked, the entry is rejected: never read, locked or run (chuted
 * logs it once, as it moves it to failed/). */
static void
dispatch_hard_link(struct chuted *c, const char *name)
{
	struct stat stb;
	int64_t t, now = timestamp_now_ms();
	char why[64];
	int fd, rc;

	fd = openat(
	    c->sp.dirfd[SPOOL_NEW], name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (!job_lost_race(errno))
			dispatch_defer(c, name, now + CHUTED_LINK_SETTLE_MS);
		return; /* gone: claimed by another, or its event returns */
	}
	rc = fstat(fd, &stb);
	if (rc == 0 && S_ISDIR(stb.st_mode))
		rc = fstatat(fd, "job", &stb, AT_SYMLINK_NOFOLLOW);
	close(fd);
	if (rc < 0 || stb.st_nlink <= 1) {
		/* changed meanwhile: claim it again (it may be fine now) */
		dispatch_defer(c, name, now);
		return;
	}
	t = (int64_t)stb.st_ctim.tv_sec * 1000 + stb.st_ctim.tv_nsec / 1000000;
	if (t <= now && now < t + CHUTED_LINK_SETTLE_MS) {
		dispatch_defer(c, name, t + CHUTED_LINK_SETTLE_MS);
		return;
	}
	snprintf(why, sizeof(why), "a hard link (%ju links), not run",
	    (uintmax_t)stb.st_nlink);
	dispatch_reject(c, name, why);
}

/* A lost claim is normally another watcher's win. But when the entry is
 * still in new/ after EEXIST, a job of the same name is in run/: nothing
 * announces when it leaves, so look again later. */
static void
dispatch_lost_claim(struct chuted *c, const char *name, int err)
{
	struct stat stb;

	/* Its lock is held in new/: a runner that has just requeued it and
	 * not exited yet, or a watcher's probe. Look again shortly. */
	if (err == EWOULDBLOCK) {
		dispatch_defer(c, name, timestamp_now_ms() + 50);
		return;
	}
	if (err != EEXIST ||
	    fstatat(c->sp.dirfd[SPOOL_NEW], name, &stb, AT_SYMLINK_NOFOLLOW) <
		0)
		return;
	dispatch_log_once(
	    c, name, "waiting: a job of that name is running", EEXIST);
	if (c->retry_due_ms == 0)
		c->retry_due_ms = timestamp_mono_ms() + 1000;
}

/* Opens new/NAME/status, following no symlink on the way (NAME may be
 * anything a producer made): one system call, which fails with ENOENT for
 * a fresh job. -1 with errno; ENOSYS when the kernel lacks openat2. */
static int
dispatch_open_status(struct chuted *c, const char *name)
{
	struct open_how how = {
	    .flags = O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC,
	    .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH,
	};
	char path[QUEUE_NAME_SIZE + sizeof("/status")];

	if ((size_t)snprintf(path, sizeof(path), "%s/status", name) >=
	    sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return (int)syscall(
	    SYS_openat2, c->sp.dirfd[SPOOL_NEW], path, &how, sizeof(how));
}

/* True when new/NAME is a job directory whose status says not before a
 * time still to come (a retry waiting for its delay): it is then armed on
 * the timer. *no_status says that it had no status file (a fresh job, the
 * usual case: one failed openat). */
static bool
dispatch_not_due(struct chuted *c, const char *name, bool *no_status)
{
	struct status st;
	bool later = false;
	int fd;

	*no_status = false;
	fd = dispatch_open_status(c, name);
	if (fd < 0 && errno != ENOSYS && errno != EPERM) {
		/* ENOENT: no status; ENOTDIR: a plain file; ELOOP, EXDEV: a
		 * symlink; gone: job_claim says what it is. */
		*no_status = true;
		return false;
	}
	if (fd >= 0)
		close(fd); /* a status (a retry, rare): read it in full */
	fd = openat(c->sp.dirfd[SPOOL_NEW], name,
	    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false; /* a plain file, gone, or bad: job_claim says */
	status_init(&st, NULL);
	if (status_read(fd, &st) == 0 && st.not_before_ms != 0 &&
	    st.not_before_ms > timestamp_now_ms()) {
		later = true;
		dispatch_defer(c, name, st.not_before_ms);
	}
	status_fini(&st);
	close(fd);
	return later;
}

/* Claims one queued name and starts its runner. */
static void
dispatch_claim(struct chuted *c, const char *name)
{
	int lockfd = -1;
	int64_t submitted;
	bool no_status;
	pid_t pid;

	if (dispatch_not_due(c, name, &no_status))
		return;
	switch (job_claim(&c->sp, name, &lockfd)) {
	case JOB_CLAIMED:
		break;
	case JOB_CLAIM_LOST:
		dispatch_lost_claim(c, name, errno);
		return;
	case JOB_CLAIM_BAD:
		if (errno == EMLINK)
			dispatch_hard_link(c, name);
		else
			dispatch_reject(c, name, "not a job");
		return;
	case JOB_CLAIM_ERROR:
	default:
		dispatch_log_once(c, name, "cannot claim", errno);
		/* The entry stays in new/: look again a little later. */
		if (c->retry_due_ms == 0)
			c->retry_due_ms = timestamp_mono_ms() + 1000;
		return;
	}
	c->counts.claimed++;
	log_debug("%s claimed", name);
	submitted = metrics_claimed(c, name, lockfd, !no_status);
	pid = pool_run(c, name, lockfd, submitted);
	if (pid < 0) {
		log_err("%s: cannot start a runner: %s; back to new/", name,
		    strerror(errno));
		/* We still hold the lock and nothing ran: requeue, pause. */
		dispatch_lost(c, name, lockfd);
		c->paused = true;
		c->retry_due_ms = timestamp_mono_ms() + 1000;
		return;
	}
	metrics_started(c, name, pid);
	if (dispatch_slot_add(c, name, pid) < 0)
		log_err(
		    "%s: cannot count its runner: %s", name, strerror(errno));
}

void
dispatch_pump(struct chuted *c)
{
	char name[QUEUE_NAME_SIZE];

	while (!c->stopping && !c->paused && c->nslots < c->conf.jobs &&
	    pool_can_take(c)) {
		if (!queue_pop(&c->queue, name)) {
			/* Names were dropped: new/ still holds them. */
			if (!c->queue.overflowed)
				break;
			if (watch_scan_new(c, "queue full") < 0 ||
			    c->queue.len == 0)
				break;
			continue;
		}
		dispatch_claim(c, name);
	}
}

/* A job in run/ whose status says it finished but which is still there (its
 * runner could not move it): finish the move. */
static int
dispatch_finish_move(struct chuted *c, const char *id, enum spool_state to)
{
	if (job_move(&c->sp, id, SPOOL_RUN, to) < 0) {
		if (!job_lost_race(errno) || errno == EEXIST)
			dispatch_log_once(
			    c, id, "cannot move finished job", errno);
		return -1;
	}
	log_info("%s %s: moved out of run/ after its runner", id,
	    spool_state_public(to));
	return 0;
}

void
dispatch_defer(struct chuted *c, const char *name, int64_t due_ms)
{
	struct defer *d;
	size_t i;

	for (i = 0; i < c->ndefers; i++) {
		if (strcmp(c->defers[i].name, name) == 0) {
			c->defers[i].due_ms = due_ms;
			c->defers[i].linked = false;
			return;
		}
	}
	if (strlen(name) >= sizeof(d->name))
		return;
	if (c->ndefers == c->defercap) {
		size_t cap = c->defercap ? 2 * c->defercap : 16;

		d = reallocarray(c->defers, cap, sizeof(*d));
		if (d == NULL) {
			/* A rescan finds it again; make sure one comes. */
			log_err("%s: cannot arm its retry: %s", name,
			    strerror(errno));
			if (c->retry_due_ms == 0)
				c->retry_due_ms = timestamp_mono_ms() + 1000;
			return;
		}
		c->defers = d;
		c->defercap = cap;
	}
	d = &c->defers[c->ndefers++];
	strcpy(d->name, name);
	d->due_ms = due_ms;
	d->linked = false;
	log_debug("%s: not due yet, armed", name);
}

void
dispatch_defer_linked(struct chuted *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->ndefers; i++)
		if (strcmp(c->defers[i].name, name) == 0)
			return;
	dispatch_defer(c, name, timestamp_now_ms() + CHUTED_LINK_SETTLE_MS);
	for (i = 0; i < c->ndefers; i++)
		if (strcmp(c->defers[i].name, name) == 0)
			c->defers[i].linked = true;
}

/* For a linked entry that is due: its new due time while it still
 * changes, 0 to queue it now, -1 to drop it (gone). */
static int64_t
dispatch_linked_due(struct chuted *c, const char *name, int64_t now)
{
	struct stat stb;
	int64_t m, t;

	if (fstatat(c->sp.dirfd[SPOOL_NEW], name, &stb, AT_SYMLINK_NOFOLLOW) <
	    0)
		return errno == ENOENT ? -1 : 0;
	if (!S_ISREG(stb.st_mode))
		return 0;
	m = (int64_t)stb.st_mtim.tv_sec * 1000 + stb.st_mtim.tv_nsec / 1000000;
	t = (int64_t)stb.st_ctim.tv_sec * 1000 + stb.st_ctim.tv_nsec / 1000000;
	if (t > m)
		m = t;
	if (m + CHUTED_LINK_SETTLE_MS > now && m <= now)
		return m + CHUTED_LINK_SETTLE_MS;
	return 0;
}

void
dispatch_due(struct chuted *c)
{
	int64_t now = timestamp_now_ms();
	size_t i;

	for (i = 0; i < c->ndefers;) {
		struct defer *d = &c->defers[i];
		int64_t again = 0;

		if (d->due_ms > now) {
			i++;
			continue;
		}
		if (d->linked)
			again = dispatch_linked_due(c, d->name, now);
		if (again > 0) {
			d->due_ms = again; /* still changing */
			i++;
			continue;
		}
		if (again == 0)
			queue_push(&c->queue, d->name);
		c->defers[i] = c->defers[--c->ndefers];
	}
}

/* Ends run/ID for a watcher that holds its lock but is not its runner (a
 * lost runner, a cancel): moves first, then writes the status. On a shared
 * filesystem the runner of another host may have finished this very job
 * and released its lock a moment ago, our stat of run/ID being stale; only
 * the server's answer to the rename tells, so a status written before it
 * could overwrite that job's final one in done/. After the move nobody else
 * can take the lock we hold, so nobody writes beside us; a crash between
 * the move and the write leaves the last status (a requeued job then runs
 * without its retry delay, and its next runner counts the attempt).
 * 0, or -1 when the job was not ours to move (lost race: silent). */
static int
dispatch_settle(struct chuted *c, const char *id, int jobdirfd,
    struct status *st, const struct fate *f, enum spool_state *to)
{
	int fd, rc;

	*to = runner_settle_plan(&c->conf, &c->sp, id, st, f);
	if (job_move(&c->sp, id, SPOOL_RUN, *to) < 0) {
		if (job_lost_race(errno) && errno != EEXIST)
			log_debug("%s: gone from run/ meanwhile: not ours", id);
		else
			dispatch_log_once(c, id, "cannot move job", errno);
		return -1;
	}
	fd = openat(c->sp.dirfd[*to], id,
	    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	/* In the room its runner reserved: a full disk cannot keep it stale */
	rc = status_write_reserved(fd >= 0 ? fd : jobdirfd, st, c->conf.fsync);
	if (rc < 0)
		log_warn("%s: cannot write its status in %s/: %s", id,
		    spool_state_dirname(*to), strerror(errno));
	if (fd >= 0)
		close(fd);
	runner_settle_last(&c->conf, &c->sp, id, st, f, *to);
	return 0;
}

/* True when lockfd is the file at run/ID/job (jobdirfd): under the lock,
 * the job we probed is still the one in run/, not a later job of the same
 * name that another watcher claimed meanwhile. */
static bool
dispatch_still_ours(int lockfd, int jobdirfd)
{
	struct stat a, b;

	if (fstat(lockfd, &a) < 0 ||
	    fstatat(jobdirfd, "job", &b, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

void
dispatch_lost(struct chuted *c, const char *id, int lockfd)
{
	dispatch_end_locked(c, id, lockfd, false);
}

void
dispatch_end_locked(struct chuted *c, const char *id, int lockfd, bool cancel)
{
	struct fate never_ran;
	const struct fate *f;
	enum spool_state to;
	struct status st;
	int jobdirfd, rc;
	bool started;

	status_init(&st, id);
	jobdirfd = openat(c->sp.dirfd[SPOOL_RUN], id,
	    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (jobdirfd < 0) {
		if (!job_lost_race(errno))
			dispatch_log_once(c, id, "cannot open run/ job", errno);
		goto out;
	}
	if (lockfd >= 0 && !dispatch_still_ours(lockfd, jobdirfd)) {
		log_debug("%s: run/ holds another job of that name now", id);
		goto out;
	}
	rc = status_read(jobdirfd, &st);
	/* An unreadable status may hide a start: count it as started, so
	 * that nothing can run twice. */
	started = rc < 0 ? errno != ENOENT : st.state == SPOOL_RUN;
	if (rc == 0 && (st.state == SPOOL_DONE || st.state == SPOOL_FAILED) &&
	    st.finished_ms != 0) {
		dispatch_finish_move(c, id, st.state);
		goto out;
	}
	if (rc < 0)
		status_init(&st, id);
	snprintf(st.id, sizeof(st.id), "%s", id);
	if (cancel) {
		f = fate_of(FATE_CANCELLED);
		if (!started) {
			/* It never ran: the attempt count stays. */
			never_ran = *f;
			never_ran.costs_attempt = false;
			f = &never_ran;
			st.started_ms = 0;
			st.exit_code = -1;
			st.signal = 0;
		}
		st.finished_ms = 0;
		st.not_before_ms = 0;
		if (dispatch_settle(c, id, jobdirfd, &st, f, &to) < 0)
			goto out;
		c->counts.failed++;
		metrics_settled(c, f->reason, to);
		log_warn("%s failed: cancelled%s", id,
		    started ? " (its runner was gone)" : " before it ran");
		goto out;
	}
	f = fate_of(started ? FATE_LOST : FATE_NEVER_STARTED);
	if (f->reason == NULL) {
		if (job_move(&c->sp, id, SPOOL_RUN, f->to) < 0) {
			if (!job_lost_race(errno) || errno == EEXIST)
				dispatch_log_once(
				    c, id, "cannot move job", errno);
			goto out;
		}
		c->counts.requeued++;
		log_info(
		    "%s queued again: its claimer died before it started", id);
		if (st.not_before_ms != 0)
			dispatch_defer(c, id, st.not_before_ms);
		goto out;
	}
	st.finished_ms = 0;
	if (dispatch_settle(c, id, jobdirfd, &st, f, &to) < 0)
		goto out;
	c->counts.lost++;
	metrics_settled(c, f->reason, to);
	if (to == SPOOL_NEW) {
		log_warn(
		    "%s lost its runner (attempt %u): retried", id, st.attempt);
		dispatch_defer(c, id, st.not_before_ms);
	} else {
		log_warn(
		    "%s failed: lost its runner (attempt %u)", id, st.attempt);
	}
out:
	status_fini(&st);
	if (jobdirfd >= 0)
		close(jobdirfd);
	if (lockfd >= 0)
		close(lockfd);
}

void
dispatch_reap(struct chuted *c)
{
	char id[JOBID_NAME_MAX + 1];
	pid_t pid;
	int wstatus, lockfd;

	while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0) {
		if (!pool_reaped(c, pid, id)) {
			if (!WIFEXITED(wstatus) ||
			    WEXITSTATUS(wstatus) != RUNNER_EXIT_DONE)
				log_warn("runner %ld ended (status 0x%x)",
				    (long)pid, (unsigned)wstatus);
			continue;
		}
		metrics_reaped(c, pid, wstatus);
		dispatch_slot_release_id(c, id);
		/* The runner died holding a job: it may still be in run/. */
		log_warn("%s: runner %ld ended abnormally (status 0x%x)", id,
		    (long)pid, (unsigned)wstatus);
		lockfd = job_lock_probe(&c->sp, id);
		if (lockfd >= 0)
			dispatch_lost(c, id, lockfd);
	}
}
