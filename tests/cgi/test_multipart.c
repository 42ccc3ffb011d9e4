/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of cgi/multipart.c: a table of multipart bodies and the fields
 * they must yield (or EINVAL), each fed whole, split in two at every offset,
 * and one byte at a time; boundary extraction from Content-Type; a large
 * part full of boundary look-alikes; 1000 parts; a failing sink.
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

#define CD "Content-Disposition: form-data; "

struct mp_case {
	const char *name;
	const char *boundary;
	const char *body;
	const char *want; /* NULL: must fail with EINVAL */
};

static const struct mp_case cases[] = {
    {"field and file, CRLF", "XyZ",
	"--XyZ\r\n" CD "name=\"title\"\r\n\r\nhello\r\n"
	"--XyZ\r\n" CD "name=\"up\"; filename=\"a b.txt\"\r\n"
	"Content-Type: text/plain\r\n\r\nline1\r\nline2\r\n\r\n"
	"--XyZ--\r\n",
	"[title]=hello;\n[up|f=a b.txt|t=text/plain]=line1\r\nline2\r\n;\n"},
    {"bare LF", "b",
	"--b\n" CD "name=\"a\"\n\nv1\n--b\n" CD "name=\"c\"\n\nv\r2\n--b--\n",
	"[a]=v1;\n[c]=v\r2;\n"},
    {"preamble and epilogue", "b",
	"This is a preamble\r\n--b not a delimiter\r\n--b\r\n" CD
	"name=\"a\"\r\n\r\nx\r\n--b--\r\nepilogue --b\r\n--b\r\njunk",
	"[a]=x;\n"},
    {"zero-byte file", "b",
	"--b\r\n" CD "name=\"f\"; filename=\"empty\"\r\n\r\n\r\n--b--",
	"[f|f=empty]=;\n"},
    {"empty field then file", "b",
	"--b\r\n" CD "name=\"e\"\r\n\r\n\r\n--b\r\n" CD
	"name=\"f\"; filename=\"\"\r\n"
	"Content-Type: application/octet-stream\r\n\r\n\r\n--b--\r\n",
	"[e]=;\n[f|f=|t=application/octet-stream]=;\n"},
    {"boundary look-alikes in content", "BOUND",
	"--BOUND\r\n" CD "name=\"f\"; filename=\"x\"\r\n\r\n"
	"--BOUND at line start? no: no line break before\r\n"
	"--BOUNDARY is longer\r\n--BOUN\r\n-BOUND\r\nx--BOUND\r\n"
	"\r\n--BOUND-x\r\n--BOUND--\r\n",
	"[f|f=x]=--BOUND at line start? no: no line break before\r\n"
	"--BOUNDARY is longer\r\n--BOUN\r\n-BOUND\r\nx--BOUND\r\n"
	"\r\n--BOUND-x;\n"},
    {"padding after delimiter", "b",
	"--b \t\r\n" CD "name=\"a\"\r\n\r\n1\r\n--b  \n" CD
	"name=\"c\"\r\n\r\n2\r\n--b--",
	"[a]=1;\n[c]=2;\n"},
    {"CR without LF in content", "b",
	"--b\r\n" CD "name=\"a\"\r\n\r\nx\ry\r\r\n--b--\r\n", "[a]=x\ry\r;\n"},
    {"quoted and escaped parameters", "b",
	"--b\r\ncontent-disposition: FORM-DATA; filename=\"C:\\dir\\q\\\"."
	"txt\"; name=up\r\nX-Other: ignored\r\n\r\nz\r\n--b--\r\n",
	"[up|f=C:\\dir\\q\".txt]=z;\n"},
    {"no parts", "b", "--b--\r\n", ""},
    {"missing final boundary", "b",
	"--b\r\n" CD "name=\"a\"\r\n\r\nx\r\n--b\r\n", NULL},
    {"missing final boundary, in content", "b",
	"--b\r\n" CD "name=\"a\"\r\n\r\nx", NULL},
    {"truncated final boundary", "b",
	"--b\r\n" CD "name=\"a\"\r\n\r\nx\r\n--b-", NULL},
    {"no boundary at all", "b", "just some text\r\n", NULL},
    {"empty body", "b", "", NULL},
    {"part without disposition", "b",
	"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n", NULL},
    {"disposition without name", "b",
	"--b\r\n" CD "filename=\"a\"\r\n\r\nx\r\n--b--\r\n", NULL},
    {"not form-data", "b",
	"--b\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n"
	"--b--\r\n",
	NULL},
    {"unterminated quote", "b", "--b\r\n" CD "name=\"a\r\n\r\nx\r\n--b--\r\n",
	NULL},
    {"headers never end", "b", "--b\r\n" CD "name=\"a\"\r\n", NULL},
};

static int
parse(const char *boundary, const char *body, size_t len, size_t first,
    size_t step, struct collect *c)
{
	struct multipart_parser *p = malloc(sizeof(*p));
	struct form_sink sink;
	size_t off = 0, n;
	int rc = -1;

	collect_init(c, &sink);
	if (p == NULL || multipart_init(p, boundary, &sink) == -1)
		goto out;
	if (first > 0) {
		if (multipart_feed(p, body, first) == -1)
			goto out;
		off = first;
	}
	while (off < len) {
		n = len - off < step ? len - off : step;
		if (multipart_feed(p, body + off, n) == -1)
			goto out;
		off += n;
	}
	rc = multipart_finish(p);
out:
	free(p);
	return rc;
}

static void
check(const struct mp_case *tc, size_t first, size_t step)
{
	size_t len = strlen(tc->body);
	struct collect c;
	int rc;

	errno = 0;
	rc = parse(tc->boundary, tc->body, len, first, step, &c);
	if (tc->want == NULL) {
		if (rc != -1 || errno != EINVAL)
			fail_msg("%s (first %zu, step %zu): want EINVAL, got "
				 "%d/%d: %s",
			    tc->name, first, step, rc, errno, c.out);
	} else {
		if (rc != 0)
			fail_msg("%s (first %zu, step %zu): failed: %s",
			    tc->name, first, step, strerror(errno));
		if (strcmp(c.out, tc->want) != 0)
			fail_msg("%s (first %zu, step %zu): got '%s'", tc->name,
			    first, step, c.out);
		if (c.begins != c.ends)
			fail_msg("%s: unbalanced begin/end", tc->name);
	}
	collect_fini(&c);
}

/* Every case whole, in 1-byte chunks, and split in two at every offset. */
static void
test_table(void **state)
{
	size_t i, first, len;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = strlen(cases[i].body);
		check(&cases[i], 0, len + 1);
		check(&cases[i], 0, 1);
		for (first = 1; first < len; first++)
			check(&cases[i], first, len);
	}
}

static const struct {
	const char *type;
	const char *want; /* NULL: EINVAL */
} boundary_cases[] = {
    {"multipart/form-data; boundary=abc", "abc"},
    {"Multipart/Form-Data;boundary=\"a b;c\"", "a b;c"},
    {"multipart/form-data; charset=utf-8; BOUNDARY=----WebKitFormBoundary"
     "7MA4YWxkTrZu0gW",
	"----WebKitFormBoundary7MA4YWxkTrZu0gW"},
    {"multipart/form-data", NULL},
    {"multipart/form-data; boundary=", NULL},
    {"multipart/form-data; boundary=\"\"", NULL},
    {"multipart/form-data; boundary=\"abc", NULL},
    {"multipart/mixed; boundary=abc", NULL},
    {"text/plain; boundary=abc", NULL},
    {NULL, NULL},
};

static void
test_boundary(void **state)
{
	char out[MULTIPART_BOUNDARY_MAX + 1], big[400];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(boundary_cases) / sizeof(boundary_cases[0]);
	     i++) {
		rc = multipart_boundary(
		    boundary_cases[i].type, out, sizeof(out));
		if (boundary_cases[i].want == NULL) {
			assert_int_equal(rc, -1);
			assert_int_equal(errno, EINVAL);
		} else {
			assert_int_equal(rc, 0);
			assert_string_equal(out, boundary_cases[i].want);
		}
	}
	snprintf(big, sizeof(big), "multipart/form-data; boundary=%0250d", 1);
	assert_int_equal(multipart_boundary(big, out, sizeof(out)), -1);
}

/* 200 KiB of content full of partial delimiters, fed in odd chunks. */
static void
test_large_lookalikes(void **state)
{
	const char *head = "--BB\r\n" CD "name=\"f\"; filename=\"big\"\r\n\r\n";
	const char *pieces[] = {
	    "\r\n--B", "\r\n--BBx", "\r", "\n", "data", "\r\n-", "--BB"};
	size_t n = 200 * 1024, i, k = 0, hl = strlen(head), len;
	char *body = malloc(hl + n + 64), *content;
	struct collect c;
	size_t steps[] = {1, 3, 4095, 4096, 16383, 16384, 16385, 65536};

	(void)state;
	assert_non_null(body);
	memcpy(body, head, hl);
	content = body + hl;
	len = 0;
	while (len < n) {
		const char *p = pieces[k++ % 7];
		size_t pl = strlen(p);

		memcpy(content + len, p, pl);
		len += pl;
	}
	memcpy(content + len, "\r\n--BB--\r\n", 10);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		assert_int_equal(
		    parse("BB", body, hl + len + 10, 0, steps[i], &c), 0);
		assert_int_equal(c.len, strlen("[f|f=big]=") + len + 2);
		assert_memory_equal(c.out + strlen("[f|f=big]="), content, len);
		collect_fini(&c);
	}
	free(body);
}

static void
test_thousand_parts(void **state)
{
	char *body = malloc(200000), *want = malloc(40000), *b, *w;
	struct collect c;
	int i;

	(void)state;
	assert_non_null(body);
	assert_non_null(want);
	b = body;
	w = want;
	for (i = 0; i < 1000; i++) {
		b += sprintf(
		    b, "--b\r\n" CD "name=\"f%d\"\r\n\r\nv%d\r\n", i, i);
		w += sprintf(w, "[f%d]=v%d;\n", i, i);
	}
	strcpy(b, "--b--\r\n");
	assert_int_equal(parse("b", body, strlen(body), 0, 1000, &c), 0);
	assert_string_equal(c.out, want);
	assert_int_equal(c.ends, 1000);
	collect_fini(&c);
	free(body);
	free(want);
}

static void
test_sink_error(void **state)
{
	const char *body = "--b\r\n" CD "name=\"a\"\r\n\r\n1\r\n--b\r\n" CD
			   "name=\"c\"\r\n\r\n2\r\n--b--\r\n";
	struct collect c;

	(void)state;
	/* parse() builds its own collector; use a variant failing begin 2. */
	struct multipart_parser *p = malloc(sizeof(*p));
	struct form_sink sink;

	assert_non_null(p);
	collect_init(&c, &sink);
	c.fail_at_begin = 2;
	assert_int_equal(multipart_init(p, "b", &sink), 0);
	assert_int_equal(multipart_feed(p, body, strlen(body)), -1);
	assert_int_equal(errno, EIO);
	assert_int_equal(multipart_feed(p, "x", 1), -1);
	assert_int_equal(multipart_finish(p), -1);
	assert_int_equal(multipart_init(p, "", &sink), -1);
	free(p);
	collect_fini(&c);
}

/* A small deterministic PRNG (xorshift32), so failures reproduce. */
static unsigned
rnd(unsigned *state)
{
	unsigned x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *state = x;
}

/* Content may hold "\n--Bnd" only where an 'x' follows: then it is no
 * delimiter. */
static bool
content_ok(const char *s)
{
	const char *hit;

	for (hit = s; (hit = strstr(hit, "\n--Bnd")) != NULL; hit++)
		if (hit[6] != 'x')
			return false;
	return true;
}

/*
 * Property: random parts made of delimiter-like bytes, fed in random
 * chunks, come out exactly as they went in. Content never holds the real
 * delimiter "\n--Bnd" (then it would not be content).
 */
static void
test_random_chunks(void **state)
{
	static const char *frag[] = {"\r", "\n", "-", "--", "B", "Bn",
	    "\r\n--B", "\r\n--Bn", "\n--", "x", " ", "\r\n", "d", "\n--Bndx"};
	size_t cap = 1 << 16, blen, wlen, off, n, i, k;
	char *body = malloc(cap), *want = malloc(cap), *content = malloc(512);
	unsigned seed = 12345, iter, parts, p;
	struct multipart_parser *mp = malloc(sizeof(*mp));
	struct form_sink sink;
	struct collect c;

	(void)state;
	assert_non_null(body);
	assert_non_null(want);
	assert_non_null(content);
	assert_non_null(mp);
	for (iter = 0; iter < 500; iter++) {
		blen = wlen = 0;
		parts = rnd(&seed) % 4;
		for (p = 0; p < parts; p++) {
			do {
				n = 0;
				k = rnd(&seed) % 40;
				for (i = 0; i < k; i++) {
					const char *f = frag[rnd(&seed) % 14];

					memcpy(content + n, f, strlen(f));
					n += strlen(f);
				}
				content[n] = '\0';
			} while (!content_ok(content));
			blen += (size_t)sprintf(body + blen,
			    "--Bnd\r\n" CD "name=\"p%u\"\r\n\r\n", p);
			memcpy(body + blen, content, n);
			blen += n;
			memcpy(body + blen, "\r\n", 2);
			blen += 2;
			wlen += (size_t)sprintf(want + wlen, "[p%u]=", p);
			memcpy(want + wlen, content, n);
			wlen += n;
			memcpy(want + wlen, ";\n", 3);
			wlen += 2;
		}
		blen += (size_t)sprintf(body + blen, "--Bnd--\r\n");
		want[wlen] = '\0';
		collect_init(&c, &sink);
		assert_int_equal(multipart_init(mp, "Bnd", &sink), 0);
		for (off = 0; off < blen; off += n) {
			n = 1 + rnd(&seed) % 50;
			if (n > blen - off)
				n = blen - off;
			if (multipart_feed(mp, body + off, n) == -1)
				fail_msg("iteration %u: feed failed", iter);
		}
		if (multipart_finish(mp) == -1)
			fail_msg("iteration %u: finish failed", iter);
		if (c.len != wlen || memcmp(c.out, want, wlen) != 0)
			fail_msg("iteration %u: got '%s' want '%s'", iter,
			    c.out, want);
		collect_fini(&c);
	}
	free(mp);
	free(content);
	free(want);
	free(body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_boundary),
	    cmocka_unit_test(test_large_lookalikes),
	    cmocka_unit_test(test_thousand_parts),
	    cmocka_unit_test(test_sink_error),
	    cmocka_unit_test(test_random_chunks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
