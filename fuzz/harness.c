/* SPDX-License-Identifier: MIT */
/*
 * harness: the property checker, chunker and recording sink of harness.h.
 * Memory problems abort (a harness has no error path worth testing); the log
 * escapes 0xff so that its markers (0xff 'B', 0xff 'E') cannot occur in
 * data, which makes two logs equal exactly when the fields were equal.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

void
fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: property failed: %s\n", file, line, what);
	fflush(stderr);
	abort();
}

char *
fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	fuzz_check(s != NULL, "malloc");
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

void
fuzz_chunker_init(struct fuzz_chunker *ch, uint16_t seed)
{
	static const size_t maxes[] = {1, 2, 3, 7, 16, 64, 255, 4096, SIZE_MAX};

	ch->max = maxes[(seed & 0xff) % (sizeof(maxes) / sizeof(maxes[0]))];
	ch->state = 0x9e3779b9u ^ ((uint32_t)seed << 8) ^ seed;
	if (ch->state == 0)
		ch->state = 1;
}

size_t
fuzz_chunker_next(struct fuzz_chunker *ch, size_t left)
{
	size_t n;

	if (left == 0)
		return 0;
	/* xorshift32 */
	ch->state ^= ch->state << 13;
	ch->state ^= ch->state >> 17;
	ch->state ^= ch->state << 5;
	n = ch->max == SIZE_MAX ? left : 1 + ch->state % ch->max;
	return n < left ? n : left;
}

static void
log_put(struct fuzz_log *log, const void *buf, size_t len)
{
	unsigned char *grown;
	size_t cap;

	if (log->len + len > log->cap) {
		cap = log->cap == 0 ? 256 : log->cap;
		while (cap < log->len + len)
			cap *= 2;
		grown = realloc(log->buf, cap);
		fuzz_check(grown != NULL, "realloc");
		log->buf = grown;
		log->cap = cap;
	}
	if (len > 0)
		memcpy(log->buf + log->len, buf, len);
	log->len += len;
}

static void
log_marker(struct fuzz_log *log, char what)
{
	unsigned char m[2] = {0xff, (unsigned char)what};

	log_put(log, m, sizeof(m));
}

/* A string or NULL, length-prefixed. */
static void
log_string(struct fuzz_log *log, const char *s)
{
	uint64_t n = s == NULL ? UINT64_MAX : strlen(s);

	log_put(log, &n, sizeof(n));
	if (s != NULL)
		log_put(log, s, (size_t)n);
}

static int
log_begin(
    void *arg, const char *name, const char *filename, const char *content_type)
{
	struct fuzz_log *log = arg;

	fuzz_check(!log->in_field, "begin inside a field");
	fuzz_check(name != NULL, "begin without a name");
	fuzz_check(strlen(name) <= FORM_NAME_MAX, "name over FORM_NAME_MAX");
	log->in_field = true;
	log->fields++;
	log_marker(log, 'B');
	log_string(log, name);
	log_string(log, filename);
	log_string(log, content_type);
	log->fail_data = strcmp(name, "FAILD") == 0;
	log->fail_end = strcmp(name, "FAILE") == 0;
	if (strcmp(name, "FAILB") == 0) {
		errno = EIO;
		return -1;
	}
	return 0;
}

static int
log_data(void *arg, const void *buf, size_t len)
{
	struct fuzz_log *log = arg;
	const unsigned char *s = buf;
	size_t i, from = 0;

	fuzz_check(log->in_field, "data outside a field");
	fuzz_check(buf != NULL || len == 0, "data NULL");
	fuzz_check(len <= log->slice_max, "data slice over its bound");
	for (i = 0; i < len; i++) {
		if (s[i] != 0xff)
			continue;
		log_put(log, s + from, i + 1 - from);
		log_put(log, s + i, 1); /* 0xff 0xff */
		from = i + 1;
	}
	log_put(log, s + from, len - from);
	if (log->fail_data && len > 0) {
		errno = EIO;
		return -1;
	}
	return 0;
}

static int
log_end(void *arg)
{
	struct fuzz_log *log = arg;

	fuzz_check(log->in_field, "end outside a field");
	log->in_field = false;
	log_marker(log, 'E');
	if (log->fail_end) {
		errno = EIO;
		return -1;
	}
	return 0;
}

void
fuzz_log_init(struct fuzz_log *log, size_t slice_max)
{
	memset(log, 0, sizeof(*log));
	log->sink.begin = log_begin;
	log->sink.data = log_data;
	log->sink.end = log_end;
	log->sink.arg = log;
	log->slice_max = slice_max;
}

void
fuzz_log_fini(struct fuzz_log *log)
{
	free(log->buf);
	log->buf = NULL;
	log->len = log->cap = 0;
}

bool
fuzz_log_equal(const struct fuzz_log *a, const struct fuzz_log *b)
{
	return a->len == b->len && a->fields == b->fields &&
	    (a->len == 0 || memcmp(a->buf, b->buf, a->len) == 0);
}
