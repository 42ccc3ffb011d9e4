/* SPDX-License-Identifier: MIT */
/*
 * log: the one place chute's programs write diagnostics, to stderr or syslog.
 * Levels are syslog(3) priorities (LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG).
 * Library code (lib/) never calls these on its own behalf: it returns -1 with
 * errno and lets the program decide what to say. Nothing here writes stdout.
 */
#ifndef CHUTE_LOG_H
#define CHUTE_LOG_H

#include <stdbool.h>
#include <syslog.h>

/* Sets the program name shown in each line and the sink. Safe to call again. */
void log_open(const char *progname, bool use_syslog);
/* Messages above this priority (numerically greater) are dropped. */
void log_set_level(int priority);
int log_get_level(void);

void log_msg(int priority, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* For setup only: logs at LOG_ERR and exits with exit_code. */
_Noreturn void log_fatal(int exit_code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
