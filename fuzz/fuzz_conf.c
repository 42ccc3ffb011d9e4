/* SPDX-License-Identifier: MIT */
/*
 * fuzz_conf: chute.conf reading (lib/conf.c). The input is the file: it is
 * written to a memfd and loaded through /proc/self/fd/N. A load either
 * succeeds with sane values and no message, or fails with EINVAL, a message
 * that names the file, and the previous values untouched; loading the same
 * file again changes nothing. Each input line (NUL-terminated) also goes
 * through conf_parse_duration/size/bool, whose results must agree with one
 * another and with the units of conf.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <syslog.h>
#include <unistd.h>

#include "conf.h"
#include "harness.h"

#define MAX_LINES 64

static bool
str_equal(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool
conf_equal(const struct conf *a, const struct conf *b)
{
	return str_equal(a->path, b->path) && str_equal(a->spool, b->spool) &&
	    str_equal(a->handler, b->handler) && a->jobs == b->jobs &&
	    a->timeout_ms == b->timeout_ms &&
	    a->kill_grace_ms == b->kill_grace_ms && a->retries == b->retries &&
	    a->retry_delay_ms == b->retry_delay_ms &&
	    a->keep_ms == b->keep_ms && a->max_request == b->max_request &&
	    a->fsync == b->fsync && a->rescan_ms == b->rescan_ms &&
	    str_equal(a->user, b->user) && str_equal(a->form, b->form) &&
	    a->metrics_ms == b->metrics_ms && a->log_level == b->log_level;
}

static bool
all_digits(const char *s)
{
	return s[0] != '\0' && strspn(s, "0123456789") == strlen(s);
}

/* The value parsers on one NUL-terminated slice. */
static void
check_values(const char *text)
{
	static const char *const bools[] = {
	    "yes", "true", "on", "1", "no", "false", "off", "0"};
	char with_unit[96];
	uint64_t bytes, bytes2;
	int64_t ms, ms2;
	bool b, known = false;
	size_t i;
	int drc, src, derr = 0, serr = 0;

	if ((drc = conf_parse_duration(text, &ms)) == -1)
		derr = errno;
	if ((src = conf_parse_size(text, &bytes)) == -1)
		serr = errno;
	if (drc == 0)
		fuzz_check(ms >= 0, "negative duration");
	else
		fuzz_check(derr == EINVAL || derr == ERANGE, "duration errno");
	if (src == -1)
		fuzz_check(serr == EINVAL || serr == ERANGE, "size errno");
	if (all_digits(text)) {
		/* A bare number: bytes, and seconds. */
		fuzz_check(src == 0 || serr == ERANGE, "a number is no size");
		if (src == 0 && strlen(text) < 64) {
			fuzz_check((drc == 0) == (bytes <= INT64_MAX / 1000),
			    "duration range differs from the size's");
			if (drc == 0)
				fuzz_check((uint64_t)ms == bytes * 1000,
				    "a bare duration is not seconds");
			snprintf(with_unit, sizeof(with_unit), "%sms", text);
			drc = conf_parse_duration(with_unit, &ms2);
			fuzz_check(
			    (drc == 0) == (bytes <= INT64_MAX), "ms range");
			if (drc == 0)
				fuzz_check((uint64_t)ms2 == bytes, "ms value");
			snprintf(with_unit, sizeof(with_unit), "%sK", text);
			if (conf_parse_size(with_unit, &bytes2) == 0)
				fuzz_check(bytes2 == bytes * 1024, "K value");
			else
				fuzz_check(errno == ERANGE &&
					bytes > UINT64_MAX / 1024,
				    "K range");
		}
	} else {
		fuzz_check(drc == -1 || strspn(text, "0123456789") > 0,
		    "a duration without digits");
	}
	if (src == 0 && !all_digits(text))
		fuzz_check(bytes % 1024 == 0, "a suffixed size is not KiB");
	for (i = 0; i < sizeof(bools) / sizeof(bools[0]); i++)
		known = known || strcasecmp(text, bools[i]) == 0;
	if (conf_parse_bool(text, &b) == 0) {
		fuzz_check(known, "an unknown word is a boolean");
		fuzz_check(b ==
			(strcasecmp(text, "yes") == 0 ||
			    strcasecmp(text, "true") == 0 ||
			    strcasecmp(text, "on") == 0 ||
			    strcmp(text, "1") == 0),
		    "boolean value");
	} else {
		fuzz_check(!known && errno == EINVAL, "a boolean refused");
	}
}

static void
check_load(const char *path)
{
	struct conf c, before, again;
	char err[CONF_ERR_LEN], *small;
	int rc;

	conf_init(&c);
	conf_init(&before);
	rc = conf_load(&c, path, err, sizeof(err));
	if (rc == 0) {
		fuzz_check(err[0] == '\0', "a message on success");
		fuzz_check(str_equal(c.path, path), "path not recorded");
		fuzz_check(c.spool != NULL && c.spool[0] != '\0' &&
			c.handler != NULL && c.handler[0] != '\0',
		    "an empty spool or handler");
		fuzz_check(c.user == NULL || c.user[0] != '\0', "empty user");
		fuzz_check(c.form == NULL || c.form[0] != '\0', "empty form");
		fuzz_check(
		    c.jobs >= 1 && c.jobs <= 1000000 && c.retries <= 1000000,
		    "a count out of range");
		fuzz_check(c.timeout_ms >= 0 && c.kill_grace_ms >= 0 &&
			c.retry_delay_ms >= 0 && c.keep_ms >= 0 &&
			c.rescan_ms >= 0 && c.metrics_ms >= 0,
		    "a negative duration");
		fuzz_check(c.log_level == LOG_ERR ||
			c.log_level == LOG_WARNING || c.log_level == LOG_INFO ||
			c.log_level == LOG_DEBUG,
		    "a bad log level");
		/* The same file again: nothing changes. */
		conf_init(&again);
		fuzz_check(conf_load(&again, path, NULL, 0) == 0,
		    "a file loads once only");
		fuzz_check(conf_load(&again, path, NULL, 0) == 0,
		    "a file loads over itself once only");
		fuzz_check(conf_equal(&c, &again), "a reload differs");
		conf_fini(&again);
	} else {
		fuzz_check(errno == EINVAL, "errno of a bad file");
		fuzz_check(strncmp(err, path, strlen(path)) == 0 &&
			err[strlen(path)] == ':',
		    "the message does not name the file");
		fuzz_check(strlen(err) < sizeof(err), "message length");
		fuzz_check(conf_equal(&c, &before), "a failed load changed c");
		/* A short message buffer: truncated, never overrun. */
		small = malloc(7);
		fuzz_check(small != NULL, "malloc");
		fuzz_check(conf_load(&c, path, small, 7) == -1, "not again");
		fuzz_check(strlen(small) < 7, "short message");
		free(small);
	}
	conf_fini(&c);
	conf_fini(&before);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	const uint8_t *line, *end, *nl;
	char *text;
	int lines = 0;

	if (fd == -1) {
		fd = memfd_create("chute-fuzz-conf", MFD_CLOEXEC);
		fuzz_check(fd != -1, "memfd_create");
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	fuzz_check(ftruncate(fd, 0) == 0, "ftruncate");
	fuzz_check(
	    size == 0 || pwrite(fd, data, size, 0) == (ssize_t)size, "pwrite");
	check_load(path);

	end = data + size;
	for (line = data; line < end && lines < MAX_LINES; lines++) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (nl == NULL)
			nl = end;
		text = fuzz_strndup(line, (size_t)(nl - line));
		check_values(text);
		/* and the value side of "key = value" */
		if (strchr(text, '=') != NULL)
			check_values(strchr(text, '=') + 1 +
			    strspn(strchr(text, '=') + 1, " \t"));
		free(text);
		line = nl + 1;
	}
	return 0;
}
