/* SPDX-License-Identifier: MIT */
/*
 * cmd_init: `chute init [DIR]` creates a spool (DIR, else the config's
 * spool) with spool_init(), owned by group `chute` when that group exists,
 * then opens it once to check that it is usable. Existing directories are
 * kept as they are. Prints nothing on success; exit 1 with
 * "chute: DIR: reason" on failure.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <sys/types.h>

#include "cli.h"
#include "spool.h"

#define CMD_INIT_GROUP "chute"

static const char cmd_init_help[] =
    "usage: chute init [-c FILE] [-s DIR] [DIR]\n"
    "\n"
    "Creates the spool DIR (default: the configured spool) with its state\n"
    "directories tmp/ new/ run/ done/ failed/ cancel/. When a group named\n"
    "'chute' exists, the spool belongs to it (see chute.conf(5) for the\n"
    "modes). Existing directories are kept. Prints nothing on success.\n";

int
cmd_init(int argc, char **argv)
{
	struct cli cli;
	struct spool sp = {.path = NULL, .rootfd = -1};
	const struct group *gr;
	const char *dir;
	gid_t gid = (gid_t)-1;
	int rc;

	for (int i = 0; i < SPOOL_NSTATES; i++)
		sp.dirfd[i] = -1;
	cli_init(&cli, "init", cmd_init_help);
	rc = cli_parse(&cli, argc, argv, NULL, NULL, NULL, NULL);
	if (rc != -1)
		goto out;
	if (cli.nargs > 1) {
		rc = cli_usage_error(
		    &cli, "unexpected argument '%s'", cli.args[1]);
		goto out;
	}
	rc = cli_load_conf(&cli);
	if (rc != -1)
		goto out;
	dir = cli.nargs > 0 ? cli.args[0] : cli.conf.spool;

	errno = 0;
	gr = getgrnam(CMD_INIT_GROUP);
	if (gr != NULL)
		gid = gr->gr_gid;
	if (spool_init(dir, gid) == -1) {
		rc = cli_error("%s: %s", dir, cli_reason(errno));
		goto out;
	}
	if (spool_open(&sp, dir) == -1) {
		rc = cli_error("%s: created but cannot be opened: %s", dir,
		    cli_reason(errno));
		goto out;
	}
	rc = CLI_EXIT_OK;
out:
	spool_close(&sp);
	cli_fini(&cli);
	return rc;
}
