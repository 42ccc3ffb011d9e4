/* SPDX-License-Identifier: MIT */
/*
 * test_draft: producer failures first (bad names, busy streams, limits,
 * a picked name taken in any state, a full filesystem), each leaving tmp/
 * clean and new/ empty after draft_abandon(); producers racing for one
 * picked name (exactly one wins); then the exact job layout, the job file,
 * the ID kept after publishing, and a publish by an unprivileged producer
 * who may not read new/.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "draft.h"
#include "fsio.h"
#include "helpers.h"

static void
assert_clean(const struct spool *sp)
{
	assert_int_equal(th_count(sp, SPOOL_TMP), 0);
	assert_int_equal(th_count(sp, SPOOL_NEW), 0);
}

static void
test_create_refusals(void **state)
{
	struct tspool *ts = *state;
	static const char *const bad[] = {
	    "", ".", "..", "a/b", ".x", "a b", "caf\xc3\xa9", "x\n"};
	struct draft d, d2;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		assert_int_equal(
		    draft_create(&d, &ts->sp, bad[i], 0, false), -1);
		assert_int_equal(errno, EINVAL);
		draft_abandon(&d); /* not needed, but harmless */
	}
	assert_int_equal(draft_create(&d, &ts->sp, "mine", 0, false), 0);
	errno = 0;
	assert_int_equal(draft_create(&d2, &ts->sp, "mine", 0, false), -1);
	assert_int_equal(errno, EEXIST);
	draft_abandon(&d2); /* must not remove the other's tmp/mine */
	assert_true(th_exists(ts->sp.dirfd[SPOOL_TMP], "mine"));
	draft_abandon(&d);
	draft_abandon(&d);
	assert_clean(&ts->sp);
	/* a zeroed draft */
	memset(&d, 0, sizeof(d));
	draft_abandon(&d);
}

static void
test_stream_misuse(void **state)
{
	struct tspool *ts = *state;
	static const char *const bad[] = {"", "a/b", "..", "x~2", ".f"};
	struct draft d;
	size_t i;

	assert_int_equal(draft_create(&d, &ts->sp, NULL, 0, false), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		assert_int_equal(draft_add_field(&d, bad[i], "v", 1), -1);
		assert_int_equal(errno, EINVAL);
		errno = 0;
		assert_int_equal(draft_file_begin(&d, bad[i], "f", NULL), -1);
		assert_int_equal(errno, EINVAL);
	}
	errno = 0;
	assert_int_equal(draft_stream_write(&d, "x", 1), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(draft_stream_end(&d), -1);
	assert_int_equal(
	    draft_file_begin(&d, "up", "../../etc/passwd", NULL), 0);
	errno = 0;
	assert_int_equal(draft_file_begin(&d, "up2", NULL, NULL), -1);
	assert_int_equal(errno, EBUSY);
	errno = 0;
	assert_int_equal(draft_body_begin(&d), -1);
	assert_int_equal(errno, EBUSY);
	errno = 0;
	assert_int_equal(draft_add_field(&d, "f", "v", 1), -1);
	assert_int_equal(errno, EBUSY);
	errno = 0;
	assert_int_equal(draft_publish(&d), -1);
	assert_int_equal(errno, EBUSY);
	assert_int_equal(draft_stream_end(&d), 0);
	errno = 0;
	assert_int_equal(draft_file_begin(&d, "up", NULL, NULL), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(draft_body_begin(&d), 0);
	assert_int_equal(draft_stream_end(&d), 0);
	errno = 0;
	assert_int_equal(draft_body_begin(&d), -1);
	assert_int_equal(errno, EEXIST);
	/* the filename is metadata only: nothing was written outside */
	assert_false(th_exists(ts->sp.rootfd, "etc"));
	draft_abandon(&d);
	assert_clean(&ts->sp);
}

static void
test_limit(void **state)
{
	struct tspool *ts = *state;
	static const struct {
		uint64_t limit;
		size_t field, stream;
		bool ok;
	} cases[] = {
	    {10, 11, 0, false},
	    {10, 5, 6, false},
	    {10, 0, 11, false},
	    {10, 5, 5, true},
	    {10, 10, 0, true},
	    {0, 100000, 100000, true},
	};
	char *buf = calloc(1, 100000);
	struct draft d;
	size_t i;
	int rc;

	assert_non_null(buf);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(
		    draft_create(&d, &ts->sp, NULL, cases[i].limit, false), 0);
		rc = draft_add_field(&d, "f", buf, cases[i].field);
		if (rc == 0) {
			assert_int_equal(draft_body_begin(&d), 0);
			rc = draft_stream_write(&d, buf, cases[i].stream);
		}
		if (cases[i].ok) {
			assert_int_equal(rc, 0);
			assert_int_equal(draft_stream_end(&d), 0);
			assert_int_equal(
			    d.total, cases[i].field + cases[i].stream);
		} else {
			assert_int_equal(rc, -1);
			assert_int_equal(errno, EFBIG);
		}
		draft_abandon(&d);
		assert_clean(&ts->sp);
	}
	free(buf);
}

/* A name the producer picked is refused when a job has it in any state
 * dir, also one that got there after draft_create() (another producer's
 * job, claimed at once, while this one was streaming). */
static void
test_publish_exists(void **state)
{
	struct tspool *ts = *state;
	static const enum spool_state states[] = {
	    SPOOL_NEW, SPOOL_RUN, SPOOL_DONE, SPOOL_FAILED};
	struct draft d;
	char *text;
	size_t i;

	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		int dirfd = ts->sp.dirfd[states[i]];

		assert_int_equal(draft_create(&d, &ts->sp, "dup", 0, true), 0);
		assert_int_equal(draft_add_field(&d, "a", "1", 1), 0);
		th_mkdir(dirfd, "dup");
		th_write(dirfd, "dup/job", "theirs");
		errno = 0;
		if (draft_publish(&d) != -1 || errno != EEXIST)
			fail_msg("state %d: publish did not fail EEXIST (%s)",
			    (int)states[i], strerror(errno));
		text = th_read(dirfd, "dup/job");
		assert_string_equal(text, "theirs");
		free(text);
		/* the draft is still there for draft_abandon() */
		assert_true(th_exists(ts->sp.dirfd[SPOOL_TMP], "dup"));
		draft_abandon(&d);
		assert_int_equal(th_count(&ts->sp, SPOOL_TMP), 0);
		assert_int_equal(th_count(&ts->sp, SPOOL_NEW),
		    states[i] == SPOOL_NEW ? 1 : 0);
		assert_int_equal(fsio_remove_tree(dirfd, "dup"), 0);
	}
}

/* draft_publish() keeps d->id, generated or picked; the draft is released
 * otherwise, and draft_abandon() after it removes nothing. */
static void
test_publish_keeps_id(void **state)
{
	struct tspool *ts = *state;
	struct draft d;
	char id[JOBID_NAME_MAX + 1];

	assert_int_equal(draft_create(&d, &ts->sp, NULL, 0, false), 0);
	snprintf(id, sizeof(id), "%s", d.id);
	assert_int_equal(strlen(id), JOBID_LEN);
	assert_int_equal(draft_publish(&d), 0);
	assert_string_equal(d.id, id);
	assert_true(th_exists(ts->sp.dirfd[SPOOL_NEW], id));
	assert_int_equal(d.dirfd, -1);
	assert_null(d.sp);
	draft_abandon(&d);
	assert_true(th_exists(ts->sp.dirfd[SPOOL_NEW], id));

	assert_int_equal(draft_create(&d, &ts->sp, "picked", 0, false), 0);
	assert_int_equal(draft_publish(&d), 0);
	assert_string_equal(d.id, "picked");
	assert_true(th_exists(ts->sp.dirfd[SPOOL_NEW], "picked"));
	assert_int_equal(th_count(&ts->sp, SPOOL_TMP), 0);
}

#define RACE_ROUNDS 40
#define RACE_PRODUCERS 4

/* One producer of the race: drafts the name (again while another draft of
 * it is in tmp/), publishes. Exit 0 published, 1 refused, 2 error. */
static void
race_producer(const struct spool *sp, const char *name, atomic_int *go)
{
	struct draft d;
	int tries = 0;

	alarm(30);
	while (atomic_load(go) == 0)
		sched_yield();
	while (draft_create(&d, sp, name, 0, false) == -1) {
		if (errno != EEXIST || ++tries > 1000000)
			_exit(2);
		sched_yield();
	}
	if (draft_add_field(&d, "a", "1", 1) == 0 && draft_publish(&d) == 0)
		_exit(0);
	draft_abandon(&d);
	_exit(errno == EEXIST ? 1 : 2);
}

/* Producers race to publish one picked name while a watcher claims it out
 * of new/ as soon as it is there: exactly one may succeed, every round.
 * (A lookup before draft_create() alone lets a late producer publish the
 * name again once the first job has left new/.) */
static void
test_publish_race(void **state)
{
	struct tspool *ts = *state;
	const struct spool *sp = &ts->sp;
	pid_t pids[RACE_PRODUCERS], mover;
	atomic_int *go;
	char name[32];
	int r, i, wstatus, won, refused;

	go = mmap(NULL, 2 * sizeof(atomic_int), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(go != MAP_FAILED);
	for (r = 0; r < RACE_ROUNDS; r++) {
		snprintf(name, sizeof(name), "race-%d", r);
		atomic_init(&go[0], 0);
		atomic_init(&go[1], 0);
		mover = fork();
		assert_true(mover >= 0);
		if (mover == 0) {
			alarm(30);
			/* claims new/NAME into run/NAME until told to stop */
			while (atomic_load(&go[1]) == 0)
				(void)renameat(sp->dirfd[SPOOL_NEW], name,
				    sp->dirfd[SPOOL_RUN], name);
			_exit(0);
		}
		for (i = 0; i < RACE_PRODUCERS; i++) {
			pids[i] = fork();
			assert_true(pids[i] >= 0);
			if (pids[i] == 0)
				race_producer(sp, name, &go[0]);
		}
		atomic_store(&go[0], 1);
		won = refused = 0;
		for (i = 0; i < RACE_PRODUCERS; i++) {
			assert_int_equal(
			    waitpid(pids[i], &wstatus, 0), pids[i]);
			assert_true(WIFEXITED(wstatus));
			if (WEXITSTATUS(wstatus) == 0)
				won++;
			else if (WEXITSTATUS(wstatus) == 1)
				refused++;
		}
		atomic_store(&go[1], 1);
		assert_int_equal(waitpid(mover, &wstatus, 0), mover);
		if (won != 1 || refused != RACE_PRODUCERS - 1)
			fail_msg("round %d: %d published, %d refused", r, won,
			    refused);
		assert_int_equal(th_count(sp, SPOOL_TMP), 0);
	}
	munmap(go, 2 * sizeof(atomic_int));
}

/* Fills the filesystem of dirfd until ENOSPC. */
static void
fill_fs(int dirfd)
{
	char buf[4096];
	int fd, i = 0;

	memset(buf, 'f', sizeof(buf));
	fd = openat(dirfd, "filler", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	while (write(fd, buf, sizeof(buf)) > 0 && i++ < 100000)
		;
	assert_int_equal(errno, ENOSPC);
	close(fd);
}

/* The small tmpfs of test_full_filesystem, unmounted by its teardown even
 * when an assertion fails half-way. */
static char full_base[64], full_mnt[96];
static bool full_mounted;

static int
full_teardown(void **state)
{
	(void)state;
	if (full_mounted && umount2(full_mnt, MNT_DETACH) == 0)
		full_mounted = false;
	if (full_base[0] != '\0')
		th_rmrf(full_base);
	full_base[0] = '\0';
	return 0;
}

static void
test_full_filesystem(void **state)
{
	char *base = full_base, *mnt = full_mnt, path[128], big[65536];
	struct spool sp;
	struct draft d;
	int mntfd, i, rc;

	(void)state;
	if (geteuid() != 0) {
		printf("# skipped: mounting a small tmpfs needs root\n");
		return;
	}
	th_tmpdir(full_base, sizeof(full_base));
	snprintf(full_mnt, sizeof(full_mnt), "%s/mnt", base);
	assert_int_equal(mkdir(mnt, 0700), 0);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=256k,mode=0755") == -1) {
		printf("# skipped: cannot mount tmpfs here: %s\n",
		    strerror(errno));
		return;
	}
	full_mounted = true;
	snprintf(path, sizeof(path), "%s/spool", mnt);
	assert_int_equal(spool_init(path, (gid_t)-1), 0);
	assert_int_equal(spool_open(&sp, path), 0);
	memset(big, 'b', sizeof(big));

	/* 1: a body larger than the filesystem */
	assert_int_equal(draft_create(&d, &sp, NULL, 0, true), 0);
	assert_int_equal(draft_set_meta(&d, "cgi", "127.0.0.1", "x/y"), 0);
	assert_int_equal(draft_body_begin(&d), 0);
	for (i = 0, rc = 0; i < 16 && rc == 0; i++)
		rc = draft_stream_write(&d, big, sizeof(big));
	assert_int_equal(rc, -1);
	assert_int_equal(errno, ENOSPC);
	draft_abandon(&d);
	assert_clean(&sp);

	/* 2: the filesystem fills up before publish writes the job file */
	assert_int_equal(draft_create(&d, &sp, NULL, 0, true), 0);
	assert_int_equal(draft_add_field(&d, "a", "1", 1), 0);
	mntfd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fill_fs(mntfd);
	errno = 0;
	assert_int_equal(draft_publish(&d), -1);
	assert_int_equal(errno, ENOSPC);
	draft_abandon(&d);
	assert_clean(&sp);
	assert_int_equal(unlinkat(mntfd, "filler", 0), 0);
	close(mntfd);

	/* and with space again, a job goes through */
	assert_int_equal(draft_create(&d, &sp, NULL, 0, true), 0);
	assert_int_equal(draft_publish(&d), 0);
	assert_int_equal(th_count(&sp, SPOOL_NEW), 1);
	spool_close(&sp);
	assert_int_equal(umount(mnt), 0);
	full_mounted = false;
}

static void
test_publish_layout(void **state)
{
	struct tspool *ts = *state;
	struct draft d;
	char id[JOBID_NAME_MAX + 1], *text;
	const struct spool *sp = &ts->sp;
	json_t *job, *files, *up;
	json_error_t jerr;
	struct stat sb;
	int jobfd, pipefd[2];
	mode_t old = umask(077);

	assert_int_equal(draft_create(&d, sp, NULL, 0, true), 0);
	assert_true(jobid_generated_valid(d.id));
	snprintf(id, sizeof(id), "%s", d.id);
	assert_int_equal(
	    draft_set_meta(&d, "cgi", "192.0.2.1", "multipart/form-data"), 0);
	assert_int_equal(draft_add_field(&d, "name", "first", 5), 0);
	assert_int_equal(draft_add_field(&d, "name", "second", 6), 0);
	assert_int_equal(draft_add_field(&d, "other", "", 0), 0);
	assert_int_equal(draft_add_field(&d, "name", "third", 5), 0);
	assert_int_equal(draft_add_field(&d, "name2", "x", 1), 0);
	assert_int_equal(draft_file_begin(&d, "upload", "evil\"\xff\nname.txt",
			     "text/plain"),
	    0);
	assert_int_equal(draft_stream_write(&d, "hello ", 6), 0);
	assert_int_equal(draft_stream_write(&d, "world", 5), 0);
	assert_int_equal(draft_stream_end(&d), 0);
	assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
	assert_int_equal(write(pipefd[1], "piped", 5), 5);
	close(pipefd[1]);
	assert_int_equal(draft_add_file_fd(&d, "p", NULL, NULL, pipefd[0]), 0);
	close(pipefd[0]);
	assert_int_equal(draft_body_begin(&d), 0);
	assert_int_equal(draft_stream_write(&d, "raw", 3), 0);
	assert_int_equal(draft_stream_end(&d), 0);
	assert_int_equal(draft_publish(&d), 0);
	assert_int_equal(d.dirfd, -1);
	draft_abandon(&d); /* released: a no-op */
	umask(old);

	assert_int_equal(th_count(sp, SPOOL_TMP), 0);
	assert_int_equal(th_count(sp, SPOOL_NEW), 1);
	jobfd = openat(
	    sp->dirfd[SPOOL_NEW], id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(jobfd >= 0);
	assert_int_equal(fstat(jobfd, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, SPOOL_MODE_JOBDIR);
	assert_int_equal(fstatat(jobfd, "fields", &sb, 0), 0);
	assert_int_equal(sb.st_mode & 07777, SPOOL_MODE_JOBDIR);
	assert_int_equal(fstatat(jobfd, "fields/name~3", &sb, 0), 0);
	assert_int_equal(sb.st_mode & 07777, SPOOL_MODE_JOBFILE);
	text = th_read(jobfd, "fields/name");
	assert_string_equal(text, "first");
	free(text);
	text = th_read(jobfd, "fields/name~2");
	assert_string_equal(text, "second");
	free(text);
	text = th_read(jobfd, "fields/name~3");
	assert_string_equal(text, "third");
	free(text);
	text = th_read(jobfd, "files/upload");
	assert_string_equal(text, "hello world");
	free(text);
	text = th_read(jobfd, "files/p");
	assert_string_equal(text, "piped");
	free(text);
	text = th_read(jobfd, "body");
	assert_string_equal(text, "raw");
	free(text);

	text = th_read(jobfd, "job");
	assert_non_null(strchr(text, '\n'));
	assert_true(strchr(text, '\n')[1] == '\0'); /* one line */
	job = json_loads(text, 0, &jerr);
	assert_non_null(job);
	free(text);
	assert_string_equal(json_string_value(json_object_get(job, "id")), id);
	assert_string_equal(
	    json_string_value(json_object_get(job, "source")), "cgi");
	assert_string_equal(
	    json_string_value(json_object_get(job, "remote_addr")),
	    "192.0.2.1");
	assert_string_equal(
	    json_string_value(json_object_get(job, "content_type")),
	    "multipart/form-data");
	assert_true(json_is_string(json_object_get(job, "submitted")));
	text = json_dumps(json_object_get(job, "fields"), JSON_COMPACT);
	assert_string_equal(
	    text, "[\"name\",\"name~2\",\"other\",\"name~3\",\"name2\"]");
	free(text);
	files = json_object_get(job, "files");
	assert_int_equal(json_object_size(files), 2);
	up = json_object_get(files, "upload");
	assert_string_equal(json_string_value(json_object_get(up, "filename")),
	    "evil\"?\nname.txt");
	assert_int_equal(json_integer_value(json_object_get(up, "size")), 11);
	assert_string_equal(
	    json_string_value(json_object_get(up, "content_type")),
	    "text/plain");
	up = json_object_get(files, "p");
	assert_true(json_is_null(json_object_get(up, "filename")));
	assert_int_equal(json_integer_value(json_object_get(up, "size")), 5);
	json_decref(job);
	close(jobfd);
}

static void
test_publish_minimal(void **state)
{
	struct tspool *ts = *state;
	struct draft d;
	char *text;
	json_t *job;
	json_error_t jerr;
	int dirfd;

	assert_int_equal(draft_create(&d, &ts->sp, "by-name", 0, false), 0);
	assert_int_equal(draft_publish(&d), 0);
	dirfd = openat(ts->sp.dirfd[SPOOL_NEW], "by-name",
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dirfd >= 0);
	assert_false(th_exists(dirfd, "fields"));
	assert_false(th_exists(dirfd, "files"));
	text = th_read(dirfd, "job");
	job = json_loads(text, 0, &jerr);
	assert_non_null(job);
	/* optional keys absent, not null */
	assert_null(json_object_get(job, "remote_addr"));
	assert_null(json_object_get(job, "content_type"));
	assert_int_equal(json_object_size(job), 5);
	json_decref(job);
	free(text);
	close(dirfd);
}

static int
publish_as_nobody(void *arg)
{
	const char *path = arg;
	struct spool sp;
	struct draft d;
	int rc = 0;

	if (spool_open(&sp, path) == -1)
		return 10;
	if (draft_create(&d, &sp, "from-nobody", 0, true) == -1)
		rc = 11;
	else if (draft_add_field(&d, "a", "1", 1) == -1)
		rc = 12;
	else if (draft_publish(&d) == -1)
		rc = 13;
	draft_abandon(&d);
	spool_close(&sp);
	return rc;
}

static void
test_publish_unprivileged(void **state)
{
	struct tspool *ts = *state;
	struct stat sb;
	int rc;

	/* the producer's group owns the spool; new/ is 2730: no listing,
	 * so publishing must fall back to syncing the job directory */
	if (!tspool_nobody_group(ts))
		return;
	rc = th_as_nobody(publish_as_nobody, ts->path);
	assert_int_equal(rc, 0);
	assert_int_equal(fstatat(ts->sp.dirfd[SPOOL_NEW], "from-nobody/job",
			     &sb, AT_SYMLINK_NOFOLLOW),
	    0);
	assert_int_equal(sb.st_uid, 65534);
	assert_int_equal(sb.st_mode & 0777, SPOOL_MODE_JOBFILE);
	assert_int_equal(th_count(&ts->sp, SPOOL_TMP), 0);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, tspool_setup, tspool_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_create_refusals),
	    T(test_stream_misuse),
	    T(test_limit),
	    T(test_publish_exists),
	    T(test_publish_keeps_id),
	    T(test_publish_race),
	    cmocka_unit_test_teardown(test_full_filesystem, full_teardown),
	    T(test_publish_layout),
	    T(test_publish_minimal),
	    T(test_publish_unprivileged),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
