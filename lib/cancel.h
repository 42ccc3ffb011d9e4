/* SPDX-License-Identifier: MIT */
/*
 * cancel: a producer's request to cancel a job: an empty file cancel/ID.
 * The request is only a hint that the watcher consumes (it stops the job
 * or drops it from new/, then removes the file); this module never touches
 * the job itself. chute cancel and chute.cgi's POST /jobs/ID/cancel call it.
 */
#ifndef CHUTE_CANCEL_H
#define CHUTE_CANCEL_H

#include "spool.h"

/* Asks for job id to be cancelled. Validates id (EINVAL, no filesystem
 * access), looks the job up (ENOENT: unknown; EALREADY: it is in done/ or
 * failed/, "already finished"), then creates SPOOL/cancel/ID (O_CREAT |
 * O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode 0640). An entry already there of
 * any type is the same request: 0 (idempotent), and it is never opened.
 * No fsync: a cancel lost in a crash is harmless (the job just runs on),
 * and a producer in group chute may not open cancel/ to sync it anyway.
 * A job that finishes between the lookup and the create leaves a stale
 * cancel/ID, which the watcher removes. Returns 0, or -1 with errno. */
int cancel_request(const struct spool *sp, const char *id);

#endif
