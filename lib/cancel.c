/* SPDX-License-Identifier: MIT */
/*
 * cancel: drops cancel/ID for a job that has not finished. The file is the
 * whole request (its content is empty and never read): the name is what
 * the watcher acts on. Nothing here opens an existing entry, so a symlink
 * or FIFO planted in cancel/ is never followed. Returns -1 with errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "cancel.h"
#include "jobid.h"

int
cancel_request(const struct spool *sp, const char *id)
{
	enum spool_state st;
	int fd;

	if (!jobid_name_valid(id)) {
		errno = EINVAL;
		return -1;
	}
	if (spool_lookup(sp, id, &st, NULL) == -1)
		return -1;
	if (st == SPOOL_DONE || st == SPOOL_FAILED) {
		errno = EALREADY;
		return -1;
	}
	/* O_EXCL: an entry already there is this same request (and is left
	 * unopened); O_NONBLOCK is moot with O_EXCL but costs nothing. */
	fd = openat(sp->dirfd[SPOOL_CANCEL], id,
	    O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
	    0640);
	if (fd == -1)
		return errno == EEXIST ? 0 : -1;
	if (close(fd) == -1 && errno != EINTR)
		return -1;
	return 0;
}
