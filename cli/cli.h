/* SPDX-License-Identifier: MIT */
/*
 * cli: what the `chute` subcommands share: the global options (-c, -s, -h,
 * --version) accepted anywhere on the line, loading chute.conf, the exit
 * codes and the message policy. Each subcommand is cmd_NAME(argc, argv)
 * returning its exit code: 0 ok, 64 usage, 78 bad config, 1 anything else.
 * stdout carries only the command's result; every diagnostic is one line on
 * stderr, "chute: WHAT: reason". The small parsers here are pure (no I/O) so
 * that they can be unit-tested.
 */
#ifndef CHUTE_CLI_H
#define CHUTE_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "jobinfo.h"
#include "spool.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 64
#define CLI_EXIT_CONFIG 78

/* getopt values of the long-only options, shared by every subcommand so
 * that main.c can skip them before it knows the subcommand. */
enum cli_opt {
	CLI_OPT_VERSION = 256,
	CLI_OPT_BODY,
	CLI_OPT_ID,
	CLI_OPT_JSON,
	CLI_OPT_WAIT,
	CLI_OPT_TIMEOUT,
	CLI_OPT_RAW
};

/* Exit codes of --wait (chute --help documents them): a job that failed by
 * exit passes its handler's code through; a signal S gives 128+S, as a
 * shell does; the other reasons get codes of their own, beside timeout(1)'s
 * 124. The wait's own --timeout gives 75 (sysexits' EX_TEMPFAIL: the job
 * goes on, ask again later). A handler may exit with any of these itself:
 * `chute status --json` tells the cases apart. */
#define CLI_EXIT_WAIT_TIMEOUT 75
#define CLI_EXIT_JOB_TIMEOUT 124
#define CLI_EXIT_JOB_CANCELLED 125
#define CLI_EXIT_JOB_LOST 126
#define CLI_EXIT_JOB_REJECTED 127
#define CLI_EXIT_JOB_SIGNAL 128 /* + the signal number */

/* Short options every subcommand accepts (without the leading ':'). */
#define CLI_GLOBAL_SHORTOPTS "c:s:h"
#define CLI_MAX_LONGOPTS 16

/* One invocation: the global options seen and the configuration. */
struct cli {
	const char *cmd; /* "submit", ...; for messages */
	const char *help; /* the subcommand's help text */
	const char *config_path; /* -c, else NULL */
	const char *spool_path; /* -s, else NULL */
	char **args; /* the operands, in order; NULL-terminated; owned */
	int nargs;
	bool want_help;
	bool want_version;
	struct conf conf;
	bool conf_ready;
};

/* Handles one subcommand-specific option; returns 0, or an exit code
 * (after printing the message) to stop. */
typedef int (*cli_option_fn)(void *arg, int opt, const char *optarg);

void cli_init(struct cli *cli, const char *cmd, const char *help);
void cli_fini(struct cli *cli);

/* Parses argv (argv[0] is the program) with the global options plus the
 * subcommand's shortopts/longopts (longopts may be NULL, else ends with a
 * zeroed entry), in any order around the operands (also under
 * POSIXLY_CORRECT); "--" ends the options. Returns -1 when the command
 * should go on, with its operands in cli->args[0 .. cli->nargs-1];
 * otherwise the exit code to return at once: 0 after --help or --version
 * (printed on stdout), 64 after a usage message, 1 when out of memory. */
int cli_parse(struct cli *cli, int argc, char **argv, const char *shortopts,
    const struct option *longopts, cli_option_fn fn, void *arg);

/* Loads chute.conf (conf_load_located) and applies -s. Returns -1 when
 * loaded, else the exit code (78) after printing the message. */
int cli_load_conf(struct cli *cli);

/* Opens the configured spool into sp (spool_open()). Returns -1 when
 * open, else CLI_EXIT_FAIL after saying why ("no spool here (create it
 * with 'chute init')" for a missing one). */
int cli_spool_open(const struct cli *cli, struct spool *sp);

/* Prints "chute: CMD: message" and "try 'chute CMD --help'" on stderr and
 * returns CLI_EXIT_USAGE. */
int cli_usage_error(const struct cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints "chute: message" on stderr and returns CLI_EXIT_FAIL. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A short reason for errno err: "permission denied", "spool filesystem is
 * full", ... or strerror(err). Never NULL. */
const char *cli_reason(int err);

/* Flushes stdout; on a write error prints it and returns CLI_EXIT_FAIL,
 * else returns code. */
int cli_finish_stdout(int code);

/* Splits "name=value" at the first '=': copies name into name (namelen
 * bytes with the NUL) and points *value into arg. 0, or -1 with errno:
 * EINVAL without '=', ENAMETOOLONG when the name does not fit. The name is
 * not validated here. */
int cli_split_assign(
    const char *arg, char *name, size_t namelen, const char **value);

/* Formats a size as chute.conf writes it: "64M", "512K", "3G", or a bare
 * number of bytes when no unit divides it. 0, or -1 with EINVAL when len is
 * too small. */
int cli_format_size(uint64_t bytes, char *buf, size_t len);

/* Writes "[#####.....]" with width cells (percent clamped to 0-100) into
 * buf. 0, or -1 with EINVAL when len < width + 3. */
int cli_progress_bar(int percent, unsigned width, char *buf, size_t len);

/* The exit code of --wait for a job that has ended (see above): 0 for
 * done; for failed, by reason: exit -> the handler's code (1 when it is
 * unknown or 0), signal -> 128+S, timeout 124, cancelled 125, lost 126,
 * rejected 127, anything else 1. Pure. */
int cli_job_exit_code(const struct jobinfo *ji);

/* How cli_wait() shows the job while it waits. */
enum cli_wait_show {
	CLI_WAIT_QUIET, /* nothing */
	CLI_WAIT_HUMAN, /* a bar on a terminal, else one line per change */
	CLI_WAIT_JSON /* one JSON object (jobinfo) per change */
};

/* Follows job id (jobwait) until it ends, showing it as show says, and
 * returns cli_job_exit_code() of its end; timeout_ms < 0 waits without a
 * limit, else CLI_EXIT_WAIT_TIMEOUT after that long. An unknown job:
 * "chute: ID: no such job", 1. */
int cli_wait(const struct spool *sp, const char *id, enum cli_wait_show show,
    int64_t timeout_ms);

/* Parses --timeout's DURATION (chute.conf's syntax: 90, 30s, 5m, 2h, 1d)
 * into *ms; "0" means no limit (-1). Returns -1 when parsed, else the
 * usage exit code after the message. */
int cli_parse_timeout(const struct cli *cli, const char *text, int64_t *ms);

/* --wait and --timeout D, the options of a command that may follow its job
 * to its end (cancel, retry; status adds --json). */
struct cli_wait_opts {
	bool wait;
	const char
	    *timeout; /* --timeout's text, for cli_job_begin(); or NULL */
};

/* The getopt table of just those two (ends with a zeroed entry), and a
 * cli_option_fn that records them in arg, a struct cli_wait_opts (any
 * other opt is ignored). */
extern const struct option cli_wait_longopts[];
int cli_wait_option(void *arg, int opt, const char *optarg);

/* The common start of a command on one job (status, cancel, retry): exactly
 * one operand, the ID; --timeout only with --wait (parsed into *timeout_ms,
 * -1 = no limit); the config loaded; the ID valid; the spool opened into
 * sp. Returns -1 when all that succeeded, with *id set, else the exit code
 * after the message. */
int cli_job_begin(struct cli *cli, bool wait, const char *timeout,
    int64_t *timeout_ms, struct spool *sp, const char **id);

/* The request of a command on one job (cancel, retry), made once
 * cli_job_begin() has succeeded: returns -1 when it was done, else the
 * exit code after printing why not. */
typedef int (*cli_jobcmd_fn)(
    const struct cli *cli, const struct spool *sp, const char *id);

/* Runs such a command from its argv (jobcmd.c): its only options are
 * --wait and --timeout D (cli_wait_longopts), then cli_job_begin(), the
 * request, and with --wait cli_wait() showing the job as show says.
 * Returns the exit code. */
int cli_jobcmd_run(int argc, char **argv, const char *cmd, const char *help,
    cli_jobcmd_fn request, enum cli_wait_show show);

/* The last component of path ("a/b" -> "b"), pointing into path; NULL when
 * there is none ("", "/", "dir/"). */
const char *cli_path_basename(const char *path);

/* The subcommands: argv without the subcommand word (argv[0] is the
 * program). Each returns its exit code and owns nothing afterwards. */
int cmd_init(int argc, char **argv);
int cmd_submit(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_cancel(int argc, char **argv);
int cmd_retry(int argc, char **argv);
int cmd_stats(int argc, char **argv);

#endif
