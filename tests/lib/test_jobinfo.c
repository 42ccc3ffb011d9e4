/* SPDX-License-Identifier: MIT */
/*
 * test_jobinfo: bad and unknown IDs first, corrupt status files that must
 * not fail a lookup, hostile progress text and result names (symlinks, dot
 * files, FIFOs, too many), then the exact public JSON and a job that keeps
 * moving while it is read.
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
#include "jobinfo.h"
#include "timestamp.h"

static char *
info_json(const struct spool *sp, const char *id)
{
	struct jobinfo ji;
	json_t *obj;
	char *text;

	assert_int_equal(jobinfo_load(sp, id, &ji), 0);
	obj = jobinfo_to_json(&ji);
	assert_non_null(obj);
	text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_non_null(text);
	json_decref(obj);
	jobinfo_fini(&ji);
	return text;
}

static void
make_job(const struct spool *sp, enum spool_state st, const char *id,
    const char *jobtext)
{
	char path[256];

	th_mkdir(sp->dirfd[st], id);
	snprintf(path, sizeof(path), "%s/job", id);
	th_write(sp->dirfd[st], path, jobtext);
}

static void
put(const struct spool *sp, enum spool_state st, const char *id,
    const char *name, const char *text)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", id, name);
	th_write(sp->dirfd[st], path, text);
}

static void
test_bad_and_unknown(void **state)
{
	struct tspool *ts = *state;
	static const char *const bad[] = {
	    "", "..", "../run/x", ".x", "a b", "x\n"};
	struct jobinfo ji;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		assert_int_equal(jobinfo_load(&ts->sp, bad[i], &ji), -1);
		assert_int_equal(errno, EINVAL);
		jobinfo_fini(&ji);
	}
	errno = 0;
	assert_int_equal(jobinfo_load(&ts->sp, NULL, &ji), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(jobinfo_load(&ts->sp, "unknown", &ji), -1);
	assert_int_equal(errno, ENOENT);
	jobinfo_fini(&ji);
	/* things in new/ that are not jobs are unknown, not errors */
	assert_int_equal(symlinkat("/etc", ts->sp.dirfd[SPOOL_NEW], "link"), 0);
	errno = 0;
	assert_int_equal(jobinfo_load(&ts->sp, "link", &ji), -1);
	assert_int_equal(errno, ENOENT);
}

static void
test_corrupt_status_ignored(void **state)
{
	struct tspool *ts = *state;
	const struct spool *sp = &ts->sp;
	static const char *const bad[] = {
	    "", "{", "{\"state\":5}", "[1,2]", "\xff"};
	char *text;
	size_t i;

	make_job(sp, SPOOL_DONE, "C",
	    "{\"submitted\":\"2024-05-01T10:00:00.000Z\"}");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put(sp, SPOOL_DONE, "C", "status", bad[i]);
		text = info_json(sp, "C");
		assert_string_equal(text,
		    "{\"id\":\"C\",\"state\":\"done\","
		    "\"submitted\":\"2024-05-01T10:00:00.000Z\","
		    "\"started\":null,\"finished\":null,\"exit_code\":null,"
		    "\"signal\":null,\"reason\":null,\"attempt\":null,"
		    "\"progress\":null,\"results\":[]}");
		free(text);
	}
	/* a status that is a symlink is not followed */
	fsio_remove_tree(sp->dirfd[SPOOL_DONE], "C/status");
	assert_int_equal(
	    symlinkat("/etc/passwd", sp->dirfd[SPOOL_DONE], "C/status"), 0);
	text = info_json(sp, "C");
	assert_non_null(strstr(text, "\"exit_code\":null"));
	free(text);
}

static void
test_plain_file_queued(void **state)
{
	struct tspool *ts = *state;
	char *text;

	th_write(ts->sp.dirfd[SPOOL_NEW], "dropped", "anything");
	text = info_json(&ts->sp, "dropped");
	assert_string_equal(text,
	    "{\"id\":\"dropped\",\"state\":\"queued\",\"submitted\":null,"
	    "\"started\":null,\"finished\":null,\"exit_code\":null,"
	    "\"signal\":null,\"reason\":null,\"attempt\":null,"
	    "\"progress\":null,\"results\":[]}");
	free(text);
}

static void
test_submitted_fallbacks(void **state)
{
	struct tspool *ts = *state;
	const struct spool *sp = &ts->sp;
	struct timespec times[2] = {
	    {1700000000, 250000000}, {1700000000, 250000000}};
	char *text;
	int fd;

	/* not JSON: the job file's mtime */
	make_job(sp, SPOOL_NEW, "M", "not json at all");
	fd = openat(sp->dirfd[SPOOL_NEW], "M/job", O_RDONLY | O_CLOEXEC);
	assert_int_equal(futimens(fd, times), 0);
	close(fd);
	text = info_json(sp, "M");
	assert_non_null(
	    strstr(text, "\"submitted\":\"2023-11-14T22:13:20.250Z\""));
	free(text);
	/* the status wins over the job file */
	make_job(
	    sp, SPOOL_RUN, "S", "{\"submitted\":\"2024-05-01T10:00:00.000Z\"}");
	put(sp, SPOOL_RUN, "S", "status",
	    "{\"id\":\"S\",\"state\":\"running\",\"attempt\":1,"
	    "\"submitted\":\"2024-05-01T09:00:00.000Z\"}");
	text = info_json(sp, "S");
	assert_non_null(
	    strstr(text, "\"submitted\":\"2024-05-01T09:00:00.000Z\""));
	free(text);
}

static void
test_full_shape(void **state)
{
	struct tspool *ts = *state;
	const struct spool *sp = &ts->sp;
	char *text;

	make_job(sp, SPOOL_FAILED, "F1", "{}");
	/* the status says done: the directory is the truth */
	put(sp, SPOOL_FAILED, "F1", "status",
	    "{\"id\":\"F1\",\"state\":\"done\",\"attempt\":3,"
	    "\"submitted\":\"2024-01-01T00:00:00.000Z\","
	    "\"started\":\"2024-01-01T00:00:01.000Z\","
	    "\"finished\":\"2024-01-01T00:01:00.000Z\",\"exit_code\":null,"
	    "\"signal\":15,\"reason\":\"timeout\",\"runner_pid\":9,"
	    "\"unknown\":[1]}");
	put(sp, SPOOL_FAILED, "F1", "progress", "50 half way\n");
	th_mkdir(sp->dirfd[SPOOL_FAILED], "F1/result");
	put(sp, SPOOL_FAILED, "F1", "result/b.txt", "b");
	put(sp, SPOOL_FAILED, "F1", "result/a.png", "a");
	text = info_json(sp, "F1");
	assert_string_equal(text,
	    "{\"id\":\"F1\",\"state\":\"failed\","
	    "\"submitted\":\"2024-01-01T00:00:00.000Z\","
	    "\"started\":\"2024-01-01T00:00:01.000Z\","
	    "\"finished\":\"2024-01-01T00:01:00.000Z\",\"exit_code\":null,"
	    "\"signal\":15,\"reason\":\"timeout\",\"attempt\":3,"
	    "\"progress\":{\"percent\":50,\"message\":\"half way\"},"
	    "\"results\":[\"a.png\",\"b.txt\"]}");
	free(text);
}

static void
test_hostile_progress(void **state)
{
	struct tspool *ts = *state;
	const struct spool *sp = &ts->sp;
	static const struct {
		const char *file;
		const char *want; /* the "progress" JSON value */
	} cases[] = {
	    {"", "null"},
	    {"\n", "null"},
	    {"abc", "null"},
	    {"-5 x", "null"},
	    {"12abc", "null"},
	    {"200 over", "{\"percent\":100,\"message\":\"over\"}"},
	    {"99999999999999999999999 x",
		"{\"percent\":100,\"message\":\"x\"}"},
	    {"7", "{\"percent\":7,\"message\":\"\"}"},
	    {"33.3% third\r\nsecond line",
		"{\"percent\":33,\"message\":\"third\"}"},
	    {"1 \"quoted\" <script>alert(1)</script> \\ back",
		"{\"percent\":1,\"message\":\"\\\"quoted\\\" "
		"<script>alert(1)</script> \\\\ back\"}"},
	    {"2 bell\a tab\t esc\x1b[31m del\x7f",
		"{\"percent\":2,\"message\":\"bell  tab  esc [31m del\"}"},
	    {"3 bad \xff\xfe utf8 \xc3\xa9",
		"{\"percent\":3,\"message\":"
		"\"bad ?? utf8 \xc3\xa9\"}"},
	};
	char *text, *p, want[512];
	size_t i;

	make_job(sp, SPOOL_RUN, "P", "{}");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		put(sp, SPOOL_RUN, "P", "progress", cases[i].file);
		text = info_json(sp, "P");
		p = strstr(text, "\"progress\":");
		assert_non_null(p);
		snprintf(want, sizeof(want), "\"progress\":%s,\"results\"",
		    cases[i].want);
		if (strncmp(p, want, strlen(want)) != 0)
			fail_msg("case %zu: %s", i, p);
		free(text);
	}
}

static void
test_progress_bounds(void **state)
{
	struct tspool *ts = *state;
	const struct spool *sp = &ts->sp;
	char *big, *text;
	struct jobinfo ji;
	size_t i;

	make_job(sp, SPOOL_RUN, "B", "{}");
	/* a huge first line: the message is cut, valid UTF-8, no failure */
	big = malloc(20000);
	assert_non_null(big);
	memcpy(big, "42 ", 3);
	for (i = 3; i + 2 < 19999; i += 2)
		memcpy(big + i, "\xc3\xa9", 2);
	big[i] = '\0';
	put(sp, SPOOL_RUN, "B", "progress", big);
	free(big);
	assert_int_equal(jobinfo_load(sp, "B", &ji), 0);
	assert_int_equal(ji.progress_percent, 42);
	assert_true(strlen(ji.progress_message) < JOBINFO_MESSAGE_MAX);
	jobinfo_fini(&ji);
	text = info_json(sp, "B");
	assert_non_null(strstr(text, "\"percent\":42"));
	free(text);
	/* a FIFO as progress must not block; a symlink is not followed */
	fsio_remove_tree(sp->dirfd[SPOOL_RUN], "B/progress");
	assert_int_equal(mkfifoat(sp->dirfd[SPOOL_RUN], "B/progress", 0600), 0);
	text = info_json(sp, "B");
	assert_non_null(strstr(text, "\"progress\":null"));
	free(text);
	fsio_remove_tree(sp->dirfd[SPOOL_RUN], "B/progress");
	put(sp, SPOOL_RUN, "B", "secret", "99 secret");
	assert_int_equal(
	    symlinkat("secret", sp->dirfd[SPOOL_RUN], "B/progress"), 0);
	text = info_json(sp, "B");
	assert_non_null(strstr(text, "\"progress\":null"));
	free(text);
}

static void
test_results(void **state)
{
	struct tspool *ts = *state;
	const struct spool *sp = &ts->sp;
	int runfd = sp->dirfd[SPOOL_DONE];
	char name[64], *text;
	struct jobinfo ji;
	int i;

	make_job(sp, SPOOL_DONE, "R", "{}");
	/* result/ itself a symlink: not followed */
	th_mkdir(runfd, "R/elsewhere");
	put(sp, SPOOL_DONE, "R", "elsewhere/leak", "x");
	assert_int_equal(symlinkat("elsewhere", runfd, "R/result"), 0);
	text = info_json(sp, "R");
	assert_non_null(strstr(text, "\"results\":[]"));
	free(text);
	assert_int_equal(unlinkat(runfd, "R/result", 0), 0);
	th_mkdir(runfd, "R/result");
	put(sp, SPOOL_DONE, "R", "result/ok.txt", "x");
	put(sp, SPOOL_DONE, "R", "result/.hidden", "x");
	put(sp, SPOOL_DONE, "R", "result/with space", "x");
	put(sp, SPOOL_DONE, "R", "result/Zebra", "x");
	th_mkdir(runfd, "R/result/subdir");
	assert_int_equal(symlinkat("/etc/passwd", runfd, "R/result/link"), 0);
	assert_int_equal(mkfifoat(runfd, "R/result/fifo", 0600), 0);
	text = info_json(sp, "R");
	assert_non_null(strstr(text, "\"results\":[\"Zebra\",\"ok.txt\"]"));
	free(text);
	/* at most 1000 names */
	for (i = 0; i < 1100; i++) {
		snprintf(name, sizeof(name), "result/r%04d", i);
		put(sp, SPOOL_DONE, "R", name, "");
	}
	assert_int_equal(jobinfo_load(sp, "R", &ji), 0);
	assert_int_equal(json_array_size(ji.results), 1000);
	for (i = 1; i < 1000; i++)
		assert_true(strcmp(json_string_value(json_array_get(
				       ji.results, (size_t)i - 1)),
				json_string_value(json_array_get(
				    ji.results, (size_t)i))) < 0);
	jobinfo_fini(&ji);
}

static void
test_parse_progress(void **state)
{
	static const struct {
		const char *line;
		size_t len;
		int rc, percent;
		const char *message;
	} cases[] = {
	    {"", 64, -1, 0, NULL},
	    {"x 5", 64, -1, 0, NULL},
	    {"-1", 64, -1, 0, NULL},
	    {"5x", 64, -1, 0, NULL},
	    {"0", 64, 0, 0, ""},
	    {"100 done", 64, 0, 100, "done"},
	    {"101", 64, 0, 100, ""},
	    {"  5   spaced  ", 64, 0, 5, "spaced"},
	    {"5 first\nsecond", 64, 0, 5, "first"},
	    {"5 abcdefgh", 5, 0, 5, "abcd"},
	    {"5 \xc3\xa9\xc3\xa9", 4, 0, 5, "\xc3\xa9?"},
	    {"5 a\x01z", 64, 0, 5, "a z"},
	};
	char message[64];
	size_t i;
	int percent;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		errno = 0;
		if (jobinfo_parse_progress(cases[i].line, &percent, message,
			cases[i].len) != cases[i].rc)
			fail_msg("case %zu", i);
		if (cases[i].rc == -1) {
			assert_int_equal(errno, EINVAL);
			continue;
		}
		assert_int_equal(percent, cases[i].percent);
		assert_string_equal(message, cases[i].message);
	}
	assert_int_equal(
	    jobinfo_parse_progress(NULL, &percent, message, 8), -1);
	assert_int_equal(jobinfo_parse_progress("9", &percent, NULL, 0), 0);
	assert_int_equal(percent, 9);
}

/* As in test_spool: a mover (th_mover) cycles the job through every state
 * and back to new/. Every load must succeed, with a state among the four. */
static void
test_moving_job(void **state)
{
	struct tspool *ts = *state;
	const struct spool *sp = &ts->sp;
	struct th_mover mover;
	struct jobinfo ji;
	int failures = 0, loads = 0;

	make_job(sp, SPOOL_NEW, "MV", "{}");
	put(sp, SPOOL_NEW, "MV", "status", "{\"id\":\"MV\",\"attempt\":1}");
	th_mover_start(&mover, sp, "MV");
	while (th_mover_next(&mover)) {
		loads++;
		if (jobinfo_load(sp, "MV", &ji) == -1) {
			failures++;
			continue;
		}
		assert_true(ji.state >= SPOOL_NEW && ji.state <= SPOOL_FAILED);
		assert_int_equal(ji.st.attempt, 1);
		jobinfo_fini(&ji);
	}
	th_mover_finish(&mover);
	assert_int_equal(failures, 0);
	assert_true(loads >= 2 * TH_MOVER_ROUNDS);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, tspool_setup, tspool_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_bad_and_unknown),
	    T(test_corrupt_status_ignored),
	    T(test_hostile_progress),
	    T(test_progress_bounds),
	    cmocka_unit_test(test_parse_progress),
	    T(test_plain_file_queued),
	    T(test_submitted_fallbacks),
	    T(test_full_shape),
	    T(test_results),
	    T(test_moving_job),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
