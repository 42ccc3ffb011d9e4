/* SPDX-License-Identifier: MIT */
/*
 * options: the `chute` subcommands' shared plumbing: option parsing with the
 * global options merged in, chute.conf loading, messages and exit codes,
 * and a few pure helpers (name=value splitting, size and progress-bar
 * formatting). Nothing here exits: functions return the exit code for the
 * caller to pass up, after printing exactly one diagnostic line (plus the
 * "try" hint for usage errors).
 */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "jobid.h"

static const struct option cli_global_longopts[] = {
    {"config", required_argument, NULL, 'c'},
    {"spool", required_argument, NULL, 's'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, CLI_OPT_VERSION},
};

#define CLI_NGLOBAL \
	(sizeof(cli_global_longopts) / sizeof(cli_global_longopts[0]))

void
cli_init(struct cli *cli, const char *cmd, const char *help)
{
	memset(cli, 0, sizeof(*cli));
	cli->cmd = cmd;
	cli->help = help;
}

void
cli_fini(struct cli *cli)
{
	if (cli->conf_ready)
		conf_fini(&cli->conf);
	cli->conf_ready = false;
	free(cli->args);
	cli->args = NULL;
	cli->nargs = 0;
}

int
cli_usage_error(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "chute: %s: ", cli->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\ntry 'chute %s --help'\n", cli->cmd);
	return CLI_EXIT_USAGE;
}

int
cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("chute: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_EXIT_FAIL;
}

const char *
cli_reason(int err)
{
	switch (err) {
	case EACCES:
	case EPERM:
		return "permission denied";
	case ENOSPC:
		return "spool filesystem is full";
	case EDQUOT:
		return "disk quota exceeded";
	case ENOENT:
		return "no such file or directory";
	case ENOTDIR:
		return "not a directory";
	case EISDIR:
		return "is a directory";
	case ELOOP:
		return "is a symbolic link";
	case EEXIST:
		return "already exists";
	case ENOMEM:
		return "out of memory";
	case EROFS:
		return "read-only file system";
	default:
		return strerror(err);
	}
}

int
cli_finish_stdout(int code)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		int err = errno;

		return cli_error(
		    "stdout: %s", err ? cli_reason(err) : "write error");
	}
	return code;
}

/* Reports a getopt error: an unknown option or a missing argument. */
static int
cli_option_error(const struct cli *cli, int argc, char **argv, int opt)
{
	const char *word = optind > 0 && optind <= argc ? argv[optind - 1] : "";
	bool is_long = strncmp(word, "--", 2) == 0;

	if (opt == ':') {
		if (is_long)
			return cli_usage_error(
			    cli, "option '%s' needs an argument", word);
		return cli_usage_error(
		    cli, "option '-%c' needs an argument", optopt);
	}
	if (is_long || optopt == 0 || optopt >= 256)
		return cli_usage_error(cli, "unknown option '%s'", word);
	return cli_usage_error(cli, "unknown option '-%c'", optopt);
}

int
cli_parse(struct cli *cli, int argc, char **argv, const char *shortopts,
    const struct option *longopts, cli_option_fn fn, void *arg)
{
	struct option all[CLI_MAX_LONGOPTS];
	char optstring[64];
	size_t n = 0;
	int opt, rc, len;

	for (size_t i = 0; i < CLI_NGLOBAL; i++)
		all[n++] = cli_global_longopts[i];
	for (size_t i = 0; longopts != NULL && longopts[i].name != NULL; i++) {
		assert(n + 1 < CLI_MAX_LONGOPTS);
		all[n++] = longopts[i];
	}
	memset(&all[n], 0, sizeof(all[n]));
	/* '-': operands come back in order as option 1, so options may
	 * follow them even under POSIXLY_CORRECT. */
	len = snprintf(optstring, sizeof(optstring), "-:%s%s",
	    CLI_GLOBAL_SHORTOPTS, shortopts != NULL ? shortopts : "");
	if (len < 0 || (size_t)len >= sizeof(optstring))
		return cli_error("%s: option table too long", cli->cmd);

	cli->args = calloc((size_t)argc + 1, sizeof(*cli->args));
	if (cli->args == NULL)
		return cli_error("%s", cli_reason(errno));
	cli->nargs = 0;
	/* optind = 0 makes GNU getopt start afresh (main.c scanned first). */
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, optstring, all, NULL)) != -1) {
		switch (opt) {
		case 1:
			cli->args[cli->nargs++] = optarg;
			break;
		case 'c':
			cli->config_path = optarg;
			break;
		case 's':
			cli->spool_path = optarg;
			break;
		case 'h':
			cli->want_help = true;
			break;
		case CLI_OPT_VERSION:
			cli->want_version = true;
			break;
		case '?':
		case ':':
			return cli_option_error(cli, argc, argv, opt);
		default:
			if (fn == NULL)
				return cli_option_error(cli, argc, argv, '?');
			rc = fn(arg, opt, optarg);
			if (rc != 0)
				return rc;
			break;
		}
	}
	if (cli->want_help) {
		fputs(cli->help, stdout);
		return cli_finish_stdout(CLI_EXIT_OK);
	}
	if (cli->want_version) {
		printf("chute %s\n", CHUTE_VERSION);
		return cli_finish_stdout(CLI_EXIT_OK);
	}
	/* After "--": the rest are operands. */
	for (int i = optind; i < argc; i++)
		cli->args[cli->nargs++] = argv[i];
	return -1;
}

int
cli_load_conf(struct cli *cli)
{
	char err[CONF_ERR_LEN];

	conf_init(&cli->conf);
	cli->conf_ready = true;
	err[0] = '\0';
	if (conf_load_located(&cli->conf, cli->config_path, err, sizeof(err)) ==
	    -1) {
		if (err[0] == '\0')
			snprintf(err, sizeof(err), "%s: %s",
			    cli->config_path != NULL ? cli->config_path
						     : "configuration",
			    cli_reason(errno));
		fprintf(stderr, "chute: %s\n", err);
		return CLI_EXIT_CONFIG;
	}
	if (cli->spool_path != NULL &&
	    conf_set_string(&cli->conf.spool, cli->spool_path) == -1)
		return cli_error("%s", cli_reason(errno));
	return -1;
}

int
cli_spool_open(const struct cli *cli, struct spool *sp)
{
	const char *path = cli->conf.spool;

	if (spool_open(sp, path) == 0)
		return -1;
	if (errno == ENOENT)
		return cli_error(
		    "%s: no spool here (create it with 'chute init')", path);
	return cli_error("%s: %s", path, cli_reason(errno));
}

int
cli_split_assign(
    const char *arg, char *name, size_t namelen, const char **value)
{
	const char *eq = strchr(arg, '=');
	size_t len;

	if (eq == NULL) {
		errno = EINVAL;
		return -1;
	}
	len = (size_t)(eq - arg);
	if (len >= namelen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(name, arg, len);
	name[len] = '\0';
	*value = eq + 1;
	return 0;
}

int
cli_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const struct {
		char unit;
		unsigned shift;
	} units[] = {{'G', 30}, {'M', 20}, {'K', 10}};
	int n = -1;

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		uint64_t mask = ((uint64_t)1 << units[i].shift) - 1;

		if (bytes != 0 && (bytes & mask) == 0) {
			n = snprintf(buf, len, "%llu%c",
			    (unsigned long long)(bytes >> units[i].shift),
			    units[i].unit);
			break;
		}
	}
	if (n == -1)
		n = snprintf(buf, len, "%llu", (unsigned long long)bytes);
	if (n < 0 || (size_t)n >= len) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int
cli_progress_bar(int percent, unsigned width, char *buf, size_t len)
{
	unsigned filled;

	if (len < (size_t)width + 3) {
		errno = EINVAL;
		return -1;
	}
	if (percent < 0)
		percent = 0;
	if (percent > 100)
		percent = 100;
	filled = (unsigned)percent * width / 100;
	buf[0] = '[';
	for (unsigned i = 0; i < width; i++)
		buf[1 + i] = i < filled ? '#' : '.';
	buf[width + 1] = ']';
	buf[width + 2] = '\0';
	return 0;
}

const char *
cli_path_basename(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash != NULL ? slash + 1 : path;

	return *base != '\0' ? base : NULL;
}

int
cli_job_exit_code(const struct jobinfo *ji)
{
	static const struct {
		const char *reason;
		int code;
	} codes[] = {
	    {"timeout", CLI_EXIT_JOB_TIMEOUT},
	    {"cancelled", CLI_EXIT_JOB_CANCELLED},
	    {"lost", CLI_EXIT_JOB_LOST},
	    {"rejected", CLI_EXIT_JOB_REJECTED},
	};
	const struct status *st = &ji->st;

	if (ji->state == SPOOL_DONE)
		return CLI_EXIT_OK;
	if (ji->state != SPOOL_FAILED)
		return CLI_EXIT_FAIL; /* not ended: not for this function */
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(st->reason, codes[i].reason) == 0)
			return codes[i].code;
	if (strcmp(st->reason, "signal") == 0 && st->signal > 0 &&
	    st->signal < 128)
		return CLI_EXIT_JOB_SIGNAL + st->signal;
	if (strcmp(st->reason, "exit") == 0 && st->exit_code > 0 &&
	    st->exit_code < 256)
		return st->exit_code;
	/* No reason recorded (a status lost or written by hand): what the
	 * status says, else a plain failure. */
	if (st->reason[0] == '\0' && st->signal > 0 && st->signal < 128)
		return CLI_EXIT_JOB_SIGNAL + st->signal;
	if (st->reason[0] == '\0' && st->exit_code > 0 && st->exit_code < 256)
		return st->exit_code;
	return CLI_EXIT_FAIL;
}

int
cli_parse_timeout(const struct cli *cli, const char *text, int64_t *ms)
{
	if (conf_parse_duration(text, ms) == -1 || *ms < 0)
		return cli_usage_error(cli,
		    "invalid --timeout '%s' (a duration: 90, 30s, 5m, 2h)",
		    text);
	if (*ms == 0)
		*ms = -1;
	return -1;
}

const struct option cli_wait_longopts[] = {
    {"wait", no_argument, NULL, CLI_OPT_WAIT},
    {"timeout", required_argument, NULL, CLI_OPT_TIMEOUT},
    {NULL, 0, NULL, 0},
};

int
cli_wait_option(void *arg, int opt, const char *optarg)
{
	struct cli_wait_opts *o = arg;

	if (opt == CLI_OPT_WAIT)
		o->wait = true;
	else if (opt == CLI_OPT_TIMEOUT)
		o->timeout = optarg;
	return 0;
}

int
cli_job_begin(struct cli *cli, bool wait, const char *timeout,
    int64_t *timeout_ms, struct spool *sp, const char **id)
{
	int rc;

	*timeout_ms = -1;
	if (cli->nargs == 0)
		return cli_usage_error(cli, "missing job ID");
	if (cli->nargs > 1)
		return cli_usage_error(
		    cli, "unexpected argument '%s'", cli->args[1]);
	if (timeout != NULL) {
		if (!wait)
			return cli_usage_error(cli, "--timeout needs --wait");
		rc = cli_parse_timeout(cli, timeout, timeout_ms);
		if (rc != -1)
			return rc;
	}
	*id = cli->args[0];
	rc = cli_load_conf(cli);
	if (rc != -1)
		return rc;
	if (!jobid_name_valid(*id))
		return cli_error("%s: invalid job ID", *id);
	return cli_spool_open(cli, sp);
}
