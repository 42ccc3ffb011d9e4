/* SPDX-License-Identifier: MIT */
/*
 * fuzz_multipart: the multipart/form-data parser (cgi/multipart.c). Input:
 * two bytes of chunk seed, one mode byte, then the body. The boundary is a
 * fixed one (mode 0), the body's own first line "--BOUNDARY" (mode 1), or
 * what multipart_boundary() finds in a first line read as a Content-Type
 * (mode 2; the body starts after it). The body is parsed twice, in seeded
 * chunks and in one feed: both must succeed or fail alike, with the same
 * errno, and on success deliver the same fields. After a failure the parser
 * must keep failing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "multipart.h"

#define FIXED_BOUNDARY "----chuteFuzzXyZzY"

struct result {
	int rc;
	int err;
};

static struct result
parse(const char *boundary, const unsigned char *body, size_t size,
    uint16_t seed, bool whole, struct fuzz_log *log)
{
	struct multipart_parser *p;
	struct fuzz_chunker ch;
	struct result r = {0, 0};
	size_t n;

	p = malloc(sizeof(*p));
	fuzz_check(p != NULL, "malloc");
	fuzz_check(multipart_init(p, boundary, &log->sink) == 0,
	    "multipart_init refuses a good boundary");
	fuzz_chunker_init(&ch, seed);
	while (size > 0) {
		n = whole ? size : fuzz_chunker_next(&ch, size);
		r.rc = multipart_feed(p, body, n);
		if (r.rc == -1)
			break;
		body += n;
		size -= n;
	}
	if (r.rc == 0)
		r.rc = multipart_finish(p);
	if (r.rc == -1) {
		r.err = errno;
		fuzz_check(multipart_feed(p, "a", 1) == -1 && errno == EINVAL,
		    "a failed parser accepts more input");
		fuzz_check(multipart_finish(p) == -1 && errno == EINVAL,
		    "a failed parser finishes");
	} else {
		fuzz_check(!log->in_field, "a part left open at the end");
	}
	free(p);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char boundary[MULTIPART_BOUNDARY_MAX + 1];
	struct multipart_parser *p;
	struct fuzz_log chunked, whole;
	struct result a, b;
	const unsigned char *body, *eol;
	size_t len, linelen;
	uint16_t seed;
	char *line = NULL;
	int mode;

	if (size < 3)
		return 0;
	seed = (uint16_t)(data[0] | data[1] << 8);
	mode = data[2] % 3;
	body = data + 3;
	len = size - 3;
	eol = memchr(body, '\n', len);
	linelen = eol != NULL ? (size_t)(eol - body) : len;
	if (linelen > 0 && body[linelen - 1] == '\r')
		linelen--;

	if (mode == 0) {
		strcpy(boundary, FIXED_BOUNDARY);
	} else if (mode == 1) {
		if (linelen < 2 || memcmp(body, "--", 2) != 0)
			return 0;
		line = fuzz_strndup(body + 2, linelen - 2);
		if (strlen(line) == 0 ||
		    strlen(line) > MULTIPART_BOUNDARY_MAX) {
			p = malloc(sizeof(*p));
			fuzz_check(p != NULL, "malloc");
			fuzz_check(multipart_init(p, line, NULL) == -1 &&
				errno == EINVAL,
			    "multipart_init takes a bad boundary");
			fuzz_check(multipart_feed(p, "a", 1) == -1,
			    "feed after a failed init");
			free(p);
			free(line);
			return 0;
		}
		strcpy(boundary, line);
	} else {
		line = fuzz_strndup(body, linelen);
		if (multipart_boundary(line, boundary, sizeof(boundary)) ==
		    -1) {
			fuzz_check(errno == EINVAL, "multipart_boundary errno");
			free(line);
			return 0;
		}
		fuzz_check(boundary[0] != '\0' &&
			strlen(boundary) <= MULTIPART_BOUNDARY_MAX &&
			strpbrk(boundary, "\r\n") == NULL,
		    "multipart_boundary returns a bad boundary");
		fuzz_check(form_media_type_is(line, "multipart/form-data"),
		    "a boundary from another media type");
		body = eol != NULL ? eol + 1 : body + len;
		len = (size_t)(data + size - body);
	}
	free(line);

	fuzz_log_init(&chunked, MULTIPART_BUF);
	fuzz_log_init(&whole, MULTIPART_BUF);
	a = parse(boundary, body, len, seed, false, &chunked);
	b = parse(boundary, body, len, seed, true, &whole);
	fuzz_check(a.rc == b.rc, "chunked and whole parses differ in success");
	fuzz_check(a.err == b.err, "chunked and whole parses differ in errno");
	if (a.rc == 0)
		fuzz_check(fuzz_log_equal(&chunked, &whole),
		    "chunked and whole parses differ in fields");
	fuzz_log_fini(&chunked);
	fuzz_log_fini(&whole);
	return 0;
}
