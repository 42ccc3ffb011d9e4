#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The web pages in a real browser: Debian's headless Chromium, driven via
# chromedriver's W3C WebDriver HTTP API (urllib, no selenium), against a
# private Apache (tests/cgi/httpd.conf.in + etc/apache/chute.conf) and
# chuted with a slow handler that writes progress and a result. Fills the
# form (file + text), submits, lands on the status page (303), watches the
# page's script move the badge and progress bar to done without a reload,
# downloads the result through the link's href, and saves screenshots of
# both pages into ARTIFACTS. Fails when Chromium is missing as root (CI
# installs it); skips only when not root. Every wait is bounded; every
# process is ended by PID. Apache's set-up, TAP lines and process ends
# come from tests/cgi/apache_util.py. Prints TAP.
# Env: CHUTE_CGI, CHUTED, CHUTE, APACHE_SNIPPET, HTTPD_TEMPLATE, ARTIFACTS.
import base64
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                os.pardir, "cgi"))
from apache_util import (IS_ROOT, Tap, apache_logs, apache_setup,  # noqa: E402
                         apache_start, chute_env, ensure_users,
                         exit_on_signals, finish, free_port, stop, write)

CGI, CHUTED, CHUTE, SNIPPET, TEMPLATE = chute_env()
ARTIFACTS = os.environ["ARTIFACTS"]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
procs = {}
TAP = Tap()
ok = TAP.ok
note = TAP.note
exit_on_signals()

if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
    if not IS_ROOT:
        print("1..0 # SKIP %s or %s missing (scripts/packages/browser.txt)"
              % (CHROMIUM, CHROMEDRIVER))
        sys.exit(0)
    print("not ok 1 - chromium and chromedriver are installed (%s, %s)"
          % (CHROMIUM, CHROMEDRIVER))
    print("1..1")
    sys.exit(1)


def http(url, data=None, method=None, timeout=30):
    """One request; returns (status, headers, body bytes)."""
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


class WebDriverError(Exception):
    pass


def wd(method, path, payload=None, timeout=60):
    """A WebDriver command; returns its value or raises WebDriverError."""
    data = json.dumps(payload).encode() if payload is not None else None
    if method == "POST" and data is None:
        data = b"{}"
    status, _, body = http(WD + path, data, method, timeout)
    try:
        value = json.loads(body).get("value")
    except ValueError:
        value = body
    if status != 200:
        raise WebDriverError("%s %s: %d %r" % (method, path, status, value))
    return value


def find(css):
    return wd("POST", "/session/%s/element" % SID,
              {"using": "css selector", "value": css})[ELEMENT]


def js(script, *args):
    return wd("POST", "/session/%s/execute/sync" % SID,
              {"script": script, "args": list(args)})


def screenshot(name):
    png = base64.b64decode(wd("GET", "/session/%s/screenshot" % SID))
    path = os.path.join(ARTIFACTS, name)
    with open(path, "wb") as f:
        f.write(png)
    note("screenshot: " + path)
    return png


def start_driver():
    """chromedriver on a free port, its own process group."""
    global WD
    port = free_port()
    WD = "http://127.0.0.1:%d" % port
    log = open(os.path.join(ROOT, "chromedriver.log"), "w")
    procs["chromedriver"] = subprocess.Popen(
        [CHROMEDRIVER, "--port=%d" % port],
        stdout=log, stderr=log, start_new_session=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if json.loads(http(WD + "/status", timeout=2)[2]).get(
                    "value", {}).get("ready"):
                return True
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    return False


def new_session(name, extra=()):
    """A headless Chromium with a fresh profile; returns the session ID."""
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", "--window-size=900,1150",
            "--user-data-dir=" + os.path.join(ROOT, "profile-" + name)]
    caps = {"capabilities": {"alwaysMatch": {
        "browserName": "chrome", "pageLoadStrategy": "normal",
        "timeouts": {"pageLoad": 30000, "script": 10000},
        "goog:chromeOptions": {"binary": CHROMIUM,
                               "args": args + list(extra)}}}}
    return wd("POST", "/session", caps, timeout=60)["sessionId"]


def access_log():
    try:
        with open(os.path.join(ROOT, "access.log")) as f:
            return f.read()
    except OSError:
        return ""


ROOT = tempfile.mkdtemp(prefix="chute-browser.")
os.chmod(ROOT, 0o755)
SPOOL = os.path.join(ROOT, "spool")
CONF = os.path.join(ROOT, "chute.conf")
PORT = free_port()
BASE = "http://127.0.0.1:%d" % PORT
WD = ""
SID = None
try:
    os.makedirs(ARTIFACTS, exist_ok=True)
    if IS_ROOT and not ok(ensure_users(),
                          "group chute and user chute-www exist"):
        raise SystemExit(1)
    handler = os.path.join(ROOT, "handler")
    write(handler, r"""#!/bin/sh
# Slow test handler: 6 steps of 1 s with progress, some stdout, then
# result/out.txt: the text field and the size of the uploaded file.
mkdir -p result
i=0
while [ "$i" -lt 6 ]; do
	echo "$((i * 100 / 6)) step $((i + 1)) of 6" > progress.tmp
	mv progress.tmp progress
	echo "working on step $((i + 1))"
	sleep 1
	i=$((i + 1))
done
{
	cat fields/text && echo
	wc -c < files/file
} > result/out.txt
echo "100 finished" > progress
echo "wrote result/out.txt"
""", 0o755)
    write(CONF, "spool = %s\nhandler = %s\njobs = 2\ntimeout = 60s\n"
          "fsync = no\n" % (SPOOL, handler))
    p = subprocess.run([CHUTE, "-c", CONF, "init"], stderr=subprocess.PIPE)
    ok(p.returncode == 0, "chute init creates the spool", p.stderr)
    log = open(os.path.join(ROOT, "chuted.log"), "w")
    procs["chuted"] = subprocess.Popen([CHUTED, "-c", CONF], stdout=log,
                                       stderr=log)
    _, httpd_conf = apache_setup(ROOT, PORT, CGI, SNIPPET, TEMPLATE, CONF,
                                 CONF)
    procs["apache"], up = apache_start(ROOT, PORT, httpd_conf)
    if not ok(up, "apache2 serves /chute/ (port %d)" % PORT):
        apache_logs(ROOT, note)
        raise SystemExit(1)

    ok(start_driver(), "chromedriver starts")
    SID = new_session("js")
    ok(SID, "chromedriver starts a headless Chromium session")
    wd("POST", "/session/%s/url" % SID, {"url": BASE + "/chute/"})
    ok(wd("GET", "/session/%s/title" % SID) == "chute: submit a job",
       "the browser shows the submit form")
    inp = os.path.join(ROOT, "words.txt")
    write(inp, "one two three\nfour five\n")
    wd("POST", "/session/%s/element/%s/value" % (SID, find("#file")),
       {"text": inp})
    wd("POST", "/session/%s/element/%s/value" % (SID, find("#text")),
       {"text": "hello <browser> & co"})
    screenshot("form.png")
    wd("POST", "/session/%s/element/%s/click" % (SID, find("#submit")))

    url = ""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        url = wd("GET", "/session/%s/url" % SID)
        if "/chute/jobs/" in url:
            break
        time.sleep(0.1)
    m = re.fullmatch(re.escape(BASE) + r"/chute/jobs/([A-Za-z0-9]+)", url)
    jid = m.group(1) if m else ""
    access = access_log()
    ok(jid and '"POST /chute/ HTTP/1.1" 303' in access,
       "submit answers 303 and the browser lands on the status page",
       url + "\n" + access)

    # A marker a reload would lose: the page must change by itself.
    js("window.chuteMarker = 'kept'; return 1;")
    probe = ("var s = document.getElementById('state');"
             "var p = document.getElementById('pct');"
             "return {state: s && s.textContent, pct: p && p.textContent,"
             " marker: window.chuteMarker || null,"
             " links: Array.prototype.map.call(document.querySelectorAll("
             "'#links a'), function (a) { return a.href; }),"
             " pre: document.querySelectorAll('pre').length};")
    seen = []
    st = {}
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        st = js(probe)
        if not seen or seen[-1] != (st["state"], st["pct"]):
            seen.append((st["state"], st["pct"]))
            if st["state"] == "running" and st["pct"] == "50%":
                screenshot("status-running.png")
        if st["state"] in ("done", "failed") and st["links"] and st["pre"]:
            break
        time.sleep(0.2)
    note("seen (state, percent): %r" % seen)
    pcts = [int(p.rstrip("%")) for s, p in seen
            if s == "running" and p and p.rstrip("%").isdigit()]
    ok(any(0 < p < 100 for p in pcts) and len(set(pcts)) >= 2,
       "the progress bar moves while running", seen)
    ok(st.get("state") == "done", "the badge says done", st)
    ok(st.get("marker") == "kept",
       "without a reload (the script updated the page)", st)
    bar = js("var f = document.getElementById('fill');"
             "return f ? f.style.width : null;")
    ok(bar == "100%", "the progress bar is full at done", bar)

    links = st.get("links") or []
    ok(len(links) == 1 and links[0] == "%s/chute/jobs/%s/result/out.txt" %
       (BASE, jid), "the result is linked as a button", links)
    status, headers, body = http(links[0]) if links else (0, {}, b"")
    ok(status == 200 and body == b"hello <browser> & co\n24\n",
       "the linked result downloads with the expected content",
       (status, body))
    text = js("return document.getElementById('card').innerText;")
    ok("wrote result/out.txt" in text and "<browser>" not in
       js("return document.body.innerHTML;"),
       "the finished card shows stdout's tail, job data escaped", text)
    screenshot("status-done.png")

    # --- without JavaScript: the <noscript> meta refresh reloads ---
    wd("DELETE", "/session/%s" % SID, timeout=20)
    SID = new_session("nojs", ["--blink-settings=scriptEnabled=false"])
    req = urllib.request.Request(
        BASE + "/chute/", data=b"text=no+script",
        headers={"Accept": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        nid = json.loads(r.read()).get("id", "")
    page = "/chute/jobs/" + nid
    wd("POST", "/session/%s/url" % SID, {"url": BASE + page})
    loads = 0
    src = ""
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        log = access_log()
        loads = log.count('"GET %s HTTP/1.1" 200' % page)
        src = wd("GET", "/session/%s/source" % SID)
        if loads >= 2 and 'badge s-done' in src:
            break
        time.sleep(0.5)
    ok(loads >= 2 and ("GET %s?format=json" % page) not in log,
       "without JavaScript the page reloads itself (%d loads, no JSON "
       "requests)" % loads, log[-2000:])
    ok('badge s-done' in src and 'id="links"' in src,
       "and reaches done with the result linked", src[-1500:])

    try:
        with open(os.path.join(ROOT, "error.log")) as f:
            elog = f.read()
    except OSError:
        elog = ""
    ok("ERROR: AddressSanitizer" not in elog and "runtime error" not in
       elog, "no sanitizer reports in Apache's error log", elog[-3000:])
except WebDriverError as e:
    ok(False, "WebDriver command", e)
    try:
        with open(os.path.join(ROOT, "chromedriver.log")) as f:
            note("chromedriver.log: " + f.read()[-3000:])
    except OSError:
        pass
except SystemExit:
    pass
except Exception:
    ok(False, "no unexpected exception", traceback.format_exc())
finally:
    if SID:
        try:
            wd("DELETE", "/session/%s" % SID, timeout=20)
        except (OSError, WebDriverError):
            pass
    stop(procs, "chromedriver", group=True)
    finish(TAP, procs, ROOT, SPOOL)
sys.exit(1 if TAP.failed or TAP.n == 0 else 0)
