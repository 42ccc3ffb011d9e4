/* SPDX-License-Identifier: MIT */
/*
 * helpers: temporary spools and small file utilities for the libchute unit
 * tests. Everything is real: mkdtemp under $TMPDIR (default /tmp), real
 * spool_init(), real processes. Teardown removes all it made.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fsio.h"
#include "helpers.h"

void
th_tmpdir(char *buf, size_t len)
{
	const char *tmp = getenv("TMPDIR");

	if (tmp == NULL || tmp[0] == '\0' || strlen(tmp) > 40)
		tmp = "/tmp";
	snprintf(buf, len, "%s/chute-test.XXXXXX", tmp);
	assert_non_null(mkdtemp(buf));
}

void
th_rmrf(const char *path)
{
	int rc = fsio_remove_tree(AT_FDCWD, path);

	assert_true(rc == 0 || errno == ENOENT);
}

int
tspool_setup(void **state)
{
	struct tspool *ts = calloc(1, sizeof(*ts));

	assert_non_null(ts);
	th_tmpdir(ts->base, sizeof(ts->base));
	snprintf(ts->path, sizeof(ts->path), "%s/spool", ts->base);
	assert_int_equal(spool_init(ts->path, (gid_t)-1), 0);
	assert_int_equal(spool_open(&ts->sp, ts->path), 0);
	*state = ts;
	return 0;
}

int
tspool_teardown(void **state)
{
	struct tspool *ts = *state;

	if (ts == NULL)
		return 0;
	spool_close(&ts->sp);
	th_rmrf(ts->base);
	free(ts);
	*state = NULL;
	return 0;
}

void
th_write(int dirfd, const char *name, const char *content)
{
	int fd = openat(dirfd, name,
	    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(fsio_write_all(fd, content, strlen(content)), 0);
	assert_int_equal(close(fd), 0);
}

void
th_mkdir(int dirfd, const char *name)
{
	assert_int_equal(mkdirat(dirfd, name, 0755), 0);
}

bool
th_exists(int dirfd, const char *name)
{
	struct stat sb;

	return fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0;
}

char *
th_read(int dirfd, const char *name)
{
	char *buf = NULL;

	assert_int_equal(fsio_read_file(dirfd, name, 1 << 20, &buf, NULL), 0);
	return buf;
}

int
th_count(const struct spool *sp, enum spool_state st)
{
	return th_count_dir(sp->dirfd[st]);
}

int
th_count_dir(int dirfd)
{
	struct dirent *de;
	DIR *dir;
	int fd, n = 0;

	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	dir = fdopendir(fd);
	assert_non_null(dir);
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	}
	closedir(dir);
	return n;
}

int
th_as_nobody(int (*fn)(void *), void *arg)
{
	pid_t pid;
	int wstatus;

	if (geteuid() != 0)
		return -1;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) == -1 ||
		    setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(125);
		_exit(fn(arg) & 0xff);
	}
	assert_int_equal(waitpid(pid, &wstatus, 0), pid);
	assert_true(WIFEXITED(wstatus));
	return WEXITSTATUS(wstatus);
}
