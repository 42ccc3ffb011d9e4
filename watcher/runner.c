/* SPDX-License-Identifier: MIT */
/*
 * runner: a long-lived child of chuted (one per slot, see pool.c) that runs
 * claimed jobs one after another. Once, after its fork, it leaves chuted's
 * session and signal set-up and keeps only stderr (for its log lines), its
 * socket to chuted and the spool's O_PATH directory fds. For each job it
 * receives (with the claim's lock fd) it records "running", spawns the
 * handler (vfork + exec: HANDLER JOBDIR, cwd JOBDIR, stdin /dev/null, output
 * to JOBDIR/stdout and JOBDIR/stderr, its own process group, SIGKILL when
 * the runner dies, fds 0-2 only), enforces the timeout, records the outcome,
 * renames the job to done/ or failed/, closes the lock and answers chuted.
 * It holds the lock until the job has left run/, so a runner that dies
 * leaves a free lock and its job is found lost. A dead chuted (EOF on the
 * socket) lets its runners finish their job; then they exit.
 *
 * fsync (conf fsync=yes), only where a guarantee needs it:
 * - "running" is written with fsync (file and job dir), then run/ is synced,
 *   all before the handler starts. Otherwise a power loss could leave a
 *   started job looking never started (no status, or back in new/), and it
 *   would run a second time (guarantee 2).
 * - the final status is written without fsync: it precedes the rename out of
 *   run/, and the destination directory is synced after that rename. If the
 *   machine dies before that sync, the job is still in run/ with "running"
 *   and a free lock: it becomes failed/ "lost" (guarantee 1 holds, nothing
 *   runs twice). After the sync the rename is durable, and on the usual
 *   journalling filesystems the status written before it is too.
 *
 * A full filesystem (the handler's results filled it): the room for the
 * final status is reserved before the handler starts (status_reserve: the
 * hidden ID/.status.spare) and the final status is written into it
 * (status_write_reserved), so the job still ends with a true status. A
 * failure on a filesystem with no room left says so in its log line.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "chuted.h"
#include "fate.h"
#include "fsio.h"
#include "job.h"
#include "log.h"
#include "status.h"
#include "timestamp.h"

#define RUNNER_FULL_BYTES (64 * 1024) /* less free: the filesystem is full */
#define RUNNER_STALE_TRIES 3 /* looks at a job dir that answers ESTALE */
/* What GlusterFS answers for a while after another client's look-ups:
 * ESTALE, and EEXIST from the rename of a new status file over the old
 * one on a distribute volume (a stale link file on the other brick). */
#define RUNNER_STALE(err) ((err) == ESTALE || (err) == EEXIST)

extern char **environ;

struct chuted_user chuted_user;

static pid_t runner_self; /* getpid() of this runner, once after its fork */

/* What the vfork child needs; it writes only `err` and `stage`. */
struct runner_spawn {
	char *argv[3];
	int jobdirfd, infd, outfd, errfd;
	pid_t runner_pid;
	volatile int err;
	volatile int stage; /* 0 ok, 1 chdir, 2 exec, 3 user */
	const struct chuted_user *user; /* or NULL */
};

/* Every disposition back to SIG_DFL (chuted handles none itself: it uses
 * a signalfd; those it or its parent set to SIG_IGN are in reset), and a
 * mask of SIGUSR1 only (a cancel: blocked since the fork, read through a
 * signalfd; the handler's child side empties the mask before exec). */
static void
runner_reset_signals(const sigset_t *reset)
{
	struct sigaction sa;
	sigset_t none;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		if (sigismember(reset, sig) == 1)
			(void)sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigaddset(&none, SIGUSR1);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* The handler's side of vfork: only system calls, and _exit. */
static _Noreturn void
runner_child(struct runner_spawn *s)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL); /* the runner's SIGUSR1 */
	setpgid(0, 0);
	if (fchdir(s->jobdirfd) < 0) {
		s->err = errno;
		s->stage = 1;
		_exit(127);
	}
	if ((s->infd != 0 && dup2(s->infd, 0) < 0) || dup2(s->outfd, 1) < 0 ||
	    dup2(s->errfd, 2) < 0) {
		s->err = errno;
		s->stage = 1;
		_exit(127);
	}
	/* conf `user`: groups, then gid, then uid (after it, no way back). */
	if (s->user != NULL &&
	    (setgroups((size_t)s->user->ngroups, s->user->groups) < 0 ||
		setgid(s->user->gid) < 0 || setuid(s->user->uid) < 0)) {
		s->err = errno;
		s->stage = 3;
		_exit(127);
	}
	/* A killed runner must not leave a handler behind that could run a
	 * second time beside the retried job. After the credentials change,
	 * which clears it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != s->runner_pid)
		_exit(127);
	close_range(3, ~0U, 0);
	execve(s->argv[0], s->argv, environ);
	s->err = errno;
	s->stage = 2;
	_exit(127);
}

static pid_t
runner_vfork(struct runner_spawn *s)
{
	pid_t pid = vfork();

	if (pid == 0)
		runner_child(s);
	return pid;
}

static void
runner_kill(pid_t pid, int sig)
{
	if (kill(-pid, sig) < 0)
		kill(pid, sig);
}

/* The runner's signalfd for SIGUSR1 (a cancel), made at its first job and
 * kept for its life; -1 when it could not be made (no cancel then). */
static int
runner_cancel_fd(void)
{
	static int fd = -1;
	sigset_t usr1;

	if (fd < 0) {
		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		fd = signalfd(-1, &usr1, SFD_NONBLOCK | SFD_CLOEXEC);
	}
	return fd;
}

/* Waits for the handler; at the deadline SIGTERM to its group, SIGKILL after
 * kill_grace. SIGUSR1 (chuted's cancel, kept blocked since the fork so none
 * is lost) does the same at once. Sets *timed_out or *cancelled when the
 * runner had to kill for that reason; a handler that had already exited
 * when the cancel came keeps its own outcome (whichever comes first).
 * 0, or -1 with errno. */
static int
runner_wait(const struct conf *cf, pid_t pid, int *wstatus, bool *timed_out,
    bool *cancelled)
{
	int64_t deadline = -1, now;
	int pidfd = -1, sigfd, phase = 0, n;
	struct pollfd pfd[2];

	*timed_out = false;
	*cancelled = false;
	sigfd = runner_cancel_fd();
	pidfd = pidfd_open(pid, 0);
	if (pidfd < 0)
		log_warn("pidfd_open: %s: no timeout or cancel for pid %ld",
		    strerror(errno), (long)pid);
	else if (cf->timeout_ms > 0)
		deadline = timestamp_mono_ms() + cf->timeout_ms;
	while (pidfd >= 0) {
		now = timestamp_mono_ms();
		pfd[0].fd = pidfd;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		pfd[1].fd = phase == 0 ? sigfd : -1;
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		n = poll(pfd, 2,
		    deadline < 0 ? -1
				 : (int)(deadline > now ? deadline - now : 0));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
			break; /* exited (or poll failed: just wait) */
		if (n > 0 && (pfd[1].revents & POLLIN)) {
			struct signalfd_siginfo si;

			while (read(sigfd, &si, sizeof(si)) > 0)
				;
			*cancelled = true;
		} else if (phase == 0) {
			*timed_out = true;
		}
		if (phase == 0) {
			runner_kill(pid, SIGTERM);
			deadline = timestamp_mono_ms() + cf->kill_grace_ms;
			phase = 1;
		} else {
			runner_kill(pid, SIGKILL);
			deadline = -1;
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	while (waitpid(pid, wstatus, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

static void
runner_setenv(const struct spool *sp, const char *id, const char *jobdir,
    unsigned attempt)
{
	char job[PATH_MAX + 8], num[16];

	snprintf(job, sizeof(job), "%s/job", jobdir);
	snprintf(num, sizeof(num), "%u", attempt);
	if (setenv("CHUTE_ID", id, 1) < 0 || setenv("CHUTE_JOB", job, 1) < 0 ||
	    setenv("CHUTE_ATTEMPT", num, 1) < 0 ||
	    setenv("CHUTE_SPOOL", sp->path, 1) < 0)
		log_warn("%s: setenv: %s", id, strerror(errno));
}

static int
runner_open_out(int jobdirfd, const char *name)
{
	return openat(jobdirfd, name,
	    O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
}

static void
runner_seconds(int64_t ms, char *buf, size_t len)
{
	if (ms < 0)
		ms = 0;
	snprintf(buf, len, "%" PRId64 ".%03ds", ms / 1000, (int)(ms % 1000));
}

/* Runs the handler; fills *wstatus (127 when it could not be executed).
 * Returns 0, or -1 with errno when its stdout or stderr could not be opened:
 * then nothing ran. The "running" log line (st) is written once the handler
 * has started: not on the way from the claim to its exec. */
static int
runner_spawn_handler(const struct conf *cf, const struct status *st,
    int jobdirfd, const char *jobdir, int *wstatus, bool *timed_out,
    bool *cancelled)
{
	const char *id = st->id;
	char queued[32];
	struct runner_spawn s;
	pid_t pid;
	int rc = -1, saved;

	memset(&s, 0, sizeof(s));
	*timed_out = false;
	*cancelled = false;
	*wstatus = 127 << 8;
	s.argv[0] = cf->handler;
	s.argv[1] = (char *)jobdir;
	s.argv[2] = NULL;
	s.jobdirfd = jobdirfd;
	s.runner_pid = runner_self;
	s.user = chuted_user.set ? &chuted_user : NULL;
	s.infd = 0; /* the runner's /dev/null */
	s.outfd = runner_open_out(jobdirfd, "stdout");
	s.errfd = runner_open_out(jobdirfd, "stderr");
	if (s.outfd < 0 || s.errfd < 0) {
		saved = errno;
		log_err("%s: cannot open the handler's stdio: %s", id,
		    strerror(saved));
		errno = saved;
		goto out;
	}
	rc = 0;
	/* vfork: we go on once the child has exec'd or exited, so its own
	 * setpgid(0, 0) has happened; ours would only fail with EACCES. */
	pid = runner_vfork(&s);
	runner_seconds(
	    st->started_ms - st->submitted_ms, queued, sizeof(queued));
	log_info("%s running: attempt %u, queued %s", id, st->attempt, queued);
	if (pid < 0) {
		s.err = errno;
		s.stage = 2;
	} else {
		if (runner_wait(cf, pid, wstatus, timed_out, cancelled) < 0)
			log_err("%s: waitpid: %s", id, strerror(errno));
	}
	if (s.stage != 0) {
		dprintf(s.errfd, "chute: cannot %s %s: %s\n",
		    s.stage == 1       ? "enter"
			: s.stage == 3 ? "become user"
				       : "execute",
		    s.stage == 1       ? jobdir
			: s.stage == 3 ? cf->user
				       : cf->handler,
		    strerror(s.err));
		*wstatus = 127 << 8;
	}
out:
	saved = errno;
	if (s.outfd >= 0)
		close(s.outfd);
	if (s.errfd >= 0)
		close(s.errfd);
	errno = saved;
	return rc;
}

/* True when the filesystem holding the job has (almost) no room or inodes
 * left: a handler that failed there most likely ran out of space. */
static bool
runner_fs_full(int jobdirfd)
{
	struct statvfs sv;

	if (fstatvfs(jobdirfd, &sv) < 0)
		return false;
	return (uint64_t)sv.f_bavail * sv.f_frsize < RUNNER_FULL_BYTES ||
	    (sv.f_files > 0 && sv.f_favail == 0);
}

enum spool_state
runner_settle_plan(const struct conf *cf, const struct spool *sp,
    const char *id, struct status *st, const struct fate *f)
{
	enum spool_state to;
	int64_t delay;

	if (st->finished_ms == 0)
		st->finished_ms = timestamp_now_ms();
	snprintf(st->reason, sizeof(st->reason), "%s", f->reason);
	delay = fate_retry_delay_ms(
	    f, st->attempt, cf->retries, cf->retry_delay_ms);
	/* A cancel that came too late to stop this attempt still stops the
	 * retries (chuted keeps cancel/ID until the job has settled). */
	if (delay >= 0 &&
	    faccessat(sp->dirfd[SPOOL_CANCEL], id, F_OK, AT_SYMLINK_NOFOLLOW) ==
		0) {
		log_info("%s: cancelled: no retry", id);
		delay = -1;
	}
	if (f->costs_attempt && st->attempt > 0 &&
	    status_record_attempt(st) < 0)
		log_warn(
		    "%s: cannot record the attempt: %s", id, strerror(errno));
	to = delay < 0 ? f->to : SPOOL_NEW;
	st->state = to;
	if (to == SPOOL_NEW) {
		/* The history keeps this attempt; the top level says what a
		 * reader needs now: queued, attempts so far, not before. */
		st->not_before_ms = st->finished_ms + delay;
		st->started_ms = st->finished_ms = 0;
		st->exit_code = -1;
		st->signal = 0;
		st->reason[0] = '\0';
		st->runner_pid = 0;
	}
	return to;
}

static void
runner_pause_ms(long ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = ms % 1000 * 1000000L;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* After ESTALE through the job's directory fd (GlusterFS, right after our
 * claim; the handle heals within moments): pauses (40, then 80 ms),
 * looks run/ID up afresh into *jobdirfd and says whether to try again:
 * false for any other errno or once RUNNER_STALE_TRIES looks are spent. */
static bool
runner_stale_again(
    const struct spool *sp, const char *id, int *jobdirfd, int *tries)
{
	int fd;

	if (!RUNNER_STALE(errno) || ++*tries >= RUNNER_STALE_TRIES)
		return false;
	runner_pause_ms(20L << *tries);
	fd = openat(sp->dirfd[SPOOL_RUN], id,
	    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		if (*jobdirfd >= 0)
			close(*jobdirfd);
		*jobdirfd = fd;
	}
	log_info("%s: stale file handle: looking again", id);
	errno = ESTALE;
	return true;
}

/* status_write() through a fresh look-up of STATE/ID, after ESTALE through
 * an older directory fd (GlusterFS). 0, or -1 with errno. */
static int
runner_write_fresh(const struct conf *cf, const struct spool *sp,
    enum spool_state state, const char *id, const struct status *st,
    bool durable)
{
	int fd, rc, saved;

	fd = openat(sp->dirfd[state], id,
	    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = status_write(fd, st, durable && cf->fsync);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

void
runner_settle_last(const struct conf *cf, const struct spool *sp,
    const char *id, const struct status *st, const struct fate *f,
    enum spool_state to)
{
	char when[40];

	if (cf->fsync && fsio_fsync_dir(sp->dirfd[to]) < 0)
		log_warn("%s: fsync %s/: %s", id, spool_state_dirname(to),
		    strerror(errno));
	if (to == SPOOL_NEW) {
		if (timestamp_format(st->not_before_ms, when, sizeof(when)) < 0)
			snprintf(when, sizeof(when), "?");
		log_warn("%s queued again: attempt %u ended (%s), retry "
			 "not before %s",
		    id, st->attempt, f->reason, when);
	}
}

int
runner_settle(const struct conf *cf, const struct spool *sp, const char *id,
    int jobdirfd, struct status *st, const struct fate *f, enum spool_state *to)
{
	int tries;
	bool stale = false, requeue;

	*to = runner_settle_plan(cf, sp, id, st, f);
	/* A requeue's status must be durable before the move: not_before
	 * is what keeps every watcher from running it at once. */
	requeue = *to == SPOOL_NEW;
	if (status_write_reserved(jobdirfd, st, requeue && cf->fsync) < 0 &&
	    (!RUNNER_STALE(errno) ||
		runner_write_fresh(
		    cf, sp, SPOOL_RUN, id, st, *to == SPOOL_NEW) < 0)) {
		/* GlusterFS: writes into a job dir can fail for a while
		 * (RUNNER_STALE), when its rename succeeds: write again
		 * after the move. */
		stale = RUNNER_STALE(errno);
		if (!stale)
			log_warn("%s: cannot write the final status: %s", id,
			    strerror(errno));
	}
	/* Still under the lock: nobody sees this job in run/ with a free
	 * lock, and in new/ it is not due before not_before anyway. ESTALE
	 * (GlusterFS) heals within moments: try again. */
	for (tries = 1; job_move(sp, id, SPOOL_RUN, *to) < 0; tries++) {
		if (errno != ESTALE || tries >= RUNNER_STALE_TRIES) {
			log_err("%s: cannot move it to %s/: %s", id,
			    spool_state_dirname(*to), strerror(errno));
			return -1;
		}
		runner_pause_ms(20L << tries);
	}
	for (tries = 1; stale &&
	     runner_write_fresh(cf, sp, *to, id, st, *to == SPOOL_NEW) < 0;
	     tries++) {
		if (!RUNNER_STALE(errno) || tries >= RUNNER_STALE_TRIES) {
			log_warn("%s: cannot write the final status in %s/: %s",
			    id, spool_state_dirname(*to), strerror(errno));
			break;
		}
		runner_pause_ms(20L << tries);
	}
	runner_settle_last(cf, sp, id, st, f, *to);
	return 0;
}

/* A claimed job whose handler never started because the filesystem
 * answered ESTALE or ENOENT right after our claiming rename, also after
 * looking again (GlusterFS: a handle gone stale under another client's
 * look-ups). Still holding the lock, the runner puts back the status as it
 * was (no attempt counted) and moves the job back to new/:
 * RUNNER_EXIT_RETRY, so chuted claims it again. If the job cannot be moved
 * (not in run/ any more: not ours to run) RUNNER_EXIT_TROUBLE: chuted then
 * probes run/ID as for a runner that died. */
static int
runner_unstart(const struct conf *cf, const struct spool *sp, const char *id,
    const struct status *before, int err)
{
	int jobdirfd = -1, tries = 0, rc = -1;

	/* Pause first, then a fresh look-up for every try. */
	errno = ESTALE;
	while (rc < 0 && runner_stale_again(sp, id, &jobdirfd, &tries) &&
	    jobdirfd >= 0)
		rc = status_write(jobdirfd, before, cf->fsync);
	tries = 0;
	while (job_move(sp, id, SPOOL_RUN, SPOOL_NEW) < 0) {
		if (!runner_stale_again(sp, id, &jobdirfd, &tries)) {
			log_warn("%s: cannot move it back to new/: %s", id,
			    strerror(errno));
			if (jobdirfd >= 0)
				close(jobdirfd);
			return RUNNER_EXIT_TROUBLE;
		}
	}
	if (jobdirfd >= 0)
		close(jobdirfd);
	/* Writes inside the dir may heal once it has moved: still locked,
	 * so nobody claims it before its status is back. */
	for (tries = 1; rc < 0 &&
	     (rc = runner_write_fresh(cf, sp, SPOOL_NEW, id, before, true)) < 0;
	     tries++) {
		if (!RUNNER_STALE(errno) || tries >= RUNNER_STALE_TRIES) {
			log_warn("%s: cannot put its status back: %s", id,
			    strerror(errno));
			break;
		}
		runner_pause_ms(20L << tries);
	}
	if (cf->fsync && fsio_fsync_dir(sp->dirfd[SPOOL_NEW]) < 0)
		log_warn("%s: fsync new/: %s", id, strerror(errno));
	log_warn("%s queued again: it could not start (%s), no attempt counted",
	    id, strerror(err));
	return RUNNER_EXIT_RETRY;
}

/* The room for the final status (status_reserve), then the "running"
 * status itself. 0 or -1 with errno. */
static int
runner_record_start(
    const struct conf *cf, int jobdirfd, const struct status *st)
{
	if (status_reserve(jobdirfd, st) < 0)
		return -1;
	return status_write(jobdirfd, st, cf->fsync);
}

/* Everything after the fork that can fail; returns the runner's exit code.
 * submitted_ms: the job file's "submitted" as chuted read it, or 0. */
static int
runner_run(const struct conf *cf, const struct spool *sp, const char *id,
    int lockfd, int64_t submitted_ms)
{
	char jobdir[PATH_MAX], queued[32], ran[32], what[64];
	const struct fate *f;
	enum spool_state to;
	struct status st, before;
	int jobdirfd = -1, wstatus, rc = RUNNER_EXIT_TROUBLE, n, tries = 0;
	bool timed_out, cancelled = false, full = false;

	status_init(&st, id);
	jobdirfd = openat(sp->dirfd[SPOOL_RUN], id,
	    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	n = snprintf(jobdir, sizeof(jobdir), "%s/%s/%s", sp->path,
	    spool_state_dirname(SPOOL_RUN), id);
	if (jobdirfd < 0 || n < 0 || (size_t)n >= sizeof(jobdir)) {
		log_err("%s: runner: cannot open run/%s: %s", id, id,
		    strerror(jobdirfd < 0 ? errno : ENAMETOOLONG));
		goto out;
	}
	if (status_read(jobdirfd, &st) < 0 && errno != ENOENT)
		log_warn(
		    "%s: ignoring unreadable status: %s", id, strerror(errno));
	snprintf(st.id, sizeof(st.id), "%s", id);
	before = st; /* shares st.attempts, which stays as it is until then */
	before.state = SPOOL_NEW;
	st.state = SPOOL_RUN;
	st.attempt++;
	if (st.submitted_ms == 0)
		st.submitted_ms = submitted_ms != 0
		    ? submitted_ms
		    : job_peek_submitted(lockfd);
	st.started_ms = timestamp_now_ms();
	st.finished_ms = 0;
	st.exit_code = -1;
	st.signal = 0;
	st.reason[0] = '\0';
	st.runner_pid = runner_self;
	st.not_before_ms = 0;
	/* The room for the final status first: if the handler fills the
	 * filesystem, the outcome is still recorded. */
	while ((rc = runner_record_start(cf, jobdirfd, &st)) < 0 &&
	    runner_stale_again(sp, id, &jobdirfd, &tries))
		;
	if (rc < 0 || (cf->fsync && fsio_fsync_dir(sp->dirfd[SPOOL_RUN]) < 0)) {
		int err = errno;

		rc = RUNNER_EXIT_TROUBLE;
		/* Without a durable "running" the handler may not start. */
		log_err("%s: cannot record the start: %s", id, strerror(err));
		if (job_lost_race(err)) {
			rc = runner_unstart(cf, sp, id, &before, err);
			goto out;
		}
		wstatus = 127 << 8;
		timed_out = false;
	} else {
		runner_setenv(sp, id, jobdir, st.attempt);
		tries = 0;
		while ((rc = runner_spawn_handler(cf, &st, jobdirfd, jobdir,
			    &wstatus, &timed_out, &cancelled)) < 0 &&
		    runner_stale_again(sp, id, &jobdirfd, &tries))
			;
		if (rc < 0 && job_lost_race(errno) && errno != EEXIST) {
			rc = runner_unstart(cf, sp, id, &before, errno);
			goto out;
		}
		rc = RUNNER_EXIT_TROUBLE;
	}

	f = fate_of(
	    cancelled ? FATE_CANCELLED : fate_from_wstatus(wstatus, timed_out));
	st.finished_ms = timestamp_now_ms();
	st.exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
	st.signal = WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0;
	if (wstatus != 0)
		full = runner_fs_full(jobdirfd);
	if (runner_settle(cf, sp, id, jobdirfd, &st, f, &to) < 0)
		goto out;
	/* The cancel is consumed once it has stopped the job. */
	if (cancelled && unlinkat(sp->dirfd[SPOOL_CANCEL], id, 0) < 0 &&
	    errno != ENOENT)
		log_warn(
		    "%s: cannot remove cancel/%s: %s", id, id, strerror(errno));
	if (to == SPOOL_NEW) {
		rc = RUNNER_EXIT_RETRY;
		goto out;
	}
	if (st.signal != 0)
		snprintf(
		    what, sizeof(what), "signal %d (%s)", st.signal, st.reason);
	else
		snprintf(what, sizeof(what), "exit %d (%s)", st.exit_code,
		    st.reason);
	runner_seconds(st.started_ms - st.submitted_ms, queued, sizeof(queued));
	runner_seconds(st.finished_ms - st.started_ms, ran, sizeof(ran));
	log_msg(to == SPOOL_DONE ? LOG_INFO : LOG_WARNING,
	    "%s %s: %s, attempt %u, queued %s, ran %s%s", id,
	    spool_state_public(to), what, st.attempt, queued, ran,
	    full ? "; no space left on device in the spool (its results may "
		   "be cut short)"
		 : "");
	rc = to == SPOOL_DONE ? RUNNER_EXIT_DONE : RUNNER_EXIT_FAILED;
out:
	status_fini(&st);
	if (jobdirfd >= 0)
		close(jobdirfd);
	return rc;
}

static int
runner_cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* Closes every fd from 3 up but those in keep (the lock and the spool's
 * O_PATH directory fds): no inotify, epoll, signalfd or timerfd of chuted's
 * survives in the runner. */
static void
runner_close_fds(int *keep, size_t nkeep)
{
	unsigned lo = 3;
	size_t i;

	qsort(keep, nkeep, sizeof(*keep), runner_cmp_int);
	for (i = 0; i < nkeep; i++) {
		if (keep[i] < (int)lo)
			continue;
		if ((unsigned)keep[i] > lo)
			close_range(lo, (unsigned)keep[i] - 1, 0);
		lo = (unsigned)keep[i] + 1;
	}
	close_range(lo, ~0U, 0);
}

/* Drops a SIGUSR1 still pending from the previous job: chuted sent it
 * before this job (it signals only a runner that holds the job to cancel),
 * so it is not for this one. A cancel of this job that races with the
 * drop is not lost: chuted signals again until the job has settled. */
static void
runner_forget_cancels(void)
{
	static const struct timespec zero = {0, 0};
	sigset_t usr1;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	while (sigtimedwait(&usr1, NULL, &zero) == SIGUSR1)
		;
}

/* Receives one job: its name into m and the lock into *lockfd. Returns 1,
 * 0 at EOF (chuted is gone or let us go), -1 on an error. */
static int
runner_recv(int sock, struct runner_msg *m, int *lockfd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = m, .iov_len = sizeof(*m)};
	struct msghdr mh;
	struct cmsghdr *cm;
	ssize_t n;

	*lockfd = -1;
	for (;;) {
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
		if (n >= 0 || errno != EINTR)
			break;
	}
	if (n <= 0)
		return (int)n;
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(lockfd, CMSG_DATA(cm), sizeof(int));
	if (n != (ssize_t)sizeof(*m) || *lockfd < 0 ||
	    (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    memchr(m->id, '\0', sizeof(m->id)) == NULL) {
		if (*lockfd >= 0)
			close(*lockfd);
		errno = EPROTO;
		return -1;
	}
	return 1;
}

void
runner_serve(struct chuted *c, int sock)
{
	struct runner_msg m;
	int keep[SPOOL_NSTATES + 2], nullfd, lockfd, rc;
	size_t nkeep = 0, i;
	ssize_t n;

	/* Once per runner: leave everything of chuted's behind. */
	runner_self = getpid();
	setsid();
	runner_reset_signals(&c->sig_reset);
	if (c->use_syslog)
		closelog(); /* reconnects lazily, on a socket of its own */
	keep[nkeep++] = sock;
	keep[nkeep++] = c->sp.rootfd;
	for (i = 0; i < SPOOL_NSTATES; i++)
		keep[nkeep++] = c->sp.dirfd[i];
	runner_close_fds(keep, nkeep);
	/* fd 0 stays /dev/null: it is every handler's stdin. */
	nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nullfd < 0 || dup2(nullfd, 0) < 0 || dup2(nullfd, 1) < 0) {
		log_err("runner: /dev/null: %s", strerror(errno));
		_exit(RUNNER_EXIT_TROUBLE);
	}
	close(nullfd);
	for (;;) {
		rc = runner_recv(sock, &m, &lockfd);
		if (rc == 0)
			_exit(RUNNER_EXIT_DONE);
		if (rc < 0) {
			log_err("runner: receiving a job: %s", strerror(errno));
			_exit(RUNNER_EXIT_TROUBLE);
		}
		runner_forget_cancels();
		rc = runner_run(&c->conf, &c->sp, m.id, lockfd, m.submitted_ms);
		/* The job has left run/ (or is lost): let the lock go. */
		close(lockfd);
		do
			n = send(sock, &rc, sizeof(rc), MSG_NOSIGNAL);
		while (n < 0 && errno == EINTR);
		if (n != (ssize_t)sizeof(rc))
			_exit(rc); /* chuted is gone: so are we */
	}
}
