/* SPDX-License-Identifier: MIT */
/*
 * sweep: chuted's one timerfd (CLOCK_MONOTONIC, absolute). It fires for the
 * periodic rescan (`rescan` > 0), a retry after an error (a failed
 * listing, claim, fork or re-watch), a pending cancel, the retries waiting
 * for their not_before (wall clock, converted at arming) and retention
 * ticks: each is a due time, the timer is armed for the earliest. The
 * sweep only sets flags; the main loop does the work.
 */
#include <errno.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "chuted.h"
#include "log.h"
#include "metrics.h"
#include "timestamp.h"

int
sweep_open(struct chuted *c)
{
	c->timer_w.fd =
	    timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (c->timer_w.fd < 0)
		return -1;
	c->timer_w.cb = sweep_fire;
	c->timer_w.arg = c;
	return loop_add(&c->loop, &c->timer_w);
}

void
sweep_arm(struct chuted *c)
{
	struct itimerspec its;
	int64_t due = 0;

	if (c->conf.rescan_ms <= 0)
		c->rescan_due_ms = 0;
	else if (c->rescan_due_ms == 0)
		c->rescan_due_ms = timestamp_mono_ms() + c->conf.rescan_ms;
	if (c->rescan_due_ms != 0)
		due = c->rescan_due_ms;
	if (c->retry_due_ms != 0 && (due == 0 || c->retry_due_ms < due))
		due = c->retry_due_ms;
	if (c->cancel_due_ms != 0 && (due == 0 || c->cancel_due_ms < due))
		due = c->cancel_due_ms;
	if (c->retain.due_ms != 0 && (due == 0 || c->retain.due_ms < due))
		due = c->retain.due_ms;
	if (c->ndefers > 0) {
		/* not_before is wall-clock time: the earliest, in mono time
		 * (a clock step is caught when it fires: dispatch_due checks
		 * the wall clock again and the timer is re-armed). */
		int64_t wall = timestamp_now_ms(), mono = timestamp_mono_ms();
		int64_t first = c->defers[0].due_ms, d;
		size_t i;

		for (i = 1; i < c->ndefers; i++)
			if (c->defers[i].due_ms < first)
				first = c->defers[i].due_ms;
		d = mono + (first > wall ? first - wall : 0);
		if (due == 0 || d < due)
			due = d;
	}
	due = metrics_arm(c, due); /* the next write of SPOOL/metrics */
	if (due == c->armed_ms)
		return; /* one timerfd_settime per change, not per loop round */
	c->armed_ms = due;
	memset(&its, 0, sizeof(its));
	if (due != 0) {
		its.it_value.tv_sec = due / 1000;
		its.it_value.tv_nsec = (due % 1000) * 1000000;
		if (due <= 0)
			its.it_value.tv_nsec = 1; /* 0 would disarm it */
	}
	if (timerfd_settime(c->timer_w.fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		log_err("timerfd: %s", strerror(errno));
}

void
sweep_fire(void *arg)
{
	struct chuted *c = arg;
	uint64_t ticks;
	int64_t now;

	while (read(c->timer_w.fd, &ticks, sizeof(ticks)) < 0 && errno == EINTR)
		;
	now = timestamp_mono_ms();
	c->armed_ms = -1; /* fired: arm again even for the same time */
	if (c->cancel_due_ms != 0 && now >= c->cancel_due_ms) {
		c->cancel_due_ms = 0;
		c->need_cancel_scan = true;
	}
	if (c->retry_due_ms != 0 && now >= c->retry_due_ms) {
		c->retry_due_ms = 0;
		c->paused = false;
		c->need_rescan = true;
		c->rescan_why = "retry";
	}
	if (c->rescan_due_ms != 0 && now >= c->rescan_due_ms) {
		c->rescan_due_ms = now + c->conf.rescan_ms;
		if (!c->need_rescan) {
			c->need_rescan = true;
			c->rescan_why = "periodic";
		}
	}
}
