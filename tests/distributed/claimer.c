/* SPDX-License-Identifier: MIT */
/*
 * claimer: a test tool of the distributed suite. It drives libchute's claim
 * protocol through one mount of a shared spool, as one host's watcher would
 * (claim, write run/ID/status, move to done/), and prints what it won, so
 * that the TAP script can check that two hosts never win the same job and
 * that every job is won. Smaller commands claim one name, hold or probe a
 * lock, move a job, probe renameat2(). It owns no state: every answer goes
 * to stdout, every error to stderr with the errno name.
 * Exit status: 0 ok, 64 usage, 1 any error (including a claim error).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsio.h"
#include "job.h"
#include "spool.h"

#define GO_WAIT_MS 60000 /* how long "claim" waits for its start signal */
#define IDLE_SCANS 2 /* empty scans of new/ before "claim" stops */
#define STUCK_SCANS 200 /* scans without a win before "claim" gives up */

static void
usage(void)
{
	fprintf(stderr,
	    "usage: claimer claim SPOOL GOFILE\n"
	    "       claimer claimone SPOOL NAME\n"
	    "       claimer hold SPOOL ID\n"
	    "       claimer probe SPOOL ID\n"
	    "       claimer move SPOOL ID FROM TO\n"
	    "       claimer noreplace DIR\n");
	exit(64);
}

static const char *
errname(int err)
{
	const char *name;

	name = strerrorname_np(err);
	return name != NULL ? name : "E?";
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Waits until path exists, at most GO_WAIT_MS. 0, or -1 with ETIMEDOUT. */
static int
wait_for_file(const char *path)
{
	long waited;

	for (waited = 0; waited < GO_WAIT_MS; waited += 5) {
		if (access(path, F_OK) == 0)
			return 0;
		sleep_ms(5);
	}
	errno = ETIMEDOUT;
	return -1;
}

/* Writes run/NAME/status as a runner does (temporary file, fsync, rename),
 * through a fresh lookup of the job directory just claimed. 0 or -1. */
static int
claim_record(const struct spool *sp, const char *name)
{
	static const char text[] = "{\"state\":\"running\"}\n";
	int dirfd, rc, saved;

	dirfd = openat(sp->dirfd[SPOOL_RUN], name,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dirfd == -1)
		return -1;
	rc = fsio_atomic_write(
	    dirfd, "status", text, sizeof(text) - 1, 0640, true);
	saved = errno;
	close(dirfd);
	errno = saved;
	return rc;
}

/* Puts run/NAME back into new/ (its lock still held by the caller). */
static void
claim_requeue(const struct spool *sp, const char *name, long *errors)
{
	if (job_move(sp, name, SPOOL_RUN, SPOOL_NEW) == -1) {
		fprintf(
		    stderr, "claimer: requeue %s: %s\n", name, errname(errno));
		(*errors)++;
		return;
	}
	fprintf(stderr, "claimer: %s requeued\n", name);
}

/* One pass over new/: claims what it can, moves each win to done/ while
 * still holding its lock (as a runner would), prints each win. Counts go to
 * the counters; returns the number of entries seen, or -1. */
static long
claim_scan(const struct spool *sp, long *won, long *lost, long *errors)
{
	DIR *dir = NULL;
	struct dirent *de;
	long seen = 0;
	int fd, lockfd, saved;

	fd = spool_open_listing(sp, SPOOL_NEW);
	if (fd == -1)
		goto err;
	dir = fdopendir(fd);
	if (dir == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		goto err;
	}
	while ((errno = 0, de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		seen++;
		switch (job_claim(sp, de->d_name, &lockfd)) {
		case JOB_CLAIMED:
			if (claim_record(sp, de->d_name) == -1) {
				int err = errno;

				fprintf(stderr, "claimer: status of %s: %s\n",
				    de->d_name, errname(err));
				if (!job_lost_race(err) || err == EEXIST) {
					(*errors)++;
				} else {
					/* As chuted's runner does: ESTALE
					 * right after our own claim
					 * (GlusterFS) means "not started":
					 * back to new/ while still locked,
					 * to be claimed again. Not a win. */
					claim_requeue(sp, de->d_name, errors);
					close(lockfd);
					break;
				}
			}
			if (job_move(sp, de->d_name, SPOOL_RUN, SPOOL_DONE) ==
			    -1) {
				fprintf(stderr, "claimer: move %s: %s\n",
				    de->d_name, errname(errno));
				(*errors)++;
			}
			close(lockfd);
			printf("%s\n", de->d_name);
			(*won)++;
			break;
		case JOB_CLAIM_LOST:
			(*lost)++;
			break;
		case JOB_CLAIM_BAD:
			fprintf(stderr, "claimer: %s: not a job\n", de->d_name);
			(*errors)++;
			break;
		case JOB_CLAIM_ERROR:
			fprintf(stderr, "claimer: claim %s: %s\n", de->d_name,
			    errname(errno));
			(*errors)++;
			break;
		}
	}
	if (errno != 0)
		goto err;
	closedir(dir);
	return seen;
err:
	saved = errno;
	if (dir != NULL)
		closedir(dir);
	errno = saved;
	return -1;
}

static int
cmd_claim(const char *path, const char *gofile)
{
	struct spool sp;
	long won = 0, lost = 0, errors = 0, seen, before;
	int idle = 0, stuck = 0, rc = 1;

	if (spool_open(&sp, path) == -1) {
		fprintf(stderr, "claimer: %s: %s\n", path, errname(errno));
		return 1;
	}
	if (wait_for_file(gofile) == -1) {
		fprintf(stderr, "claimer: %s: %s\n", gofile, errname(errno));
		goto out;
	}
	/* A job left in new/ after a claim error would keep us scanning:
	 * stop after STUCK_SCANS passes that won nothing. */
	while (idle < IDLE_SCANS && stuck < STUCK_SCANS) {
		before = won;
		seen = claim_scan(&sp, &won, &lost, &errors);
		if (seen == -1) {
			fprintf(stderr, "claimer: scan: %s\n", errname(errno));
			goto out;
		}
		idle = seen == 0 ? idle + 1 : 0;
		stuck = seen > 0 && won == before ? stuck + 1 : 0;
		if (seen > 0 && won == before)
			sleep_ms(10);
	}
	fprintf(stderr, "claimer: won %ld lost %ld errors %ld\n", won, lost,
	    errors);
	rc = errors == 0 && stuck < STUCK_SCANS ? 0 : 1;
out:
	if (fflush(stdout) == EOF)
		rc = 1;
	spool_close(&sp);
	return rc;
}

static int
cmd_hold(const char *path, const char *id)
{
	struct spool sp;
	char buf[64];
	ssize_t n;
	int lockfd = -1, rc = 1;

	if (spool_open(&sp, path) == -1) {
		fprintf(stderr, "claimer: %s: %s\n", path, errname(errno));
		return 1;
	}
	switch (job_claim(&sp, id, &lockfd)) {
	case JOB_CLAIMED:
		break;
	case JOB_CLAIM_LOST:
		fprintf(stderr, "claimer: hold %s: lost\n", id);
		goto out;
	case JOB_CLAIM_BAD:
		fprintf(stderr, "claimer: hold %s: not a job\n", id);
		goto out;
	case JOB_CLAIM_ERROR:
		fprintf(stderr, "claimer: hold %s: %s\n", id, errname(errno));
		goto out;
	}
	printf("held\n");
	if (fflush(stdout) == EOF)
		goto out;
	/* Keep the lock until our stdin ends (or we are killed). */
	for (;;) {
		n = read(0, buf, sizeof(buf));
		if (n > 0 || (n == -1 && errno == EINTR))
			continue;
		break;
	}
	rc = 0;
out:
	if (lockfd != -1)
		close(lockfd);
	spool_close(&sp);
	return rc;
}

static int
cmd_claimone(const char *path, const char *name)
{
	static const char *const names[] = {
	    [JOB_CLAIMED] = "claimed",
	    [JOB_CLAIM_LOST] = "lost",
	    [JOB_CLAIM_BAD] = "bad",
	    [JOB_CLAIM_ERROR] = "error",
	};
	struct spool sp;
	enum job_claim_result res;
	int lockfd = -1;

	if (spool_open(&sp, path) == -1) {
		fprintf(stderr, "claimer: %s: %s\n", path, errname(errno));
		return 1;
	}
	res = job_claim(&sp, name, &lockfd);
	if (res == JOB_CLAIM_ERROR)
		printf("error %s\n", errname(errno));
	else
		printf("%s\n", names[res]);
	if (lockfd != -1)
		close(lockfd);
	spool_close(&sp);
	return fflush(stdout) == EOF ? 1 : 0;
}

static int
cmd_probe(const char *path, const char *id)
{
	struct spool sp;
	int fd;

	if (spool_open(&sp, path) == -1) {
		fprintf(stderr, "claimer: %s: %s\n", path, errname(errno));
		return 1;
	}
	fd = job_lock_probe(&sp, id);
	if (fd != -1) {
		printf("free\n");
		close(fd);
	} else if (errno == EWOULDBLOCK)
		printf("held\n");
	else
		printf("%s\n", errname(errno));
	spool_close(&sp);
	return fflush(stdout) == EOF ? 1 : 0;
}

static int
parse_state(const char *text, enum spool_state *st)
{
	enum spool_state i;

	for (i = 0; i < SPOOL_NSTATES; i++)
		if (strcmp(text, spool_state_dirname(i)) == 0) {
			*st = i;
			return 0;
		}
	return -1;
}

static int
cmd_move(const char *path, const char *id, const char *from, const char *to)
{
	struct spool sp;
	enum spool_state sfrom, sto;

	if (parse_state(from, &sfrom) == -1 || parse_state(to, &sto) == -1)
		usage();
	if (spool_open(&sp, path) == -1) {
		fprintf(stderr, "claimer: %s: %s\n", path, errname(errno));
		return 1;
	}
	if (job_move(&sp, id, sfrom, sto) == 0)
		printf("ok\n");
	else
		printf("%s%s\n", errname(errno),
		    job_lost_race(errno) ? " lost" : "");
	spool_close(&sp);
	return fflush(stdout) == EOF ? 1 : 0;
}

/* What renameat2(RENAME_NOREPLACE) answers on this filesystem for a target
 * that does not exist (a feature probe must use such a target). */
static int
cmd_noreplace(const char *dir)
{
	char from[4096], to[4096];
	int n1, n2, rc = 1;

	n1 = snprintf(
	    from, sizeof(from), "%s/.noreplace.%ld.a", dir, (long)getpid());
	n2 = snprintf(
	    to, sizeof(to), "%s/.noreplace.%ld.b", dir, (long)getpid());
	if (n1 < 0 || n2 < 0 || (size_t)n1 >= sizeof(from) ||
	    (size_t)n2 >= sizeof(to)) {
		fprintf(stderr, "claimer: %s: path too long\n", dir);
		return 1;
	}
	if (mkdir(from, 0700) == -1) {
		fprintf(
		    stderr, "claimer: mkdir %s: %s\n", from, errname(errno));
		return 1;
	}
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0) {
		printf("ok\n");
		rc = rmdir(to) == 0 ? 0 : 1;
	} else {
		printf("%s\n", errname(errno));
		rc = rmdir(from) == 0 ? 0 : 1;
	}
	return fflush(stdout) == EOF ? 1 : rc;
}

int
main(int argc, char *argv[])
{
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "claim") == 0 && argc == 4)
		return cmd_claim(argv[2], argv[3]);
	if (strcmp(argv[1], "hold") == 0 && argc == 4)
		return cmd_hold(argv[2], argv[3]);
	if (strcmp(argv[1], "claimone") == 0 && argc == 4)
		return cmd_claimone(argv[2], argv[3]);
	if (strcmp(argv[1], "probe") == 0 && argc == 4)
		return cmd_probe(argv[2], argv[3]);
	if (strcmp(argv[1], "move") == 0 && argc == 6)
		return cmd_move(argv[2], argv[3], argv[4], argv[5]);
	if (strcmp(argv[1], "noreplace") == 0 && argc == 3)
		return cmd_noreplace(argv[2]);
	usage();
	return 64;
}
