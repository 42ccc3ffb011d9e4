/* SPDX-License-Identifier: MIT */
/*
 * metrics: what chuted counts, and SPOOL/metrics (Prometheus text format
 * 0.0.4, for node_exporter's textfile collector and `chute stats`). Per
 * watcher process: counters since its start; queued/running from its own
 * memory; done/failed from a count of those directories at most every
 * METRICS_COUNT_MS (never per write: a spool may hold millions of jobs)
 * plus what this watcher moved there since, less what retention removed.
 * Nothing here stops the watcher: a failed write is logged once per run of
 * failures, a failed allocation loses one sample.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chuted.h"
#include "fsio.h"
#include "job.h"
#include "log.h"
#include "metrics.h"
#include "status.h"
#include "timestamp.h"

#define METRICS_FILE "metrics"
#define METRICS_COUNT_MS (5 * 60 * 1000) /* between counts of done/failed */

/* Histogram bounds in ms (the last bucket, +Inf, is implicit). */
static const int64_t metrics_bounds_ms[] = {1, 5, 10, 50, 100, 500, 1000, 5000,
    10000, 30000, 60000, 300000, 900000, 1800000, 3600000};
#define METRICS_NBOUNDS (sizeof(metrics_bounds_ms) / sizeof(int64_t))

/* The failure reasons of status.h, and one for an unreadable status. */
static const char *const metrics_reasons[] = {
    "exit", "signal", "timeout", "cancelled", "lost", "rejected", "unknown"};
#define METRICS_NREASONS (sizeof(metrics_reasons) / sizeof(char *))
#define METRICS_FIXED_REASONS (METRICS_NREASONS - 1) /* always written */

struct metrics_hist {
	uint64_t bucket[METRICS_NBOUNDS]; /* not cumulative: one per bound */
	uint64_t count;
	int64_t sum_ms;
};

struct metrics_run {
	pid_t pid;
	int64_t start_mono;
	char id[JOBID_NAME_MAX + 1];
};

struct metrics {
	int64_t due_ms; /* mono time of the next write, or 0 */
	int64_t start_wall_ms;
	uint64_t started, succeeded, retried, rescans, overflows;
	uint64_t failed[METRICS_NREASONS];
	struct metrics_hist wait, run;
	int64_t pending_wait_ms; /* of the claim in progress, or -1 */
	struct metrics_run *runs;
	size_t nruns, runcap;
	/* done/ [0] and failed/ [1]: the last count and changes since. */
	uint64_t counted[2], moved[2], removed[2];
	bool have_count;
	int64_t count_due_ms; /* mono */
	bool write_failed; /* logged: log again only after a success */
};

static void
metrics_observe(struct metrics_hist *h, int64_t ms)
{
	size_t i;

	if (ms < 0)
		ms = 0;
	for (i = 0; i < METRICS_NBOUNDS; i++) {
		if (ms <= metrics_bounds_ms[i]) {
			h->bucket[i]++;
			break;
		}
	}
	h->count++;
	h->sum_ms += ms;
}

int
metrics_open(struct chuted *c)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return -1;
	m->start_wall_ms = timestamp_now_ms();
	m->pending_wait_ms = -1;
	c->metrics = m;
	return 0;
}

/* Entries of a state dir (no dot-files); 0 or -1 with errno. */
static int
metrics_count_dir(struct chuted *c, enum spool_state st, uint64_t *n)
{
	struct dirent *de;
	DIR *dir;
	int fd, saved;

	*n = 0;
	fd = spool_open_listing(&c->sp, st);
	if (fd < 0)
		return -1;
	dir = fdopendir(fd);
	if (dir == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	while ((errno = 0, de = readdir(dir)) != NULL)
		if (de->d_name[0] != '.')
			(*n)++;
	saved = errno;
	closedir(dir);
	errno = saved;
	return saved == 0 ? 0 : -1;
}

/* Counts done/ and failed/ when that is due (at most every
 * METRICS_COUNT_MS): one readdir of each, no stat. */
static void
metrics_count(struct chuted *c, int64_t mono)
{
	static const enum spool_state states[2] = {SPOOL_DONE, SPOOL_FAILED};
	struct metrics *m = c->metrics;
	uint64_t n[2];
	int i;

	if (m->have_count && mono < m->count_due_ms)
		return;
	m->count_due_ms = mono + METRICS_COUNT_MS;
	for (i = 0; i < 2; i++) {
		if (metrics_count_dir(c, states[i], &n[i]) < 0) {
			log_warn("metrics: cannot count %s/: %s",
			    spool_state_dirname(states[i]), strerror(errno));
			return; /* keep the old figures; try at the next due */
		}
	}
	for (i = 0; i < 2; i++) {
		m->counted[i] = n[i];
		m->moved[i] = m->removed[i] = 0;
	}
	m->have_count = true;
}

static uint64_t
metrics_in_state(const struct metrics *m, int i)
{
	uint64_t n = m->counted[i] + m->moved[i];

	return n > m->removed[i] ? n - m->removed[i] : 0;
}

static void
metrics_seconds(FILE *fp, int64_t ms)
{
	fprintf(fp, "%lld.%03d", (long long)(ms / 1000), (int)(ms % 1000));
}

static void
metrics_head(FILE *fp, const char *name, const char *type, const char *help)
{
	fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
metrics_counter(FILE *fp, const char *name, const char *help, uint64_t v)
{
	metrics_head(fp, name, "counter", help);
	fprintf(fp, "%s %llu\n", name, (unsigned long long)v);
}

static void
metrics_histogram(
    FILE *fp, const char *name, const char *help, const struct metrics_hist *h)
{
	uint64_t cum = 0;
	size_t i;

	metrics_head(fp, name, "histogram", help);
	for (i = 0; i < METRICS_NBOUNDS; i++) {
		cum += h->bucket[i];
		fprintf(fp, "%s_bucket{le=\"%g\"} %llu\n", name,
		    (double)metrics_bounds_ms[i] / 1000,
		    (unsigned long long)cum);
	}
	fprintf(fp, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum ", name,
	    (unsigned long long)h->count, name);
	metrics_seconds(fp, h->sum_ms);
	fprintf(fp, "\n%s_count %llu\n", name, (unsigned long long)h->count);
}

/* A label value: \, " and newline escaped. */
static void
metrics_label(FILE *fp, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(fp, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", fp);
		else
			fputc(*v, fp);
	}
}

static void
metrics_render(struct chuted *c, FILE *fp)
{
	const struct metrics *m = c->metrics;
	size_t i;

	metrics_head(fp, "chute_build_info", "gauge",
	    "The version of this chuted; the value is always 1.");
	fputs("chute_build_info{version=\"", fp);
	metrics_label(fp, CHUTE_VERSION);
	fputs("\"} 1\n", fp);
	metrics_head(fp, "chute_watcher_start_time_seconds", "gauge",
	    "When this chuted started, in seconds since the epoch.");
	fputs("chute_watcher_start_time_seconds ", fp);
	metrics_seconds(fp, m->start_wall_ms);
	fputc('\n', fp);
	metrics_head(fp, "chute_jobs", "gauge",
	    "Jobs by state. queued: in this watcher's memory (its queue and "
	    "retries waiting for their time; more may wait in new/ after an "
	    "overflow); running: this watcher's runners. done and failed: a "
	    "count of the directory at most every 5 minutes, plus the jobs "
	    "this watcher moved there since, less those retention removed.");
	fprintf(fp,
	    "chute_jobs{state=\"queued\"} %zu\n"
	    "chute_jobs{state=\"running\"} %zu\n"
	    "chute_jobs{state=\"done\"} %llu\n"
	    "chute_jobs{state=\"failed\"} %llu\n",
	    c->queue.len + c->ndefers, c->nslots,
	    (unsigned long long)metrics_in_state(m, 0),
	    (unsigned long long)metrics_in_state(m, 1));
	metrics_counter(fp, "chute_jobs_started_total",
	    "Attempts this watcher started (a runner forked for a claimed "
	    "job).",
	    m->started);
	metrics_counter(fp, "chute_jobs_succeeded_total",
	    "Jobs this watcher's runners moved to done/.", m->succeeded);
	metrics_head(fp, "chute_jobs_failed_total", "counter",
	    "Jobs this watcher (or its runners) moved to failed/, by the "
	    "status reason (unknown: the status could not be read).");
	for (i = 0; i < METRICS_NREASONS; i++) {
		if (i >= METRICS_FIXED_REASONS && m->failed[i] == 0)
			continue;
		fprintf(fp, "chute_jobs_failed_total{reason=\"%s\"} %llu\n",
		    metrics_reasons[i], (unsigned long long)m->failed[i]);
	}
	metrics_counter(fp, "chute_jobs_retried_total",
	    "Attempts that ended and sent their job back to new/ for a "
	    "retry (retries).",
	    m->retried);
	metrics_counter(fp, "chute_rescans_total",
	    "Listings of new/: at start-up, periodic (rescan), after an "
	    "inotify overflow, a full queue or an error.",
	    m->rescans);
	metrics_counter(fp, "chute_inotify_overflows_total",
	    "Times the kernel's inotify queue overflowed (each forces a "
	    "rescan).",
	    m->overflows);
	metrics_histogram(fp, "chute_queue_wait_seconds",
	    "From submission (the job's submitted field, else its file's "
	    "mtime; for a retry, its not_before) to this watcher's claim.",
	    &m->wait);
	metrics_histogram(fp, "chute_run_seconds",
	    "Life of this watcher's runners, fork to reap: the handler's "
	    "run plus the runner's bookkeeping.",
	    &m->run);
}

/* Renders and replaces SPOOL/metrics. */
static void
metrics_write(struct chuted *c)
{
	struct metrics *m = c->metrics;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;
	int rc = -1;

	metrics_count(c, timestamp_mono_ms());
	fp = open_memstream(&buf, &len);
	if (fp != NULL) {
		metrics_render(c, fp);
		if (fclose(fp) == 0)
			/* temp + rename: a reader (node_exporter, chute
			 * stats) sees the old file or the new one, never a
			 * torn one. No fsync: the file is rewritten every
			 * few seconds and describes this process only, so
			 * after a power loss an old or missing file is
			 * harmless, and fsync would cost disk flushes for
			 * nothing. */
			rc = fsio_atomic_write(
			    c->sp.rootfd, METRICS_FILE, buf, len, 0644, false);
	}
	if (rc < 0 && !m->write_failed)
		log_warn("cannot write %s/%s: %s", c->sp.path, METRICS_FILE,
		    strerror(errno));
	m->write_failed = rc < 0;
	free(buf);
}

void
metrics_close(struct chuted *c)
{
	struct metrics *m = c->metrics;

	if (m == NULL)
		return;
	if (c->conf.metrics_ms > 0)
		metrics_write(c);
	free(m->runs);
	free(m);
	c->metrics = NULL;
}

int64_t
metrics_arm(struct chuted *c, int64_t due)
{
	struct metrics *m = c->metrics;

	if (m == NULL || c->conf.metrics_ms <= 0)
		return due;
	if (m->due_ms == 0)
		m->due_ms = timestamp_mono_ms();
	return (due == 0 || m->due_ms < due) ? m->due_ms : due;
}

void
metrics_tick(struct chuted *c)
{
	struct metrics *m = c->metrics;
	int64_t now;

	if (m == NULL)
		return;
	if (c->conf.metrics_ms <= 0) {
		m->due_ms = 0; /* off (or turned off by a reload) */
		return;
	}
	now = timestamp_mono_ms();
	if (m->due_ms != 0 && now < m->due_ms)
		return;
	metrics_write(c);
	m->due_ms = now + c->conf.metrics_ms;
}

/* Reads state/id's status into st (status_init()ed). 0 or -1. */
static int
metrics_status(
    struct chuted *c, enum spool_state state, const char *id, struct status *st)
{
	int fd, rc;

	fd = openat(c->sp.dirfd[state], id,
	    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = status_read(fd, st);
	close(fd);
	return rc;
}

int64_t
metrics_claimed(
    struct chuted *c, const char *id, int lockfd, bool may_have_status)
{
	struct metrics *m = c->metrics;
	struct status st;
	int64_t from = 0, submitted = 0, now;

	if (m == NULL)
		return 0;
	m->pending_wait_ms = -1;
	if (c->conf.metrics_ms <= 0)
		return 0; /* costs a few system calls per claim: only when on */
	now = timestamp_now_ms();
	/* A fresh job has no status yet; a retry's has its not_before. */
	status_init(&st, NULL);
	if (may_have_status && metrics_status(c, SPOOL_RUN, id, &st) == 0)
		from =
		    st.not_before_ms != 0 ? st.not_before_ms : st.submitted_ms;
	status_fini(&st);
	if (from == 0)
		from = submitted = job_peek_submitted(lockfd);
	if (from != 0)
		m->pending_wait_ms = now > from ? now - from : 0;
	return submitted;
}

void
metrics_started(struct chuted *c, const char *id, pid_t pid)
{
	struct metrics *m = c->metrics;
	struct metrics_run *r;

	if (m == NULL)
		return;
	m->started++;
	if (m->pending_wait_ms >= 0)
		metrics_observe(&m->wait, m->pending_wait_ms);
	m->pending_wait_ms = -1;
	if (m->nruns == m->runcap) {
		size_t cap = m->runcap ? 2 * m->runcap : 16;

		r = reallocarray(m->runs, cap, sizeof(*r));
		if (r == NULL)
			return; /* this run goes unmeasured */
		m->runs = r;
		m->runcap = cap;
	}
	r = &m->runs[m->nruns++];
	r->pid = pid;
	r->start_mono = timestamp_mono_ms();
	snprintf(r->id, sizeof(r->id), "%s", id);
}

static size_t
metrics_reason_index(const char *reason)
{
	size_t i;

	for (i = 0; i < METRICS_FIXED_REASONS; i++)
		if (strcmp(metrics_reasons[i], reason) == 0)
			return i;
	return METRICS_NREASONS - 1;
}

void
metrics_settled(struct chuted *c, const char *reason, enum spool_state to)
{
	struct metrics *m = c->metrics;

	if (m == NULL)
		return;
	if (to == SPOOL_NEW) {
		m->retried++;
		return;
	}
	m->failed[metrics_reason_index(reason)]++;
	m->moved[1]++;
}

void
metrics_reaped(struct chuted *c, pid_t pid, int wstatus)
{
	struct metrics *m = c->metrics;
	struct metrics_run r;
	struct status st;
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nruns && m->runs[i].pid != pid; i++)
		;
	if (i == m->nruns)
		return;
	r = m->runs[i];
	m->runs[i] = m->runs[--m->nruns];
	metrics_observe(&m->run, timestamp_mono_ms() - r.start_mono);
	if (!WIFEXITED(wstatus))
		return; /* the runner died: dispatch_lost() tells the fate */
	switch (WEXITSTATUS(wstatus)) {
	case RUNNER_EXIT_DONE:
		m->succeeded++;
		m->moved[0]++;
		break;
	case RUNNER_EXIT_FAILED:
		/* One status read per failure, for its reason. */
		status_init(&st, NULL);
		if (metrics_status(c, SPOOL_FAILED, r.id, &st) < 0)
			st.reason[0] = '\0';
		metrics_settled(c, st.reason, SPOOL_FAILED);
		status_fini(&st);
		break;
	case RUNNER_EXIT_RETRY:
		m->retried++;
		break;
	default:
		break; /* trouble: dispatch_lost() tells the fate */
	}
}

void
metrics_removed(struct chuted *c, int state)
{
	struct metrics *m = c->metrics;

	if (m == NULL)
		return;
	if (state == SPOOL_DONE)
		m->removed[0]++;
	else if (state == SPOOL_FAILED)
		m->removed[1]++;
}

void
metrics_event(struct chuted *c, enum metrics_event ev)
{
	struct metrics *m = c->metrics;

	if (m == NULL)
		return;
	if (ev == METRICS_RESCAN)
		m->rescans++;
	else if (ev == METRICS_OVERFLOW)
		m->overflows++;
}
