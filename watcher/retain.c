/* SPDX-License-Identifier: MIT */
/*
 * retain: cron-free retention. Jobs in done/ and failed/ whose finish time
 * (the status's "finished", else the job dir's mtime) is older than `keep`
 * (0: forever), and tmp/ entries abandoned for over a day (mtime), are
 * renamed into SPOOL/.trash/ under a fresh random name, then removed from
 * there. The rename is the commit: a lookup sees the job whole or not at
 * all, never half removed; a kill -9 leaves .trash to be emptied at the
 * next start. Work is bounded per timer tick (RETAIN_SLICE entries looked
 * at, RETAIN_BUDGET files removed), so a mass removal never stalls intake
 * (PLATFORM.md: bursts of deletions slow file creation). Symlinks are never
 * followed (entries are lstat()ed and opened O_NOFOLLOW). Errors are logged
 * once per entry and skipped; retention never stops the watcher.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chuted.h"
#include "fsio.h"
#include "log.h"
#include "metrics.h"
#include "status.h"
#include "timestamp.h"

#define RETAIN_TRASH ".trash"
#define RETAIN_TICK_MS 100 /* between ticks while there is work */
#define RETAIN_SLICE 200 /* entries of a state dir looked at per tick */
#define RETAIN_BUDGET 100 /* files removed per tick */
#define RETAIN_TMP_MS (24LL * 3600 * 1000) /* a tmp/ entry is abandoned */
#define RETAIN_PASS_MIN_MS 1000
#define RETAIN_PASS_MAX_MS 60000

static int64_t
retain_mtime_ms(const struct stat *sb)
{
	return (int64_t)sb->st_mtim.tv_sec * 1000 +
	    sb->st_mtim.tv_nsec / 1000000;
}

/* The time between passes: keep/10 within [1 s, 1 min]. */
static int64_t
retain_interval(const struct chuted *c)
{
	int64_t ms = c->conf.keep_ms / 10;

	if (c->conf.keep_ms <= 0 || ms > RETAIN_PASS_MAX_MS)
		return RETAIN_PASS_MAX_MS;
	return ms < RETAIN_PASS_MIN_MS ? RETAIN_PASS_MIN_MS : ms;
}

int
retain_open(struct chuted *c)
{
	struct retain *r = &c->retain;

	r->dir = NULL;
	r->trashfd = -1;
	if (mkdirat(c->sp.rootfd, RETAIN_TRASH, 0700) < 0 && errno != EEXIST) {
		log_warn("spool %s: cannot create %s: %s: no retention",
		    c->sp.path, RETAIN_TRASH, strerror(errno));
		return 0;
	}
	r->trashfd = openat(c->sp.rootfd, RETAIN_TRASH,
	    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (r->trashfd < 0)
		return -1;
	r->trash_busy = true; /* a kill -9 may have left work there */
	r->next_pass_ms = timestamp_mono_ms();
	r->due_ms = r->next_pass_ms;
	return 0;
}

void
retain_close(struct chuted *c)
{
	if (c->retain.dir != NULL)
		closedir(c->retain.dir);
	c->retain.dir = NULL;
	if (c->retain.trashfd >= 0)
		close(c->retain.trashfd);
	c->retain.trashfd = -1;
}

/* Removes parentfd/name and what is below it, at most *budget files. 0 when it
 * is gone, 1 when the budget ran out first, -1 with errno. */
static int
retain_remove(int parentfd, const char *name, int *budget)
{
	struct dirent *de;
	struct stat sb;
	DIR *dir;
	int fd, rc = 0, saved;

	if (fstatat(parentfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (S_ISDIR(sb.st_mode)) {
		fd = openat(parentfd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return errno == ENOENT ? 0 : -1;
		dir = fdopendir(fd);
		if (dir == NULL) {
			saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		while (rc == 0 && (de = readdir(dir)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			if (*budget <= 0)
				rc = 1;
			else
				rc = retain_remove(
				    dirfd(dir), de->d_name, budget);
		}
		saved = errno;
		closedir(dir);
		errno = saved;
		if (rc != 0)
			return rc;
		if (*budget <= 0)
			return 1;
	}
	if (unlinkat(parentfd, name, S_ISDIR(sb.st_mode) ? AT_REMOVEDIR : 0) <
		0 &&
	    errno != ENOENT)
		return -1;
	(*budget)--;
	return 0;
}

/* Empties .trash by at most RETAIN_BUDGET files. */
static void
retain_empty_trash(struct chuted *c)
{
	struct retain *r = &c->retain;
	int budget = RETAIN_BUDGET, fd, rc;
	bool left = false;
	struct dirent *de;
	DIR *dir;

	fd = openat(r->trashfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		log_warn("cannot list %s: %s", RETAIN_TRASH, strerror(errno));
		r->trash_busy = false;
		return;
	}
	while (budget > 0 && (de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		rc = retain_remove(dirfd(dir), de->d_name, &budget);
		if (rc > 0)
			left = true;
		else if (rc < 0)
			dispatch_log_once(
			    c, de->d_name, "cannot remove from .trash", errno);
	}
	if (budget <= 0)
		left = true;
	closedir(dir);
	/* Entries that failed stay until the next pass tries them again. */
	r->trash_busy = left;
}

/* True when state/name is due for removal. */
static bool
retain_is_old(struct chuted *c, int dirfd, const char *name, int64_t now)
{
	struct status st;
	struct stat sb;
	int64_t when;
	int jobfd;

	if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	when = retain_mtime_ms(&sb);
	if (c->retain.pass_state == SPOOL_TMP)
		return now - when > RETAIN_TMP_MS;
	if (!S_ISDIR(sb.st_mode))
		return now - when >= c->conf.keep_ms;
	jobfd =
	    openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (jobfd < 0)
		return false;
	status_init(&st, NULL);
	if (status_read(jobfd, &st) == 0 && st.finished_ms != 0)
		when = st.finished_ms;
	status_fini(&st);
	close(jobfd);
	return now - when >= c->conf.keep_ms;
}

/* Moves state/name into .trash under a fresh name. */
static void
retain_trash(struct chuted *c, int dirfd, const char *name)
{
	char target[JOBID_NAME_MAX + 1];
	char pr[QUEUE_NAME_SIZE];
	const char *state = spool_state_dirname(c->retain.pass_state);

	if (jobid_generate(target) < 0 ||
	    fsio_rename_noreplace(dirfd, name, c->retain.trashfd, target) < 0) {
		if (errno != ENOENT)
			dispatch_log_once(
			    c, name, "cannot move to .trash", errno);
		return;
	}
	c->retain.trash_busy = true;
	c->counts.removed++;
	metrics_removed(c, c->retain.pass_state);
	log_debug("removing %s/%s (as .trash/%s)", state,
	    dispatch_printable(name, pr, sizeof(pr)), target);
}

/* The next state dir of a pass: done/, failed/ (when keep is set), tmp/. */
static int
retain_next_state(const struct chuted *c, int st)
{
	if (st < 0 && c->conf.keep_ms > 0)
		return SPOOL_DONE;
	if (st == SPOOL_DONE)
		return SPOOL_FAILED;
	if (st == SPOOL_TMP)
		return -1;
	return SPOOL_TMP;
}

/* One slice of the pass: at most RETAIN_SLICE entries. */
static void
retain_pass_slice(struct chuted *c, int64_t mono)
{
	struct retain *r = &c->retain;
	int64_t now = timestamp_now_ms();
	struct dirent *de;
	int n = 0, fd;

	while (n < RETAIN_SLICE) {
		if (r->dir == NULL) {
			r->pass_state = retain_next_state(c, r->pass_state);
			if (r->pass_state < 0) {
				r->next_pass_ms = mono + retain_interval(c);
				return;
			}
			fd = spool_open_listing(
			    &c->sp, (enum spool_state)r->pass_state);
			if (fd < 0 || (r->dir = fdopendir(fd)) == NULL) {
				if (fd >= 0)
					close(fd);
				log_warn("retention: cannot list %s/: %s",
				    spool_state_dirname(r->pass_state),
				    strerror(errno));
				continue;
			}
		}
		de = readdir(r->dir);
		if (de == NULL) {
			closedir(r->dir);
			r->dir = NULL;
			continue;
		}
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		n++;
		if (retain_is_old(c, dirfd(r->dir), de->d_name, now))
			retain_trash(c, dirfd(r->dir), de->d_name);
	}
}

void
retain_tick(struct chuted *c)
{
	struct retain *r = &c->retain;
	int64_t now = timestamp_mono_ms();

	r->due_ms = 0;
	if (r->trashfd < 0)
		return;
	if (r->trash_busy)
		retain_empty_trash(c);
	if (r->dir == NULL && now >= r->next_pass_ms) {
		r->pass_state = -1; /* a new pass */
		r->trash_busy = true; /* and what failed before, once more */
		retain_pass_slice(c, now);
	} else if (r->dir != NULL) {
		retain_pass_slice(c, now);
	}
	r->due_ms = (r->trash_busy || r->dir != NULL) ? now + RETAIN_TICK_MS
						      : r->next_pass_ms;
}
