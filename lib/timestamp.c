/* SPDX-License-Identifier: MIT */
/*
 * timestamp: clocks in milliseconds and RFC 3339 UTC text. Formatting always
 * writes "YYYY-MM-DDTHH:MM:SS.mmmZ" (years 0000-9999 only); parsing is strict
 * (UTC only, every field range-checked) and returns EINVAL for anything else.
 * Calendar arithmetic is done here (proleptic Gregorian, H. Hinnant's
 * days_from_civil), not with gmtime_r()/timegm(): glibc's first call to those
 * reads /etc/localtime, seven syscalls that every chute.cgi request paid.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "timestamp.h"

/* 9999-12-31T23:59:59Z, the last second formatting can write. */
#define TIMESTAMP_MAX_SECS 253402300799LL
/* 0000-01-01T00:00:00Z, the first. */
#define TIMESTAMP_MIN_SECS (-62167219200LL)
#define TIMESTAMP_DAY_SECS 86400

/* Days since 1970-01-01 of year-month-day (month 1-12). */
static int64_t
timestamp_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* The inverse: year, month (1-12) and day of days since 1970-01-01. */
static void
timestamp_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

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
	int64_t frac, secs, days, sod, year;
	unsigned mon, mday;
	int n;

	/* floor division, so that times before 1970 format correctly */
	frac = ms % 1000;
	secs = ms / 1000;
	if (frac < 0) {
		frac += 1000;
		secs--;
	}
	if (secs < TIMESTAMP_MIN_SECS || secs > TIMESTAMP_MAX_SECS) {
		errno = EINVAL;
		return -1;
	}
	days = secs / TIMESTAMP_DAY_SECS;
	sod = secs % TIMESTAMP_DAY_SECS;
	if (sod < 0) {
		sod += TIMESTAMP_DAY_SECS;
		days--;
	}
	timestamp_civil_from_days(days, &year, &mon, &mday);
	n = snprintf(buf, len, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", (int)year,
	    mon, mday, (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60),
	    (int)frac);
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
	int64_t secs;
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
	/* a leap second normalises to the next minute */
	secs = timestamp_days_from_civil(year, (unsigned)mon, (unsigned)mday) *
		TIMESTAMP_DAY_SECS +
	    hour * 3600 + min * 60 + sec;
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
