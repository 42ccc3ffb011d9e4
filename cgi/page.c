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
    "*{box-sizing:border-box}[hidden]{display:none!important}\n"
    "body{margin:0;padding:3em 1em;background:#eef1f5;color:#1f2328;"
    "font:16px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif}\n"
    ".card{max-width:38em;margin:0 auto;background:#fff;border-radius:14px;"
    "padding:2em 2.25em;box-shadow:0 1px 3px rgba(15,23,42,.08),"
    "0 10px 30px rgba(15,23,42,.08)}\n"
    ".top{display:flex;align-items:center;justify-content:space-between;"
    "gap:1em;flex-wrap:wrap}\n"
    "h1{font-size:1.45em;font-weight:650;margin:0}\n"
    "h2{font-size:1em;font-weight:600;color:#475569;margin:1.6em 0 .6em}\n"
    ".sub{color:#64748b;margin:.3em 0 1.4em}\n"
    "code,pre{font-family:ui-monospace,\"DejaVu Sans Mono\",Menlo,"
    "monospace}\n"
    "code{font-size:.88em;background:#f1f5f9;padding:.15em .4em;"
    "border-radius:5px;word-break:break-all}\n"
    "label{display:block;font-weight:600;margin:1.1em 0 .4em}\n"
    "input[type=file]{display:block;width:100%;padding:.9em;"
    "border:2px dashed #cbd5e1;border-radius:10px;background:#f8fafc;"
    "font:inherit}\n"
    "input[type=file]::file-selector-button{font:inherit;font-weight:600;"
    "margin-right:1em;padding:.45em 1em;border:1px solid #cbd5e1;"
    "border-radius:8px;background:#fff;color:#1f2328;cursor:pointer}\n"
    "textarea{display:block;width:100%;min-height:8em;padding:.7em;"
    "border:1px solid #cbd5e1;border-radius:10px;font:inherit;"
    "resize:vertical}\n"
    "textarea:focus,input:focus{outline:2px solid #93c5fd;"
    "border-color:#3b82f6}\n"
    ".btn,button{display:inline-block;font:inherit;font-weight:600;"
    "padding:.6em 1.3em;border:0;border-radius:9px;background:#2563eb;"
    "color:#fff;text-decoration:none;cursor:pointer}\n"
    ".btn:hover,button:hover{background:#1d4ed8}\n"
    ".go{margin-top:1.5em;width:100%;padding:.8em}\n"
    "button.quiet{background:#fff;color:#b91c1c;border:1px solid #fecaca}\n"
    "button.quiet:hover{background:#fef2f2}\n"
    ".badge{display:inline-block;padding:.2em .85em;border-radius:999px;"
    "font-size:.8em;font-weight:700;letter-spacing:.06em;"
    "text-transform:uppercase}\n"
    ".s-queued{background:#f1f5f9;color:#475569}"
    ".s-running{background:#dbeafe;color:#1d4ed8}"
    ".s-done{background:#dcfce7;color:#15803d}"
    ".s-failed{background:#fee2e2;color:#b91c1c}\n"
    ".bar{height:.85em;background:#e2e8f0;border-radius:999px;"
    "overflow:hidden;margin:1.2em 0 .4em}\n"
    ".bar div{height:100%;background:#3b82f6;border-radius:999px;"
    "transition:width .5s ease}\n"
    ".bar .f-done{background:#22c55e}.bar .f-failed{background:#ef4444}\n"
    ".msg{margin:0;color:#475569;font-size:.95em}\n"
    ".msg b{color:#1f2328}\n"
    "table{border-collapse:collapse;width:100%;margin-top:1.2em}\n"
    "th,td{text-align:left;padding:.45em 0;border-bottom:1px solid #f1f5f9;"
    "font-size:.95em;vertical-align:top}\n"
    "th{width:8.5em;color:#64748b;font-weight:500}\n"
    ".links{display:flex;flex-wrap:wrap;gap:.6em}\n"
    ".links .btn::before{content:\"\\2193\";margin-right:.45em}\n"
    "pre{background:#0f172a;color:#e2e8f0;padding:1em 1.1em;margin:0;"
    "border-radius:10px;font-size:.85em;max-height:22em;overflow:auto;"
    "white-space:pre-wrap;word-break:break-all}\n"
    ".foot{margin:2em 0 0;padding-top:1em;border-top:1px solid #f1f5f9;"
    "display:flex;justify-content:space-between;align-items:center;"
    "gap:1em;flex-wrap:wrap;"
    "font-size:.92em}\n"
    ".foot a{color:#2563eb;text-decoration:none}\n"
    ".foot a:hover{text-decoration:underline}\n"
    "</style>\n";

/*
 * The status page's live update, constant so that its SHA-256 can sit in
 * PAGE_CSP (page.h; tests/browser/csp_hash.py recomputes it from a served
 * page and fails on a mismatch). Every second it fetches ?format=json and
 * sets text only (textContent, never markup); when the job has finished it
 * fetches this page once more and swaps in the server's final card (with
 * the stdout/stderr tails). Without JavaScript, the <noscript> meta tag
 * reloads the page instead. Keep it free of the word r-e-f-r-e-s-h: a test
 * asserts that a finished page does not carry one.
 */
static const char live_script[] =
    "(function(){"
    "var $=function(i){return document.getElementById(i)},busy=0,"
    "keys=['submitted','started','finished','attempt','exit_code','signal',"
    "'reason'],timer=setInterval(tick,1000);"
    "function tick(){if(busy)return;busy=1;"
    "fetch('?format=json',{cache:'no-store',"
    "headers:{Accept:'application/json'}})"
    ".then(function(r){if(!r.ok)throw r.status;return r.json()})"
    ".then(show).catch(function(){}).then(function(){busy=0})}"
    "function show(j){var s=String(j.state||'unknown'),p=j.progress,"
    "st=$('state'),l=$('links'),r=j.results||[],i,a,n,v,e;"
    "st.textContent=s;st.className='badge s-'+s;"
    "if(p&&typeof p.percent=='number'){"
    "n=Math.max(0,Math.min(100,Math.round(p.percent)));$('prog').hidden=false;"
    "$('fill').style.width=n+'%';$('bar').setAttribute('aria-valuenow',n);"
    "$('pct').textContent=n+'%';$('pmsg').textContent=' '+(p.message||'')}"
    "$('fill').className='f-'+s;"
    "for(i=0;i<keys.length;i++){v=j[keys[i]];e=$('r-'+keys[i]);"
    "if(!e)continue;e.hidden=v==null;"
    "e.lastChild.textContent=v==null?'':String(v)}"
    "l.textContent='';for(i=0;i<r.length;i++){a=document.createElement('a');"
    "a.className='btn';a.href=location.pathname.replace(/\\/+$/,'')+"
    "'/result/'+encodeURIComponent(r[i]);a.textContent=r[i];"
    "l.appendChild(a)}$('results').hidden=!r.length;"
    "if(s=='done'||s=='failed'){clearInterval(timer);$('cancel').hidden=true;"
    "fetch(location.href,{cache:'no-store',headers:{Accept:'text/html'}})"
    ".then(function(r){return r.text()}).then(function(t){"
    "var c=new DOMParser().parseFromString(t,'text/html')"
    ".getElementById('card');if(c)$('card').replaceWith("
    "document.importNode(c,true))}).catch(function(){})}}"
    "})();";

static void
head(FILE *out, const char *title, int refresh)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head>\n"
	      "<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width\">\n",
	    out);
	/* With scripting on, <noscript> is raw text: no reload. */
	if (refresh > 0)
		fprintf(out,
		    "<noscript><meta http-equiv=\"refresh\" content=\"%d\">"
		    "</noscript>\n",
		    refresh);
	fputs("<title>", out);
	page_escape(out, title);
	fputs("</title>\n", out);
	fputs(style, out);
	fputs("</head><body>\n<main class=\"card\" id=\"card\">\n", out);
}

static void
tail(FILE *out, bool live)
{
	fputs("</main>\n", out);
	if (live)
		fprintf(out, "<script>%s</script>\n", live_script);
	fputs("</body></html>\n", out);
}

void
page_form(FILE *out, const char *base)
{
	head(out, "chute: submit a job", 0);
	fputs("<h1>Submit a job</h1>\n"
	      "<p class=\"sub\">Upload a file and add some text; the job runs "
	      "in the background and you can follow it live.</p>\n"
	      "<form method=\"post\" action=\"",
	    out);
	page_escape(out, base);
	fputs("/\" enctype=\"multipart/form-data\">\n"
	      "<label for=\"file\">File</label>\n"
	      "<input type=\"file\" name=\"file\" id=\"file\">\n"
	      "<label for=\"text\">Text</label>\n"
	      "<textarea name=\"text\" id=\"text\" "
	      "placeholder=\"Optional text for the job\"></textarea>\n"
	      "<button type=\"submit\" class=\"go\" id=\"submit\">Submit"
	      "</button>\n</form>\n",
	    out);
	tail(out, false);
}

static const char *
str_of(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* A table row the script can fill: hidden while value is NULL. */
static void
row(FILE *out, const char *key, const char *label, const char *value)
{
	fprintf(out, "<tr id=\"r-%s\"%s><th>%s</th><td>", key,
	    value == NULL ? " hidden" : "", label);
	page_escape(out, value);
	fputs("</td></tr>\n", out);
}

static void
int_row(FILE *out, const json_t *info, const char *key, const char *label)
{
	const json_t *v = json_object_get(info, key);
	char num[32];

	if (!json_is_integer(v)) {
		row(out, key, label, NULL);
		return;
	}
	snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
	row(out, key, label, num);
}

static void
results_block(
    FILE *out, const char *base, const char *id, const json_t *results)
{
	const json_t *v;
	size_t i;

	fprintf(out,
	    "<section id=\"results\"%s>\n<h2>Results</h2>\n"
	    "<div class=\"links\" id=\"links\">",
	    json_array_size(results) > 0 ? "" : " hidden");
	json_array_foreach(results, i, v)
	{
		if (!json_is_string(v))
			continue;
		fputs("<a class=\"btn\" href=\"", out);
		page_escape(out, base);
		fputs("/jobs/", out);
		page_escape(out, id);
		fputs("/result/", out);
		page_escape(out, json_string_value(v));
		fputs("\">", out);
		page_escape(out, json_string_value(v));
		fputs("</a>", out);
	}
	fputs("</div>\n</section>\n", out);
}

void
page_status(FILE *out, const char *base, const json_t *info,
    const char *out_tail, size_t out_len, const char *err_tail, size_t err_len)
{
	const char *id = str_of(info, "id"), *state = str_of(info, "state");
	const json_t *progress = json_object_get(info, "progress");
	const json_t *percent = json_object_get(progress, "percent");
	json_int_t p = 0;
	bool active;

	if (state == NULL)
		state = "unknown";
	active = strcmp(state, "queued") == 0 || strcmp(state, "running") == 0;
	head(out, "chute: job", active ? 2 : 0);
	fputs("<div class=\"top\"><h1>Job</h1><span id=\"state\" "
	      "class=\"badge s-",
	    out);
	page_escape(out, state);
	fputs("\" aria-live=\"polite\">", out);
	page_escape(out, state);
	fputs("</span></div>\n<p class=\"sub\"><code>", out);
	page_escape(out, id);
	fputs("</code></p>\n", out);
	if (json_is_integer(percent)) {
		p = json_integer_value(percent);
		p = p < 0 ? 0 : p > 100 ? 100 : p;
	}
	fprintf(out,
	    "<div id=\"prog\"%s><div class=\"bar\" id=\"bar\" "
	    "role=\"progressbar\" aria-valuenow=\"%d\" aria-valuemin=\"0\" "
	    "aria-valuemax=\"100\"><div id=\"fill\" class=\"f-",
	    json_is_integer(percent) || active ? "" : " hidden", (int)p);
	page_escape(out, state);
	fprintf(out,
	    "\" style=\"width:%d%%\"></div></div>\n"
	    "<p class=\"msg\"><b id=\"pct\">%d%%</b><span id=\"pmsg\"> ",
	    (int)p, (int)p);
	page_escape(out, str_of(progress, "message"));
	fputs("</span></p></div>\n<table>\n", out);
	row(out, "submitted", "Submitted", str_of(info, "submitted"));
	row(out, "started", "Started", str_of(info, "started"));
	row(out, "finished", "Finished", str_of(info, "finished"));
	int_row(out, info, "attempt", "Attempt");
	int_row(out, info, "exit_code", "Exit code");
	int_row(out, info, "signal", "Signal");
	row(out, "reason", "Reason", str_of(info, "reason"));
	fputs("</table>\n", out);
	results_block(out, base, id, json_object_get(info, "results"));
	output_block(out, "Output (end of stdout)", out_tail, out_len);
	output_block(out, "Errors (end of stderr)", err_tail, err_len);
	fputs("<div class=\"foot\"><span><a href=\"", out);
	page_escape(out, base);
	fputs("/\">&larr; Submit another job</a> &middot; "
	      "<a href=\"?format=json\">JSON</a></span>\n",
	    out);
	if (active) {
		fputs("<form method=\"post\" id=\"cancel\" action=\"", out);
		page_escape(out, base);
		fputs("/jobs/", out);
		page_escape(out, id);
		fputs("/cancel\"><button type=\"submit\" class=\"quiet\">"
		      "Cancel job</button></form>\n",
		    out);
	}
	fputs("</div>\n", out);
	tail(out, active);
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
	tail(out, false);
}
