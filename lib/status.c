/* SPDX-License-Identifier: MIT */
/*
 * status: ID/status as JSON. Written in one line, keys in DESIGN.md's order,
 * absent values as null, always replaced atomically. Reading is strict about
 * types (a wrong type is EBADMSG, as is broken JSON) and ignores unknown keys,
 * so a newer writer's extensions do not break an older reader.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsio.h"
#include "status.h"
#include "timestamp.h"

#define STATUS_MAX_BYTES (1024 * 1024)

void
status_init(struct status *st, const char *id)
{
	memset(st, 0, sizeof(*st));
	if (id != NULL)
		snprintf(st->id, sizeof(st->id), "%s", id);
	st->state = SPOOL_NEW;
	st->exit_code = -1;
	st->attempts = NULL;
}

void
status_fini(struct status *st)
{
	json_decref(st->attempts);
	st->attempts = NULL;
}

json_t *
status_time(int64_t ms)
{
	char buf[TIMESTAMP_RFC3339_LEN];

	if (ms == 0 || timestamp_format(ms, buf, sizeof(buf)) == -1)
		return json_null();
	return json_string(buf);
}

json_t *
status_int_or_null(json_int_t v, bool is_null)
{
	return is_null ? json_null() : json_integer(v);
}

/* Sets key to value, consuming the reference; a NULL value is ENOMEM. */
static int
status_set(json_t *obj, const char *key, json_t *value)
{
	if (value == NULL || json_object_set_new(obj, key, value) == -1) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

json_t *
status_to_json(const struct status *st)
{
	const char *state = spool_state_public(st->state);
	json_t *obj = json_object();

	if (obj == NULL)
		goto nomem;
	if (status_set(obj, "id",
		st->id[0] != '\0' ? json_string(st->id) : json_null()) == -1 ||
	    status_set(obj, "state",
		state != NULL ? json_string(state) : json_null()) == -1 ||
	    status_set(obj, "attempt",
		status_int_or_null(st->attempt, st->attempt == 0)) == -1 ||
	    status_set(obj, "submitted", status_time(st->submitted_ms)) == -1 ||
	    status_set(obj, "started", status_time(st->started_ms)) == -1 ||
	    status_set(obj, "finished", status_time(st->finished_ms)) == -1 ||
	    status_set(obj, "exit_code",
		status_int_or_null(st->exit_code, st->exit_code == -1)) == -1 ||
	    status_set(obj, "signal",
		status_int_or_null(st->signal, st->signal == 0)) == -1 ||
	    status_set(obj, "reason",
		st->reason[0] != '\0' ? json_string(st->reason)
				      : json_null()) == -1 ||
	    status_set(obj, "runner_pid",
		status_int_or_null(st->runner_pid, st->runner_pid == 0)) ==
		-1 ||
	    status_set(obj, "not_before", status_time(st->not_before_ms)) ==
		-1 ||
	    status_set(obj, "attempts",
		st->attempts != NULL ? json_deep_copy(st->attempts)
				     : json_array()) == -1)
		goto nomem;
	return obj;
nomem:
	json_decref(obj);
	errno = ENOMEM;
	return NULL;
}

/* Each getter leaves *out alone for a missing key or null, and fails for a
 * value of the wrong type. */
static int
status_get_time(const json_t *obj, const char *key, int64_t *out)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) ||
	    timestamp_parse(json_string_value(v), out) == -1)
		return -1;
	return 0;
}

static int
status_get_int(const json_t *obj, const char *key, long long min, long long max,
    long long *out)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max)
		return -1;
	*out = json_integer_value(v);
	return 0;
}

static int
status_get_string(const json_t *obj, const char *key, char *buf, size_t len)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) || json_string_length(v) >= len ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return -1;
	memcpy(buf, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

int
status_from_json(const json_t *obj, struct status *st)
{
	struct status tmp;
	char state[16] = "";
	long long attempt = 0, exit_code = -1, sig = 0, pid = 0;
	json_t *attempts;

	status_init(&tmp, NULL);
	if (!json_is_object(obj))
		goto bad;
	if (status_get_string(obj, "id", tmp.id, sizeof(tmp.id)) == -1 ||
	    (tmp.id[0] != '\0' && !jobid_name_valid(tmp.id)) ||
	    status_get_string(obj, "state", state, sizeof(state)) == -1 ||
	    status_get_int(obj, "attempt", 0, 1000000, &attempt) == -1 ||
	    status_get_time(obj, "submitted", &tmp.submitted_ms) == -1 ||
	    status_get_time(obj, "started", &tmp.started_ms) == -1 ||
	    status_get_time(obj, "finished", &tmp.finished_ms) == -1 ||
	    status_get_int(obj, "exit_code", -1, 255, &exit_code) == -1 ||
	    status_get_int(obj, "signal", 0, 128, &sig) == -1 ||
	    status_get_string(obj, "reason", tmp.reason, sizeof(tmp.reason)) ==
		-1 ||
	    status_get_int(obj, "runner_pid", 0, 0x7fffffff, &pid) == -1 ||
	    status_get_time(obj, "not_before", &tmp.not_before_ms) == -1)
		goto bad;
	if (state[0] != '\0' && (spool_state_parse(state, &tmp.state) == -1))
		goto bad;
	attempts = json_object_get(obj, "attempts");
	if (attempts != NULL && !json_is_null(attempts)) {
		if (!json_is_array(attempts))
			goto bad;
		tmp.attempts = json_deep_copy(attempts);
		if (tmp.attempts == NULL) {
			errno = ENOMEM;
			return -1;
		}
	}
	tmp.attempt = (unsigned)attempt;
	tmp.exit_code = (int)exit_code;
	tmp.signal = (int)sig;
	tmp.runner_pid = (pid_t)pid;
	*st = tmp;
	return 0;
bad:
	errno = EBADMSG;
	return -1;
}

int
status_read(int jobdirfd, struct status *st)
{
	json_error_t jerr;
	json_t *obj = NULL;
	char *buf = NULL;
	size_t len;
	int rc = -1, saved;

	status_init(st, NULL);
	if (fsio_read_file(jobdirfd, "status", STATUS_MAX_BYTES, &buf, &len) ==
	    -1)
		goto out;
	obj = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (obj == NULL) {
		errno = EBADMSG;
		goto out;
	}
	if (status_from_json(obj, st) == -1)
		goto out;
	rc = 0;
out:
	saved = errno;
	json_decref(obj);
	free(buf);
	if (rc == -1)
		status_init(st, NULL);
	errno = saved;
	return rc;
}

int
status_write(int jobdirfd, const struct status *st, bool do_fsync)
{
	json_t *obj;
	char *text = NULL, *line = NULL;
	size_t len;
	int rc = -1, saved;

	obj = status_to_json(st);
	if (obj == NULL)
		return -1;
	text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (text == NULL) {
		errno = ENOMEM;
		goto out;
	}
	len = strlen(text);
	line = malloc(len + 2);
	if (line == NULL)
		goto out;
	memcpy(line, text, len);
	line[len] = '\n';
	line[len + 1] = '\0';
	rc = fsio_atomic_write(
	    jobdirfd, "status", line, len + 1, SPOOL_MODE_JOBFILE, do_fsync);
out:
	saved = errno;
	free(line);
	free(text);
	json_decref(obj);
	errno = saved;
	return rc;
}

int
status_record_attempt(struct status *st)
{
	json_t *entry = NULL;

	if (st->attempts == NULL) {
		st->attempts = json_array();
		if (st->attempts == NULL)
			goto nomem;
	}
	entry = json_object();
	if (entry == NULL ||
	    status_set(entry, "attempt",
		status_int_or_null(st->attempt, st->attempt == 0)) == -1 ||
	    status_set(entry, "started", status_time(st->started_ms)) == -1 ||
	    status_set(entry, "finished", status_time(st->finished_ms)) == -1 ||
	    status_set(entry, "exit_code",
		status_int_or_null(st->exit_code, st->exit_code == -1)) == -1 ||
	    status_set(entry, "signal",
		status_int_or_null(st->signal, st->signal == 0)) == -1 ||
	    status_set(entry, "reason",
		st->reason[0] != '\0' ? json_string(st->reason)
				      : json_null()) == -1) {
		json_decref(entry);
		goto nomem;
	}
	/* append_new consumes entry, also when it fails */
	if (json_array_append_new(st->attempts, entry) == -1)
		goto nomem;
	return 0;
nomem:
	errno = ENOMEM;
	return -1;
}
