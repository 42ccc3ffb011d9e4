/* SPDX-License-Identifier: MIT */
/*
 * loop: a minimal epoll wrapper (loop.h), level-triggered: a callback that
 * does not drain its fd is called again on the next round.
 */
#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loop.h"

#define LOOP_MAX_EVENTS 16

int
loop_open(struct loop *lp)
{
	lp->epfd = epoll_create1(EPOLL_CLOEXEC);
	return lp->epfd < 0 ? -1 : 0;
}

void
loop_close(struct loop *lp)
{
	if (lp->epfd >= 0)
		close(lp->epfd);
	lp->epfd = -1;
}

int
loop_add(struct loop *lp, struct loop_watch *w)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = w};

	return epoll_ctl(lp->epfd, EPOLL_CTL_ADD, w->fd, &ev);
}

int
loop_del(struct loop *lp, struct loop_watch *w)
{
	return epoll_ctl(lp->epfd, EPOLL_CTL_DEL, w->fd, NULL);
}

int
loop_run_once(struct loop *lp, int timeout_ms)
{
	struct epoll_event evs[LOOP_MAX_EVENTS];
	int n, i;

	n = epoll_wait(lp->epfd, evs, LOOP_MAX_EVENTS, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	for (i = 0; i < n; i++) {
		struct loop_watch *w = evs[i].data.ptr;

		w->cb(w->arg);
	}
	return n;
}
