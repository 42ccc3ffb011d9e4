/* SPDX-License-Identifier: MIT */
/*
 * multipart: streaming multipart/form-data. The buffer starts with a virtual
 * "\n" so that the first delimiter, which need not follow a line break, is
 * found by the same search as every other: "\n--BOUNDARY" (a '\r' before it
 * belongs to the delimiter too). Invariant: bytes that could still be the
 * start of a delimiter (the last delimlen bytes, or a candidate whose
 * continuation is not yet known) stay in the buffer; all before them go to the
 * sink (or are dropped in the preamble). A candidate followed by neither
 * "--" nor optional blanks and a line end is content (lenient: RFC 2046 says
 * it cannot occur). Part headers: Content-Disposition (name, filename) and
 * Content-Type; others are ignored. Errors: EINVAL, or a sink's errno.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "multipart.h"

#define PAD_MAX 64 /* blanks allowed after a delimiter (RFC 2046 padding) */

enum delim_kind { DELIM_NEED_MORE, DELIM_NOT, DELIM_NEXT, DELIM_FINAL };

/* Classifies what follows a candidate delimiter; *used gets its length. */
static enum delim_kind
classify(const char *s, size_t n, size_t *used)
{
	size_t j;

	if (n < 1)
		return DELIM_NEED_MORE;
	if (s[0] == '-') {
		if (n < 2)
			return DELIM_NEED_MORE;
		if (s[1] != '-')
			return DELIM_NOT;
		*used = 2;
		return DELIM_FINAL;
	}
	for (j = 0; j < n && j < PAD_MAX && (s[j] == ' ' || s[j] == '\t'); j++)
		;
	/* Even after PAD_MAX blanks the next byte decides (a line end makes
	 * it a delimiter), so wait for it: else the split of the body into
	 * feeds would change the parse. */
	if (j == n)
		return DELIM_NEED_MORE;
	if (s[j] == '\n') {
		*used = j + 1;
		return DELIM_NEXT;
	}
	if (s[j] != '\r')
		return DELIM_NOT;
	if (j + 1 == n)
		return DELIM_NEED_MORE;
	if (s[j + 1] != '\n')
		return DELIM_NOT;
	*used = j + 2;
	return DELIM_NEXT;
}

/*
 * Reads one parameter "; name=value" of a header value at *sp. Returns 1
 * with name and value filled, 0 at the end, -1 (EINVAL) when malformed or
 * too long. Values may be tokens or quoted strings; in a quoted string a
 * backslash escapes only '"' and '\' (other backslashes are kept, as
 * Windows paths in old browsers' file names).
 */
static int
param_next(
    const char **sp, char *name, size_t namelen, char *value, size_t valuelen)
{
	const char *s = *sp;
	size_t n = 0;

	while (*s == ' ' || *s == '\t' || *s == ';')
		s++;
	if (*s == '\0')
		return 0;
	while (
	    *s != '\0' && *s != '=' && *s != ';' && *s != ' ' && *s != '\t') {
		if (n + 1 >= namelen)
			goto bad;
		name[n++] = *s++;
	}
	name[n] = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	n = 0;
	if (*s != '=') {
		/* A bare token (the disposition type, or junk): no value. */
		value[0] = '\0';
		*sp = s;
		return 1;
	}
	s++;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '"') {
		for (s++; *s != '"'; s++) {
			if (*s == '\0')
				goto bad;
			if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
				s++;
			if (n + 1 >= valuelen)
				goto bad;
			value[n++] = *s;
		}
		s++;
	} else {
		while (*s != '\0' && *s != ';' && *s != ' ' && *s != '\t') {
			if (n + 1 >= valuelen)
				goto bad;
			value[n++] = *s++;
		}
	}
	value[n] = '\0';
	*sp = s;
	return 1;
bad:
	errno = EINVAL;
	return -1;
}

int
multipart_boundary(const char *content_type, char *out, size_t outlen)
{
	char name[64], value[MULTIPART_BOUNDARY_MAX + 1];
	const char *s;
	int rc;

	if (!form_media_type_is(content_type, "multipart/form-data") ||
	    (s = strchr(content_type, ';')) == NULL)
		goto bad;
	while ((rc = param_next(
		    &s, name, sizeof(name), value, sizeof(value))) == 1) {
		if (strcasecmp(name, "boundary") != 0)
			continue;
		if (value[0] == '\0' || strpbrk(value, "\r\n") != NULL ||
		    strlen(value) >= outlen)
			goto bad;
		strcpy(out, value);
		return 0;
	}
bad:
	errno = EINVAL;
	return -1;
}

int
multipart_init(struct multipart_parser *p, const char *boundary,
    const struct form_sink *sink)
{
	size_t blen = strlen(boundary);

	memset(p, 0, sizeof(*p));
	if (blen == 0 || blen > MULTIPART_BOUNDARY_MAX) {
		p->failed = true;
		errno = EINVAL;
		return -1;
	}
	p->sink = sink;
	p->state = MP_PREAMBLE;
	memcpy(p->delim, "\n--", 3);
	memcpy(p->delim + 3, boundary, blen);
	p->delimlen = 3 + blen;
	p->buf[0] = '\n'; /* the virtual line break before the first one */
	p->len = 1;
	return 0;
}

static int
emit(struct multipart_parser *p, size_t from, size_t n)
{
	if (p->state != MP_BODY || n == 0)
		return 0;
	return p->sink->data(p->sink->arg, p->buf + from, n);
}

/* Takes one header line (without its line end) of the current part. */
static int
header_line(struct multipart_parser *p, const char *line)
{
	char name[64], value[MULTIPART_VALUE_MAX];
	const char *s, *colon;
	size_t n;
	int rc;

	if ((colon = strchr(line, ':')) == NULL)
		return 0; /* not a header: ignored */
	for (s = colon + 1; *s == ' ' || *s == '\t'; s++)
		;
	n = (size_t)(colon - line);
	if (n == strlen("Content-Type") &&
	    strncasecmp(line, "Content-Type", n) == 0) {
		n = strlen(s);
		while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		if (n >= sizeof(p->content_type))
			goto bad;
		memcpy(p->content_type, s, n);
		p->content_type[n] = '\0';
		return 0;
	}
	if (n != strlen("Content-Disposition") ||
	    strncasecmp(line, "Content-Disposition", n) != 0)
		return 0;
	if (p->has_disposition)
		goto bad;
	p->has_disposition = true;
	if (param_next(&s, name, sizeof(name), value, sizeof(value)) != 1 ||
	    value[0] != '\0' || strcasecmp(name, "form-data") != 0)
		goto bad;
	while ((rc = param_next(
		    &s, name, sizeof(name), value, sizeof(value))) == 1) {
		if (strcasecmp(name, "name") == 0) {
			if (strlen(value) >= sizeof(p->name))
				goto bad;
			strcpy(p->name, value);
		} else if (strcasecmp(name, "filename") == 0) {
			strcpy(p->filename, value);
			p->has_filename = true;
		}
	}
	if (rc == -1)
		goto bad;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

static int
headers_end(struct multipart_parser *p)
{
	if (!p->has_disposition || p->name[0] == '\0') {
		errno = EINVAL;
		return -1;
	}
	if (p->sink->begin(p->sink->arg, p->name,
		p->has_filename ? p->filename : NULL,
		p->content_type[0] != '\0' ? p->content_type : NULL) == -1)
		return -1;
	p->in_part = true;
	p->state = MP_BODY;
	return 0;
}

/* A delimiter at buf[i] whose continuation is known (kind, used bytes). */
static int
delimiter(struct multipart_parser *p, size_t pos, size_t i,
    enum delim_kind kind, size_t used, size_t *newpos)
{
	size_t stop = (i > pos && p->buf[i - 1] == '\r') ? i - 1 : i;

	if (emit(p, pos, stop - pos) == -1)
		return -1;
	if (p->in_part) {
		p->in_part = false;
		if (p->sink->end(p->sink->arg) == -1)
			return -1;
	}
	*newpos = i + p->delimlen + used;
	if (kind == DELIM_FINAL) {
		p->state = MP_EPILOGUE;
		return 0;
	}
	p->state = MP_HEADERS;
	p->has_disposition = p->has_filename = false;
	p->name[0] = p->filename[0] = p->content_type[0] = '\0';
	return 0;
}

/* Consumes what can be decided in buf; keeps the undecided tail. */
static int
process(struct multipart_parser *p)
{
	size_t pos = 0, i, used = 0, stop, nl, linelen;
	enum delim_kind kind;
	const char *hit;
	char *eol;

	for (;;) {
		if (p->state == MP_EPILOGUE) {
			pos = p->len;
			break;
		}
		if (p->state == MP_HEADERS) {
			eol = memchr(p->buf + pos, '\n', p->len - pos);
			if (eol == NULL)
				break;
			nl = (size_t)(eol - p->buf);
			linelen = nl - pos;
			if (linelen > 0 && p->buf[nl - 1] == '\r')
				linelen--;
			if (memchr(p->buf + pos, '\0', linelen) != NULL) {
				errno = EINVAL;
				return -1;
			}
			p->buf[pos + linelen] = '\0';
			if (linelen == 0) {
				if (headers_end(p) == -1)
					return -1;
			} else if (header_line(p, p->buf + pos) == -1) {
				return -1;
			}
			pos = nl + 1;
			continue;
		}
		/* MP_PREAMBLE or MP_BODY: look for the next delimiter. */
		hit = memmem(p->buf + pos, p->len - pos, p->delim, p->delimlen);
		if (hit == NULL) {
			if (p->len - pos > p->delimlen) {
				stop = p->len - p->delimlen;
				if (emit(p, pos, stop - pos) == -1)
					return -1;
				pos = stop;
			}
			break;
		}
		i = (size_t)(hit - p->buf);
		kind = classify(
		    p->buf + i + p->delimlen, p->len - i - p->delimlen, &used);
		if (kind == DELIM_NEED_MORE) {
			stop = (i > pos && p->buf[i - 1] == '\r') ? i - 1 : i;
			if (emit(p, pos, stop - pos) == -1)
				return -1;
			pos = stop;
			break;
		}
		if (kind == DELIM_NOT) {
			if (emit(p, pos, i + 1 - pos) == -1)
				return -1;
			pos = i + 1;
			continue;
		}
		if (delimiter(p, pos, i, kind, used, &pos) == -1)
			return -1;
	}
	memmove(p->buf, p->buf + pos, p->len - pos);
	p->len -= pos;
	return 0;
}

int
multipart_feed(struct multipart_parser *p, const void *buf, size_t len)
{
	const char *s = buf;
	size_t n;

	if (p->failed) {
		errno = EINVAL;
		return -1;
	}
	while (len > 0) {
		n = sizeof(p->buf) - p->len;
		if (n > len)
			n = len;
		memcpy(p->buf + p->len, s, n);
		p->len += n;
		s += n;
		len -= n;
		if (process(p) == -1)
			goto fail;
		if (p->len == sizeof(p->buf)) {
			/* Nothing could be decided: a header block too long. */
			errno = EINVAL;
			goto fail;
		}
	}
	return 0;
fail:
	p->failed = true;
	return -1;
}

int
multipart_finish(struct multipart_parser *p)
{
	if (p->failed || p->state != MP_EPILOGUE) {
		p->failed = true;
		errno = EINVAL;
		return -1;
	}
	return 0;
}
