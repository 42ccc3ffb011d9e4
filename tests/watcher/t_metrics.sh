#!/bin/bash
# SPDX-License-Identifier: MIT
# Metrics (issue 7): chuted with metrics = 1s writes SPOOL/metrics in the
# Prometheus text format (checked by a small parser: sample syntax, HELP
# and TYPE for every family, cumulative buckets, +Inf == _count); the
# counters match what ran (done, failed by exit, signal, timeout, cancelled
# and rejected, a lost runner retried), the done/failed gauges include the
# jobs already there at start-up; `chute stats` summarizes it, --raw prints
# it as is; metrics = 0 writes nothing.
. "$(dirname "$0")/lib.sh"
: "${CHUTE:?set CHUTE to the chute binary}"
echo "1..21"

mkspool
make_handler
mkdir "$SPOOL/done/old1" "$SPOOL/done/old2" "$SPOOL/failed/old3"
# No timeout while the lost runner and the cancel are staged (no race with
# the clock); then a reload (HUP) sets one for the job that must time out.
conf() {
	write_conf "$T/conf" <<EOF2
jobs = 4
metrics = 1s
timeout = $1
kill_grace = 1s
retries = 1
retry_delay = 1s
EOF2
}
conf 0
check "chuted starts" start_chuted "$T/conf" "$T/log"
M=$SPOOL/metrics
check "SPOOL/metrics appears" wait_for 30 test -f "$M"

for i in 1 2 3; do drop "ok$i" 'exit 0'; done
drop exitjob 'exit 3'
drop sigjob 'kill -KILL $$'
drop lostjob 'if [ "$CHUTE_ATTEMPT" = 1 ]; then sleep 300; fi'
drop canceljob 'sleep 300'
ln -s /etc/passwd "$SPOOL/new/badlink"

# Status is compact JSON: grep, not a python start per poll (loaded CI).
running() { grep -q '"state":"running"' "$SPOOL/run/$1/status"; }
wait_for 60 running lostjob
kill -9 "$(status_field "$SPOOL/run/lostjob" runner_pid)"
wait_for 60 running canceljob
cancel canceljob
wait_for 60 test -d "$SPOOL/failed/canceljob"
wait_for 60 test -d "$SPOOL/done/lostjob"
conf 2s
kill -HUP "$CPID"
wait_for 30 grep -q reloaded "$T/log"
drop tojob 'sleep 300'

settled() { count_is "$SPOOL/done" 6 && count_is "$SPOOL/failed" 6 && count_is "$SPOOL/new" 0 && count_is "$SPOOL/run" 0; }
check "every job settled (4 + 2 done, 5 + 1 failed)" wait_for 90 settled

# prom FILE: checks the exposition format; writes the samples as JSON
# ("name{l="v"} value" lines, integers without a fraction) to $T/samples.
prom() {
	python3 - "$1" "$T/samples" <<'PYEOF'
import json, math, re, sys
text = open(sys.argv[1]).read()
assert text.endswith("\n"), "no final newline"
name_re = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
label_re = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
sample_re = re.compile(r"^(%s)(\{(?:%s)(?:,%s)*\})? (\S+)$" % (name_re, label_re, label_re))
help_, type_, samples, order = {}, {}, {}, []
for line in text.splitlines():
    m = re.match(r"^# (HELP|TYPE) (%s) (.+)$" % name_re, line)
    if m:
        d = help_ if m.group(1) == "HELP" else type_
        assert m.group(2) not in d, "duplicate %s %s" % (m.group(1), m.group(2))
        d[m.group(2)] = m.group(3)
        continue
    assert not line.startswith("#"), "stray comment: " + line
    m = sample_re.match(line)
    assert m, "bad sample line: " + line
    name, labels, value = m.group(1), m.group(2) or "", m.group(3)
    v = float(value)  # raises on a bad value
    fam = name
    for suf in ("_bucket", "_sum", "_count"):
        if name.endswith(suf) and type_.get(name[: -len(suf)]) == "histogram":
            fam = name[: -len(suf)]
    assert fam in help_ and fam in type_, "no HELP/TYPE before " + name
    assert type_[fam] in ("counter", "gauge", "histogram"), type_[fam]
    if type_[fam] == "counter":
        assert name.endswith("_total") and v >= 0, name
    assert name.startswith("chute_"), name
    key = name + labels
    assert key not in samples, "duplicate sample " + key
    samples[key] = v
    order.append(key)
for fam, t in type_.items():
    if t != "histogram":
        continue
    bs = [(k, samples[k]) for k in order if k.startswith(fam + '_bucket{le="')]
    les = [float(k.split('"')[1]) for k, _ in bs]
    assert les == sorted(les) and math.isinf(les[-1]), fam + ": le order"
    vals = [v for _, v in bs]
    assert vals == sorted(vals), fam + ": buckets not cumulative"
    assert vals[-1] == samples[fam + "_count"], fam + ": +Inf != _count"
    assert samples[fam + "_sum"] >= 0
with open(sys.argv[2], "w") as f:
    for k in order:
        v = samples[k]
        f.write("%s %s\n" % (k, int(v) if v == int(v) else repr(v)))
PYEOF
}
# val KEY: a sample of the last prom run.
val() { awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "none" }' "$T/samples"; }
val_is() { [ "$(val "$1")" = "$2" ]; }
caught_up() { cp "$M" "$T/m" && grep -qx 'chute_jobs_succeeded_total 4' "$T/m" && grep -qx 'chute_jobs{state="failed"} 6' "$T/m"; }
check "the file catches up (rewritten every second)" wait_for 30 caught_up
check "it parses as Prometheus text: HELP/TYPE, cumulative buckets, +Inf == _count" prom "$T/m"
check "started 12 attempts" val_is chute_jobs_started_total 12
check "succeeded 4" val_is chute_jobs_succeeded_total 4
fr() { val "chute_jobs_failed_total{reason=\"$1\"}"; }
check "failed: exit 1, signal 1, timeout 1, cancelled 1, rejected 1, lost 0" \
	test "$(fr exit)/$(fr signal)/$(fr timeout)/$(fr cancelled)/$(fr rejected)/$(fr lost)" = 1/1/1/1/1/0
check "retried 4 (exit, signal, timeout, lost)" val_is chute_jobs_retried_total 4
check "gauges: queued 0, running 0, done 6, failed 6" test \
	"$(val 'chute_jobs{state="queued"}')/$(val 'chute_jobs{state="running"}')/$(val 'chute_jobs{state="done"}')/$(val 'chute_jobs{state="failed"}')" = 0/0/6/6
check "queue wait observed per attempt" val_is chute_queue_wait_seconds_count 12
check "run time observed per runner" val_is chute_run_seconds_count 12
check "a run was killed by its 2 s timeout: sum >= 2 s" awk '$1 == "chute_run_seconds_sum" { ok = $2 >= 2 } END { exit !ok }' "$T/samples"
check "rescans counted (start-up), no overflow" test "$(val chute_rescans_total)" -ge 1 -a "$(val chute_inotify_overflows_total)" = 0
ver=$("$CHUTED" --version | awk '{print $2}')
check "build_info carries the version" val_is "chute_build_info{version=\"$ver\"}" 1
start=$(val chute_watcher_start_time_seconds)
check "start time is now-ish" python3 -c 'import sys,time; sys.exit(abs(time.time() - float(sys.argv[1])) > 600)' "$start"

# chute stats on the real file (chuted stopped: the file is final).
kill -TERM "$CPID"; wait "$CPID"
out=$("$CHUTE" -s "$SPOOL" stats)
echo "$out" | sed "s/^/# /"
check "chute stats: the state counts" grep -q 'queued 0, running 0, done 6, failed 6' <<< "$out"
check "chute stats: failed by reason" grep -qE '^failed +5 exit 1 signal 1 timeout 1 cancelled 1 rejected 1$' <<< "$out"
check "chute stats: histogram rows" grep -qE '^run time +12 ' <<< "$out"
check "chute stats --raw is the file" cmp -s <("$CHUTE" -s "$SPOOL" stats --raw) "$M"

# metrics = 0: nothing written.
rm -f "$M"
write_conf "$T/conf0" <<'EOF2'
metrics = 0
EOF2
start_chuted "$T/conf0" "$T/log0"
drop after 'exit 0'
wait_for 60 test -d "$SPOOL/done/after"
sleep 1.2
kill -TERM "$CPID"; wait "$CPID"
check "metrics = 0 writes no file" test ! -e "$M"
[ "$tap_fail" -eq 0 ] || sed "s/^/# log: /" "$T/log" | grep -v debug
finish 21
