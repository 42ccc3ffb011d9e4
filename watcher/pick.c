/* SPDX-License-Identifier: MIT */
/*
 * pick: bounded selection of the oldest entries of a listing (see pick.h).
 * The heap's root is the newest kept entry, so a newer offer is rejected in
 * O(1) once the heap is full, and an older one replaces the root.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pick.h"

int
pick_init(struct pick *p, size_t cap)
{
	void *mem;

	memset(p, 0, sizeof(*p));
	/* Not inherited by fork(2), as the queue (queue.c). */
	mem = mmap(NULL, cap * sizeof(*p->heap), PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return -1;
	(void)madvise(mem, cap * sizeof(*p->heap), MADV_DONTFORK);
	p->heap = mem;
	p->cap = cap;
	return 0;
}

void
pick_fini(struct pick *p)
{
	if (p->heap != NULL)
		munmap(p->heap, p->cap * sizeof(*p->heap));
	memset(p, 0, sizeof(*p));
}

void
pick_reset(struct pick *p)
{
	p->len = 0;
	p->seen = 0;
}

/* <0 when a is older (comes first in FIFO order). */
static int
pick_cmp(const struct pick_entry *a, const struct pick_entry *b)
{
	if (a->ctime_ns != b->ctime_ns)
		return a->ctime_ns < b->ctime_ns ? -1 : 1;
	return strcmp(a->name, b->name);
}

static int
pick_cmp_void(const void *a, const void *b)
{
	return pick_cmp(a, b);
}

static void
pick_swap(struct pick_entry *a, struct pick_entry *b)
{
	struct pick_entry t;

	memcpy(&t, a, sizeof(t));
	memcpy(a, b, sizeof(t));
	memcpy(b, &t, sizeof(t));
}

static void
pick_sift_up(struct pick *p, size_t i)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (pick_cmp(&p->heap[parent], &p->heap[i]) >= 0)
			break;
		pick_swap(&p->heap[parent], &p->heap[i]);
		i = parent;
	}
}

static void
pick_sift_down(struct pick *p, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, big = i;

		if (l < p->len && pick_cmp(&p->heap[l], &p->heap[big]) > 0)
			big = l;
		if (r < p->len && pick_cmp(&p->heap[r], &p->heap[big]) > 0)
			big = r;
		if (big == i)
			break;
		pick_swap(&p->heap[big], &p->heap[i]);
		i = big;
	}
}

void
pick_offer(struct pick *p, int64_t ctime_ns, const char *name)
{
	struct pick_entry e;
	size_t len = strlen(name);

	if (len >= QUEUE_NAME_SIZE)
		return;
	p->seen++;
	e.ctime_ns = ctime_ns;
	memcpy(e.name, name, len + 1);
	if (p->len < p->cap) {
		memcpy(&p->heap[p->len], &e, sizeof(e));
		p->len++;
		pick_sift_up(p, p->len - 1);
		return;
	}
	if (pick_cmp(&e, &p->heap[0]) >= 0)
		return;
	memcpy(&p->heap[0], &e, sizeof(e));
	pick_sift_down(p, 0);
}

size_t
pick_sort(struct pick *p)
{
	if (p->len > 1)
		qsort(p->heap, p->len, sizeof(*p->heap), pick_cmp_void);
	return p->len;
}
