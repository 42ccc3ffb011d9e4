/* SPDX-License-Identifier: MIT */
/*
 * test_cli_options: table-driven unit tests of the `chute` command's pure
 * helpers in cli/options.c: name=value splitting (-F, -f), size formatting
 * (max_request in messages), the progress bar, the basename used as an
 * upload's filename, and the exit code of --wait for every way a job ends.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cli.h"

static void
test_split_assign(void **state)
{
	static const struct {
		const char *arg;
		size_t namelen;
		int want_rc, want_errno;
		const char *want_name, *want_value;
	} cases[] = {
	    {"a=b", 129, 0, 0, "a", "b"},
	    {"name=", 129, 0, 0, "name", ""},
	    {"=value", 129, 0, 0, "", "value"},
	    {"a==b", 129, 0, 0, "a", "=b"},
	    {"x=a=b=c", 129, 0, 0, "x", "a=b=c"},
	    {"f=/tmp/a b", 129, 0, 0, "f", "/tmp/a b"},
	    {"../x=1", 129, 0, 0, "../x", "1"},
	    {"noequals", 129, -1, EINVAL, NULL, NULL},
	    {"", 129, -1, EINVAL, NULL, NULL},
	    {"abcd=1", 5, 0, 0, "abcd", "1"},
	    {"abcde=1", 5, -1, ENAMETOOLONG, NULL, NULL},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[129];
		const char *value = NULL;
		int rc;

		errno = 0;
		rc = cli_split_assign(
		    cases[i].arg, name, cases[i].namelen, &value);
		assert_int_equal(rc, cases[i].want_rc);
		if (rc == -1) {
			assert_int_equal(errno, cases[i].want_errno);
			continue;
		}
		assert_string_equal(name, cases[i].want_name);
		assert_string_equal(value, cases[i].want_value);
	}
}

static void
test_format_size(void **state)
{
	static const struct {
		uint64_t bytes;
		size_t len;
		int want_rc;
		const char *want;
	} cases[] = {
	    {0, 32, 0, "0"},
	    {1, 32, 0, "1"},
	    {1000, 32, 0, "1000"},
	    {1024, 32, 0, "1K"},
	    {1536, 32, 0, "1536"},
	    {512 * 1024, 32, 0, "512K"},
	    {64ULL << 20, 32, 0, "64M"},
	    {(64ULL << 20) + 1024, 32, 0, "65537K"},
	    {3ULL << 30, 32, 0, "3G"},
	    {1ULL << 40, 32, 0, "1024G"},
	    {UINT64_MAX, 32, 0, "18446744073709551615"},
	    {64ULL << 20, 3, -1, NULL},
	    {64ULL << 20, 4, 0, "64M"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[32];
		int rc;

		rc = cli_format_size(cases[i].bytes, buf, cases[i].len);
		assert_int_equal(rc, cases[i].want_rc);
		if (rc == 0)
			assert_string_equal(buf, cases[i].want);
		else
			assert_int_equal(errno, EINVAL);
	}
}

static void
test_progress_bar(void **state)
{
	static const struct {
		int percent;
		unsigned width;
		size_t len;
		int want_rc;
		const char *want;
	} cases[] = {
	    {0, 10, 64, 0, "[..........]"},
	    {45, 20, 64, 0, "[#########...........]"},
	    {100, 10, 64, 0, "[##########]"},
	    {99, 10, 64, 0, "[#########.]"},
	    {150, 4, 64, 0, "[####]"},
	    {-5, 4, 64, 0, "[....]"},
	    {50, 0, 64, 0, "[]"},
	    {50, 10, 13, 0, "[#####.....]"},
	    {50, 10, 12, -1, NULL},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[64];
		int rc;

		rc = cli_progress_bar(
		    cases[i].percent, cases[i].width, buf, cases[i].len);
		assert_int_equal(rc, cases[i].want_rc);
		if (rc == 0)
			assert_string_equal(buf, cases[i].want);
		else
			assert_int_equal(errno, EINVAL);
	}
}

static void
test_path_basename(void **state)
{
	static const struct {
		const char *path;
		const char *want; /* NULL: none */
	} cases[] = {
	    {"file.txt", "file.txt"},
	    {"/tmp/x/big.bin", "big.bin"},
	    {"dir/", NULL},
	    {"/", NULL},
	    {"", NULL},
	    {"./a", "a"},
	    {"a//b", "b"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = cli_path_basename(cases[i].path);

		if (cases[i].want == NULL)
			assert_null(got);
		else
			assert_string_equal(got, cases[i].want);
	}
}

static void
test_job_exit_code(void **state)
{
	static const struct {
		const char *name;
		enum spool_state state;
		const char *reason;
		int exit_code;
		int signal;
		int want;
	} cases[] = {
	    {"done", SPOOL_DONE, "exit", 0, 0, 0},
	    {"done without status", SPOOL_DONE, "", -1, 0, 0},
	    {"exit 3", SPOOL_FAILED, "exit", 3, 0, 3},
	    {"exit 255", SPOOL_FAILED, "exit", 255, 0, 255},
	    {"exit 127 (cannot execute)", SPOOL_FAILED, "exit", 127, 0, 127},
	    {"exit with code 0 (inconsistent)", SPOOL_FAILED, "exit", 0, 0, 1},
	    {"signal 9", SPOOL_FAILED, "signal", -1, 9, 137},
	    {"signal 15", SPOOL_FAILED, "signal", -1, 15, 143},
	    {"signal without number", SPOOL_FAILED, "signal", -1, 0, 1},
	    {"timeout", SPOOL_FAILED, "timeout", -1, 15, 124},
	    {"cancelled", SPOOL_FAILED, "cancelled", -1, 15, 125},
	    {"lost", SPOOL_FAILED, "lost", -1, 0, 126},
	    {"rejected", SPOOL_FAILED, "rejected", -1, 0, 127},
	    {"no reason, exit 4", SPOOL_FAILED, "", 4, 0, 4},
	    {"no reason, signal 2", SPOOL_FAILED, "", -1, 2, 130},
	    {"no status at all", SPOOL_FAILED, "", -1, 0, 1},
	    {"unknown reason", SPOOL_FAILED, "mystery", 5, 0, 1},
	    {"still running", SPOOL_RUN, "", -1, 0, 1},
	};
	struct jobinfo ji;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&ji, 0, sizeof(ji));
		status_init(&ji.st, "x");
		ji.state = cases[i].state;
		ji.progress_percent = -1;
		snprintf(
		    ji.st.reason, sizeof(ji.st.reason), "%s", cases[i].reason);
		ji.st.exit_code = cases[i].exit_code;
		ji.st.signal = cases[i].signal;
		if (cli_job_exit_code(&ji) != cases[i].want)
			fail_msg("%s: %d, want %d", cases[i].name,
			    cli_job_exit_code(&ji), cases[i].want);
	}
	/* the documented codes stay clear of usage (64) and config (78) */
	assert_int_not_equal(CLI_EXIT_WAIT_TIMEOUT, CLI_EXIT_USAGE);
	assert_int_not_equal(CLI_EXIT_WAIT_TIMEOUT, CLI_EXIT_CONFIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_split_assign),
	    cmocka_unit_test(test_format_size),
	    cmocka_unit_test(test_progress_bar),
	    cmocka_unit_test(test_path_basename),
	    cmocka_unit_test(test_job_exit_code),
	};

	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
