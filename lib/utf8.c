/* SPDX-License-Identifier: MIT */
/*
 * utf8: makes untrusted text valid UTF-8 (invalid bytes become '?'), so that
 * jansson never refuses it and no reader ever sees a broken sequence. Private
 * to libchute; overlong forms and surrogates count as invalid.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

/* Length of the valid sequence at p, or 0. */
static size_t
utf8_valid_len(const unsigned char *p)
{
	unsigned char c = p[0];
	size_t n, i;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

char *
utf8_sanitize(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p != '\0') {
		size_t n = utf8_valid_len(p);
		if (n == 0) {
			*p++ = '?';
			continue;
		}
		p += n;
	}
	return s;
}

json_t *
utf8_json_string(const char *s)
{
	json_t *j;
	char *copy;

	if (s == NULL)
		return json_null();
	copy = strdup(s);
	if (copy == NULL)
		return NULL;
	j = json_string(utf8_sanitize(copy));
	free(copy);
	if (j == NULL)
		errno = ENOMEM;
	return j;
}
