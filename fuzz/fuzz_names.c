/* SPDX-License-Identifier: MIT */
/*
 * fuzz_names: job names, generated IDs and RFC 3339 times (lib/jobid.c,
 * lib/timestamp.c). The input, as a NUL-terminated string, must be judged
 * as reference implementations of the rules in jobid.h judge it; a time it
 * parses must format and parse back to the same instant, and a time already
 * in chute's own form must format back to the same text. The first eight
 * bytes, read as milliseconds, must format (into buffers of every size) and
 * parse back, or be refused with EINVAL.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "jobid.h"
#include "timestamp.h"

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static bool
ref_name_valid(const char *s)
{
	static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "abcdefghijklmnopqrstuvwxyz0123456789";
	size_t n = strlen(s);

	return n >= 1 && n <= JOBID_NAME_MAX && strchr(alnum, s[0]) != NULL &&
	    strspn(s,
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		"0123456789._-") == n;
}

static bool
ref_generated_valid(const char *s)
{
	return strlen(s) == JOBID_LEN && strspn(s, crockford) == JOBID_LEN &&
	    s[0] <= '7';
}

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" with digits where the pattern has them. */
static bool
canonical_time(const char *s)
{
	static const char pattern[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	size_t i;

	if (strlen(s) != sizeof(pattern) - 1)
		return false;
	for (i = 0; pattern[i] != '\0'; i++) {
		if (pattern[i] == 'd' ? (s[i] < '0' || s[i] > '9')
				      : s[i] != pattern[i])
			return false;
	}
	return true;
}

static void
check_time_text(const char *text)
{
	char buf[TIMESTAMP_RFC3339_LEN];
	int64_t ms, again;

	if (timestamp_parse(text, &ms) == -1) {
		fuzz_check(errno == EINVAL, "timestamp_parse errno");
		return;
	}
	fuzz_check(timestamp_format(ms, buf, sizeof(buf)) == 0,
	    "a parsed time cannot be formatted");
	fuzz_check(timestamp_parse(buf, &again) == 0 && again == ms,
	    "parse(format(parse(x))) != parse(x)");
	/* A leap second (:60) normalises to the next minute. */
	if (canonical_time(text) && strncmp(text + 17, "60", 2) != 0)
		fuzz_check(strcmp(buf, text) == 0, "format(parse(x)) != x");
}

static void
check_ms(int64_t ms, size_t len)
{
	char buf[TIMESTAMP_RFC3339_LEN], *small;
	int64_t again;
	int rc;

	rc = timestamp_format(ms, buf, sizeof(buf));
	if (rc == -1) {
		fuzz_check(errno == EINVAL, "timestamp_format errno");
	} else {
		fuzz_check(strlen(buf) == 24 && canonical_time(buf),
		    "format is not YYYY-MM-DDTHH:MM:SS.mmmZ");
		fuzz_check(timestamp_parse(buf, &again) == 0 && again == ms,
		    "parse(format(ms)) != ms");
	}
	/* Every buffer size: too small is EINVAL, never an overrun. */
	small = malloc(len + 1);
	fuzz_check(small != NULL, "malloc");
	if (timestamp_format(ms, small, len) == 0) {
		fuzz_check(rc == 0 && len > 24 && strcmp(small, buf) == 0,
		    "formatted into a short buffer");
	} else {
		fuzz_check(errno == EINVAL && (rc == -1 || len <= 24),
		    "refused a buffer that suffices");
	}
	free(small);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool generated;
	char id[JOBID_LEN + 1];
	int64_t ms;
	char *text;
	bool name_ok;

	if (!generated) {
		fuzz_check(jobid_generate(id) == 0, "jobid_generate");
		fuzz_check(jobid_generated_valid(id) && jobid_name_valid(id),
		    "a generated ID is not valid");
		generated = true;
	}
	text = fuzz_strndup(data, size);
	name_ok = jobid_name_valid(text);
	fuzz_check(name_ok == ref_name_valid(text), "jobid_name_valid");
	fuzz_check(jobid_field_name_valid(text) == name_ok,
	    "jobid_field_name_valid differs from jobid_name_valid");
	fuzz_check(jobid_generated_valid(text) == ref_generated_valid(text),
	    "jobid_generated_valid");
	fuzz_check(!jobid_generated_valid(text) || name_ok,
	    "a generated-valid ID is not a valid name");
	check_time_text(text);
	free(text);

	if (size >= 8) {
		memcpy(&ms, data, sizeof(ms));
		check_ms(ms, size >= 9 ? data[8] % TIMESTAMP_RFC3339_LEN : 25);
		/* and a time near the representable range, more often */
		check_ms(ms % (254000000000000LL), 25);
	}
	fuzz_check(!jobid_name_valid(NULL) && !jobid_generated_valid(NULL),
	    "NULL is valid");
	return 0;
}
