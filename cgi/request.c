/* SPDX-License-Identifier: MIT */
/*
 * request: CGI meta-variables and the CONTENT_LENGTH-bounded body on stdin.
 * Invariant: r->remaining never grows; no read asks for more than it. A
 * SCRIPT_NAME with control characters is replaced by "" so that it can never
 * split a header line. Nothing here writes to stdout.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "request.h"

static const char *
env_or_empty(const char *name)
{
	const char *v = getenv(name);

	return v != NULL ? v : "";
}

static bool
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

void
request_init(struct request *r, int infd)
{
	const char *len;
	char *end;
	unsigned long long n;

	memset(r, 0, sizeof(*r));
	r->infd = infd;
	r->method = env_or_empty("REQUEST_METHOD");
	r->path_info = env_or_empty("PATH_INFO");
	r->query = env_or_empty("QUERY_STRING");
	r->script_name = env_or_empty("SCRIPT_NAME");
	if (has_control(r->script_name) || strchr(r->script_name, '"') != NULL)
		r->script_name = "";
	r->accept = getenv("HTTP_ACCEPT");
	r->content_type = getenv("CONTENT_TYPE");
	r->remote_addr = getenv("REMOTE_ADDR");
	len = getenv("CONTENT_LENGTH");
	if (len == NULL || *len == '\0')
		return;
	r->has_length = true;
	errno = 0;
	n = strtoull(len, &end, 10);
	if (*len < '0' || *len > '9' || *end != '\0' || errno != 0) {
		r->bad_length = true;
		return;
	}
	r->length = r->remaining = n;
}

ssize_t
request_read(struct request *r, void *buf, size_t len)
{
	ssize_t n;

	if (r->remaining == 0 || len == 0)
		return 0;
	if (len > r->remaining)
		len = (size_t)r->remaining;
	do
		n = read(r->infd, buf, len);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if (n == 0) {
		errno = EPROTO;
		return -1;
	}
	r->remaining -= (uint64_t)n;
	return n;
}

void
request_drain(struct request *r, uint64_t max)
{
	char buf[16384];
	uint64_t done = 0;
	ssize_t n;

	while (done < max && r->remaining > 0) {
		n = request_read(r, buf,
		    max - done < sizeof(buf) ? (size_t)(max - done)
					     : sizeof(buf));
		if (n <= 0)
			break;
		done += (uint64_t)n;
	}
}

void
request_drain_unsized(struct request *r, uint64_t max, int idle_ms)
{
	struct pollfd pfd = {.fd = r->infd, .events = POLLIN};
	char buf[16384];
	uint64_t done = 0;
	ssize_t n;
	int rc;

	while (done < max) {
		rc = poll(&pfd, 1, idle_ms);
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc <= 0)
			break;
		n = read(r->infd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (uint64_t)n;
	}
}

bool
request_accepts(const struct request *r, const char *type)
{
	return r->accept != NULL && strstr(r->accept, type) != NULL;
}

bool
request_query_has(const struct request *r, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value), seg;
	const char *s = r->query;

	while (*s != '\0') {
		seg = strcspn(s, "&;");
		if (seg == nl + 1 + vl && strncmp(s, name, nl) == 0 &&
		    s[nl] == '=' && strncmp(s + nl + 1, value, vl) == 0)
			return true;
		s += seg;
		if (*s != '\0')
			s++;
	}
	return false;
}
