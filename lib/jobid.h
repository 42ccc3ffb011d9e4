/* SPDX-License-Identifier: MIT */
/*
 * jobid: job IDs and job names. chute generates IDs of JOBID_LEN characters of
 * Crockford base32: a 48-bit millisecond timestamp, then 80 random bits from
 * getrandom(2); they sort by submission time and cannot be guessed.
 * Producers may pick their own names: [A-Za-z0-9][A-Za-z0-9._-]{0,127}.
 * Every name that reaches a path in chute passes jobid_name_valid() first.
 */
#ifndef CHUTE_JOBID_H
#define CHUTE_JOBID_H

#include <stdbool.h>
#include <stddef.h>

#define JOBID_LEN 26
#define JOBID_NAME_MAX 128

/* Writes a fresh NUL-terminated ID into out (JOBID_LEN + 1 bytes).
 * Returns 0, or -1 with errno from getrandom(2)/clock_gettime(2). */
int jobid_generate(char out[JOBID_LEN + 1]);

/* True when name is a valid job name (the producer-name rule above); every
 * generated ID is one. Never touches the filesystem. NULL is invalid. */
bool jobid_name_valid(const char *name);

/* True when id is exactly a chute-generated ID (26 Crockford characters, the
 * first at most '7'). Lower case is not accepted. */
bool jobid_generated_valid(const char *id);

/* Also valid as a form-field or result-file name: the same rule as job names.
 * (Alias kept separate so that callers say what they check.) */
bool jobid_field_name_valid(const char *name);

#endif
