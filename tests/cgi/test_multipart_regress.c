/* SPDX-License-Identifier: MIT */
/*
 * test_multipart_regress: regression tests for multipart parser bugs found
 * by fuzz/fuzz_multipart. Each body is parsed in one feed, byte by byte, and
 * split at every offset; all must give the same fields (the parser's promise
 * that delimiters may be split anywhere across feeds).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collect.h"
#include "multipart.h"

#define PAD64 "                                                                "

struct regress_case {
	const char *what;
	const char *body;
	int rc; /* of the whole parse */
	const char *fields;
};

static const struct regress_case cases[] = {
    /* Exactly 64 blanks of padding ended where a feed ended: the delimiter
     * was taken for content, unlike in one feed. */
    {"64 blanks of padding after the first delimiter",
	"--b" PAD64 "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n"
	"x\r\n--b--\r\n",
	0, "[a]=x;\n"},
    {"64 blanks of padding after an inner delimiter",
	"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n"
	"--b" PAD64 "\r\nContent-Disposition: form-data; name=\"c\"\r\n\r\n"
	"y\r\n--b--\r\n",
	0, "[a]=x;\n[c]=y;\n"},
    {"65 blanks: content, not a delimiter",
	"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n"
	"--b " PAD64 "\r\nmore\r\n--b--\r\n",
	0, "[a]=x\r\n--b " PAD64 "\r\nmore;\n"},
};

/* Parses body fed as [0, split) and [split, len), or byte by byte when
 * bytewise; returns the rc and the collected fields in *out (to free). */
static int
parse(const char *body, size_t split, bool bytewise, char **out)
{
	struct multipart_parser *p = malloc(sizeof(*p));
	struct form_sink sink;
	struct collect c;
	size_t len = strlen(body), i;
	int rc = 0;

	assert_non_null(p);
	collect_init(&c, &sink);
	assert_int_equal(multipart_init(p, "b", &sink), 0);
	if (bytewise) {
		for (i = 0; i < len && rc == 0; i++)
			rc = multipart_feed(p, body + i, 1);
	} else {
		rc = multipart_feed(p, body, split);
		if (rc == 0)
			rc = multipart_feed(p, body + split, len - split);
	}
	if (rc == 0)
		rc = multipart_finish(p);
	*out = c.out;
	free(p);
	return rc;
}

static void
test_split_anywhere(void **state)
{
	size_t i, split, len;
	char *whole, *other;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = parse(cases[i].body, strlen(cases[i].body), false, &whole);
		if (rc != cases[i].rc || strcmp(whole, cases[i].fields) != 0)
			fail_msg(
			    "%s: rc %d, fields '%s'", cases[i].what, rc, whole);
		len = strlen(cases[i].body);
		for (split = 0; split <= len + 1; split++) {
			if (split == len + 1)
				rc = parse(cases[i].body, 0, true, &other);
			else
				rc = parse(cases[i].body, split, false, &other);
			if (rc != cases[i].rc ||
			    strcmp(other, cases[i].fields) != 0)
				fail_msg("%s: split at %zu: rc %d, '%s'",
				    cases[i].what, split, rc, other);
			free(other);
		}
		free(whole);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_split_anywhere),
	};

	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
