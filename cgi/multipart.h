/* SPDX-License-Identifier: MIT */
/*
 * multipart: the streaming multipart/form-data parser (RFC 7578, RFC 2046
 * section 5.1). It works in one fixed buffer: part bodies reach the sink in
 * slices as soon as they cannot be the start of a delimiter, so a part of
 * any size costs MULTIPART_BUF bytes. Delimiters may be split anywhere
 * across feeds. Lines may end in CRLF or a bare LF. Returns 0, or -1 with
 * errno: EINVAL for malformed input (including a missing final boundary),
 * else what a sink callback set.
 */
#ifndef CHUTE_CGI_MULTIPART_H
#define CHUTE_CGI_MULTIPART_H

#include <stdbool.h>
#include <stddef.h>

#include "form.h"

#define MULTIPART_BOUNDARY_MAX 200 /* RFC 2046 allows 70; be lenient */
#define MULTIPART_BUF 16384 /* also the longest header block of a part */
#define MULTIPART_VALUE_MAX 512 /* a part's content type or file name */

enum multipart_state { MP_PREAMBLE, MP_HEADERS, MP_BODY, MP_EPILOGUE };

struct multipart_parser {
	const struct form_sink *sink;
	enum multipart_state state;
	char delim[MULTIPART_BOUNDARY_MAX + 4]; /* "\n--" boundary */
	size_t delimlen;
	char buf[MULTIPART_BUF];
	size_t len; /* bytes held in buf */
	bool failed;
	bool in_part; /* the sink's begin was called, end not yet */
	/* The headers of the part being read. */
	bool has_disposition;
	bool has_filename;
	char name[FORM_NAME_MAX + 1];
	char filename[MULTIPART_VALUE_MAX];
	char content_type[MULTIPART_VALUE_MAX];
};

/* Extracts the boundary parameter of a multipart Content-Type (quoted or
 * not) into out (MULTIPART_BOUNDARY_MAX + 1 bytes). 0, or -1 with EINVAL
 * (none, empty, too long, or not multipart/form-data). */
int multipart_boundary(const char *content_type, char *out, size_t outlen);

/* Starts a parse. 0, or -1 with EINVAL for an empty or too long boundary. */
int multipart_init(struct multipart_parser *p, const char *boundary,
    const struct form_sink *sink);

/* Feeds the next len bytes. 0 or -1; after a failure every call fails. */
int multipart_feed(struct multipart_parser *p, const void *buf, size_t len);

/* Ends the body: -1 with EINVAL unless the final boundary was seen. */
int multipart_finish(struct multipart_parser *p);

#endif
