/* SPDX-License-Identifier: MIT */
/*
 * page: chute.cgi's HTML pages: the submit form, the job status page, and the
 * small page after a redirect. Self-contained (inline CSS, no external
 * assets); the status page of an unfinished job carries one constant inline
 * script (live updates from ?format=json), allowed by its SHA-256 in
 * PAGE_CSP, and works without it (a <noscript> meta refresh). Every string
 * that comes from a job, a handler or the request is escaped with
 * page_escape(); nothing here touches the spool.
 */
#ifndef CHUTE_CGI_PAGE_H
#define CHUTE_CGI_PAGE_H

#include <jansson.h>
#include <stdio.h>

/* The Content-Security-Policy every built-in page is sent with. The hash
 * is the SHA-256 of page.c's live_script, the only script allowed; change
 * both together (tests/browser/csp_hash.py checks a served page). */
#define PAGE_SCRIPT_SHA256 "sha256-NnvMHIEhh+dXsyystyHyuf3vmG27FL2A78S9oznvtZA="
#define PAGE_CSP \
	"default-src 'none'; style-src 'unsafe-inline'; " \
	"script-src '" PAGE_SCRIPT_SHA256 "'; connect-src 'self'; " \
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

/* Writes s with & < > " ' escaped (NULL writes nothing). */
void page_escape(FILE *out, const char *s);

/* The built-in submit form; posts to base "/" (base: SCRIPT_NAME). */
void page_form(FILE *out, const char *base);

/* Writes len bytes of s escaped; control characters other than newline
 * and tab (NUL included) become '?'. */
void page_escape_n(FILE *out, const char *s, size_t len);

/* The status page of one job, from its public JSON (jobinfo_to_json()),
 * with the tails of its stdout and stderr (len 0: not shown). While the job
 * is queued or running it updates itself every second with JavaScript, or
 * without it reloads every 2 s. */
void page_status(FILE *out, const char *base, const json_t *info,
    const char *out_tail, size_t out_len, const char *err_tail, size_t err_len);

/* A one-link page for a redirect's body. */
void page_redirect(FILE *out, const char *url);

#endif
