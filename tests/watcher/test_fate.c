/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of watcher/fate.c: the state x event table that says where a
 * job goes when an attempt ends, and the mapping of wait statuses to events.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fate.h"

static const struct {
	enum fate_event ev;
	enum spool_state to;
	const char *reason;
	bool costs;
} fate_cases[] = {
    {FATE_EXIT_OK, SPOOL_DONE, "exit", true},
    {FATE_EXIT_FAIL, SPOOL_FAILED, "exit", true},
    {FATE_SIGNAL, SPOOL_FAILED, "signal", true},
    {FATE_TIMEOUT, SPOOL_FAILED, "timeout", true},
    {FATE_LOST, SPOOL_FAILED, "lost", true},
    {FATE_NEVER_STARTED, SPOOL_NEW, NULL, false},
    {FATE_REJECTED, SPOOL_FAILED, "rejected", false},
    {FATE_CANCELLED, SPOOL_FAILED, "cancelled", true},
};

static void
test_fate_table(void **state)
{
	size_t i;

	(void)state;
	assert_int_equal(
	    sizeof(fate_cases) / sizeof(fate_cases[0]), FATE_NEVENTS);
	for (i = 0; i < FATE_NEVENTS; i++) {
		const struct fate *f = fate_of(fate_cases[i].ev);

		assert_int_equal(f->to, fate_cases[i].to);
		assert_int_equal(f->costs_attempt, fate_cases[i].costs);
		if (fate_cases[i].reason == NULL)
			assert_null(f->reason);
		else
			assert_string_equal(f->reason, fate_cases[i].reason);
	}
}

static const struct {
	int wstatus;
	bool timed_out;
	enum fate_event want;
} wstatus_cases[] = {
    {0, false, FATE_EXIT_OK}, {3 << 8, false, FATE_EXIT_FAIL},
    {127 << 8, false, FATE_EXIT_FAIL}, {SIGKILL, false, FATE_SIGNAL},
    {SIGSEGV | 0x80, false, FATE_SIGNAL}, /* with a core dump */
    {SIGTERM, true, FATE_TIMEOUT},
    {0, true, FATE_TIMEOUT}, /* exited 0 after its SIGTERM */
};

static void
test_fate_wstatus(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(wstatus_cases) / sizeof(wstatus_cases[0]); i++)
		assert_int_equal(fate_from_wstatus(wstatus_cases[i].wstatus,
				     wstatus_cases[i].timed_out),
		    wstatus_cases[i].want);
}

static const struct {
	enum fate_event ev;
	unsigned attempt, retries;
	int64_t delay, want;
} retry_cases[] = {
    {FATE_EXIT_FAIL, 1, 2, 1000, 1000}, {FATE_EXIT_FAIL, 2, 2, 1000, 2000},
    {FATE_EXIT_FAIL, 3, 2, 1000, -1}, /* exhausted */
    {FATE_EXIT_FAIL, 1, 0, 1000, -1}, /* retries = 0 */
    {FATE_SIGNAL, 3, 5, 30000, 120000}, {FATE_TIMEOUT, 1, 1, 0, 0},
    {FATE_LOST, 1, 1, 500, 500}, {FATE_EXIT_OK, 1, 3, 1000, -1},
    {FATE_CANCELLED, 1, 3, 1000, -1}, {FATE_REJECTED, 1, 3, 1000, -1},
    {FATE_NEVER_STARTED, 1, 3, 1000, -1},
    {FATE_EXIT_FAIL, 200, 1000, 1000, INT64_MAX / 4}, /* saturates */
};

static void
test_fate_retry(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(retry_cases) / sizeof(retry_cases[0]); i++) {
		int64_t got = fate_retry_delay_ms(fate_of(retry_cases[i].ev),
		    retry_cases[i].attempt, retry_cases[i].retries,
		    retry_cases[i].delay);

		if (retry_cases[i].want == INT64_MAX / 4)
			assert_true(got >= INT64_MAX / 4);
		else
			assert_int_equal(got, retry_cases[i].want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fate_table),
	    cmocka_unit_test(test_fate_wstatus),
	    cmocka_unit_test(test_fate_retry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
