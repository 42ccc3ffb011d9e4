/* SPDX-License-Identifier: MIT */
/*
 * main: `chute`, the command line. Finds the subcommand (the first operand;
 * options of any subcommand may come before it) and hands it the rest of
 * the line without the subcommand word, so that every option may appear
 * anywhere: `chute status -c FILE --json ID`. Exit codes: 0 ok, 64 usage,
 * 78 bad config, 1 other. stdout carries only the result.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"

static const char main_help[] =
    "usage: chute [-c FILE] [-s DIR] COMMAND [ARGS]\n"
    "\n"
    "Commands:\n"
    "  init [DIR]                 create a spool (default: the config's)\n"
    "  submit [-F NAME=VALUE]... [-f NAME=PATH]... [--body PATH] [--id NAME]\n"
    "         [--wait [--timeout D]]\n"
    "                             submit a job and print its ID\n"
    "  status ID [--json] [--wait [--timeout D]]\n"
    "                             show a job's state and progress\n"
    "  ls [STATE]                 list jobs (queued|running|done|failed)\n"
    "  cancel ID [--wait [--timeout D]]\n"
    "                             ask the watcher to cancel a job\n"
    "  retry ID [--wait [--timeout D]]\n"
    "                             requeue a failed job with a fresh attempt\n"
    "                             count\n"
    "  stats [--raw]              summarize the watcher's metrics file\n"
    "\n"
    "Options (accepted before or after the command):\n"
    "  -c, --config FILE          configuration file (default: $CHUTE_CONFIG,\n"
    "                             else /etc/chute/chute.conf)\n"
    "  -s, --spool DIR            spool directory, overriding the config\n"
    "  -h, --help                 help; 'chute COMMAND --help' for a command\n"
    "      --version              print the version\n"
    "\n"
    "Exit status: 0 ok, 1 error, 64 usage error, 78 bad configuration.\n"
    "With --wait, once the job has ended: 0 done; the handler's exit code\n"
    "when it failed by exit; 128+S when a signal S killed it; 124 timeout,\n"
    "125 cancelled, 126 lost (its runner died), 127 rejected (not a job);\n"
    "1 when the job cannot be found; 75 when --timeout D passed first (the\n"
    "job goes on). A handler may itself exit 124-127 or above 128: 'chute\n"
    "status --json ID' tells the cases apart.\n";

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} main_cmds[] = {
    {"init", cmd_init},
    {"submit", cmd_submit},
    {"status", cmd_status},
    {"ls", cmd_ls},
    {"cancel", cmd_cancel},
    {"retry", cmd_retry},
    {"stats", cmd_stats},
};

/* Every option of every subcommand, only to step over them (and their
 * arguments) on the way to the subcommand word. */
static const struct option main_scan_longopts[] = {
    {"config", required_argument, NULL, 'c'},
    {"spool", required_argument, NULL, 's'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, CLI_OPT_VERSION},
    {"field", required_argument, NULL, 'F'},
    {"file", required_argument, NULL, 'f'},
    {"body", required_argument, NULL, CLI_OPT_BODY},
    {"id", required_argument, NULL, CLI_OPT_ID},
    {"json", no_argument, NULL, CLI_OPT_JSON},
    {"wait", no_argument, NULL, CLI_OPT_WAIT},
    {"timeout", required_argument, NULL, CLI_OPT_TIMEOUT},
    {"raw", no_argument, NULL, CLI_OPT_RAW},
    {NULL, 0, NULL, 0},
};

/* Makes sure fds 0-2 are open, so that no file we open becomes stdout. */
static void
main_sanitize_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) == -1 &&
		    open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) == -1)
			_exit(CLI_EXIT_FAIL);
	}
}

static int
main_usage(const char *msg, const char *word)
{
	fprintf(stderr, "chute: %s '%s'\ntry 'chute --help'\n", msg, word);
	return CLI_EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	bool help = false, version = false;
	char **sub = NULL;
	int opt, subc, rc;
	size_t i;

	main_sanitize_fds();
	if (argc < 1)
		return CLI_EXIT_USAGE;

	/* '+': stop at the first operand, which is the subcommand. */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:c:s:hF:f:", main_scan_longopts,
		    NULL)) != -1) {
		if (opt == 'h')
			help = true;
		else if (opt == CLI_OPT_VERSION)
			version = true;
		else if (opt == '?' || opt == ':')
			return main_usage(opt == '?' ? "unknown option"
						     : "missing argument for",
			    argv[optind - 1]);
	}
	if (optind >= argc) {
		if (help || version) {
			if (help)
				fputs(main_help, stdout);
			else
				printf("chute %s\n", CHUTE_VERSION);
			return cli_finish_stdout(CLI_EXIT_OK);
		}
		fputs("chute: missing command\ntry 'chute --help'\n", stderr);
		return CLI_EXIT_USAGE;
	}
	for (i = 0; i < sizeof(main_cmds) / sizeof(main_cmds[0]); i++)
		if (strcmp(argv[optind], main_cmds[i].name) == 0)
			break;
	if (i == sizeof(main_cmds) / sizeof(main_cmds[0]))
		return main_usage("unknown command", argv[optind]);

	/* The line without the subcommand word; argv[argc] stays NULL. */
	sub = calloc((size_t)argc, sizeof(*sub));
	if (sub == NULL) {
		perror("chute");
		return CLI_EXIT_FAIL;
	}
	subc = 0;
	for (int j = 0; j < argc; j++)
		if (j != optind)
			sub[subc++] = argv[j];
	sub[subc] = NULL;
	rc = main_cmds[i].run(subc, sub);
	free(sub);
	return rc;
}
