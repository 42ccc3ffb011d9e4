/* SPDX-License-Identifier: MIT */
/*
 * test_fsio: refusals first (symlinks, FIFOs, devices, directories, too big,
 * a failed replace), then atomic replace, bounded copy, tree removal that
 * never follows a symlink out, directory fsync from O_PATH fds and the
 * EACCES of a write+search-only directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fsio.h"
#include "helpers.h"

static void
test_read_refusals(void **state)
{
	struct tdir *t = *state;
	struct {
		const char *name;
		int want_errno;
	} cases[] = {
	    {"missing", ENOENT},
	    {"link", ELOOP},
	    {"fifo", EINVAL},
	    {"sock", ENXIO},
	    {"dir", EINVAL},
	    {"big", EFBIG},
	};
	char *buf = (char *)1;
	size_t len = 99, i;
	int devfd;

	th_write(t->fd, "target", "secret");
	assert_int_equal(symlinkat("target", t->fd, "link"), 0);
	assert_int_equal(mkfifoat(t->fd, "fifo", 0644), 0);
	assert_int_equal(mknodat(t->fd, "sock", S_IFSOCK | 0644, 0), 0);
	th_mkdir(t->fd, "dir");
	th_write(t->fd, "big", "0123456789a");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		errno = 0;
		if (fsio_read_file(t->fd, cases[i].name, 10, &buf, &len) !=
			-1 ||
		    errno != cases[i].want_errno)
			fail_msg("%s: errno %d, want %d", cases[i].name, errno,
			    cases[i].want_errno);
		assert_null(buf);
		assert_int_equal(len, 0);
	}
	/* a device (every user may open /dev/null): refused, not read */
	devfd = open("/dev", O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(devfd >= 0);
	errno = 0;
	assert_int_equal(fsio_read_file(devfd, "null", 10, &buf, &len), -1);
	assert_int_equal(errno, EINVAL);
	close(devfd);
}

static void
test_read_ok(void **state)
{
	struct tdir *t = *state;
	char *buf;
	size_t len;

	th_write(t->fd, "ten", "0123456789");
	assert_int_equal(fsio_read_file(t->fd, "ten", 10, &buf, &len), 0);
	assert_int_equal(len, 10);
	assert_string_equal(buf, "0123456789");
	free(buf);
	th_write(t->fd, "empty", "");
	assert_int_equal(fsio_read_file(t->fd, "empty", 10, &buf, NULL), 0);
	assert_string_equal(buf, "");
	free(buf);
	/* works relative to an O_PATH directory fd too */
	{
		int pfd = openat(t->fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		assert_int_equal(
		    fsio_read_file(pfd, "ten", 100, &buf, &len), 0);
		free(buf);
		close(pfd);
	}
}

static void
test_atomic_write_failure_keeps_old(void **state)
{
	struct tdir *t = *state;
	char *buf;

	/* renaming a file over a directory fails: no temp file left */
	th_mkdir(t->fd, "isdir");
	th_write(t->fd, "isdir/keep", "k");
	errno = 0;
	assert_int_equal(
	    fsio_atomic_write(t->fd, "isdir", "x", 1, 0644, true), -1);
	assert_int_equal(errno, EISDIR);
	assert_int_equal(th_count_dir(t->fd), 1);
	buf = th_read(t->fd, "isdir/keep");
	assert_string_equal(buf, "k");
	free(buf);
	/* bad names */
	errno = 0;
	assert_int_equal(
	    fsio_atomic_write(t->fd, "a/b", "x", 1, 0644, false), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(fsio_atomic_write(t->fd, "", "x", 1, 0644, false), -1);
	assert_int_equal(errno, EINVAL);
}

static void
test_atomic_write_replaces(void **state)
{
	struct tdir *t = *state;
	struct stat sb;
	char *buf;
	mode_t old = umask(022);

	th_write(t->fd, "status", "old content that is longer");
	assert_int_equal(
	    fsio_atomic_write(t->fd, "status", "new", 3, 0640, true), 0);
	buf = th_read(t->fd, "status");
	assert_string_equal(buf, "new");
	free(buf);
	assert_int_equal(fstatat(t->fd, "status", &sb, 0), 0);
	assert_int_equal(sb.st_mode & 07777, 0640);
	assert_int_equal(
	    fsio_atomic_write(t->fd, "fresh", "", 0, 0600, false), 0);
	assert_int_equal(th_count_dir(t->fd), 2); /* no temporaries left */
	/* over a symlink: the link is replaced, its target untouched */
	th_write(t->fd, "target", "T");
	assert_int_equal(symlinkat("target", t->fd, "link"), 0);
	assert_int_equal(
	    fsio_atomic_write(t->fd, "link", "L", 1, 0600, false), 0);
	buf = th_read(t->fd, "target");
	assert_string_equal(buf, "T");
	free(buf);
	buf = th_read(t->fd, "link");
	assert_string_equal(buf, "L");
	free(buf);
	umask(old);
}

static void
test_copy_limit(void **state)
{
	struct tdir *t = *state;
	struct {
		size_t size;
		uint64_t limit;
		int want;
	} cases[] = {
	    {100000, 99999, -1},
	    {100000, 1, -1},
	    {100000, 100000, 0},
	    {100000, 0, 0},
	    {0, 0, 0},
	    {0, 1, 0},
	};
	char *data = malloc(100000);
	uint64_t copied;
	size_t i;
	int in, out;

	assert_non_null(data);
	for (i = 0; i < 100000; i++)
		data[i] = (char)('a' + i % 26);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		in = openat(
		    t->fd, "in", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		out = openat(
		    t->fd, "out", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		assert_true(in >= 0 && out >= 0);
		assert_int_equal(fsio_write_all(in, data, cases[i].size), 0);
		lseek(in, 0, SEEK_SET);
		errno = 0;
		assert_int_equal(
		    fsio_copy(in, out, cases[i].limit, &copied), cases[i].want);
		if (cases[i].want == -1) {
			assert_int_equal(errno, EFBIG);
			assert_true(copied <= cases[i].limit);
		} else {
			assert_int_equal(copied, cases[i].size);
			assert_int_equal(
			    lseek(out, 0, SEEK_END), (off_t)cases[i].size);
		}
		close(in);
		close(out);
	}
	/* a bad fd is an error, not a silent 0 */
	errno = 0;
	assert_int_equal(fsio_copy(-1, -1, 0, NULL), -1);
	assert_int_equal(errno, EBADF);
	free(data);
}

static void
test_remove_tree(void **state)
{
	struct tdir *t = *state;
	char outside[64], *buf;
	int ofd;

	th_tmpdir(outside, sizeof(outside));
	ofd = open(outside, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	th_write(ofd, "precious", "p");
	errno = 0;
	assert_int_equal(fsio_remove_tree(t->fd, "nothing"), -1);
	assert_int_equal(errno, ENOENT);
	th_mkdir(t->fd, "job");
	th_mkdir(t->fd, "job/a");
	th_mkdir(t->fd, "job/a/b");
	th_write(t->fd, "job/a/b/f", "x");
	th_write(t->fd, "job/.hidden", "x");
	assert_int_equal(mkfifoat(t->fd, "job/fifo", 0600), 0);
	assert_int_equal(symlinkat(outside, t->fd, "job/out"), 0);
	assert_int_equal(symlinkat(outside, t->fd, "job/a/out2"), 0);
	assert_int_equal(fsio_remove_tree(t->fd, "job"), 0);
	assert_false(th_exists(t->fd, "job"));
	buf = th_read(ofd, "precious");
	assert_string_equal(buf, "p");
	free(buf);
	/* a plain file and a lone symlink */
	th_write(t->fd, "plain", "x");
	assert_int_equal(fsio_remove_tree(t->fd, "plain"), 0);
	assert_int_equal(symlinkat(outside, t->fd, "ln"), 0);
	assert_int_equal(fsio_remove_tree(t->fd, "ln"), 0);
	assert_true(th_exists(ofd, "precious"));
	close(ofd);
	th_rmrf(outside);
}

static void
test_rename_noreplace(void **state)
{
	struct tdir *t = *state;

	th_write(t->fd, "a", "A");
	th_write(t->fd, "b", "B");
	th_mkdir(t->fd, "d1");
	th_mkdir(t->fd, "d2");
	errno = 0;
	assert_int_equal(fsio_rename_noreplace(t->fd, "a", t->fd, "b"), -1);
	assert_int_equal(errno, EEXIST);
	errno = 0;
	assert_int_equal(fsio_rename_noreplace(t->fd, "d1", t->fd, "d2"), -1);
	assert_int_equal(errno, EEXIST);
	errno = 0;
	assert_int_equal(fsio_rename_noreplace(t->fd, "zz", t->fd, "c"), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(fsio_rename_noreplace(t->fd, "a", t->fd, "c"), 0);
	assert_false(th_exists(t->fd, "a"));
	assert_true(th_exists(t->fd, "c"));
}

static int
fsync_as_nobody(void *arg)
{
	const char *path = arg;
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd == -1)
		return 10;
	if (fsio_fsync_dir(fd) != -1)
		return 11;
	return errno == EACCES ? 0 : 12;
}

static void
test_fsync_dir(void **state)
{
	struct tdir *t = *state;
	char sub[128];
	int pfd, rc;

	pfd = openat(t->fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(pfd >= 0);
	assert_int_equal(fsio_fsync_dir(pfd), 0);
	assert_int_equal(fsio_fsync_dir(t->fd), 0);
	close(pfd);
	errno = 0;
	assert_int_equal(fsio_fsync_dir(-1), -1);
	assert_int_equal(errno, EBADF);
	/* write+search only, like new/ for a producer: EACCES */
	assert_int_equal(chmod(t->path, 0711), 0);
	snprintf(sub, sizeof(sub), "%s/dropbox", t->path);
	assert_int_equal(mkdir(sub, 0733), 0);
	assert_int_equal(chmod(sub, 0733), 0);
	rc = th_as_nobody(fsync_as_nobody, sub);
	if (rc == -1) {
		printf("# skipped EACCES case: needs root to switch users\n");
		return;
	}
	assert_int_equal(rc, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_read_refusals, tdir_setup, tdir_teardown),
	    cmocka_unit_test_setup_teardown(
		test_atomic_write_failure_keeps_old, tdir_setup, tdir_teardown),
	    cmocka_unit_test_setup_teardown(
		test_read_ok, tdir_setup, tdir_teardown),
	    cmocka_unit_test_setup_teardown(
		test_atomic_write_replaces, tdir_setup, tdir_teardown),
	    cmocka_unit_test_setup_teardown(
		test_copy_limit, tdir_setup, tdir_teardown),
	    cmocka_unit_test_setup_teardown(
		test_remove_tree, tdir_setup, tdir_teardown),
	    cmocka_unit_test_setup_teardown(
		test_rename_noreplace, tdir_setup, tdir_teardown),
	    cmocka_unit_test_setup_teardown(
		test_fsync_dir, tdir_setup, tdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
