/* SPDX-License-Identifier: MIT */
/*
 * timestamp: clocks in milliseconds and RFC 3339 UTC text. Formatting always
 * writes "YYYY-MM-DDTHH:MM:SS.mmmZ" (years 0000-9999 only); parsing is strict
 * (UTC only, every field range-checked) and returns EINVAL for anything else.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "timestamp.h"

/* 9999-12-31T23:59:59Z, the last second formatting can write. */
#define TIMESTAMP_MAX_SECS 253402300799LL

int64_t
timestamp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
timestamp_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
timestamp_format(int64_t ms, char *buf, size_t len)
{
	struct tm tm;
	time_t secs;
	int64_t frac;
	int n;

	/* floor division, so that times before 1970 format correctly */
	frac = ms % 1000;
	secs = (time_t)(ms / 1000);
	if (frac < 0) {
		frac += 1000;
		secs--;
	}
	if (gmtime_r(&secs, &tm) == NULL || tm.tm_year < -1900 ||
	    tm.tm_year > 9999 - 1900) {
		errno = EINVAL;
		return -1;
	}
	n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, (int)frac);
	if (n < 0 || (size_t)n >= len) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* Reads exactly n digits. */
static int
timestamp_digits(const char **p, int n, int *value)
{
	int v = 0;

	while (n-- > 0) {
		if (**p < '0' || **p > '9')
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*value = v;
	return 0;
}

static int
timestamp_expect(const char **p, char c1, char c2)
{
	if (**p != c1 && **p != c2)
		return -1;
	(*p)++;
	return 0;
}

int
timestamp_parse(const char *text, int64_t *ms)
{
	static const int mdays[] = {
	    31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	const char *p = text;
	struct tm tm;
	time_t secs;
	int year, mon, mday, hour, min, sec, frac = 0, scale = 100;
	bool leap;

	if (text == NULL)
		goto bad;
	if (timestamp_digits(&p, 4, &year) == -1 ||
	    timestamp_expect(&p, '-', '-') == -1 ||
	    timestamp_digits(&p, 2, &mon) == -1 ||
	    timestamp_expect(&p, '-', '-') == -1 ||
	    timestamp_digits(&p, 2, &mday) == -1 ||
	    timestamp_expect(&p, 'T', 't') == -1 ||
	    timestamp_digits(&p, 2, &hour) == -1 ||
	    timestamp_expect(&p, ':', ':') == -1 ||
	    timestamp_digits(&p, 2, &min) == -1 ||
	    timestamp_expect(&p, ':', ':') == -1 ||
	    timestamp_digits(&p, 2, &sec) == -1)
		goto bad;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			goto bad;
		for (; *p >= '0' && *p <= '9'; p++) {
			frac += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (strncmp(p, "+00:00", 6) == 0)
		p += 6;
	else
		goto bad;
	if (*p != '\0')
		goto bad;
	leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	if (mon < 1 || mon > 12 || mday < 1 || mday > mdays[mon - 1] ||
	    (mon == 2 && mday == 29 && !leap) || hour > 23 || min > 59 ||
	    sec > 60)
		goto bad;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = mday;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec; /* a leap second normalises to the next minute */
	secs = timegm(&tm);
	/* 9999-12-31T23:59:60 normalises into year 10000, which
	 * timestamp_format() cannot write: refuse what cannot round-trip. */
	if (secs > TIMESTAMP_MAX_SECS)
		goto bad;
	*ms = (int64_t)secs * 1000 + frac;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}
