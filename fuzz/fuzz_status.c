/* SPDX-License-Identifier: MIT */
/*
 * fuzz_status: the status file's JSON (lib/status.c) and progress lines
 * (lib/jobinfo.c). The input is loaded with json_loadb() as status_read()
 * does; what status_from_json() accepts must convert back to JSON and read
 * again into the same struct, and that JSON must convert to itself; a job
 * view of it (jobinfo_to_json) must always convert too. The
 * input is also a progress line, parsed into buffers of several sizes: the
 * percent is 0-100, the message has no control characters and is UTF-8.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "jobinfo.h"
#include "status.h"

static bool
status_equal(const struct status *a, const struct status *b)
{
	return strcmp(a->id, b->id) == 0 && a->state == b->state &&
	    a->attempt == b->attempt && a->submitted_ms == b->submitted_ms &&
	    a->started_ms == b->started_ms &&
	    a->finished_ms == b->finished_ms && a->exit_code == b->exit_code &&
	    a->signal == b->signal && strcmp(a->reason, b->reason) == 0 &&
	    a->runner_pid == b->runner_pid &&
	    a->not_before_ms == b->not_before_ms &&
	    ((a->attempts == NULL && b->attempts == NULL) ||
		(a->attempts == NULL && json_array_size(b->attempts) == 0) ||
		(b->attempts == NULL && json_array_size(a->attempts) == 0) ||
		json_equal(a->attempts, b->attempts));
}

/* The public view of a job with this status and progress line must always
 * convert to JSON (a NULL would be reported as ENOMEM). */
static void
check_jobinfo(const struct status *st, const char *line)
{
	struct jobinfo ji;
	json_t *obj;
	char *text;

	memset(&ji, 0, sizeof(ji));
	ji.state = st->state;
	ji.st = *st; /* borrowed: no jobinfo_fini() */
	ji.results = NULL;
	if (jobinfo_parse_progress(line, &ji.progress_percent,
		ji.progress_message, sizeof(ji.progress_message)) == -1)
		ji.progress_percent = -1;
	obj = jobinfo_to_json(&ji);
	fuzz_check(obj != NULL, "jobinfo_to_json fails");
	text = json_dumps(obj, JSON_COMPACT);
	fuzz_check(text != NULL, "jobinfo JSON does not dump");
	free(text);
	json_decref(obj);
}

static void
check_status(const uint8_t *data, size_t size, const char *line)
{
	struct status st, back, again;
	json_error_t jerr;
	json_t *obj, *json, *json2, *v;
	char *text, *progress;

	obj =
	    json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (obj == NULL)
		return;
	status_init(&st, NULL);
	if (status_from_json(obj, &st) == -1) {
		fuzz_check(errno == EBADMSG, "status_from_json errno");
		fuzz_check(st.id[0] == '\0' && st.attempts == NULL,
		    "a refused status changed st");
		json_decref(obj);
		return;
	}
	/* The job view's progress line: the input's "progress" string. */
	v = json_object_get(obj, "progress");
	progress = fuzz_strndup(
	    (const uint8_t *)(json_is_string(v) ? json_string_value(v) : line),
	    json_is_string(v) ? json_string_length(v) : strlen(line));
	json_decref(obj);
	fuzz_check(st.id[0] == '\0' || jobid_name_valid(st.id), "a bad id");

	json = status_to_json(&st);
	fuzz_check(json != NULL, "status_to_json");
	status_init(&back, "x");
	fuzz_check(status_from_json(json, &back) == 0,
	    "status_from_json refuses status_to_json's output");
	fuzz_check(status_equal(&st, &back), "from_json(to_json(st)) != st");
	json2 = status_to_json(&back);
	fuzz_check(json2 != NULL && json_equal(json, json2),
	    "to_json(from_json(j)) != j");

	/* and through text, as status_write and status_read do */
	text = json_dumps(json, JSON_COMPACT | JSON_PRESERVE_ORDER);
	fuzz_check(text != NULL, "json_dumps");
	json_decref(json2);
	json2 = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	fuzz_check(json2 != NULL, "status JSON does not load");
	status_init(&again, NULL);
	fuzz_check(
	    status_from_json(json2, &again) == 0 && status_equal(&st, &again),
	    "status differs after a text round trip");
	free(text);
	json_decref(json2);
	json_decref(json);
	check_jobinfo(&st, progress);
	free(progress);
	status_fini(&again);
	status_fini(&back);
	status_fini(&st);
}

static void
check_progress(const char *line, size_t len)
{
	char *message = malloc(len == 0 ? 1 : len);
	json_t *js;
	int percent = -2;
	size_t i, n;

	fuzz_check(message != NULL, "malloc");
	if (jobinfo_parse_progress(line, &percent, message, len) == -1) {
		fuzz_check(errno == EINVAL, "jobinfo_parse_progress errno");
		free(message);
		return;
	}
	fuzz_check(percent >= 0 && percent <= 100, "percent out of range");
	if (len > 0) {
		n = strlen(message);
		fuzz_check(n < len, "message overruns");
		for (i = 0; i < n; i++)
			fuzz_check((unsigned char)message[i] >= 0x20 &&
				message[i] != 0x7f,
			    "control character in the message");
		fuzz_check(n == 0 || message[n - 1] != ' ',
		    "trailing blank in the message");
		js = json_string(message);
		fuzz_check(js != NULL, "message is not UTF-8");
		json_decref(js);
	}
	free(message);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t lens[] = {0, 1, 2, 3, 5, 16, JOBINFO_MESSAGE_MAX};
	char *line;
	size_t i;

	line = fuzz_strndup(data, size);
	check_status(data, size, line);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		check_progress(line, lens[i]);
	free(line);
	return 0;
}
