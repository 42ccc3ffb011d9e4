/* SPDX-License-Identifier: MIT */
/*
 * pick: chooses the oldest `cap` entries of a directory listing in FIFO order
 * (by ctime, then name) with a bounded max-heap, so a rescan of a new/ holding
 * 100000 names needs memory for cap entries only. pick_offer() is O(log cap);
 * `seen` counts every offer, so seen > len says the listing was cut.
 */
#ifndef CHUTE_WATCHER_PICK_H
#define CHUTE_WATCHER_PICK_H

#include <stddef.h>
#include <stdint.h>

#include "queue.h"

struct pick_entry {
	int64_t ctime_ns;
	char name[QUEUE_NAME_SIZE];
};

struct pick {
	struct pick_entry *heap; /* a max-heap until pick_sort() */
	size_t cap;
	size_t len;
	size_t seen;
};

/* Allocates room for cap entries (cap > 0), in pages a fork(2) does not
 * copy: a child must not touch them. 0, or -1 with ENOMEM. */
int pick_init(struct pick *p, size_t cap);
void pick_fini(struct pick *p);
/* Forgets every entry (keeps the memory). */
void pick_reset(struct pick *p);

/* Offers one entry; keeps it when it is among the oldest cap seen so far.
 * Names longer than a directory entry are ignored. */
void pick_offer(struct pick *p, int64_t ctime_ns, const char *name);

/* Sorts the kept entries oldest first (p->heap[0 .. len-1]); returns len.
 * Offer nothing more before pick_reset(). */
size_t pick_sort(struct pick *p);

#endif
