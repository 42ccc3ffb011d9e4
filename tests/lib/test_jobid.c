/* SPDX-License-Identifier: MIT */
/*
 * test_jobid: the name rule (every hostile shape first), generated IDs
 * (alphabet, length, uniqueness over 10000, sort order by time) and the
 * generated-ID check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "jobid.h"

struct name_case {
	const char *name;
	bool want;
};

static void
test_name_rule(void **state)
{
	char long129[131], long128[130];
	const struct name_case cases[] = {
	    {NULL, false},
	    {"", false},
	    {".", false},
	    {"..", false},
	    {".hidden", false},
	    {"-dash", false},
	    {"_under", false},
	    {"a/b", false},
	    {"/abs", false},
	    {"a\nb", false},
	    {"a b", false},
	    {"a\tb", false},
	    {"a~2", false},
	    {"a:b", false},
	    {"a\\b", false},
	    {"caf\xc3\xa9", false}, /* unicode */
	    {"\xff", false},
	    {"a*", false},
	    {"a\x7f", false},
	    {long129, false},
	    {"a", true},
	    {"Z", true},
	    {"9", true},
	    {"a.b", true},
	    {"a..b", true},
	    {"report-2024_01.tar.gz", true},
	    {"a.", true},
	    {long128, true},
	    {"01HZX0000000000000000000AB", true},
	};
	size_t i;

	(void)state;
	memset(long129, 'x', 129);
	long129[129] = '\0';
	memset(long128, 'y', 128);
	long128[128] = '\0';
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool got = jobid_name_valid(cases[i].name);
		if (got != cases[i].want)
			fail_msg("case %zu (%s): got %d", i,
			    cases[i].name ? cases[i].name : "NULL", got);
		assert_int_equal(jobid_field_name_valid(cases[i].name), got);
	}
}

static void
test_name_embedded_nul(void **state)
{
	/* A C string ends at NUL: "ab\0/x" is the valid name "ab", which is
	 * all any path function would see. */
	const char s[] = "ab\0/../x";

	(void)state;
	assert_true(jobid_name_valid(s));
	assert_int_equal(strlen(s), 2);
}

static void
test_generated_valid(void **state)
{
	const struct name_case cases[] = {
	    {NULL, false},
	    {"", false},
	    {"01HZX00000000000000000000", false}, /* 25 */
	    {"01HZX0000000000000000000000", false}, /* 27 */
	    {"81HZX000000000000000000000", false}, /* first > '7' */
	    {"01hzx000000000000000000000", false}, /* lower case */
	    {"01HZX00000000000000000000I", false}, /* I not Crockford */
	    {"01HZX00000000000000000000L", false},
	    {"01HZX00000000000000000000O", false},
	    {"01HZX00000000000000000000U", false},
	    {"01HZX000000000000000000.00", false},
	    {"01HZX000000000000000000000", true},
	    {"7ZZZZZZZZZZZZZZZZZZZZZZZZZ", true},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (jobid_generated_valid(cases[i].name) != cases[i].want)
			fail_msg("case %zu (%s)", i,
			    cases[i].name ? cases[i].name : "NULL");
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_generate_unique(void **state)
{
	enum { N = 10000 };
	char **ids = calloc(N, sizeof(*ids));
	size_t i;

	(void)state;
	assert_non_null(ids);
	for (i = 0; i < N; i++) {
		ids[i] = malloc(JOBID_LEN + 1);
		assert_non_null(ids[i]);
		assert_int_equal(jobid_generate(ids[i]), 0);
		assert_int_equal(strlen(ids[i]), JOBID_LEN);
		assert_true(jobid_generated_valid(ids[i]));
		assert_true(jobid_name_valid(ids[i]));
		assert_int_equal(
		    strspn(ids[i], "0123456789ABCDEFGHJKMNPQRSTVWXYZ"),
		    JOBID_LEN);
	}
	qsort(ids, N, sizeof(*ids), cmp_str);
	for (i = 1; i < N; i++)
		assert_string_not_equal(ids[i - 1], ids[i]);
	for (i = 0; i < N; i++)
		free(ids[i]);
	free(ids);
}

static void
test_generate_sorts_by_time(void **state)
{
	char a[JOBID_LEN + 1], b[JOBID_LEN + 1];
	struct timespec ts = {0, 3 * 1000 * 1000};

	(void)state;
	assert_int_equal(jobid_generate(a), 0);
	nanosleep(&ts, NULL); /* 3 ms: the time part must grow */
	assert_int_equal(jobid_generate(b), 0);
	assert_true(strcmp(a, b) < 0);
	assert_true(memcmp(a, b, 10) < 0);
}

static void
test_generate_time_prefix(void **state)
{
	/* The first 10 characters decode to the current time in ms. */
	const char *alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	char id[JOBID_LEN + 1];
	struct timespec before, after;
	uint64_t ms = 0, lo, hi;
	int i;

	(void)state;
	clock_gettime(CLOCK_REALTIME, &before);
	assert_int_equal(jobid_generate(id), 0);
	clock_gettime(CLOCK_REALTIME, &after);
	for (i = 0; i < 10; i++)
		ms = ms * 32 + (uint64_t)(strchr(alphabet, id[i]) - alphabet);
	lo =
	    (uint64_t)before.tv_sec * 1000 + (uint64_t)before.tv_nsec / 1000000;
	hi = (uint64_t)after.tv_sec * 1000 + (uint64_t)after.tv_nsec / 1000000;
	assert_true(ms >= lo && ms <= hi);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_name_rule),
	    cmocka_unit_test(test_name_embedded_nul),
	    cmocka_unit_test(test_generated_valid),
	    cmocka_unit_test(test_generate_unique),
	    cmocka_unit_test(test_generate_sorts_by_time),
	    cmocka_unit_test(test_generate_time_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
