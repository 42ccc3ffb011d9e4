/* SPDX-License-Identifier: MIT */
/*
 * page: HTML for chute.cgi. Invariant: no byte of job data reaches the output
 * unescaped; URLs built from IDs and result names are safe by construction
 * (both passed jobid_name_valid(): [A-Za-z0-9._-] only) and are escaped
 * anyway. Output errors are left to the caller's reply_finish().
 */
#include <stdbool.h>
#include <string.h>

#include "page.h"

void
page_escape(FILE *out, const char *s)
{
	if (s == NULL)
		return;
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		default:
			fputc(*s, out);
		}
	}
}

void
page_escape_n(FILE *out, const char *s, size_t len)
{
	char one[2] = {0, 0};
	size_t i;

	for (i = 0; i < len; i++) {
		one[0] = s[i];
		if ((unsigned char)s[i] < 0x20 && s[i] != '\n' && s[i] != '\t')
			one[0] = '?';
		else if (s[i] == 0x7f)
			one[0] = '?';
		page_escape(out, one);
	}
}

static void
output_block(FILE *out, const char *title, const char *text, size_t len)
{
	if (len == 0)
		return;
	fprintf(out, "<h2>%s</h2>\n<pre>", title);
	page_escape_n(out, text, len);
	fputs("</pre>\n", out);
}

static const char style[] =
    "<style>\n"
    "body{font-family:system-ui,sans-serif;max-width:42em;margin:2em auto;"
    "padding:0 1em;color:#222;background:#fafafa}\n"
    "h1{font-size:1.4em}code{background:#eee;padding:0 .2em}\n"
    "fieldset{border:1px solid #ccc;margin:1em 0;padding:1em}\n"
    "textarea{width:100%;min-height:6em}\n"
    ".bar{background:#ddd;border-radius:4px;height:1.2em;overflow:hidden}\n"
    ".bar div{background:#3a7;height:100%}\n"
    "table{border-collapse:collapse}td,th{text-align:left;padding:.2em "
    ".8em .2em 0}\n"
    ".queued{color:#666}.running{color:#06c}.done{color:#080}"
    ".failed{color:#b00}\n"
    "pre{background:#f0f0f0;padding:.5em;overflow-x:auto;"
    "white-space:pre-wrap}\n"
    "</style>\n";

static void
head(FILE *out, const char *title, int refresh)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head>\n"
	      "<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width\">\n",
	    out);
	if (refresh > 0)
		fprintf(out, "<meta http-equiv=\"refresh\" content=\"%d\">\n",
		    refresh);
	fputs("<title>", out);
	page_escape(out, title);
	fputs("</title>\n", out);
	fputs(style, out);
	fputs("</head><body>\n", out);
}

static void
tail(FILE *out)
{
	fputs("</body></html>\n", out);
}

void
page_form(FILE *out, const char *base)
{
	head(out, "chute: submit a job", 0);
	fputs("<h1>Submit a job</h1>\n<form method=\"post\" action=\"", out);
	page_escape(out, base);
	fputs(
	    "/\" enctype=\"multipart/form-data\">\n"
	    "<fieldset><legend>Input</legend>\n"
	    "<p><label>File: <input type=\"file\" name=\"file\"></label></p>\n"
	    "<p><label>Text:<br><textarea name=\"text\"></textarea></label>"
	    "</p>\n</fieldset>\n"
	    "<p><button type=\"submit\">Submit</button></p>\n</form>\n",
	    out);
	tail(out);
}

static const char *
str_of(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static void
row(FILE *out, const char *label, const char *value)
{
	if (value == NULL)
		return;
	fprintf(out, "<tr><th>%s</th><td>", label);
	page_escape(out, value);
	fputs("</td></tr>\n", out);
}

void
page_status(FILE *out, const char *base, const json_t *info,
    const char *out_tail, size_t out_len, const char *err_tail, size_t err_len)
{
	const char *id = str_of(info, "id"), *state = str_of(info, "state");
	const json_t *progress = json_object_get(info, "progress");
	const json_t *results = json_object_get(info, "results"), *v;
	const json_t *percent = json_object_get(progress, "percent");
	bool active;
	char num[32];
	size_t i;

	if (state == NULL)
		state = "unknown";
	active = strcmp(state, "queued") == 0 || strcmp(state, "running") == 0;
	head(out, "chute: job", active ? 2 : 0);
	fputs("<h1>Job <code>", out);
	page_escape(out, id);
	fputs("</code></h1>\n<p class=\"", out);
	page_escape(out, state);
	fputs("\">State: <strong>", out);
	page_escape(out, state);
	fputs("</strong></p>\n", out);
	if (json_is_integer(percent)) {
		json_int_t p = json_integer_value(percent);

		if (p < 0)
			p = 0;
		if (p > 100)
			p = 100;
		fprintf(out,
		    "<div class=\"bar\" role=\"progressbar\" "
		    "aria-valuenow=\"%d\" aria-valuemin=\"0\" "
		    "aria-valuemax=\"100\"><div style=\"width:%d%%\"></div>"
		    "</div>\n<p>%d%% ",
		    (int)p, (int)p, (int)p);
		page_escape(out, str_of(progress, "message"));
		fputs("</p>\n", out);
	}
	fputs("<table>\n", out);
	row(out, "Submitted", str_of(info, "submitted"));
	row(out, "Started", str_of(info, "started"));
	row(out, "Finished", str_of(info, "finished"));
	if (json_is_integer(json_object_get(info, "attempt"))) {
		snprintf(num, sizeof(num), "%lld",
		    (long long)json_integer_value(
			json_object_get(info, "attempt")));
		row(out, "Attempt", num);
	}
	if (json_is_integer(json_object_get(info, "exit_code"))) {
		snprintf(num, sizeof(num), "%lld",
		    (long long)json_integer_value(
			json_object_get(info, "exit_code")));
		row(out, "Exit code", num);
	}
	if (json_is_integer(json_object_get(info, "signal"))) {
		snprintf(num, sizeof(num), "%lld",
		    (long long)json_integer_value(
			json_object_get(info, "signal")));
		row(out, "Signal", num);
	}
	row(out, "Reason", str_of(info, "reason"));
	fputs("</table>\n", out);
	if (json_array_size(results) > 0) {
		fputs("<h2>Results</h2>\n<ul>\n", out);
		json_array_foreach(results, i, v)
		{
			if (!json_is_string(v))
				continue;
			fputs("<li><a href=\"", out);
			page_escape(out, base);
			fputs("/jobs/", out);
			page_escape(out, id);
			fputs("/result/", out);
			page_escape(out, json_string_value(v));
			fputs("\">", out);
			page_escape(out, json_string_value(v));
			fputs("</a></li>\n", out);
		}
		fputs("</ul>\n", out);
	}
	output_block(out, "Output (end of stdout)", out_tail, out_len);
	output_block(out, "Errors (end of stderr)", err_tail, err_len);
	if (active) {
		fputs("<form method=\"post\" action=\"", out);
		page_escape(out, base);
		fputs("/jobs/", out);
		page_escape(out, id);
		fputs("/cancel\"><button type=\"submit\">Cancel</button>"
		      "</form>\n",
		    out);
	}
	fputs("<p><a href=\"", out);
	page_escape(out, base);
	fputs("/\">Submit another job</a> &middot; <a href=\"?format=json\">"
	      "JSON</a></p>\n",
	    out);
	tail(out);
}

void
page_redirect(FILE *out, const char *url)
{
	head(out, "chute", 0);
	fputs("<p><a href=\"", out);
	page_escape(out, url);
	fputs("\">", out);
	page_escape(out, url);
	fputs("</a></p>\n", out);
	tail(out);
}
