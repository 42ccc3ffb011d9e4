/* SPDX-License-Identifier: MIT */
/*
 * fuzz_form: the urlencoded parser (cgi/form.c). Input: two bytes of chunk
 * seed, then the body. The body is fed in chunks of seeded sizes and the
 * fields must equal those of a plain, whole-buffer reference decoder (same
 * success or failure; on success the same names and values). After a failure
 * the parser must keep failing. form_media_type_is() is checked against a
 * reference on the body read as a Content-Type.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "form.h"
#include "harness.h"

static int
ref_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes s[0..n) into out (n + 1 bytes); -1 for a malformed escape. */
static int
ref_decode(const unsigned char *s, size_t n, unsigned char *out, size_t *outlen)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] == '+') {
			out[o++] = ' ';
		} else if (s[i] == '%') {
			if (i + 2 >= n)
				return -1;
			hi = ref_hex(s[i + 1]);
			lo = ref_hex(s[i + 2]);
			if (hi == -1 || lo == -1)
				return -1;
			out[o++] = (unsigned char)(hi * 16 + lo);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	*outlen = o;
	return 0;
}

/* The whole body at once; 0 or -1 (any failure). */
static int
ref_parse(const unsigned char *body, size_t size, const struct form_sink *sink)
{
	unsigned char *buf = malloc(size + 1);
	const unsigned char *pair, *eq, *amp;
	size_t left = size, pairlen, n, off, slice;
	int rc = -1;

	fuzz_check(buf != NULL, "malloc");
	pair = body;
	while (left > 0 || pair == body) {
		amp = left > 0 ? memchr(pair, '&', left) : NULL;
		pairlen = amp != NULL ? (size_t)(amp - pair) : left;
		if (pairlen > 0) {
			eq = memchr(pair, '=', pairlen);
			if (ref_decode(pair,
				eq != NULL ? (size_t)(eq - pair) : pairlen, buf,
				&n) == -1 ||
			    n > FORM_NAME_MAX || memchr(buf, '\0', n) != NULL)
				goto out;
			buf[n] = '\0';
			if (sink->begin(sink->arg, (char *)buf, NULL, NULL) ==
			    -1)
				goto out;
			if (eq != NULL) {
				if (ref_decode(eq + 1,
					pairlen - (size_t)(eq + 1 - pair), buf,
					&n) == -1)
					goto out;
				for (off = 0; off < n; off += slice) {
					slice = n - off < FORM_OUT_MAX
					    ? n - off
					    : FORM_OUT_MAX;
					if (sink->data(sink->arg, buf + off,
						slice) == -1)
						goto out;
				}
			}
			if (sink->end(sink->arg) == -1)
				goto out;
		}
		if (amp == NULL)
			break;
		left -= pairlen + 1;
		pair = amp + 1;
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

static bool
ref_media_type_is(const char *ct, const char *type)
{
	size_t start, end;

	start = strspn(ct, " \t");
	end = start + strcspn(ct + start, ";");
	while (end > start && (ct[end - 1] == ' ' || ct[end - 1] == '\t'))
		end--;
	return end - start == strlen(type) &&
	    strncasecmp(ct + start, type, end - start) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct form_parser p;
	struct fuzz_chunker ch;
	struct fuzz_log got, want;
	const unsigned char *body;
	size_t left, n;
	char *text;
	int rc = 0, ref_rc;

	if (size < 2)
		return 0;
	fuzz_chunker_init(&ch, (uint16_t)(data[0] | data[1] << 8));
	body = data + 2;
	left = size - 2;

	fuzz_log_init(&got, FORM_OUT_MAX);
	form_init(&p, &got.sink);
	while (left > 0) {
		n = fuzz_chunker_next(&ch, left);
		rc = form_feed(&p, body, n);
		if (rc == -1)
			break;
		body += n;
		left -= n;
	}
	if (rc == 0)
		rc = form_finish(&p);
	if (rc == -1) {
		fuzz_check(form_feed(&p, "a", 1) == -1 && errno == EINVAL,
		    "a failed parser accepts more input");
		fuzz_check(form_finish(&p) == -1 && errno == EINVAL,
		    "a failed parser finishes");
	} else {
		fuzz_check(!got.in_field, "a field left open at the end");
	}

	fuzz_log_init(&want, FORM_OUT_MAX);
	ref_rc = ref_parse(data + 2, size - 2, &want.sink);
	fuzz_check(rc == ref_rc, "success differs from the reference");
	if (rc == 0)
		fuzz_check(fuzz_log_equal(&got, &want),
		    "fields differ from the reference");
	fuzz_log_fini(&got);
	fuzz_log_fini(&want);

	text = fuzz_strndup(data + 2, size - 2);
	fuzz_check(
	    form_media_type_is(text, "application/x-www-form-urlencoded") ==
		ref_media_type_is(text, "application/x-www-form-urlencoded"),
	    "form_media_type_is differs from the reference");
	fuzz_check(!form_media_type_is(NULL, "text/plain"), "NULL type");
	free(text);
	return 0;
}
