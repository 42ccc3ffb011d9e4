/* SPDX-License-Identifier: MIT */
/*
 * form: the streaming application/x-www-form-urlencoded parser, and the sink
 * interface that both body parsers (form, multipart) deliver fields to. A
 * parser holds only a bounded buffer: values reach the sink in slices as they
 * are decoded, never whole. It knows nothing about the spool; the sink
 * decides what a field becomes. Every call returns 0, or -1 with errno
 * (EINVAL for malformed input, or whatever a sink callback set).
 */
#ifndef CHUTE_CGI_FORM_H
#define CHUTE_CGI_FORM_H

#include <stdbool.h>
#include <stddef.h>

/* Longest field name a parser accepts (decoded), before the sink checks it. */
#define FORM_NAME_MAX 255
#define FORM_OUT_MAX 4096

/* Where parsed fields go. For each field: begin once, data zero or more
 * times, end once. filename is NULL for a plain field, else the (untrusted)
 * file name a multipart part announced; content_type may be NULL. A callback
 * returns 0, or -1 with errno set to stop the parse. */
struct form_sink {
	int (*begin)(void *arg, const char *name, const char *filename,
	    const char *content_type);
	int (*data)(void *arg, const void *buf, size_t len);
	int (*end)(void *arg);
	void *arg;
};

enum form_where { FORM_IN_NAME, FORM_IN_VALUE };

struct form_parser {
	const struct form_sink *sink;
	enum form_where where;
	int pct; /* 0, or how many characters of a %XX escape were seen */
	int pct_value;
	char name[FORM_NAME_MAX + 1];
	size_t namelen;
	char out[FORM_OUT_MAX]; /* decoded value bytes not yet delivered */
	size_t outlen;
	bool failed;
};

/* Starts a parse that delivers to sink (borrowed; must outlive the parser). */
void form_init(struct form_parser *p, const struct form_sink *sink);

/* Feeds the next len bytes of the body. 0, or -1 with errno; after a
 * failure every further call fails with EINVAL. */
int form_feed(struct form_parser *p, const void *buf, size_t len);

/* Ends the body: delivers the last field. 0, or -1 (EINVAL: a truncated
 * %-escape). */
int form_finish(struct form_parser *p);

/* True when the media type of content_type (before any ';', case-insensitive,
 * surrounding blanks ignored) is type. content_type may be NULL. */
bool form_media_type_is(const char *content_type, const char *type);

#endif
