#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# What etc/systemd/chuted.service assumes of chuted, checked on the built
# binary without systemd: Type=notify (READY=1 on NOTIFY_SOCKET, STOPPING=1
# at exit), ExecReload (SIGHUP reloads, chuted stays), KillMode=process
# (SIGTERM to the main process only: chuted exits 0, so Restart=on-failure
# leaves it, while the running job finishes in done/), and
# RestartPreventExitStatus=64 (usage errors; a bad config exits 1, DESIGN.md); and the handler
# environment of chuted(8). The job is dropped by hand, as chute-spool(5)
# shows. TAP output; every process and
# the temp dir are cleaned up; every wait is bounded.
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

CHUTED = os.environ["CHUTED"]
UNIT = os.environ["UNIT"]
WAIT = 20.0

results = []


def check(desc, cond, diag=""):
    results.append((bool(cond), desc, diag))
    return cond


def wait_for(pred, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.02)
    return pred()


def unit_value(key):
    with open(UNIT) as f:
        for line in f:
            if line.startswith(key + "="):
                return line.rstrip("\n").split("=", 1)[1]
    return None


def main():
    tmp = tempfile.mkdtemp(prefix="chute-unit-")
    procs = []
    sock = None
    go = os.path.join(tmp, "go")
    try:
        spool = os.path.join(tmp, "spool")
        handler = os.path.join(tmp, "handler")
        with open(handler, "w") as f:
            # Waits (bounded) until the test lets it finish.
            f.write("#!/bin/sh\n"
                    "echo \"$CHUTE_ID|$CHUTE_JOB|$CHUTE_ATTEMPT|$CHUTE_SPOOL"
                    "|$1|$(pwd)|$#\" >&2\n"
                    "i=0\n"
                    "while [ ! -e '%s' ] && [ $i -lt 600 ]; do\n"
                    "  sleep 0.05; i=$((i + 1))\n"
                    "done\n"
                    "echo finished\n" % go)
        os.chmod(handler, 0o755)
        conf = os.path.join(tmp, "chute.conf")
        with open(conf, "w") as f:
            f.write("spool = %s\nhandler = %s\njobs = 2\ntimeout = 1m\n"
                    % (spool, handler))

        check("unit: Type=notify", unit_value("Type") == "notify")
        check("unit: KillMode=process", unit_value("KillMode") == "process")
        prevent = (unit_value("RestartPreventExitStatus") or "").split()

        # Exit statuses the unit must not restart on.
        r = subprocess.run([CHUTED, "--no-such-option"], capture_output=True,
                           timeout=WAIT)
        check("usage error exits 64, listed in RestartPreventExitStatus",
              r.returncode == 64 and "64" in prevent, "rc %d" % r.returncode)
        bad = os.path.join(tmp, "bad.conf")
        with open(bad, "w") as f:
            f.write("spool = %s\ntimout = 1m\n" % spool)
        r = subprocess.run([CHUTED, "-c", bad, "--init"], capture_output=True,
                           timeout=WAIT, text=True)
        check("bad config exits 1 naming FILE:LINE",
              r.returncode == 1 and
              (bad + ":2:") in r.stderr,
              "rc %d: %s" % (r.returncode, r.stderr.strip()))

        # Type=notify: READY=1 on the notify socket.
        sock_path = os.path.join(tmp, "notify")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(sock_path)
        sock.settimeout(WAIT)
        env = dict(os.environ, NOTIFY_SOCKET=sock_path)
        log = open(os.path.join(tmp, "chuted.log"), "w+")
        p = subprocess.Popen([CHUTED, "-c", conf, "--init"], env=env,
                             stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        procs.append(p)
        msgs = []

        def got(word):
            while not any(word in m for m in msgs):
                try:
                    msgs.append(sock.recv(4096).decode())
                except socket.timeout:
                    return False
            return True
        check("READY=1 sent on NOTIFY_SOCKET", got("READY=1"), str(msgs))

        # ExecReload: SIGHUP, and chuted is still there.
        p.send_signal(signal.SIGHUP)
        time.sleep(0.2)
        check("SIGHUP (ExecReload) keeps chuted running", p.poll() is None)

        # A job dropped by hand, as chute-spool(5) shows.
        jid = "unit-contract-1"
        os.makedirs(os.path.join(spool, "tmp", jid, "fields"), 0o2770)
        with open(os.path.join(spool, "tmp", jid, "fields", "x"), "w") as f:
            f.write("1")
        with open(os.path.join(spool, "tmp", jid, "job"), "w") as f:
            json.dump({"source": "test"}, f)
        os.rename(os.path.join(spool, "tmp", jid),
                  os.path.join(spool, "new", jid))
        running = wait_for(lambda: os.path.exists(
            os.path.join(spool, "run", jid, "status")))
        check("hand-dropped job is claimed and running", running)

        # KillMode=process: only the main process gets SIGTERM.
        p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            rc = None
        check("SIGTERM: chuted exits 0 (no Restart=on-failure)", rc == 0,
              "rc %r" % rc)
        check("STOPPING=1 sent", got("STOPPING=1"), str(msgs))
        check("its job is still running after chuted exited",
              os.path.isdir(os.path.join(spool, "run", jid)))
        open(go, "w").close()
        done = wait_for(lambda: os.path.exists(
            os.path.join(spool, "done", jid, "status")))
        out = ""
        if done:
            with open(os.path.join(spool, "done", jid, "stdout")) as f:
                out = f.read()
        check("the runner finished the job in done/ without chuted",
              done and out == "finished\n", repr(out))
        err = ""
        if done:
            with open(os.path.join(spool, "done", jid, "stderr")) as f:
                err = f.read()
        real = os.path.realpath(spool)
        jobdir = os.path.join(real, "run", jid)
        want = "|".join([jid, jobdir + "/job", "1", real, jobdir, jobdir,
                         "1"]) + "\n"
        check("handler: argv[1], cwd and CHUTE_* as chuted(8) says",
              err == want, "got %r, want %r" % (err, want))
    finally:
        open(go, "w").close()
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        if sock is not None:
            sock.close()
        # Runners are detached: give them a bounded moment to finish.
        wait_for(lambda: not os.listdir(os.path.join(tmp, "spool", "run"))
                 if os.path.isdir(os.path.join(tmp, "spool", "run"))
                 else True, 5)
        shutil.rmtree(tmp, ignore_errors=True)

    print("1..%d" % len(results))
    for i, (ok, desc, diag) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, desc))
        if not ok and diag:
            print("# " + diag.replace("\n", "\n# "))
    return 0 if all(r[0] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
