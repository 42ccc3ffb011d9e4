/* SPDX-License-Identifier: MIT */
/*
 * utf8: private to libchute (not installed). Untrusted text (file names from
 * browsers, handler progress lines) must become valid UTF-8 before jansson
 * accepts it: invalid bytes become '?', nothing else changes.
 */
#ifndef CHUTE_UTF8_H
#define CHUTE_UTF8_H

#include <jansson.h>
#include <stddef.h>

/* Rewrites s (NUL-terminated, in place): each byte that does not start a
 * valid UTF-8 sequence becomes '?'. Returns s. */
char *utf8_sanitize(char *s);

/* A JSON string from untrusted text (sanitised copy), json_null() for NULL,
 * or NULL (ENOMEM). */
json_t *utf8_json_string(const char *s);

#endif
