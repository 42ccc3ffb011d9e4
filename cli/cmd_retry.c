/* SPDX-License-Identifier: MIT */
/*
 * cmd_retry: `chute retry ID` requeues a failed job by hand with a fresh
 * attempt count (lib/retry: status reset, history kept, back into new/ where
 * the watcher picks it up) and prints nothing. Only a failed job, and not a
 * rejected entry; of two retries at once exactly one wins and the other
 * says so. Every refusal is one line on stderr and exit 1. --wait then
 * follows the job until it ends, as `chute status --wait` does.
 */
#include <errno.h>
#include <stdio.h>

#include "cli.h"
#include "jobid.h"
#include "retry.h"
#include "spool.h"

static const char cmd_retry_help[] =
    "usage: chute retry [-c FILE] [-s DIR] [--wait [--timeout D]] ID\n"
    "\n"
    "Requeues failed job ID with a fresh attempt count: its status goes back\n"
    "to queued, attempt 0 (the history of attempts is kept) and the watcher\n"
    "runs it again. Only a job in failed/ can be retried, and not a rejected\n"
    "entry. Prints nothing.\n"
    "  --wait          then follow the job until it ends (as status --wait)\n"
    "  --timeout D     stop waiting after duration D (30s, 5m): exit 75\n";

/* The message for a refused retry; returns CLI_EXIT_FAIL. */
static int
retry_refused(const char *id, int err, enum spool_state found)
{
	const char *state = spool_state_public(found);

	switch (err) {
	case ENOENT:
		return cli_error("%s: no such job", id);
	case EINVAL:
		return cli_error("%s: invalid job ID", id);
	case EBUSY:
		return cli_error("%s: not failed (%s)", id,
		    state != NULL ? state : "unknown");
	case EPERM:
		return cli_error(
		    "%s: a rejected entry cannot be retried (not a job)", id);
	case EALREADY:
		return cli_error(
		    "%s: another process is retrying or moving it", id);
	default:
		return cli_error("%s: %s", id, cli_reason(err));
	}
}

/* cli_jobcmd_fn: requeues the job. */
static int
retry_do(const struct cli *cli, const struct spool *sp, const char *id)
{
	enum spool_state found = SPOOL_FAILED;

	if (retry_requeue(sp, id, cli->conf.fsync, &found) == -1)
		return retry_refused(id, errno, found);
	return -1;
}

int
cmd_retry(int argc, char **argv)
{
	return cli_jobcmd_run(
	    argc, argv, "retry", cmd_retry_help, retry_do, CLI_WAIT_HUMAN);
}
