/* SPDX-License-Identifier: MIT */
/*
 * bench mini_watcher: the "minimal watcher" reference. It watches DIR/new
 * with inotify and, for each IN_MOVED_TO, posix_spawn()s HANDLER DIR/new/NAME,
 * JOBS at a time (names wait in a FIFO). No claim, no state, no rescan: what
 * any inotify-to-exec loop pays at least. One poll() loop over the inotify fd
 * and a signalfd (CHLD, TERM, INT). Runs until TERM or INT, then reaps its
 * children and exits 0; exits 1 on a setup error, 64 on bad usage.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct fifo {
	char **names;
	size_t head, tail, cap;
};

static int
fifo_push(struct fifo *q, const char *name)
{
	char **names;
	size_t i, n = q->tail - q->head;

	if (q->tail == q->cap) {
		if (q->head > 0) {
			for (i = 0; i < n; i++)
				q->names[i] = q->names[q->head + i];
		} else {
			q->cap = q->cap == 0 ? 1024 : q->cap * 2;
			names = realloc(q->names, q->cap * sizeof(*names));
			if (names == NULL)
				return -1;
			q->names = names;
		}
		q->head = 0;
		q->tail = n;
	}
	if ((q->names[q->tail] = strdup(name)) == NULL)
		return -1;
	q->tail++;
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: mini_watcher [-j JOBS] HANDLER DIR\n");
	exit(64);
}

int
main(int argc, char *argv[])
{
	_Alignas(struct inotify_event) char buf[65536];
	char dir[PATH_MAX], path[PATH_MAX];
	struct fifo q = {0};
	struct pollfd pfd[2];
	struct signalfd_siginfo si;
	const struct inotify_event *ev;
	posix_spawnattr_t attr;
	sigset_t mask, empty;
	char *args[3], *name;
	long jobs = 2, running = 0;
	ssize_t len;
	char *p;
	pid_t pid;
	int c, err, wstatus, stop = 0;

	while ((c = getopt(argc, argv, "j:")) != -1) {
		if (c != 'j')
			usage();
		jobs = strtol(optarg, NULL, 10);
	}
	if (argc - optind != 2 || jobs < 1)
		usage();
	if (snprintf(dir, sizeof(dir), "%s/new", argv[optind + 1]) >=
	    (int)sizeof(dir) - NAME_MAX - 2) {
		fprintf(stderr, "mini_watcher: name too long\n");
		return 1;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sigemptyset(&empty);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &empty);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	pfd[0].fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	pfd[1].fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (pfd[0].fd == -1 || pfd[1].fd == -1 ||
	    inotify_add_watch(pfd[0].fd, dir, IN_MOVED_TO) == -1) {
		fprintf(stderr, "mini_watcher: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	pfd[0].events = pfd[1].events = POLLIN;
	while (!stop || running > 0) {
		while (!stop && running < jobs && q.head < q.tail) {
			name = q.names[q.head++];
			if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
			    (int)sizeof(path))
				path[0] = '\0';
			free(name);
			if (path[0] == '\0')
				continue;
			args[0] = argv[optind];
			args[1] = path;
			args[2] = NULL;
			err = posix_spawn(
			    &pid, args[0], NULL, &attr, args, environ);
			if (err != 0)
				fprintf(stderr, "mini_watcher: spawn: %s\n",
				    strerror(err));
			else
				running++;
		}
		if (poll(pfd, 2, -1) == -1 && errno != EINTR) {
			perror("mini_watcher: poll");
			return 1;
		}
		while ((len = read(pfd[0].fd, buf, sizeof(buf))) > 0) {
			for (p = buf; p < buf + len;
			     p += sizeof(*ev) + ev->len) {
				ev = (const struct inotify_event *)p;
				if (ev->len > 0 &&
				    fifo_push(&q, ev->name) != 0) {
					perror("mini_watcher");
					return 1;
				}
			}
		}
		while (read(pfd[1].fd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo != SIGCHLD)
				stop = 1;
		}
		while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0)
			running--;
	}
	while (q.head < q.tail)
		free(q.names[q.head++]);
	free(q.names);
	posix_spawnattr_destroy(&attr);
	return 0;
}
