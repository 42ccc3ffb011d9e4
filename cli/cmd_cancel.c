/* SPDX-License-Identifier: MIT */
/*
 * cmd_cancel: `chute cancel ID` asks the watcher to cancel a job that has
 * not finished (lib/cancel: the file cancel/ID; asking twice is fine) and
 * prints nothing. Unknown: "chute: ID: no such job"; finished: "chute: ID:
 * already finished (done)"; both exit 1. --wait then follows the job until
 * it ends and exits with the code of its end (125 when it was cancelled).
 */
#include <errno.h>
#include <stdio.h>

#include "cancel.h"
#include "cli.h"
#include "jobid.h"
#include "spool.h"

static const char cmd_cancel_help[] =
    "usage: chute cancel [-c FILE] [-s DIR] [--wait [--timeout D]] ID\n"
    "\n"
    "Asks the watcher to cancel job ID (the file cancel/ID): a queued job\n"
    "does not run, a running one is stopped, and it ends in failed/ with\n"
    "reason \"cancelled\". Asking again is harmless. Prints nothing; a job\n"
    "that has already finished is an error.\n"
    "  --wait          wait until the job has ended; exit with its code\n"
    "                  (125 when cancelled; see 'chute --help')\n"
    "  --timeout D     stop waiting after duration D (30s, 5m): exit 75\n";

/* The message for a refused cancel; returns CLI_EXIT_FAIL. */
static int
cancel_refused(const struct spool *sp, const char *id, int err)
{
	enum spool_state st;

	switch (err) {
	case ENOENT:
		return cli_error("%s: no such job", id);
	case EINVAL:
		return cli_error("%s: invalid job ID", id);
	case EALREADY:
		if (spool_lookup(sp, id, &st, NULL) == 0 &&
		    spool_state_public(st) != NULL)
			return cli_error("%s: already finished (%s)", id,
			    spool_state_public(st));
		return cli_error("%s: already finished", id);
	default:
		return cli_error("%s: %s", id, cli_reason(err));
	}
}

/* cli_jobcmd_fn: asks for the cancel. */
static int
cancel_do(const struct cli *cli, const struct spool *sp, const char *id)
{
	(void)cli;
	if (cancel_request(sp, id) == -1)
		return cancel_refused(sp, id, errno);
	return -1;
}

int
cmd_cancel(int argc, char **argv)
{
	return cli_jobcmd_run(
	    argc, argv, "cancel", cmd_cancel_help, cancel_do, CLI_WAIT_QUIET);
}
