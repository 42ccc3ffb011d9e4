/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of cgi/form.c, the streaming urlencoded parser: a table of
 * bodies and the fields they must yield (or EINVAL), each fed whole, split
 * in two at every offset, and one byte at a time; plus 1000 fields, long
 * values delivered in slices, a failing sink, and media-type matching.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collect.h"
#include "form.h"

struct form_case {
	const char *name;
	const char *body;
	size_t len; /* 0: strlen(body) */
	const char *want; /* NULL: must fail with EINVAL */
	size_t wantlen; /* 0: strlen(want) */
};

static const struct form_case cases[] = {
    {"two fields", "a=1&b=2", 0, "[a]=1;\n[b]=2;\n", 0},
    {"plus and percent", "q=hello+world%21%2b", 0, "[q]=hello world!+;\n", 0},
    {"lower and upper hex", "x=%c3%A9", 0, "[x]=\xc3\xa9;\n", 0},
    {"empty value", "a=&b=2", 0, "[a]=;\n[b]=2;\n", 0},
    {"no equals sign", "flag&b=2", 0, "[flag]=;\n[b]=2;\n", 0},
    {"repeated names", "a=1&a=2&a=3", 0, "[a]=1;\n[a]=2;\n[a]=3;\n", 0},
    {"empty pairs skipped", "&&a=1&&&b=&", 0, "[a]=1;\n[b]=;\n", 0},
    {"equals in value", "a=b=c", 0, "[a]=b=c;\n", 0},
    {"encoded name", "%61%2Eb=x", 0, "[a.b]=x;\n", 0},
    {"NUL in value kept", "a=x%00y", 0, "[a]=x\0y;\n", 9},
    {"empty body", "", 0, "", 0},
    {"empty name passed to sink", "=v", 0, "[]=v;\n", 0},
    {"trailing newline is data", "a=1\n", 0, "[a]=1\n;\n", 0},
    {"bad escape %zz", "a=%zz", 0, NULL, 0},
    {"bad escape %4g", "a=%4g&b=1", 0, NULL, 0},
    {"truncated escape %4", "a=%4", 0, NULL, 0},
    {"truncated escape %", "a=1&b=%", 0, NULL, 0},
    {"bad escape in name", "%x1=2", 0, NULL, 0},
    {"NUL in name", "a%00b=1", 0, NULL, 0},
    {"name too long",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"=1",
	0, NULL, 0},
};

/* Parses body in chunks of at most step bytes, after a first chunk of
 * first bytes (0: none). Returns 0 and the output, or -1 with errno. */
static int
parse(
    const char *body, size_t len, size_t first, size_t step, struct collect *c)
{
	struct form_parser p;
	struct form_sink sink;
	size_t off = 0, n;

	collect_init(c, &sink);
	form_init(&p, &sink);
	if (first > 0) {
		if (form_feed(&p, body, first) == -1)
			return -1;
		off = first;
	}
	while (off < len) {
		n = len - off < step ? len - off : step;
		if (form_feed(&p, body + off, n) == -1)
			return -1;
		off += n;
	}
	return form_finish(&p);
}

static void
check(const struct form_case *tc, size_t first, size_t step)
{
	size_t len = tc->len ? tc->len : strlen(tc->body);
	struct collect c;
	int rc;

	errno = 0;
	rc = parse(tc->body, len, first, step, &c);
	if (tc->want == NULL) {
		if (rc != -1 || errno != EINVAL)
			fail_msg("%s (first %zu, step %zu): want EINVAL, got "
				 "%d/%d",
			    tc->name, first, step, rc, errno);
	} else {
		size_t wl = tc->wantlen ? tc->wantlen : strlen(tc->want);

		if (rc != 0)
			fail_msg("%s (first %zu, step %zu): failed: %s",
			    tc->name, first, step, strerror(errno));
		if (c.len != wl || memcmp(c.out, tc->want, wl) != 0)
			fail_msg("%s (first %zu, step %zu): got '%s'", tc->name,
			    first, step, c.out);
	}
	collect_fini(&c);
}

static void
test_table(void **state)
{
	size_t i, first, len;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = cases[i].len ? cases[i].len : strlen(cases[i].body);
		check(&cases[i], 0, len + 1);
		check(&cases[i], 0, 1);
		for (first = 1; first < len; first++)
			check(&cases[i], first, len);
	}
}

static void
test_thousand_fields(void **state)
{
	char *body = malloc(20000), *want = malloc(20000), *b, *w;
	struct collect c;
	int i;

	(void)state;
	assert_non_null(body);
	assert_non_null(want);
	b = body;
	w = want;
	for (i = 0; i < 1000; i++) {
		b += sprintf(b, "%sf%d=v%%20%d", i ? "&" : "", i, i);
		w += sprintf(w, "[f%d]=v %d;\n", i, i);
	}
	assert_int_equal(parse(body, strlen(body), 0, 7, &c), 0);
	assert_string_equal(c.out, want);
	assert_int_equal(c.begins, 1000);
	assert_int_equal(c.ends, 1000);
	collect_fini(&c);
	free(body);
	free(want);
}

static void
test_long_value(void **state)
{
	size_t n = 3 * FORM_OUT_MAX + 17, i;
	char *body = malloc(n + 3);
	struct collect c;

	(void)state;
	assert_non_null(body);
	memcpy(body, "v=", 2);
	for (i = 0; i < n; i++)
		body[2 + i] = (char)('a' + i % 26);
	assert_int_equal(parse(body, n + 2, 0, 1000, &c), 0);
	assert_int_equal(c.len, 4 + n + 2);
	assert_memory_equal(c.out + 4, body + 2, n);
	collect_fini(&c);
	free(body);
}

static void
test_sink_error(void **state)
{
	struct form_parser p;
	struct form_sink sink;
	struct collect c;

	(void)state;
	collect_init(&c, &sink);
	c.fail_at_begin = 2;
	form_init(&p, &sink);
	assert_int_equal(form_feed(&p, "a=1&b=2&c=3", 11), -1);
	assert_int_equal(errno, EIO);
	assert_int_equal(form_feed(&p, "x", 1), -1);
	assert_int_equal(form_finish(&p), -1);
	collect_fini(&c);
}

static void
test_media_type(void **state)
{
	(void)state;
	assert_true(form_media_type_is("application/x-www-form-urlencoded",
	    "application/x-www-form-urlencoded"));
	assert_true(form_media_type_is(
	    " Application/X-WWW-Form-URLencoded ; charset=UTF-8",
	    "application/x-www-form-urlencoded"));
	assert_false(form_media_type_is("application/x-www-form-urlencodedx",
	    "application/x-www-form-urlencoded"));
	assert_false(form_media_type_is(NULL, "text/plain"));
	assert_false(form_media_type_is("", "text/plain"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_thousand_fields),
	    cmocka_unit_test(test_long_value),
	    cmocka_unit_test(test_sink_error),
	    cmocka_unit_test(test_media_type),
	};

	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
