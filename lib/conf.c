/* SPDX-License-Identifier: MIT */
/*
 * conf: chute.conf. Defaults first (conf_init), then one INI file parsed with
 * libinih into a copy that replaces the caller's struct only on success, so
 * a failed reload keeps the running configuration. Every error is one line
 * naming the file and, for content errors, the line: "FILE:LINE: ...".
 * Sections are not used; unknown keys are errors (typos must not pass).
 */
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "conf.h"

struct conf_ctx {
	struct conf *c;
	const char *path;
	FILE *fp;
	int line; /* the line the parser is on */
	bool at_line_start;
	int read_errno; /* a read error ends the parse */
	bool failed;
	char *err;
	size_t errlen;
};

static char *
conf_strdup(const char *s)
{
	return s == NULL ? NULL : strdup(s);
}

void
conf_init(struct conf *c)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	memset(c, 0, sizeof(*c));
	c->path = NULL;
	c->spool = conf_strdup(CONF_DEFAULT_SPOOL);
	c->handler = conf_strdup(CONF_DEFAULT_HANDLER);
	c->jobs = ncpu >= 1 ? (unsigned)ncpu : 1;
	c->timeout_ms = 10 * 60 * 1000;
	c->kill_grace_ms = 10 * 1000;
	c->retries = 0;
	c->retry_delay_ms = 30 * 1000;
	c->keep_ms = 7LL * 24 * 3600 * 1000;
	c->max_request = 64ULL * 1024 * 1024;
	c->fsync = true;
	c->rescan_ms = 0;
	c->user = NULL;
	c->form = NULL;
	c->metrics_ms = 10000;
	c->log_level = LOG_INFO;
}

void
conf_fini(struct conf *c)
{
	free(c->path);
	free(c->spool);
	free(c->handler);
	free(c->user);
	free(c->form);
	c->path = c->spool = c->handler = c->user = c->form = NULL;
}

int
conf_set_string(char **field, const char *value)
{
	char *copy = NULL;

	if (value != NULL) {
		copy = strdup(value);
		if (copy == NULL)
			return -1;
	}
	free(*field);
	*field = copy;
	return 0;
}

/* Unsigned decimal with an optional suffix; EINVAL or ERANGE. */
static int
conf_parse_number(const char *text, uint64_t *value, const char **suffix)
{
	uint64_t v = 0;
	const char *p = text;

	if (text == NULL || *p < '0' || *p > '9') {
		errno = EINVAL;
		return -1;
	}
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10) {
			errno = ERANGE;
			return -1;
		}
		v = v * 10 + d;
	}
	*value = v;
	*suffix = p;
	return 0;
}

static int
conf_parse_count(const char *text, uint64_t *value)
{
	const char *suffix;

	if (conf_parse_number(text, value, &suffix) == -1)
		return -1;
	if (*suffix != '\0') {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int
conf_parse_duration(const char *text, int64_t *ms)
{
	static const struct {
		const char *suffix;
		uint64_t ms;
	} units[] = {
	    {"", 1000},
	    {"ms", 1},
	    {"s", 1000},
	    {"m", 60 * 1000},
	    {"h", 3600 * 1000},
	    {"d", 24 * 3600 * 1000},
	};
	const char *suffix;
	uint64_t v;
	size_t i;

	if (conf_parse_number(text, &v, &suffix) == -1)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(suffix, units[i].suffix) != 0)
			continue;
		if (v > (uint64_t)INT64_MAX / units[i].ms) {
			errno = ERANGE;
			return -1;
		}
		*ms = (int64_t)(v * units[i].ms);
		return 0;
	}
	errno = EINVAL;
	return -1;
}

int
conf_parse_size(const char *text, uint64_t *bytes)
{
	const char *suffix;
	uint64_t v, mult;

	if (conf_parse_number(text, &v, &suffix) == -1)
		return -1;
	if (suffix[0] == '\0')
		mult = 1;
	else if (suffix[1] != '\0')
		goto bad;
	else if (suffix[0] == 'K' || suffix[0] == 'k')
		mult = 1024;
	else if (suffix[0] == 'M' || suffix[0] == 'm')
		mult = 1024 * 1024;
	else if (suffix[0] == 'G' || suffix[0] == 'g')
		mult = 1024 * 1024 * 1024;
	else
		goto bad;
	if (v > UINT64_MAX / mult) {
		errno = ERANGE;
		return -1;
	}
	*bytes = v * mult;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

int
conf_parse_bool(const char *text, bool *value)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	size_t i;

	for (i = 0; text != NULL && i < 4; i++) {
		if (strcasecmp(text, yes[i]) == 0) {
			*value = true;
			return 0;
		}
		if (strcasecmp(text, no[i]) == 0) {
			*value = false;
			return 0;
		}
	}
	errno = EINVAL;
	return -1;
}

static int
conf_parse_level(const char *text, int *level)
{
	static const struct {
		const char *name;
		int level;
	} levels[] = {
	    {"err", LOG_ERR},
	    {"error", LOG_ERR},
	    {"warning", LOG_WARNING},
	    {"warn", LOG_WARNING},
	    {"info", LOG_INFO},
	    {"debug", LOG_DEBUG},
	};
	size_t i;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (strcasecmp(text, levels[i].name) == 0) {
			*level = levels[i].level;
			return 0;
		}
	}
	errno = EINVAL;
	return -1;
}

static int
conf_error(
    struct conf_ctx *ctx, const char *fmt, const char *key, const char *value)
{
	int n;

	if (ctx->failed)
		return 0; /* keep the first message */
	ctx->failed = true;
	n = snprintf(ctx->err, ctx->errlen, "%s:%d: ", ctx->path, ctx->line);
	if (n >= 0 && (size_t)n < ctx->errlen)
		snprintf(
		    ctx->err + n, ctx->errlen - (size_t)n, fmt, key, value);
	return 0;
}

enum conf_kind {
	CONF_STRING, /* must not be empty */
	CONF_OPTSTRING, /* empty = unset */
	CONF_COUNT, /* unsigned, >= 0 */
	CONF_JOBS, /* unsigned, >= 1 */
	CONF_DURATION,
	CONF_SIZE,
	CONF_BOOL,
	CONF_LEVEL,
};

#define CONF_FIELD(f) offsetof(struct conf, f)

static const struct conf_key {
	const char *name;
	enum conf_kind kind;
	size_t offset;
	const char *want;
} conf_keys[] = {
    {"spool", CONF_STRING, CONF_FIELD(spool), "a directory"},
    {"handler", CONF_STRING, CONF_FIELD(handler), "a program path"},
    {"jobs", CONF_JOBS, CONF_FIELD(jobs), "a number of at least 1"},
    {"timeout", CONF_DURATION, CONF_FIELD(timeout_ms),
	"a duration like 30s, 10m"},
    {"kill_grace", CONF_DURATION, CONF_FIELD(kill_grace_ms),
	"a duration like 30s, 10m"},
    {"retries", CONF_COUNT, CONF_FIELD(retries), "a number"},
    {"retry_delay", CONF_DURATION, CONF_FIELD(retry_delay_ms),
	"a duration like 30s, 10m"},
    {"keep", CONF_DURATION, CONF_FIELD(keep_ms), "a duration like 7d, 12h"},
    {"max_request", CONF_SIZE, CONF_FIELD(max_request),
	"a size like 64M, 512K"},
    {"fsync", CONF_BOOL, CONF_FIELD(fsync), "yes or no"},
    {"rescan", CONF_DURATION, CONF_FIELD(rescan_ms),
	"a duration like 30s, 10m"},
    {"user", CONF_OPTSTRING, CONF_FIELD(user), "a user name"},
    {"form", CONF_OPTSTRING, CONF_FIELD(form), "a file path"},
    {"metrics", CONF_DURATION, CONF_FIELD(metrics_ms),
	"a duration like 30s, 10m"},
    {"log_level", CONF_LEVEL, CONF_FIELD(log_level),
	"err, warning, info or debug"},
};

static int
conf_handler(
    void *user, const char *section, const char *name, const char *value)
{
	struct conf_ctx *ctx = user;
	const struct conf_key *k = NULL;
	char *base = (char *)ctx->c;
	char buf[CONF_ERR_LEN];
	uint64_t u;
	int64_t ms;
	size_t i;
	bool b;
	int level;

	(void)section; /* a section header already failed in the reader */
	if (ctx->failed)
		return 0;
	for (i = 0; i < sizeof(conf_keys) / sizeof(conf_keys[0]); i++) {
		if (strcmp(name, conf_keys[i].name) == 0) {
			k = &conf_keys[i];
			break;
		}
	}
	if (k == NULL)
		return conf_error(ctx, "unknown key '%s'%s", name, "");
	snprintf(buf, sizeof(buf), "'%s' (want %s)", value, k->want);
	switch (k->kind) {
	case CONF_STRING:
	case CONF_OPTSTRING:
		if (value[0] == '\0' && k->kind == CONF_STRING)
			return conf_error(ctx, "bad value for '%s': %s", name,
			    "'' (want a non-empty value)");
		if (conf_set_string((char **)(base + k->offset),
			value[0] == '\0' ? NULL : value) == -1)
			return conf_error(ctx, "%s: %s", name, strerror(errno));
		break;
	case CONF_COUNT:
	case CONF_JOBS:
		if (conf_parse_count(value, &u) == -1 || u > 1000000 ||
		    (k->kind == CONF_JOBS && u == 0))
			return conf_error(
			    ctx, "bad value for '%s': %s", name, buf);
		*(unsigned *)(base + k->offset) = (unsigned)u;
		break;
	case CONF_DURATION:
		if (conf_parse_duration(value, &ms) == -1)
			return conf_error(
			    ctx, "bad value for '%s': %s", name, buf);
		*(int64_t *)(base + k->offset) = ms;
		break;
	case CONF_SIZE:
		if (conf_parse_size(value, &u) == -1)
			return conf_error(
			    ctx, "bad value for '%s': %s", name, buf);
		*(uint64_t *)(base + k->offset) = u;
		break;
	case CONF_BOOL:
		if (conf_parse_bool(value, &b) == -1)
			return conf_error(
			    ctx, "bad value for '%s': %s", name, buf);
		*(bool *)(base + k->offset) = b;
		break;
	case CONF_LEVEL:
		if (conf_parse_level(value, &level) == -1)
			return conf_error(
			    ctx, "bad value for '%s': %s", name, buf);
		*(int *)(base + k->offset) = level;
		break;
	}
	return 1;
}

/* Feeds inih one line at a time, counting lines, and stops at what inih
 * would accept silently: a [section], a line too long, a read error. */
static char *
conf_reader(char *str, int num, void *stream)
{
	struct conf_ctx *ctx = stream;
	const char *p;
	size_t len;

	if (ctx->failed)
		return NULL;
	if (ctx->at_line_start)
		ctx->line++;
	if (fgets(str, num, ctx->fp) == NULL) {
		if (ferror(ctx->fp))
			ctx->read_errno = errno != 0 ? errno : EIO;
		return NULL;
	}
	len = strlen(str);
	if (len > 0 && str[len - 1] != '\n' && !feof(ctx->fp)) {
		conf_error(ctx, "line too long%s%s", "", "");
		return NULL;
	}
	ctx->at_line_start = true;
	p = str;
	if (ctx->line == 1 && strncmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	p += strspn(p, " \t");
	if (*p == '[') {
		str[strcspn(str, "\r\n")] = '\0';
		conf_error(ctx, "sections are not used: '%s'%s", p, "");
		return NULL;
	}
	return str;
}

int
conf_load(struct conf *c, const char *path, char *err, size_t errlen)
{
	struct conf copy;
	struct conf_ctx ctx;
	struct stat sb;
	char dummy[1], iobuf[4096];
	int fd = -1, rc = -1, saved, line;

	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	memset(&ctx, 0, sizeof(ctx));
	copy = *c;
	copy.path = conf_strdup(path);
	copy.spool = conf_strdup(c->spool);
	copy.handler = conf_strdup(c->handler);
	copy.user = conf_strdup(c->user);
	copy.form = conf_strdup(c->form);
	if (copy.path == NULL || (c->spool != NULL && copy.spool == NULL) ||
	    (c->handler != NULL && copy.handler == NULL) ||
	    (c->user != NULL && copy.user == NULL) ||
	    (c->form != NULL && copy.form == NULL)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1 || fstat(fd, &sb) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		errno = S_ISDIR(sb.st_mode) ? EISDIR : EINVAL;
		snprintf(err, errlen, "%s: %s", path,
		    S_ISDIR(sb.st_mode) ? strerror(errno)
					: "not a regular file");
		goto out;
	}
	ctx.fp = fdopen(fd, "r");
	if (ctx.fp == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	/* Our own buffer spares stdio an fstat(2) to size one. */
	setvbuf(ctx.fp, iobuf, _IOFBF, sizeof(iobuf));
	ctx.c = &copy;
	ctx.path = path;
	ctx.err = err;
	ctx.errlen = errlen;
	ctx.at_line_start = true;
	line = ini_parse_stream(conf_reader, &ctx, conf_handler, &ctx);
	if (ctx.read_errno != 0) {
		errno = ctx.read_errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!ctx.failed && line > 0) {
		ctx.line = line;
		conf_error(
		    &ctx, "syntax error: want 'key = value'%s%s", "", "");
	}
	if (ctx.failed) {
		errno = EINVAL;
		goto out;
	}
	conf_fini(c);
	*c = copy;
	memset(&copy, 0, sizeof(copy));
	rc = 0;
out:
	saved = errno;
	if (ctx.fp != NULL)
		fclose(ctx.fp);
	if (fd != -1)
		close(fd);
	if (rc == -1)
		conf_fini(&copy);
	errno = saved;
	return rc;
}

const char *
conf_locate(const char *cli_path, bool *explicit_choice)
{
	const char *env;

	if (cli_path != NULL) {
		*explicit_choice = true;
		return cli_path;
	}
	env = getenv("CHUTE_CONFIG");
	if (env != NULL && env[0] != '\0') {
		*explicit_choice = true;
		return env;
	}
	*explicit_choice = false;
	return CONF_DEFAULT_PATH;
}

int
conf_load_located(
    struct conf *c, const char *cli_path, char *err, size_t errlen)
{
	bool explicit_choice;
	const char *path = conf_locate(cli_path, &explicit_choice);

	if (conf_load(c, path, err, errlen) == 0)
		return 0;
	if (errno == ENOENT && !explicit_choice) {
		if (err != NULL && errlen > 0)
			err[0] = '\0';
		return 0;
	}
	return -1;
}
