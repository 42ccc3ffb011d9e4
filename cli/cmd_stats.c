/* SPDX-License-Identifier: MIT */
/*
 * cmd_stats: `chute stats` reads SPOOL/metrics (written by chuted every
 * `metrics` seconds, Prometheus text format) and prints a short table for a
 * person: jobs by state, the counters, and the count, mean and p50/p90/p99
 * estimates of the two histograms (linear within a bucket, as Prometheus'
 * histogram_quantile). --raw prints the file as it is. A missing file is
 * an error ("no metrics yet"), exit 1; a metric the file lacks shows "-".
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "fsio.h"
#include "spool.h"

#define STATS_FILE "metrics"
#define STATS_MAX (1U << 20) /* the file is a few KiB */
#define STATS_MAX_BUCKETS 64

static const char cmd_stats_help[] =
    "usage: chute stats [-c FILE] [-s DIR] [--raw]\n"
    "\n"
    "Summarizes SPOOL/metrics, which chuted rewrites every `metrics`\n"
    "seconds: jobs by state, jobs started, succeeded, failed (by reason)\n"
    "and retried, and the queue wait and run time (count, mean, p50, p90\n"
    "and p99 estimated from the histograms). Counters count since that\n"
    "chuted started.\n"
    "  --raw           print the file as it is (Prometheus text format)\n";

static const struct option stats_longopts[] = {
    {"raw", no_argument, NULL, CLI_OPT_RAW},
    {NULL, 0, NULL, 0},
};

static int
stats_option(void *arg, int opt, const char *optarg)
{
	(void)optarg;
	if (opt == CLI_OPT_RAW)
		*(bool *)arg = true;
	return 0;
}

/* The value of the sample whose "name{labels}" is exactly key, or NAN. */
static double
stats_get(const char *text, const char *key)
{
	size_t len = strlen(key);
	const char *p = text;

	while (p != NULL && *p != '\0') {
		if (*p != '#' && strncmp(p, key, len) == 0 && p[len] == ' ')
			return strtod(p + len + 1, NULL);
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return NAN;
}

static void
stats_num(const char *label, double v)
{
	if (isnan(v))
		printf("%-12s -\n", label);
	else
		printf("%-12s %.0f\n", label, v);
}

static void
stats_seconds(double s)
{
	if (isnan(s))
		printf(" %9s", "-");
	else if (s < 10)
		printf(" %8.3fs", s);
	else if (s < 1000)
		printf(" %8.1fs", s);
	else
		printf(" %8.0fs", s);
}

struct stats_hist {
	double le[STATS_MAX_BUCKETS], cum[STATS_MAX_BUCKETS];
	size_t n;
	double sum, count;
};

/* Collects NAME_bucket{le="X"} samples in file order (ascending le). */
static void
stats_hist_read(const char *text, const char *name, struct stats_hist *h)
{
	char prefix[128], key[160];
	const char *p = text, *q;
	size_t len;

	snprintf(prefix, sizeof(prefix), "%s_bucket{le=\"", name);
	len = strlen(prefix);
	h->n = 0;
	while (p != NULL && *p != '\0' && h->n < STATS_MAX_BUCKETS) {
		if (strncmp(p, prefix, len) == 0) {
			q = p + len;
			h->le[h->n] = strncmp(q, "+Inf", 4) == 0
			    ? INFINITY
			    : strtod(q, NULL);
			q = strstr(q, "} ");
			if (q != NULL)
				h->cum[h->n++] = strtod(q + 2, NULL);
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	snprintf(key, sizeof(key), "%s_sum", name);
	h->sum = stats_get(text, key);
	snprintf(key, sizeof(key), "%s_count", name);
	h->count = stats_get(text, key);
}

/* The q-quantile, linear within its bucket; in the +Inf bucket, the last
 * finite bound (a lower estimate). NAN when there is nothing. */
static double
stats_quantile(const struct stats_hist *h, double q)
{
	double rank, lo = 0, prev = 0;
	size_t i;

	if (h->n == 0 || isnan(h->count) || h->count <= 0)
		return NAN;
	rank = q * h->cum[h->n - 1];
	for (i = 0; i < h->n; i++) {
		if (h->cum[i] >= rank) {
			if (isinf(h->le[i]))
				return lo;
			if (h->cum[i] == prev)
				return h->le[i];
			return lo +
			    (h->le[i] - lo) * (rank - prev) /
			    (h->cum[i] - prev);
		}
		lo = h->le[i];
		prev = h->cum[i];
	}
	return lo;
}

static void
stats_hist_row(const char *text, const char *label, const char *name)
{
	struct stats_hist h;

	stats_hist_read(text, name, &h);
	printf("%-12s", label);
	if (isnan(h.count))
		printf(" %7s", "-");
	else
		printf(" %7.0f", h.count);
	stats_seconds(
	    h.count > 0 && !isnan(h.sum) ? h.sum / h.count : (double)NAN);
	stats_seconds(stats_quantile(&h, 0.5));
	stats_seconds(stats_quantile(&h, 0.9));
	stats_seconds(stats_quantile(&h, 0.99));
	putchar('\n');
}

static void
stats_print(const char *text)
{
	static const char *const reasons[] = {"exit", "signal", "timeout",
	    "cancelled", "lost", "rejected", "unknown"};
	char key[128], since[64] = "-";
	double v, failed = NAN;
	const char *p;
	size_t i;

	v = stats_get(text, "chute_watcher_start_time_seconds");
	if (!isnan(v)) {
		time_t t = (time_t)v;
		struct tm tm;

		if (gmtime_r(&t, &tm) != NULL)
			strftime(
			    since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	p = strstr(text, "chute_build_info{version=\"");
	printf("%-12s chuted %.*s, counting since %s\n", "watcher",
	    p != NULL ? (int)strcspn(p + 26, "\"") : 1,
	    p != NULL ? p + 26 : "-", since);
	printf("%-12s", "jobs");
	for (i = 0; i < 4; i++) {
		static const char *const states[] = {
		    "queued", "running", "done", "failed"};

		snprintf(
		    key, sizeof(key), "chute_jobs{state=\"%s\"}", states[i]);
		v = stats_get(text, key);
		if (isnan(v))
			printf(" %s -", states[i]);
		else
			printf(" %s %.0f", states[i], v);
		putchar(i < 3 ? ',' : '\n');
	}
	stats_num("started", stats_get(text, "chute_jobs_started_total"));
	stats_num("succeeded", stats_get(text, "chute_jobs_succeeded_total"));
	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		snprintf(key, sizeof(key),
		    "chute_jobs_failed_total{reason=\"%s\"}", reasons[i]);
		v = stats_get(text, key);
		if (!isnan(v))
			failed = isnan(failed) ? v : failed + v;
	}
	printf("%-12s ", "failed");
	if (isnan(failed))
		printf("-");
	else
		printf("%.0f", failed);
	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		snprintf(key, sizeof(key),
		    "chute_jobs_failed_total{reason=\"%s\"}", reasons[i]);
		v = stats_get(text, key);
		if (!isnan(v) && v > 0)
			printf(" %s %.0f", reasons[i], v);
	}
	putchar('\n');
	stats_num("retried", stats_get(text, "chute_jobs_retried_total"));
	stats_num("rescans", stats_get(text, "chute_rescans_total"));
	stats_num(
	    "overflows", stats_get(text, "chute_inotify_overflows_total"));
	printf("%-12s %7s %9s %9s %9s %9s\n", "", "count", "mean", "p50", "p90",
	    "p99");
	stats_hist_row(text, "queue wait", "chute_queue_wait_seconds");
	stats_hist_row(text, "run time", "chute_run_seconds");
}

int
cmd_stats(int argc, char **argv)
{
	struct cli cli;
	struct spool sp = {.path = NULL, .rootfd = -1};
	bool raw = false;
	char *text = NULL;
	size_t len = 0;
	int rc;

	for (int i = 0; i < SPOOL_NSTATES; i++)
		sp.dirfd[i] = -1;
	cli_init(&cli, "stats", cmd_stats_help);
	rc =
	    cli_parse(&cli, argc, argv, "", stats_longopts, stats_option, &raw);
	if (rc != -1)
		goto out;
	if (cli.nargs > 0) {
		rc = cli_usage_error(
		    &cli, "unexpected argument '%s'", cli.args[0]);
		goto out;
	}
	rc = cli_load_conf(&cli);
	if (rc != -1)
		goto out;
	rc = cli_spool_open(&cli, &sp);
	if (rc != -1)
		goto out;
	if (fsio_read_file(sp.rootfd, STATS_FILE, STATS_MAX, &text, &len) < 0) {
		if (errno == ENOENT)
			rc = cli_error("no metrics yet: is chuted running with "
				       "metrics = N? (%s/%s)",
			    sp.path, STATS_FILE);
		else
			rc = cli_error("%s/%s: %s", sp.path, STATS_FILE,
			    cli_reason(errno));
		goto out;
	}
	if (raw)
		fwrite(text, 1, len, stdout);
	else
		stats_print(text);
	rc = cli_finish_stdout(CLI_EXIT_OK);
out:
	free(text);
	spool_close(&sp);
	cli_fini(&cli);
	return rc;
}
