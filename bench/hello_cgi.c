/* SPDX-License-Identifier: MIT */
/*
 * bench hello_cgi: the smallest useful CGI, the baseline chute.cgi is
 * measured against under Apache. It reads and discards a request body
 * (bounded by CONTENT_LENGTH, as any CGI must under mod_cgid), then answers
 * 200 with a one-line text body. Exit 0, or 1 when stdout fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int
main(void)
{
	char buf[65536];
	const char *cl = getenv("CONTENT_LENGTH");
	long long left = cl != NULL ? strtoll(cl, NULL, 10) : 0;
	ssize_t n;

	while (left > 0) {
		n = read(0, buf,
		    left < (long long)sizeof(buf) ? (size_t)left : sizeof(buf));
		if (n <= 0)
			break;
		left -= n;
	}
	if (fputs("Status: 200 OK\r\nContent-Type: text/plain\r\n\r\nhello\n",
		stdout) == EOF ||
	    fflush(stdout) == EOF)
		return 1;
	return 0;
}
