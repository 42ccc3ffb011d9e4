/* SPDX-License-Identifier: MIT */
/*
 * bench rusage_cgi: a CGI wrapper that runs the CGI named by $BENCH_CGI
 * (same environment, stdin and stdout), waits for it and appends its peak
 * resident set size, "MAXRSS_KIB\n", to $BENCH_RSS_FILE. It forks from this
 * small process so that the figure is the CGI's own, and it waits, so the
 * response ends when the CGI's does. Exits with the CGI's status (1 on a
 * setup error, 128+N when the CGI is killed by signal N).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	const char *cgi = getenv("BENCH_CGI"), *file = getenv("BENCH_RSS_FILE");
	struct rusage ru;
	char line[64];
	pid_t pid;
	int fd, n, wstatus;

	(void)argc;
	if (cgi == NULL || file == NULL) {
		fprintf(stderr,
		    "rusage_cgi: BENCH_CGI and BENCH_RSS_FILE "
		    "must be set\n");
		return 1;
	}
	if ((pid = fork()) == -1) {
		perror("rusage_cgi: fork");
		return 1;
	}
	if (pid == 0) {
		argv[0] = (char *)cgi;
		execv(cgi, argv);
		perror("rusage_cgi: exec");
		_exit(127);
	}
	while (waitpid(pid, &wstatus, 0) == -1)
		if (errno != EINTR) {
			perror("rusage_cgi: waitpid");
			return 1;
		}
	if (getrusage(RUSAGE_CHILDREN, &ru) == 0) {
		n = snprintf(line, sizeof(line), "%ld\n", ru.ru_maxrss);
		fd =
		    open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (fd != -1) {
			if (write(fd, line, (size_t)n) != n)
				perror("rusage_cgi: write");
			close(fd);
		}
	}
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return WEXITSTATUS(wstatus);
}
