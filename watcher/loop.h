/* SPDX-License-Identifier: MIT */
/*
 * loop: the one epoll loop of chuted: fd -> callback. The caller owns each
 * struct loop_watch (embedded, never freed here) and the fds; the loop only
 * owns its epoll fd. Callbacks run one at a time, in the loop's thread.
 */
#ifndef CHUTE_WATCHER_LOOP_H
#define CHUTE_WATCHER_LOOP_H

#include <stdint.h>

typedef void (*loop_cb)(void *arg);

struct loop_watch {
	int fd;
	loop_cb cb;
	void *arg;
};

struct loop {
	int epfd;
};

/* 0, or -1 with errno. */
int loop_open(struct loop *lp);
void loop_close(struct loop *lp);

/* Calls w->cb(w->arg) whenever w->fd is readable. 0 or -1 with errno. */
int loop_add(struct loop *lp, struct loop_watch *w);
int loop_del(struct loop *lp, struct loop_watch *w);

/* Waits for readiness (timeout_ms -1: forever) and runs the callbacks of
 * every ready fd. Returns the number run, or -1 with errno (EINTR is 0). */
int loop_run_once(struct loop *lp, int timeout_ms);

#endif
