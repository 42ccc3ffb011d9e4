/* SPDX-License-Identifier: MIT */
/*
 * test_jobwait: following jobs on real temporary spools, with a forked
 * process playing the watcher by the real file protocol (rename between
 * state dirs, status and progress written beside the job). The safety
 * re-check is set to 10 minutes, so a wait that ends within the test's
 * bound was woken by inotify, not by the timer: no timing is asserted.
 * Also: unknown and invalid IDs, a job that has already ended, a plain
 * file in new/ (no dir to watch yet), a vanished job, --timeout, a callback
 * that stops the wait, and the event-loop API (the fd becomes readable on
 * a move, and the watch follows the directory).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fsio.h"
#include "helpers.h"
#include "jobwait.h"
#include "status.h"

#define LONG_RECHECK_MS (10 * 60 * 1000)
#define BOUND_MS 20000 /* generous: only a wait that never wakes hits it */

static void
nap_ms(long ms)
{
	struct timespec ts = {
	    .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int
open_job(const struct spool *sp, enum spool_state st, const char *id)
{
	return openat(sp->dirfd[st], id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void
make_job(const struct spool *sp, enum spool_state st, const char *id)
{
	int fd;

	th_mkdir(sp->dirfd[st], id);
	fd = open_job(sp, st, id);
	assert_true(fd >= 0);
	th_write(fd, "job", "{}");
	close(fd);
}

/* In the child: writes dirfd/name atomically, as handlers and runners do,
 * or in place (progress from a shell's "echo > progress"). */
static int
put(int dirfd, const char *name, const char *text, bool atomic)
{
	int fd, rc;

	if (atomic)
		return fsio_atomic_write(
		    dirfd, name, text, strlen(text), 0644, false);
	fd =
	    openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1)
		return -1;
	rc = fsio_write_all(fd, text, strlen(text));
	close(fd);
	return rc;
}

/* The simulated watcher: claims new/ID (a plain file becomes run/ID/job),
 * reports progress, finishes with the given status and moves the job to
 * done/ or failed/. Exits 0, or the step that failed. */
static void
play_watcher(const struct spool *sp, const char *id, bool plain_file,
    enum spool_state to, const char *status_json, int gofd)
{
	char c;
	int fd;

	/* Starts once the waiter has seen the job queued (its callback
	 * writes to the pipe), so the order is certain without a sleep. */
	if (read(gofd, &c, 1) != 1)
		_exit(1);
	close(gofd);
	if (plain_file) {
		if (mkdirat(sp->dirfd[SPOOL_RUN], id, 0770) == -1)
			_exit(2);
		fd = open_job(sp, SPOOL_RUN, id);
		if (fd == -1 ||
		    renameat(sp->dirfd[SPOOL_NEW], id, fd, "job") == -1)
			_exit(3);
	} else {
		if (renameat(sp->dirfd[SPOOL_NEW], id, sp->dirfd[SPOOL_RUN],
			id) == -1)
			_exit(4);
		fd = open_job(sp, SPOOL_RUN, id);
		if (fd == -1)
			_exit(5);
	}
	if (put(fd, "status",
		"{\"state\": \"running\", \"attempt\": 1, \"started\": "
		"\"2026-01-01T00:00:01Z\"}",
		true) == -1)
		_exit(6);
	nap_ms(50);
	if (put(fd, "progress", "45 halfway\n", false) == -1)
		_exit(7);
	nap_ms(50);
	if (put(fd, "status", status_json, true) == -1)
		_exit(8);
	if (renameat(sp->dirfd[SPOOL_RUN], id, sp->dirfd[to], id) == -1)
		_exit(9);
	close(fd);
	_exit(0);
}

struct seen {
	int calls;
	enum spool_state states[32];
	int last_percent;
	int stop_after; /* 0: never */
	int gofd; /* > 0: written to and closed at the first call */
};

static int
record(void *arg, const struct jobinfo *ji)
{
	struct seen *s = arg;

	if (s->calls < 32)
		s->states[s->calls] = ji->state;
	s->calls++;
	s->last_percent = ji->progress_percent;
	if (s->gofd > 0) {
		assert_int_equal(write(s->gofd, "g", 1), 1);
		close(s->gofd);
		s->gofd = -1;
	}
	return s->stop_after != 0 && s->calls >= s->stop_after;
}

static void
test_refused(void **state)
{
	struct tspool *ts = *state;
	struct jobwait jw;
	struct seen s = {0};

	assert_int_equal(
	    jobwait_run(&ts->sp, "../x", 1000, 0, record, &s, NULL), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(
	    jobwait_run(&ts->sp, "unknown", 1000, 0, record, &s, NULL), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(s.calls, 0);
	assert_int_equal(jobwait_open(&jw, &ts->sp, "unknown", 0), -1);
	assert_int_equal(errno, ENOENT);
	jobwait_close(&jw);
	jobwait_close(&jw); /* twice is fine */
}

static void
test_already_ended(void **state)
{
	struct tspool *ts = *state;
	struct jobinfo final;
	struct seen s = {0};

	make_job(&ts->sp, SPOOL_DONE, "old");
	assert_int_equal(jobwait_run(&ts->sp, "old", BOUND_MS, LONG_RECHECK_MS,
			     record, &s, &final),
	    0);
	assert_int_equal(s.calls, 1);
	assert_int_equal(final.state, SPOOL_DONE);
	jobinfo_fini(&final);
}

/* Forks the simulated watcher, waits, and checks what the waiter saw. */
static void
follow(struct tspool *ts, const char *id, bool plain_file, enum spool_state to,
    const char *status_json, const char *want_reason)
{
	struct jobinfo final;
	struct seen s = {0};
	pid_t pid;
	int wstatus, rc, gate[2];

	if (plain_file)
		th_write(ts->sp.dirfd[SPOOL_NEW], id, "payload");
	else
		make_job(&ts->sp, SPOOL_NEW, id);
	assert_int_equal(pipe2(gate, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(gate[1]);
		play_watcher(&ts->sp, id, plain_file, to, status_json, gate[0]);
	}
	close(gate[0]);
	s.gofd = gate[1];
	rc = jobwait_run(
	    &ts->sp, id, BOUND_MS, LONG_RECHECK_MS, record, &s, &final);
	assert_int_equal(waitpid(pid, &wstatus, 0), pid);
	assert_true(WIFEXITED(wstatus));
	assert_int_equal(WEXITSTATUS(wstatus), 0);
	if (rc == -1)
		fail_msg("%s: jobwait_run: %s", id, strerror(errno));
	assert_int_equal(final.state, to);
	assert_string_equal(final.st.reason, want_reason);
	assert_int_equal(final.progress_percent, 45);
	assert_string_equal(final.progress_message, "halfway");
	assert_int_equal(s.states[0], SPOOL_NEW);
	assert_int_equal(s.states[s.calls - 1], to);
	assert_true(s.calls >= 2);
	jobinfo_fini(&final);
}

static void
test_follow_dir(void **state)
{
	follow(*state, "dir-done", false, SPOOL_DONE,
	    "{\"state\": \"done\", \"attempt\": 1, \"exit_code\": 0, "
	    "\"reason\": \"exit\"}",
	    "exit");
	follow(*state, "dir-failed", false, SPOOL_FAILED,
	    "{\"state\": \"failed\", \"attempt\": 1, \"signal\": 9, "
	    "\"reason\": \"signal\"}",
	    "signal");
}

static void
test_follow_plain_file(void **state)
{
	follow(*state, "dropped", true, SPOOL_FAILED,
	    "{\"state\": \"failed\", \"attempt\": 1, \"exit_code\": 3, "
	    "\"reason\": \"exit\"}",
	    "exit");
}

static void
test_vanished(void **state)
{
	struct tspool *ts = *state;
	struct seen s = {0};
	pid_t pid;
	int wstatus, gate[2];
	char c;

	make_job(&ts->sp, SPOOL_RUN, "doomed");
	assert_int_equal(pipe2(gate, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(gate[1]);
		if (read(gate[0], &c, 1) != 1)
			_exit(2);
		_exit(fsio_remove_tree(ts->sp.dirfd[SPOOL_RUN], "doomed") == 0
			? 0
			: 1);
	}
	close(gate[0]);
	s.gofd = gate[1];
	assert_int_equal(jobwait_run(&ts->sp, "doomed", BOUND_MS,
			     LONG_RECHECK_MS, record, &s, NULL),
	    -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(waitpid(pid, &wstatus, 0), pid);
	assert_true(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
	assert_int_equal(s.calls, 1);
}

static void
test_timeout_and_stop(void **state)
{
	struct tspool *ts = *state;
	struct seen s = {0};

	make_job(&ts->sp, SPOOL_NEW, "stuck");
	assert_int_equal(jobwait_run(&ts->sp, "stuck", 200, LONG_RECHECK_MS,
			     record, &s, NULL),
	    -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_int_equal(s.calls, 1);
	s.calls = 0;
	s.stop_after = 1;
	assert_int_equal(jobwait_run(&ts->sp, "stuck", BOUND_MS,
			     LONG_RECHECK_MS, record, &s, NULL),
	    -1);
	assert_int_equal(errno, ECANCELED);
}

/* The event-loop API, in one process: each move makes the fd readable
 * (poll does not time out) and the watch follows the directory. */
static void
test_event_loop_api(void **state)
{
	struct tspool *ts = *state;
	const struct spool *sp = &ts->sp;
	static const enum spool_state path[] = {
	    SPOOL_RUN, SPOOL_NEW, SPOOL_RUN, SPOOL_FAILED};
	struct jobwait jw;
	struct pollfd pfd;
	enum spool_state at = SPOOL_NEW;
	int fd;

	make_job(sp, SPOOL_NEW, "looped");
	assert_int_equal(jobwait_open(&jw, sp, "looped", LONG_RECHECK_MS), 0);
	assert_false(jw.ended);
	assert_int_equal(jw.ji.state, SPOOL_NEW);
	assert_true(jobwait_timeout_ms(&jw) > BOUND_MS);
	for (size_t i = 0; i < sizeof(path) / sizeof(path[0]); i++) {
		assert_int_equal(renameat(sp->dirfd[at], "looped",
				     sp->dirfd[path[i]], "looped"),
		    0);
		at = path[i];
		pfd.fd = jobwait_fd(&jw);
		pfd.events = POLLIN;
		assert_int_equal(poll(&pfd, 1, BOUND_MS), 1);
		assert_int_equal(jobwait_update(&jw), 0);
		assert_true(jw.changed);
		assert_int_equal(jw.ji.state, at);
	}
	assert_true(jw.ended);
	/* A progress change inside the job dir is an event too. */
	jw.ended = false;
	fd = open_job(sp, SPOOL_FAILED, "looped");
	assert_true(fd >= 0);
	th_write(fd, "progress", "77 more\n");
	close(fd);
	pfd.fd = jobwait_fd(&jw);
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, BOUND_MS), 1);
	assert_int_equal(jobwait_update(&jw), 0);
	assert_true(jw.changed);
	assert_int_equal(jw.ji.progress_percent, 77);
	jobwait_close(&jw);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, tspool_setup, tspool_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_refused),
	    T(test_already_ended),
	    T(test_follow_dir),
	    T(test_follow_plain_file),
	    T(test_vanished),
	    T(test_timeout_and_stop),
	    T(test_event_loop_api),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
