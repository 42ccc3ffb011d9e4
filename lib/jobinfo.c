/* SPDX-License-Identifier: MIT */
/*
 * jobinfo: one job's public view. The state is the directory that holds the
 * job; everything else is read through an fd on the job directory itself, so
 * a job that moves on is still read whole. All the handler wrote (progress,
 * result names) is untrusted: bounded, O_NOFOLLOW, control characters and
 * invalid UTF-8 replaced. A missing or corrupt status never fails a lookup.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsio.h"
#include "jobid.h"
#include "jobinfo.h"
#include "timestamp.h"
#include "utf8.h"

#define JOBINFO_PROGRESS_MAX 4096
#define JOBINFO_JOBFILE_MAX (64 * 1024)
#define JOBINFO_RESULTS_MAX 1000
#define JOBINFO_TRIES 4

int
jobinfo_parse_progress(
    const char *line, int *percent, char *message, size_t len)
{
	const char *p = line;
	long value = 0;
	size_t i, n;

	if (line == NULL)
		goto bad;
	p += strspn(p, " \t");
	if (*p < '0' || *p > '9')
		goto bad;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (value <= 100)
			value = value * 10 + (*p - '0');
	}
	if (*p == '.') { /* a fraction is accepted and dropped */
		p++;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == '%')
		p++;
	if (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
		goto bad;
	p += strspn(p, " \t");
	*percent = value > 100 ? 100 : (int)value;
	if (message == NULL || len == 0)
		return 0;
	n = strcspn(p, "\n");
	if (n >= len)
		n = len - 1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		message[i] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	while (n > 0 && message[n - 1] == ' ')
		n--; /* also what was a trailing \r or control character */
	message[n] = '\0';
	utf8_sanitize(message); /* also mends a sequence cut at len */
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

/* The first line of ID/progress, at most 4 KiB; -1 percent when absent or
 * unparsable. Never fails. */
static void
jobinfo_read_progress(int dirfd, struct jobinfo *ji)
{
	char buf[JOBINFO_PROGRESS_MAX + 1];
	struct stat sb;
	size_t len = 0;
	ssize_t n;
	int fd;

	ji->progress_percent = -1;
	ji->progress_message[0] = '\0';
	fd = openat(
	    dirfd, "progress", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return;
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode))
		goto out;
	while (len < JOBINFO_PROGRESS_MAX) {
		n = read(fd, buf + len, JOBINFO_PROGRESS_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	buf[strcspn(buf, "\n")] = '\0'; /* a NUL ends the line too */
	if (jobinfo_parse_progress(buf, &ji->progress_percent,
		ji->progress_message, sizeof(ji->progress_message)) == -1) {
		ji->progress_percent = -1;
		ji->progress_message[0] = '\0';
	}
out:
	close(fd);
}

static int
jobinfo_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Names of the regular files directly in ID/result/, sorted. */
static int
jobinfo_read_results(int jobdirfd, json_t *results)
{
	char *names[JOBINFO_RESULTS_MAX];
	struct dirent *de;
	struct stat sb;
	DIR *dir = NULL;
	size_t count = 0, i;
	int fd, rc = -1, saved;

	fd = openat(jobdirfd, "result",
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return 0; /* no results (or none we may see) */
	dir = fdopendir(fd);
	if (dir == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	while (count < JOBINFO_RESULTS_MAX) {
		errno = 0;
		de = readdir(dir);
		if (de == NULL)
			break;
		if (!jobid_field_name_valid(de->d_name))
			continue;
		if (de->d_type != DT_REG) {
			if (de->d_type != DT_UNKNOWN ||
			    fstatat(dirfd(dir), de->d_name, &sb,
				AT_SYMLINK_NOFOLLOW) == -1 ||
			    !S_ISREG(sb.st_mode))
				continue;
		}
		names[count] = strdup(de->d_name);
		if (names[count] == NULL)
			goto out;
		count++;
	}
	qsort(names, count, sizeof(names[0]), jobinfo_cmp);
	for (i = 0; i < count; i++) {
		if (json_array_append_new(results, json_string(names[i])) ==
		    -1) {
			errno = ENOMEM;
			goto out;
		}
	}
	rc = 0;
out:
	saved = errno;
	for (i = 0; i < count; i++)
		free(names[i]);
	closedir(dir);
	errno = saved;
	return rc;
}

/* "submitted" from the job file when the status has none: its JSON field,
 * else its mtime. */
static void
jobinfo_read_submitted(int dirfd, struct jobinfo *ji)
{
	json_error_t jerr;
	json_t *obj = NULL, *v;
	struct stat sb;
	char *buf = NULL;
	size_t len;
	int64_t ms;

	if (fsio_read_file(dirfd, "job", JOBINFO_JOBFILE_MAX, &buf, &len) ==
	    0) {
		obj = json_loadb(buf, len, 0, &jerr);
		v = json_object_get(obj, "submitted");
		if (json_is_string(v) &&
		    timestamp_parse(json_string_value(v), &ms) == 0) {
			ji->st.submitted_ms = ms;
			goto out;
		}
	}
	if (fstatat(dirfd, "job", &sb, AT_SYMLINK_NOFOLLOW) == 0)
		ji->st.submitted_ms = (int64_t)sb.st_mtim.tv_sec * 1000 +
		    sb.st_mtim.tv_nsec / 1000000;
out:
	json_decref(obj);
	free(buf);
}

/* True while dirfd is still the entry statedir/id. */
static bool
jobinfo_still_there(int statedirfd, const char *id, int dirfd)
{
	struct stat a, b;

	if (fstat(dirfd, &a) == -1 ||
	    fstatat(statedirfd, id, &b, AT_SYMLINK_NOFOLLOW) == -1)
		return false;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int
jobinfo_load(const struct spool *sp, const char *id, struct jobinfo *ji)
{
	enum spool_state state;
	int dirfd = -1, tries, saved;

	memset(ji, 0, sizeof(*ji));
	status_init(&ji->st, id != NULL && jobid_name_valid(id) ? id : NULL);
	ji->progress_percent = -1;
	ji->results = NULL;
	if (!jobid_name_valid(id)) {
		errno = EINVAL;
		return -1;
	}
	for (tries = 0; tries < JOBINFO_TRIES; tries++) {
		if (dirfd != -1)
			close(dirfd);
		dirfd = -1;
		json_decref(ji->results);
		status_fini(&ji->st);
		status_init(&ji->st, id);
		ji->progress_percent = -1;
		ji->progress_message[0] = '\0';
		ji->results = json_array();
		if (ji->results == NULL) {
			errno = ENOMEM;
			goto err;
		}
		if (spool_lookup(sp, id, &state, &dirfd) == -1)
			goto err;
		ji->state = state;
		if (dirfd == -1)
			return 0; /* a hand-dropped file, not claimed yet */
		if (status_read(dirfd, &ji->st) == -1)
			status_init(&ji->st, id); /* missing or corrupt */
		/* The directory is the truth, and the id asked for. */
		snprintf(ji->st.id, sizeof(ji->st.id), "%s", id);
		ji->st.state = state;
		if (ji->st.submitted_ms == 0)
			jobinfo_read_submitted(dirfd, ji);
		jobinfo_read_progress(dirfd, ji);
		if (jobinfo_read_results(dirfd, ji->results) == -1)
			goto err;
		if (jobinfo_still_there(sp->dirfd[state], id, dirfd))
			break;
		/* it moved while we read: look again, a few times */
	}
	close(dirfd);
	return 0;
err:
	saved = errno;
	if (dirfd != -1)
		close(dirfd);
	jobinfo_fini(ji);
	errno = saved;
	return -1;
}

void
jobinfo_fini(struct jobinfo *ji)
{
	status_fini(&ji->st);
	json_decref(ji->results);
	ji->results = NULL;
}

json_t *
jobinfo_to_json(const struct jobinfo *ji)
{
	const char *state = spool_state_public(ji->state);
	json_t *obj, *progress = NULL;
	size_t i;
	struct {
		const char *key;
		json_t *value;
	} kv[11];

	obj = json_object();
	if (obj == NULL)
		goto nomem;
	if (ji->progress_percent >= 0) {
		progress = json_object();
		if (progress == NULL ||
		    json_object_set_new(progress, "percent",
			json_integer(ji->progress_percent)) == -1 ||
		    json_object_set_new(progress, "message",
			utf8_json_string(ji->progress_message)) == -1) {
			json_decref(progress);
			goto nomem;
		}
	} else {
		progress = json_null();
	}
	kv[0].key = "id";
	kv[0].value =
	    ji->st.id[0] != '\0' ? json_string(ji->st.id) : json_null();
	kv[1].key = "state";
	kv[1].value = state != NULL ? json_string(state) : json_null();
	kv[2].key = "submitted";
	kv[2].value = status_time(ji->st.submitted_ms);
	kv[3].key = "started";
	kv[3].value = status_time(ji->st.started_ms);
	kv[4].key = "finished";
	kv[4].value = status_time(ji->st.finished_ms);
	kv[5].key = "exit_code";
	kv[5].value =
	    status_int_or_null(ji->st.exit_code, ji->st.exit_code == -1);
	kv[6].key = "signal";
	kv[6].value = status_int_or_null(ji->st.signal, ji->st.signal == 0);
	kv[7].key = "reason";
	kv[7].value =
	    ji->st.reason[0] != '\0' ? json_string(ji->st.reason) : json_null();
	kv[8].key = "attempt";
	kv[8].value = status_int_or_null(ji->st.attempt, ji->st.attempt == 0);
	kv[9].key = "progress";
	kv[9].value = progress;
	kv[10].key = "results";
	kv[10].value =
	    ji->results != NULL ? json_deep_copy(ji->results) : json_array();
	for (i = 0; i < 11; i++) {
		/* set_new consumes the value even when it fails */
		if (kv[i].value == NULL ||
		    json_object_set_new(obj, kv[i].key, kv[i].value) == -1) {
			for (i++; i < 11; i++)
				json_decref(kv[i].value);
			goto nomem;
		}
	}
	return obj;
nomem:
	json_decref(obj);
	errno = ENOMEM;
	return NULL;
}
