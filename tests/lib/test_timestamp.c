/* SPDX-License-Identifier: MIT */
/*
 * test_timestamp: RFC 3339 parsing (bad inputs first), formatting, round
 * trips, and the clocks.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "timestamp.h"

static void
test_parse_bad(void **state)
{
	static const char *const bad[] = {
	    "",
	    "now",
	    "2024-01-01",
	    "2024-01-01T00:00:00", /* no zone */
	    "2024-01-01T00:00:00+01:00", /* not UTC */
	    "2024-01-01T00:00:00-00:00",
	    "2024-01-01 00:00:00Z",
	    "2024-13-01T00:00:00Z",
	    "2024-00-01T00:00:00Z",
	    "2024-02-30T00:00:00Z",
	    "2023-02-29T00:00:00Z", /* not a leap year */
	    "2024-01-32T00:00:00Z",
	    "2024-01-01T24:00:00Z",
	    "2024-01-01T00:60:00Z",
	    "2024-01-01T00:00:61Z",
	    "2024-01-01T00:00:00.Z",
	    "2024-01-01T00:00:00.12aZ",
	    "2024-01-01T00:00:00Zjunk",
	    "2024-01-01T00:00:00Z\n",
	    " 2024-01-01T00:00:00Z",
	    "24-01-01T00:00:00Z",
	    "2024-1-01T00:00:00Z",
	    "+2024-01-01T00:00:00Z",
	    "2024-01-01T00:00:00+00",
	};
	size_t i;
	int64_t ms = 42;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		if (timestamp_parse(bad[i], &ms) != -1 || errno != EINVAL)
			fail_msg("accepted '%s'", bad[i]);
	}
	assert_int_equal(timestamp_parse(NULL, &ms), -1);
	assert_int_equal(ms, 42);
}

static void
test_parse_good(void **state)
{
	static const struct {
		const char *text;
		int64_t want;
	} cases[] = {
	    {"1970-01-01T00:00:00Z", 0}, {"1970-01-01T00:00:00.001Z", 1},
	    {"1970-01-01T00:00:01+00:00", 1000},
	    {"2024-02-29T12:34:56.789Z", 1709210096789},
	    {"2024-02-29t12:34:56.789z", 1709210096789},
	    {"2024-02-29T12:34:56Z", 1709210096000},
	    {"2024-02-29T12:34:56.7Z", 1709210096700},
	    {"2024-02-29T12:34:56.78999999Z", 1709210096789},
	    {"2000-01-01T00:00:00.000Z", 946684800000},
	    {"2016-12-31T23:59:60Z", 1483228800000}, /* leap second */
	};
	size_t i;
	int64_t ms;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (timestamp_parse(cases[i].text, &ms) != 0)
			fail_msg("rejected '%s'", cases[i].text);
		assert_int_equal(ms, cases[i].want);
	}
}

static void
test_format(void **state)
{
	static const struct {
		int64_t ms;
		const char *want;
	} cases[] = {
	    {0, "1970-01-01T00:00:00.000Z"},
	    {1, "1970-01-01T00:00:00.001Z"},
	    {1709210096789, "2024-02-29T12:34:56.789Z"},
	    {-1, "1969-12-31T23:59:59.999Z"},
	    {253402300799999, "9999-12-31T23:59:59.999Z"},
	};
	char buf[TIMESTAMP_RFC3339_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(
		    timestamp_format(cases[i].ms, buf, sizeof(buf)), 0);
		assert_string_equal(buf, cases[i].want);
	}
}

static void
test_format_bad(void **state)
{
	char buf[TIMESTAMP_RFC3339_LEN];

	(void)state;
	errno = 0;
	assert_int_equal(timestamp_format(0, buf, 24), -1); /* needs 25 */
	assert_int_equal(errno, EINVAL);
	assert_int_equal(timestamp_format(0, buf, 25), 0);
	errno = 0;
	assert_int_equal(timestamp_format(253402300800000, buf, sizeof(buf)),
	    -1); /* year 10000 */
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(timestamp_format(INT64_MAX, buf, sizeof(buf)), -1);
	assert_int_equal(errno, EINVAL);
}

static void
test_round_trip(void **state)
{
	static const int64_t samples[] = {0, 1, 999, 1000, 86399999,
	    951782400000, 1709210096789, 4102444799999};
	char buf[TIMESTAMP_RFC3339_LEN];
	int64_t back, now;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		assert_int_equal(
		    timestamp_format(samples[i], buf, sizeof(buf)), 0);
		assert_int_equal(timestamp_parse(buf, &back), 0);
		assert_int_equal(back, samples[i]);
	}
	now = timestamp_now_ms();
	assert_int_equal(timestamp_format(now, buf, sizeof(buf)), 0);
	assert_int_equal(timestamp_parse(buf, &back), 0);
	assert_int_equal(back, now);
}

static void
test_clocks(void **state)
{
	int64_t a, b;

	(void)state;
	assert_true(timestamp_now_ms() > 1600000000000); /* after 2020 */
	a = timestamp_mono_ms();
	b = timestamp_mono_ms();
	assert_true(b >= a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_bad),
	    cmocka_unit_test(test_format_bad),
	    cmocka_unit_test(test_parse_good),
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_clocks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
