/* SPDX-License-Identifier: MIT */
/*
 * fsio: careful file I/O relative to directory fds. Every open uses
 * O_NOFOLLOW | O_CLOEXEC (and O_NONBLOCK where a FIFO could block a read);
 * a regular file is checked with fstat() after opening, never before. Every
 * function returns -1 with errno and keeps that errno across its cleanup.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsio.h"

#define FSIO_COPY_BUF 16384
#define FSIO_TREE_DEPTH 64

static bool fsio_noreplace_missing; /* renameat2 answered EINVAL */

int
fsio_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
fsio_fsync_dir(int dirfd)
{
	int fd, rc, saved;

	if (fsync(dirfd) == 0)
		return 0;
	if (errno != EBADF)
		return -1;
	/* An O_PATH fd cannot be synced: reopen it. Producers may lack read
	 * permission on new/ (mode 2730): that is EACCES for the caller. */
	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	rc = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* The next temporary name's number: a random start (one getrandom per
 * process, not one per write), then a counter scrambled by an odd factor.
 * A fork's children share the sequence; O_EXCL catches every collision. */
static unsigned int
fsio_tmp_next(void)
{
	static unsigned int seq;
	static bool seeded;

	if (!seeded) {
		if (getrandom(&seq, sizeof(seq), GRND_NONBLOCK) != sizeof(seq))
			seq = (unsigned int)getpid() * 2654435761u;
		seeded = true;
	}
	return seq++ * 2654435761u;
}

int
fsio_atomic_write(int dirfd, const char *name, const void *buf, size_t len,
    mode_t mode, bool do_fsync)
{
	char tmpname[256];
	unsigned int rnd;
	int fd = -1, saved, tries, rc = -1;
	bool created = false;

	if (name == NULL || name[0] == '\0' || strchr(name, '/') != NULL ||
	    strlen(name) > 200) {
		errno = EINVAL;
		return -1;
	}
	for (tries = 0; tries < 100; tries++) {
		rnd = fsio_tmp_next();
		snprintf(tmpname, sizeof(tmpname), ".%s.%08x", name, rnd);
		fd = openat(dirfd, tmpname,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd != -1 || errno != EEXIST)
			break;
	}
	if (fd == -1)
		goto out;
	created = true;
	if (fsio_write_all(fd, buf, len) == -1)
		goto out;
	if (do_fsync && fsync(fd) == -1)
		goto out;
	if (close(fd) == -1) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (renameat(dirfd, tmpname, dirfd, name) == -1)
		goto out;
	created = false;
	/* From here on name holds the new content; a failed directory sync
	 * only means it may not survive a crash. */
	if (do_fsync && fsio_fsync_dir(dirfd) == -1)
		goto out;
	rc = 0;
out:
	saved = errno;
	if (fd != -1)
		close(fd);
	if (created)
		unlinkat(dirfd, tmpname, 0);
	errno = saved;
	return rc;
}

int
fsio_read_file(
    int dirfd, const char *name, size_t max, char **out, size_t *outlen)
{
	struct stat sb;
	char *buf = NULL, *nbuf;
	size_t cap = 0, len = 0;
	int fd, saved, rc = -1;

	*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	fd =
	    openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		goto out;
	if (fstat(fd, &sb) == -1)
		goto out;
	if (!S_ISREG(sb.st_mode)) {
		errno = EINVAL;
		goto out;
	}
	if (max > SIZE_MAX / 2)
		max = SIZE_MAX / 2; /* keeps max + 2 from wrapping */
	if ((uint64_t)sb.st_size > max) {
		errno = EFBIG;
		goto out;
	}
	/* st_size is a hint: the file may grow while we read it. */
	cap = (size_t)sb.st_size + 2;
	for (;;) {
		ssize_t n;

		if (buf == NULL || len + 1 >= cap) {
			if (buf != NULL)
				cap = cap * 2;
			if (cap > max + 2)
				cap = max + 2;
			nbuf = realloc(buf, cap);
			if (nbuf == NULL)
				goto out;
			buf = nbuf;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			errno = EFBIG;
			goto out;
		}
	}
	buf[len] = '\0';
	*out = buf;
	buf = NULL;
	if (outlen != NULL)
		*outlen = len;
	rc = 0;
out:
	saved = errno;
	free(buf);
	if (fd != -1)
		close(fd);
	errno = saved;
	return rc;
}

int
fsio_copy(int infd, int outfd, uint64_t limit, uint64_t *copied)
{
	char buf[FSIO_COPY_BUF];
	uint64_t total = 0;
	int rc = -1;

	for (;;) {
		ssize_t n = read(infd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		if (n == 0)
			break;
		if (limit != 0 && total + (uint64_t)n > limit) {
			errno = EFBIG;
			goto out;
		}
		if (fsio_write_all(outfd, buf, (size_t)n) == -1)
			goto out;
		total += (uint64_t)n;
	}
	rc = 0;
out:
	if (copied != NULL)
		*copied = total;
	return rc;
}

int
fsio_rename_noreplace(
    int olddirfd, const char *oldname, int newdirfd, const char *newname)
{
	struct stat sb;

	if (!fsio_noreplace_missing) {
		if (renameat2(olddirfd, oldname, newdirfd, newname,
			RENAME_NOREPLACE) == 0)
			return 0;
		if (errno != EINVAL)
			return -1;
		fsio_noreplace_missing = true; /* e.g. GlusterFS */
	}
	/* Plain rename(2) replaces an empty directory: look first. A job in
	 * new/ always holds its job file, so the rename itself refuses to
	 * replace a real one (ENOTEMPTY). */
	if (fstatat(newdirfd, newname, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EEXIST;
		return -1;
	}
	if (renameat(olddirfd, oldname, newdirfd, newname) == -1) {
		if (errno == ENOTEMPTY)
			errno = EEXIST;
		return -1;
	}
	return 0;
}

static int
fsio_remove_tree_at(int parentfd, const char *name, int depth)
{
	DIR *dir = NULL;
	struct dirent *de;
	int fd = -1, saved, rc = -1;

	if (unlinkat(parentfd, name, 0) == 0)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	if (depth >= FSIO_TREE_DEPTH) {
		errno = ELOOP;
		return -1;
	}
	fd = openat(
	    parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOTDIR || errno == ELOOP)
			errno = EPERM; /* the unlink's own answer */
		goto out;
	}
	dir = fdopendir(fd);
	if (dir == NULL)
		goto out;
	fd = -1;
	for (;;) {
		errno = 0;
		de = readdir(dir);
		if (de == NULL) {
			if (errno != 0)
				goto out;
			break;
		}
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (fsio_remove_tree_at(dirfd(dir), de->d_name, depth + 1) ==
			-1 &&
		    errno != ENOENT)
			goto out;
	}
	if (unlinkat(parentfd, name, AT_REMOVEDIR) == -1)
		goto out;
	rc = 0;
out:
	saved = errno;
	if (dir != NULL)
		closedir(dir);
	if (fd != -1)
		close(fd);
	errno = saved;
	return rc;
}

int
fsio_remove_tree(int dirfd, const char *name)
{
	return fsio_remove_tree_at(dirfd, name, 0);
}
