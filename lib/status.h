/* SPDX-License-Identifier: MIT */
/*
 * status: ID/status, the runner's record of a job, as JSON (jansson):
 *   {"id", "state", "attempt", "submitted", "started", "finished",
 *    "exit_code", "signal", "reason", "runner_pid"}
 * plus chute's extensions "not_before" (a retry's earliest start) and
 * "attempts" (one object per finished attempt: attempt, started, finished,
 * exit_code, signal, reason). Unknown keys are ignored on read. It is always
 * replaced atomically (write a temporary, fsync, rename, fsync the dir).
 * Times are RFC 3339 UTC; absent values are JSON null.
 */
#ifndef CHUTE_STATUS_H
#define CHUTE_STATUS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "jobid.h"
#include "spool.h"

#define STATUS_REASON_MAX 16

struct status {
	char id[JOBID_NAME_MAX + 1];
	/* SPOOL_NEW, SPOOL_RUN, SPOOL_DONE or SPOOL_FAILED */
	enum spool_state state;
	unsigned attempt; /* from 1; 0 = not started yet */
	int64_t submitted_ms; /* 0 = null */
	int64_t started_ms;
	int64_t finished_ms;
	int exit_code; /* -1 = null */
	int signal; /* 0 = null */
	char reason[STATUS_REASON_MAX]; /* "" = null; exit|signal|timeout|
					   cancelled|lost|rejected */
	pid_t runner_pid; /* 0 = null */
	int64_t not_before_ms; /* 0 = null */
	json_t *attempts; /* array or NULL; owned */
};

/* Empty status for id (may be NULL): nulls everywhere. */
void status_init(struct status *st, const char *id);
void status_fini(struct status *st);

/* Reads jobdirfd/status. 0, or -1 with errno: ENOENT (no status yet), EBADMSG
 * (not JSON, truncated, or a field of the wrong type), ELOOP/EINVAL (not a
 * regular file), EFBIG (over 1 MiB). On failure st is status_init()ed.
 * st is overwritten, not status_fini()ed first: fini a used one before. */
int status_read(int jobdirfd, struct status *st);

/* Writes jobdirfd/status atomically (fsio_atomic_write). 0 or -1. */
int status_write(int jobdirfd, const struct status *st, bool do_fsync);

/* Appends the current attempt's outcome (attempt, started, finished,
 * exit_code, signal, reason) to st->attempts. 0 or -1 (ENOMEM). */
int status_record_attempt(struct status *st);

/* JSON conversions, exported for tests and for jobinfo. to_json returns a
 * new reference or NULL (ENOMEM); from_json returns 0 or -1 (EBADMSG). */
json_t *status_to_json(const struct status *st);
int status_from_json(const json_t *obj, struct status *st);

/* The JSON of one value as status (and jobinfo) write it, a new reference
 * or NULL (ENOMEM): ms as an RFC 3339 UTC string, null for 0 (or a time
 * that cannot be formatted); v as an integer, null when is_null. */
json_t *status_time(int64_t ms);
json_t *status_int_or_null(json_int_t v, bool is_null);

#endif
