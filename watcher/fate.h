/* SPDX-License-Identifier: MIT */
/*
 * fate: the state x event table of a job in run/: for each thing that can
 * end an attempt, the state directory it goes to, the status reason, and
 * whether it costs an attempt. Pure data: the runner and the adoption code
 * ask it; `retries` sends a retryable failure back to new/ (with not_before)
 * while attempts remain (fate_retry_delay_ms).
 */
#ifndef CHUTE_WATCHER_FATE_H
#define CHUTE_WATCHER_FATE_H

#include <stdbool.h>
#include <stdint.h>

#include "spool.h"

enum fate_event {
	FATE_EXIT_OK, /* the handler exited 0 */
	FATE_EXIT_FAIL, /* non-zero exit, including 127: cannot execute */
	FATE_SIGNAL, /* killed by a signal it was not sent for a timeout */
	FATE_TIMEOUT, /* outlived `timeout`: SIGTERM, then SIGKILL */
	FATE_LOST, /* found in run/ with a free lock and a running status */
	FATE_NEVER_STARTED, /* found in run/ with a free lock, never started */
	FATE_REJECTED, /* not a job (symlink, FIFO, bad name...) */
	FATE_CANCELLED, /* cancel/ID: stopped, or dropped before it ran */
	FATE_NEVENTS
};

struct fate {
	enum spool_state from; /* the state the event happens in */
	enum spool_state to;
	const char *reason; /* status reason, or NULL to leave it as it is */
	bool costs_attempt;
	bool retryable; /* `retries` may send it back to new/ instead */
};

/* The row for ev (ev < FATE_NEVENTS). Never NULL. */
const struct fate *fate_of(enum fate_event ev);

/* The event for a handler's wait status; timed_out when the runner killed it
 * for its timeout. */
enum fate_event fate_from_wstatus(int wstatus, bool timed_out);

/* The delay before the attempt after `attempt` (counted from 1) when the
 * event f allows a retry and fewer than retries + 1 attempts were made:
 * delay_ms * 2^(attempt - 1), saturating at INT64_MAX / 2. -1: no retry,
 * the job goes to f->to. */
int64_t fate_retry_delay_ms(
    const struct fate *f, unsigned attempt, unsigned retries, int64_t delay_ms);

#endif
