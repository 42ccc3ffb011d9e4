/* SPDX-License-Identifier: MIT */
/*
 * test_fuzz_regress: regression tests for bugs the fuzz targets (fuzz/)
 * found in lib/, one table row per bug, each with the input that showed it.
 * The inputs are also in fuzz/corpus/ as regress-* seeds.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "status.h"
#include "timestamp.h"

/* fuzz_names: a leap second on the last day of 9999 parsed into year 10000,
 * which timestamp_format() refuses, so a status time read from disk was
 * written back as null. Times at the edges of the range still round-trip. */
static void
test_timestamp_range(void **state)
{
	static const struct {
		const char *text;
		int ok;
		const char *formatted;
	} cases[] = {
	    {"9999-12-31T23:59:60Z", 0, NULL},
	    {"9999-12-31T23:59:60.999Z", 0, NULL},
	    {"9999-12-31T23:59:59.999Z", 1, "9999-12-31T23:59:59.999Z"},
	    {"9999-12-30T23:59:60Z", 1, "9999-12-31T00:00:00.000Z"},
	    {"2016-12-31T23:59:60Z", 1, "2017-01-01T00:00:00.000Z"},
	    {"0000-01-01T00:00:00Z", 1, "0000-01-01T00:00:00.000Z"},
	};
	char buf[TIMESTAMP_RFC3339_LEN];
	int64_t ms;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		errno = 0;
		if (!cases[i].ok) {
			if (timestamp_parse(cases[i].text, &ms) != -1 ||
			    errno != EINVAL)
				fail_msg("accepted '%s'", cases[i].text);
			continue;
		}
		if (timestamp_parse(cases[i].text, &ms) != 0)
			fail_msg("refused '%s'", cases[i].text);
		assert_int_equal(timestamp_format(ms, buf, sizeof(buf)), 0);
		assert_string_equal(buf, cases[i].formatted);
	}
}

/* fuzz_status: the same input inside a status file must be refused, not
 * silently turned into "no time" on the next write. */
static void
test_status_time_range(void **state)
{
	static const char *const bad[] = {
	    "{\"submitted\":\"9999-12-31T23:59:60.5Z\"}",
	    "{\"not_before\":\"9999-12-31T23:59:60Z\"}",
	};
	struct status st;
	json_error_t jerr;
	json_t *obj;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		obj = json_loads(bad[i], 0, &jerr);
		assert_non_null(obj);
		status_init(&st, NULL);
		errno = 0;
		if (status_from_json(obj, &st) != -1 || errno != EBADMSG)
			fail_msg("accepted %s", bad[i]);
		status_fini(&st);
		json_decref(obj);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_timestamp_range),
	    cmocka_unit_test(test_status_time_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
