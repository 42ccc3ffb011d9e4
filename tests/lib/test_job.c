/* SPDX-License-Identifier: MIT */
/*
 * test_job: claims of everything that is not a job first (bad names,
 * symlinks, FIFOs, sockets, devices, job dirs without a regular job file),
 * locked and vanished jobs, then real claims of directories and plain
 * files, forked claimers racing for one job (exactly one wins), rejects that
 * never follow a symlink, moves, lock probes and run/ recovery, and the
 * "submitted" time peeked from a job file's head.
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
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "job.h"
#include "status.h"

static bool
is_locked(int dirfd, const char *path)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	bool locked;

	assert_true(fd >= 0);
	locked = flock(fd, LOCK_EX | LOCK_NB) == -1 && errno == EWOULDBLOCK;
	close(fd);
	return locked;
}

static void
test_lost_race_errnos(void **state)
{
	static const struct {
		int err;
		bool lost;
	} cases[] = {
	    {ENOENT, true},
	    {EEXIST, true},
	    {ESTALE, true},
	    {ENOTEMPTY, true},
	    {EACCES, false},
	    {EIO, false},
	    {ENOSPC, false},
	    {EINVAL, false},
	    {0, false},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(job_lost_race(cases[i].err), cases[i].lost);
}

static void
test_claim_not_a_job(void **state)
{
	struct tspool *ts = *state;
	const struct spool *sp = &ts->sp;
	int newfd = sp->dirfd[SPOOL_NEW], lockfd;
	static const char *const names[] = {
	    ".hidden",
	    "bad name",
	    "symlink",
	    "dirlink",
	    "fifo",
	    "sock",
	    "nojob",
	    "joblink",
	    "jobfifo",
	    "jobdir",
	    "jobsock",
	    "dev",
	    "jobdev",
	};
	size_t i;

	th_write(newfd, ".hidden", "x");
	th_write(newfd, "bad name", "x");
	th_write(ts->sp.dirfd[SPOOL_TMP], "target", "secret");
	assert_int_equal(symlinkat("../tmp/target", newfd, "symlink"), 0);
	th_mkdir(ts->sp.dirfd[SPOOL_TMP], "realjob");
	th_write(ts->sp.dirfd[SPOOL_TMP], "realjob/job", "{}");
	assert_int_equal(symlinkat("../tmp/realjob", newfd, "dirlink"), 0);
	assert_int_equal(mkfifoat(newfd, "fifo", 0600), 0);
	assert_int_equal(mknodat(newfd, "sock", S_IFSOCK | 0600, 0), 0);
	th_mkdir(newfd, "nojob");
	th_mkdir(newfd, "joblink");
	assert_int_equal(
	    symlinkat("../../tmp/target", newfd, "joblink/job"), 0);
	th_mkdir(newfd, "jobfifo");
	assert_int_equal(mkfifoat(newfd, "jobfifo/job", 0600), 0);
	th_mkdir(newfd, "jobdir");
	th_mkdir(newfd, "jobdir/job");
	th_mkdir(newfd, "jobsock");
	assert_int_equal(mknodat(newfd, "jobsock/job", S_IFSOCK | 0600, 0), 0);
	th_mkdir(newfd, "jobdev");
	if (geteuid() == 0) {
		/* /dev/null's numbers: harmless even if it were opened */
		assert_int_equal(
		    mknodat(newfd, "dev", S_IFCHR | 0600, makedev(1, 3)), 0);
		assert_int_equal(
		    mknodat(newfd, "jobdev/job", S_IFCHR | 0600, makedev(1, 3)),
		    0);
	} else {
		printf("# device rows use FIFOs: mknod of a device needs "
		       "root\n");
		assert_int_equal(mkfifoat(newfd, "dev", 0600), 0);
		assert_int_equal(mkfifoat(newfd, "jobdev/job", 0600), 0);
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		lockfd = 99;
		if (job_claim(sp, names[i], &lockfd) != JOB_CLAIM_BAD)
			fail_msg("%s: not BAD", names[i]);
		assert_int_equal(lockfd, -1);
		assert_true(th_exists(newfd, names[i])); /* left alone */
	}
	assert_int_equal(job_claim(sp, "", &lockfd), JOB_CLAIM_BAD);
	assert_int_equal(job_claim(sp, "..", &lockfd), JOB_CLAIM_BAD);
	assert_int_equal(job_claim(sp, "a/b", &lockfd), JOB_CLAIM_BAD);
	assert_int_equal(th_count(sp, SPOOL_RUN), 0);
	/* the symlinks' targets were not moved */
	assert_true(th_exists(ts->sp.dirfd[SPOOL_TMP], "realjob/job"));
}

static void
test_claim_lost(void **state)
{
	struct tspool *ts = *state;
	const struct spool *sp = &ts->sp;
	int newfd = sp->dirfd[SPOOL_NEW], lockfd, holder;

	assert_int_equal(job_claim(sp, "gone", &lockfd), JOB_CLAIM_LOST);
	assert_int_equal(lockfd, -1);
	/* someone holds the lock: not ours */
	th_mkdir(newfd, "held");
	th_write(newfd, "held/job", "{}");
	holder = openat(newfd, "held/job", O_RDONLY | O_CLOEXEC);
	assert_int_equal(flock(holder, LOCK_EX), 0);
	assert_int_equal(job_claim(sp, "held", &lockfd), JOB_CLAIM_LOST);
	assert_true(th_exists(newfd, "held"));
	close(holder);
	th_write(newfd, "heldfile", "work");
	holder = openat(newfd, "heldfile", O_RDONLY | O_CLOEXEC);
	assert_int_equal(flock(holder, LOCK_EX), 0);
	assert_int_equal(job_claim(sp, "heldfile", &lockfd), JOB_CLAIM_LOST);
	assert_true(th_exists(newfd, "heldfile"));
	close(holder);
	/* run/NAME already there (another claimer, or a crash) */
	th_mkdir(newfd, "twice");
	th_write(newfd, "twice/job", "{}");
	th_mkdir(sp->dirfd[SPOOL_RUN], "twice");
	th_write(sp->dirfd[SPOOL_RUN], "twice/job", "{}");
	assert_int_equal(job_claim(sp, "twice", &lockfd), JOB_CLAIM_LOST);
	th_write(newfd, "plain", "work");
	th_mkdir(sp->dirfd[SPOOL_RUN], "plain");
	assert_int_equal(job_claim(sp, "plain", &lockfd), JOB_CLAIM_LOST);
	assert_true(th_exists(newfd, "plain"));
	assert_true(th_exists(newfd, "twice"));
}

static void
test_claim_dir(void **state)
{
	struct tspool *ts = *state;
	const struct spool *sp = &ts->sp;
	struct stat a, b;
	int lockfd;

	th_mkdir(sp->dirfd[SPOOL_NEW], "J");
	th_write(sp->dirfd[SPOOL_NEW], "J/job", "{\"id\":\"J\"}");
	assert_int_equal(job_claim(sp, "J", &lockfd), JOB_CLAIMED);
	assert_true(lockfd >= 0);
	assert_int_equal(fcntl(lockfd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	assert_false(th_exists(sp->dirfd[SPOOL_NEW], "J"));
	assert_int_equal(fstat(lockfd, &a), 0);
	assert_int_equal(fstatat(sp->dirfd[SPOOL_RUN], "J/job", &b, 0), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	assert_true(is_locked(sp->dirfd[SPOOL_RUN], "J/job"));
	/* a probe says: alive */
	errno = 0;
	assert_int_equal(job_lock_probe(sp, "J"), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	close(lockfd);
	assert_false(is_locked(sp->dirfd[SPOOL_RUN], "J/job"));
}

static void
test_claim_file(void **state)
{
	struct tspool *ts = *state;
	const struct spool *sp = &ts->sp;
	struct stat a, b;
	char *text;
	int lockfd;

	th_write(sp->dirfd[SPOOL_NEW], "dropped.txt", "hand-made work");
	assert_int_equal(
	    fstatat(sp->dirfd[SPOOL_NEW], "dropped.txt", &a, 0), 0);
	assert_int_equal(job_claim(sp, "dropped.txt", &lockfd), JOB_CLAIMED);
	assert_false(th_exists(sp->dirfd[SPOOL_NEW], "dropped.txt"));
	assert_int_equal(
	    fstatat(sp->dirfd[SPOOL_RUN], "dropped.txt", &b, 0), 0);
	assert_true(S_ISDIR(b.st_mode));
	assert_int_equal(b.st_mode & 07777, SPOOL_MODE_JOBDIR);
	assert_int_equal(
	    fstatat(sp->dirfd[SPOOL_RUN], "dropped.txt/job", &b, 0), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	text = th_read(sp->dirfd[SPOOL_RUN], "dropped.txt/job");
	assert_string_equal(text, "hand-made work");
	free(text);
	assert_true(is_locked(sp->dirfd[SPOOL_RUN], "dropped.txt/job"));
	close(lockfd);
}

/* Forks two claimers that start together; returns a bit per winner. */
static int
race_once(const struct spool *sp, const char *name)
{
	int start[2], wstatus, winners = 0, lost = 0, k;
	pid_t pids[2];
	char go;

	assert_int_equal(pipe2(start, O_CLOEXEC), 0);
	for (k = 0; k < 2; k++) {
		pids[k] = fork();
		assert_true(pids[k] >= 0);
		if (pids[k] == 0) {
			int lockfd;
			enum job_claim_result r;
			close(start[1]);
			if (read(start[0], &go, 1) != 0)
				_exit(20);
			alarm(30);
			r = job_claim(sp, name, &lockfd);
			_exit(r == JOB_CLAIMED        ? 0
				: r == JOB_CLAIM_LOST ? 1
						      : 10 + (int)r);
		}
	}
	close(start[0]);
	close(start[1]); /* EOF releases both at once */
	for (k = 0; k < 2; k++) {
		assert_int_equal(waitpid(pids[k], &wstatus, 0), pids[k]);
		assert_true(WIFEXITED(wstatus));
		if (WEXITSTATUS(wstatus) == 0)
			winners++;
		else if (WEXITSTATUS(wstatus) == 1)
			lost++;
		else
			fail_msg("claimer exit %d", WEXITSTATUS(wstatus));
	}
	assert_int_equal(lost, 2 - winners);
	return winners;
}

static void
test_claim_race(void **state)
{
	struct tspool *ts = *state;
	const struct spool *sp = &ts->sp;
	char name[32];
	int i;

	for (i = 0; i < 150; i++) {
		snprintf(name, sizeof(name), "race%d", i);
		if (i % 2 == 0) {
			th_mkdir(sp->dirfd[SPOOL_NEW], name);
			snprintf(name + strlen(name), 8, "/job");
			th_write(sp->dirfd[SPOOL_NEW], name, "{}");
			name[strlen(name) - 4] = '\0';
		} else {
			th_write(sp->dirfd[SPOOL_NEW], name, "plain");
		}
		if (race_once(sp, name) != 1)
			fail_msg("%s: not exactly one winner", name);
		assert_false(th_exists(sp->dirfd[SPOOL_NEW], name));
		snprintf(name + strlen(name), 8, "/job");
		assert_true(th_exists(sp->dirfd[SPOOL_RUN], name));
	}
	assert_int_equal(th_count(sp, SPOOL_NEW), 0);
	assert_int_equal(th_count(sp, SPOOL_RUN), 150);
}

static void
assert_rejected(const struct spool *sp, const char *id)
{
	struct status st;
	int fd;

	fd = openat(sp->dirfd[SPOOL_FAILED], id,
	    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(status_read(fd, &st), 0);
	assert_string_equal(st.id, id);
	assert_int_equal(st.state, SPOOL_FAILED);
	assert_string_equal(st.reason, "rejected");
	assert_int_equal(st.exit_code, -1);
	assert_true(st.finished_ms > 0);
	status_fini(&st);
	close(fd);
}

static void
test_reject(void **state)
{
	struct tspool *ts = *state;
	const struct spool *sp = &ts->sp;
	int newfd = sp->dirfd[SPOOL_NEW], failedfd = sp->dirfd[SPOOL_FAILED];
	char newid[JOBID_NAME_MAX + 1], link[64];
	struct stat sb;
	ssize_t n;

	/* a missing entry: an error, and nothing left in failed/ */
	errno = 0;
	assert_int_equal(job_reject(sp, "missing", newid, true), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(th_count(sp, SPOOL_FAILED), 0);
	errno = 0;
	assert_int_equal(job_reject(sp, "..", newid, true), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(job_reject(sp, "a/b", newid, true), -1);
	assert_int_equal(th_count(sp, SPOOL_FAILED), 0);

	/* a symlink moves as a symlink; its target is never touched */
	th_write(sp->dirfd[SPOOL_TMP], "victim", "v");
	assert_int_equal(symlinkat("../../tmp/victim", newfd, "evil"), 0);
	assert_int_equal(job_reject(sp, "evil", newid, true), 0);
	assert_string_equal(newid, "evil");
	assert_false(th_exists(newfd, "evil"));
	assert_int_equal(
	    fstatat(failedfd, "evil/job", &sb, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISLNK(sb.st_mode));
	n = readlinkat(failedfd, "evil/job", link, sizeof(link) - 1);
	assert_true(n > 0);
	link[n] = '\0';
	assert_string_equal(link, "../../tmp/victim");
	assert_true(th_exists(sp->dirfd[SPOOL_TMP], "victim"));
	assert_rejected(sp, "evil");

	/* an invalid name gets a fresh ID */
	assert_int_equal(mkfifoat(newfd, ".hidden fifo", 0600), 0);
	assert_int_equal(job_reject(sp, ".hidden fifo", newid, false), 0);
	assert_true(jobid_generated_valid(newid));
	assert_int_equal(fstatat(failedfd, newid, &sb, 0), 0);
	assert_int_equal(sb.st_mode & 07777, SPOOL_MODE_JOBDIR);
	assert_int_equal(fstatat(failedfd, "x", &sb, 0), -1);
	{
		char path[JOBID_NAME_MAX + 8];
		snprintf(path, sizeof(path), "%s/job", newid);
		assert_int_equal(
		    fstatat(failedfd, path, &sb, AT_SYMLINK_NOFOLLOW), 0);
		assert_true(S_ISFIFO(sb.st_mode));
	}
	assert_rejected(sp, newid);

	/* failed/NAME taken: a fresh ID too; a directory moves whole */
	th_mkdir(newfd, "evil");
	th_write(newfd, "evil/data", "d");
	assert_int_equal(job_reject(sp, "evil", newid, true), 0);
	assert_string_not_equal(newid, "evil");
	assert_rejected(sp, newid);
	assert_int_equal(job_reject(sp, "nothing", NULL, true), -1);
	assert_int_equal(th_count(sp, SPOOL_NEW), 0);
	assert_int_equal(th_count(sp, SPOOL_FAILED), 3);
}

static void
test_move(void **state)
{
	struct tspool *ts = *state;
	const struct spool *sp = &ts->sp;

	errno = 0;
	assert_int_equal(job_move(sp, "../x", SPOOL_NEW, SPOOL_RUN), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(job_move(sp, "x", SPOOL_NEW, SPOOL_NSTATES), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(job_move(sp, "x", SPOOL_NEW, SPOOL_RUN), -1);
	assert_true(job_lost_race(errno));
	th_mkdir(sp->dirfd[SPOOL_RUN], "x");
	th_write(sp->dirfd[SPOOL_RUN], "x/job", "");
	th_mkdir(sp->dirfd[SPOOL_DONE], "x");
	th_write(sp->dirfd[SPOOL_DONE], "x/job", "");
	errno = 0;
	assert_int_equal(job_move(sp, "x", SPOOL_RUN, SPOOL_DONE), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(job_move(sp, "x", SPOOL_RUN, SPOOL_FAILED), 0);
	assert_true(th_exists(sp->dirfd[SPOOL_FAILED], "x/job"));
	assert_int_equal(job_move(sp, "x", SPOOL_FAILED, SPOOL_NEW), 0);
	assert_true(th_exists(sp->dirfd[SPOOL_NEW], "x/job"));
	/* an empty directory at the target is not replaced either */
	th_mkdir(sp->dirfd[SPOOL_RUN], "y");
	th_mkdir(sp->dirfd[SPOOL_DONE], "y");
	th_write(sp->dirfd[SPOOL_RUN], "y/job", "");
	errno = 0;
	assert_int_equal(job_move(sp, "y", SPOOL_RUN, SPOOL_DONE), -1);
	assert_int_equal(errno, EEXIST);
}

static void
test_probe_and_recover(void **state)
{
	struct tspool *ts = *state;
	const struct spool *sp = &ts->sp;
	int runfd = sp->dirfd[SPOOL_RUN], fd, lockfd;

	errno = 0;
	assert_int_equal(job_lock_probe(sp, "../new"), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(job_lock_probe(sp, "none"), -1);
	assert_int_equal(errno, ENOENT);
	th_mkdir(runfd, "empty");
	errno = 0;
	assert_int_equal(job_lock_probe(sp, "empty"), -1);
	assert_int_equal(errno, ENOENT);
	/* an empty run/ID (crash between mkdir and rename) is removed */
	assert_int_equal(job_recover_run(sp, "empty"), 0);
	assert_false(th_exists(runfd, "empty"));
	errno = 0;
	assert_int_equal(job_recover_run(sp, "empty"), -1);
	assert_int_equal(errno, ENOENT);
	errno = 0;
	assert_int_equal(job_recover_run(sp, "a/b"), -1);
	assert_int_equal(errno, EINVAL);
	/* an orphan: its lock is free, the probe takes it */
	th_mkdir(runfd, "orphan");
	th_write(runfd, "orphan/job", "{}");
	fd = job_lock_probe(sp, "orphan");
	assert_true(fd >= 0);
	assert_true(is_locked(runfd, "orphan/job"));
	errno = 0;
	assert_int_equal(job_recover_run(sp, "orphan"), -1);
	assert_int_equal(errno, ENOTEMPTY);
	assert_true(th_exists(runfd, "orphan/job"));
	close(fd);
	/* a claimed job is alive for a probe in another process too */
	th_mkdir(sp->dirfd[SPOOL_NEW], "live");
	th_write(sp->dirfd[SPOOL_NEW], "live/job", "{}");
	assert_int_equal(job_claim(sp, "live", &lockfd), JOB_CLAIMED);
	{
		pid_t pid = fork();
		int wstatus;
		assert_true(pid >= 0);
		if (pid == 0)
			_exit(job_lock_probe(sp, "live") == -1 &&
				    errno == EWOULDBLOCK
				? 0
				: 1);
		assert_int_equal(waitpid(pid, &wstatus, 0), pid);
		assert_true(WIFEXITED(wstatus));
		assert_int_equal(WEXITSTATUS(wstatus), 0);
	}
	close(lockfd);
	fd = job_lock_probe(sp, "live");
	assert_true(fd >= 0);
	close(fd);
}

/* job_peek_submitted(): the "submitted" field at the head of chute's JSON,
 * else the file's mtime (set here to a known value). */
static void
test_peek_submitted(void **state)
{
	struct tspool *ts = *state;
	int dirfd = ts->sp.dirfd[SPOOL_TMP];
	const int64_t mtime_ms = 1700000000123;
	const struct timespec times[2] = {{.tv_sec = 0, .tv_nsec = UTIME_OMIT},
	    {.tv_sec = 1700000000, .tv_nsec = 123456789}};
	static char far[JOB_PEEK_BYTES + 64], cut[JOB_PEEK_BYTES + 64];
	const struct {
		const char *name;
		const char *content;
		int64_t want; /* -1: the mtime */
	} cases[] = {
	    {"chute's JSON",
		"{\"id\":\"X\",\"submitted\":\"2024-01-01T00:00:00.000Z\"}",
		1704067200000},
	    {"blanks around the colon",
		"{ \"submitted\" :\n\t\"2024-01-01T00:00:01.500Z\" }",
		1704067201500},
	    {"offset +00:00", "{\"submitted\":\"2024-01-01T00:00:02+00:00\"}",
		1704067202000},
	    {"not JSON", "submitted: \"2024-01-01T00:00:00Z\"\n", -1},
	    {"no submitted field", "{\"id\":\"X\"}", -1},
	    {"submitted is null", "{\"submitted\":null}", -1},
	    {"submitted is a number", "{\"submitted\":1704067200}", -1},
	    {"not a time", "{\"submitted\":\"yesterday\"}", -1},
	    {"unterminated string", "{\"submitted\":\"2024-01-01T00:00", -1},
	    {"the epoch itself", "{\"submitted\":\"1970-01-01T00:00:00Z\"}",
		-1},
	    {"empty file", "", -1},
	    {"beyond the peeked head", far, -1},
	    {"value cut by the peeked head", cut, -1},
	};
	size_t i;
	int fd;

	/* "{", blanks up to the limit, then the field: never seen. */
	memset(far, ' ', JOB_PEEK_BYTES);
	far[0] = '{';
	snprintf(far + JOB_PEEK_BYTES, sizeof(far) - JOB_PEEK_BYTES,
	    "\"submitted\":\"2024-01-01T00:00:00Z\"}");
	/* The key inside the head, its value's closing quote past it. */
	memset(cut, ' ', JOB_PEEK_BYTES - 20);
	cut[0] = '{';
	snprintf(cut + JOB_PEEK_BYTES - 20, sizeof(cut) - JOB_PEEK_BYTES + 20,
	    "\"submitted\":\"2024-01-01T00:00:00Z\"}");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t want = cases[i].want == -1 ? mtime_ms : cases[i].want;

		th_write(dirfd, "peek", cases[i].content);
		assert_int_equal(utimensat(dirfd, "peek", times, 0), 0);
		fd = openat(dirfd, "peek", O_RDONLY | O_CLOEXEC);
		assert_true(fd >= 0);
		/* pread: the caller's file offset stays where it was */
		assert_true(lseek(fd, 1, SEEK_SET) == 1);
		if (job_peek_submitted(fd) != want)
			fail_msg("%s: got %jd, want %jd", cases[i].name,
			    (intmax_t)job_peek_submitted(fd), (intmax_t)want);
		assert_true(lseek(fd, 0, SEEK_CUR) == 1);
		close(fd);
	}
	/* neither readable nor stat-able: 0 */
	assert_true(job_peek_submitted(-1) == 0);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, tspool_setup, tspool_teardown)
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lost_race_errnos),
	    T(test_claim_not_a_job),
	    T(test_claim_lost),
	    T(test_claim_dir),
	    T(test_claim_file),
	    T(test_claim_race),
	    T(test_reject),
	    T(test_move),
	    T(test_probe_and_recover),
	    T(test_peek_submitted),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
