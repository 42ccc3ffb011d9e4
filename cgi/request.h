/* SPDX-License-Identifier: MIT */
/*
 * request: the CGI request as RFC 3875 hands it over: meta-variables from the
 * environment and a body on stdin of exactly CONTENT_LENGTH bytes. Reading
 * never goes past CONTENT_LENGTH (the server may send more). Under mod_cgid
 * an unread body makes Apache break the connection, so every response is
 * preceded by request_drain(). Returns -1 with errno on failure; EPROTO means
 * the body ended before CONTENT_LENGTH bytes (the client's fault: 400).
 */
#ifndef CHUTE_CGI_REQUEST_H
#define CHUTE_CGI_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* At most this much of an unwanted body is read and dropped before an
 * error response; past it the server may drop the connection. */
#define REQUEST_DRAIN_MAX (256ULL << 20)

struct request {
	const char *method; /* never NULL ("" when unset) */
	const char *path_info; /* never NULL */
	const char *query; /* never NULL */
	const char *script_name; /* never NULL; safe for headers */
	const char *accept; /* may be NULL */
	const char *content_type; /* may be NULL */
	const char *remote_addr; /* may be NULL */
	bool has_length; /* CONTENT_LENGTH was set (and not empty) */
	bool bad_length; /* ... but was not a decimal number */
	uint64_t length;
	uint64_t remaining; /* announced body bytes not read yet */
	int infd;
};

/* Reads the meta-variables from the environment (borrowed: the strings live
 * as long as the environment). Never fails. */
void request_init(struct request *r, int infd);

/* Reads up to len body bytes. Returns the count, 0 when the announced body
 * has been read, or -1 with errno (EPROTO: the body ended early). */
ssize_t request_read(struct request *r, void *buf, size_t len);

/* Reads and drops what is left of the body, at most max bytes. Errors are
 * ignored: this only keeps the connection usable for the answer. */
void request_drain(struct request *r, uint64_t max);

/* For a request without CONTENT_LENGTH (a chunked upload, which servers
 * pass on without a length): reads and drops stdin until EOF, at most max
 * bytes, giving up after idle_ms without data. Errors are ignored. */
void request_drain_unsized(struct request *r, uint64_t max, int idle_ms);

/* True when Accept mentions type (a plain substring test, as browsers send
 * text/html first and API clients send application/json). */
bool request_accepts(const struct request *r, const char *type);

/* True when the query string has the pair name=value (exactly). */
bool request_query_has(
    const struct request *r, const char *name, const char *value);

#endif
