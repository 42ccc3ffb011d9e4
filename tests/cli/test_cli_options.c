/* SPDX-License-Identifier: MIT */
/*
 * test_cli_options: table-driven unit tests of the `chute` command's pure
 * helpers in cli/options.c: name=value splitting (-F, -f), size formatting
 * (max_request in messages), the progress bar and the basename used as an
 * upload's filename.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_split_assign),
	    cmocka_unit_test(test_format_size),
	    cmocka_unit_test(test_progress_bar),
	    cmocka_unit_test(test_path_basename),
	};

	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
