/* SPDX-License-Identifier: MIT */
/*
 * chuted: the watcher. Set-up (options, config, spool, signals, inotify,
 * adoption of run/, a first scan of new/), then one thread and one epoll
 * loop over inotify, a signalfd and a timerfd. Setup failures exit (64
 * usage; 1 bad config, as DESIGN.md says, and any other error); after READY nothing tied to one job takes
 * the watcher down. TERM/INT stop claiming and exit at once: runners are
 * detached and go on (each ends after its job). HUP reloads the config (a
 * bad one is logged and the old one kept; runners start again with it);
 * USR1 logs counts; CHLD reaps runners.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "chuted.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "timestamp.h"

#define EXIT_USAGE 64
#define EXIT_CONFIG 1 /* DESIGN.md: a bad config exits 1 with file:line */

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: chuted [-v] [--syslog] [--init] [--no-inotify] [-c FILE] "
	    "[-s DIR]\n"
	    "  -c, --config FILE  configuration (default: $CHUTE_CONFIG, "
	    "else %s)\n"
	    "  -s, --spool DIR    spool directory (overrides the config)\n"
	    "      --init         create the spool when it is missing\n"
	    "      --syslog       log to syslog instead of stderr\n"
	    "      --no-inotify   find jobs and cancels by rescans only "
	    "(rescan, default 1s)\n"
	    "  -v, --verbose      debug logging\n"
	    "  -h, --help         this help\n"
	    "      --version      print the version\n",
	    CONF_DEFAULT_PATH);
}

/* fds 0-2 must be open, or our own fds would take their numbers. */
static void
main_safe_stdio(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
}

static void
main_apply_level(struct chuted *c)
{
	log_set_level(c->verbose ? LOG_DEBUG : c->conf.log_level);
}

/* Resolves cf->user into *u when chuted runs as root (uid, primary gid,
 * supplementary groups); unset, or not root (a warning): u->set false.
 * 0, or -1 with the message in err. */
static int
main_resolve_user(
    const struct conf *cf, struct chuted_user *u, char *err, size_t errlen)
{
	struct passwd *pw;
	gid_t *groups = NULL;
	int n = 32;

	memset(u, 0, sizeof(*u));
	if (cf->user == NULL || cf->user[0] == '\0')
		return 0;
	if (geteuid() != 0) {
		log_warn("%s: user = %s ignored: chuted is not root",
		    cf->path ? cf->path : "(defaults)", cf->user);
		return 0;
	}
	errno = 0;
	pw = getpwnam(cf->user);
	if (pw == NULL) {
		snprintf(err, errlen, "%s: user = %s: %s",
		    cf->path ? cf->path : "(defaults)", cf->user,
		    errno != 0 ? strerror(errno) : "no such user");
		return -1;
	}
	for (;;) {
		int got = n;
		gid_t *g = realloc(groups, (size_t)n * sizeof(*g));

		if (g == NULL) {
			free(groups);
			snprintf(err, errlen, "%s", strerror(errno));
			return -1;
		}
		groups = g;
		if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &got) >= 0) {
			n = got;
			break;
		}
		n = got > n ? got : n * 2;
	}
	u->set = true;
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	u->groups = groups;
	u->ngroups = n;
	return 0;
}

/* Loads the config into cf (conf_init()ed); -s overrides the spool, which
 * is made absolute. 0, or -1 with the message in err. */
static int
main_load_conf(struct chuted *c, struct conf *cf, struct chuted_user *u,
    char *err, size_t errlen)
{
	if (conf_load_located(cf, c->cli_conf, err, errlen) < 0)
		return -1;
	if (c->cli_spool != NULL &&
	    conf_set_string(&cf->spool, c->cli_spool) < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	if (cf->handler[0] != '/')
		log_warn("%s: handler %s is not an absolute path: it is run "
			 "from each job's directory",
		    cf->path ? cf->path : "(defaults)", cf->handler);
	if (c->no_inotify && cf->rescan_ms <= 0)
		cf->rescan_ms = 1000; /* nothing else would find a job */
	if (cf->jobs == 0) {
		snprintf(err, errlen, "%s: jobs must be at least 1",
		    cf->path ? cf->path : "(defaults)");
		return -1;
	}
	return main_resolve_user(cf, u, err, errlen);
}

static void
main_reload(struct chuted *c)
{
	char err[CONF_ERR_LEN];
	struct conf cf;
	struct chuted_user u;

	conf_init(&cf);
	if (main_load_conf(c, &cf, &u, err, sizeof(err)) < 0) {
		log_err(
		    "reload failed, keeping the old configuration: %s", err);
		conf_fini(&cf);
		return;
	}
	/* The spool stays: moving one means a restart. */
	if (strcmp(cf.spool, c->conf.spool) != 0) {
		char *real = realpath(cf.spool, NULL);

		if (real == NULL || strcmp(real, c->conf.spool) != 0)
			log_warn("reload: spool change to %s needs a restart",
			    cf.spool);
		free(real);
		if (conf_set_string(&cf.spool, c->conf.spool) < 0) {
			log_err("reload: %s", strerror(errno));
			conf_fini(&cf);
			free(u.groups);
			return;
		}
	}
	conf_fini(&c->conf);
	c->conf = cf;
	free(chuted_user.groups);
	chuted_user = u;
	c->rescan_due_ms = 0;
	pool_retire(c);
	main_apply_level(c);
	log_info("reloaded %s: handler %s, jobs %u",
	    c->conf.path ? c->conf.path : "(defaults)", c->conf.handler,
	    c->conf.jobs);
}

static void
main_counts(struct chuted *c)
{
	log_info("counts: %zu queued%s, %zu running, %zu waiting to retry, "
		 "%lu claimed, %lu done, %lu failed, %lu rejected, %lu lost, "
		 "%lu requeued, %lu retried, %lu cancelled, %lu removed",
	    c->queue.len, c->queue.overflowed ? " (+ more in new/)" : "",
	    c->nslots, c->ndefers, c->counts.claimed, c->counts.done,
	    c->counts.failed, c->counts.rejected, c->counts.lost,
	    c->counts.requeued, c->counts.retried, c->counts.cancelled,
	    c->counts.removed);
}

static void
main_signal(void *arg)
{
	struct chuted *c = arg;
	struct signalfd_siginfo si;
	ssize_t n;

	for (;;) {
		n = read(c->sig_w.fd, &si, sizeof(si));
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(si))
			return;
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			log_info("%s: stopping; %zu runners go on",
			    strsignal((int)si.ssi_signo), c->nslots);
			c->stopping = true;
			break;
		case SIGHUP:
			main_reload(c);
			break;
		case SIGUSR1:
			main_counts(c);
			break;
		case SIGCHLD:
			dispatch_reap(c);
			break;
		default:
			break;
		}
	}
}

/* What the callbacks asked for, then claims; once per loop round. */
static void
main_step(struct chuted *c)
{
	int64_t now;

	if (c->stopping) {
		pool_gc(c);
		return;
	}
	if (c->need_rewatch) {
		now = timestamp_mono_ms();
		if (c->retry_due_ms == 0 || now >= c->retry_due_ms) {
			if (watch_rewatch(c) < 0) {
				log_err("spool %s: cannot watch again: %s",
				    c->sp.path, strerror(errno));
				c->retry_due_ms = now + 1000;
			}
		}
	}
	if (c->need_rescan && !c->need_rewatch) {
		c->need_rescan = false;
		c->need_cancel_scan = true;
		watch_scan_run(c, false);
		watch_scan_new(c, c->rescan_why ? c->rescan_why : "rescan");
		c->rescan_why = NULL;
	}
	if (c->need_cancel_scan) {
		c->need_cancel_scan = false;
		if (stop_scan(c) < 0)
			log_warn("cannot list cancel/: %s", strerror(errno));
	}
	if (c->ndefers > 0)
		dispatch_due(c);
	if (c->retain.due_ms != 0 && timestamp_mono_ms() >= c->retain.due_ms)
		retain_tick(c);
	dispatch_pump(c);
	metrics_tick(c);
	sweep_arm(c);
	pool_gc(c);
}

static int
main_signals(struct chuted *c)
{
	struct sigaction sa;
	sigset_t set;
	int sig;

	/* Dispositions inherited as SIG_IGN survive exec: note every signal
	 * not at SIG_DFL once, so that each runner resets only those. */
	sigemptyset(&c->sig_reset);
	sigaddset(&c->sig_reset, SIGPIPE);
	for (sig = 1; sig < NSIG; sig++)
		if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL)
			sigaddset(&c->sig_reset, sig);

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	/* A closed stderr must not kill the watcher; runners reset this. */
	signal(SIGPIPE, SIG_IGN);
	c->sig_w.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (c->sig_w.fd < 0)
		return -1;
	c->sig_w.cb = main_signal;
	c->sig_w.arg = c;
	return loop_add(&c->loop, &c->sig_w);
}

/* Resolves the spool path, creating the spool first with --init. */
static void
main_open_spool(struct chuted *c, bool init)
{
	char *real;

	if (init && spool_init(c->conf.spool, (gid_t)-1) < 0)
		log_fatal(1, "cannot create spool %s: %s", c->conf.spool,
		    strerror(errno));
	real = realpath(c->conf.spool, NULL);
	if (real == NULL)
		log_fatal(1, "spool %s: %s%s", c->conf.spool, strerror(errno),
		    errno == ENOENT ? " (create it with chute init, or run "
				      "chuted --init)"
				    : "");
	if (conf_set_string(&c->conf.spool, real) < 0)
		log_fatal(1, "%s", strerror(errno));
	free(real);
	if (spool_open(&c->sp, c->conf.spool) < 0)
		log_fatal(1, "spool %s: %s", c->conf.spool, strerror(errno));
}

int
main(int argc, char **argv)
{
	enum { OPT_SYSLOG = 256, OPT_VERSION, OPT_INIT, OPT_NO_INOTIFY };
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"spool", required_argument, NULL, 's'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"syslog", no_argument, NULL, OPT_SYSLOG},
	    {"version", no_argument, NULL, OPT_VERSION},
	    {"init", no_argument, NULL, OPT_INIT},
	    {"no-inotify", no_argument, NULL, OPT_NO_INOTIFY},
	    {NULL, 0, NULL, 0},
	};
	static struct chuted c;
	char err[CONF_ERR_LEN];
	bool init = false;
	int ch;

	main_safe_stdio();
	while ((ch = getopt_long(argc, argv, "c:s:vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			c.cli_conf = optarg;
			break;
		case 's':
			c.cli_spool = optarg;
			break;
		case 'v':
			c.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_SYSLOG:
			c.use_syslog = true;
			break;
		case OPT_VERSION:
			printf("chuted %s\n", CHUTE_VERSION);
			return 0;
		case OPT_INIT:
			init = true;
			break;
		case OPT_NO_INOTIFY:
			c.no_inotify = true;
			break;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	log_open("chuted", c.use_syslog);

	conf_init(&c.conf);
	if (main_load_conf(&c, &c.conf, &chuted_user, err, sizeof(err)) < 0)
		log_fatal(EXIT_CONFIG, "%s", err);
	main_apply_level(&c);
	main_open_spool(&c, init);
	/* Work each runner would redo after its fork: the time zone (glibc
	 * reads it even for UTC conversions) and jansson's hash seed. */
	tzset();
	json_object_seed(0);
	if (queue_init(&c.queue, CHUTED_QUEUE_CAP) < 0 ||
	    pick_init(&c.pick, CHUTED_QUEUE_CAP) < 0)
		log_fatal(1, "%s", strerror(errno));
	if (loop_open(&c.loop) < 0 || main_signals(&c) < 0)
		log_fatal(1, "event loop: %s", strerror(errno));
	if (watch_open(&c) < 0)
		log_fatal(1, "inotify on %s: %s", c.sp.path, strerror(errno));
	if (sweep_open(&c) < 0)
		log_fatal(1, "timerfd: %s", strerror(errno));
	if (metrics_open(&c) < 0)
		log_fatal(1, "metrics: %s", strerror(errno));
	if (retain_open(&c) < 0)
		log_fatal(1, "spool %s: cannot open .trash: %s", c.sp.path,
		    strerror(errno));

	/* Watches first, then the scans: nothing falls in between. */
	if (watch_scan_run(&c, true) < 0)
		log_fatal(1, "cannot adopt run/ in %s", c.sp.path);
	if (watch_scan_new(&c, "start-up") < 0)
		log_fatal(1, "cannot scan new/ in %s", c.sp.path);
	c.need_cancel_scan = true;
	log_info("ready: spool %s, handler %s, jobs %u, %zu adopted", c.sp.path,
	    c.conf.handler, c.conf.jobs, c.nslots);
	if (notify_send("READY=1") < 0)
		log_warn("sd_notify: %s", strerror(errno));

	main_step(&c);
	while (!c.stopping) {
		if (loop_run_once(&c.loop, -1) < 0) {
			log_err("epoll_wait: %s", strerror(errno));
			break;
		}
		main_step(&c);
	}
	notify_send("STOPPING=1");

	close(c.ino_w.fd);
	if (c.ino_buf != NULL)
		munmap(c.ino_buf, CHUTED_INO_BUF);
	close(c.sig_w.fd);
	close(c.timer_w.fd);
	loop_close(&c.loop);
	metrics_close(&c); /* a last write, while the spool is open */
	spool_close(&c.sp);
	queue_fini(&c.queue);
	pick_fini(&c.pick);
	pool_close(&c);
	free(c.slots);
	free(c.defers);
	retain_close(&c);
	conf_fini(&c.conf);
	return c.stopping ? 0 : 1;
}
