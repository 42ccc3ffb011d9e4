/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of watcher/queue.c (the bounded FIFO ring) and watcher/pick.c
 * (the bounded choice of the oldest entries of a listing). Table-driven:
 * each case pushes or offers a sequence and checks what comes out.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "pick.h"
#include "queue.h"

struct queue_case {
	const char *name;
	size_t cap;
	const char *ops; /* 'p' push the next name, 'o' pop and compare */
	const char *names[8]; /* names pushed, in order */
	const char *want[8]; /* names popped, in order */
	bool want_overflow;
	size_t want_len;
};

static const struct queue_case queue_cases[] = {
    {"fifo order", 4, "pppooo", {"a", "b", "c"}, {"a", "b", "c"}, false, 0},
    {"full drops and flags", 2, "pppoo", {"a", "b", "c"}, {"a", "b"}, true, 0},
    {"wraps around", 2, "ppoppoo", {"a", "b", "c", "d"}, {"a", "b", "c", "d"},
	true, 0},
    {"wraps without loss", 2, "popopopo", {"a", "b", "c", "d"},
	{"a", "b", "c", "d"}, false, 0},
    {"pop of empty fails", 1, "o", {NULL}, {NULL}, false, 0},
    {"keeps a tail", 3, "pppo", {"x", "y", "z"}, {"x"}, false, 2},
};

static void
test_queue_table(void **state)
{
	char out[QUEUE_NAME_SIZE];
	size_t i, pi, oi;

	(void)state;
	for (i = 0; i < sizeof(queue_cases) / sizeof(queue_cases[0]); i++) {
		const struct queue_case *tc = &queue_cases[i];
		struct queue q;
		const char *op;

		assert_int_equal(queue_init(&q, tc->cap), 0);
		pi = oi = 0;
		for (op = tc->ops; *op; op++) {
			if (*op == 'p') {
				queue_push(&q, tc->names[pi++]);
			} else if (tc->want[oi] == NULL) {
				assert_false(queue_pop(&q, out));
			} else {
				assert_true(queue_pop(&q, out));
				assert_string_equal(out, tc->want[oi]);
				oi++;
			}
		}
		if (tc->want_overflow != q.overflowed)
			fail_msg(
			    "case '%s': overflowed %d", tc->name, q.overflowed);
		assert_int_equal(q.len, tc->want_len);
		queue_clear(&q);
		assert_false(q.overflowed);
		assert_false(queue_pop(&q, out));
		queue_fini(&q);
	}
}

static void
test_queue_long_name(void **state)
{
	char name[NAME_MAX + 2];
	struct queue q;

	(void)state;
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(queue_init(&q, 2), 0);
	assert_false(queue_push(&q, name));
	assert_false(q.overflowed);
	name[NAME_MAX] = '\0'; /* exactly NAME_MAX: fits */
	assert_true(queue_push(&q, name));
	queue_fini(&q);
}

struct pick_case {
	const char *name;
	size_t cap;
	size_t n;
	struct {
		int64_t ctime;
		const char *name;
	} in[8];
	const char *want[8];
	size_t want_len;
};

static const struct pick_case pick_cases[] = {
    {"sorts by ctime", 8, 3, {{30, "a"}, {10, "b"}, {20, "c"}}, {"b", "c", "a"},
	3},
    {"ties by name", 8, 3, {{5, "zz"}, {5, "aa"}, {5, "mm"}},
	{"aa", "mm", "zz"}, 3},
    {"keeps the oldest", 2, 5,
	{{50, "e"}, {10, "a"}, {40, "d"}, {20, "b"}, {30, "c"}}, {"a", "b"}, 2},
    {"newest offered first", 3, 6,
	{{60, "f"}, {50, "e"}, {40, "d"}, {30, "c"}, {20, "b"}, {10, "a"}},
	{"a", "b", "c"}, 3},
    {"empty", 4, 0, {{0, NULL}}, {NULL}, 0},
};

static void
test_pick_table(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(pick_cases) / sizeof(pick_cases[0]); i++) {
		const struct pick_case *tc = &pick_cases[i];
		struct pick p;

		assert_int_equal(pick_init(&p, tc->cap), 0);
		for (j = 0; j < tc->n; j++)
			pick_offer(&p, tc->in[j].ctime, tc->in[j].name);
		assert_int_equal(p.seen, tc->n);
		if (pick_sort(&p) != tc->want_len)
			fail_msg("case '%s': %zu kept", tc->name, p.len);
		for (j = 0; j < tc->want_len; j++)
			assert_string_equal(p.heap[j].name, tc->want[j]);
		pick_reset(&p);
		assert_int_equal(p.len, 0);
		pick_fini(&p);
	}
}

/* A large listing through a small pick: always the oldest, in order. */
static void
test_pick_many(void **state)
{
	char name[32];
	struct pick p;
	unsigned i;

	(void)state;
	assert_int_equal(pick_init(&p, 16), 0);
	for (i = 0; i < 10000; i++) {
		unsigned k = (i * 7919u) % 10000u; /* a permutation */

		snprintf(name, sizeof(name), "j%05u", k);
		pick_offer(&p, (int64_t)k, name);
	}
	assert_int_equal(pick_sort(&p), 16);
	for (i = 0; i < 16; i++) {
		snprintf(name, sizeof(name), "j%05u", i);
		assert_string_equal(p.heap[i].name, name);
	}
	pick_fini(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_queue_table),
	    cmocka_unit_test(test_queue_long_name),
	    cmocka_unit_test(test_pick_table),
	    cmocka_unit_test(test_pick_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
