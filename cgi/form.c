/* SPDX-License-Identifier: MIT */
/*
 * form: streaming application/x-www-form-urlencoded parsing (WHATWG URL
 * standard, section 5): '&' separates pairs, the first '=' splits name from
 * value, '+' is a space, %XX a byte. Empty pairs ("a=1&&b=2") are skipped; a
 * name without '=' is a field with an empty value; repeated names are
 * delivered as often as they occur. Unlike browsers we reject a malformed
 * escape (%zz, a truncated %4) with EINVAL rather than passing it through.
 * Memory is bounded: a name up to FORM_NAME_MAX bytes, values in
 * FORM_OUT_MAX slices.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "form.h"

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void
form_init(struct form_parser *p, const struct form_sink *sink)
{
	memset(p, 0, sizeof(*p));
	p->sink = sink;
	p->where = FORM_IN_NAME;
}

static int
flush_value(struct form_parser *p)
{
	int rc = 0;

	if (p->outlen > 0)
		rc = p->sink->data(p->sink->arg, p->out, p->outlen);
	p->outlen = 0;
	return rc;
}

static int
begin_field(struct form_parser *p)
{
	p->name[p->namelen] = '\0';
	return p->sink->begin(p->sink->arg, p->name, NULL, NULL);
}

/* Ends the pair being parsed (at '&' or the end of the body). */
static int
end_pair(struct form_parser *p)
{
	if (p->where == FORM_IN_NAME) {
		if (p->namelen == 0)
			return 0; /* an empty pair: nothing to deliver */
		if (begin_field(p) == -1)
			return -1;
	} else if (flush_value(p) == -1) {
		return -1;
	}
	p->where = FORM_IN_NAME;
	p->namelen = 0;
	return p->sink->end(p->sink->arg);
}

/* Appends one decoded byte to the name or the value. */
static int
put_byte(struct form_parser *p, unsigned char c)
{
	if (p->where == FORM_IN_NAME) {
		if (c == '\0' || p->namelen >= FORM_NAME_MAX) {
			errno = EINVAL;
			return -1;
		}
		p->name[p->namelen++] = (char)c;
		return 0;
	}
	if (p->outlen == sizeof(p->out) && flush_value(p) == -1)
		return -1;
	p->out[p->outlen++] = (char)c;
	return 0;
}

static int
feed_byte(struct form_parser *p, unsigned char c)
{
	int v;

	if (p->pct > 0) {
		if ((v = hexval(c)) == -1) {
			errno = EINVAL;
			return -1;
		}
		p->pct_value = p->pct_value * 16 + v;
		if (++p->pct < 3)
			return 0;
		p->pct = 0;
		return put_byte(p, (unsigned char)p->pct_value);
	}
	switch (c) {
	case '%':
		p->pct = 1;
		p->pct_value = 0;
		return 0;
	case '+':
		return put_byte(p, ' ');
	case '&':
		return end_pair(p);
	case '=':
		if (p->where == FORM_IN_NAME) {
			p->where = FORM_IN_VALUE;
			return begin_field(p);
		}
		return put_byte(p, c);
	default:
		return put_byte(p, c);
	}
}

int
form_feed(struct form_parser *p, const void *buf, size_t len)
{
	const unsigned char *s = buf;
	size_t i;

	if (p->failed) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (feed_byte(p, s[i]) == -1) {
			p->failed = true;
			return -1;
		}
	}
	return 0;
}

int
form_finish(struct form_parser *p)
{
	if (p->failed || p->pct > 0) {
		p->failed = true;
		errno = EINVAL;
		return -1;
	}
	if (end_pair(p) == -1) {
		p->failed = true;
		return -1;
	}
	return 0;
}

bool
form_media_type_is(const char *content_type, const char *type)
{
	const char *s, *e;
	size_t n = strlen(type);

	if (content_type == NULL)
		return false;
	for (s = content_type; *s == ' ' || *s == '\t'; s++)
		;
	e = s + strcspn(s, ";");
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	return (size_t)(e - s) == n && strncasecmp(s, type, n) == 0;
}
