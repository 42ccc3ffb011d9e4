/* SPDX-License-Identifier: MIT */
/*
 * watch: inotify on new/ (IN_MOVED_TO, IN_CLOSE_WRITE), run/
 * (IN_MOVED_FROM, IN_DELETE; only while a runner adopted at start-up is
 * counted: our own runners answer when their job has left run/) and cancel/
 * (IN_CREATE, IN_MOVED_TO, IN_CLOSE_WRITE; none with --no-inotify), read
 * directly (one read per wake-up unless the buffer filled), and the scans
 * that make up for what inotify cannot promise: new/ at start-up, on
 * IN_Q_OVERFLOW, when the queue overflowed and periodically (`rescan`); run/
 * at start-up (adoption) and with every rescan. A scan of new/ only lists
 * (readdir, no stat: queued in name order). An event or a listed name is
 * only a hint: the claiming rename decides. libinotifytools only names
 * masks in debug logs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <inotifytools/inotify.h>
#include <inotifytools/inotifytools.h>

#include "chuted.h"
#include "job.h"
#include "log.h"
#include "metrics.h"
#include "timestamp.h"

/* A plain producer renames into new/ (IN_MOVED_TO). A file written in place
 * is complete when its writer closes it (IN_CLOSE_WRITE), not when it is
 * created. IN_CREATE only matters for what has no content to wait for
 * (symlinks, FIFOs, sockets, devices: bad entries to reject at once); a
 * directory made in place is still being filled, and is left to a rescan;
 * a plain file may be a link(2) (no close follows): it is looked at again
 * once it has not changed for CHUTED_LINK_SETTLE_MS. */
#define WATCH_NEW_MASK \
	(IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE_SELF | \
	    IN_MOVE_SELF | IN_ONLYDIR)
#define WATCH_RUN_MASK \
	(IN_MOVED_FROM | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
/* We hold O_PATH fds on the state dirs, which keeps the kernel from
 * sending IN_DELETE_SELF when one is removed: the spool root tells. */
#define WATCH_ROOT_MASK (IN_DELETE | IN_MOVED_FROM | IN_ONLYDIR)
#define WATCH_SELF_GONE (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)
/* The largest event inotify can queue. */
#define WATCH_EVENT_MAX (sizeof(struct inotify_event) + NAME_MAX + 1)

static int
watch_add(struct chuted *c, int dirfd, uint32_t mask)
{
	char path[64];

	/* The watch follows the directory fd we hold, not a path we build. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", dirfd);
	return inotify_add_watch(c->ino_w.fd, path, mask);
}

/* cancel/: lib/cancel.c creates an empty file (IN_CREATE; IN_CLOSE_WRITE
 * follows), other producers may rename one in (IN_MOVED_TO). */
#define WATCH_CANCEL_MASK \
	(IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE_SELF | \
	    IN_MOVE_SELF | IN_ONLYDIR)

static int
watch_add_both(struct chuted *c)
{
	if (c->no_inotify)
		return 0; /* --no-inotify: rescans find everything */
	c->wd_cancel =
	    watch_add(c, c->sp.dirfd[SPOOL_CANCEL], WATCH_CANCEL_MASK);
	if (c->wd_cancel < 0)
		return -1;
	c->wd_root = watch_add(c, c->sp.rootfd, WATCH_ROOT_MASK);
	if (c->wd_root < 0)
		return -1;
	c->wd_new = watch_add(c, c->sp.dirfd[SPOOL_NEW], WATCH_NEW_MASK);
	if (c->wd_new < 0)
		return -1;
	if (c->watch_run) {
		c->wd_run =
		    watch_add(c, c->sp.dirfd[SPOOL_RUN], WATCH_RUN_MASK);
		if (c->wd_run < 0)
			return -1;
	}
	return 0;
}

static bool
watch_has_adopted(const struct chuted *c)
{
	size_t i;

	for (i = 0; i < c->nslots; i++)
		if (c->slots[i].pid == 0)
			return true;
	return false;
}

void
watch_run_update(struct chuted *c)
{
	if (!c->watch_run || watch_has_adopted(c))
		return;
	/* Every adopted runner is gone: our own runners tell us themselves
	 * when their job has left run/, and its events (one per job) would
	 * only wake us a second time for each. */
	c->watch_run = false;
	if (c->wd_run >= 0)
		inotify_rm_watch(c->ino_w.fd, c->wd_run);
	c->wd_run = -1;
}

int
watch_open(struct chuted *c)
{
	c->wd_root = c->wd_new = c->wd_run = c->wd_cancel = -1;
	/* run/ is watched through the start-up adoption; watch_run_update()
	 * drops it when no adopted runner is left. */
	c->watch_run = true;
	/* Page-aligned (so suitably aligned for inotify_event), and not
	 * inherited by runners, which never read it. */
	c->ino_buf = mmap(NULL, CHUTED_INO_BUF, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c->ino_buf == MAP_FAILED) {
		c->ino_buf = NULL;
		return -1;
	}
	(void)madvise(c->ino_buf, CHUTED_INO_BUF, MADV_DONTFORK);
	c->ino_w.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (c->ino_w.fd < 0)
		return -1;
	c->ino_w.cb = watch_drain;
	c->ino_w.arg = c;
	if (loop_add(&c->loop, &c->ino_w) < 0)
		return -1;
	return watch_add_both(c);
}

int
watch_rewatch(struct chuted *c)
{
	struct spool sp;

	if (c->wd_new >= 0)
		inotify_rm_watch(c->ino_w.fd, c->wd_new);
	if (c->wd_run >= 0)
		inotify_rm_watch(c->ino_w.fd, c->wd_run);
	if (c->wd_root >= 0)
		inotify_rm_watch(c->ino_w.fd, c->wd_root);
	if (c->wd_cancel >= 0)
		inotify_rm_watch(c->ino_w.fd, c->wd_cancel);
	c->wd_root = c->wd_new = c->wd_run = c->wd_cancel = -1;
	/* Re-create what went away, then hold the new directories. */
	if (spool_init(c->sp.path, (gid_t)-1) < 0)
		return -1;
	if (spool_open(&sp, c->sp.path) < 0)
		return -1;
	spool_close(&c->sp);
	c->sp = sp;
	pool_retire(c); /* runners hold the old directory fds */
	if (watch_add_both(c) < 0)
		return -1;
	c->need_rewatch = false;
	c->need_rescan = true;
	c->rescan_why = "re-watch";
	log_warn("spool %s: a state directory went away: watching again",
	    c->sp.path);
	return 0;
}

static void
watch_debug(struct chuted *c, const struct inotify_event *ev)
{
	char pr[QUEUE_NAME_SIZE];
	const char *dir = ev->wd == c->wd_new ? "new"
	    : ev->wd == c->wd_run             ? "run"
	    : ev->wd == c->wd_cancel          ? "cancel"
					      : "?";

	log_debug("inotify %s/%s %s", dir,
	    ev->len ? dispatch_printable(ev->name, pr, sizeof(pr)) : "",
	    inotifytools_event_to_str((int)ev->mask));
}

static bool
watch_is_state_dir(const char *name)
{
	int st;

	for (st = 0; st < SPOOL_NSTATES; st++)
		if (strcmp(name, spool_state_dirname((enum spool_state)st)) ==
		    0)
			return true;
	return false;
}

/* True for an entry created in new/ that is neither a directory nor a
 * regular file: complete at birth, and never a job. */
static bool
watch_created_special(struct chuted *c, const struct inotify_event *ev)
{
	struct stat stb;

	if (ev->mask & IN_ISDIR)
		return false;
	if (fstatat(c->sp.dirfd[SPOOL_NEW], ev->name, &stb,
		AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	return !S_ISREG(stb.st_mode) && !S_ISDIR(stb.st_mode);
}

static void
watch_event(struct chuted *c, const struct inotify_event *ev)
{
	if (log_get_level() >= LOG_DEBUG)
		watch_debug(c, ev);
	if (ev->mask & IN_Q_OVERFLOW) {
		log_warn("inotify queue overflowed: rescanning");
		metrics_event(c, METRICS_OVERFLOW);
		c->need_rescan = true;
		c->rescan_why = "inotify overflow";
		return;
	}
	if (ev->wd >= 0 && ev->wd == c->wd_root) {
		if (ev->len > 0 && watch_is_state_dir(ev->name))
			c->need_rewatch = true;
		return;
	}
	if (ev->wd < 0 ||
	    (ev->wd != c->wd_new && ev->wd != c->wd_run &&
		ev->wd != c->wd_cancel))
		return; /* an old watch's IN_IGNORED after a re-watch */
	if (ev->mask & WATCH_SELF_GONE) {
		c->need_rewatch = true;
		return;
	}
	if (ev->len == 0)
		return;
	if (ev->wd == c->wd_cancel) {
		if (!c->stopping)
			stop_handle(c, ev->name);
		return;
	}
	if (ev->wd == c->wd_new) {
		/* Once names were dropped, FIFO order needs a rescan: until
		 * then, new names would overtake the dropped ones. */
		if (c->queue.overflowed || c->need_rescan)
			return;
		if ((ev->mask & IN_CREATE) && !watch_created_special(c, ev)) {
			/* A plain file made by link(2) gets no close: look
			 * again once it has settled. */
			if (!(ev->mask & IN_ISDIR))
				dispatch_defer_linked(c, ev->name);
			return;
		}
		queue_push(&c->queue, ev->name);
	} else if (ev->mask & (IN_MOVED_FROM | IN_DELETE)) {
		if (dispatch_slot_release_id(c, ev->name))
			watch_run_update(c);
	}
}

void
watch_drain(void *arg)
{
	struct chuted *c = arg;
	char *buf = c->ino_buf;
	const struct inotify_event *ev;
	ssize_t n;
	char *p;

	for (;;) {
		n = read(c->ino_w.fd, buf, CHUTED_INO_BUF);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				log_warn("inotify read: %s", strerror(errno));
			return;
		}
		for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)(void *)p;
			watch_event(c, ev);
		}
		/* The kernel hands out every queued event that fits: room
		 * left for the largest one means the queue was empty. What
		 * came since wakes the (level-triggered) loop again. */
		if ((size_t)n <= CHUTED_INO_BUF - WATCH_EVENT_MAX)
			return;
	}
}

int
watch_scan_new(struct chuted *c, const char *why)
{
	struct dirent *de;
	DIR *dir = NULL;
	size_t i, n;
	int fd, rc = -1, saved;

	fd = spool_open_listing(&c->sp, SPOOL_NEW);
	if (fd < 0)
		goto out;
	dir = fdopendir(fd);
	if (dir == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		goto out;
	}
	pick_reset(&c->pick);
	while ((errno = 0, de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		/* No stat(2) per entry: on a shared filesystem it costs a
		 * round trip each (a new/ of 2000 jobs on a 2-brick GlusterFS
		 * volume: 2.2 s against 0.4 s for the listing) and may answer
		 * from a stale cache anyway. Name order, which is submission
		 * order for chute's IDs; the claim decides the rest. */
		pick_offer(&c->pick, 0, de->d_name);
	}
	if (errno != 0)
		goto out;
	n = pick_sort(&c->pick);
	queue_clear(&c->queue);
	for (i = 0; i < n; i++)
		queue_push(&c->queue, c->pick.heap[i].name);
	if (c->pick.seen > n)
		c->queue.overflowed = true;
	metrics_event(c, METRICS_RESCAN);
	log_msg(strcmp(why, "periodic") == 0 ? LOG_DEBUG : LOG_INFO,
	    "rescanned new/ (%s): %zu entries", why, c->pick.seen);
	rc = 0;
out:
	saved = errno;
	if (dir != NULL)
		closedir(dir);
	if (rc < 0) {
		log_err("cannot list new/: %s", strerror(saved));
		if (c->retry_due_ms == 0)
			c->retry_due_ms = timestamp_mono_ms() + 1000;
	}
	errno = saved;
	return rc;
}

static bool
watch_slot_has(struct chuted *c, const char *id)
{
	size_t i;

	for (i = 0; i < c->nslots; i++)
		if (strcmp(c->slots[i].id, id) == 0)
			return true;
	return false;
}

/* One entry of run/ that no slot of ours counts. */
static void
watch_run_entry(struct chuted *c, const char *name, bool adopt)
{
	int lockfd = job_lock_probe(&c->sp, name);

	if (lockfd >= 0) {
		dispatch_lost(c, name, lockfd);
		return;
	}
	if (errno == EWOULDBLOCK) {
		/* At start-up every live runner is one of ours from before;
		 * later, a held lock belongs to another watcher. */
		if (adopt) {
			if (dispatch_slot_add(c, name, 0) < 0)
				log_err("%s: cannot adopt: %s", name,
				    strerror(errno));
			else
				log_info(
				    "%s adopted: its runner is alive", name);
		}
		return;
	}
	if (errno == ENOENT && adopt) {
		/* No job file: a claim cut short by a crash. Only at start-up:
		 * later, another watcher may be inside its claim. */
		if (job_recover_run(&c->sp, name) == 0)
			log_info("removed empty run/%s (an interrupted claim)",
			    name);
		else if (errno != ENOENT)
			dispatch_log_once(
			    c, name, "cannot recover run/ entry", errno);
		return;
	}
	if (errno != ENOENT)
		dispatch_log_once(c, name, "cannot probe run/ entry", errno);
}

int
watch_scan_run(struct chuted *c, bool adopt)
{
	struct dirent *de;
	struct stat stb;
	DIR *dir = NULL;
	size_t i;
	int fd, rc = -1, saved;

	/* Adopted runners are not our children: if their job left run/
	 * while inotify dropped events, only this look frees their slot. */
	for (i = 0; i < c->nslots;) {
		if (c->slots[i].pid == 0 &&
		    fstatat(c->sp.dirfd[SPOOL_RUN], c->slots[i].id, &stb,
			AT_SYMLINK_NOFOLLOW) < 0 &&
		    errno == ENOENT)
			dispatch_slot_release_id(c, c->slots[i].id);
		else
			i++;
	}
	fd = spool_open_listing(&c->sp, SPOOL_RUN);
	if (fd < 0)
		goto out;
	dir = fdopendir(fd);
	if (dir == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		goto out;
	}
	while ((errno = 0, de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.' &&
		    (de->d_name[1] == '\0' ||
			(de->d_name[1] == '.' && de->d_name[2] == '\0')))
			continue;
		if (!jobid_name_valid(de->d_name)) {
			dispatch_log_once(
			    c, de->d_name, "ignoring bad name in run/", 0);
			continue;
		}
		if (watch_slot_has(c, de->d_name))
			continue;
		watch_run_entry(c, de->d_name, adopt);
	}
	if (errno != 0)
		goto out;
	rc = 0;
out:
	saved = errno;
	if (dir != NULL)
		closedir(dir);
	watch_run_update(c);
	if (rc < 0)
		log_err("cannot list run/: %s", strerror(saved));
	errno = saved;
	return rc;
}
