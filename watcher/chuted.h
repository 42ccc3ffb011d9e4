/* SPDX-License-Identifier: MIT */
/*
 * chuted: the watcher's state, shared by its modules (one instance, owned by
 * main.c). Invariants: `slots` holds every job this watcher counts against
 * `jobs` (its own runners, and runners adopted at start-up); a slot is freed
 * by its runner's answer or death, or, for an adopted one, by its job leaving
 * run/ (inotify, or a rescan's look). Only dispatch.c claims; pool.c hands
 * jobs to long-lived runners; only runner.c runs handlers.
 */
#ifndef CHUTE_WATCHER_CHUTED_H
#define CHUTE_WATCHER_CHUTED_H

#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf.h"
#include "jobid.h"
#include "loop.h"
#include "pick.h"
#include "queue.h"
#include "spool.h"

#define CHUTED_QUEUE_CAP 4096 /* names waiting in memory; more: rescan */
#define CHUTED_LOGGED_CAP 32 /* bad entries remembered as logged */
#define CHUTED_INO_BUF 65536 /* one inotify read */

struct slot {
	pid_t pid; /* our (pool) runner, or 0 when adopted at start-up */
	char id[JOBID_NAME_MAX + 1];
};

struct chuted_counts {
	unsigned long claimed, done, failed, rejected, lost, requeued;
	unsigned long retried, cancelled, removed;
};

/* A job in new/ whose not_before is still to come. */
struct defer {
	char name[JOBID_NAME_MAX + 1];
	int64_t due_ms; /* wall clock (not_before) */
	bool linked; /* a plain file that appeared without a close (link(2)):
			queued once its mtime and ctime are older than
			CHUTED_LINK_SETTLE_MS */
};

#define CHUTED_LINK_SETTLE_MS 1000

/* Retention (retain.c): a slice-wise pass over done/, failed/ and tmp/,
 * and the bounded removal of SPOOL/.trash. */
struct retain {
	int trashfd; /* O_PATH on SPOOL/.trash, or -1 */
	void *dir; /* DIR * of the pass in progress, or NULL */
	int pass_state; /* the state dir being listed */
	bool trash_busy; /* .trash may hold something */
	int64_t next_pass_ms; /* mono time of the next pass */
	int64_t due_ms; /* mono time of the next tick, or 0 */
};

/* The identity handlers run as (conf `user`, resolved by chuted when it runs
 * as root); set false: they run as the runner. Set by main.c before runners
 * fork; read by the handler's vfork child. */
struct chuted_user {
	bool set;
	uid_t uid;
	gid_t gid;
	gid_t *groups; /* malloc()ed, ngroups entries */
	int ngroups;
};

extern struct chuted_user chuted_user;

struct chuted {
	struct conf conf;
	const char *cli_conf; /* -c, or NULL */
	const char *cli_spool; /* -s, or NULL */
	bool use_syslog;
	bool verbose;

	struct spool sp;
	struct loop loop;
	struct loop_watch ino_w, sig_w, timer_w;
	int wd_root, wd_new, wd_run; /* -1 when not watched */
	bool watch_run; /* run/ is watched: adopted runners may be counted */
	char *ino_buf; /* CHUTED_INO_BUF bytes, mmap()ed */

	struct queue queue;
	struct pick pick;

	struct slot *slots;
	size_t nslots, slotcap;

	struct pool_runner **runners; /* pool.c: long-lived runners */
	size_t nrunners, runnercap;
	unsigned conf_gen; /* bumped by pool_retire(): older runners retire */

	struct defer *defers; /* retries waiting for their not_before */
	size_t ndefers, defercap;

	struct retain retain;
	bool no_inotify; /* --no-inotify: rescans only */
	int wd_cancel; /* -1 when not watched */
	bool need_cancel_scan; /* list cancel/ in the next step */
	int64_t cancel_due_ms; /* mono time of a cancel look again, or 0 */

	/* names of bad entries already logged (a small ring) */
	char logged[CHUTED_LOGGED_CAP][QUEUE_NAME_SIZE];
	const char *logged_msg[CHUTED_LOGGED_CAP]; /* compared by address */
	size_t nlogged;

	bool stopping; /* TERM/INT: claim nothing more */
	bool paused; /* a runner could not start: wait for retry_due_ms */
	bool need_rescan; /* of new/ (and a check of run/) */
	const char *rescan_why; /* for the log line */
	bool need_rewatch; /* a watched dir went away */
	int64_t retry_due_ms; /* mono time of a retry after an error, or 0 */
	int64_t rescan_due_ms; /* mono time of the next periodic rescan, or 0 */
	int64_t armed_ms; /* what the timerfd is set to, or 0 */
	sigset_t sig_reset; /* signals not at SIG_DFL: runners reset these */

	struct chuted_counts counts;
	struct metrics *metrics; /* metrics.c; NULL: none */
};

/* dispatch.c: slots, claims and what becomes of entries nobody runs. */
int dispatch_slot_add(struct chuted *c, const char *id, pid_t pid);
bool dispatch_slot_release_id(struct chuted *c, const char *id);
bool dispatch_slot_release_pid(struct chuted *c, pid_t pid, char *id);
/* Claims queued names while slots are free; rescans when the queue
 * overflowed and has drained. */
void dispatch_pump(struct chuted *c);
/* Decides a job found in run/ with a free lock (lockfd held): back to new/
 * when it never started, else failed/ "lost". Closes lockfd. */
void dispatch_lost(struct chuted *c, const char *id, int lockfd);
/* Logs msg (a string literal, compared by address) about name once: for
 * an entry that stays where it is and is met again at every rescan. */
void dispatch_log_once(
    struct chuted *c, const char *name, const char *msg, int err);
/* Copies name into buf with non-printable bytes as '?', for logs. */
const char *dispatch_printable(const char *name, char *buf, size_t len);
void dispatch_reap(struct chuted *c);
/* Like dispatch_lost(); with cancel, the job fails "cancelled" instead
 * (never retried; an attempt that never started is not counted). */
void dispatch_end_locked(
    struct chuted *c, const char *id, int lockfd, bool cancel);
/* Remembers that new/NAME is not due before due_ms (wall clock). */
void dispatch_defer(struct chuted *c, const char *name, int64_t due_ms);
/* Arms a look at new/NAME, a plain file that appeared by IN_CREATE (a
 * link(2) has no IN_CLOSE_WRITE): queued once it has not changed for
 * CHUTED_LINK_SETTLE_MS; dropped when gone. A name already armed stays. */
void dispatch_defer_linked(struct chuted *c, const char *name);
/* Queues the deferred names whose time has come. */
void dispatch_due(struct chuted *c);

/* stop.c: the watcher side of cancel/: handles cancel/NAME; lists cancel/. */
void stop_handle(struct chuted *c, const char *name);
int stop_scan(struct chuted *c);

/* retain.c: retention of done/ and failed/ (`keep`), tmp/ leftovers. */
int retain_open(struct chuted *c);
void retain_tick(struct chuted *c);
void retain_close(struct chuted *c);

/* watch.c: inotify on new/ and run/, scans. */
int watch_open(struct chuted *c);
int watch_rewatch(struct chuted *c);
void watch_drain(void *arg);
/* Refills the queue from a listing of new/ in FIFO order (why: for the
 * log line; "periodic" logs at debug level only). 0 or -1. */
int watch_scan_new(struct chuted *c, const char *why);
/* Start-up (adopt true) or rescan: adopts running jobs, decides lost ones,
 * removes empty claim leftovers, forgets adopted slots that left run/. */
int watch_scan_run(struct chuted *c, bool adopt);
/* Stops watching run/ once no slot counts an adopted runner (pid 0): only
 * their jobs' leaving run/ is not told by a runner's answer. */
void watch_run_update(struct chuted *c);

/* sweep.c: the timerfd: periodic rescans and retries after errors. */
int sweep_open(struct chuted *c);
void sweep_arm(struct chuted *c);
void sweep_fire(void *arg);

/* A runner's answer for each job (an int over its socket), and its exit
 * code when it ends on its own. */
#define RUNNER_EXIT_DONE 0 /* the job is in done/ */
#define RUNNER_EXIT_FAILED 1 /* the job is in failed/ */
#define RUNNER_EXIT_TROUBLE 2 /* the job may still be in run/ */
#define RUNNER_EXIT_RETRY 3 /* the job is back in new/ with not_before */

/* chuted -> runner, one SOCK_SEQPACKET message per job, with the claim's
 * lock fd attached (SCM_RIGHTS). */
struct runner_msg {
	char id[JOBID_NAME_MAX + 1];
	int64_t submitted_ms; /* the job file's "submitted" when chuted read
				 it (its metrics did), else 0: read it */
};

/* pool.c: the runners, one per slot. */
struct pool_runner;
/* True when a claimed job would find a runner now (an idle one, or room
 * to fork one under `jobs`). */
bool pool_can_take(const struct chuted *c);
/* Hands a claimed job to a runner (forked if none is idle) and closes
 * lockfd; submitted_ms: what the runner would read from the job file for
 * "submitted" when chuted has read it already, else 0. Returns the runner's
 * pid, or -1 with errno, and then lockfd is still the caller's and nothing
 * ran. */
pid_t pool_run(
    struct chuted *c, const char *id, int lockfd, int64_t submitted_ms);
/* For a reaped child: forgets the runner. True when it died holding a job
 * (its name into id, JOBID_NAME_MAX + 1 bytes): that job is lost. */
bool pool_reaped(struct chuted *c, pid_t pid, char *id);
/* After a reload or a re-opened spool (runners hold the configuration and
 * the directory fds of their fork): idle runners retire now, busy ones
 * after their job. */
void pool_retire(struct chuted *c);
/* Frees the entries of reaped runners (between loop rounds). */
void pool_gc(struct chuted *c);
/* At exit: hangs up on every runner (busy ones finish, then exit) and
 * reaps the idle ones, which exit at once (bounded wait). */
void pool_close(struct chuted *c);

/* runner.c: the runner's life after its fork (setsid, signals and fds
 * reset once), serving jobs received on sock until EOF; the lock of each is
 * held until its job has left run/. Never returns. */
_Noreturn void runner_serve(struct chuted *c, int sock);

struct fate;
struct status;
/* Ends an attempt of run/ID (the caller holds its lock; st is its status,
 * with attempt, started, exit_code and signal of the attempt): sets the
 * reason and finish time, records the attempt in the history when f costs
 * one, and sends the job to f->to, or back to new/ with not_before while
 * `retries` allows. Writes the status, then moves the job (still locked).
 * *to says where it went. 0, or -1 with errno when the move failed (logged;
 * the job is still in run/). */
int runner_settle(const struct conf *cf, const struct spool *sp, const char *id,
    int jobdirfd, struct status *st, const struct fate *f,
    enum spool_state *to);
/* The first half of runner_settle(), in memory only: fills st (reason,
 * finish time, the attempt's history entry, not_before) and returns where
 * the job goes. Reads cancel/ID, writes nothing. For a caller that must
 * move the job before it writes the status (dispatch_end_locked()). */
enum spool_state runner_settle_plan(const struct conf *cf,
    const struct spool *sp, const char *id, struct status *st,
    const struct fate *f);
/* The last part of runner_settle(), once the job has moved to `to` and its
 * status is written: fsyncs to/ (with fsync on) and logs a requeue. */
void runner_settle_last(const struct conf *cf, const struct spool *sp,
    const char *id, const struct status *st, const struct fate *f,
    enum spool_state to);

#endif
