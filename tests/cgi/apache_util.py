# SPDX-License-Identifier: MIT
# apache_util: what the tests that run chute.cgi under a private Apache share
# (tests/cgi/apache_e2e.py, tests/browser/browser_e2e.py): TAP lines, a free
# port, the user and group Apache runs as when root, a ServerRoot made from
# tests/cgi/httpd.conf.in and etc/apache/chute.conf, starting apache2 until
# it serves /chute/, and the end of a test: the processes it started (by
# PID), the runners chuted left behind, its temp dir, the plan. Importing it runs nothing; every wait is
# bounded. Only the standard library.
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

APACHE = shutil.which("apache2") or "/usr/sbin/apache2"
IS_ROOT = os.geteuid() == 0


def chute_env():
    """What meson hands these tests: the built chute.cgi, chuted and chute,
    etc/apache/chute.conf and tests/cgi/httpd.conf.in, in that order."""
    return tuple(os.environ[k] for k in ("CHUTE_CGI", "CHUTED", "CHUTE",
                                         "APACHE_SNIPPET", "HTTPD_TEMPLATE"))


class Tap:
    """Numbered TAP lines; the plan is printed by the caller at the end."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, what, diag=None):
        self.n += 1
        print("%s %d - %s" % ("ok" if cond else "not ok", self.n, what))
        if not cond:
            self.failed += 1
            if diag is not None:
                for line in str(diag).splitlines()[-40:]:
                    print("#   " + line)
        sys.stdout.flush()
        return cond

    def note(self, msg):
        print("# " + msg)
        sys.stdout.flush()


def exit_on_signals():
    """TERM and INT raise SystemExit, so that finally: blocks clean up."""
    def on_signal(signum, frame):
        raise SystemExit(1)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def ensure_users():
    """Apache as root needs a User/Group: the web user in group chute.
    Another test may create them at the same time: check again after."""
    def exists(db, name):
        return subprocess.run(["getent", db, name],
                              stdout=subprocess.DEVNULL).returncode == 0

    if not exists("group", "chute"):
        subprocess.run(["groupadd", "-r", "chute"])
    if not exists("passwd", "chute-www"):
        subprocess.run(["useradd", "-r", "-g", "chute", "-M", "-d",
                        "/nonexistent", "-s", "/usr/sbin/nologin",
                        "chute-www"])
    return exists("group", "chute") and exists("passwd", "chute-www")


def apache_setup(root, port, cgi, snippet, template, conf, small_conf):
    """A ServerRoot in root on 127.0.0.1:port: root/cgi-bin/chute.cgi (a
    copy of cgi), the site snippet with conf as chute.conf, /small/ with
    small_conf. Returns (cgibin, path of httpd.conf)."""
    cgibin = os.path.join(root, "cgi-bin")
    for d in ("cgi-bin", "htdocs", "run", "logs"):
        os.mkdir(os.path.join(root, d))
        os.chmod(os.path.join(root, d), 0o755)
    shutil.copy(cgi, os.path.join(cgibin, "chute.cgi"))
    os.chmod(os.path.join(cgibin, "chute.cgi"), 0o755)
    with open(snippet) as f:
        site = f.read()
    site = site.replace("/usr/lib/cgi-bin", cgibin)
    site = site.replace("/etc/chute/chute.conf", conf)
    write(os.path.join(root, "chute-site.conf"), site)
    with open(template) as f:
        httpd = f.read()
    passenv = [k for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")
               if k in os.environ]
    subst = {"@ROOT@": root, "@PORT@": str(port), "@CGIBIN@": cgibin,
             "@SITE@": os.path.join(root, "chute-site.conf"),
             "@SMALLCONF@": small_conf,
             "@USERGROUP@": "User chute-www\nGroup chute" if IS_ROOT else "",
             "@PASSENV@": ("PassEnv " + " ".join(passenv)) if passenv
             else ""}
    for k, v in subst.items():
        httpd = httpd.replace(k, v)
    httpd_conf = os.path.join(root, "httpd.conf")
    write(httpd_conf, httpd)
    return cgibin, httpd_conf


def apache_start(root, port, httpd_conf, limit=20):
    """Starts apache2 in the foreground (output in root/apache.out) and
    waits up to limit seconds until GET /chute/ answers 200. Returns
    (the process, whether it serves)."""
    out = open(os.path.join(root, "apache.out"), "w")
    proc = subprocess.Popen(
        [APACHE, "-DFOREGROUND", "-f", httpd_conf], stdout=out, stderr=out,
        env=dict(os.environ, APACHE_RUN_DIR=root + "/run",
                 APACHE_LOG_DIR=root))
    out.close()
    url = "http://127.0.0.1:%d/chute/" % port
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return proc, True
        except (OSError, urllib.error.HTTPError):
            pass
        time.sleep(0.2)
    return proc, False


def apache_logs(root, note):
    """Notes the tails of Apache's own output and error log."""
    for name in ("apache.out", "error.log"):
        try:
            with open(os.path.join(root, name)) as f:
                note(name + ": " + f.read()[-2000:])
        except OSError:
            pass


def stop(procs, name, sig=signal.SIGTERM, wait=10, group=False):
    """Ends procs[name] (and removes it): sig, then SIGKILL after wait
    seconds. group: the process leads its own group; signal all of it,
    and SIGKILL whatever of the group is left after."""
    p = procs.pop(name, None)
    if p is None or p.poll() is not None:
        return
    kill = (lambda s: os.killpg(p.pid, s)) if group else p.send_signal
    try:
        kill(sig)
        p.wait(wait)
    except subprocess.TimeoutExpired:
        kill(signal.SIGKILL)
        p.wait(5)
    except ProcessLookupError:
        pass
    if group:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def stop_runners(spool):
    """Runners outlive chuted by design: wait for run/ to drain, then end
    what is left of ours, by the runner_pid its status names."""
    deadline = time.monotonic() + 15
    rundir = os.path.join(spool, "run")
    while time.monotonic() < deadline and os.path.isdir(rundir) and \
            os.listdir(rundir):
        time.sleep(0.2)
    if not os.path.isdir(rundir):
        return
    for jid in os.listdir(rundir):
        try:
            with open(os.path.join(rundir, jid, "status")) as f:
                pid = json.load(f).get("runner_pid")
            if isinstance(pid, int) and pid > 1:
                os.killpg(pid, signal.SIGKILL)
        except (OSError, ValueError):
            pass


def finish(tap, procs, root, spool):
    """The end of a test: ends Apache and chuted (anything else in procs is
    the caller's to end first), then the runners left in spool; removes
    root (kept, and noted, when CHUTE_TEST_KEEP is set); prints the plan."""
    stop(procs, "apache")
    stop(procs, "chuted")
    stop_runners(spool)
    if os.environ.get("CHUTE_TEST_KEEP"):
        tap.note("kept " + root)
    else:
        shutil.rmtree(root, ignore_errors=True)
    print("1..%d" % tap.n)
