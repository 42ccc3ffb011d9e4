/* SPDX-License-Identifier: MIT */
/*
 * job: the only code that renames jobs between state directories. Every move
 * is one non-replacing rename(2); losing a race (ENOENT, EEXIST, ESTALE,
 * ENOTEMPTY) is normal and reported as such, never as a failure to warn
 * about. Claims lock ID/job with flock(2) before the claiming rename, and
 * nothing in new/ is ever opened through a symlink or opened blocking; a job
 * file with more than one link is never locked or claimed (EMLINK).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsio.h"
#include "job.h"
#include "jobid.h"
#include "status.h"
#include "timestamp.h"

#define JOB_OPEN_FLAGS (O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
#define JOB_DIR_FLAGS (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

bool
job_lost_race(int err)
{
	return err == ENOENT || err == EEXIST || err == ESTALE ||
	    err == ENOTEMPTY;
}

int
job_move(const struct spool *sp, const char *id, enum spool_state from,
    enum spool_state to)
{
	if (!jobid_name_valid(id) || (unsigned)from >= SPOOL_NSTATES ||
	    (unsigned)to >= SPOOL_NSTATES) {
		errno = EINVAL;
		return -1;
	}
	return fsio_rename_noreplace(sp->dirfd[from], id, sp->dirfd[to], id);
}

static void
job_close(int *fd)
{
	int saved = errno;

	if (*fd >= 0)
		close(*fd);
	*fd = -1;
	errno = saved;
}

/* True when fd is the file now at dirfd/name. */
static bool
job_same_file(int fd, int dirfd, const char *name)
{
	struct stat a, b;

	if (fstat(fd, &a) == -1 ||
	    fstatat(dirfd, name, &b, AT_SYMLINK_NOFOLLOW) == -1)
		return false;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* True when dirfd lists name. readdir(3) asks the server each time where a
 * stat(2) or a look-up may answer from a cache (GlusterFS: for a second or
 * more), so this is how a claimer tells "not a job" from "another host's
 * job seen through a stale name". On an error, true. */
static bool
job_listed(int dirfd, const char *name)
{
	struct dirent *de;
	DIR *dir;
	bool found = false;
	int fd, saved = errno;

	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		goto out_err;
	dir = fdopendir(fd);
	if (dir == NULL) {
		close(fd);
		goto out_err;
	}
	while ((errno = 0, de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, name) == 0) {
			found = true;
			break;
		}
	}
	if (!found && errno != 0)
		found = true;
	closedir(dir);
	errno = saved;
	return found;
out_err:
	errno = saved;
	return true;
}

/* After a claiming rename whose source changed under us (another claimer
 * took the file we locked and a new job of the same name was dropped), the
 * job now in run/NAME is still ours if nobody holds its lock. */
static enum job_claim_result
job_claim_relock(int rundirfd, int *lockfd)
{
	int fd;

	fd = openat(rundirfd, "job", JOB_OPEN_FLAGS);
	if (fd == -1)
		return JOB_CLAIM_LOST;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1 ||
	    !job_same_file(fd, rundirfd, "job")) {
		job_close(&fd);
		return JOB_CLAIM_LOST;
	}
	*lockfd = fd;
	return JOB_CLAIMED;
}

/* True when fd (whose fstat() gave sb) is the file now at run/NAME/job:
 * one fstatat through run/NAME, a directory of ours (run/ is writable by
 * chuted alone), not three calls through an fd on it. */
static bool
job_claimed_same(
    const struct spool *sp, const char *name, const struct stat *sb)
{
	char path[JOBID_NAME_MAX + sizeof("/job")];
	struct stat rb;

	if ((size_t)snprintf(path, sizeof(path), "%s/job", name) >=
	    sizeof(path))
		return false;
	if (fstatat(sp->dirfd[SPOOL_RUN], path, &rb, AT_SYMLINK_NOFOLLOW) == -1)
		return false;
	return rb.st_dev == sb->st_dev && rb.st_ino == sb->st_ino;
}

/* dirfd: new/NAME opened with JOB_DIR_FLAGS, or -1 to open it here;
 * closed in any case. */
static enum job_claim_result
job_claim_dir(const struct spool *sp, const char *name, int dirfd, int *lockfd)
{
	enum job_claim_result res = JOB_CLAIM_ERROR;
	struct stat sb;
	int fd = -1, rundirfd = -1;

	if (dirfd == -1)
		dirfd = openat(sp->dirfd[SPOOL_NEW], name, JOB_DIR_FLAGS);
	if (dirfd == -1) {
		/* gone, or replaced by something else: its own event will
		 * bring it back */
		if (job_lost_race(errno) || errno == ENOTDIR || errno == ELOOP)
			res = JOB_CLAIM_LOST;
		goto out;
	}
	fd = openat(dirfd, "job", JOB_OPEN_FLAGS);
	if (fd == -1) {
		/* ENOENT/ESTALE with the directory no longer at new/NAME, or
		 * with a job file that a listing shows, is a lost race seen
		 * through a stale cache (GlusterFS: another host moved it on,
		 * or put it back): never call another host's job bad. The
		 * stat may come from that same cache: listings decide. */
		if ((errno == ENOENT || errno == ESTALE) &&
		    (!job_same_file(dirfd, sp->dirfd[SPOOL_NEW], name) ||
			!job_listed(sp->dirfd[SPOOL_NEW], name) ||
			job_listed(dirfd, "job")))
			res = JOB_CLAIM_LOST;
		else if (errno == ENOENT || errno == ELOOP || errno == EACCES ||
		    errno == ENXIO || errno == ENODEV || errno == EPERM)
			res = JOB_CLAIM_BAD;
		goto out;
	}
	if (fstat(fd, &sb) == -1)
		goto out;
	if (!S_ISREG(sb.st_mode) || sb.st_nlink > 1) {
		errno = S_ISREG(sb.st_mode) ? EMLINK : EINVAL;
		res = JOB_CLAIM_BAD;
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			res = JOB_CLAIM_LOST;
		goto out;
	}
	if (fsio_rename_noreplace(
		sp->dirfd[SPOOL_NEW], name, sp->dirfd[SPOOL_RUN], name) == -1) {
		if (job_lost_race(errno))
			res = JOB_CLAIM_LOST;
		goto out;
	}
	if (job_claimed_same(sp, name, &sb)) {
		*lockfd = fd;
		fd = -1;
		res = JOB_CLAIMED;
		goto out;
	}
	rundirfd = openat(sp->dirfd[SPOOL_RUN], name, JOB_DIR_FLAGS);
	if (rundirfd == -1 && errno == ESTALE) /* a fresh look-up heals it */
		rundirfd = openat(sp->dirfd[SPOOL_RUN], name, JOB_DIR_FLAGS);
	if (rundirfd == -1) {
		/* Moved on already, or we cannot look at what we renamed:
		 * put it back (it never started); a failure means it was
		 * not ours any more. */
		(void)fsio_rename_noreplace(
		    sp->dirfd[SPOOL_RUN], name, sp->dirfd[SPOOL_NEW], name);
		res = JOB_CLAIM_LOST;
		goto out;
	}
	if (!job_same_file(fd, rundirfd, "job")) {
		job_close(&fd);
		res = job_claim_relock(rundirfd, lockfd);
		goto out;
	}
	*lockfd = fd;
	fd = -1;
	res = JOB_CLAIMED;
out:
	job_close(&fd);
	job_close(&dirfd);
	job_close(&rundirfd);
	return res;
}

static enum job_claim_result
job_claim_file(const struct spool *sp, const char *name, int *lockfd)
{
	enum job_claim_result res = JOB_CLAIM_ERROR;
	struct stat sb;
	int fd = -1, rundirfd = -1, tries;

	fd = openat(sp->dirfd[SPOOL_NEW], name, JOB_OPEN_FLAGS);
	if (fd == -1) {
		if (job_lost_race(errno) || errno == ELOOP)
			res = JOB_CLAIM_LOST;
		else if (errno == ENXIO || errno == ENODEV || errno == EACCES ||
		    errno == EPERM)
			res = JOB_CLAIM_BAD; /* not a job we can ever run */
		goto out;
	}
	if (fstat(fd, &sb) == -1)
		goto out;
	if (!S_ISREG(sb.st_mode)) {
		res = S_ISDIR(sb.st_mode) ? JOB_CLAIM_LOST : JOB_CLAIM_BAD;
		errno = EINVAL;
		goto out;
	}
	if (sb.st_nlink > 1) {
		errno = EMLINK; /* checked on what we opened, before any lock */
		res = JOB_CLAIM_BAD;
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			res = JOB_CLAIM_LOST;
		goto out;
	}
	/* run/NAME first, then the locked file into it: a crash in between
	 * leaves an empty run/NAME (job_recover_run() removes it) and the job
	 * still in new/. A recovery that removes our run/NAME between the two
	 * steps makes the rename fail with ENOENT: try again a few times. */
	for (tries = 0; tries < 3; tries++) {
		if (mkdirat(sp->dirfd[SPOOL_RUN], name, 0700) == -1) {
			if (errno == EEXIST)
				res = JOB_CLAIM_LOST;
			goto out;
		}
		rundirfd = openat(sp->dirfd[SPOOL_RUN], name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (rundirfd == -1)
			goto out;
		if (fchmod(rundirfd, SPOOL_MODE_JOBDIR) == -1)
			goto undo;
		if (fsio_rename_noreplace(
			sp->dirfd[SPOOL_NEW], name, rundirfd, "job") == 0)
			break;
		if (errno != ENOENT ||
		    !job_same_file(fd, sp->dirfd[SPOOL_NEW], name)) {
			if (job_lost_race(errno))
				res = JOB_CLAIM_LOST;
			goto undo;
		}
		job_close(&rundirfd);
	}
	if (tries == 3)
		goto out;
	if (!job_same_file(fd, rundirfd, "job")) {
		job_close(&fd);
		res = job_claim_relock(rundirfd, lockfd);
		goto out;
	}
	*lockfd = fd;
	fd = -1;
	res = JOB_CLAIMED;
	goto out;
undo : {
	int saved = errno;
	unlinkat(sp->dirfd[SPOOL_RUN], name, AT_REMOVEDIR);
	errno = saved;
}
out:
	job_close(&fd);
	job_close(&rundirfd);
	return res;
}

enum job_claim_result
job_claim(const struct spool *sp, const char *name, int *lockfd)
{
	struct stat sb;
	int dirfd;

	*lockfd = -1;
	if (!jobid_name_valid(name)) {
		errno = EINVAL;
		return JOB_CLAIM_BAD;
	}
	/* Nearly every entry is a job directory: open it at once (O_PATH |
	 * O_NOFOLLOW | O_DIRECTORY: anything else, a symlink too, fails with
	 * ENOTDIR), and only look at what else it is when that fails. */
	dirfd = openat(sp->dirfd[SPOOL_NEW], name, JOB_DIR_FLAGS);
	if (dirfd != -1)
		return job_claim_dir(sp, name, dirfd, lockfd);
	if (fstatat(sp->dirfd[SPOOL_NEW], name, &sb, AT_SYMLINK_NOFOLLOW) == -1)
		return job_lost_race(errno) ? JOB_CLAIM_LOST : JOB_CLAIM_ERROR;
	if (S_ISDIR(sb.st_mode))
		return job_claim_dir(sp, name, -1, lockfd);
	if (S_ISREG(sb.st_mode))
		return job_claim_file(sp, name, lockfd);
	errno = EINVAL;
	return JOB_CLAIM_BAD; /* symlink, FIFO, socket, device */
}

int
job_reject(const struct spool *sp, const char *name, char *newid, bool do_fsync)
{
	char target[JOBID_NAME_MAX + 1];
	struct status st;
	int failedfd = sp->dirfd[SPOOL_FAILED], fd = -1, tries, rc = -1;
	int saved;
	bool made = false;

	status_init(&st, NULL);
	if (name == NULL || name[0] == '\0' || strchr(name, '/') != NULL ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		errno = EINVAL; /* not an entry of new/ at all */
		return -1;
	}
	if (jobid_name_valid(name))
		snprintf(target, sizeof(target), "%s", name);
	else if (jobid_generate(target) == -1)
		return -1;
	for (tries = 0;; tries++) {
		if (mkdirat(failedfd, target, 0700) == 0)
			break;
		if (errno != EEXIST || tries >= 3)
			goto out;
		if (jobid_generate(target) == -1)
			goto out;
	}
	made = true;
	fd = openat(
	    failedfd, target, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 || fchmod(fd, SPOOL_MODE_JOBDIR) == -1)
		goto out;
	status_init(&st, target);
	st.state = SPOOL_FAILED;
	st.finished_ms = timestamp_now_ms();
	st.exit_code = -1;
	snprintf(st.reason, sizeof(st.reason), "rejected");
	if (status_write(fd, &st, do_fsync) == -1)
		goto out;
	/* The entry moves as it is: a symlink stays a symlink, never read. */
	if (fsio_rename_noreplace(sp->dirfd[SPOOL_NEW], name, fd, "job") == -1)
		goto out;
	made = false;
	if (do_fsync) {
		/* best effort: the entry is out of new/ either way */
		fsync(fd);
		fsio_fsync_dir(failedfd);
		fsio_fsync_dir(sp->dirfd[SPOOL_NEW]);
	}
	if (newid != NULL)
		snprintf(newid, JOBID_NAME_MAX + 1, "%s", target);
	rc = 0;
out:
	saved = errno;
	if (made && fd != -1) {
		/* Only what we made: a rename that answered an error may
		 * still have moved something in (GlusterFS answers ESTALE
		 * through a stale name): then the rmdir fails and it stays,
		 * in failed/, never deleted. */
		unlinkat(fd, "status", 0);
		unlinkat(failedfd, target, AT_REMOVEDIR);
	} else if (made) {
		unlinkat(failedfd, target, AT_REMOVEDIR);
	}
	if (fd != -1)
		close(fd);
	status_fini(&st);
	errno = saved;
	return rc;
}

int
job_lock_probe(const struct spool *sp, const char *id)
{
	int dirfd = -1, fd = -1, saved;

	if (!jobid_name_valid(id)) {
		errno = EINVAL;
		return -1;
	}
	dirfd = openat(sp->dirfd[SPOOL_RUN], id, JOB_DIR_FLAGS);
	if (dirfd == -1)
		return -1;
	fd = openat(dirfd, "job", JOB_OPEN_FLAGS);
	if (fd == -1)
		goto out;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		saved = errno;
		close(fd);
		fd = -1;
		errno = saved == EAGAIN ? EWOULDBLOCK : saved;
		goto out;
	}
out:
	saved = errno;
	close(dirfd);
	errno = saved;
	return fd;
}

int
job_recover_run(const struct spool *sp, const char *id)
{
	if (!jobid_name_valid(id)) {
		errno = EINVAL;
		return -1;
	}
	/* rmdir removes only an empty directory: a real job (with its job
	 * file) answers ENOTEMPTY and stays. */
	if (unlinkat(sp->dirfd[SPOOL_RUN], id, AT_REMOVEDIR) == -1) {
		if (errno == EEXIST)
			errno = ENOTEMPTY;
		return -1;
	}
	return 0;
}

int64_t
job_peek_submitted(int jobfd)
{
	static const char key[] = "\"submitted\"";
	char buf[JOB_PEEK_BYTES + 1], *p, *end;
	struct stat stb;
	int64_t ms = 0;
	ssize_t n;

	n = pread(jobfd, buf, JOB_PEEK_BYTES, 0);
	if (n > 0 && buf[0] == '{') {
		buf[n] = '\0';
		p = strstr(buf, key);
		if (p != NULL) {
			p += sizeof(key) - 1;
			p += strspn(p, " \t\r\n");
			if (*p == ':')
				p += 1 + strspn(p + 1, " \t\r\n");
			end = *p == '"' ? strchr(p + 1, '"') : NULL;
			if (end != NULL) {
				*end = '\0';
				if (timestamp_parse(p + 1, &ms) < 0)
					ms = 0;
			}
		}
	}
	if (ms == 0 && fstat(jobfd, &stb) == 0)
		ms = (int64_t)stb.st_mtim.tv_sec * 1000 +
		    stb.st_mtim.tv_nsec / 1000000;
	return ms;
}
