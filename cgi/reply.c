/* SPDX-License-Identifier: MIT */
/*
 * reply: HTTP status, headers and simple bodies for chute.cgi (RFC 3875
 * section 6: a "Status:" header, then header lines, a blank line, the body).
 * The common headers live only here, so no response can miss them. JSON is
 * written by jansson; it is served as application/json with nosniff.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "reply.h"

void
reply_init(struct reply *rp, FILE *out, bool head)
{
	memset(rp, 0, sizeof(*rp));
	rp->out = out;
	rp->head = head;
}

const char *
reply_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 202:
		return "Accepted";
	case 303:
		return "See Other";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 411:
		return "Length Required";
	case 413:
		return "Content Too Large";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	default:
		return "Unknown";
	}
}

void
reply_begin(struct reply *rp, int status, const char *content_type)
{
	rp->started = true;
	rp->status = status;
	fprintf(rp->out,
	    "Status: %d %s\r\n"
	    "Content-Type: %s\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n",
	    status, reply_reason(status), content_type);
}

void
reply_header(struct reply *rp, const char *name, const char *fmt, ...)
{
	va_list ap;

	fprintf(rp->out, "%s: ", name);
	va_start(ap, fmt);
	vfprintf(rp->out, fmt, ap);
	va_end(ap);
	fputs("\r\n", rp->out);
}

bool
reply_body(struct reply *rp)
{
	fputs("\r\n", rp->out);
	return !rp->head;
}

void
reply_error(struct reply *rp, int status, const char *message, bool json,
    const char *allow)
{
	json_t *obj = NULL;
	char *text = NULL;

	if (json && (obj = json_pack("{s:s}", "error", message)) != NULL)
		text = json_dumps(obj, 0);
	reply_begin(rp, status,
	    text != NULL ? "application/json" : "text/plain; charset=utf-8");
	if (status == 503)
		reply_header(rp, "Retry-After", "%d", 30);
	if (allow != NULL)
		reply_header(rp, "Allow", "%s", allow);
	if (reply_body(rp)) {
		if (text != NULL)
			fprintf(rp->out, "%s\n", text);
		else
			fprintf(rp->out, "%d %s: %s\n", status,
			    reply_reason(status), message);
	}
	free(text);
	json_decref(obj);
}

void
reply_json(
    struct reply *rp, int status, const json_t *obj, const char *location)
{
	char *text = json_dumps(obj, 0);

	if (text == NULL) {
		reply_error(rp, 500, "internal error", false, NULL);
		return;
	}
	reply_begin(rp, status, "application/json");
	if (location != NULL)
		reply_header(rp, "Location", "%s", location);
	if (reply_body(rp))
		fprintf(rp->out, "%s\n", text);
	free(text);
}

int
reply_finish(struct reply *rp)
{
	if (fflush(rp->out) == EOF || ferror(rp->out)) {
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	return 0;
}
