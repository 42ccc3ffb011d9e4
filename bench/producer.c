/* SPDX-License-Identifier: MIT */
/*
 * bench producer: drops N jobs, as fast as it can or one every INTERVAL
 * microseconds (paced on CLOCK_MONOTONIC absolute deadlines), and can wait
 * until all N have completed.
 *   rename mode (default): mkdir DIR/tmp/PNNNNNN, write its job file, then
 *     rename it to DIR/new/PNNNNNN-DROPNS (chute's plain-producer protocol);
 *     with -f, a regular file DIR/tmp/PNNNNNN instead of a directory.
 *   exec mode (-e): runs CMD ARG..., each "{}" replaced by DIR/q/NAME, and
 *     waits for it (an enqueue command such as tsp or nq).
 * DROPNS, in the name, is CLOCK_REALTIME read just before the rename or the
 * spawn: a handler that logs its start time gives the latency.
 * -w done:DIR counts entries arriving in DIR (inotify, a readdir recount on
 * overflow); -w ledger:FILE counts lines appended to FILE; -W COUNT waits
 * for COUNT completions instead of N (-n 0 -W COUNT only waits). Prints
 * "FIRST_NS LAST_DROP_NS COMPLETE_NS COUNT" and exits 0, or 1 if a drop failed
 * or the -t timeout (seconds) passed first, 64 on bad usage.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct waiter {
	int kind; /* 0 none, 'd' done dir, 'l' ledger */
	const char *path;
	int inofd;
	int fd; /* ledger read fd */
	long count;
};

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: producer [-i USEC] [-w done:DIR|ledger:FILE] "
	    "[-t SEC] [-p PREFIX] [-f] -n N DIR\n"
	    "       producer ... -n N -e DIR -- CMD ARG...\n");
	exit(64);
}

static long
dir_count(const char *path)
{
	DIR *d;
	struct dirent *de;
	long n = 0;

	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int
waiter_open(struct waiter *w, const char *spec)
{
	w->inofd = w->fd = -1;
	w->count = 0;
	if (strncmp(spec, "done:", 5) == 0) {
		w->kind = 'd';
		w->path = spec + 5;
	} else if (strncmp(spec, "ledger:", 7) == 0) {
		w->kind = 'l';
		w->path = spec + 7;
	} else
		return -1;
	w->inofd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->inofd == -1)
		return -1;
	if (w->kind == 'd') {
		if (inotify_add_watch(
			w->inofd, w->path, IN_MOVED_TO | IN_CREATE) == -1)
			return -1;
		w->count = dir_count(w->path);
		return w->count < 0 ? -1 : 0;
	}
	w->fd = open(w->path, O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
	if (w->fd == -1 ||
	    inotify_add_watch(w->inofd, w->path, IN_MODIFY) == -1)
		return -1;
	return 0;
}

/* Reads what is pending; with a positive timeout, waits for it first. */
static int
waiter_poll(struct waiter *w, int timeout_ms)
{
	_Alignas(struct inotify_event) char buf[65536];
	const struct inotify_event *ev;
	struct pollfd pfd = {.fd = w->inofd, .events = POLLIN};
	int overflow = 0;
	ssize_t len, i;
	char *p;

	if (timeout_ms > 0 && poll(&pfd, 1, timeout_ms) == -1 && errno != EINTR)
		return -1;
	while ((len = read(w->inofd, buf, sizeof(buf))) > 0) {
		for (p = buf; p < buf + len; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->mask & IN_Q_OVERFLOW)
				overflow = 1;
			else if (w->kind == 'd' && ev->len > 0 &&
			    ev->name[0] != '.')
				w->count++;
		}
	}
	if (w->kind == 'd' && (overflow || timeout_ms > 0)) {
		/* A quiet spell or lost events: trust the directory. */
		if (overflow || pfd.revents == 0)
			w->count = dir_count(w->path);
	}
	if (w->kind == 'l') {
		while ((len = read(w->fd, buf, sizeof(buf))) > 0)
			for (i = 0; i < len; i++)
				if (buf[i] == '\n')
					w->count++;
	}
	return 0;
}

static int
drop_rename(
    const char *dir, const char *prefix, long i, int plain, long long *t)
{
	char tmp[PATH_MAX], job[PATH_MAX], dst[PATH_MAX];
	static const char body[] = "{\"bench\":true}\n";
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s/tmp/%s%06ld", dir, prefix, i) >=
		(int)sizeof(tmp) - 8 ||
	    snprintf(job, sizeof(job), "%s/job", tmp) >= (int)sizeof(job)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (plain)
		strcpy(job, tmp);
	else if (mkdir(tmp, 0770) == -1)
		return -1;
	fd = open(job, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd == -1)
		return -1;
	if (write(fd, body, sizeof(body) - 1) != sizeof(body) - 1) {
		close(fd);
		return -1;
	}
	if (close(fd) == -1)
		return -1;
	*t = now_ns();
	if (snprintf(dst, sizeof(dst), "%s/new/%s%06ld-%lld", dir, prefix, i,
		*t) >= (int)sizeof(dst)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return rename(tmp, dst);
}

static int
drop_exec(const char *dir, const char *prefix, long i, char **cmd, int ncmd,
    long long *t)
{
	char path[PATH_MAX];
	char *args[64];
	pid_t pid;
	int k, err, wstatus;

	if (ncmd > 63)
		return -1;
	for (k = 0; k < ncmd; k++)
		args[k] = strcmp(cmd[k], "{}") == 0 ? path : cmd[k];
	args[ncmd] = NULL;
	*t = now_ns();
	if (snprintf(path, sizeof(path), "%s/q/%s%06ld-%lld", dir, prefix, i,
		*t) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	err = posix_spawnp(&pid, args[0], NULL, NULL, args, environ);
	if (err != 0) {
		errno = err;
		return -1;
	}
	while (waitpid(pid, &wstatus, 0) == -1)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
		errno = ECHILD;
		return -1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct waiter w = {0};
	struct timespec next;
	const char *prefix = "b", *dir;
	long long t = 0, first = 0, last = 0, complete = 0, deadline;
	long n = -1, want = -1, interval = 0, timeout = 120, i;
	int c, execmode = 0, plain = 0, rc = 1;

	while ((c = getopt(argc, argv, "efi:n:p:t:W:w:")) != -1) {
		switch (c) {
		case 'e':
			execmode = 1;
			break;
		case 'f':
			plain = 1;
			break;
		case 'i':
			interval = strtol(optarg, NULL, 10);
			break;
		case 'n':
			n = strtol(optarg, NULL, 10);
			break;
		case 'p':
			prefix = optarg;
			break;
		case 't':
			timeout = strtol(optarg, NULL, 10);
			break;
		case 'W':
			want = strtol(optarg, NULL, 10);
			break;
		case 'w':
			if (waiter_open(&w, optarg) == -1) {
				fprintf(stderr, "producer: -w %s: %s\n", optarg,
				    strerror(errno));
				return 1;
			}
			break;
		default:
			usage();
		}
	}
	if (n < 0 || interval < 0 || optind >= argc ||
	    (!execmode && argc - optind != 1) ||
	    (execmode && argc - optind < 2))
		usage();
	dir = argv[optind];
	if (want < 0)
		want = n;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (i = 0; i < n; i++) {
		if (interval > 0 && i > 0) {
			next.tv_nsec += interval * 1000;
			next.tv_sec += next.tv_nsec / 1000000000L;
			next.tv_nsec %= 1000000000L;
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
				   &next, NULL) == EINTR)
				;
		}
		if ((execmode ? drop_exec(dir, prefix, i, argv + optind + 1,
				    argc - optind - 1, &t)
			      : drop_rename(dir, prefix, i, plain, &t)) == -1) {
			fprintf(stderr, "producer: drop %ld into %s: %s\n", i,
			    dir, strerror(errno));
			goto out;
		}
		if (i == 0)
			first = t;
		last = t;
		if (w.kind != 0 && interval > 0)
			waiter_poll(&w, 0);
	}
	if (w.kind != 0) {
		deadline = now_ns() + timeout * 1000000000LL;
		for (;;) {
			if (waiter_poll(&w, 0) == -1)
				goto out;
			if (w.count >= want) {
				complete = now_ns();
				break;
			}
			if (now_ns() > deadline) {
				fprintf(stderr,
				    "producer: timeout: %ld of %ld completed\n",
				    w.count, want);
				goto out;
			}
			waiter_poll(&w, 200);
		}
	}
	rc = 0;
out:
	printf("%lld %lld %lld %ld\n", first, last, complete, w.count);
	if (w.inofd != -1 && w.kind != 0)
		close(w.inofd);
	if (w.fd != -1 && w.kind != 0)
		close(w.fd);
	return rc;
}
