/* SPDX-License-Identifier: MIT */
/*
 * chute.cgi: routes one CGI request (REQUEST_METHOD x PATH_INFO, RFC 3875)
 * and exits. It never forks and never waits for a job: a submission is a
 * draft in tmp/ that draft_publish() renames into new/, and the response
 * follows. One struct cgi per request with exactly one teardown (cgi_fini),
 * which abandons an unpublished draft, so tmp/ is left clean on every path.
 * Errors: logged on stderr with the reason; the client gets a short message
 * (EINVAL/EPROTO -> 400, EFBIG -> 413, ENOSPC/EDQUOT -> 503, else 500), and
 * the body is drained first (mod_cgid drops the answer otherwise).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cancel.h"
#include "conf.h"
#include "draft.h"
#include "form.h"
#include "fsio.h"
#include "jobid.h"
#include "jobinfo.h"
#include "log.h"
#include "multipart.h"
#include "page.h"
#include "reply.h"
#include "request.h"
#include "spool.h"

#define CGI_FIELD_MAX (1U << 20) /* a text field; files have no such cap */
#define CGI_FORM_MAX (1U << 20) /* the `form =` page */
#define CGI_IO_BUF 65536
#define CGI_TAIL_MAX 4096 /* of stdout and stderr on the status page */
#define CGI_OUT_BUF 32768 /* stdout's buffer: most responses, one write */

struct cgi {
	struct request req;
	struct reply rep;
	struct conf conf;
	struct spool sp;
	bool sp_open;
	struct draft draft;
	bool draft_live; /* created, not yet published or abandoned */
	/* The form field being received (sink state). */
	bool in_file;
	char field[FORM_NAME_MAX + 1];
	char *value;
	size_t valuelen, valuecap;
	char id[JOBID_NAME_MAX + 1]; /* from PATH_INFO */
	char name[JOBID_NAME_MAX + 1]; /* result name from PATH_INFO */
	char url[512];
	char logpath[256]; /* SCRIPT_NAME + PATH_INFO, safe for a log line */
	int resultfd;
	int jobdirfd;
	json_t *json;
};

/* fds 0-2 must be open, or our first open() would become stdout. */
static void
fds_make_safe(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		if (open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
			_exit(1);
	}
}

/*
 * Per-process setup that would otherwise cost syscalls on every request:
 * stdout gets its buffer here (stdio would fstat and ioctl fd 1 to size
 * one), and jansson's hash seed comes from getrandom(2) (jansson would open
 * and read /dev/urandom). Both must run before any output or JSON object.
 */
static void
cgi_setup_process(void)
{
	static char outbuf[CGI_OUT_BUF];
	uint32_t seed = 0;

	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	/* 0 (no entropy yet) lets jansson seed itself, as before. */
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = 0;
	json_object_seed(seed);
}

static void
cgi_init(struct cgi *c)
{
	char *p;

	memset(c, 0, sizeof(*c));
	request_init(&c->req, STDIN_FILENO);
	reply_init(&c->rep, stdout, strcmp(c->req.method, "HEAD") == 0);
	conf_init(&c->conf);
	snprintf(c->logpath, sizeof(c->logpath), "%s%s", c->req.script_name,
	    c->req.path_info);
	for (p = c->logpath; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	c->sp.rootfd = -1;
	c->resultfd = -1;
	c->jobdirfd = -1;
}

static void
cgi_fini(struct cgi *c)
{
	if (c->draft_live)
		draft_abandon(&c->draft);
	if (c->sp_open)
		spool_close(&c->sp);
	if (c->resultfd != -1)
		close(c->resultfd);
	if (c->jobdirfd != -1)
		close(c->jobdirfd);
	json_decref(c->json);
	free(c->value);
	conf_fini(&c->conf);
}

static bool
wants_json(const struct cgi *c)
{
	return request_accepts(&c->req, "application/json") ||
	    request_query_has(&c->req, "format", "json");
}

static bool
is_browser(const struct cgi *c)
{
	return request_accepts(&c->req, "text/html");
}

/*
 * Every error response goes through here: abandon the draft, log, drain,
 * answer. The draft goes first: once our output ends, Apache may SIGTERM
 * us, so nothing that must happen may come after the response.
 */
static int
fail(struct cgi *c, int status, const char *message, const char *allow)
{
	if (c->draft_live) {
		draft_abandon(&c->draft);
		c->draft_live = false;
	}
	log_warn("%.16s %s: %d %s", c->req.method, c->logpath, status, message);
	request_drain(&c->req, REQUEST_DRAIN_MAX);
	reply_error(&c->rep, status, message, wants_json(c), allow);
	return 0;
}

/* Maps errno after a failed step to a status, logs why, answers. */
static int
fail_errno(struct cgi *c, int err, const char *what)
{
	int status;
	const char *message;

	switch (err) {
	case EINVAL:
	case EPROTO:
	case EILSEQ:
		status = 400;
		message = err == EPROTO ? "request body shorter than announced"
					: "malformed request";
		break;
	case EFBIG:
		status = 413;
		message = "request too large";
		break;
	case ENOSPC:
	case EDQUOT:
		status = 503;
		message = "no space left for jobs; try again later";
		break;
	default:
		status = 500;
		message = "internal error";
	}
	log_warn("%s: %s", what, strerror(err));
	return fail(c, status, message, NULL);
}

/* Opens the spool; a failure is answered with 503 (it is not the client's
 * fault and may pass). Returns 0, or -1 when the response was sent. */
static int
open_spool(struct cgi *c)
{
	if (spool_open(&c->sp, c->conf.spool) == -1) {
		log_warn(
		    "cannot open spool %s: %s", c->conf.spool, strerror(errno));
		fail(c, 503, "job spool unavailable; try again later", NULL);
		return -1;
	}
	c->sp_open = true;
	return 0;
}

/* ---- the form sink: fields become fields/NAME, files files/NAME ---- */

static int
sink_begin(
    void *arg, const char *name, const char *filename, const char *content_type)
{
	struct cgi *c = arg;

	if (!jobid_field_name_valid(name)) {
		errno = EINVAL;
		return -1;
	}
	if (filename != NULL) {
		if (draft_file_begin(&c->draft, name, filename, content_type) ==
		    -1) {
			if (errno == EEXIST) /* two files for one name */
				errno = EINVAL;
			return -1;
		}
		c->in_file = true;
		return 0;
	}
	c->in_file = false;
	snprintf(c->field, sizeof(c->field), "%s", name);
	c->valuelen = 0;
	return 0;
}

static int
sink_data(void *arg, const void *buf, size_t len)
{
	struct cgi *c = arg;
	size_t cap;
	char *p;

	if (c->in_file)
		return draft_stream_write(&c->draft, buf, len);
	if (len > CGI_FIELD_MAX - c->valuelen) {
		errno = EFBIG;
		return -1;
	}
	if (c->valuelen + len > c->valuecap) {
		cap = c->valuecap ? c->valuecap : 4096;
		while (cap < c->valuelen + len)
			cap *= 2;
		if ((p = realloc(c->value, cap)) == NULL)
			return -1;
		c->value = p;
		c->valuecap = cap;
	}
	memcpy(c->value + c->valuelen, buf, len);
	c->valuelen += len;
	return 0;
}

static int
sink_end(void *arg)
{
	struct cgi *c = arg;

	if (c->in_file) {
		c->in_file = false;
		return draft_stream_end(&c->draft);
	}
	return draft_add_field(
	    &c->draft, c->field, c->value != NULL ? c->value : "", c->valuelen);
}

/* Streams the body through the parser that its Content-Type selects. */
static int
read_body(struct cgi *c)
{
	const struct form_sink sink = {sink_begin, sink_data, sink_end, c};
	char boundary[MULTIPART_BOUNDARY_MAX + 1];
	struct multipart_parser *mp = NULL;
	struct form_parser fp;
	enum { RAW, FORM, MULTIPART } kind = RAW;
	char *buf = NULL;
	ssize_t n;
	int rc = -1, saved;

	if ((buf = malloc(CGI_IO_BUF)) == NULL)
		goto out;
	if (form_media_type_is(
		c->req.content_type, "application/x-www-form-urlencoded")) {
		kind = FORM;
		form_init(&fp, &sink);
	} else if (form_media_type_is(
		       c->req.content_type, "multipart/form-data")) {
		kind = MULTIPART;
		if (multipart_boundary(c->req.content_type, boundary,
			sizeof(boundary)) == -1 ||
		    (mp = malloc(sizeof(*mp))) == NULL ||
		    multipart_init(mp, boundary, &sink) == -1)
			goto out;
	} else if (draft_body_begin(&c->draft) == -1) {
		goto out;
	}
	while ((n = request_read(&c->req, buf, CGI_IO_BUF)) > 0) {
		if (kind == FORM && form_feed(&fp, buf, (size_t)n) == -1)
			goto out;
		if (kind == MULTIPART &&
		    multipart_feed(mp, buf, (size_t)n) == -1)
			goto out;
		if (kind == RAW &&
		    draft_stream_write(&c->draft, buf, (size_t)n) == -1)
			goto out;
	}
	if (n == -1)
		goto out;
	if (kind == FORM)
		rc = form_finish(&fp);
	else if (kind == MULTIPART)
		rc = multipart_finish(mp);
	else
		rc = draft_stream_end(&c->draft);
out:
	saved = errno;
	free(mp);
	free(buf);
	errno = saved;
	return rc;
}

static int
route_submit(struct cgi *c)
{
	if (!c->req.has_length) {
		/* A chunked upload: the server sends a body anyway. */
		request_drain_unsized(&c->req, REQUEST_DRAIN_MAX, 2000);
		return fail(c, 411, "Content-Length required", NULL);
	}
	if (c->req.bad_length)
		return fail(c, 400, "malformed Content-Length", NULL);
	if (c->conf.max_request > 0 && c->req.length > c->conf.max_request) {
		log_warn("body of %llu bytes over max_request %llu",
		    (unsigned long long)c->req.length,
		    (unsigned long long)c->conf.max_request);
		return fail(c, 413, "request too large", NULL);
	}
	if (open_spool(c) == -1)
		return 0;
	if (draft_create(&c->draft, &c->sp, NULL, c->conf.max_request,
		c->conf.fsync) == -1) {
		log_warn("cannot create a job in %s/tmp: %s", c->conf.spool,
		    strerror(errno));
		return fail(
		    c, 503, "job spool unavailable; try again later", NULL);
	}
	c->draft_live = true;
	if (draft_set_meta(&c->draft, "cgi", c->req.remote_addr,
		c->req.content_type) == -1)
		return fail_errno(c, errno, "draft_set_meta");
	if (read_body(c) == -1)
		return fail_errno(c, errno, "reading the request body");
	snprintf(c->id, sizeof(c->id), "%s", c->draft.id);
	if (draft_publish(&c->draft) == -1)
		return fail_errno(c, errno, "publishing the job");
	c->draft_live = false;
	snprintf(
	    c->url, sizeof(c->url), "%s/jobs/%s", c->req.script_name, c->id);
	if (is_browser(c)) {
		reply_begin(&c->rep, 303, "text/html; charset=utf-8");
		reply_header(&c->rep, "Location", "%s", c->url);
		if (reply_body(&c->rep))
			page_redirect(c->rep.out, c->url);
		return 0;
	}
	if ((c->json = json_pack("{s:s, s:s}", "id", c->id, "url", c->url)) ==
	    NULL)
		return fail_errno(c, ENOMEM, "json_pack");
	reply_json(&c->rep, 202, c->json, c->url);
	return 0;
}

static int
route_form(struct cgi *c)
{
	char *text = NULL;
	size_t len = 0;

	if (c->conf.form != NULL && c->conf.form[0] != '\0') {
		if (fsio_read_file(AT_FDCWD, c->conf.form, CGI_FORM_MAX, &text,
			&len) == -1) {
			log_warn("cannot read form %s: %s", c->conf.form,
			    strerror(errno));
			return fail(c, 500, "internal error", NULL);
		}
		reply_begin(&c->rep, 200, "text/html; charset=utf-8");
		reply_header(&c->rep, "Content-Length", "%zu", len);
		if (reply_body(&c->rep))
			fwrite(text, 1, len, c->rep.out);
		free(text);
		return 0;
	}
	reply_begin(&c->rep, 200, "text/html; charset=utf-8");
	reply_header(&c->rep, "Content-Security-Policy", "%s", PAGE_CSP);
	if (reply_body(&c->rep))
		page_form(c->rep.out, c->req.script_name);
	return 0;
}

/* Best effort: the last bytes of jobdirfd/name (a regular file) into buf.
 * Returns the count, 0 when there is nothing to show. */
static size_t
read_tail(int jobdirfd, const char *name, char *buf, size_t len)
{
	struct stat st;
	off_t from;
	ssize_t n = 0;
	int fd;

	fd = openat(jobdirfd, name,
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd == -1)
		return 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		from = st.st_size > (off_t)len ? st.st_size - (off_t)len : 0;
		n = pread(fd, buf, len, from);
	}
	close(fd);
	return n > 0 ? (size_t)n : 0;
}

static int
route_status(struct cgi *c)
{
	char out_tail[CGI_TAIL_MAX], err_tail[CGI_TAIL_MAX];
	size_t out_len = 0, err_len = 0;
	enum spool_state state;
	struct jobinfo ji;

	if (open_spool(c) == -1)
		return 0;
	if (jobinfo_load(&c->sp, c->id, &ji) == -1) {
		if (errno == ENOENT)
			return fail(c, 404, "no such job", NULL);
		if (errno == EINVAL)
			return fail(c, 400, "malformed job ID", NULL);
		return fail_errno(c, errno, "jobinfo_load");
	}
	c->json = jobinfo_to_json(&ji);
	jobinfo_fini(&ji);
	if (c->json == NULL)
		return fail_errno(c, ENOMEM, "jobinfo_to_json");
	if (wants_json(c)) {
		reply_json(&c->rep, 200, c->json, NULL);
		return 0;
	}
	/* The job may have moved since jobinfo_load(): then no output. */
	if (spool_lookup(&c->sp, c->id, &state, &c->jobdirfd) == 0 &&
	    c->jobdirfd != -1) {
		out_len = read_tail(
		    c->jobdirfd, "stdout", out_tail, sizeof(out_tail));
		err_len = read_tail(
		    c->jobdirfd, "stderr", err_tail, sizeof(err_tail));
	}
	reply_begin(&c->rep, 200, "text/html; charset=utf-8");
	reply_header(&c->rep, "Content-Security-Policy", "%s", PAGE_CSP);
	if (reply_body(&c->rep))
		page_status(c->rep.out, c->req.script_name, c->json, out_tail,
		    out_len, err_tail, err_len);
	return 0;
}

static bool
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int
route_result(struct cgi *c)
{
	enum spool_state state;
	char *buf = NULL;
	struct stat st;
	off_t left;
	ssize_t n;
	int dirfd = -1, rc = 0;

	if (open_spool(c) == -1)
		return 0;
	if (spool_lookup(&c->sp, c->id, &state, &c->jobdirfd) == -1) {
		if (errno == ENOENT)
			return fail(c, 404, "no such job", NULL);
		return fail_errno(c, errno, "spool_lookup");
	}
	if (c->jobdirfd == -1)
		return fail(c, 404, "no such result", NULL);
	dirfd = openat(c->jobdirfd, "result",
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dirfd != -1)
		c->resultfd = openat(dirfd, c->name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (dirfd == -1 || c->resultfd == -1 || fstat(c->resultfd, &st) == -1 ||
	    !S_ISREG(st.st_mode)) {
		if (errno != ENOENT && errno != ELOOP && errno != ENOTDIR)
			log_warn("result %s/%s: %s", c->id, c->name,
			    strerror(errno));
		rc = fail(c, 404, "no such result", NULL);
		goto out;
	}
	reply_begin(&c->rep, 200,
	    has_suffix(c->name, ".txt") ? "text/plain; charset=utf-8"
					: "application/octet-stream");
	reply_header(&c->rep, "Content-Length", "%lld", (long long)st.st_size);
	reply_header(&c->rep, "Content-Disposition",
	    "attachment; filename=\"%s\"", c->name);
	if (!reply_body(&c->rep))
		goto out;
	if ((buf = malloc(CGI_IO_BUF)) == NULL) {
		rc = -1;
		goto out;
	}
	/* Exactly st_size bytes: the length is already promised. */
	for (left = st.st_size; left > 0; left -= n) {
		n = read(c->resultfd, buf,
		    left < CGI_IO_BUF ? (size_t)left : CGI_IO_BUF);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0) {
			log_warn("result %s/%s shrank while being sent", c->id,
			    c->name);
			rc = -1;
			goto out;
		}
		if (fwrite(buf, 1, (size_t)n, c->rep.out) != (size_t)n) {
			rc = -1;
			goto out;
		}
	}
out:
	free(buf);
	if (dirfd != -1)
		close(dirfd);
	return rc;
}

static int
route_cancel(struct cgi *c)
{
	if (open_spool(c) == -1)
		return 0;
	/* cancel_request() is idempotent and never opens an existing entry,
	 * so a cancel/ID that another user (e.g. root's `chute cancel`)
	 * created first does not turn into EACCES here. */
	if (cancel_request(&c->sp, c->id) == -1) {
		if (errno == ENOENT)
			return fail(c, 404, "no such job", NULL);
		if (errno == EALREADY)
			return fail(c, 409, "job already finished", NULL);
		log_warn("cannot drop cancel/%s in %s: %s", c->id,
		    c->conf.spool, strerror(errno));
		return fail(
		    c, 503, "job spool unavailable; try again later", NULL);
	}
	request_drain(&c->req, REQUEST_DRAIN_MAX);
	snprintf(
	    c->url, sizeof(c->url), "%s/jobs/%s", c->req.script_name, c->id);
	if (is_browser(c)) {
		reply_begin(&c->rep, 303, "text/html; charset=utf-8");
		reply_header(&c->rep, "Location", "%s", c->url);
		if (reply_body(&c->rep))
			page_redirect(c->rep.out, c->url);
		return 0;
	}
	if ((c->json = json_pack("{s:s, s:s, s:b}", "id", c->id, "url", c->url,
		 "cancel_requested", 1)) == NULL)
		return fail_errno(c, ENOMEM, "json_pack");
	reply_json(&c->rep, 202, c->json, c->url);
	return 0;
}

/* Copies the next path segment of *sp (up to '/') into out; false when it
 * is empty or too long. */
static bool
next_segment(const char **sp, char *out, size_t outlen)
{
	size_t n = strcspn(*sp, "/");

	if (n == 0 || n >= outlen)
		return false;
	memcpy(out, *sp, n);
	out[n] = '\0';
	*sp += n;
	return true;
}

enum route { R_NONE, R_ROOT, R_STATUS, R_RESULT, R_CANCEL };

static int
dispatch(struct cgi *c)
{
	const char *m = c->req.method, *p = c->req.path_info;
	const char *allow = NULL;
	bool get = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
	bool post = strcmp(m, "POST") == 0;
	bool id_ok = true, name_ok = true;
	enum route r = R_NONE;

	/* Only POST / reads a body; any other is dropped before answering
	 * (mod_cgid breaks the connection if it is left unread). */
	if (!post)
		request_drain(&c->req, REQUEST_DRAIN_MAX);

	if (strcmp(p, "") == 0 || strcmp(p, "/") == 0) {
		r = R_ROOT;
	} else if (strncmp(p, "/jobs/", 6) == 0) {
		p += 6;
		id_ok = next_segment(&p, c->id, sizeof(c->id));
		if (!id_ok)
			p += strcspn(p, "/");
		if (strcmp(p, "") == 0) {
			r = R_STATUS;
		} else if (strcmp(p, "/cancel") == 0) {
			r = R_CANCEL;
		} else if (strncmp(p, "/result/", 8) == 0 &&
		    strchr(p + 8, '/') == NULL) {
			r = R_RESULT;
			p += 8;
			name_ok = next_segment(&p, c->name, sizeof(c->name)) &&
			    jobid_field_name_valid(c->name);
		}
	}
	switch (r) {
	case R_NONE:
		return fail(c, 404, "no such page", NULL);
	case R_ROOT:
		allow = "GET, HEAD, POST";
		if (get)
			return route_form(c);
		if (post)
			return route_submit(c);
		goto method;
	case R_STATUS:
	case R_RESULT:
		allow = "GET, HEAD";
		if (get)
			break;
		goto method;
	case R_CANCEL:
		allow = "POST";
		if (post)
			break;
		goto method;
	}
	/* Validate names before anything touches the filesystem. */
	if (!id_ok || !jobid_name_valid(c->id)) {
		return fail(c, 400, "malformed job ID", NULL);
	}
	if (!name_ok) {
		return fail(c, 400, "malformed result name", NULL);
	}
	if (r == R_STATUS)
		return route_status(c);
	if (r == R_RESULT)
		return route_result(c);
	return route_cancel(c);
method:
	return fail(c, 405, "method not allowed", allow);
}

int
main(void)
{
	char err[CONF_ERR_LEN];
	struct cgi c;
	int rc;

	fds_make_safe();
	cgi_setup_process();
	log_open("chute.cgi", false);
	cgi_init(&c);
	if (conf_load_located(&c.conf, NULL, err, sizeof(err)) == -1) {
		log_err("bad configuration: %s", err);
		rc = fail(
		    &c, 503, "service misconfigured; try again later", NULL);
	} else {
		log_set_level(c.conf.log_level);
		rc = dispatch(&c);
	}
	if (reply_finish(&c.rep) == -1) {
		log_warn("writing the response: %s", strerror(errno));
		rc = -1;
	}
	cgi_fini(&c);
	return rc == 0 ? 0 : 1;
}
