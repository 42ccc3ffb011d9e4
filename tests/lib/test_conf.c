/* SPDX-License-Identifier: MIT */
/*
 * test_conf: every configuration error first, each naming file and line
 * (unknown key, section, bad duration/size/bool/level, jobs = 0, empty
 * spool, syntax, long line, missing, unreadable, a directory), that a failed
 * load keeps the old values, then the value parsers and a full file.
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
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "helpers.h"

struct tconf {
	char dir[64];
	char file[128];
	int dirfd;
};

static int
tconf_setup(void **state)
{
	struct tconf *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	th_tmpdir(t->dir, sizeof(t->dir));
	snprintf(t->file, sizeof(t->file), "%s/chute.conf", t->dir);
	t->dirfd = open(t->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(t->dirfd >= 0);
	*state = t;
	return 0;
}

static int
tconf_teardown(void **state)
{
	struct tconf *t = *state;

	close(t->dirfd);
	th_rmrf(t->dir);
	free(t);
	unsetenv("CHUTE_CONFIG");
	return 0;
}

static void
test_content_errors(void **state)
{
	struct tconf *t = *state;
	static const struct {
		const char *text;
		const char *want; /* after "FILE:" */
	} cases[] = {
	    {"spool = /x\ncolour = red\n", "2: unknown key 'colour'"},
	    {"[main]\nspool = /x\n", "1: sections are not used: '[main]'"},
	    {"spool = /x\n  [chute]\n", "2: sections are not used: '[chute]'"},
	    {"timeout = x\n",
		"1: bad value for 'timeout': 'x' (want a duration like 30s, "
		"10m)"},
	    {"\n\ntimeout = -5s\n",
		"3: bad value for 'timeout': '-5s' (want "
		"a duration like 30s, 10m)"},
	    {"timeout = 10 m\n",
		"1: bad value for 'timeout': '10 m' (want "
		"a duration like 30s, 10m)"},
	    {"keep = 99999999999999999999d\n",
		"1: bad value for 'keep': '99999999999999999999d' (want a "
		"duration like 7d, 12h)"},
	    {"rescan = 5w\n",
		"1: bad value for 'rescan': '5w' (want a "
		"duration like 30s, 10m)"},
	    {"max_request = 64T\n",
		"1: bad value for 'max_request': '64T' "
		"(want a size like 64M, 512K)"},
	    {"max_request = 1.5M\n",
		"1: bad value for 'max_request': "
		"'1.5M' (want a size like 64M, 512K)"},
	    {"fsync = maybe\n",
		"1: bad value for 'fsync': 'maybe' (want yes or no)"},
	    {"jobs = 0\n",
		"1: bad value for 'jobs': '0' (want a number of at least 1)"},
	    {"jobs = -1\n",
		"1: bad value for 'jobs': '-1' (want a number of at least 1)"},
	    {"jobs = 2x\n",
		"1: bad value for 'jobs': '2x' (want a number of at least 1)"},
	    {"retries = many\n",
		"1: bad value for 'retries': 'many' (want a number)"},
	    {"log_level = loud\n",
		"1: bad value for 'log_level': 'loud' "
		"(want err, warning, info or debug)"},
	    {"spool =\n",
		"1: bad value for 'spool': '' (want a non-empty "
		"value)"},
	    {"handler = \n",
		"1: bad value for 'handler': '' (want a "
		"non-empty value)"},
	    {"# ok\nspool /x\n", "2: syntax error: want 'key = value'"},
	    {"jobs = 1\njobs = 0\ncolour = 1\n",
		"2: bad value for 'jobs': '0' (want a number of at least 1)"},
	};
	char err[CONF_ERR_LEN], want[CONF_ERR_LEN];
	struct conf c;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		th_write(t->dirfd, "chute.conf", cases[i].text);
		conf_init(&c);
		errno = 0;
		if (conf_load(&c, t->file, err, sizeof(err)) != -1)
			fail_msg("case %zu accepted", i);
		assert_int_equal(errno, EINVAL);
		snprintf(want, sizeof(want), "%s:%s", t->file, cases[i].want);
		assert_string_equal(err, want);
		/* nothing of a failed file is kept */
		assert_string_equal(c.spool, CONF_DEFAULT_SPOOL);
		assert_null(c.path);
		conf_fini(&c);
	}
}

static void
test_long_line(void **state)
{
	struct tconf *t = *state;
	char text[600], err[CONF_ERR_LEN], want[CONF_ERR_LEN];
	struct conf c;

	snprintf(text, sizeof(text), "jobs = 1\nhandler = /");
	memset(text + strlen(text), 'x', 400);
	text[sizeof(text) - 2] = '\n';
	text[sizeof(text) - 1] = '\0';
	th_write(t->dirfd, "chute.conf", text);
	conf_init(&c);
	assert_int_equal(conf_load(&c, t->file, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:2: line too long", t->file);
	assert_string_equal(err, want);
	assert_string_equal(c.handler, CONF_DEFAULT_HANDLER);
	conf_fini(&c);
}

static void
test_failed_load_keeps_values(void **state)
{
	struct tconf *t = *state;
	char err[CONF_ERR_LEN];
	struct conf c;

	conf_init(&c);
	th_write(t->dirfd, "chute.conf", "spool = /first\njobs = 3\n");
	assert_int_equal(conf_load(&c, t->file, err, sizeof(err)), 0);
	assert_string_equal(c.spool, "/first");
	th_write(t->dirfd, "chute.conf",
	    "spool = /second\njobs = 7\nfsync = no\ntypo = 1\n");
	assert_int_equal(conf_load(&c, t->file, err, sizeof(err)), -1);
	assert_string_equal(c.spool, "/first");
	assert_int_equal(c.jobs, 3);
	assert_true(c.fsync);
	assert_string_equal(c.path, t->file);
	/* NULL err buffer is allowed */
	assert_int_equal(conf_load(&c, t->file, NULL, 0), -1);
	conf_fini(&c);
}

static int
load_as_nobody(void *arg)
{
	const char *path = arg;
	char err[CONF_ERR_LEN], want[CONF_ERR_LEN];
	struct conf c;
	int rc;

	conf_init(&c);
	rc = conf_load(&c, path, err, sizeof(err));
	conf_fini(&c);
	if (rc != -1 || errno != EACCES)
		return 10;
	snprintf(want, sizeof(want), "%s: Permission denied", path);
	return strcmp(err, want) == 0 ? 0 : 11;
}

static void
test_file_errors(void **state)
{
	struct tconf *t = *state;
	char err[CONF_ERR_LEN], want[CONF_ERR_LEN], path[160];
	struct conf c;
	int rc;

	conf_init(&c);
	/* missing */
	snprintf(path, sizeof(path), "%s/missing.conf", t->dir);
	errno = 0;
	assert_int_equal(conf_load(&c, path, err, sizeof(err)), -1);
	assert_int_equal(errno, ENOENT);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(err, want);
	/* a directory */
	errno = 0;
	assert_int_equal(conf_load(&c, t->dir, err, sizeof(err)), -1);
	assert_int_equal(errno, EISDIR);
	snprintf(want, sizeof(want), "%s: Is a directory", t->dir);
	assert_string_equal(err, want);
	/* a FIFO: refused without blocking */
	snprintf(path, sizeof(path), "%s/fifo.conf", t->dir);
	assert_int_equal(mkfifo(path, 0644), 0);
	assert_int_equal(conf_load(&c, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: not a regular file", path);
	assert_string_equal(err, want);
	/* unreadable (root reads anything: check as nobody) */
	th_write(t->dirfd, "chute.conf", "jobs = 2\n");
	assert_int_equal(chmod(t->file, 0600), 0);
	assert_int_equal(chmod(t->dir, 0755), 0);
	rc = th_as_nobody(load_as_nobody, t->file);
	if (rc == -1)
		printf("# unreadable-file case skipped: needs root to switch "
		       "users\n");
	else
		assert_int_equal(rc, 0);
	assert_string_equal(c.spool, CONF_DEFAULT_SPOOL);
	conf_fini(&c);
}

static void
test_locate(void **state)
{
	struct tconf *t = *state;
	char err[CONF_ERR_LEN], want[CONF_ERR_LEN], missing[160];
	struct conf c;
	bool explicit_choice;
	struct stat sb;

	unsetenv("CHUTE_CONFIG");
	assert_string_equal(conf_locate("/a", &explicit_choice), "/a");
	assert_true(explicit_choice);
	assert_string_equal(
	    conf_locate(NULL, &explicit_choice), CONF_DEFAULT_PATH);
	assert_false(explicit_choice);
	setenv("CHUTE_CONFIG", "", 1);
	assert_string_equal(
	    conf_locate(NULL, &explicit_choice), CONF_DEFAULT_PATH);
	assert_false(explicit_choice);
	setenv("CHUTE_CONFIG", "/env.conf", 1);
	assert_string_equal(conf_locate(NULL, &explicit_choice), "/env.conf");
	assert_true(explicit_choice);
	assert_string_equal(conf_locate("/cli", &explicit_choice), "/cli");

	/* an explicit missing file is an error, from -c or from $CHUTE_CONFIG */
	snprintf(missing, sizeof(missing), "%s/nope.conf", t->dir);
	conf_init(&c);
	assert_int_equal(conf_load_located(&c, missing, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: No such file or directory", missing);
	assert_string_equal(err, want);
	setenv("CHUTE_CONFIG", missing, 1);
	assert_int_equal(conf_load_located(&c, NULL, err, sizeof(err)), -1);
	assert_string_equal(err, want);
	/* the environment's file is read */
	th_write(t->dirfd, "chute.conf", "jobs = 5\n");
	setenv("CHUTE_CONFIG", t->file, 1);
	assert_int_equal(conf_load_located(&c, NULL, err, sizeof(err)), 0);
	assert_int_equal(c.jobs, 5);
	conf_fini(&c);

	/* a missing default file is fine: defaults stay */
	unsetenv("CHUTE_CONFIG");
	if (stat(CONF_DEFAULT_PATH, &sb) == 0) {
		printf("# %s exists here: missing-default case not checked\n",
		    CONF_DEFAULT_PATH);
		return;
	}
	conf_init(&c);
	assert_int_equal(conf_load_located(&c, NULL, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_null(c.path);
	assert_string_equal(c.spool, CONF_DEFAULT_SPOOL);
	conf_fini(&c);
}

static void
test_parse_duration(void **state)
{
	static const struct {
		const char *text;
		int rc, err;
		int64_t ms;
	} cases[] = {
	    {"", -1, EINVAL, 0},
	    {"s", -1, EINVAL, 0},
	    {"-1", -1, EINVAL, 0},
	    {"+1", -1, EINVAL, 0},
	    {" 1", -1, EINVAL, 0},
	    {"1 ", -1, EINVAL, 0},
	    {"1x", -1, EINVAL, 0},
	    {"1S", -1, EINVAL, 0},
	    {"1sec", -1, EINVAL, 0},
	    {"1.5s", -1, EINVAL, 0},
	    {"0x10", -1, EINVAL, 0},
	    {"99999999999999999999", -1, ERANGE, 0},
	    {"9223372036854776s", -1, ERANGE, 0},
	    {"106751991167301d", -1, ERANGE, 0},
	    {"0", 0, 0, 0},
	    {"30", 0, 0, 30000},
	    {"250ms", 0, 0, 250},
	    {"30s", 0, 0, 30000},
	    {"10m", 0, 0, 600000},
	    {"2h", 0, 0, 7200000},
	    {"7d", 0, 0, 604800000},
	    {"007s", 0, 0, 7000},
	    {"9223372036854775807ms", 0, 0, INT64_MAX},
	};
	size_t i;
	int64_t ms;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ms = -7;
		errno = 0;
		if (conf_parse_duration(cases[i].text, &ms) != cases[i].rc)
			fail_msg("'%s': wrong result", cases[i].text);
		if (cases[i].rc == 0)
			assert_int_equal(ms, cases[i].ms);
		else
			assert_int_equal(errno, cases[i].err);
	}
	assert_int_equal(conf_parse_duration(NULL, &ms), -1);
}

static void
test_parse_size(void **state)
{
	static const struct {
		const char *text;
		int rc, err;
		uint64_t bytes;
	} cases[] = {
	    {"", -1, EINVAL, 0},
	    {"M", -1, EINVAL, 0},
	    {"-1", -1, EINVAL, 0},
	    {"1KB", -1, EINVAL, 0},
	    {"1T", -1, EINVAL, 0},
	    {"1 M", -1, EINVAL, 0},
	    {"18446744073709551616", -1, ERANGE, 0},
	    {"17179869184G", -1, ERANGE, 0},
	    {"0", 0, 0, 0},
	    {"100", 0, 0, 100},
	    {"1K", 0, 0, 1024},
	    {"1k", 0, 0, 1024},
	    {"64M", 0, 0, 67108864},
	    {"64m", 0, 0, 67108864},
	    {"2G", 0, 0, 2147483648ULL},
	    {"18446744073709551615", 0, 0, UINT64_MAX},
	};
	size_t i;
	uint64_t bytes;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		errno = 0;
		if (conf_parse_size(cases[i].text, &bytes) != cases[i].rc)
			fail_msg("'%s': wrong result", cases[i].text);
		if (cases[i].rc == 0)
			assert_int_equal(bytes, cases[i].bytes);
		else
			assert_int_equal(errno, cases[i].err);
	}
}

static void
test_parse_bool(void **state)
{
	static const struct {
		const char *text;
		int rc;
		bool value;
	} cases[] = {
	    {"", -1, false},
	    {"y", -1, false},
	    {"2", -1, false},
	    {"yes ", -1, false},
	    {"yes", 0, true},
	    {"YES", 0, true},
	    {"true", 0, true},
	    {"on", 0, true},
	    {"1", 0, true},
	    {"no", 0, false},
	    {"False", 0, false},
	    {"off", 0, false},
	    {"0", 0, false},
	};
	size_t i;
	bool value;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		value = !cases[i].value;
		errno = 0;
		if (conf_parse_bool(cases[i].text, &value) != cases[i].rc)
			fail_msg("'%s': wrong result", cases[i].text);
		if (cases[i].rc == 0)
			assert_int_equal(value, cases[i].value);
		else
			assert_int_equal(errno, EINVAL);
	}
}

static void
test_defaults_and_full_file(void **state)
{
	struct tconf *t = *state;
	char err[CONF_ERR_LEN];
	struct conf c;

	conf_init(&c);
	assert_null(c.path);
	assert_string_equal(c.spool, CONF_DEFAULT_SPOOL);
	assert_string_equal(c.handler, CONF_DEFAULT_HANDLER);
	assert_true(c.jobs >= 1);
	assert_int_equal(c.timeout_ms, 600000);
	assert_int_equal(c.kill_grace_ms, 10000);
	assert_int_equal(c.retries, 0);
	assert_int_equal(c.retry_delay_ms, 30000);
	assert_int_equal(c.keep_ms, 7LL * 86400000);
	assert_int_equal(c.max_request, 64ULL << 20);
	assert_true(c.fsync);
	assert_int_equal(c.rescan_ms, 0);
	assert_null(c.user);
	assert_null(c.form);
	assert_int_equal(c.metrics_ms, 10000);
	assert_int_equal(c.log_level, LOG_INFO);
	th_write(t->dirfd, "chute.conf",
	    "\xef\xbb\xbf# chute.conf\n"
	    "; a comment\n"
	    "spool = /srv/spool   ; inline comment\n"
	    "handler=/usr/bin/h\n"
	    "jobs = 4\n"
	    "timeout = 0\n"
	    "kill_grace = 500ms\n"
	    "retries = 3\n"
	    "retry_delay = 1m\n"
	    "keep = 0\n"
	    "max_request = 512K\n"
	    "fsync = no\n"
	    "rescan = 5\n"
	    "user = nobody\n"
	    "form = /etc/chute/form.html\n"
	    "metrics = 60s\n"
	    "log_level = debug\n"
	    "\n");
	assert_int_equal(conf_load(&c, t->file, err, sizeof(err)), 0);
	assert_string_equal(c.path, t->file);
	assert_string_equal(c.spool, "/srv/spool");
	assert_string_equal(c.handler, "/usr/bin/h");
	assert_int_equal(c.jobs, 4);
	assert_int_equal(c.timeout_ms, 0);
	assert_int_equal(c.kill_grace_ms, 500);
	assert_int_equal(c.retries, 3);
	assert_int_equal(c.retry_delay_ms, 60000);
	assert_int_equal(c.keep_ms, 0);
	assert_int_equal(c.max_request, 512 * 1024);
	assert_false(c.fsync);
	assert_int_equal(c.rescan_ms, 5000);
	assert_string_equal(c.user, "nobody");
	assert_string_equal(c.form, "/etc/chute/form.html");
	assert_int_equal(c.metrics_ms, 60000);
	assert_int_equal(c.log_level, LOG_DEBUG);
	/* an empty optional string unsets it */
	th_write(t->dirfd, "chute.conf", "user =\n");
	assert_int_equal(conf_load(&c, t->file, err, sizeof(err)), 0);
	assert_null(c.user);
	assert_string_equal(c.spool, "/srv/spool");
	assert_int_equal(conf_set_string(&c.spool, "/other"), 0);
	assert_string_equal(c.spool, "/other");
	assert_int_equal(conf_set_string(&c.form, NULL), 0);
	assert_null(c.form);
	conf_fini(&c);
	conf_fini(&c); /* twice is harmless */
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, tconf_setup, tconf_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_content_errors),
	    T(test_long_line),
	    T(test_failed_load_keeps_values),
	    T(test_file_errors),
	    T(test_locate),
	    cmocka_unit_test(test_parse_duration),
	    cmocka_unit_test(test_parse_size),
	    cmocka_unit_test(test_parse_bool),
	    T(test_defaults_and_full_file),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
