/* SPDX-License-Identifier: MIT */
/*
 * log: diagnostics to stderr ("PROG: LEVEL: message", one write(2) per line so
 * lines from several processes do not interleave) or to syslog(3). The state
 * is three static variables (never exported: libinotifytools already exports
 * generic global names). Logging never fails visibly and keeps errno.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static char log_progname[64] = "chute";
static bool log_use_syslog;
static int log_level = LOG_INFO;

void
log_open(const char *progname, bool use_syslog)
{
	const char *slash;

	if (progname != NULL) {
		slash = strrchr(progname, '/');
		if (slash != NULL && slash[1] != '\0')
			progname = slash + 1;
		snprintf(log_progname, sizeof(log_progname), "%s", progname);
	}
	if (log_use_syslog)
		closelog();
	log_use_syslog = use_syslog;
	if (use_syslog)
		openlog(log_progname, LOG_PID, LOG_DAEMON);
}

void
log_set_level(int priority)
{
	if (priority < LOG_EMERG)
		priority = LOG_EMERG;
	if (priority > LOG_DEBUG)
		priority = LOG_DEBUG;
	log_level = priority;
}

int
log_get_level(void)
{
	return log_level;
}

static const char *
log_level_name(int priority)
{
	if (priority <= LOG_ERR)
		return "error";
	if (priority == LOG_WARNING)
		return "warning";
	if (priority <= LOG_INFO)
		return "info";
	return "debug";
}

static void
log_vmsg(int priority, const char *fmt, va_list ap)
{
	char line[2048];
	int saved = errno;
	int n, m;

	if (priority > log_level)
		goto out;
	if (log_use_syslog) {
		vsyslog(LOG_DAEMON | priority, fmt, ap);
		goto out;
	}
	n = snprintf(line, sizeof(line), "%s: %s: ", log_progname,
	    log_level_name(priority));
	if (n < 0 || (size_t)n >= sizeof(line))
		goto out;
	m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (m < 0)
		goto out;
	n += m;
	if ((size_t)n >= sizeof(line) - 1)
		n = (int)sizeof(line) - 2; /* truncated */
	line[n++] = '\n';
	for (m = 0; m < n;) {
		ssize_t w = write(STDERR_FILENO, line + m, (size_t)(n - m));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		m += (int)w;
	}
out:
	errno = saved;
}

void
log_msg(int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(priority, fmt, ap);
	va_end(ap);
}

void
log_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_ERR, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

_Noreturn void
log_fatal(int exit_code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_ERR, fmt, ap);
	va_end(ap);
	exit(exit_code);
}
