/* SPDX-License-Identifier: MIT */
/*
 * fate: the table of what ends an attempt and where the job goes (fate.h).
 * Retries will hook in here: a row whose `to` is SPOOL_FAILED and that costs
 * an attempt becomes SPOOL_NEW (with not_before) while attempts remain.
 */
#include <assert.h>
#include <sys/wait.h>

#include "fate.h"

static const struct fate fate_table[FATE_NEVENTS] = {
    [FATE_EXIT_OK] = {SPOOL_RUN, SPOOL_DONE, "exit", true},
    [FATE_EXIT_FAIL] = {SPOOL_RUN, SPOOL_FAILED, "exit", true},
    [FATE_SIGNAL] = {SPOOL_RUN, SPOOL_FAILED, "signal", true},
    [FATE_TIMEOUT] = {SPOOL_RUN, SPOOL_FAILED, "timeout", true},
    [FATE_LOST] = {SPOOL_RUN, SPOOL_FAILED, "lost", true},
    [FATE_NEVER_STARTED] = {SPOOL_RUN, SPOOL_NEW, NULL, false},
    [FATE_REJECTED] = {SPOOL_NEW, SPOOL_FAILED, "rejected", false},
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
