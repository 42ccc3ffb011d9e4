/* SPDX-License-Identifier: MIT */
/*
 * jobid: generates IDs (48-bit ms time + 80 random bits, Crockford base32,
 * so they sort by time and cannot be guessed) and checks names. The name rule
 * [A-Za-z0-9][A-Za-z0-9._-]{0,127} is what makes a name safe as one path
 * component: no '/', no leading '.', no control or non-ASCII bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "jobid.h"

static const char jobid_alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static int
jobid_random(unsigned char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = getrandom(buf + got, len - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}

int
jobid_generate(char out[JOBID_LEN + 1])
{
	struct timespec ts;
	unsigned char rnd[10];
	uint64_t ms, bits;
	int i, j, nbits;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return -1;
	if (jobid_random(rnd, sizeof(rnd)) == -1)
		return -1;
	ms = ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000) &
	    0xffffffffffffULL;
	/* 10 characters carry 50 bits; the top 2 are zero, so char 0 <= '7'. */
	for (i = 9; i >= 0; i--) {
		out[i] = jobid_alphabet[ms & 31];
		ms >>= 5;
	}
	/* 80 random bits: 16 characters of 5 bits. */
	bits = 0;
	nbits = 0;
	j = 0;
	for (i = 10; i < JOBID_LEN; i++) {
		if (nbits < 5) {
			bits = (bits << 8) | rnd[j++];
			nbits += 8;
		}
		out[i] = jobid_alphabet[(bits >> (nbits - 5)) & 31];
		nbits -= 5;
	}
	out[JOBID_LEN] = '\0';
	return 0;
}

static bool
jobid_name_char(char c, bool first)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return !first && (c == '.' || c == '_' || c == '-');
}

bool
jobid_name_valid(const char *name)
{
	size_t i;

	if (name == NULL || name[0] == '\0')
		return false;
	for (i = 0; name[i] != '\0'; i++) {
		if (i >= JOBID_NAME_MAX || !jobid_name_char(name[i], i == 0))
			return false;
	}
	return true;
}

bool
jobid_generated_valid(const char *id)
{
	size_t i;

	if (id == NULL)
		return false;
	for (i = 0; i < JOBID_LEN; i++) {
		if (id[i] == '\0' || strchr(jobid_alphabet, id[i]) == NULL)
			return false;
	}
	return id[JOBID_LEN] == '\0' && id[0] <= '7';
}

bool
jobid_field_name_valid(const char *name)
{
	return jobid_name_valid(name);
}
