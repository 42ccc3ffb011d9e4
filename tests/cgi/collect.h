/* SPDX-License-Identifier: MIT */
/*
 * collect: a form_sink for the parser tests that renders every field it
 * receives as text, "[name|f=filename|t=type]=value;\n", in a growing heap
 * buffer, so that a test compares one string. Aborts the test on ENOMEM.
 */
#ifndef CHUTE_TEST_COLLECT_H
#define CHUTE_TEST_COLLECT_H

#include <stdlib.h>
#include <string.h>

#include "form.h"

struct collect {
	char *out;
	size_t len, cap;
	int begins, ends;
	int fail_at_begin; /* > 0: the Nth begin fails with EIO */
};

static inline void
collect_put(struct collect *c, const void *buf, size_t len)
{
	if (c->len + len + 1 > c->cap) {
		c->cap = (c->len + len + 1) * 2;
		c->out = realloc(c->out, c->cap);
		if (c->out == NULL)
			abort();
	}
	memcpy(c->out + c->len, buf, len);
	c->len += len;
	c->out[c->len] = '\0';
}

static inline void
collect_puts(struct collect *c, const char *s)
{
	collect_put(c, s, strlen(s));
}

static inline int
collect_begin(
    void *arg, const char *name, const char *filename, const char *content_type)
{
	struct collect *c = arg;

	if (++c->begins == c->fail_at_begin) {
		errno = EIO;
		return -1;
	}
	collect_puts(c, "[");
	collect_puts(c, name);
	if (filename != NULL) {
		collect_puts(c, "|f=");
		collect_puts(c, filename);
	}
	if (content_type != NULL) {
		collect_puts(c, "|t=");
		collect_puts(c, content_type);
	}
	collect_puts(c, "]=");
	return 0;
}

static inline int
collect_data(void *arg, const void *buf, size_t len)
{
	struct collect *c = arg;

	if (c->begins == c->ends)
		abort(); /* data outside a field: a parser bug */
	collect_put(c, buf, len);
	return 0;
}

static inline int
collect_end(void *arg)
{
	struct collect *c = arg;

	c->ends++;
	collect_puts(c, ";\n");
	return 0;
}

static inline void
collect_init(struct collect *c, struct form_sink *sink)
{
	memset(c, 0, sizeof(*c));
	collect_puts(c, "");
	sink->begin = collect_begin;
	sink->data = collect_data;
	sink->end = collect_end;
	sink->arg = c;
}

static inline void
collect_fini(struct collect *c)
{
	free(c->out);
	c->out = NULL;
}

#endif
