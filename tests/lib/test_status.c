/* SPDX-License-Identifier: MIT */
/*
 * test_status: corrupt, truncated, mistyped and oversized status files first
 * (EBADMSG, EFBIG, ELOOP, EINVAL, and st left status_init()ed), then the
 * exact JSON written (key order, nulls, one line), round trips and attempts.
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
#include <unistd.h>

#include <cmocka.h>

#include "fsio.h"
#include "helpers.h"
#include "status.h"
#include "timestamp.h"

static const char good[] =
    "{\"id\":\"J1\",\"state\":\"done\",\"attempt\":2,"
    "\"submitted\":\"2024-01-01T00:00:00.000Z\","
    "\"started\":\"2024-01-01T00:00:01.000Z\","
    "\"finished\":\"2024-01-01T00:00:02.500Z\",\"exit_code\":0,"
    "\"signal\":null,\"reason\":\"exit\",\"runner_pid\":1234,"
    "\"not_before\":null,\"attempts\":[]}\n";

static void
assert_pristine(const struct status *st)
{
	assert_string_equal(st->id, "");
	assert_int_equal(st->state, SPOOL_NEW);
	assert_int_equal(st->attempt, 0);
	assert_int_equal(st->submitted_ms, 0);
	assert_int_equal(st->exit_code, -1);
	assert_int_equal(st->signal, 0);
	assert_string_equal(st->reason, "");
	assert_int_equal(st->runner_pid, 0);
	assert_null(st->attempts);
}

static void
test_read_corrupt(void **state)
{
	struct tdir *t = *state;
	static const char *const bad[] = {
	    "",
	    "\n",
	    "{",
	    "{\"id\":\"J1\",\"state\":\"do", /* truncated */
	    "[]",
	    "\"status\"",
	    "null",
	    "{\"state\":\"sleeping\"}",
	    "{\"state\":\"tmp\"}",
	    "{\"state\":1}",
	    "{\"attempt\":\"2\"}",
	    "{\"attempt\":-1}",
	    "{\"attempt\":1.5}",
	    "{\"exit_code\":\"0\"}",
	    "{\"exit_code\":256}",
	    "{\"exit_code\":-2}",
	    "{\"signal\":true}",
	    "{\"signal\":-1}",
	    "{\"runner_pid\":-5}",
	    "{\"runner_pid\":99999999999}",
	    "{\"started\":12345}",
	    "{\"started\":\"yesterday\"}",
	    "{\"finished\":\"2024-01-01T00:00:00+02:00\"}",
	    "{\"reason\":7}",
	    "{\"reason\":\"a reason far too long\"}",
	    "{\"id\":\"../etc\"}",
	    "{\"id\":5}",
	    "{\"attempts\":{}}",
	    "{\"id\":\"J1\",\"id\":\"J2\"}", /* duplicate key */
	    "{\"id\":\"J1\"} trailing",
	    "\xff\xfe{}",
	};
	struct status st;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		th_write(t->fd, "status", bad[i]);
		st.attempts = (json_t *)&st; /* garbage: must be overwritten */
		errno = 0;
		if (status_read(t->fd, &st) != -1 || errno != EBADMSG)
			fail_msg("case %zu (%s): errno %d", i, bad[i], errno);
		assert_pristine(&st);
	}
	/* a prefix of a good file is never accepted */
	for (i = 0; i < sizeof(good) - 2; i += 7) {
		char cut[sizeof(good)];
		memcpy(cut, good, i);
		cut[i] = '\0';
		th_write(t->fd, "status", cut);
		errno = 0;
		assert_int_equal(status_read(t->fd, &st), -1);
		assert_int_equal(errno, EBADMSG);
	}
}

static void
test_read_not_a_file(void **state)
{
	struct tdir *t = *state;
	static const struct {
		const char *kind;
		int want;
	} cases[] = {
	    {"missing", ENOENT},
	    {"symlink", ELOOP},
	    {"fifo", EINVAL},
	    {"dir", EINVAL},
	    {"huge", EFBIG},
	};
	struct status st;
	size_t i;
	int fd;

	th_write(t->fd, "real", good);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fsio_remove_tree(t->fd, "status");
		if (strcmp(cases[i].kind, "symlink") == 0)
			assert_int_equal(symlinkat("real", t->fd, "status"), 0);
		else if (strcmp(cases[i].kind, "fifo") == 0)
			assert_int_equal(mkfifoat(t->fd, "status", 0600), 0);
		else if (strcmp(cases[i].kind, "dir") == 0)
			th_mkdir(t->fd, "status");
		else if (strcmp(cases[i].kind, "huge") == 0) {
			fd = openat(t->fd, "status",
			    O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
			assert_int_equal(ftruncate(fd, (1 << 20) + 1), 0);
			close(fd);
		}
		errno = 0;
		if (status_read(t->fd, &st) != -1 || errno != cases[i].want)
			fail_msg("%s: errno %d", cases[i].kind, errno);
		assert_pristine(&st);
	}
}

static void
test_read_good(void **state)
{
	struct tdir *t = *state;
	struct status st;

	th_write(t->fd, "status", good);
	assert_int_equal(status_read(t->fd, &st), 0);
	assert_string_equal(st.id, "J1");
	assert_int_equal(st.state, SPOOL_DONE);
	assert_int_equal(st.attempt, 2);
	assert_int_equal(st.submitted_ms, 1704067200000);
	assert_int_equal(st.started_ms, 1704067201000);
	assert_int_equal(st.finished_ms, 1704067202500);
	assert_int_equal(st.exit_code, 0);
	assert_int_equal(st.signal, 0);
	assert_string_equal(st.reason, "exit");
	assert_int_equal(st.runner_pid, 1234);
	assert_non_null(st.attempts);
	status_fini(&st);
	/* unknown keys ignored, missing keys null, all nulls accepted */
	th_write(t->fd, "status",
	    "{\"future\":{\"x\":1},\"state\":\"running\",\"id\":null,"
	    "\"attempt\":null,\"exit_code\":null,\"attempts\":null}");
	assert_int_equal(status_read(t->fd, &st), 0);
	assert_int_equal(st.state, SPOOL_RUN);
	assert_string_equal(st.id, "");
	assert_int_equal(st.exit_code, -1);
	assert_null(st.attempts);
	status_fini(&st);
}

static void
test_write_exact(void **state)
{
	struct tdir *t = *state;
	struct status st;
	struct stat sb;
	char *text;

	status_init(&st, "J2");
	text = NULL;
	assert_int_equal(status_write(t->fd, &st, true), 0);
	text = th_read(t->fd, "status");
	assert_string_equal(text,
	    "{\"id\":\"J2\",\"state\":\"queued\",\"attempt\":null,"
	    "\"submitted\":null,\"started\":null,\"finished\":null,"
	    "\"exit_code\":null,\"signal\":null,\"reason\":null,"
	    "\"runner_pid\":null,\"not_before\":null,\"attempts\":[]}\n");
	free(text);
	assert_int_equal(fstatat(t->fd, "status", &sb, 0), 0);
	assert_int_equal(sb.st_mode & 0777, SPOOL_MODE_JOBFILE & 0777);
	/* a signal death, then a retry */
	st.state = SPOOL_FAILED;
	st.attempt = 1;
	st.started_ms = 1000;
	st.finished_ms = 2000;
	st.signal = 9;
	snprintf(st.reason, sizeof(st.reason), "signal");
	st.runner_pid = 42;
	assert_int_equal(status_record_attempt(&st), 0);
	st.state = SPOOL_NEW;
	st.attempt = 2;
	st.not_before_ms = 5000;
	assert_int_equal(status_record_attempt(&st), 0);
	assert_int_equal(status_write(t->fd, &st, false), 0);
	text = th_read(t->fd, "status");
	assert_string_equal(text,
	    "{\"id\":\"J2\",\"state\":\"queued\",\"attempt\":2,"
	    "\"submitted\":null,\"started\":\"1970-01-01T00:00:01.000Z\","
	    "\"finished\":\"1970-01-01T00:00:02.000Z\",\"exit_code\":null,"
	    "\"signal\":9,\"reason\":\"signal\",\"runner_pid\":42,"
	    "\"not_before\":\"1970-01-01T00:00:05.000Z\",\"attempts\":["
	    "{\"attempt\":1,\"started\":\"1970-01-01T00:00:01.000Z\","
	    "\"finished\":\"1970-01-01T00:00:02.000Z\",\"exit_code\":null,"
	    "\"signal\":9,\"reason\":\"signal\"},"
	    "{\"attempt\":2,\"started\":\"1970-01-01T00:00:01.000Z\","
	    "\"finished\":\"1970-01-01T00:00:02.000Z\",\"exit_code\":null,"
	    "\"signal\":9,\"reason\":\"signal\"}]}\n");
	free(text);
	assert_int_equal(th_count_dir(t->fd), 1); /* no temporaries */
	status_fini(&st);
	status_fini(&st);
}

static void
test_round_trip(void **state)
{
	struct tdir *t = *state;
	struct status a, b;
	json_t *ja, *jb;

	status_init(&a, "round.trip-1");
	a.state = SPOOL_RUN;
	a.attempt = 3;
	a.submitted_ms = timestamp_now_ms();
	a.started_ms = a.submitted_ms + 5;
	a.finished_ms = 0;
	a.exit_code = 255;
	a.signal = 0;
	snprintf(a.reason, sizeof(a.reason), "timeout");
	a.runner_pid = 77;
	a.not_before_ms = 0;
	assert_int_equal(status_record_attempt(&a), 0);
	assert_int_equal(status_write(t->fd, &a, true), 0);
	assert_int_equal(status_read(t->fd, &b), 0);
	ja = status_to_json(&a);
	jb = status_to_json(&b);
	assert_true(json_equal(ja, jb));
	assert_int_equal(b.submitted_ms, a.submitted_ms);
	json_decref(ja);
	json_decref(jb);
	/* from_json leaves st alone on failure */
	ja = json_pack("{s:s}", "state", "bogus");
	assert_int_equal(status_from_json(ja, &b), -1);
	assert_int_equal(errno, EBADMSG);
	assert_int_equal(b.state, SPOOL_RUN);
	assert_int_equal(status_from_json(NULL, &b), -1);
	json_decref(ja);
	status_fini(&a);
	status_fini(&b);
}

/* The value helpers that status and jobinfo share: JSON text of each. */
static void
test_value_json(void **state)
{
	const struct {
		const char *name;
		json_t *value;
		const char *want;
	} cases[] = {
	    {"time", status_time(1704067201500),
		"\"2024-01-01T00:00:01.500Z\""},
	    {"time 0 is null", status_time(0), "null"},
	    {"an integer", status_int_or_null(-7, false), "-7"},
	    {"0 is a value", status_int_or_null(0, false), "0"},
	    {"null", status_int_or_null(5, true), "null"},
	};
	size_t i;
	char *text;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_non_null(cases[i].value);
		text = json_dumps(cases[i].value, JSON_ENCODE_ANY);
		assert_non_null(text);
		if (strcmp(text, cases[i].want) != 0)
			fail_msg("%s: got %s, want %s", cases[i].name, text,
			    cases[i].want);
		free(text);
		json_decref(cases[i].value);
	}
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, tdir_path_setup, tdir_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_read_corrupt),
	    T(test_read_not_a_file),
	    T(test_read_good),
	    T(test_write_exact),
	    T(test_round_trip),
	    cmocka_unit_test(test_value_json),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
