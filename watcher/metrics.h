/* SPDX-License-Identifier: MIT */
/*
 * metrics: chuted's counters, gauges and histograms, written every `metrics`
 * seconds to SPOOL/metrics in the Prometheus text format (0.0.4). All state
 * lives here (c->metrics); the other modules only report transitions with
 * one call each. Every call is a no-op when c->metrics is NULL, and none of
 * them fails: metrics never stop the watcher (a failed write is logged).
 */
#ifndef CHUTE_WATCHER_METRICS_H
#define CHUTE_WATCHER_METRICS_H

#include <stdint.h>
#include <sys/types.h>

#include "spool.h"

struct chuted;

enum metrics_event {
	METRICS_RESCAN, /* a listing of new/ */
	METRICS_OVERFLOW /* an inotify queue overflow */
};

/* Allocates c->metrics and notes the start time. 0, or -1 with errno. */
int metrics_open(struct chuted *c);
/* Writes the file a last time (when metrics are on) and frees c->metrics. */
void metrics_close(struct chuted *c);
/* The earlier of due (mono ms, 0 = none) and the next write. */
int64_t metrics_arm(struct chuted *c, int64_t due);
/* Writes SPOOL/metrics when it is due; once per loop round. */
void metrics_tick(struct chuted *c);

/* Job id was claimed; lockfd is its locked job file (call before
 * runner_start, which closes it). Notes the queue wait. may_have_status
 * false: it had no status file just before its claim (a fresh job): the
 * wait is taken from the job file alone. Returns the job file's "submitted"
 * (job_peek_submitted()) when it was read, else 0. */
int64_t metrics_claimed(
    struct chuted *c, const char *id, int lockfd, bool may_have_status);
/* Its runner pid started: counts the start and the queue wait. */
void metrics_started(struct chuted *c, const char *id, pid_t pid);
/* A child pid was reaped with wstatus: the run time, and the outcome the
 * runner reported (done; failed, with the reason from its status; retry). */
void metrics_reaped(struct chuted *c, pid_t pid, int wstatus);
/* chuted itself ended a job with reason (lost, cancelled, rejected) and
 * sent it to `to` (SPOOL_NEW: a retry, else failed/). */
void metrics_settled(struct chuted *c, const char *reason, enum spool_state to);
/* Retention moved an entry of state dir `state` away. */
void metrics_removed(struct chuted *c, int state);
void metrics_event(struct chuted *c, enum metrics_event ev);

#endif
