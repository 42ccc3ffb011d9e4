/* SPDX-License-Identifier: MIT */
/*
 * test_cancel: cancel_request() on real temporary spools: invalid IDs never
 * touch the filesystem, unknown and finished jobs are refused, queued (dir
 * or plain file) and running jobs get cancel/ID (mode 0640), asking twice
 * is fine, an entry planted in cancel/ is never followed, and a producer in
 * the spool's group (uid 65534, root only) may cancel but not list.
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

#include "cancel.h"
#include "helpers.h"

/* A job directory ID in state st with a job file. */
static void
make_job(const struct spool *sp, enum spool_state st, const char *id)
{
	int fd;

	th_mkdir(sp->dirfd[st], id);
	fd = openat(sp->dirfd[st], id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	th_write(fd, "job", "{}");
	close(fd);
}

static void
test_refused(void **state)
{
	struct tspool *ts = *state;
	const struct spool *sp = &ts->sp;
	static const struct {
		const char *name;
		const char *id;
		int want;
	} cases[] = {
	    {"NULL", NULL, EINVAL},
	    {"empty", "", EINVAL},
	    {"dot-dot", "..", EINVAL},
	    {"slash", "a/b", EINVAL},
	    {"hidden", ".x", EINVAL},
	    {"unknown", "nobody-here", ENOENT},
	    {"done", "job-done", EALREADY},
	    {"failed", "job-failed", EALREADY},
	};

	make_job(sp, SPOOL_DONE, "job-done");
	make_job(sp, SPOOL_FAILED, "job-failed");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		errno = 0;
		assert_int_equal(cancel_request(sp, cases[i].id), -1);
		if (errno != cases[i].want)
			fail_msg("%s: errno %d, want %d", cases[i].name, errno,
			    cases[i].want);
	}
	assert_int_equal(th_count(sp, SPOOL_CANCEL), 0);
}

static void
test_accepted(void **state)
{
	struct tspool *ts = *state;
	const struct spool *sp = &ts->sp;
	static const struct {
		const char *id;
		enum spool_state st;
		bool plain_file;
	} cases[] = {
	    {"queued-dir", SPOOL_NEW, false},
	    {"queued-file", SPOOL_NEW, true},
	    {"running", SPOOL_RUN, false},
	};
	struct stat sb;
	mode_t old = umask(022);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].plain_file)
			th_write(sp->dirfd[cases[i].st], cases[i].id, "x");
		else
			make_job(sp, cases[i].st, cases[i].id);
		assert_int_equal(cancel_request(sp, cases[i].id), 0);
		assert_int_equal(fstatat(sp->dirfd[SPOOL_CANCEL], cases[i].id,
				     &sb, AT_SYMLINK_NOFOLLOW),
		    0);
		assert_true(S_ISREG(sb.st_mode));
		assert_int_equal(sb.st_mode & 07777, 0640);
		assert_int_equal(sb.st_size, 0);
		/* idempotent */
		assert_int_equal(cancel_request(sp, cases[i].id), 0);
		/* the job itself is untouched */
		assert_true(th_exists(sp->dirfd[cases[i].st], cases[i].id));
	}
	assert_int_equal(th_count(sp, SPOOL_CANCEL), 3);
	umask(old);
}

static void
test_planted_entry_not_followed(void **state)
{
	struct tspool *ts = *state;
	const struct spool *sp = &ts->sp;
	char target[160];
	struct stat sb;

	make_job(sp, SPOOL_RUN, "victim");
	snprintf(target, sizeof(target), "%s/elsewhere", ts->base);
	assert_int_equal(
	    symlinkat(target, sp->dirfd[SPOOL_CANCEL], "victim"), 0);
	assert_int_equal(cancel_request(sp, "victim"), 0);
	assert_int_equal(lstat(target, &sb), -1); /* never created */
	assert_int_equal(errno, ENOENT);
	assert_int_equal(mkfifoat(sp->dirfd[SPOOL_CANCEL], "fifo", 0600), 0);
	make_job(sp, SPOOL_NEW, "fifo");
	assert_int_equal(cancel_request(sp, "fifo"), 0); /* no hang */
}

static int
cancel_as_producer(void *arg)
{
	struct spool sp;
	int rc = 0, fd;

	if (spool_open(&sp, arg) == -1)
		return 10;
	if (cancel_request(&sp, "grp-job") == -1)
		rc = 11;
	else if (cancel_request(&sp, "grp-job") == -1)
		rc = 12; /* root's or our own file: still fine */
	fd = spool_open_listing(&sp, SPOOL_NEW);
	if (fd != -1 || errno != EACCES)
		rc = 13; /* the group may not list */
	if (fd != -1)
		close(fd);
	spool_close(&sp);
	return rc;
}

static void
test_group_producer(void **state)
{
	struct tspool *ts = *state;
	const struct spool *sp = &ts->sp;
	static const char *const dirs[] = {
	    ".", "tmp", "new", "run", "done", "failed", "cancel"};
	int rc;

	if (geteuid() != 0) {
		/* Without root the modes cannot be tested for another
		 * user; the rest of the file still ran. */
		skip();
	}
	make_job(sp, SPOOL_RUN, "grp-job");
	assert_int_equal(chmod(ts->base, 0711), 0); /* mkdtemp made it 0700 */
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char path[256];

		snprintf(path, sizeof(path), "%s/%s", ts->path, dirs[i]);
		assert_int_equal(chown(path, 0, 65534), 0);
	}
	rc = th_as_nobody(cancel_as_producer, ts->path);
	assert_int_equal(rc, 0);
	assert_true(th_exists(sp->dirfd[SPOOL_CANCEL], "grp-job"));
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, tspool_setup, tspool_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_refused),
	    T(test_accepted),
	    T(test_planted_entry_not_followed),
	    T(test_group_producer),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
