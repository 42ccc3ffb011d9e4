/* SPDX-License-Identifier: MIT */
/*
 * status: ID/status as JSON. Written in one line, keys in DESIGN.md's order,
 * absent values as null, always replaced atomically. Reading is strict about
 * types (a wrong type is EBADMSG, as is broken JSON) and ignores unknown keys,
 * so a newer writer's extensions do not break an older reader. A runner
 * reserves the room for its final status before the handler starts (the
 * spare, see status_reserve), so a full filesystem cannot keep it stale.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* st as one line of compact JSON and a newline, in a fresh buffer. */
static char *
status_line(const struct status *st, size_t *lenp)
{
	json_t *obj;
	char *text = NULL, *line = NULL;
	size_t len;
	int saved;

	obj = status_to_json(st);
	if (obj == NULL)
		return NULL;
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
	*lenp = len + 1;
out:
	saved = errno;
	free(text);
	json_decref(obj);
	errno = saved;
	return line;
}

/*
 * The spare (STATUS_SPARE): why and how.
 * A handler that fills the filesystem leaves no room for the temporary file
 * of an atomic replace, and the job would end in failed/ with a stale
 * "running" status. So before the handler starts, the runner writes the
 * spare: a file of real bytes (spaces), not a sparse or fallocated one, big
 * enough for the final status (the running one plus STATUS_SPARE_SLACK,
 * rounded up to STATUS_SPARE_UNIT: one more entry in "attempts" and the
 * outcome fields). Overwriting blocks a file already has needs no new ones
 * on tmpfs, ext4, XFS and the like, and rename(2) over an existing name
 * needs none either; so the final status is pwritten into the spare, cut to
 * its length and renamed over ID/status: still atomic for readers. On a
 * copy-on-write filesystem (btrfs, ZFS) an overwrite may need new blocks:
 * there a failed pwrite unlinks the spare (which frees its blocks) and the
 * usual atomic replace runs in the room it leaves. The spare is not fsynced:
 * the blocks are taken at write(2) (delayed allocation reserves them too),
 * and a crash costs only the reservation (the status is then written the
 * usual way).
 */
#define STATUS_SPARE ".status.spare"
#define STATUS_SPARE_SLACK 1024
#define STATUS_SPARE_UNIT 4096

int
status_reserve(int jobdirfd, const struct status *st)
{
	char pad[512], *line;
	size_t len, want, off, n;
	int fd = -1, rc = -1, saved;

	line = status_line(st, &len);
	if (line == NULL)
		return -1;
	free(line);
	want = (len + STATUS_SPARE_SLACK + STATUS_SPARE_UNIT - 1) /
	    STATUS_SPARE_UNIT * STATUS_SPARE_UNIT;
	/* Whatever is there (a dead runner's spare, or a producer's file of
	 * that name) goes: only bytes written here count as reserved. */
	if (unlinkat(jobdirfd, STATUS_SPARE, 0) == -1 && errno != ENOENT)
		return -1;
	fd = openat(jobdirfd, STATUS_SPARE,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    SPOOL_MODE_JOBFILE);
	if (fd == -1)
		return -1;
	memset(pad, ' ', sizeof(pad));
	for (off = 0; off < want; off += n) {
		n = want - off < sizeof(pad) ? want - off : sizeof(pad);
		if (off + n == want)
			pad[n - 1] = '\n';
		if (fsio_write_all(fd, pad, n) == -1)
			goto out;
	}
	rc = 0;
out:
	saved = errno;
	close(fd);
	if (rc == -1)
		unlinkat(jobdirfd, STATUS_SPARE, 0);
	errno = saved;
	return rc;
}

/* Fills the spare with line and renames it over status. 0; or -1 with
 * errno, the spare then removed (if there was one). */
static int
status_fill_spare(int jobdirfd, const char *line, size_t len, bool do_fsync)
{
	struct stat sb;
	size_t off;
	ssize_t n;
	int fd, rc = -1, saved;

	fd = openat(jobdirfd, STATUS_SPARE,
	    O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (fstat(fd, &sb) == -1)
		goto out;
	if (!S_ISREG(sb.st_mode) || (uintmax_t)sb.st_size < len) {
		errno = EFBIG;
		goto out;
	}
	for (off = 0; off < len; off += (size_t)n) {
		n = pwrite(fd, line + off, len - off, (off_t)off);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			goto out;
		}
	}
	/* Shrinking frees blocks, it never needs any; should it fail, the
	 * padding is only JSON whitespace after the object. */
	(void)ftruncate(fd, (off_t)len);
	if (do_fsync && fsync(fd) == -1)
		goto out;
	if (renameat(jobdirfd, STATUS_SPARE, jobdirfd, "status") == -1)
		goto out;
	rc = 0;
out:
	saved = errno;
	close(fd);
	if (rc == -1)
		unlinkat(jobdirfd, STATUS_SPARE, 0);
	errno = saved;
	return rc;
}

/* status_write() (spare false) and status_write_reserved() (spare true):
 * the status line, into the spare when asked and there is one, else by an
 * atomic replace. */
static int
status_put(int jobdirfd, const struct status *st, bool do_fsync, bool spare)
{
	char *line;
	size_t len;
	int rc, saved;

	line = status_line(st, &len);
	if (line == NULL)
		return -1;
	rc = spare ? status_fill_spare(jobdirfd, line, len, do_fsync) : -1;
	if (rc == 0) {
		if (do_fsync && fsio_fsync_dir(jobdirfd) == -1)
			rc = -1;
	} else {
		rc = fsio_atomic_write(jobdirfd, "status", line, len,
		    SPOOL_MODE_JOBFILE, do_fsync);
	}
	saved = errno;
	free(line);
	errno = saved;
	return rc;
}

int
status_write(int jobdirfd, const struct status *st, bool do_fsync)
{
	return status_put(jobdirfd, st, do_fsync, false);
}

int
status_write_reserved(int jobdirfd, const struct status *st, bool do_fsync)
{
	return status_put(jobdirfd, st, do_fsync, true);
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
