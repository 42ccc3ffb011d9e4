#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Flakes: runs every test of suite 'integration' FLAKES_REPEAT times
# (default 20) one after another, with the command, env and timeout that
# meson gave it (read from BUILDDIR/meson-info/intro-tests.json; not
# through `meson test`: no recursion). FLAKES_TESTS (names, space
# separated) limits the run. A round fails on an exit code other than 0 or
# 77 (skip), a timeout, or a "not ok" or "Bail out!" line: each failing
# round prints its test, round, failing lines and output tail. TAP: one
# line per test; the totals close the output.
import json
import os
import signal
import subprocess
import sys
import tempfile

repeat = int(os.environ.get("FLAKES_REPEAT", "20") or "20")
builddir = os.environ.get("BUILDDIR")
if not builddir:
    print("1..0 # SKIP set BUILDDIR to the meson build directory")
    sys.exit(0)
only = os.environ.get("FLAKES_TESTS", "").split()
with open(os.path.join(builddir, "meson-info", "intro-tests.json")) as f:
    tests = [t for t in json.load(f)
             if any(s.split(":")[-1] == "integration" for s in t["suite"])]
if only:
    tests = [t for t in tests if t["name"] in only]
tests.sort(key=lambda t: t["name"])
print("1..%d" % len(tests), flush=True)


def run_once(t, log):
    """Returns None when the round passed (or skipped), else a reason."""
    env = dict(os.environ)
    env.update(t.get("env") or {})
    limit = t.get("timeout") or 600
    if limit <= 0:
        limit = 3600
    with open(log, "w+b") as out:
        p = subprocess.Popen(t["cmd"], cwd=t.get("workdir") or builddir,
                             env=env, stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT, start_new_session=True)
        try:
            rc = p.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            return "timeout after %d s" % limit
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    bad = [ln for ln in text.splitlines()
           if ln.startswith("not ok") or ln.startswith("Bail out!")]
    if rc not in (0, 77):
        return "exit %d" % rc, bad, text
    if t.get("protocol") == "tap" and bad:
        return "TAP failures", bad, text
    return None


total_runs = total_fails = 0
with tempfile.TemporaryDirectory(prefix="chute-flakes.") as tmp:
    log = os.path.join(tmp, "log")
    for i, t in enumerate(tests, 1):
        fails = 0
        for r in range(1, repeat + 1):
            res = run_once(t, log)
            total_runs += 1
            if res is None:
                continue
            fails += 1
            if isinstance(res, str):
                print("# %s round %d: %s" % (t["name"], r, res))
                continue
            why, bad, text = res
            print("# %s round %d: %s" % (t["name"], r, why))
            for ln in bad[:10]:
                print("#   " + ln)
            for ln in text.splitlines()[-5:]:
                print("#   | " + ln)
        total_fails += fails
        if fails == 0:
            print("ok %d - %s: %d rounds, no failure" % (i, t["name"], repeat),
                  flush=True)
        else:
            print("not ok %d - %s: %d of %d rounds failed"
                  % (i, t["name"], fails, repeat), flush=True)
print("# %d tests x %d rounds: %d runs, %d failed"
      % (len(tests), repeat, total_runs, total_fails))
sys.exit(1 if total_fails else 0)
