#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# End to end under a real Apache: starts Debian's apache2 (mod_cgid, its own
# ServerRoot on 127.0.0.1 and a free port, configured with etc/apache/
# chute.conf) and chuted on a temporary spool, then drives chute.cgi with
# curl: a 5-second job answered at once and followed queued -> running ->
# done, its result downloaded, a 100 MB upload checked by SHA-256, every
# error status leaving new/ and tmp/ clean, and the seed problem's contrast:
# a CGI whose child keeps stdout open holds Apache's answer; chute.cgi's does
# not. Fails (never skips) when Apache cannot start. Apache's set-up, TAP
# lines and process ends come from apache_util.py (shared with
# tests/browser). Prints TAP.
# Env: CHUTE_CGI, CHUTED, CHUTE (built binaries), APACHE_SNIPPET
# (etc/apache/chute.conf), HTTPD_TEMPLATE (httpd.conf.in).
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import traceback
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apache_util import (IS_ROOT, Tap, apache_logs, apache_setup,  # noqa: E402
                         apache_start, chute_env, ensure_users,
                         exit_on_signals, finish, free_port, write)

CGI, CHUTED, CHUTE, SNIPPET, TEMPLATE = chute_env()
MiB = 1 << 20
procs = {}
TAP = Tap()
ok = TAP.ok
note = TAP.note
exit_on_signals()


class Resp:
    pass


def curl(path, *args, timeout=120):
    """One request; returns status, headers (lower-case), body, seconds."""
    hdr = os.path.join(ROOT, "curl.headers")
    out = os.path.join(ROOT, "curl.body")
    argv = ["curl", "-sS", "-o", out, "-D", hdr, "-w",
            "%{http_code} %{time_total}", "--max-time", str(timeout)]
    argv += list(args) + ["http://127.0.0.1:%d%s" % (PORT, path)]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    r = Resp()
    r.curl_rc = p.returncode
    r.err = p.stderr.decode(errors="replace")
    code, _, secs = p.stdout.decode().partition(" ")
    r.status = int(code) if code.isdigit() else 0
    r.time = float(secs) if secs else -1.0
    r.headers = {}
    try:
        with open(hdr, errors="replace") as f:
            for line in f:
                k, sep, v = line.partition(":")
                if sep:
                    r.headers[k.strip().lower()] = v.strip()
        with open(out, "rb") as f:
            r.body = f.read()
    except OSError:
        r.body = b""
    r.desc = "curl rc %d status %d time %.3f headers %r body %r %s" % (
        r.curl_rc, r.status, r.time, r.headers, r.body[:200], r.err)
    return r


def listing(state):
    return set(os.listdir(os.path.join(SPOOL, state)))


def spool_clean_after(fn):
    """fn() must not leave anything in tmp/ nor add anything to new/
    (chuted may take jobs out of new/ meanwhile)."""
    before = listing("new")
    r = fn()
    return r, listing("tmp") == set() and listing("new") <= before


def job_state(jid):
    r = curl("/chute/jobs/%s?format=json" % jid)
    try:
        return json.loads(r.body)
    except ValueError:
        return {}


def find_job(jid):
    for st in ("new", "run", "done", "failed"):
        d = os.path.join(SPOOL, st, jid)
        if os.path.isdir(d):
            return d
    return None


def wait_state(jid, states, limit):
    deadline = time.monotonic() + limit
    seen = []
    while time.monotonic() < deadline:
        j = job_state(jid)
        if not seen or seen[-1][0] != j.get("state") or j.get("progress"):
            seen.append((j.get("state"), j.get("progress")))
        if j.get("state") in states:
            return j, seen
        time.sleep(0.1)
    return job_state(jid), seen


ROOT = tempfile.mkdtemp(prefix="chute-apache.")
os.chmod(ROOT, 0o755)
SPOOL = os.path.join(ROOT, "spool")
PORT = free_port()
try:
    if IS_ROOT and not ok(ensure_users(),
                          "group chute and user chute-www exist"):
        raise SystemExit(1)
    handler = os.path.join(ROOT, "handler")
    write(handler, r"""#!/bin/sh
# Test handler: sleeps fields/sleep seconds with progress, then writes
# result/out.txt (the text field and the size of the uploaded file).
n=0
[ -f fields/sleep ] && n=$(cat fields/sleep)
mkdir -p result
i=0
while [ "$i" -lt "$n" ]; do
	echo "$((i * 100 / n)) step $i of $n" > progress.tmp
	mv progress.tmp progress
	sleep 1
	i=$((i + 1))
done
{
	[ -f fields/text ] && cat fields/text && echo
	[ -f files/file ] && wc -c < files/file
} > result/out.txt
echo "100 finished" > progress
exit 0
""", 0o755)
    conf = os.path.join(ROOT, "chute.conf")
    write(conf, "spool = %s\nhandler = %s\njobs = 4\nmax_request = 200M\n"
          "timeout = 60s\nfsync = yes\n" % (SPOOL, handler))
    small = os.path.join(ROOT, "small.conf")
    write(small, "spool = %s\nmax_request = 1M\n" % SPOOL)
    p = subprocess.run([CHUTE, "-c", conf, "init"], stderr=subprocess.PIPE)
    ok(p.returncode == 0, "chute init creates the spool", p.stderr)

    cgibin, httpd_conf = apache_setup(ROOT, PORT, CGI, SNIPPET, TEMPLATE,
                                      conf, small)
    write(os.path.join(cgibin, "slow.cgi"),
          "#!/bin/sh\n# The seed problem: the child keeps stdout open.\n"
          "printf 'Content-Type: text/plain\\r\\n\\r\\nstarted\\n'\n"
          "sleep 3 &\nexit 0\n", 0o755)

    chuted_log = open(os.path.join(ROOT, "chuted.log"), "w")
    procs["chuted"] = subprocess.Popen([CHUTED, "-c", conf],
                                       stdout=chuted_log, stderr=chuted_log)
    procs["apache"], up = apache_start(ROOT, PORT, httpd_conf)
    if not ok(up, "apache2 starts and serves /chute/ (port %d)" % PORT):
        apache_logs(ROOT, note)
        print("Bail out! apache2 did not start")
        raise SystemExit(1)
    r = curl("/chute/", timeout=5)
    ok(b"<form" in r.body and r.headers.get("cache-control") == "no-store",
       "GET /chute/ is the submit form", r.desc)

    # --- a 5-second job: answered at once, followed to done ---
    inp = os.path.join(ROOT, "input.txt")
    write(inp, "one two three\nfour\n")
    r = curl("/chute/", "-H", "Accept: application/json", "-F", "sleep=5",
             "-F", "text=hello <web>", "-F", "file=@%s" % inp)
    jid = ""
    try:
        jid = json.loads(r.body)["id"]
    except (ValueError, KeyError):
        pass
    note("submit of a 5 s job answered in %.3f s" % r.time)
    ok(r.status == 202 and jid and
       r.headers.get("location") == "/chute/jobs/" + jid,
       "POST: 202 with Location and id", r.desc)
    ok(0 <= r.time < 1.5, "the answer does not wait for the job "
       "(%.3f s < 1.5 s)" % r.time, r.desc)
    j, seen = wait_state(jid, ("running",), 10)
    ok(seen and seen[0][0] in ("queued", "running"),
       "first state is queued or running", seen)
    j, seen2 = wait_state(jid, ("done", "failed"), 20)
    seen += seen2
    states = [s for s, _ in seen]
    ran = [pr for s, pr in seen if s == "running" and pr]
    ok("running" in states and ran and
       any(0 < p.get("percent", 0) < 100 for p in ran),
       "seen running with progress", seen)
    ok(j.get("state") == "done" and j.get("results") == ["out.txt"],
       "the job ends done with result out.txt", j)
    r = curl("/chute/jobs/%s/result/out.txt" % jid)
    ok(r.status == 200 and r.body == b"hello <web>\n19\n" and
       r.headers.get("content-disposition") ==
       'attachment; filename="out.txt"' and
       r.headers.get("x-content-type-options") == "nosniff",
       "the result downloads", r.desc)
    r = curl("/chute/jobs/" + jid, "-H", "Accept: text/html")
    ok(r.status == 200 and b"result/out.txt" in r.body and
       b"refresh" not in r.body, "the status page links the result", r.desc)

    # --- a browser: 303 to the status page, which refreshes ---
    r = curl("/chute/", "-H", "Accept: text/html", "-F", "sleep=2",
             "-F", "text=x")
    loc = r.headers.get("location", "")
    ok(r.status == 303 and loc.startswith("/chute/jobs/"),
       "a browser gets 303 See Other", r.desc)
    r = curl(loc, "-H", "Accept: text/html")
    ok(r.status == 200 and b'http-equiv="refresh"' in r.body,
       "the status page refreshes while the job is not finished", r.desc)
    bid = loc.rsplit("/", 1)[-1]
    r = curl("/chute/jobs/%s/cancel" % bid, "-X", "POST",
             "-H", "Accept: application/json")
    # chuted consumes cancel/ID at once, so check the outcome, not the file.
    j, seen = wait_state(bid, ("done", "failed"), 30)
    ok(r.status == 202 and j.get("state") == "failed" and
       j.get("reason") == "cancelled",
       "cancel: 202, then the job ends failed, reason cancelled",
       (r.desc, j))
    r = curl("/chute/jobs/%s/cancel" % jid, "-X", "POST")
    ok(r.status == 409, "cancel a finished job: 409", r.desc)

    # --- a 100 MB upload ---
    big = os.path.join(ROOT, "big.bin")
    sha = hashlib.sha256()
    with open(big, "wb") as f:
        block = os.urandom(MiB)
        for i in range(100):
            blk = block[i:] + block[:i]
            f.write(blk)
            sha.update(blk)
    r = curl("/chute/", "-H", "Accept: application/json",
             "-F", "file=@%s;type=application/octet-stream" % big)
    note("100 MB upload answered in %.3f s" % r.time)
    uid = ""
    try:
        uid = json.loads(r.body)["id"]
    except (ValueError, KeyError):
        pass
    d = find_job(uid) if uid else None
    h = hashlib.sha256()
    if d:
        with open(os.path.join(d, "files", "file"), "rb") as f:
            for blk in iter(lambda: f.read(MiB), b""):
                h.update(blk)
    ok(r.status == 202 and h.hexdigest() == sha.hexdigest(),
       "100 MB upload arrives intact (SHA-256)", r.desc)
    os.unlink(big)

    # --- errors: status, a real answer, nothing left behind ---
    two = os.path.join(ROOT, "two.bin")
    with open(two, "wb") as f:
        f.write(b"z" * (2 * MiB))
    badmp = os.path.join(ROOT, "bad.mp")
    with open(badmp, "wb") as f:
        f.write(b'--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n'
                b"no final boundary\r\n")
    dotmp = os.path.join(ROOT, "dot.mp")
    with open(dotmp, "wb") as f:
        f.write(b'--b\r\nContent-Disposition: form-data; name=".."; '
                b'filename="x"\r\n\r\nzz\r\n--b--\r\n')
    cases = [
        ("413 over max_request, under mod_cgid", 413,
         ("/small/", "--data-binary", "@" + two, "-H",
          "Content-Type: application/octet-stream")),
        ("411 POST without a length", 411,
         ("/chute/", "-X", "POST")),
        ("411 chunked upload (no length)", 411,
         ("/chute/", "-H", "Transfer-Encoding: chunked", "-H",
          "Content-Type: application/octet-stream", "--data-binary",
          "@" + two)),
        ("400 multipart without final boundary", 400,
         ("/chute/", "--data-binary", "@" + badmp, "-H",
          "Content-Type: multipart/form-data; boundary=b")),
        ("400 field named ..", 400,
         ("/chute/", "--data-binary", "@" + dotmp, "-H",
          "Content-Type: multipart/form-data; boundary=b")),
        ("400 bad urlencoding", 400,
         ("/chute/", "--data-binary", "a=%zz")),
        ("400 malformed job ID", 400, ("/chute/jobs/.hidden",)),
        ("400 .. as a result name", 400,
         ("/chute/jobs/%s/result/..x" % jid,)),
        ("404 unknown job", 404, ("/chute/jobs/01ZZZZZZZZZZZZZZZZZZZZZZZZ",)),
        ("404 unknown result", 404,
         ("/chute/jobs/%s/result/nothing.txt" % jid,)),
        ("404 unknown route", 404, ("/chute/other",)),
        ("405 PUT", 405, ("/chute/", "-X", "PUT", "--data-binary", "x")),
        ("405 DELETE a job", 405, ("/chute/jobs/" + jid, "-X", "DELETE")),
    ]
    for what, want, args in cases:
        r, clean = spool_clean_after(lambda: curl(*args))
        ok(r.status == want and r.curl_rc == 0 and r.body and clean and
           r.headers.get("cache-control") == "no-store",
           what + " (answered, spool clean)", r.desc)
    r = curl("/chute/jobs/%s/result/../../x" % jid, "--path-as-is")
    ok(r.status in (400, 404), "a path with .. segments is refused", r.desc)

    # --- the seed problem, and why chute.cgi does not have it ---
    r = curl("/slow")
    note("forking CGI answered in %.3f s" % r.time)
    ok(r.status == 200 and r.time >= 2.5,
       "a CGI whose child keeps stdout open holds the answer "
       "(%.3f s >= 2.5 s)" % r.time, r.desc)
    r = curl("/chute/", "-H", "Accept: application/json", "-F", "sleep=3")
    note("chute.cgi with a 3 s job answered in %.3f s" % r.time)
    ok(r.status == 202 and r.time < 1.5,
       "chute.cgi answers at once (%.3f s < 1.5 s)" % r.time, r.desc)
    cid = json.loads(r.body).get("id", "") if r.status == 202 else ""
    j, _ = wait_state(cid, ("done", "failed"), 20)
    ok(j.get("state") == "done", "that job still runs to done", j)

    try:
        with open(os.path.join(ROOT, "error.log")) as f:
            log = f.read()
    except OSError:
        log = ""
    ok("AH02651" not in log and "ERROR: AddressSanitizer" not in log and
       "runtime error" not in log,
       "no broken pipes or sanitizer reports in Apache's error log",
       log[-3000:])
except Exception:
    ok(False, "no unexpected exception", traceback.format_exc())
finally:
    finish(TAP, procs, ROOT, SPOOL)
sys.exit(1 if TAP.failed else 0)
