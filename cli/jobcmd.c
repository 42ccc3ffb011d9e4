/* SPDX-License-Identifier: MIT */
/*
 * jobcmd: the shape that `chute cancel` and `chute retry` share: parse
 * --wait and --timeout with the global options, cli_job_begin() (one valid
 * ID, the config, the spool), the command's own request, then, with
 * --wait, follow the job to its end. Owns the spool and struct cli of the
 * run and releases both on every path; the request prints its own refusal.
 */
#include "cli.h"

int
cli_jobcmd_run(int argc, char **argv, const char *cmd, const char *help,
    cli_jobcmd_fn request, enum cli_wait_show show)
{
	struct cli cli;
	struct cli_wait_opts o = {.wait = false, .timeout = NULL};
	struct spool sp = {.path = NULL, .rootfd = -1};
	int64_t timeout_ms = -1;
	const char *id;
	int rc;

	for (int i = 0; i < SPOOL_NSTATES; i++)
		sp.dirfd[i] = -1;
	cli_init(&cli, cmd, help);
	rc = cli_parse(
	    &cli, argc, argv, "", cli_wait_longopts, cli_wait_option, &o);
	if (rc != -1)
		goto out;
	rc = cli_job_begin(&cli, o.wait, o.timeout, &timeout_ms, &sp, &id);
	if (rc != -1)
		goto out;
	rc = request(&cli, &sp, id);
	if (rc != -1)
		goto out;
	rc = CLI_EXIT_OK;
	if (o.wait)
		rc = cli_wait(&sp, id, show, timeout_ms);
out:
	spool_close(&sp);
	cli_fini(&cli);
	return rc;
}
