/* SPDX-License-Identifier: MIT */
/*
 * replay: a main() for building a fuzz target without libFuzzer. Each
 * argument is a file, or a directory whose regular files are read (not
 * recursively); each file's bytes go through LLVMFuzzerTestOneInput() once,
 * after one empty input. A failed property aborts (see harness.h); an
 * unreadable argument exits 1. Prints how many inputs ran.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define REPLAY_MAX (1024 * 1024)

/* Runs one file; 0, or -1 with a message printed. */
static int
replay_file(int dirfd, const char *name, const char *shown)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, rc = -1;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		goto out;
	buf = malloc(REPLAY_MAX);
	if (buf == NULL)
		goto out;
	while (len < REPLAY_MAX &&
	    (n = read(fd, buf + len, REPLAY_MAX - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		len += (size_t)n;
	}
	LLVMFuzzerTestOneInput(buf, len);
	rc = 0;
out:
	if (rc == -1)
		fprintf(stderr, "replay: %s: %s\n", shown, strerror(errno));
	free(buf);
	if (fd != -1)
		close(fd);
	return rc;
}

int
main(int argc, char **argv)
{
	struct dirent *de;
	struct stat sb;
	DIR *dir;
	unsigned count = 0;
	int i, rc = 0;

	LLVMFuzzerTestOneInput((const uint8_t *)"", 0);
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &sb) == -1) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
			    strerror(errno));
			rc = 1;
			continue;
		}
		if (!S_ISDIR(sb.st_mode)) {
			if (replay_file(AT_FDCWD, argv[i], argv[i]) == -1)
				rc = 1;
			else
				count++;
			continue;
		}
		if ((dir = opendir(argv[i])) == NULL) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
			    strerror(errno));
			rc = 1;
			continue;
		}
		while ((de = readdir(dir)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			if (replay_file(dirfd(dir), de->d_name, de->d_name) ==
			    -1)
				rc = 1;
			else
				count++;
		}
		closedir(dir);
	}
	printf("replayed %u inputs\n", count);
	return rc;
}
