/* SPDX-License-Identifier: MIT */
/*
 * draft: builds a job in tmp/ID and publishes it with one rename(2) into new/.
 * Invariants: nothing but the creator writes tmp/ID; every file is fsynced
 * when closed (with fsync on), the directories before the rename and new/
 * after it, so a published job survives a crash whole or not at all. A
 * released draft has sp == NULL and every fd -1: draft_abandon() is then a
 * no-op, which makes "abandon on any failure" always safe for callers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "draft.h"
#include "fsio.h"
#include "timestamp.h"
#include "utf8.h"

#define DRAFT_MAX_REPEAT 100000

static void
draft_reset(struct draft *d)
{
	memset(d, 0, sizeof(*d));
	d->sp = NULL;
	d->dirfd = d->fieldsfd = d->filesfd = d->streamfd = -1;
	d->fields = NULL;
	d->files = NULL;
	d->source = d->remote_addr = d->content_type = NULL;
}

static void
draft_release(struct draft *d)
{
	int saved = errno;

	if (d->sp != NULL) {
		if (d->streamfd >= 0)
			close(d->streamfd);
		if (d->fieldsfd >= 0)
			close(d->fieldsfd);
		if (d->filesfd >= 0)
			close(d->filesfd);
		if (d->dirfd >= 0)
			close(d->dirfd);
	}
	json_decref(d->fields);
	json_decref(d->files);
	free(d->source);
	free(d->remote_addr);
	free(d->content_type);
	draft_reset(d);
	errno = saved;
}

/* mkdirat + exact mode; returns an O_RDONLY fd on the new directory. */
static int
draft_mkdir(int parentfd, const char *name)
{
	int fd, saved;

	if (mkdirat(parentfd, name, 0700) == -1)
		return -1;
	fd = openat(
	    parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 || fchmod(fd, SPOOL_MODE_JOBDIR) == -1) {
		saved = errno;
		if (fd != -1)
			close(fd);
		unlinkat(parentfd, name, AT_REMOVEDIR);
		errno = saved;
		return -1;
	}
	return fd;
}

/* Creates a new file; mode set exactly (a umask must not hide it from the
 * group the watcher runs in). */
static int
draft_create_file(int dirfd, const char *name)
{
	int fd, saved;

	fd = openat(dirfd, name,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	if (fchmod(fd, SPOOL_MODE_JOBFILE) == -1) {
		saved = errno;
		close(fd);
		unlinkat(dirfd, name, 0);
		errno = saved;
		return -1;
	}
	return fd;
}

static int
draft_close_file(struct draft *d, int fd)
{
	int saved;

	if (d->fsync && fsync(fd) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return close(fd);
}

int
draft_create(struct draft *d, const struct spool *sp, const char *id,
    uint64_t limit, bool do_fsync)
{
	char fresh[JOBID_LEN + 1];
	int fd;

	draft_reset(d);
	if (id == NULL) {
		if (jobid_generate(fresh) == -1)
			return -1;
		id = fresh;
	} else if (!jobid_name_valid(id)) {
		errno = EINVAL;
		return -1;
	} else {
		d->named = true;
	}
	d->fields = json_array();
	d->files = json_object();
	if (d->fields == NULL || d->files == NULL) {
		draft_release(d);
		errno = ENOMEM;
		return -1;
	}
	fd = draft_mkdir(sp->dirfd[SPOOL_TMP], id);
	if (fd == -1) {
		draft_release(d);
		return -1;
	}
	snprintf(d->id, sizeof(d->id), "%s", id);
	d->sp = sp;
	d->dirfd = fd;
	d->limit = limit;
	d->fsync = do_fsync;
	return 0;
}

static int
draft_dup(char **field, const char *value)
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

int
draft_set_meta(struct draft *d, const char *source, const char *remote_addr,
    const char *content_type)
{
	if (draft_dup(&d->source, source) == -1 ||
	    draft_dup(&d->remote_addr, remote_addr) == -1 ||
	    draft_dup(&d->content_type, content_type) == -1)
		return -1;
	return 0;
}

static int
draft_check(struct draft *d)
{
	if (d->sp == NULL || d->dirfd < 0) {
		errno = EINVAL;
		return -1;
	}
	if (d->streamfd >= 0) {
		errno = EBUSY;
		return -1;
	}
	return 0;
}

static int
draft_account(struct draft *d, uint64_t len)
{
	if (d->limit != 0 && (len > d->limit || d->total > d->limit - len)) {
		errno = EFBIG;
		return -1;
	}
	d->total += len;
	return 0;
}

/* The file name for the next value of field name: NAME, NAME~2, ... */
static int
draft_field_filename(struct draft *d, const char *name, char *buf, size_t len)
{
	size_t i, namelen = strlen(name), count = 0;
	json_t *v;

	json_array_foreach(d->fields, i, v)
	{
		const char *s = json_string_value(v);
		if (strncmp(s, name, namelen) == 0 &&
		    (s[namelen] == '\0' || s[namelen] == '~'))
			count++;
	}
	if (count >= DRAFT_MAX_REPEAT) {
		errno = EFBIG;
		return -1;
	}
	if (count == 0)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%s~%zu", name, count + 1);
	return 0;
}

int
draft_add_field(
    struct draft *d, const char *name, const void *value, size_t len)
{
	char fname[JOBID_NAME_MAX + 16];
	json_t *jname;
	int fd = -1, saved, rc = -1;
	bool created = false;

	if (draft_check(d) == -1)
		return -1;
	if (!jobid_field_name_valid(name)) {
		errno = EINVAL;
		return -1;
	}
	if (draft_field_filename(d, name, fname, sizeof(fname)) == -1)
		return -1;
	if (draft_account(d, len) == -1)
		return -1;
	if (d->fieldsfd < 0) {
		d->fieldsfd = draft_mkdir(d->dirfd, "fields");
		if (d->fieldsfd == -1)
			return -1;
	}
	fd = draft_create_file(d->fieldsfd, fname);
	if (fd == -1)
		goto out;
	created = true;
	if (fsio_write_all(fd, value, len) == -1)
		goto out;
	rc = draft_close_file(d, fd);
	fd = -1;
	if (rc == -1)
		goto out;
	rc = -1;
	jname = json_string(fname);
	if (jname == NULL || json_array_append_new(d->fields, jname) == -1) {
		errno = ENOMEM;
		goto out;
	}
	rc = 0;
out:
	saved = errno;
	if (fd != -1)
		close(fd);
	if (rc == -1 && created)
		unlinkat(d->fieldsfd, fname, 0);
	errno = saved;
	return rc;
}

int
draft_file_begin(struct draft *d, const char *field, const char *filename,
    const char *content_type)
{
	json_t *meta = NULL;
	int fd;

	if (draft_check(d) == -1)
		return -1;
	if (!jobid_field_name_valid(field)) {
		errno = EINVAL;
		return -1;
	}
	if (json_object_get(d->files, field) != NULL) {
		errno = EEXIST;
		return -1;
	}
	if (d->filesfd < 0) {
		d->filesfd = draft_mkdir(d->dirfd, "files");
		if (d->filesfd == -1)
			return -1;
	}
	meta = json_object();
	if (meta == NULL ||
	    json_object_set_new(meta, "filename", utf8_json_string(filename)) ==
		-1 ||
	    json_object_set_new(meta, "size", json_integer(0)) == -1 ||
	    json_object_set_new(
		meta, "content_type", utf8_json_string(content_type)) == -1) {
		json_decref(meta);
		errno = ENOMEM;
		return -1;
	}
	fd = draft_create_file(d->filesfd, field);
	if (fd == -1) {
		json_decref(meta);
		return -1;
	}
	if (json_object_set_new(d->files, field, meta) == -1) {
		close(fd);
		unlinkat(d->filesfd, field, 0);
		errno = ENOMEM;
		return -1;
	}
	d->streamfd = fd;
	snprintf(d->streamname, sizeof(d->streamname), "%s", field);
	d->stream_is_body = false;
	d->streamsize = 0;
	return 0;
}

int
draft_body_begin(struct draft *d)
{
	int fd;

	if (draft_check(d) == -1)
		return -1;
	fd = draft_create_file(d->dirfd, "body"); /* EEXIST the second time */
	if (fd == -1)
		return -1;
	d->streamfd = fd;
	snprintf(d->streamname, sizeof(d->streamname), "body");
	d->stream_is_body = true;
	d->streamsize = 0;
	return 0;
}

int
draft_stream_write(struct draft *d, const void *buf, size_t len)
{
	if (d->sp == NULL || d->streamfd < 0) {
		errno = EINVAL;
		return -1;
	}
	if (draft_account(d, len) == -1)
		return -1;
	if (fsio_write_all(d->streamfd, buf, len) == -1)
		return -1;
	d->streamsize += len;
	return 0;
}

int
draft_stream_end(struct draft *d)
{
	json_t *meta;
	int fd;

	if (d->sp == NULL || d->streamfd < 0) {
		errno = EINVAL;
		return -1;
	}
	fd = d->streamfd;
	d->streamfd = -1;
	if (draft_close_file(d, fd) == -1)
		return -1;
	if (!d->stream_is_body) {
		meta = json_object_get(d->files, d->streamname);
		if (meta == NULL ||
		    json_object_set_new(meta, "size",
			json_integer((json_int_t)d->streamsize)) == -1) {
			errno = ENOMEM;
			return -1;
		}
	}
	return 0;
}

int
draft_add_file_fd(struct draft *d, const char *field, const char *filename,
    const char *content_type, int fd)
{
	char buf[16384];
	ssize_t n;

	if (draft_file_begin(d, field, filename, content_type) == -1)
		return -1;
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		if (draft_stream_write(d, buf, (size_t)n) == -1)
			return -1;
	}
	return draft_stream_end(d);
}

static json_t *
draft_job_json(const struct draft *d)
{
	char now[TIMESTAMP_RFC3339_LEN];
	json_t *obj = json_object();

	if (obj == NULL ||
	    timestamp_format(timestamp_now_ms(), now, sizeof(now)) == -1)
		goto nomem;
	if (json_object_set_new(obj, "id", json_string(d->id)) == -1 ||
	    json_object_set_new(obj, "submitted", json_string(now)) == -1 ||
	    json_object_set_new(obj, "source",
		utf8_json_string(d->source != NULL ? d->source : "lib")) == -1)
		goto nomem;
	if (d->remote_addr != NULL &&
	    json_object_set_new(
		obj, "remote_addr", utf8_json_string(d->remote_addr)) == -1)
		goto nomem;
	if (d->content_type != NULL &&
	    json_object_set_new(
		obj, "content_type", utf8_json_string(d->content_type)) == -1)
		goto nomem;
	if (json_object_set(obj, "fields", d->fields) == -1 ||
	    json_object_set(obj, "files", d->files) == -1)
		goto nomem;
	return obj;
nomem:
	json_decref(obj);
	errno = ENOMEM;
	return NULL;
}

/* -1 with EEXIST when a job named d->id is in any state dir, -1 with the
 * lookup's errno when that cannot be told, else 0. */
static int
draft_name_taken(const struct draft *d)
{
	enum spool_state st;

	if (spool_lookup(d->sp, d->id, &st, NULL) == 0) {
		errno = EEXIST;
		return -1;
	}
	return errno == ENOENT ? 0 : -1;
}

int
draft_publish(struct draft *d)
{
	json_t *job = NULL;
	char *text = NULL, *line;
	size_t len;
	int fd = -1, saved, rc = -1;

	if (draft_check(d) == -1)
		return -1;
	job = draft_job_json(d);
	if (job == NULL)
		goto out;
	text = json_dumps(job, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (text == NULL) {
		errno = ENOMEM;
		goto out;
	}
	/* The newline goes in the same buffer: one write(2), not two. */
	len = strlen(text);
	if ((line = realloc(text, len + 2)) == NULL)
		goto out;
	text = line;
	text[len++] = '\n';
	text[len] = '\0';
	fd = draft_create_file(d->dirfd, "job");
	if (fd == -1)
		goto out;
	if (fsio_write_all(fd, text, len) == -1)
		goto out;
	saved = draft_close_file(d, fd);
	fd = -1;
	if (saved == -1)
		goto out;
	/* Every entry must be durable before the rename makes it a job. */
	if (d->fsync) {
		if ((d->fieldsfd >= 0 && fsync(d->fieldsfd) == -1) ||
		    (d->filesfd >= 0 && fsync(d->filesfd) == -1) ||
		    fsync(d->dirfd) == -1)
			goto out;
	}
	/* tmp/ID is ours: no producer that drafts in tmp/ can publish this
	 * name until we are done, and one that did before is found now. */
	if (d->named && draft_name_taken(d) == -1)
		goto out;
	if (fsio_rename_noreplace(d->sp->dirfd[SPOOL_TMP], d->id,
		d->sp->dirfd[SPOOL_NEW], d->id) == -1)
		goto out;
	if (d->fsync && fsio_fsync_dir(d->sp->dirfd[SPOOL_NEW]) == -1) {
		/* A producer may not read new/ (mode 2730). Syncing the moved
		 * directory commits the same journal transaction on ext4 and
		 * xfs: its ".." entry changed in the rename. */
		if (errno != EACCES || fsync(d->dirfd) == -1) {
			/* The job is queued; only its durability is unsure.
			 * Report success: undoing a visible job is worse. */
			errno = 0;
		}
	}
	rc = 0;
out:
	saved = errno;
	if (fd != -1) {
		close(fd);
		unlinkat(d->dirfd, "job", 0);
	}
	free(text);
	json_decref(job);
	if (rc == 0) {
		/* The caller still needs the name of what it queued. */
		char id[sizeof(d->id)];

		memcpy(id, d->id, sizeof(id));
		draft_release(d);
		memcpy(d->id, id, sizeof(id));
	}
	errno = saved;
	return rc;
}

void
draft_abandon(struct draft *d)
{
	int saved = errno;
	const struct spool *sp = d->sp;
	char id[sizeof(d->id)];

	if (sp == NULL) {
		draft_release(d); /* frees metadata of a zeroed draft too */
		errno = saved;
		return;
	}
	memcpy(id, d->id, sizeof(id));
	draft_release(d);
	if (id[0] != '\0')
		fsio_remove_tree(sp->dirfd[SPOOL_TMP], id);
	errno = saved;
}
