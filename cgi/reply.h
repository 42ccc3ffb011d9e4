/* SPDX-License-Identifier: MIT */
/*
 * reply: the CGI response on stdout: a Status line, headers, and a body
 * (omitted for HEAD). Every response carries Content-Type, Cache-Control:
 * no-store and X-Content-Type-Options: nosniff. Write errors are remembered
 * and reported once by reply_finish(); nothing here exits.
 */
#ifndef CHUTE_CGI_REPLY_H
#define CHUTE_CGI_REPLY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

struct reply {
	FILE *out;
	bool head; /* HEAD request: headers only */
	bool started; /* headers have been written */
	int status;
};

void reply_init(struct reply *rp, FILE *out, bool head);

/* The reason phrase of an HTTP status ("Not Found"). */
const char *reply_reason(int status);

/* Starts the headers: Status, Content-Type and the common ones. */
void reply_begin(struct reply *rp, int status, const char *content_type);
/* One more header line; value is printf-formatted and must not hold CR/LF. */
void reply_header(struct reply *rp, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Ends the headers. Returns true when a body should follow (not HEAD). */
bool reply_body(struct reply *rp);

/* A short error: JSON {"error": message} when json, else plain text. Adds
 * Retry-After to 503 and, when allow is not NULL, Allow to 405. */
void reply_error(struct reply *rp, int status, const char *message, bool json,
    const char *allow);

/* A JSON body (obj is borrowed); location may be NULL. */
void reply_json(
    struct reply *rp, int status, const json_t *obj, const char *location);

/* Flushes stdout. 0, or -1 with errno when any write failed. */
int reply_finish(struct reply *rp);

#endif
