/* SPDX-License-Identifier: MIT */
/*
 * draft: how a producer builds a job. A draft is a directory tmp/ID that only
 * its creator writes; draft_publish() makes it a job with one rename(2) into
 * new/, so nothing partial is ever visible there. Every file is streamed
 * through bounded buffers (never whole in memory). On any failure the caller
 * calls draft_abandon(), which removes tmp/ID: tmp/ is left clean.
 *
 * Layout written (DESIGN.md): ID/job (JSON), ID/fields/NAME, ID/files/NAME,
 * ID/body. A repeated field name keeps every value: the first in fields/NAME,
 * the next in fields/NAME~2, NAME~3, ... ('~' is not allowed in names, so
 * these cannot collide); the job file's "fields" lists each file name.
 */
#ifndef CHUTE_DRAFT_H
#define CHUTE_DRAFT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jobid.h"
#include "spool.h"

struct draft {
	const struct spool *sp;
	char id[JOBID_NAME_MAX + 1]; /* kept after a successful publish */
	bool named; /* the producer picked id (draft_publish checks it) */
	int dirfd; /* tmp/ID, O_RDONLY | O_DIRECTORY */
	int fieldsfd; /* tmp/ID/fields, -1 until the first field */
	int filesfd; /* tmp/ID/files, -1 until the first file */
	int streamfd; /* the file or body being streamed, else -1 */
	char streamname[JOBID_NAME_MAX + 8];
	bool stream_is_body;
	uint64_t streamsize;
	uint64_t total; /* bytes of fields, files and body so far */
	uint64_t limit; /* 0 = none; past it: EFBIG */
	bool fsync;
	json_t *fields; /* array of names */
	json_t *files; /* object name -> {filename, size, content_type} */
	char *source, *remote_addr, *content_type;
};

/* Creates tmp/ID with mode SPOOL_MODE_JOBDIR. id NULL generates a fresh ID;
 * otherwise it must pass jobid_name_valid() (EINVAL) and not be in use in
 * tmp/ (EEXIST). limit bounds the total bytes written (0 = none). 0 or -1;
 * after a failure d needs no draft_abandon(). */
int draft_create(struct draft *d, const struct spool *sp, const char *id,
    uint64_t limit, bool do_fsync);

/* Metadata for the job file; any may be NULL. source: "cgi", "cli", "lib".
 * Strings are copied. 0 or -1 (ENOMEM). */
int draft_set_meta(struct draft *d, const char *source, const char *remote_addr,
    const char *content_type);

/* Writes fields/NAME (see repeated names above). EINVAL for a bad name. */
int draft_add_field(
    struct draft *d, const char *name, const void *value, size_t len);

/* Streams files/NAME: begin, write any number of times, end. filename and
 * content_type are metadata only (never used as paths; may be NULL).
 * A second file with the same field name: EEXIST. Only one stream at a time
 * (EBUSY). */
int draft_file_begin(struct draft *d, const char *field, const char *filename,
    const char *content_type);
/* Streams ID/body; at most once per draft. */
int draft_body_begin(struct draft *d);
int draft_stream_write(struct draft *d, const void *buf, size_t len);
int draft_stream_end(struct draft *d);

/* Convenience: begin + copy from fd until EOF + end. */
int draft_add_file_fd(struct draft *d, const char *field, const char *filename,
    const char *content_type, int fd);

/* Writes ID/job, fsyncs every file and directory (when fsync), renames
 * tmp/ID to new/ID (no replace: EEXIST if that job exists) and fsyncs new/
 * (or, where new/ cannot be opened for reading, the moved job directory,
 * whose ".." entry changed in the same journal transaction). A name the
 * producer picked is first looked up in new/, run/, done/ and failed/
 * (spool_lookup) and refused with EEXIST when a job has it in any of them:
 * tmp/ID, held since draft_create(), keeps every producer that drafts in
 * tmp/ from publishing the same name meanwhile, so two such producers never
 * both succeed; only a job renamed into new/ from outside tmp/ between
 * that lookup and the rename can slip past (and on a shared filesystem, a
 * stale stat(2) cache). A generated ID is not looked up (it is unique).
 * On success the job is queued and the draft is released (no
 * draft_abandon() needed; calling it does nothing), except d->id, which
 * still names the job. On failure the draft is still there for
 * draft_abandon(). */
int draft_publish(struct draft *d);

/* Removes tmp/ID and releases everything; safe after a failed publish and
 * on a zeroed or already-released draft. Keeps errno. */
void draft_abandon(struct draft *d);

#endif
