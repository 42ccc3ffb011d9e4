/* SPDX-License-Identifier: MIT */
/*
 * timestamp: wall-clock and monotonic milliseconds, and RFC 3339 UTC text.
 * chute writes times as "YYYY-MM-DDTHH:MM:SS.mmmZ" and reads that form with
 * or without the fraction. 0 ms stands for "no time" (JSON null) everywhere.
 */
#ifndef CHUTE_TIMESTAMP_H
#define CHUTE_TIMESTAMP_H

#include <stddef.h>
#include <stdint.h>

#define TIMESTAMP_RFC3339_LEN 32 /* buffer size that always suffices */

int64_t timestamp_now_ms(void); /* CLOCK_REALTIME */
int64_t timestamp_mono_ms(void); /* CLOCK_MONOTONIC */

/* Formats ms (since the epoch) into buf. Returns 0, or -1 with EINVAL when
 * len is too small or the time cannot be represented. */
int timestamp_format(int64_t ms, char *buf, size_t len);

/* Parses an RFC 3339 UTC time ("Z" or "+00:00"). Returns 0 and sets *ms, or
 * -1 with EINVAL for anything else. */
int timestamp_parse(const char *text, int64_t *ms);

#endif
