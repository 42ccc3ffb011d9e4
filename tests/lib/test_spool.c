/* SPDX-License-Identifier: MIT */
/*
 * test_spool: refusals first (missing spool, symlinked or non-directory
 * state dirs, bad names never touching the filesystem), then the exact modes
 * of spool_init, lookup order, plain files, and lookups that never miss a
 * job that a second process keeps moving through every state and back.
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

#include "helpers.h"
#include "spool.h"

static void
test_state_names(void **state)
{
	static const struct {
		const char *text;
		int rc;
		enum spool_state st;
	} cases[] = {
	    {"", -1, 0},
	    {"tmp", -1, 0},
	    {"cancel", -1, 0},
	    {"Queued", -1, 0},
	    {"queued ", -1, 0},
	    {"queued", 0, SPOOL_NEW},
	    {"new", 0, SPOOL_NEW},
	    {"running", 0, SPOOL_RUN},
	    {"run", 0, SPOOL_RUN},
	    {"done", 0, SPOOL_DONE},
	    {"failed", 0, SPOOL_FAILED},
	};
	enum spool_state st;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		errno = 0;
		if (spool_state_parse(cases[i].text, &st) != cases[i].rc)
			fail_msg("'%s'", cases[i].text);
		if (cases[i].rc == 0)
			assert_int_equal(st, cases[i].st);
		else
			assert_int_equal(errno, EINVAL);
	}
	assert_int_equal(spool_state_parse(NULL, &st), -1);
	assert_string_equal(spool_state_dirname(SPOOL_TMP), "tmp");
	assert_string_equal(spool_state_dirname(SPOOL_CANCEL), "cancel");
	assert_string_equal(spool_state_public(SPOOL_NEW), "queued");
	assert_string_equal(spool_state_public(SPOOL_RUN), "running");
	assert_string_equal(spool_state_public(SPOOL_DONE), "done");
	assert_string_equal(spool_state_public(SPOOL_FAILED), "failed");
	assert_null(spool_state_public(SPOOL_TMP));
	assert_null(spool_state_public(SPOOL_CANCEL));
	assert_null(spool_state_public(SPOOL_NSTATES));
	assert_null(spool_state_dirname(SPOOL_NSTATES));
}

static void
test_open_refusals(void **state)
{
	static const struct {
		const char *what; /* how "run" is spoiled */
		int want;
	} cases[] = {
	    {"missing", ENOENT},
	    {"symlink", ENOTDIR}, /* O_DIRECTORY | O_NOFOLLOW */
	    {"file", ENOTDIR},
	    {"fifo", ENOTDIR},
	};
	char base[64], path[128], other[160];
	struct spool sp;
	size_t i;
	int rootfd;

	(void)state;
	th_tmpdir(base, sizeof(base));
	snprintf(path, sizeof(path), "%s/nospool", base);
	errno = 0;
	assert_int_equal(spool_open(&sp, path), -1);
	assert_int_equal(errno, ENOENT);
	spool_close(&sp);
	spool_close(&sp);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(path, sizeof(path), "%s/s%zu", base, i);
		assert_int_equal(spool_init(path, (gid_t)-1), 0);
		rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		assert_int_equal(unlinkat(rootfd, "run", AT_REMOVEDIR), 0);
		if (strcmp(cases[i].what, "symlink") == 0) {
			th_mkdir(rootfd, "elsewhere");
			assert_int_equal(
			    symlinkat("elsewhere", rootfd, "run"), 0);
		} else if (strcmp(cases[i].what, "file") == 0) {
			th_write(rootfd, "run", "");
		} else if (strcmp(cases[i].what, "fifo") == 0) {
			assert_int_equal(mkfifoat(rootfd, "run", 0600), 0);
		}
		errno = 0;
		assert_int_equal(spool_open(&sp, path), -1);
		if (errno != cases[i].want)
			fail_msg("%s: errno %d", cases[i].what, errno);
		/* spool_init refuses a non-directory state path too */
		if (strcmp(cases[i].what, "missing") != 0) {
			errno = 0;
			assert_int_equal(spool_init(path, (gid_t)-1), -1);
			assert_int_equal(errno, ENOTDIR);
		}
		close(rootfd);
	}
	/* the spool root itself must not be a symlink */
	snprintf(path, sizeof(path), "%s/s0", base);
	snprintf(other, sizeof(other), "%s/rootlink", base);
	assert_int_equal(symlink(path, other), 0);
	errno = 0;
	assert_int_equal(spool_open(&sp, other), -1);
	assert_true(errno == ENOTDIR || errno == ELOOP);
	th_rmrf(base);
}

static void
test_init_modes(void **state)
{
	static const struct {
		const char *name;
		mode_t mode;
	} want[] = {
	    {".", SPOOL_MODE_ROOT},
	    {"tmp", SPOOL_MODE_DROP},
	    {"new", SPOOL_MODE_DROP},
	    {"cancel", SPOOL_MODE_DROP},
	    {"run", SPOOL_MODE_STATE},
	    {"done", SPOOL_MODE_STATE},
	    {"failed", SPOOL_MODE_STATE},
	};
	char base[64], path[128];
	struct stat sb;
	size_t i;
	mode_t old = umask(077); /* must not matter */
	gid_t gid = geteuid() == 0 ? 65534 : (gid_t)-1;
	int rootfd;

	(void)state;
	th_tmpdir(base, sizeof(base));
	snprintf(path, sizeof(path), "%s/spool", base);
	assert_int_equal(spool_init(path, gid), 0);
	rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(fstatat(rootfd, want[i].name, &sb, 0), 0);
		if ((sb.st_mode & 07777) != want[i].mode)
			fail_msg("%s: mode %o", want[i].name,
			    (unsigned)(sb.st_mode & 07777));
		if (gid != (gid_t)-1)
			assert_int_equal(sb.st_gid, gid);
	}
	if (gid == (gid_t)-1)
		printf("# group check skipped: chown needs root\n");
	/* a second init keeps what exists, modes included */
	assert_int_equal(fchmodat(rootfd, "done", 0750, 0), 0);
	assert_int_equal(unlinkat(rootfd, "cancel", AT_REMOVEDIR), 0);
	assert_int_equal(spool_init(path, (gid_t)-1), 0);
	assert_int_equal(fstatat(rootfd, "done", &sb, 0), 0);
	assert_int_equal(sb.st_mode & 07777, 0750);
	assert_int_equal(fstatat(rootfd, "cancel", &sb, 0), 0);
	assert_int_equal(sb.st_mode & 07777, SPOOL_MODE_DROP);
	close(rootfd);
	umask(old);
	/* a missing parent */
	snprintf(path, sizeof(path), "%s/no/spool", base);
	errno = 0;
	assert_int_equal(spool_init(path, (gid_t)-1), -1);
	assert_int_equal(errno, ENOENT);
	th_rmrf(base);
}

static void
test_lookup_bad_names(void **state)
{
	static const char *const bad[] = {
	    "", ".", "..", "../x", "a/b", ".job", "a\nb", "caf\xc3\xa9"};
	struct spool nofs;
	enum spool_state st;
	size_t i;
	int fd = 5;

	(void)state;
	/* fds of -1: touching the filesystem would answer EBADF */
	nofs.path = NULL;
	nofs.rootfd = -1;
	for (i = 0; i < SPOOL_NSTATES; i++)
		nofs.dirfd[i] = -1;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		assert_int_equal(spool_lookup(&nofs, bad[i], &st, &fd), -1);
		assert_int_equal(errno, EINVAL);
		assert_int_equal(fd, -1);
	}
	errno = 0;
	assert_int_equal(spool_lookup(&nofs, NULL, &st, NULL), -1);
	assert_int_equal(errno, EINVAL);
}

static void
test_lookup(void **state)
{
	struct tspool *ts = *state;
	const struct spool *sp = &ts->sp;
	enum spool_state st;
	struct stat sb;
	int fd;

	errno = 0;
	assert_int_equal(spool_lookup(sp, "nope", &st, &fd), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(fd, -1);
	/* a symlink, FIFO or socket named like a job is never a job */
	assert_int_equal(symlinkat("/etc", sp->dirfd[SPOOL_NEW], "ln"), 0);
	assert_int_equal(mkfifoat(sp->dirfd[SPOOL_DONE], "ln", 0600), 0);
	assert_int_equal(
	    mknodat(sp->dirfd[SPOOL_FAILED], "ln", S_IFSOCK | 0600, 0), 0);
	errno = 0;
	assert_int_equal(spool_lookup(sp, "ln", &st, &fd), -1);
	assert_int_equal(errno, ENOENT);
	/* a directory in run/ is found, its fd is an O_PATH directory fd */
	th_mkdir(sp->dirfd[SPOOL_RUN], "J");
	th_write(sp->dirfd[SPOOL_RUN], "J/job", "{}");
	assert_int_equal(spool_lookup(sp, "J", &st, &fd), 0);
	assert_int_equal(st, SPOOL_RUN);
	assert_true(fd >= 0);
	assert_int_equal(fstatat(fd, "job", &sb, 0), 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_PATH, O_PATH);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	close(fd);
	assert_int_equal(spool_lookup(sp, "J", &st, NULL), 0);
	/* present twice: the order of flow decides (new before run) */
	th_mkdir(sp->dirfd[SPOOL_NEW], "J");
	assert_int_equal(spool_lookup(sp, "J", &st, &fd), 0);
	assert_int_equal(st, SPOOL_NEW);
	close(fd);
	th_mkdir(sp->dirfd[SPOOL_DONE], "K");
	th_mkdir(sp->dirfd[SPOOL_FAILED], "K");
	assert_int_equal(spool_lookup(sp, "K", &st, &fd), 0);
	assert_int_equal(st, SPOOL_DONE);
	close(fd);
	th_mkdir(sp->dirfd[SPOOL_FAILED], "F");
	assert_int_equal(spool_lookup(sp, "F", &st, &fd), 0);
	assert_int_equal(st, SPOOL_FAILED);
	close(fd);
	/* a plain file in new/ is a queued hand-dropped job, without fd */
	th_write(sp->dirfd[SPOOL_NEW], "plain", "work");
	fd = 7;
	assert_int_equal(spool_lookup(sp, "plain", &st, &fd), 0);
	assert_int_equal(st, SPOOL_NEW);
	assert_int_equal(fd, -1);
	/* but a plain file in done/ is not a job */
	th_write(sp->dirfd[SPOOL_DONE], "plain2", "x");
	assert_int_equal(spool_lookup(sp, "plain2", &st, &fd), -1);
	/* tmp/ and cancel/ are not states a lookup finds */
	th_mkdir(sp->dirfd[SPOOL_TMP], "T");
	th_mkdir(sp->dirfd[SPOOL_CANCEL], "T");
	errno = 0;
	assert_int_equal(spool_lookup(sp, "T", &st, &fd), -1);
	assert_int_equal(errno, ENOENT);
}

static void
test_listing(void **state)
{
	struct tspool *ts = *state;
	int fd;

	fd = spool_open_listing(&ts->sp, SPOOL_NEW);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_PATH, 0);
	close(fd);
	errno = 0;
	assert_int_equal(spool_open_listing(&ts->sp, SPOOL_NSTATES), -1);
	assert_int_equal(errno, EINVAL);
}

static int
listing_as_nobody(void *arg)
{
	const char *path = arg;
	struct spool sp;
	enum spool_state st;
	int rc = 0;

	if (spool_open(&sp, path) == -1)
		return 10;
	/* may look a job up by name, but may not list */
	if (spool_open_listing(&sp, SPOOL_DONE) != -1 || errno != EACCES)
		rc = 11;
	else if (spool_lookup(&sp, "J", &st, NULL) == -1 || st != SPOOL_DONE)
		rc = 12;
	spool_close(&sp);
	return rc;
}

static void
test_group_may_search_not_list(void **state)
{
	struct tspool *ts = *state;
	int rc;

	/* make the spool's group nobody's: 65534 as in th_as_nobody */
	if (!tspool_nobody_group(ts))
		return;
	th_mkdir(ts->sp.dirfd[SPOOL_DONE], "J");
	rc = th_as_nobody(listing_as_nobody, ts->path);
	assert_int_equal(rc, 0);
}

/* A mover (th_mover) cycles one job through new, run, done, failed and
 * back to new (the retry), pausing after each move back until two lookups
 * have started: none may miss. */
static void
test_lookup_never_misses_moving_job(void **state)
{
	struct tspool *ts = *state;
	const struct spool *sp = &ts->sp;
	struct th_mover mover;
	enum spool_state st;
	int misses = 0, fd;

	th_mkdir(sp->dirfd[SPOOL_NEW], "M");
	th_mover_start(&mover, sp, "M");
	while (th_mover_next(&mover)) {
		if (spool_lookup(sp, "M", &st, &fd) == -1)
			misses++;
		else if (fd >= 0)
			close(fd);
	}
	th_mover_finish(&mover);
	assert_int_equal(misses, 0);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, tspool_setup, tspool_teardown)
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_state_names),
	    cmocka_unit_test(test_open_refusals),
	    cmocka_unit_test(test_lookup_bad_names),
	    cmocka_unit_test(test_init_modes),
	    T(test_lookup),
	    T(test_listing),
	    T(test_group_may_search_not_list),
	    T(test_lookup_never_misses_moving_job),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
