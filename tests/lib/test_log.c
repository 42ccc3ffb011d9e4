/* SPDX-License-Identifier: MIT */
/*
 * test_log: the stderr format "PROG: LEVEL: message", level filtering,
 * errno kept, log_fatal's exit code (in a child), and nothing on stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "log.h"

/* Runs fn with stderr and stdout sent to files; returns what each got. */
static void
capture(void (*fn)(void), char *err, size_t errlen, char *out, size_t outlen)
{
	char dir[64];
	int efd, ofd, saved_err, saved_out, dfd;
	ssize_t n;

	th_tmpdir(dir, sizeof(dir));
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	efd = openat(dfd, "err", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	ofd = openat(dfd, "out", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(efd >= 0 && ofd >= 0);
	fflush(stdout);
	saved_err = dup(STDERR_FILENO);
	saved_out = dup(STDOUT_FILENO);
	dup2(efd, STDERR_FILENO);
	dup2(ofd, STDOUT_FILENO);
	fn();
	fflush(stdout);
	dup2(saved_err, STDERR_FILENO);
	dup2(saved_out, STDOUT_FILENO);
	close(saved_err);
	close(saved_out);
	n = pread(efd, err, errlen - 1, 0);
	assert_true(n >= 0);
	err[n] = '\0';
	n = pread(ofd, out, outlen - 1, 0);
	assert_true(n >= 0);
	out[n] = '\0';
	close(efd);
	close(ofd);
	close(dfd);
	th_rmrf(dir);
}

static void
emit_all(void)
{
	log_open("/usr/sbin/chuted", false);
	log_set_level(LOG_DEBUG);
	log_err("e %d", 1);
	log_warn("w %s", "x");
	log_info("i");
	log_debug("d");
	log_msg(LOG_WARNING, "m");
}

static void
emit_filtered(void)
{
	log_open("chute", false);
	log_set_level(LOG_WARNING);
	log_info("hidden");
	log_debug("hidden");
	log_warn("shown");
	log_err("shown too");
}

static void
test_format_and_levels(void **state)
{
	char err[1024], out[256];

	(void)state;
	capture(emit_all, err, sizeof(err), out, sizeof(out));
	assert_string_equal(err,
	    "chuted: error: e 1\n"
	    "chuted: warning: w x\n"
	    "chuted: info: i\n"
	    "chuted: debug: d\n"
	    "chuted: warning: m\n");
	assert_string_equal(out, "");
	capture(emit_filtered, err, sizeof(err), out, sizeof(out));
	assert_string_equal(err,
	    "chute: warning: shown\n"
	    "chute: error: shown too\n");
	assert_int_equal(log_get_level(), LOG_WARNING);
}

static char long_text[5000];

static void
emit_long(void)
{
	log_open("t", false);
	log_set_level(LOG_INFO);
	log_info("%s", long_text);
	log_info("next");
}

static void
test_long_line_truncated(void **state)
{
	char err[8192], out[16];
	char *nl;

	(void)state;
	memset(long_text, 'x', sizeof(long_text) - 1);
	capture(emit_long, err, sizeof(err), out, sizeof(out));
	/* cut, but still one whole line, and the next line intact */
	assert_true(strncmp(err, "t: info: xxx", 12) == 0);
	nl = strchr(err, '\n');
	assert_non_null(nl);
	assert_true(nl - err < 2048);
	assert_string_equal(nl + 1, "t: info: next\n");
}

static void
test_errno_kept(void **state)
{
	(void)state;
	log_open("t", false);
	log_set_level(LOG_ERR);
	errno = ENOSPC;
	log_debug("dropped");
	assert_int_equal(errno, ENOSPC);
	errno = EBADMSG;
	log_info("dropped");
	assert_int_equal(errno, EBADMSG);
	log_set_level(99);
	assert_int_equal(log_get_level(), LOG_DEBUG);
	log_set_level(-3);
	assert_int_equal(log_get_level(), LOG_EMERG);
}

static void
test_fatal_exits(void **state)
{
	static const int codes[] = {1, 64, 78};
	size_t i;
	pid_t pid;
	int wstatus, devnull;

	(void)state;
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			devnull = open("/dev/null", O_WRONLY);
			dup2(devnull, STDERR_FILENO);
			log_open("t", false);
			log_fatal(codes[i], "bye %d", codes[i]);
		}
		assert_int_equal(waitpid(pid, &wstatus, 0), pid);
		assert_true(WIFEXITED(wstatus));
		assert_int_equal(WEXITSTATUS(wstatus), codes[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_errno_kept),
	    cmocka_unit_test(test_fatal_exits),
	    cmocka_unit_test(test_format_and_levels),
	    cmocka_unit_test(test_long_line_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
