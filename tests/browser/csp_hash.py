#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The status page's inline script against its Content-Security-Policy: runs
# chute.cgi with a CGI environment on a temporary spool (one job queued by a
# POST, left queued: no chuted), then checks that the served page carries
# exactly one inline script whose SHA-256 is the one script-src allows
# (page.h's PAGE_SCRIPT_SHA256 must follow page.c's live_script), that the
# no-JavaScript reload sits in <noscript>, and that the form page has no
# script. Prints TAP. Env: CHUTE_CGI, CHUTE (built binaries).
import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

CGI = os.environ["CHUTE_CGI"]
CHUTE = os.environ["CHUTE"]
N = 0
FAILED = 0


def ok(cond, what, diag=None):
    global N, FAILED
    N += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", N, what))
    if not cond:
        FAILED += 1
        for line in str(diag).splitlines()[-30:]:
            print("#   " + line)
    sys.stdout.flush()
    return cond


def run(conf, method, path, body=b"", ctype=None, accept=None):
    env = {"PATH": "/usr/bin:/bin", "GATEWAY_INTERFACE": "CGI/1.1",
           "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "",
           "SCRIPT_NAME": "/chute", "SERVER_PROTOCOL": "HTTP/1.1",
           "REMOTE_ADDR": "127.0.0.1", "CHUTE_CONFIG": conf}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    if method == "POST":
        env["CONTENT_LENGTH"] = str(len(body))
        env["CONTENT_TYPE"] = ctype
    if accept:
        env["HTTP_ACCEPT"] = accept
    p = subprocess.run([CGI], env=env, input=body, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    head, _, text = p.stdout.partition(b"\r\n\r\n")
    headers = {}
    for line in head.decode(errors="replace").split("\r\n"):
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return p.returncode, headers, text, p.stderr.decode(errors="replace")


ROOT = tempfile.mkdtemp(prefix="chute-csp.")
try:
    spool = os.path.join(ROOT, "spool")
    conf = os.path.join(ROOT, "chute.conf")
    with open(conf, "w") as f:
        f.write("spool = %s\nfsync = no\n" % spool)
    p = subprocess.run([CHUTE, "-c", conf, "init"], stderr=subprocess.PIPE)
    ok(p.returncode == 0, "chute init", p.stderr)

    rc, h, body, err = run(conf, "GET", "/", accept="text/html")
    csp = h.get("content-security-policy", "")
    ok(rc == 0 and b"<form" in body and b"<script" not in body and
       "default-src 'none'" in csp,
       "the form page: CSP sent, no script", (h, body[:300], err))

    rc, h, body, err = run(conf, "POST", "/", b"text=x",
                           "application/x-www-form-urlencoded",
                           "application/json")
    jid = ""
    try:
        jid = json.loads(body)["id"]
    except (ValueError, KeyError):
        pass
    ok(rc == 0 and h.get("status", "").startswith("202") and jid,
       "a job is queued", (h, body, err))
    rc, h, body, err = run(conf, "GET", "/jobs/" + jid, accept="text/html")
    page = body.decode("utf-8", errors="replace")
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    tags = re.findall(r"<script\b", page)
    csp = h.get("content-security-policy", "")
    m = re.search(r"script-src ([^;]*)", csp)
    allowed = m.group(1).split() if m else []
    want = []
    if scripts:
        digest = hashlib.sha256(scripts[0].encode("utf-8")).digest()
        want = ["'sha256-%s'" % base64.b64encode(digest).decode()]
    ok(rc == 0 and len(scripts) == 1 and len(tags) == 1,
       "a queued job's page has one inline script", page[-600:])
    ok(want and allowed == want,
       "script-src allows exactly that script's SHA-256 (CSP %r, "
       "script hashes to %r)" % (allowed, want))
    ok("connect-src 'self'" in csp and "default-src 'none'" in csp,
       "the script may fetch from this origin only", csp)
    ok(re.search(r'<noscript><meta http-equiv="refresh" content="\d+">'
                 r'</noscript>', page) is not None,
       "without JavaScript the page reloads (meta refresh in noscript)",
       page[:600])
except Exception as e:  # noqa: BLE001 (a TAP failure, not a crash)
    ok(False, "no unexpected exception", repr(e))
finally:
    shutil.rmtree(ROOT, ignore_errors=True)
    print("1..%d" % N)
sys.exit(1 if FAILED else 0)
