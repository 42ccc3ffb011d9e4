/* SPDX-License-Identifier: MIT */
/*
 * wait: --wait of `chute submit`, `status`, `cancel` and `retry`: follows a
 * job with lib/jobwait (inotify on the job directory) and shows each
 * change: on a terminal one line redrawn in place ("\r", erased to its end,
 * cut to the terminal's width, a newline at the end), elsewhere one plain
 * line per change ("running  attempt 1", "45% message", "failed  exit 3
 * reason exit"), or one JSON object per change with --json. The exit code
 * is the job's end (cli_job_exit_code()). Errors: one line on stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "jobwait.h"

#define WAIT_BAR_WIDTH 20
#define WAIT_LINE_MAX 1024

struct wait_view {
	enum cli_wait_show show;
	bool tty;
	bool line_open; /* a terminal line is drawn without its newline */
	bool have_last;
	enum spool_state state;
	unsigned attempt;
	int percent;
	char message[JOBINFO_MESSAGE_MAX];
	int error; /* errno of a failed write to stdout, else 0 */
};

/* "STATE[  attempt N][  exit C][  signal S][  reason R]" into buf. */
static void
wait_format_state(const struct jobinfo *ji, char *buf, size_t len)
{
	const char *state = spool_state_public(ji->state);
	size_t n;

	snprintf(buf, len, "%s", state != NULL ? state : "unknown");
#define WAIT_APPEND(...) \
	do { \
		n = strlen(buf); \
		snprintf(buf + n, len - n, __VA_ARGS__); \
	} while (0)
	if (ji->st.attempt > 0)
		WAIT_APPEND("  attempt %u", ji->st.attempt);
	if (ji->state == SPOOL_DONE || ji->state == SPOOL_FAILED) {
		if (ji->st.exit_code >= 0)
			WAIT_APPEND("  exit %d", ji->st.exit_code);
		if (ji->st.signal != 0)
			WAIT_APPEND("  signal %d", ji->st.signal);
		if (ji->st.reason[0] != '\0')
			WAIT_APPEND("  reason %s", ji->st.reason);
	}
#undef WAIT_APPEND
}

/* The terminal's width, 80 when it does not say. */
static unsigned
wait_columns(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

static void
wait_draw_tty(struct wait_view *v, const struct jobinfo *ji)
{
	char line[WAIT_LINE_MAX], bar[WAIT_BAR_WIDTH + 3];
	unsigned cols = wait_columns();
	size_t n;

	wait_format_state(ji, line, sizeof(line));
	if (ji->progress_percent >= 0 &&
	    cli_progress_bar(
		ji->progress_percent, WAIT_BAR_WIDTH, bar, sizeof(bar)) == 0) {
		n = strlen(line);
		snprintf(line + n, sizeof(line) - n, "  %s %3d%%%s%s", bar,
		    ji->progress_percent,
		    ji->progress_message[0] != '\0' ? " " : "",
		    ji->progress_message);
	}
	/* One screen line, or "\r" would not get back to its start. The
	 * cut may split a UTF-8 character: the terminal shows one glyph
	 * less, nothing worse. */
	if (cols > 1 && strlen(line) >= cols)
		line[cols - 1] = '\0';
	printf("\r%s\033[K", line);
	v->line_open = true;
	if (ji->state == SPOOL_DONE || ji->state == SPOOL_FAILED) {
		putchar('\n');
		v->line_open = false;
	}
}

static void
wait_print_plain(struct wait_view *v, const struct jobinfo *ji)
{
	char line[WAIT_LINE_MAX];
	bool ended = ji->state == SPOOL_DONE || ji->state == SPOOL_FAILED;
	bool state_changed = !v->have_last || v->state != ji->state ||
	    v->attempt != ji->st.attempt;
	bool progress_changed = ji->progress_percent >= 0 &&
	    (!v->have_last || v->percent != ji->progress_percent ||
		strcmp(v->message, ji->progress_message) != 0);

	wait_format_state(ji, line, sizeof(line));
	/* The outcome comes last, so a script's `tail -n1` gets it. */
	if (state_changed && !ended)
		printf("%s\n", line);
	if (progress_changed)
		printf("%d%%%s%s\n", ji->progress_percent,
		    ji->progress_message[0] != '\0' ? " " : "",
		    ji->progress_message);
	if (state_changed && ended)
		printf("%s\n", line);
}

static int
wait_show(void *arg, const struct jobinfo *ji)
{
	struct wait_view *v = arg;
	json_t *obj;
	char *text;

	switch (v->show) {
	case CLI_WAIT_QUIET:
		return 0;
	case CLI_WAIT_JSON:
		obj = jobinfo_to_json(ji);
		text =
		    obj != NULL ? json_dumps(obj, JSON_PRESERVE_ORDER) : NULL;
		json_decref(obj);
		if (text == NULL) {
			v->error = ENOMEM;
			return -1;
		}
		printf("%s\n", text);
		free(text);
		break;
	case CLI_WAIT_HUMAN:
		if (v->tty)
			wait_draw_tty(v, ji);
		else
			wait_print_plain(v, ji);
		break;
	}
	v->have_last = true;
	v->state = ji->state;
	v->attempt = ji->st.attempt;
	v->percent = ji->progress_percent;
	snprintf(v->message, sizeof(v->message), "%s", ji->progress_message);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		v->error = errno != 0 ? errno : EIO;
		return -1; /* stdout is gone: stop waiting */
	}
	return 0;
}

int
cli_wait(const struct spool *sp, const char *id, enum cli_wait_show show,
    int64_t timeout_ms)
{
	struct wait_view v;
	struct jobinfo final;
	const char *state;
	int rc;

	memset(&v, 0, sizeof(v));
	v.show = show;
	v.tty = show == CLI_WAIT_HUMAN && isatty(STDOUT_FILENO);
	v.percent = -1;
	if (jobwait_run(sp, id, timeout_ms, JOBWAIT_RECHECK_MS, wait_show, &v,
		&final) == 0) {
		rc = cli_job_exit_code(&final);
		jobinfo_fini(&final);
		return cli_finish_stdout(rc);
	}
	rc = errno;
	if (v.line_open) {
		putchar('\n');
		fflush(stdout);
	}
	switch (rc) {
	case ENOENT:
		return cli_error("%s: no such job", id);
	case EINVAL:
		return cli_error("%s: invalid job ID", id);
	case ETIMEDOUT:
		state = v.have_last ? spool_state_public(v.state) : NULL;
		cli_error("%s: still %s; stopped waiting (--timeout)", id,
		    state != NULL ? state : "not finished");
		return CLI_EXIT_WAIT_TIMEOUT;
	case ECANCELED:
		return cli_error("stdout: %s", cli_reason(v.error));
	default:
		return cli_error("%s: %s", id, cli_reason(rc));
	}
}
