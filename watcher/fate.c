/* SPDX-License-Identifier: MIT */
/*
 * fate: the table of what ends an attempt and where the job goes (fate.h).
 * A retryable row goes back to SPOOL_NEW (with not_before) while attempts
 * remain; cancelled and rejected jobs never do.
 */
#include <assert.h>
#include <sys/wait.h>

#include "fate.h"

static const struct fate fate_table[FATE_NEVENTS] = {
    [FATE_EXIT_OK] = {SPOOL_RUN, SPOOL_DONE, "exit", true, false},
    [FATE_EXIT_FAIL] = {SPOOL_RUN, SPOOL_FAILED, "exit", true, true},
    [FATE_SIGNAL] = {SPOOL_RUN, SPOOL_FAILED, "signal", true, true},
    [FATE_TIMEOUT] = {SPOOL_RUN, SPOOL_FAILED, "timeout", true, true},
    [FATE_LOST] = {SPOOL_RUN, SPOOL_FAILED, "lost", true, true},
    [FATE_NEVER_STARTED] = {SPOOL_RUN, SPOOL_NEW, NULL, false, false},
    [FATE_REJECTED] = {SPOOL_NEW, SPOOL_FAILED, "rejected", false, false},
    [FATE_CANCELLED] = {SPOOL_RUN, SPOOL_FAILED, "cancelled", true, false},
};

const struct fate *
fate_of(enum fate_event ev)
{
	assert(ev < FATE_NEVENTS);
	return &fate_table[ev];
}

enum fate_event
fate_from_wstatus(int wstatus, bool timed_out)
{
	if (timed_out)
		return FATE_TIMEOUT;
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus) == 0 ? FATE_EXIT_OK
						 : FATE_EXIT_FAIL;
	return FATE_SIGNAL;
}

int64_t
fate_retry_delay_ms(
    const struct fate *f, unsigned attempt, unsigned retries, int64_t delay_ms)
{
	int64_t d = delay_ms < 0 ? 0 : delay_ms;
	unsigned i;

	if (!f->retryable || attempt == 0 || attempt > retries)
		return -1;
	for (i = 1; i < attempt && d < INT64_MAX / 4; i++)
		d *= 2;
	return d;
}
