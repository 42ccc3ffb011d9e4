/* SPDX-License-Identifier: MIT */
/*
 * bench ceiling: the machine's limit for "run a trivial handler per job".
 * It only posix_spawn()s HANDLER DIR/c/ID, JOBS at a time, N times: no files,
 * no inotify, no queue. Prints "FIRST_NS LAST_NS" (CLOCK_REALTIME: the first
 * spawn and the last child reaped) on stdout. Exit 1 if a spawn or a handler
 * fails, 64 on bad usage.
 */
#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

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
	fprintf(stderr, "usage: ceiling [-j JOBS] -n N HANDLER DIR\n");
	exit(64);
}

int
main(int argc, char *argv[])
{
	char path[PATH_MAX];
	char *args[3];
	long long first, last;
	long n = -1, jobs = 2, i, running = 0, failed = 0;
	pid_t pid;
	int c, wstatus, err;

	while ((c = getopt(argc, argv, "j:n:")) != -1) {
		switch (c) {
		case 'j':
			jobs = strtol(optarg, NULL, 10);
			break;
		case 'n':
			n = strtol(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2 || n < 0 || jobs < 1)
		usage();
	first = now_ns();
	for (i = 0; i < n || running > 0;) {
		if (i < n && running < jobs) {
			snprintf(path, sizeof(path), "%s/c/c%06ld",
			    argv[optind + 1], i);
			args[0] = argv[optind];
			args[1] = path;
			args[2] = NULL;
			err = posix_spawn(
			    &pid, args[0], NULL, NULL, args, environ);
			if (err != 0) {
				fprintf(stderr, "ceiling: spawn %s: %s\n",
				    args[0], strerror(err));
				failed++;
			} else
				running++;
			i++;
			continue;
		}
		pid = waitpid(-1, &wstatus, 0);
		if (pid == -1) {
			if (errno == EINTR)
				continue;
			perror("ceiling: waitpid");
			return 1;
		}
		running--;
		if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0)
			failed++;
	}
	last = now_ns();
	printf("%lld %lld\n", first, last);
	if (failed > 0)
		fprintf(stderr, "ceiling: %ld handlers failed\n", failed);
	return failed > 0 ? 1 : 0;
}
