/* SPDX-License-Identifier: MIT */
/*
 * cmd_submit: `chute submit` builds a draft in tmp/ (source "cli") from -F
 * fields, -f files and --body, in command-line order, streaming every file
 * through a bounded buffer, then publishes it into new/ and prints its ID.
 * Invariant: nothing partial reaches new/. On any error, and on SIGINT,
 * SIGTERM, SIGHUP or SIGPIPE, the draft is abandoned (tmp/ left clean); a
 * signal then ends the process by that same signal. The signals stay
 * blocked except inside ppoll() while waiting for input and at explicit
 * check points, so a handler (which only sets a flag) never interrupts a
 * half-done spool operation. SIGKILL leaves the draft in tmp/ for retention.
 * --wait: once published (the ID printed), the signals get their default
 * action back and the job is followed until it ends (cli_wait).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "draft.h"
#include "jobid.h"
#include "spool.h"

#define SUBMIT_CHUNK 65536

static const char cmd_submit_help[] =
    "usage: chute submit [-c FILE] [-s DIR] [-F NAME=VALUE]... "
    "[-f NAME=PATH]...\n"
    "                    [--body PATH] [--id NAME] [--wait [--timeout D]]\n"
    "\n"
    "Submits a job and prints its ID. Inputs are written in the order given:\n"
    "  -F, --field NAME=VALUE  a form field (fields/NAME); may repeat\n"
    "  -f, --file NAME=PATH    a file (files/NAME), streamed from PATH ('-'\n"
    "                          is stdin); its filename is PATH's basename\n"
    "      --body PATH         the raw request body ('-' is stdin)\n"
    "      --id NAME           the job's name instead of a generated ID\n"
    "      --wait              after the ID, follow the job until it ends (a\n"
    "                          progress bar on a terminal, else one line per\n"
    "                          change) and exit with the job's code (see\n"
    "                          'chute --help')\n"
    "      --timeout D         stop waiting after duration D (30s, 5m): exit 75\n"
    "NAME is [A-Za-z0-9][A-Za-z0-9._-]{0,127}. The whole request is limited\n"
    "to max_request bytes. On an error or a signal nothing is submitted.\n";

enum submit_kind { SUBMIT_FIELD, SUBMIT_FILE, SUBMIT_BODY };

struct submit_item {
	enum submit_kind kind;
	char name[JOBID_NAME_MAX + 1]; /* "" for the body */
	const char *value; /* the field's value or the PATH; in argv */
};

/* One invocation's parsed options. */
struct submit {
	struct cli *cli;
	struct submit_item *items;
	size_t nitems;
	const char *id;
	bool have_body;
	bool stdin_used;
	bool wait;
	const char *timeout; /* --timeout's text, or NULL */
	int64_t timeout_ms; /* -1: no limit */
};

static const struct option submit_longopts[] = {
    {"field", required_argument, NULL, 'F'},
    {"file", required_argument, NULL, 'f'},
    {"body", required_argument, NULL, CLI_OPT_BODY},
    {"id", required_argument, NULL, CLI_OPT_ID},
    {"wait", no_argument, NULL, CLI_OPT_WAIT},
    {"timeout", required_argument, NULL, CLI_OPT_TIMEOUT},
    {NULL, 0, NULL, 0},
};

static const int submit_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
#define SUBMIT_NSIGNALS (sizeof(submit_signals) / sizeof(submit_signals[0]))

static volatile sig_atomic_t submit_caught;

static void
submit_on_signal(int sig)
{
	if (submit_caught == 0)
		submit_caught = sig;
}

static int
submit_option(void *arg, int opt, const char *optarg)
{
	struct submit *s = arg;
	struct submit_item *it = &s->items[s->nitems];
	const char *what = opt == 'F' ? "-F" : "-f";

	switch (opt) {
	case 'F':
	case 'f':
		it->kind = opt == 'F' ? SUBMIT_FIELD : SUBMIT_FILE;
		if (cli_split_assign(
			optarg, it->name, sizeof(it->name), &it->value) == -1) {
			if (errno == ENAMETOOLONG)
				return cli_usage_error(s->cli,
				    "invalid field name in '%s' (too long)",
				    optarg);
			return cli_usage_error(s->cli,
			    "%s expects NAME=%s, not '%s'", what,
			    opt == 'F' ? "VALUE" : "PATH", optarg);
		}
		if (!jobid_field_name_valid(it->name))
			return cli_usage_error(
			    s->cli, "invalid field name '%s'", it->name);
		if (opt == 'f' && *it->value == '\0')
			return cli_usage_error(
			    s->cli, "-f %s= needs a PATH", it->name);
		break;
	case CLI_OPT_BODY:
		if (s->have_body)
			return cli_usage_error(s->cli, "--body given twice");
		s->have_body = true;
		it->kind = SUBMIT_BODY;
		it->name[0] = '\0';
		it->value = optarg;
		if (*it->value == '\0')
			return cli_usage_error(s->cli, "--body needs a PATH");
		break;
	case CLI_OPT_ID:
		if (s->id != NULL)
			return cli_usage_error(s->cli, "--id given twice");
		if (!jobid_name_valid(optarg))
			return cli_usage_error(
			    s->cli, "invalid job name '%s'", optarg);
		s->id = optarg;
		return 0;
	case CLI_OPT_WAIT:
		s->wait = true;
		return 0;
	case CLI_OPT_TIMEOUT:
		s->timeout = optarg;
		return 0;
	default:
		return cli_usage_error(s->cli, "unknown option");
	}
	if (it->kind != SUBMIT_FIELD && strcmp(it->value, "-") == 0) {
		if (s->stdin_used)
			return cli_usage_error(
			    s->cli, "stdin ('-') can be read only once");
		s->stdin_used = true;
	}
	s->nitems++;
	return 0;
}

/* Blocks the signals we handle and installs the flag-setting handler for
 * each that is not ignored (a signal ignored by our parent, as with nohup,
 * stays ignored). *waitmask gets the mask to wait with: the old one with
 * our signals deliverable. */
static int
submit_signals_setup(sigset_t *oldmask, sigset_t *waitmask)
{
	struct sigaction sa, old;
	sigset_t block;

	sigemptyset(&block);
	for (size_t i = 0; i < SUBMIT_NSIGNALS; i++)
		sigaddset(&block, submit_signals[i]);
	if (sigprocmask(SIG_BLOCK, &block, oldmask) == -1)
		return -1;
	*waitmask = *oldmask;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = submit_on_signal;
	sigfillset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: a wait returns EINTR */
	for (size_t i = 0; i < SUBMIT_NSIGNALS; i++) {
		if (sigaction(submit_signals[i], NULL, &old) == -1)
			return -1;
		if (old.sa_handler == SIG_IGN)
			continue;
		if (sigaction(submit_signals[i], &sa, NULL) == -1)
			return -1;
		sigdelset(waitmask, submit_signals[i]);
	}
	return 0;
}

/* Gives our signals their default action back (where we had taken them
 * over) and restores the mask: after the publish, an interrupt just ends
 * the process, by that signal. */
static int
submit_signals_restore(const sigset_t *oldmask)
{
	struct sigaction sa, cur;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < SUBMIT_NSIGNALS; i++) {
		if (sigaction(submit_signals[i], NULL, &cur) == -1)
			return -1;
		if (cur.sa_handler == submit_on_signal &&
		    sigaction(submit_signals[i], &sa, NULL) == -1)
			return -1;
	}
	return sigprocmask(SIG_SETMASK, oldmask, NULL);
}

/* A check point: lets pending signals in, then says whether one came.
 * -1 with EINTR when one did. */
static int
submit_check(const sigset_t *waitmask)
{
	sigset_t blocked;

	if (sigprocmask(SIG_SETMASK, waitmask, &blocked) == -1 ||
	    sigprocmask(SIG_SETMASK, &blocked, NULL) == -1)
		return -1;
	if (submit_caught != 0) {
		errno = EINTR;
		return -1;
	}
	return 0;
}

/* Opens the input PATH ('-': stdin, not to be closed). Non-blocking, so
 * that opening a FIFO does not wait for its writer (ppoll() does, where a
 * signal can end the wait). Directories are refused with EISDIR. */
static int
submit_open_input(const char *path, bool *owned)
{
	struct stat sb;
	int fd;

	*owned = false;
	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
		if (fd == -1)
			return -1;
		*owned = true;
	}
	if (fstat(fd, &sb) == -1 || S_ISDIR(sb.st_mode)) {
		int err = S_ISDIR(sb.st_mode) ? EISDIR : errno;

		if (*owned)
			close(fd);
		*owned = false;
		errno = err;
		return -1;
	}
	return fd;
}

/* Copies fd to the draft's open stream until EOF, a chunk at a time,
 * waiting for input in ppoll() with our signals deliverable. -1 with errno
 * (EINTR: a signal came; EFBIG: over the limit; errno of read: *readerr
 * is set). */
static int
submit_stream(struct draft *d, int fd, const sigset_t *waitmask, bool *readerr)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	char *buf;
	ssize_t n;
	int rc = -1, err = 0;

	*readerr = false;
	buf = malloc(SUBMIT_CHUNK);
	if (buf == NULL)
		return -1;
	for (;;) {
		/* ppoll() delivers a signal only when it has to wait: an
		 * always-ready regular file needs this check point. */
		if (submit_check(waitmask) == -1) {
			err = errno;
			goto out;
		}
		if (ppoll(&pfd, 1, NULL, waitmask) == -1) {
			if (errno == EINTR)
				continue;
			err = errno;
			*readerr = true;
			goto out;
		}
		n = read(fd, buf, SUBMIT_CHUNK);
		if (n == 0)
			break;
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			err = errno;
			*readerr = true;
			goto out;
		}
		if (draft_stream_write(d, buf, (size_t)n) == -1) {
			err = errno;
			goto out;
		}
	}
	rc = 0;
out:
	free(buf);
	errno = err;
	return rc;
}

/* Prints why the draft failed (it is the input concerned, or NULL) and
 * returns CLI_EXIT_FAIL. */
static int
submit_fail(const struct submit *s, const struct submit_item *it, int err)
{
	char size[32];

	switch (err) {
	case EFBIG:
		if (cli_format_size(
			s->cli->conf.max_request, size, sizeof(size)) == -1)
			snprintf(size, sizeof(size), "?");
		return cli_error("request larger than max_request (%s)", size);
	case ENOSPC:
		return cli_error(
		    "%s: spool filesystem is full", s->cli->conf.spool);
	case EDQUOT:
		return cli_error("%s: disk quota exceeded", s->cli->conf.spool);
	case EINVAL:
		if (it != NULL && it->kind != SUBMIT_BODY)
			return cli_error("invalid field name '%s'", it->name);
		break;
	case EEXIST:
		if (it != NULL && it->kind == SUBMIT_FILE)
			return cli_error("file '%s' given twice", it->name);
		if (it == NULL && s->id != NULL)
			return cli_error("%s: job already exists", s->id);
		break;
	default:
		break;
	}
	return cli_error("%s: %s", s->cli->conf.spool, cli_reason(err));
}

/* Adds one input to the draft. Returns 0, or an exit code after printing
 * why (nothing is printed for a signal: the caller reports it). */
static int
submit_add(struct submit *s, struct draft *d, const struct submit_item *it,
    const sigset_t *waitmask)
{
	const char *path = it->value;
	bool owned = false, readerr = false;
	int fd = -1, rc = -1, err = 0;

	if (it->kind == SUBMIT_FIELD) {
		if (draft_add_field(
			d, it->name, it->value, strlen(it->value)) == -1)
			return submit_fail(s, it, errno);
		return 0;
	}
	fd = submit_open_input(path, &owned);
	if (fd == -1) {
		rc = cli_error("%s: %s", path, cli_reason(errno));
		goto out;
	}
	if (it->kind == SUBMIT_FILE)
		rc = draft_file_begin(d, it->name,
		    strcmp(path, "-") == 0 ? NULL : cli_path_basename(path),
		    NULL);
	else
		rc = draft_body_begin(d);
	if (rc == -1) {
		rc = submit_fail(s, it, errno);
		goto out;
	}
	if (submit_stream(d, fd, waitmask, &readerr) == -1) {
		err = errno;
		if (err == EINTR && submit_caught != 0)
			rc = CLI_EXIT_FAIL; /* the caller reports the signal */
		else if (readerr)
			rc = cli_error("%s: %s", path, cli_reason(err));
		else
			rc = submit_fail(s, it, err);
		goto out;
	}
	if (draft_stream_end(d) == -1) {
		rc = submit_fail(s, it, errno);
		goto out;
	}
	rc = 0;
out:
	if (owned)
		close(fd);
	return rc;
}

/* After a signal: the draft is gone; dies by that signal, as a shell
 * expects of an interrupted command. */
static int
submit_die(int sig)
{
	sigset_t set;

	cli_error("interrupted by SIG%s; nothing submitted", sigabbrev_np(sig));
	fflush(stderr);
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	raise(sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	return 128 + sig;
}

static int
submit_run(struct submit *s)
{
	struct spool sp = {.path = NULL, .rootfd = -1};
	struct draft d;
	sigset_t oldmask, waitmask;
	bool drafting = false;
	int rc;

	for (int i = 0; i < SPOOL_NSTATES; i++)
		sp.dirfd[i] = -1;
	memset(&d, 0, sizeof(d));
	d.dirfd = d.fieldsfd = d.filesfd = d.streamfd = -1;
	rc = cli_spool_open(s->cli, &sp);
	if (rc != -1)
		goto out;
	if (s->id != NULL) {
		enum spool_state st;

		/* Refused early, before any input is streamed, with the state
		 * it is in; draft_publish() looks again while tmp/ID holds the
		 * name, which closes the race with another producer. */
		if (spool_lookup(&sp, s->id, &st, NULL) == 0) {
			rc = cli_error("%s: job already exists (%s)", s->id,
			    spool_state_public(st));
			goto out;
		}
		if (errno != ENOENT) {
			rc = cli_error("%s: %s", s->id, cli_reason(errno));
			goto out;
		}
	}
	if (submit_signals_setup(&oldmask, &waitmask) == -1) {
		rc = cli_error("signals: %s", cli_reason(errno));
		goto out;
	}
	if (draft_create(&d, &sp, s->id, s->cli->conf.max_request,
		s->cli->conf.fsync) == -1) {
		rc = submit_fail(s, NULL, errno);
		goto out;
	}
	drafting = true;
	if (draft_set_meta(&d, "cli", NULL, NULL) == -1) {
		rc = submit_fail(s, NULL, errno);
		goto out;
	}
	for (size_t i = 0; i < s->nitems; i++) {
		if (submit_check(&waitmask) == -1) {
			rc = CLI_EXIT_FAIL;
			goto out;
		}
		rc = submit_add(s, &d, &s->items[i], &waitmask);
		if (rc != 0)
			goto out;
	}
	if (submit_check(&waitmask) == -1) {
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	if (draft_publish(&d) == -1) {
		rc = submit_fail(s, NULL, errno);
		goto out;
	}
	drafting = false;
	/* Published: a signal from now on no longer cancels anything. */
	printf("%s\n", d.id);
	rc = cli_finish_stdout(CLI_EXIT_OK);
	if (rc == CLI_EXIT_OK && s->wait) {
		/* A signal pending now ends the wait, not the job. */
		if (submit_signals_restore(&oldmask) == -1) {
			rc = cli_error("signals: %s", cli_reason(errno));
			goto out;
		}
		rc = cli_wait(&sp, d.id, CLI_WAIT_HUMAN, s->timeout_ms);
	}
out:
	if (drafting)
		draft_abandon(&d);
	spool_close(&sp);
	/* Only check points (all before the publish) let a signal in. */
	if (drafting && submit_caught != 0)
		rc = submit_die(submit_caught);
	return rc;
}

int
cmd_submit(int argc, char **argv)
{
	struct cli cli;
	struct submit s;
	int rc;

	memset(&s, 0, sizeof(s));
	cli_init(&cli, "submit", cmd_submit_help);
	s.cli = &cli;
	/* Each option is at most one item. */
	s.items = calloc((size_t)argc + 1, sizeof(*s.items));
	if (s.items == NULL) {
		rc = cli_error("%s", cli_reason(errno));
		goto out;
	}
	rc = cli_parse(
	    &cli, argc, argv, "F:f:", submit_longopts, submit_option, &s);
	if (rc != -1)
		goto out;
	if (cli.nargs > 0) {
		rc = cli_usage_error(
		    &cli, "unexpected argument '%s'", cli.args[0]);
		goto out;
	}
	s.timeout_ms = -1;
	if (s.timeout != NULL) {
		if (!s.wait) {
			rc = cli_usage_error(&cli, "--timeout needs --wait");
			goto out;
		}
		rc = cli_parse_timeout(&cli, s.timeout, &s.timeout_ms);
		if (rc != -1)
			goto out;
	}
	rc = cli_load_conf(&cli);
	if (rc != -1)
		goto out;
	rc = submit_run(&s);
out:
	free(s.items);
	cli_fini(&cli);
	return rc;
}
