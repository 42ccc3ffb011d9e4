/* SPDX-License-Identifier: MIT */
/*
 * queue: the bounded FIFO of names waiting for a free runner slot. A ring of
 * fixed-size entries allocated once: no allocation per job, so a flood of
 * names cannot grow memory. When a push finds the ring full the name is
 * dropped and `overflowed` is set: the caller then rescans new/ (the names
 * are still there) once the ring has drained. Names are untrusted and may be
 * invalid; they are only copied here.
 */
#ifndef CHUTE_WATCHER_QUEUE_H
#define CHUTE_WATCHER_QUEUE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define QUEUE_NAME_SIZE (NAME_MAX + 1)

struct queue {
	char (*names)[QUEUE_NAME_SIZE];
	size_t cap;
	size_t head; /* index of the oldest entry */
	size_t len;
	bool overflowed; /* a name was dropped since the last queue_clear() */
};

/* Allocates room for cap names (cap > 0), in pages a fork(2) does not
 * copy: a child must not touch them. 0, or -1 with ENOMEM. */
int queue_init(struct queue *q, size_t cap);
void queue_fini(struct queue *q);

/* Appends name. Returns true, or false when the ring is full (overflowed is
 * then set) or name does not fit a directory entry (ENAMETOOLONG: ignored). */
bool queue_push(struct queue *q, const char *name);

/* Removes the oldest name into out (QUEUE_NAME_SIZE bytes). False if empty. */
bool queue_pop(struct queue *q, char *out);

/* Empties the ring and clears overflowed (before a rescan refills it). */
void queue_clear(struct queue *q);

#endif
