/* SPDX-License-Identifier: MIT */
/*
 * test_sample_conf: the sample etc/chute.conf (argv[1]) against libchute's
 * conf module. As shipped (every key commented out) it loads and changes
 * nothing; with every "#key = value" line uncommented it still loads and
 * yields exactly the built-in defaults (the sample's promise), except jobs,
 * whose default is the number of CPUs. Also checks the "FILE:LINE: ..."
 * error form that chute.conf(5) shows. Temp files are removed on exit.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"

static const char *sample_path;

/* Writes text to a fresh temporary file; returns its path (malloc'ed). */
static char *
write_temp(const char *text)
{
	char *path = strdup("/tmp/chute-sample-conf-XXXXXX");
	int fd;
	size_t len = strlen(text);

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
	return path;
}

/* The sample with every line "#key = value" turned into "key = value". */
static char *
sample_uncommented(unsigned *nkeys)
{
	FILE *in = fopen(sample_path, "r");
	char line[1024];
	char *out = NULL;
	size_t outlen = 0;
	FILE *mem;

	assert_non_null(in);
	mem = open_memstream(&out, &outlen);
	assert_non_null(mem);
	*nkeys = 0;
	while (fgets(line, sizeof(line), in) != NULL) {
		const char *p = line + 1;
		size_t n;

		if (line[0] != '#') {
			fputs(line, mem);
			continue;
		}
		n = strspn(p, "abcdefghijklmnopqrstuvwxyz_");
		if (n > 0 && strncmp(p + n, " =", 2) == 0) {
			fputs(p, mem);
			(*nkeys)++;
		} else {
			fputs(line, mem);
		}
	}
	fclose(in);
	assert_int_equal(fclose(mem), 0);
	return out;
}

static void
assert_same_string(const char *got, const char *want)
{
	if (want == NULL)
		assert_null(got);
	else
		assert_string_equal(got, want);
}

/* Every field of got equals want, except jobs when skip_jobs. */
static void
assert_same_conf(
    const struct conf *got, const struct conf *want, bool skip_jobs)
{
	assert_same_string(got->spool, want->spool);
	assert_same_string(got->handler, want->handler);
	if (!skip_jobs)
		assert_int_equal(got->jobs, want->jobs);
	assert_int_equal(got->timeout_ms, want->timeout_ms);
	assert_int_equal(got->kill_grace_ms, want->kill_grace_ms);
	assert_int_equal(got->retries, want->retries);
	assert_int_equal(got->retry_delay_ms, want->retry_delay_ms);
	assert_int_equal(got->keep_ms, want->keep_ms);
	assert_int_equal(got->max_request, want->max_request);
	assert_int_equal(got->fsync, want->fsync);
	assert_int_equal(got->rescan_ms, want->rescan_ms);
	assert_same_string(got->user, want->user);
	assert_same_string(got->form, want->form);
	assert_int_equal(got->metrics_ms, want->metrics_ms);
	assert_int_equal(got->log_level, want->log_level);
}

static void
test_sample_as_shipped(void **state)
{
	struct conf def, c;
	char err[CONF_ERR_LEN];

	(void)state;
	conf_init(&def);
	conf_init(&c);
	if (conf_load(&c, sample_path, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_same_conf(&c, &def, false);
	conf_fini(&c);
	conf_fini(&def);
}

static void
test_sample_uncommented_is_defaults(void **state)
{
	struct conf def, c;
	char err[CONF_ERR_LEN];
	unsigned nkeys;
	char *text = sample_uncommented(&nkeys);
	char *path = write_temp(text);

	(void)state;
	assert_int_equal(nkeys, 15); /* every key once; see conf-keys.sh */
	conf_init(&def);
	conf_init(&c);
	/* Start from other values so that each default is really read. */
	c.timeout_ms = c.kill_grace_ms = c.retry_delay_ms = 1;
	c.keep_ms = c.rescan_ms = c.metrics_ms = 1;
	c.retries = 9;
	c.max_request = 1;
	c.fsync = false;
	c.log_level = 0;
	if (conf_load(&c, path, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_same_conf(&c, &def, true);
	assert_true(c.jobs >= 1);
	conf_fini(&c);
	conf_fini(&def);
	unlink(path);
	free(path);
	free(text);
}

/* The error forms shown in chute.conf(5), DIAGNOSTICS. */
static const struct {
	const char *name;
	const char *text;
	const char *want; /* after "PATH:" */
} bad_cases[] = {
    {.name = "unknown key",
	.text = "# c\n\ntimout = 10m\n",
	.want = "3: unknown key 'timout'"},
    {.name = "bad duration",
	.text = "timeout = 10 minutes\n",
	.want = "1: bad value for 'timeout': '10 minutes'"},
    {.name = "bad size",
	.text = "fsync = yes\nmax_request = 64X\n",
	.want = "2: bad value for 'max_request': '64X'"},
    {.name = "section",
	.text = "[main]\nspool = /x\n",
	.want = "1: sections are not used"},
};

static void
test_errors_name_file_and_line(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct conf c;
		char err[CONF_ERR_LEN], want[CONF_ERR_LEN + 64];
		char *path = write_temp(bad_cases[i].text);

		conf_init(&c);
		assert_int_equal(conf_load(&c, path, err, sizeof(err)), -1);
		snprintf(want, sizeof(want), "%s:%s", path, bad_cases[i].want);
		if (strncmp(err, want, strlen(want)) != 0)
			fail_msg("%s: got \"%s\", want \"%s...\"",
			    bad_cases[i].name, err, want);
		conf_fini(&c);
		unlink(path);
		free(path);
	}
}

int
main(int argc, char *argv[])
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sample_as_shipped),
	    cmocka_unit_test(test_sample_uncommented_is_defaults),
	    cmocka_unit_test(test_errors_name_file_and_line),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: test_sample_conf SAMPLE\n");
		return 64;
	}
	sample_path = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
