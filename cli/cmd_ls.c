/* SPDX-License-Identifier: MIT */
/*
 * cmd_ls: `chute ls [STATE]` lists jobs by reading the state directories
 * (queued, running, done, failed, in the order of flow). Without STATE each
 * line is "ID\tSTATE"; with one, just the IDs. IDs are sorted within a
 * state. Dot-files and names that are not valid job names are never shown.
 * A state directory the user may not list (the web server's group may not)
 * is an error, "chute: cannot list STATE: permission denied", exit 1.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "jobid.h"
#include "spool.h"

static const char cmd_ls_help[] =
    "usage: chute ls [-c FILE] [-s DIR] [STATE]\n"
    "\n"
    "Lists jobs. STATE is queued, running, done or failed (new and run are\n"
    "accepted too). Without STATE every job is listed as \"ID<TAB>STATE\"\n"
    "in the order of flow; with one, only the IDs. Listing needs read\n"
    "permission on the state directories (the spool owner's).\n";

static const enum spool_state ls_flow[] = {
    SPOOL_NEW, SPOOL_RUN, SPOOL_DONE, SPOOL_FAILED};
#define LS_NFLOW (sizeof(ls_flow) / sizeof(ls_flow[0]))

struct ls_names {
	char **v;
	size_t n, cap;
};

static int
ls_compare(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
ls_names_free(struct ls_names *names)
{
	for (size_t i = 0; i < names->n; i++)
		free(names->v[i]);
	free(names->v);
	memset(names, 0, sizeof(*names));
}

static int
ls_names_add(struct ls_names *names, const char *name)
{
	char *copy;

	if (names->n == names->cap) {
		size_t cap = names->cap ? names->cap * 2 : 64;
		char **v = reallocarray(names->v, cap, sizeof(*v));

		if (v == NULL)
			return -1;
		names->v = v;
		names->cap = cap;
	}
	copy = strdup(name);
	if (copy == NULL)
		return -1;
	names->v[names->n++] = copy;
	return 0;
}

/* Reads the job names of one state into names, sorted. 0 or -1 with
 * errno. */
static int
ls_read_state(
    const struct spool *sp, enum spool_state st, struct ls_names *names)
{
	const struct dirent *de;
	DIR *dir = NULL;
	int fd, rc = -1, err = 0;

	fd = spool_open_listing(sp, st);
	if (fd == -1)
		return -1;
	dir = fdopendir(fd);
	if (dir == NULL) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	for (;;) {
		errno = 0;
		de = readdir(dir);
		if (de == NULL) {
			if (errno != 0) {
				err = errno;
				goto out;
			}
			break;
		}
		if (de->d_name[0] == '.' || !jobid_name_valid(de->d_name))
			continue;
		if (ls_names_add(names, de->d_name) == -1) {
			err = errno;
			goto out;
		}
	}
	qsort(names->v, names->n, sizeof(*names->v), ls_compare);
	rc = 0;
out:
	closedir(dir);
	errno = err;
	return rc;
}

int
cmd_ls(int argc, char **argv)
{
	struct cli cli;
	struct spool sp = {.path = NULL, .rootfd = -1};
	struct ls_names names[LS_NFLOW];
	enum spool_state only = SPOOL_NSTATES;
	int rc;

	for (int i = 0; i < SPOOL_NSTATES; i++)
		sp.dirfd[i] = -1;
	memset(names, 0, sizeof(names));
	cli_init(&cli, "ls", cmd_ls_help);
	rc = cli_parse(&cli, argc, argv, NULL, NULL, NULL, NULL);
	if (rc != -1)
		goto out;
	if (cli.nargs > 1) {
		rc = cli_usage_error(
		    &cli, "unexpected argument '%s'", cli.args[1]);
		goto out;
	}
	if (cli.nargs > 0 &&
	    (spool_state_parse(cli.args[0], &only) == -1 ||
		spool_state_public(only) == NULL)) {
		rc = cli_usage_error(&cli,
		    "unknown state '%s' (queued|running|done|failed)",
		    cli.args[0]);
		goto out;
	}
	rc = cli_load_conf(&cli);
	if (rc != -1)
		goto out;
	rc = cli_spool_open(&cli, &sp);
	if (rc != -1)
		goto out;
	/* Read every state before printing: on an error, print nothing. */
	for (size_t i = 0; i < LS_NFLOW; i++) {
		if (only != SPOOL_NSTATES && only != ls_flow[i])
			continue;
		if (ls_read_state(&sp, ls_flow[i], &names[i]) == -1) {
			rc = cli_error("cannot list %s: %s",
			    spool_state_public(ls_flow[i]), cli_reason(errno));
			goto out;
		}
	}
	for (size_t i = 0; i < LS_NFLOW; i++) {
		for (size_t j = 0; j < names[i].n; j++) {
			if (only != SPOOL_NSTATES)
				printf("%s\n", names[i].v[j]);
			else
				printf("%s\t%s\n", names[i].v[j],
				    spool_state_public(ls_flow[i]));
		}
	}
	rc = cli_finish_stdout(CLI_EXIT_OK);
out:
	for (size_t i = 0; i < LS_NFLOW; i++)
		ls_names_free(&names[i]);
	spool_close(&sp);
	cli_fini(&cli);
	return rc;
}
