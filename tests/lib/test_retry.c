/* SPDX-License-Identifier: MIT */
/*
 * test_retry: retry_requeue() on real temporary spools: a failed job goes
 * back to new/ with its status reset (state queued, attempt 0, outcome and
 * times cleared, submitted and the attempts history kept) and a stale
 * cancel/ID removed; every refusal (invalid, unknown, queued, running,
 * done, rejected) leaves the job where it was; forked retries racing for
 * one job: exactly one wins, every round, and tmp/ stays clean.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "retry.h"
#include "status.h"

static int
open_job(const struct spool *sp, enum spool_state st, const char *id)
{
	int fd = openat(sp->dirfd[st], id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

/* A job dir in st with a job file and, when reason is not NULL, a status
 * of a finished attempt 2 with a history of two attempts. */
static void
make_job(const struct spool *sp, enum spool_state st, const char *id,
    const char *reason)
{
	struct status s;
	int fd;

	th_mkdir(sp->dirfd[st], id);
	fd = open_job(sp, st, id);
	th_write(fd, "job", "{}");
	if (reason != NULL) {
		status_init(&s, id);
		s.state = st;
		s.submitted_ms = 1000;
		s.attempt = 1;
		s.started_ms = 2000;
		s.finished_ms = 3000;
		s.exit_code = 1;
		snprintf(s.reason, sizeof(s.reason), "exit");
		assert_int_equal(status_record_attempt(&s), 0);
		s.attempt = 2;
		s.started_ms = 4000;
		s.finished_ms = 5000;
		s.exit_code = strcmp(reason, "exit") == 0 ? 3 : -1;
		s.signal = strcmp(reason, "signal") == 0 ? 9 : 0;
		s.runner_pid = 4242;
		s.not_before_ms = 6000;
		snprintf(s.reason, sizeof(s.reason), "%s", reason);
		assert_int_equal(status_record_attempt(&s), 0);
		assert_int_equal(status_write(fd, &s, false), 0);
		status_fini(&s);
	}
	close(fd);
}

static void
test_requeue(void **state)
{
	struct tspool *ts = *state;
	const struct spool *sp = &ts->sp;
	static const char *const reasons[] = {
	    "exit", "signal", "timeout", "cancelled", "lost"};
	enum spool_state found;
	struct status s;
	char id[32];
	int fd;

	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		snprintf(id, sizeof(id), "job-%s", reasons[i]);
		make_job(sp, SPOOL_FAILED, id, reasons[i]);
		th_write(sp->dirfd[SPOOL_CANCEL], id, ""); /* stale */
		assert_int_equal(retry_requeue(sp, id, true, &found), 0);
		assert_int_equal(found, SPOOL_FAILED);
		assert_false(th_exists(sp->dirfd[SPOOL_FAILED], id));
		assert_false(th_exists(sp->dirfd[SPOOL_CANCEL], id));
		fd = open_job(sp, SPOOL_NEW, id);
		assert_int_equal(status_read(fd, &s), 0);
		close(fd);
		assert_string_equal(s.id, id);
		assert_int_equal(s.state, SPOOL_NEW);
		assert_int_equal(s.attempt, 0);
		assert_int_equal(s.submitted_ms, 1000);
		assert_int_equal(s.started_ms, 0);
		assert_int_equal(s.finished_ms, 0);
		assert_int_equal(s.exit_code, -1);
		assert_int_equal(s.signal, 0);
		assert_string_equal(s.reason, "");
		assert_int_equal(s.runner_pid, 0);
		assert_int_equal(s.not_before_ms, 0);
		assert_non_null(s.attempts);
		assert_int_equal(json_array_size(s.attempts), 2);
		assert_int_equal(json_integer_value(json_object_get(
				     json_array_get(s.attempts, 1), "attempt")),
		    2);
		status_fini(&s);
	}
	assert_int_equal(th_count(sp, SPOOL_TMP), 0);
	assert_int_equal(th_count(sp, SPOOL_FAILED), 0);

	/* A failed job without a status gets a fresh one. */
	make_job(sp, SPOOL_FAILED, "no-status", NULL);
	assert_int_equal(retry_requeue(sp, "no-status", false, NULL), 0);
	fd = open_job(sp, SPOOL_NEW, "no-status");
	assert_int_equal(status_read(fd, &s), 0);
	close(fd);
	assert_int_equal(s.state, SPOOL_NEW);
	assert_int_equal(s.attempt, 0);
	status_fini(&s);
}

static void
test_refused(void **state)
{
	struct tspool *ts = *state;
	const struct spool *sp = &ts->sp;
	static const struct {
		const char *id;
		int want;
		enum spool_state found; /* for EBUSY/EPERM */
		enum spool_state where; /* where it must stay */
	} cases[] = {
	    {"..", EINVAL, SPOOL_NEW, SPOOL_NSTATES},
	    {"a/b", EINVAL, SPOOL_NEW, SPOOL_NSTATES},
	    {"unknown", ENOENT, SPOOL_NEW, SPOOL_NSTATES},
	    {"is-queued", EBUSY, SPOOL_NEW, SPOOL_NEW},
	    {"is-running", EBUSY, SPOOL_RUN, SPOOL_RUN},
	    {"is-done", EBUSY, SPOOL_DONE, SPOOL_DONE},
	    {"is-rejected", EPERM, SPOOL_FAILED, SPOOL_FAILED},
	};
	enum spool_state found;

	make_job(sp, SPOOL_NEW, "is-queued", NULL);
	make_job(sp, SPOOL_RUN, "is-running", "exit");
	make_job(sp, SPOOL_DONE, "is-done", "exit");
	make_job(sp, SPOOL_FAILED, "is-rejected", "rejected");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		found = SPOOL_TMP;
		errno = 0;
		assert_int_equal(
		    retry_requeue(sp, cases[i].id, false, &found), -1);
		if (errno != cases[i].want)
			fail_msg("%s: errno %d, want %d", cases[i].id, errno,
			    cases[i].want);
		if (cases[i].want == EBUSY || cases[i].want == EPERM)
			assert_int_equal(found, cases[i].found);
		if (cases[i].where != SPOOL_NSTATES)
			assert_true(
			    th_exists(sp->dirfd[cases[i].where], cases[i].id));
	}
	assert_int_equal(th_count(sp, SPOOL_TMP), 0);
}

#define RACERS 6
#define ROUNDS 25

/* RACERS children wait on a pipe, then all retry the same job at once. */
static void
test_race(void **state)
{
	struct tspool *ts = *state;
	const struct spool *sp = &ts->sp;
	pid_t pids[RACERS];
	int gate[2], wstatus, winners, round;

	make_job(sp, SPOOL_FAILED, "contested", "exit");
	for (round = 0; round < ROUNDS; round++) {
		assert_int_equal(pipe(gate), 0);
		for (int i = 0; i < RACERS; i++) {
			pids[i] = fork();
			assert_true(pids[i] >= 0);
			if (pids[i] == 0) {
				char c;

				close(gate[1]);
				if (read(gate[0], &c, 1) != 0)
					_exit(99);
				if (retry_requeue(
					sp, "contested", false, NULL) == 0)
					_exit(0);
				/* lost: the move said so, or it was
				 * already back in new/ */
				_exit(errno == EALREADY || errno == EBUSY ? 1
									  : 98);
			}
		}
		close(gate[0]);
		close(gate[1]); /* go */
		winners = 0;
		for (int i = 0; i < RACERS; i++) {
			assert_int_equal(
			    waitpid(pids[i], &wstatus, 0), pids[i]);
			assert_true(WIFEXITED(wstatus));
			if (WEXITSTATUS(wstatus) == 0)
				winners++;
			else
				assert_int_equal(WEXITSTATUS(wstatus), 1);
		}
		assert_int_equal(winners, 1);
		assert_true(th_exists(sp->dirfd[SPOOL_NEW], "contested"));
		assert_int_equal(th_count(sp, SPOOL_TMP), 0);
		assert_int_equal(th_count(sp, SPOOL_FAILED), 0);
		/* back to failed/ for the next round */
		assert_int_equal(renameat(sp->dirfd[SPOOL_NEW], "contested",
				     sp->dirfd[SPOOL_FAILED], "contested"),
		    0);
	}
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, tspool_setup, tspool_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_requeue),
	    T(test_refused),
	    T(test_race),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
