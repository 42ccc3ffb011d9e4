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
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

bool
tspool_nobody_group(struct tspool *ts)
{
	if (geteuid() != 0) {
		printf("# skipped: needs root to switch users\n");
		return false;
	}
	assert_int_equal(chmod(ts->base, 0711), 0);
	spool_close(&ts->sp);
	th_rmrf(ts->path);
	assert_int_equal(spool_init(ts->path, 65534), 0);
	assert_int_equal(spool_open(&ts->sp, ts->path), 0);
	return true;
}

static int
tdir_open(void **state, int flags)
{
	struct tdir *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	th_tmpdir(t->path, sizeof(t->path));
	t->fd = open(t->path, flags | O_DIRECTORY | O_CLOEXEC);
	assert_true(t->fd >= 0);
	*state = t;
	return 0;
}

int
tdir_setup(void **state)
{
	return tdir_open(state, O_RDONLY);
}

int
tdir_path_setup(void **state)
{
	return tdir_open(state, O_PATH);
}

int
tdir_teardown(void **state)
{
	struct tdir *t = *state;

	close(t->fd);
	th_rmrf(t->path);
	free(t);
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

void
th_mover_start(struct th_mover *m, const struct spool *sp, const char *name)
{
	static const enum spool_state cycle[] = {
	    SPOOL_NEW, SPOOL_RUN, SPOOL_DONE, SPOOL_FAILED};

	m->reaped = false;
	m->wstatus = 0;
	m->shared = mmap(NULL, 2 * sizeof(atomic_int), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(m->shared != MAP_FAILED);
	atomic_init(&m->shared[0], 0);
	atomic_init(&m->shared[1], 0);
	m->pid = fork();
	assert_true(m->pid >= 0);
	if (m->pid > 0)
		return;
	alarm(60);
	for (int i = 0; i < TH_MOVER_ROUNDS; i++) {
		int k, seen;

		for (k = 0; k < 3; k++) {
			if (renameat(sp->dirfd[cycle[k]], name,
				sp->dirfd[cycle[k + 1]], name) == -1)
				_exit(1);
		}
		if (renameat(sp->dirfd[SPOOL_FAILED], name,
			sp->dirfd[SPOOL_NEW], name) == -1)
			_exit(2);
		seen = atomic_load(&m->shared[0]);
		while (atomic_load(&m->shared[0]) < seen + 2)
			sched_yield();
	}
	atomic_store(&m->shared[1], 1);
	_exit(0);
}

bool
th_mover_next(struct th_mover *m)
{
	if (atomic_load(&m->shared[1]) != 0)
		return false;
	if (waitpid(m->pid, &m->wstatus, WNOHANG) == m->pid) {
		m->reaped = true;
		return false;
	}
	atomic_fetch_add(&m->shared[0], 1);
	return true;
}

void
th_mover_finish(struct th_mover *m)
{
	if (!m->reaped)
		assert_int_equal(waitpid(m->pid, &m->wstatus, 0), m->pid);
	m->reaped = true;
	munmap(m->shared, 2 * sizeof(atomic_int));
	if (!WIFEXITED(m->wstatus) || WEXITSTATUS(m->wstatus) != 0)
		fail_msg("the mover failed: wait status %#x", m->wstatus);
}
