/* SPDX-License-Identifier: MIT */
/*
 * jobwait: following one job until it ends (done/ or failed/), woken by
 * inotify rather than a sleep loop, with a callback per change. It lives in
 * lib/ because every producer may want it (`chute submit --wait`, `chute
 * status --wait`, a long-polling CGI or a script binding) and it must know
 * the spool layout, which only lib/ does.
 *
 * It watches the job directory itself, never a state dir (a producer in
 * group chute may search those, not list or watch them): IN_MOVE_SELF says
 * it moved between states, IN_CLOSE_WRITE | IN_MOVED_TO of "status" or
 * "progress" inside it say those changed, IN_DELETE_SELF / IN_IGNORED make
 * it look the job up afresh. The watch is added through the O_PATH fd of
 * the lookup (/proc/self/fd/N), then the job is read again, so a move
 * between the lookup and the watch is never missed. While the job is a
 * plain file in new/ (no directory yet) it looks again every
 * JOBWAIT_SHORT_MS; otherwise a cheap re-check every recheck_ms guards
 * against a lost event (an overflow, a shared filesystem's remote change).
 */
#ifndef CHUTE_JOBWAIT_H
#define CHUTE_JOBWAIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "jobid.h"
#include "jobinfo.h"
#include "spool.h"

#define JOBWAIT_SHORT_MS 100 /* no directory to watch yet */
#define JOBWAIT_RECHECK_MS 1000 /* the safety re-check */
#define JOBWAIT_GONE_MS 2000 /* how long a vanished job is looked for */

struct jobwait {
	const struct spool *sp; /* borrowed */
	char id[JOBID_NAME_MAX + 1];
	int inofd; /* inotify, IN_NONBLOCK | IN_CLOEXEC */
	int wd; /* the watch on the job dir, or -1 */
	dev_t dev; /* the inode watched */
	ino_t ino;
	int recheck_ms;
	int64_t next_ms; /* monotonic time of the next look without event */
	int64_t gone_since_ms; /* 0, or when the job was first missed */
	bool ended; /* in done/ or failed/ */
	bool changed; /* the last jobwait_update() saw a change */
	struct jobinfo ji; /* the latest view; valid after jobwait_open() */
};

/* Called with the first view and after each change of the job's state,
 * attempt, times, outcome or progress (not for every event). A non-zero
 * return stops jobwait_run(), which then fails with ECANCELED. */
typedef int (*jobwait_fn)(void *arg, const struct jobinfo *ji);

/* Starts following job id: the first lookup (EINVAL: bad id; ENOENT:
 * unknown), the inotify instance and the watch. recheck_ms <= 0 means
 * JOBWAIT_RECHECK_MS. On success jw->ji holds the first view (jw->ended
 * when it has already ended). 0, or -1 with errno; jobwait_close() is
 * safe after a failed open and twice. */
int jobwait_open(
    struct jobwait *jw, const struct spool *sp, const char *id, int recheck_ms);
void jobwait_close(struct jobwait *jw);

/* For an event loop: poll this fd for POLLIN, at most jobwait_timeout_ms()
 * milliseconds, then call jobwait_update(). The fd is -1 when the user is
 * out of inotify instances (EMFILE/ENFILE): poll() then just sleeps and the
 * short timer does the following. */
int jobwait_fd(const struct jobwait *jw);
int jobwait_timeout_ms(const struct jobwait *jw);

/* Drains the events and, when one concerns the job or its timer is due,
 * reads the job again and re-arms the watch. Sets jw->changed (and
 * jw->ended) and updates jw->ji. 0, or -1 with errno (ENOENT: the job
 * vanished for JOBWAIT_GONE_MS; others from inotify or the filesystem). */
int jobwait_update(struct jobwait *jw);

/* The whole wait: opens, calls fn with the first view and each change,
 * and returns 0 once the job has ended (fn has seen the final view; final,
 * when not NULL, gets a copy of it to jobinfo_fini()). timeout_ms < 0: no
 * limit, else ETIMEDOUT after that long. -1 with errno: EINVAL, ENOENT,
 * ETIMEDOUT, ECANCELED (fn said stop), or others. EINTR is retried. */
int jobwait_run(const struct spool *sp, const char *id, int64_t timeout_ms,
    int recheck_ms, jobwait_fn fn, void *arg, struct jobinfo *final);

#endif
