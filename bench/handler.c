/* SPDX-License-Identifier: MIT */
/*
 * bench handler: the trivial job every tool under test runs. It reads the
 * clock first thing, then appends "ID START_NS\n" to a ledger with one
 * O_APPEND write (atomic for lines this short), and exits 0.
 * Usage: handler PATH. ID is the last component of PATH; the ledger is
 * PATH/../../ledger (for chute's SPOOL/run/ID that is SPOOL/ledger), so no
 * tool has to pass environment through. Exit 1 with a message on error.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	struct timespec ts;
	char ledger[PATH_MAX], line[512];
	const char *path, *id, *slash;
	size_t dirlen;
	int fd = -1, n, rc = 1;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (argc != 2) {
		fprintf(stderr, "usage: handler PATH\n");
		return 64;
	}
	path = argv[1];
	dirlen = strlen(path);
	while (dirlen > 1 && path[dirlen - 1] == '/')
		dirlen--;
	/* Strip the ID, then its parent: what is left holds the ledger. */
	slash = memrchr(path, '/', dirlen);
	if (slash == NULL || slash[1] == '\0') {
		fprintf(stderr, "handler: %s: no parent directory\n", path);
		return 1;
	}
	id = slash + 1;
	n = (int)(dirlen - (size_t)(id - path));
	dirlen = (size_t)(slash - path);
	slash = memrchr(path, '/', dirlen);
	dirlen = slash == NULL ? 0 : (size_t)(slash - path);
	if (snprintf(ledger, sizeof(ledger), "%.*s%sledger", (int)dirlen, path,
		dirlen == 0 && slash == NULL ? "" : "/") >= (int)sizeof(ledger))
		goto toolong;
	n = snprintf(line, sizeof(line), "%.*s %lld\n", n, id,
	    (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	if (n < 0 || n >= (int)sizeof(line))
		goto toolong;
	fd = open(ledger, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1) {
		fprintf(stderr, "handler: %s: %s\n", ledger, strerror(errno));
		goto out;
	}
	if (write(fd, line, (size_t)n) != n) {
		fprintf(stderr, "handler: %s: short write\n", ledger);
		goto out;
	}
	rc = 0;
	goto out;
toolong:
	fprintf(stderr, "handler: %s: name too long\n", path);
out:
	if (fd != -1)
		close(fd);
	return rc;
}
