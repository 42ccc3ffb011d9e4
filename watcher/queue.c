/* SPDX-License-Identifier: MIT */
/*
 * queue: a ring buffer of fixed-size names (see queue.h). Never allocates
 * after queue_init(); its pages are not inherited by fork(2) (MADV_DONTFORK); a full ring drops the name and records the overflow,
 * which the dispatcher answers with a rescan of new/.
 */
#include <string.h>
#include <sys/mman.h>

#include "queue.h"

int
queue_init(struct queue *q, size_t cap)
{
	void *mem;

	memset(q, 0, sizeof(*q));
	/* Anonymous pages that no fork copies: chuted's runners never touch
	 * the queue, and chuted takes no copy-on-write fault per runner. */
	mem = mmap(NULL, cap * sizeof(*q->names), PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return -1;
	(void)madvise(mem, cap * sizeof(*q->names), MADV_DONTFORK);
	q->names = mem;
	q->cap = cap;
	return 0;
}

void
queue_fini(struct queue *q)
{
	if (q->names != NULL)
		munmap(q->names, q->cap * sizeof(*q->names));
	memset(q, 0, sizeof(*q));
}

bool
queue_push(struct queue *q, const char *name)
{
	size_t len = strlen(name);

	if (len >= QUEUE_NAME_SIZE)
		return false;
	if (q->len == q->cap) {
		q->overflowed = true;
		return false;
	}
	memcpy(q->names[(q->head + q->len) % q->cap], name, len + 1);
	q->len++;
	return true;
}

bool
queue_pop(struct queue *q, char *out)
{
	if (q->len == 0)
		return false;
	memcpy(out, q->names[q->head], QUEUE_NAME_SIZE);
	q->head = (q->head + 1) % q->cap;
	q->len--;
	return true;
}

void
queue_clear(struct queue *q)
{
	q->head = 0;
	q->len = 0;
	q->overflowed = false;
}
