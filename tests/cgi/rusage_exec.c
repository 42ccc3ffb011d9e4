/* SPDX-License-Identifier: MIT */
/*
 * rusage_exec: runs a command and reports its peak resident set size. A
 * child forked from a big process (python) would inherit that process's
 * high-water mark, so the memory test forks from this small one instead.
 * Usage: rusage_exec FILE CMD [ARG...]: writes "MAXRSS_KIB\n" to FILE and
 * exits with CMD's exit status (128+N when killed by signal N).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct rusage ru;
	FILE *f;
	pid_t pid;
	int st;

	if (argc < 3) {
		fprintf(stderr, "usage: rusage_exec FILE CMD [ARG...]\n");
		return 64;
	}
	if ((pid = fork()) == -1) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		execv(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	while (wait4(pid, &st, 0, &ru) == -1)
		if (errno != EINTR) {
			perror("wait4");
			return 1;
		}
	if ((f = fopen(argv[1], "w")) == NULL ||
	    fprintf(f, "%ld\n", ru.ru_maxrss) < 0 || fclose(f) == EOF) {
		perror(argv[1]);
		return 1;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
