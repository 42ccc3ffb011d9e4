/* SPDX-License-Identifier: MIT */
/*
 * conf: chute.conf, one INI file (read with libinih) for every program.
 * conf_init() sets every default of DESIGN.md; conf_load() overlays a file.
 * Unknown keys, bad values and unreadable files are errors whose message names
 * the file and line ("FILE:LINE: ..."). Durations take ms/s/m/h/d (a bare
 * number is seconds), sizes K/M/G (powers of 1024; a bare number is bytes).
 */
#ifndef CHUTE_CONF_H
#define CHUTE_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONF_DEFAULT_PATH "/etc/chute/chute.conf"
#define CONF_DEFAULT_SPOOL "/var/spool/chute"
#define CONF_DEFAULT_HANDLER "/usr/local/libexec/chute/handler"
#define CONF_ERR_LEN 512

struct conf {
	char *path; /* the file read, or NULL for built-in defaults */
	char *spool; /* spool = /var/spool/chute */
	char *handler; /* handler = ...; run as HANDLER JOBDIR */
	unsigned jobs; /* jobs = number of CPUs */
	int64_t timeout_ms; /* timeout = 10m; 0 = none */
	int64_t kill_grace_ms; /* kill_grace = 10s */
	unsigned retries; /* retries = 0 */
	int64_t retry_delay_ms; /* retry_delay = 30s, doubles each attempt */
	int64_t keep_ms; /* keep = 7d; 0 = forever */
	uint64_t max_request; /* max_request = 64M */
	bool fsync; /* fsync = yes */
	int64_t rescan_ms; /* rescan = 0; 0 = only at start and on overflow */
	/* Extensions (documented in chute.conf(5)): */
	char *user; /* user = ; run handlers as this user when root */
	char *form; /* form = ; HTML template for chute.cgi's GET / */
	int64_t metrics_ms; /* metrics = 10s; between SPOOL/metrics writes */
	int log_level; /* log_level = info (err|warning|info|debug) */
};

/* Fills c with the defaults. Never fails; strings are heap copies. */
void conf_init(struct conf *c);
/* Frees the strings; c may be conf_init()ed again afterwards. */
void conf_fini(struct conf *c);

/* Reads path over the values already in c. Returns 0, or -1 with errno and a
 * one-line message in err ("path:line: unknown key 'x'", "path: No such
 * file or directory"). On failure c keeps its previous values. */
int conf_load(struct conf *c, const char *path, char *err, size_t errlen);

/* The file to read: cli_path if not NULL, else $CHUTE_CONFIG if set and
 * non-empty, else CONF_DEFAULT_PATH. *explicit is set when the choice came
 * from cli_path or the environment (a missing file is then an error). */
const char *conf_locate(const char *cli_path, bool *explicit_choice);

/* Loads the located file into c (already conf_init()ed). A missing default
 * file is not an error: c keeps its defaults. Same return as conf_load(). */
int conf_load_located(
    struct conf *c, const char *cli_path, char *err, size_t errlen);

/* Sets a string field (spool, handler...) replacing the old value: for -s. */
int conf_set_string(char **field, const char *value);

/* Value parsers, exported for tests: 0, or -1 with EINVAL/ERANGE. */
int conf_parse_duration(const char *text, int64_t *ms);
int conf_parse_size(const char *text, uint64_t *bytes);
int conf_parse_bool(const char *text, bool *value);

#endif
