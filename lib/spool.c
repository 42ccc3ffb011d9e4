/* SPDX-License-Identifier: MIT */
/*
 * spool: the only code that knows the spool's directory names. A struct spool
 * holds O_PATH fds on the root and each state dir (opened O_NOFOLLOW, so a
 * symlinked state dir is refused), and everything else works relative to
 * them. Lookups validate the name before touching the filesystem.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobid.h"
#include "spool.h"

static const char *const spool_dirnames[SPOOL_NSTATES] = {
    [SPOOL_TMP] = "tmp",
    [SPOOL_NEW] = "new",
    [SPOOL_RUN] = "run",
    [SPOOL_DONE] = "done",
    [SPOOL_FAILED] = "failed",
    [SPOOL_CANCEL] = "cancel",
};

static const char *const spool_public[SPOOL_NSTATES] = {
    [SPOOL_NEW] = "queued",
    [SPOOL_RUN] = "running",
    [SPOOL_DONE] = "done",
    [SPOOL_FAILED] = "failed",
};

const char *
spool_state_dirname(enum spool_state st)
{
	if ((unsigned)st >= SPOOL_NSTATES)
		return NULL;
	return spool_dirnames[st];
}

const char *
spool_state_public(enum spool_state st)
{
	if ((unsigned)st >= SPOOL_NSTATES)
		return NULL;
	return spool_public[st];
}

int
spool_state_parse(const char *text, enum spool_state *st)
{
	static const struct {
		const char *name;
		enum spool_state st;
	} names[] = {
	    {"queued", SPOOL_NEW},
	    {"running", SPOOL_RUN},
	    {"done", SPOOL_DONE},
	    {"failed", SPOOL_FAILED},
	    {"new", SPOOL_NEW},
	    {"run", SPOOL_RUN},
	};
	size_t i;

	for (i = 0; text != NULL && i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(text, names[i].name) == 0) {
			*st = names[i].st;
			return 0;
		}
	}
	errno = EINVAL;
	return -1;
}

static void
spool_reset(struct spool *sp)
{
	int i;

	sp->path = NULL;
	sp->rootfd = -1;
	for (i = 0; i < SPOOL_NSTATES; i++)
		sp->dirfd[i] = -1;
}

int
spool_open(struct spool *sp, const char *path)
{
	int i;

	spool_reset(sp);
	sp->path = strdup(path);
	if (sp->path == NULL)
		goto err;
	sp->rootfd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sp->rootfd == -1)
		goto err;
	for (i = 0; i < SPOOL_NSTATES; i++) {
		sp->dirfd[i] = openat(sp->rootfd, spool_dirnames[i],
		    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sp->dirfd[i] == -1)
			goto err;
	}
	return 0;
err:
	spool_close(sp);
	return -1;
}

void
spool_close(struct spool *sp)
{
	int saved = errno;
	int i;

	if (sp->rootfd >= 0)
		close(sp->rootfd);
	for (i = 0; i < SPOOL_NSTATES; i++) {
		if (sp->dirfd[i] >= 0)
			close(sp->dirfd[i]);
	}
	free(sp->path);
	spool_reset(sp);
	errno = saved;
}

/* mkdirat + exact mode (umask would strip the group bits) + group. */
static int
spool_mkdir(int dirfd, const char *name, mode_t mode, gid_t gid)
{
	struct stat sb;
	int fd = -1, saved, rc = -1;

	if (mkdirat(dirfd, name, 0700) == -1) {
		if (errno != EEXIST)
			return -1;
		if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == -1)
			return -1;
		if (!S_ISDIR(sb.st_mode)) {
			errno = ENOTDIR;
			return -1;
		}
		return 0; /* kept as it is */
	}
	fd = openat(
	    dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		goto out;
	/* chown before chmod: a chown may clear the set-group-ID bit */
	if (gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid) == -1)
		goto out;
	if (fchmod(fd, mode) == -1)
		goto out;
	rc = 0;
out:
	saved = errno;
	if (fd != -1)
		close(fd);
	errno = saved;
	return rc;
}

int
spool_init(const char *path, gid_t gid)
{
	static const mode_t modes[SPOOL_NSTATES] = {
	    [SPOOL_TMP] = SPOOL_MODE_DROP,
	    [SPOOL_NEW] = SPOOL_MODE_DROP,
	    [SPOOL_RUN] = SPOOL_MODE_STATE,
	    [SPOOL_DONE] = SPOOL_MODE_STATE,
	    [SPOOL_FAILED] = SPOOL_MODE_STATE,
	    [SPOOL_CANCEL] = SPOOL_MODE_DROP,
	};
	int rootfd = -1, saved, rc = -1, i;

	if (spool_mkdir(AT_FDCWD, path, SPOOL_MODE_ROOT, gid) == -1)
		return -1;
	rootfd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rootfd == -1)
		goto out;
	for (i = 0; i < SPOOL_NSTATES; i++) {
		if (spool_mkdir(rootfd, spool_dirnames[i], modes[i], gid) == -1)
			goto out;
	}
	rc = 0;
out:
	saved = errno;
	if (rootfd != -1)
		close(rootfd);
	errno = saved;
	return rc;
}

int
spool_open_listing(const struct spool *sp, enum spool_state st)
{
	if ((unsigned)st >= SPOOL_NSTATES) {
		errno = EINVAL;
		return -1;
	}
	return openat(sp->dirfd[st], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int
spool_lookup(
    const struct spool *sp, const char *id, enum spool_state *st, int *jobdirfd)
{
	static const enum spool_state order[] = {
	    SPOOL_NEW, SPOOL_RUN, SPOOL_DONE, SPOOL_FAILED};
	struct stat sb;
	size_t i;
	int pass, fd;

	if (jobdirfd != NULL)
		*jobdirfd = -1;
	if (!jobid_name_valid(id)) {
		errno = EINVAL;
		return -1;
	}
	/* A job moves forward through these in this order, so a job that
	 * moves while we look is found further on; a retry moves it back to
	 * new/, hence the second pass. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
			int dirfd = sp->dirfd[order[i]];

			if (fstatat(dirfd, id, &sb, AT_SYMLINK_NOFOLLOW) ==
			    -1) {
				if (errno == ENOENT || errno == ESTALE)
					continue;
				return -1;
			}
			if (S_ISREG(sb.st_mode) && order[i] == SPOOL_NEW) {
				*st = SPOOL_NEW; /* a hand-dropped file */
				return 0;
			}
			if (!S_ISDIR(sb.st_mode))
				continue; /* not a job: never followed */
			if (jobdirfd != NULL) {
				fd = openat(dirfd, id,
				    O_PATH | O_DIRECTORY | O_NOFOLLOW |
					O_CLOEXEC);
				if (fd == -1) {
					if (errno == ENOENT ||
					    errno == ESTALE ||
					    errno == ENOTDIR || errno == ELOOP)
						continue; /* it moved on */
					return -1;
				}
				*jobdirfd = fd;
			}
			*st = order[i];
			return 0;
		}
	}
	errno = ENOENT;
	return -1;
}
