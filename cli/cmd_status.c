/* SPDX-License-Identifier: MIT */
/*
 * cmd_status: `chute status ID [--json]` shows one job through jobinfo (the
 * same view chute.cgi serves): --json prints jobinfo_to_json() on one line;
 * otherwise one summary line with only the facts that are known, and, when
 * the handler reports progress, a bar on a terminal or "progress: N% msg"
 * elsewhere. Unknown ID: "chute: ID: no such job", exit 1; an ID that is
 * not a valid job name is never looked up ("invalid job ID", exit 1).
 * --wait follows the job until it ends (cli_wait) and exits with the code
 * of its end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "jobid.h"
#include "jobinfo.h"
#include "spool.h"
#include "timestamp.h"

#define STATUS_BAR_WIDTH 20

static const char cmd_status_help[] =
    "usage: chute status [-c FILE] [-s DIR] [--json] [--wait [--timeout D]] "
    "ID\n"
    "\n"
    "Shows the state of job ID: queued, running, done or failed, its\n"
    "attempt, exit code or signal, reason, times and progress.\n"
    "  --json          print the job as one line of JSON (as chute.cgi\n"
    "                  serves it); with --wait, one line per change\n"
    "  --wait          follow the job until it ends: a progress bar on a\n"
    "                  terminal, else one line per change; exit with the\n"
    "                  job's code (see 'chute --help')\n"
    "  --timeout D     stop waiting after duration D (30s, 5m, 2h): exit 75\n";

struct status_opts {
	bool json;
	struct cli_wait_opts w;
};

static const struct option status_longopts[] = {
    {"json", no_argument, NULL, CLI_OPT_JSON},
    {"wait", no_argument, NULL, CLI_OPT_WAIT},
    {"timeout", required_argument, NULL, CLI_OPT_TIMEOUT},
    {NULL, 0, NULL, 0},
};

static int
status_option(void *arg, int opt, const char *optarg)
{
	struct status_opts *o = arg;

	if (opt == CLI_OPT_JSON) {
		o->json = true;
		return 0;
	}
	return cli_wait_option(&o->w, opt, optarg);
}

/* Appends "  LABEL TIME" when ms is set. */
static void
status_print_time(const char *label, int64_t ms)
{
	char buf[TIMESTAMP_RFC3339_LEN];

	if (ms != 0 && timestamp_format(ms, buf, sizeof(buf)) == 0)
		printf("  %s %s", label, buf);
}

static void
status_print_human(const char *id, const struct jobinfo *ji)
{
	const char *state = spool_state_public(ji->state);
	char bar[STATUS_BAR_WIDTH + 3];

	printf("%s  %s", id, state != NULL ? state : "unknown");
	if (ji->st.attempt > 0)
		printf("  attempt %u", ji->st.attempt);
	if (ji->st.exit_code >= 0)
		printf("  exit %d", ji->st.exit_code);
	if (ji->st.signal != 0)
		printf("  signal %d", ji->st.signal);
	if (ji->st.reason[0] != '\0')
		printf("  reason %s", ji->st.reason);
	status_print_time("submitted", ji->st.submitted_ms);
	status_print_time("started", ji->st.started_ms);
	status_print_time("finished", ji->st.finished_ms);
	putchar('\n');
	if (ji->progress_percent < 0)
		return;
	if (isatty(STDOUT_FILENO) &&
	    cli_progress_bar(
		ji->progress_percent, STATUS_BAR_WIDTH, bar, sizeof(bar)) == 0)
		printf("%s  %d%%", bar, ji->progress_percent);
	else
		printf("progress: %d%%", ji->progress_percent);
	if (ji->progress_message[0] != '\0')
		printf(" %s", ji->progress_message);
	putchar('\n');
}

int
cmd_status(int argc, char **argv)
{
	struct cli cli;
	struct status_opts o = {.json = false};
	int64_t timeout_ms = -1;
	struct spool sp = {.path = NULL, .rootfd = -1};
	struct jobinfo ji;
	bool loaded = false;
	json_t *obj = NULL;
	char *text = NULL;
	const char *id;
	int rc;

	for (int i = 0; i < SPOOL_NSTATES; i++)
		sp.dirfd[i] = -1;
	cli_init(&cli, "status", cmd_status_help);
	rc =
	    cli_parse(&cli, argc, argv, "", status_longopts, status_option, &o);
	if (rc != -1)
		goto out;
	rc = cli_job_begin(&cli, o.w.wait, o.w.timeout, &timeout_ms, &sp, &id);
	if (rc != -1)
		goto out;
	if (o.w.wait) {
		rc = cli_wait(&sp, id, o.json ? CLI_WAIT_JSON : CLI_WAIT_HUMAN,
		    timeout_ms);
		goto out;
	}
	if (jobinfo_load(&sp, id, &ji) == -1) {
		if (errno == ENOENT)
			rc = cli_error("%s: no such job", id);
		else if (errno == EINVAL)
			rc = cli_error("%s: invalid job ID", id);
		else
			rc = cli_error("%s: %s", id, cli_reason(errno));
		goto out;
	}
	loaded = true;
	if (o.json) {
		obj = jobinfo_to_json(&ji);
		text =
		    obj != NULL ? json_dumps(obj, JSON_PRESERVE_ORDER) : NULL;
		if (text == NULL) {
			rc = cli_error("%s: %s", id, cli_reason(ENOMEM));
			goto out;
		}
		printf("%s\n", text);
	} else
		status_print_human(id, &ji);
	rc = cli_finish_stdout(CLI_EXIT_OK);
out:
	free(text);
	json_decref(obj);
	if (loaded)
		jobinfo_fini(&ji);
	spool_close(&sp);
	cli_fini(&cli);
	return rc;
}
