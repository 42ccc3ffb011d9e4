/* SPDX-License-Identifier: MIT */
/*
 * jobinfo: the public view of one job, shared by `chute status` and
 * chute.cgi's GET /jobs/ID so both print the same JSON (DESIGN.md):
 *   {"id", "state", "submitted", "started", "finished", "exit_code",
 *    "signal", "reason", "attempt", "progress": {"percent", "message"},
 *    "results": [names]}
 * The state is the directory that holds the job (the truth); the rest comes
 * from its status file, its progress file and the regular files directly
 * in result/. Everything the handler wrote is treated as untrusted text.
 */
#ifndef CHUTE_JOBINFO_H
#define CHUTE_JOBINFO_H

#include <jansson.h>
#include <stdbool.h>

#include "spool.h"
#include "status.h"

#define JOBINFO_MESSAGE_MAX 512

struct jobinfo {
	enum spool_state state;
	struct status st; /* status_init()ed when there is none */
	int progress_percent; /* -1 = no progress file */
	char progress_message[JOBINFO_MESSAGE_MAX];
	json_t *results; /* array of names, sorted; owned */
};

/* Loads job id. 0, or -1 with errno: EINVAL (bad id, no filesystem access),
 * ENOENT (unknown). A job that moves while being read is looked up again. */
int jobinfo_load(const struct spool *sp, const char *id, struct jobinfo *ji);
void jobinfo_fini(struct jobinfo *ji);

/* The public JSON object (a new reference), or NULL (ENOMEM). */
json_t *jobinfo_to_json(const struct jobinfo *ji);

/* Parses a progress line "PERCENT message" (percent 0-100, clamped; message
 * may be empty; control characters become spaces). 0, or -1 with EINVAL. */
int jobinfo_parse_progress(
    const char *line, int *percent, char *message, size_t len);

#endif
