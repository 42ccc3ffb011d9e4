#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# chute.cgi run directly, as a web server would (RFC 3875: meta-variables in
# the environment, the body on stdin), against a temporary spool: every route
# and every error status, the headers every response must carry, that each
# error leaves new/ and tmp/ clean, that an unread body is drained, and that
# a 100 MB upload streams through with a small, measured peak RSS.
# Usage: cgi_env.py, with env CHUTE_CGI=path/to/chute.cgi and
# RUSAGE_EXEC=path/to/rusage_exec (measures the CGI's own peak RSS). TAP.
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import traceback
import threading

CGI = os.environ["CHUTE_CGI"]
RUSAGE = os.environ["RUSAGE_EXEC"]
ROOT = tempfile.mkdtemp(prefix="chute-cgi-test.")
SPOOL = os.path.join(ROOT, "spool")
STATES = ["tmp", "new", "run", "done", "failed", "cancel"]
N = 0
FAILED = 0
MiB = 1 << 20


def ok(cond, what, diag=None):
    global N, FAILED
    N += 1
    if cond:
        print("ok %d - %s" % (N, what))
    else:
        FAILED += 1
        print("not ok %d - %s" % (N, what))
        if diag is not None:
            for line in str(diag).splitlines()[:30]:
                print("#   " + line)
    sys.stdout.flush()
    return cond


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def conf(name, body):
    path = os.path.join(ROOT, name)
    write(path, body)
    return path


def init_spool(path):
    os.makedirs(path)
    for d in STATES:
        os.mkdir(os.path.join(path, d))


init_spool(SPOOL)
CONF = conf("chute.conf", "spool = %s\nmax_request = 2M\nfsync = no\n" % SPOOL)
BIG = conf("big.conf", "spool = %s\nmax_request = 200M\nfsync = no\n" % SPOOL)


class Resp:
    def __init__(self, raw, err, rc, rss_kib):
        self.rc = rc
        self.err = err.decode(errors="replace")
        self.rss_kib = rss_kib
        head, sep, self.body = raw.partition(b"\r\n\r\n")
        self.headers = {}
        self.status = None
        for line in head.decode(errors="replace").split("\r\n"):
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()
        st = self.headers.get("status", "")
        self.status = int(st.split()[0]) if st else None
        if not sep:
            self.body = b""

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "status %s rc %s headers %r\nbody %r\nstderr %s" % (
            self.status, self.rc, self.headers, self.body[:300], self.err)


def run(method, path="", body=None, ctype=None, accept=None, query="",
        config=CONF, length=None, env_extra=None, stream=None, user=None,
        unsized=False):
    """Runs the CGI once; body is bytes, or stream (a callable writing to
    the child's stdin) for big uploads. Returns a Resp with the child's
    peak RSS (ru_maxrss, KiB) from wait4()."""
    env = {"PATH": "/usr/bin:/bin", "GATEWAY_INTERFACE": "CGI/1.1",
           "REQUEST_METHOD": method, "PATH_INFO": path,
           "QUERY_STRING": query, "SCRIPT_NAME": "/chute",
           "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
           "CHUTE_CONFIG": config}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    if body is not None and length is None:
        length = len(body)
    if length is not None and not unsized:
        env["CONTENT_LENGTH"] = str(length)
    if ctype:
        env["CONTENT_TYPE"] = ctype
    if accept:
        env["HTTP_ACCEPT"] = accept
    if env_extra:
        env.update(env_extra)
    rssfile = os.path.join(ROOT, "rss")
    argv = [RUSAGE, rssfile, CGI]
    if user is not None:
        argv = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user,
                "--clear-groups", CGI]
    p = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = {}

    def reader(name, f):
        out[name] = f.read()

    threads = [threading.Thread(target=reader, args=("o", p.stdout)),
               threading.Thread(target=reader, args=("e", p.stderr))]
    for t in threads:
        t.start()
    broken = False
    try:
        if stream is not None:
            stream(p.stdin)
        elif body:
            p.stdin.write(body)
        p.stdin.close()
    except BrokenPipeError:
        broken = True
    for t in threads:
        t.join(120)
    p.wait(120)
    with open(rssfile) as f:
        rss = int(f.read())
    r = Resp(out.get("o", b""), out.get("e", b""), p.returncode, rss)
    r.broken = broken
    return r


def entries(state):
    return sorted(os.listdir(os.path.join(SPOOL, state)))


def clean_after(fn):
    """Runs fn(); true when new/ and tmp/ hold what they held before."""
    before = (entries("new"), entries("tmp"))
    r = fn()
    return r, (entries("new"), entries("tmp")) == before


def common_headers(r):
    return (r.headers.get("content-type") and
            r.headers.get("cache-control") == "no-store")


def jobdir(state, jid):
    return os.path.join(SPOOL, state, jid)


def make_job(state, jid, status=None, progress=None, results=None):
    d = jobdir(state, jid)
    os.mkdir(d)
    write(os.path.join(d, "job"), "{}\n")
    if status is not None:
        write(os.path.join(d, "status"), json.dumps(status))
    if progress is not None:
        write(os.path.join(d, "progress"), progress)
    if results is not None:
        os.mkdir(os.path.join(d, "result"))
        for name, data in results.items():
            with open(os.path.join(d, "result", name), "wb") as f:
                f.write(data)
    return d


def mp(boundary, parts, final=True):
    out = b""
    for name, filename, data in parts:
        out += b"--" + boundary + b"\r\n"
        cd = b'Content-Disposition: form-data; name="' + name + b'"'
        if filename is not None:
            cd += b'; filename="' + filename + b'"'
        out += cd + b"\r\n\r\n" + data + b"\r\n"
    if final:
        out += b"--" + boundary + b"--\r\n"
    return out


try:
    # --- GET / and HEAD / ---
    r = run("GET", "/")
    ok(r.status == 200 and b"<form" in r.body and
       b'enctype="multipart/form-data"' in r.body and
       b'action="/chute/"' in r.body and common_headers(r) and r.rc == 0,
       "GET / serves the submit form", r)
    r = run("GET", "")
    ok(r.status == 200 and b"<form" in r.body, "GET with empty PATH_INFO", r)
    r = run("GET", "/", body=b"g" * 300000)
    ok(r.status == 200 and not r.broken,
       "GET with a body: the body is read, the form served", r)
    r = run("HEAD", "/")
    ok(r.status == 200 and r.body == b"" and common_headers(r),
       "HEAD / has the headers and no body", r)
    formfile = os.path.join(ROOT, "form.html")
    write(formfile, "<html>custom form</html>\n")
    fconf = conf("form.conf", "spool = %s\nform = %s\n" % (SPOOL, formfile))
    r = run("GET", "/", config=fconf)
    ok(r.status == 200 and r.body == b"<html>custom form</html>\n",
       "form = FILE replaces the built-in form", r)

    # --- POST urlencoded ---
    body = b"a=1&b=hello+world%21&b=second&empty=&flag"
    r, clean = None, None
    r = run("POST", "/", body, "application/x-www-form-urlencoded",
            accept="application/json")
    j = r.json() if r.status == 202 else {}
    jid = j.get("id", "")
    ok(r.status == 202 and j.get("url") == "/chute/jobs/" + jid and
       r.headers.get("location") == "/chute/jobs/" + jid and
       common_headers(r), "POST urlencoded: 202, Location, {id, url}", r)
    d = jobdir("new", jid)
    fields = {}
    if os.path.isdir(os.path.join(d, "fields")):
        for n in os.listdir(os.path.join(d, "fields")):
            with open(os.path.join(d, "fields", n), "rb") as f:
                fields[n] = f.read()
    ok(fields == {"a": b"1", "b": b"hello world!", "b~2": b"second",
                  "empty": b"", "flag": b""},
       "urlencoded fields land in fields/ (repeats as NAME~2)", fields)
    ok(entries("tmp") == [], "tmp/ is empty after a publish", entries("tmp"))

    # --- POST multipart, as a browser ---
    content = bytes(range(256)) * 64 + b"\r\n--XYZ not a boundary\r\n"
    body = mp(b"XYZ", [(b"text", None, b"some <text>"),
                       (b"file", b"../../etc/passwd", content),
                       (b"empty", b"e.bin", b"")])
    r = run("POST", "/", body, 'multipart/form-data; boundary="XYZ"',
            accept="text/html,application/xhtml+xml,*/*;q=0.8")
    loc = r.headers.get("location", "")
    jid = loc.rsplit("/", 1)[-1]
    ok(r.status == 303 and loc == "/chute/jobs/" + jid and len(jid) == 26,
       "POST multipart from a browser: 303 See Other to the status page", r)
    d = jobdir("new", jid)
    try:
        with open(os.path.join(d, "files", "file"), "rb") as f:
            got = f.read()
        with open(os.path.join(d, "job")) as f:
            job = json.load(f)
        ok(got == content and os.path.getsize(
            os.path.join(d, "files", "empty")) == 0 and
           open(os.path.join(d, "fields", "text"), "rb").read() ==
           b"some <text>", "multipart file, empty file and field stored")
        ok(job["files"]["file"]["filename"] == "../../etc/passwd" and
           job["source"] == "cgi" and
           not os.path.exists(os.path.join(ROOT, "etc")),
           "an uploaded filename is metadata only", job)
    except (OSError, ValueError, KeyError) as e:
        ok(False, "multipart file, empty file and field stored", e)
        ok(False, "an uploaded filename is metadata only", e)

    # --- POST another type: the raw body ---
    raw = b"\x00\x01 raw bytes \xff" * 1000
    r = run("POST", "/", raw, "application/octet-stream")
    jid = r.json().get("id", "") if r.status == 202 else ""
    try:
        got = open(os.path.join(jobdir("new", jid), "body"), "rb").read()
    except OSError:
        got = None
    ok(r.status == 202 and got == raw, "other content types land in body", r)
    r = run("POST", "/", b"", "text/plain")
    ok(r.status == 202, "an empty body is a job too", r)

    # --- GET /jobs/ID ---
    r = run("GET", "/jobs/" + jid, accept="application/json")
    j = r.json() if r.status == 200 else {}
    ok(r.status == 200 and j.get("state") == "queued" and
       j.get("id") == jid and r.headers["content-type"] == "application/json",
       "status JSON via Accept: application/json", r)
    r = run("GET", "/jobs/" + jid, query="format=json")
    ok(r.status == 200 and r.json().get("state") == "queued",
       "status JSON via ?format=json", r)
    r = run("GET", "/jobs/" + jid, accept="text/html")
    ok(r.status == 200 and b'http-equiv="refresh"' in r.body and
       r.headers["content-type"].startswith("text/html"),
       "status page refreshes while queued", r)
    r = run("HEAD", "/jobs/" + jid)
    ok(r.status == 200 and r.body == b"", "HEAD /jobs/ID", r)

    evil = "<script>alert('x')</script>&\""
    rid = "01ZZZZZZZZZZZZZZZZZZZZZZZ0"
    make_job("run", rid, progress="42 " + evil + "\n")
    r = run("GET", "/jobs/" + rid, accept="text/html")
    ok(r.status == 200 and b"<script>alert" not in r.body and
       b"&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;" in r.body
       and b"width:42%" in r.body and b'http-equiv="refresh"' in r.body,
       "running job: progress bar, message HTML-escaped", r)
    r = run("GET", "/jobs/" + rid, query="format=json")
    j = r.json() if r.status == 200 else {}
    ok(j.get("state") == "running" and
       j.get("progress", {}).get("percent") == 42 and
       "<script>" in j.get("progress", {}).get("message", ""),
       "progress in JSON (escaped by JSON, not mangled)", r)

    did = "01ZZZZZZZZZZZZZZZZZZZZZZZ1"
    d = make_job("done", did, status={
        "id": did, "state": "done", "attempt": 1,
        "submitted": "2026-01-01T00:00:00Z",
        "started": "2026-01-01T00:00:01Z",
        "finished": "2026-01-01T00:00:02Z", "exit_code": 0, "signal": None,
        "reason": "exit", "runner_pid": None},
        results={"out.txt": b"hello\n", "data.bin": b"\x00" * 70000,
                 "x&y.txt": b"amp"})
    with open(os.path.join(d, "stdout"), "wb") as f:
        f.write(b"HEAD-NOT-SHOWN" + b"." * 8000 + b"<b>tail</b>\x00\x1b end\n")
    os.symlink("/etc/passwd", os.path.join(d, "stderr"))
    os.symlink("/etc/passwd", os.path.join(d, "result", "link.txt"))
    os.mkfifo(os.path.join(d, "result", "fifo.txt"))
    os.mkdir(os.path.join(d, "result", "sub"))
    r = run("GET", "/jobs/" + did, accept="text/html")
    ok(r.status == 200 and b'http-equiv="refresh"' not in r.body and
       b'href="/chute/jobs/%s/result/out.txt"' % did.encode() in r.body and
       b"x&" not in r.body and b"link.txt" not in r.body,
       "done page: no refresh, links to regular result files only", r)
    ok(b"&lt;b&gt;tail&lt;/b&gt;?? end" in r.body and
       b"HEAD-NOT-SHOWN" not in r.body and b"root:" not in r.body,
       "done page: the escaped end of stdout; a symlinked stderr ignored", r)

    # --- GET /jobs/ID/result/NAME ---
    r = run("GET", "/jobs/%s/result/out.txt" % did)
    ok(r.status == 200 and r.body == b"hello\n" and
       r.headers.get("content-length") == "6" and
       r.headers.get("content-type") == "text/plain; charset=utf-8" and
       r.headers.get("content-disposition") ==
       'attachment; filename="out.txt"' and
       r.headers.get("x-content-type-options") == "nosniff" and
       common_headers(r), "result .txt: headers and content", r)
    r = run("GET", "/jobs/%s/result/data.bin" % did)
    ok(r.status == 200 and r.body == b"\x00" * 70000 and
       r.headers.get("content-type") == "application/octet-stream",
       "result binary: octet-stream, streamed whole", r)
    r = run("HEAD", "/jobs/%s/result/data.bin" % did)
    ok(r.status == 200 and r.body == b"" and
       r.headers.get("content-length") == "70000", "HEAD of a result", r)
    for name, want in (("link.txt", 404), ("fifo.txt", 404), ("sub", 404),
                       ("nope", 404), ("..", 400), (".hidden", 400),
                       ("a%20b", 400), ("x&y.txt", 400)):
        r = run("GET", "/jobs/%s/result/%s" % (did, name.replace("%20", " ")))
        ok(r.status == want and common_headers(r),
           "result %r: %d" % (name, want), r)
    r = run("GET", "/jobs/%s/result/../../job" % did)
    ok(r.status in (400, 404), "result path with slashes refused", r)

    # --- POST /jobs/ID/cancel ---
    qid = entries("new")[0]
    r = run("POST", "/jobs/%s/cancel" % qid, b"", accept="application/json")
    st = os.lstat(os.path.join(SPOOL, "cancel", qid)) if os.path.exists(
        os.path.join(SPOOL, "cancel", qid)) else None
    ok(r.status == 202 and st is not None and stat.S_ISREG(st.st_mode) and
       stat.S_IMODE(st.st_mode) & 0o7137 == 0,
       "cancel a queued job: 202 and cancel/ID (mode <= 0640)", r)
    r = run("POST", "/jobs/%s/cancel" % rid, accept="text/html")
    ok(r.status == 303 and
       r.headers.get("location") == "/chute/jobs/" + rid,
       "cancel from a browser: 303 to the status page", r)
    r = run("POST", "/jobs/%s/cancel" % did)
    ok(r.status == 409, "cancel a finished job: 409", r)
    r = run("POST", "/jobs/01ZZZZZZZZZZZZZZZZZZZZZZZ9/cancel")
    ok(r.status == 404, "cancel an unknown job: 404", r)

    # --- errors: status, headers, clean spool, drained body ---
    big = b"x" * (3 * MiB)
    cases = [
        ("411 without CONTENT_LENGTH", 411,
         dict(method="POST", path="/", ctype="text/plain")),
        ("411 a body without CONTENT_LENGTH (chunked)", 411,
         dict(method="POST", path="/", body=b"c" * 500000, unsized=True,
              ctype="text/plain")),
        ("400 malformed CONTENT_LENGTH", 400,
         dict(method="POST", path="/", length="12abc", body=b"")),
        ("413 over max_request (body drained)", 413,
         dict(method="POST", path="/", body=big, ctype="text/plain")),
        ("413 text field over 1 MiB", 413,
         dict(method="POST", path="/", config=BIG,
              body=b"t=" + b"y" * (MiB + 10),
              ctype="application/x-www-form-urlencoded")),
        ("400 body shorter than announced", 400,
         dict(method="POST", path="/", body=b"a=1", length=100,
              ctype="application/x-www-form-urlencoded")),
        ("400 %zz", 400, dict(method="POST", path="/", body=b"a=%zz",
                              ctype="application/x-www-form-urlencoded")),
        ("400 truncated %4", 400,
         dict(method="POST", path="/", body=b"a=1&b=%4",
              ctype="application/x-www-form-urlencoded")),
        ("400 invalid field name", 400,
         dict(method="POST", path="/", body=b"..%2Fx=1",
              ctype="application/x-www-form-urlencoded")),
        ("400 multipart without final boundary", 400,
         dict(method="POST", path="/",
              body=mp(b"b", [(b"f", b"f", b"z" * 100000)], final=False),
              ctype="multipart/form-data; boundary=b")),
        ("400 multipart without boundary parameter", 400,
         dict(method="POST", path="/", body=b"--b--\r\n",
              ctype="multipart/form-data")),
        ("400 multipart part named ..", 400,
         dict(method="POST", path="/",
              body=mp(b"b", [(b"..", b"f", b"zz")]),
              ctype="multipart/form-data; boundary=b")),
        ("400 multipart same file field twice", 400,
         dict(method="POST", path="/",
              body=mp(b"b", [(b"f", b"1", b"a"), (b"f", b"2", b"b")]),
              ctype="multipart/form-data; boundary=b")),
        ("400 malformed job ID", 400, dict(method="GET", path="/jobs/..")),
        ("400 job ID with a space", 400,
         dict(method="GET", path="/jobs/a b")),
        ("400 empty job ID", 400, dict(method="GET", path="/jobs/")),
        ("400 job ID too long", 400,
         dict(method="GET", path="/jobs/" + "A" * 200)),
        ("404 unknown job", 404,
         dict(method="GET", path="/jobs/01ZZZZZZZZZZZZZZZZZZZZZZZ7")),
        ("404 unknown job result", 404,
         dict(method="GET",
              path="/jobs/01ZZZZZZZZZZZZZZZZZZZZZZZ7/result/x")),
        ("404 unknown route", 404, dict(method="GET", path="/nope")),
        ("404 unknown job sub-route", 404,
         dict(method="GET", path="/jobs/%s/other" % did)),
        ("405 PUT /", 405, dict(method="PUT", path="/", body=b"abc")),
        ("405 DELETE /jobs/ID", 405,
         dict(method="DELETE", path="/jobs/" + did)),
        ("405 POST /jobs/ID", 405,
         dict(method="POST", path="/jobs/" + did, body=b"x=1")),
        ("405 GET /jobs/ID/cancel", 405,
         dict(method="GET", path="/jobs/%s/cancel" % did)),
        ("503 missing spool", 503,
         dict(method="POST", path="/", body=b"a=1",
              ctype="application/x-www-form-urlencoded",
              config=conf("missing.conf",
                          "spool = %s/nonexistent\n" % ROOT))),
        ("503 bad configuration", 503,
         dict(method="GET", path="/",
              config=conf("bad.conf", "spool = %s\nbogus = 1\n" % SPOOL))),
        ("503 missing configuration file", 503,
         dict(method="GET", path="/", config=ROOT + "/no-such.conf")),
    ]
    for what, want, kw in cases:
        r, clean = clean_after(lambda: run(**kw))
        ok(r.status == want and common_headers(r) and clean and
           not r.broken and b"/" + ROOT.encode()[1:] not in r.body,
           what + " (headers, spool clean, body read)", r)
        if want == 503:
            ok(r.headers.get("retry-after", "").isdigit(),
               what + ": Retry-After", r)
        if want == 405:
            ok(r.headers.get("allow", "") != "", what + ": Allow", r)
        ok(r.err.strip() != "", what + ": logged on stderr", r)

    # An unwritable spool: as an unprivileged user (root ignores modes).
    if os.geteuid() == 0:
        usp = os.path.join(ROOT, "ro-spool")
        init_spool(usp)
        os.chmod(ROOT, 0o755)
        for dd in STATES:
            os.chmod(os.path.join(usp, dd), 0o755)
        uconf = conf("ro.conf", "spool = %s\n" % usp)
        r = run("POST", "/", b"a=1", "application/x-www-form-urlencoded",
                config=uconf, user=65534)
        ok(r.status == 503 and r.headers.get("retry-after") and
           os.listdir(os.path.join(usp, "tmp")) == [] and
           os.listdir(os.path.join(usp, "new")) == [],
           "503 unwritable spool (as nobody), nothing left behind", r)
    else:
        usp = os.path.join(ROOT, "ro-spool")
        init_spool(usp)
        os.chmod(os.path.join(usp, "tmp"), 0o555)
        uconf = conf("ro.conf", "spool = %s\n" % usp)
        r = run("POST", "/", b"a=1", "application/x-www-form-urlencoded",
                config=uconf)
        ok(r.status == 503 and os.listdir(os.path.join(usp, "new")) == [],
           "503 unwritable spool, nothing left behind", r)

    # fds 0-2 closed at start: the CGI must not write its answer into a file.
    p = subprocess.run(
        "exec 0<&- 2>&-; exec %s" % CGI, shell=True,
        env={"REQUEST_METHOD": "GET", "PATH_INFO": "/", "SCRIPT_NAME": "/c",
             "CHUTE_CONFIG": CONF, "PATH": "/usr/bin:/bin",
             **{k: v for k, v in os.environ.items() if k.endswith("SAN_OPTIONS")}},
        stdout=subprocess.PIPE, timeout=30)
    ok(p.returncode == 0 and p.stdout.startswith(b"Status: 200"),
       "works with stdin and stderr closed", p.stdout[:100])

    # --- 100 MB upload: streamed, intact, bounded memory ---
    base = run("GET", "/")
    size = 100 * MiB
    boundary = b"----chuteBigUpload"
    head = (b"--" + boundary + b"\r\nContent-Disposition: form-data; "
            b'name="big"; filename="big.bin"\r\n'
            b"Content-Type: application/octet-stream\r\n\r\n")
    tail = b"\r\n--" + boundary + b"--\r\n"
    chunk = (bytes(range(256)) * 256 + b"\r\n--" + boundary[:-1])[:65536]
    sha = hashlib.sha256()

    def stream(f):
        f.write(head)
        left = size
        while left > 0:
            c = chunk[:left]
            f.write(c)
            sha.update(c)
            left -= len(c)
        f.write(tail)

    r = run("POST", "/", ctype="multipart/form-data; boundary=" +
            boundary.decode(), length=len(head) + size + len(tail),
            stream=stream, config=BIG, accept="application/json")
    jid = r.json().get("id", "") if r.status == 202 else ""
    path = os.path.join(jobdir("new", jid), "files", "big")
    h2 = hashlib.sha256()
    if jid and os.path.exists(path):
        with open(path, "rb") as f:
            for blk in iter(lambda: f.read(MiB), b""):
                h2.update(blk)
    ok(r.status == 202 and h2.hexdigest() == sha.hexdigest(),
       "100 MB multipart upload arrives intact", r)
    grow = r.rss_kib - base.rss_kib
    print("# peak RSS: GET / %d KiB, 100 MB upload %d KiB (+%d KiB)" %
          (base.rss_kib, r.rss_kib, grow))
    ok(grow < 4096, "100 MB upload adds < 4 MiB peak RSS (+%d KiB)" % grow)

    r = run("POST", "/", ctype="application/octet-stream",
            length=size, stream=lambda f: [f.write(chunk) for _ in
                                           range(size // len(chunk))],
            config=BIG)
    grow2 = r.rss_kib - base.rss_kib
    print("# peak RSS: 100 MB raw body %d KiB (+%d KiB)" % (r.rss_kib, grow2))
    ok(r.status == 202 and grow2 < 4096,
       "100 MB raw body: 202, < 4 MiB more peak RSS", r)
except Exception:
    ok(False, "no unexpected exception", traceback.format_exc())
finally:
    shutil.rmtree(ROOT, ignore_errors=True)
    print("1..%d" % N)
sys.exit(1 if FAILED else 0)
