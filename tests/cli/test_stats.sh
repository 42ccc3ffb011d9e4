#!/bin/bash
# SPDX-License-Identifier: MIT
# test_stats: `chute stats` (issue 7) on a real spool with a metrics file
# written here in chuted's format: the table (jobs by state, failures by
# reason, histogram count/mean/quantiles checked against hand-computed
# values), --raw printing the file byte for byte, a partial file showing
# "-", and the errors: no metrics file yet (exit 1), an operand (64).
set -u
CHUTE=${CHUTE:?set CHUTE to the chute binary}
unset CHUTE_CONFIG POSIXLY_CORRECT
export LC_ALL=C
T=$(mktemp -d /tmp/chute-stats.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

n=0 fails=0
check() {
	local d=$1; shift
	n=$((n + 1))
	if "$@"; then echo "ok $n - $d"; else echo "not ok $n - $d"; fails=$((fails + 1)); fi
}
run() { timeout -k 5 30 "$CHUTE" "$@" >"$T/out" 2>"$T/err"; rc=$?; }
echo "1..13"

S=$T/spool
timeout 30 "$CHUTE" init "$S" >/dev/null 2>&1
run -s "$S" stats
check "no metrics file: exit 1" test "$rc" -eq 1
check "... saying why, nothing on stdout" eval 'grep -q "no metrics yet: is chuted running with metrics = N?" "$T/err" && test ! -s "$T/out"'

# Ten runs: 4 in (0.1, 1], 6 in (1, 10]; sum 30 s. Linear within the
# bucket: p50 = 1 + 9 * (5 - 4) / 6 = 2.5, p90 = 8.5, p99 = 9.85.
cat > "$S/metrics" <<'EOF2'
# HELP chute_build_info The version of this chuted; the value is always 1.
# TYPE chute_build_info gauge
chute_build_info{version="9.8.7"} 1
# HELP chute_watcher_start_time_seconds When this chuted started.
# TYPE chute_watcher_start_time_seconds gauge
chute_watcher_start_time_seconds 1700000000.000
# HELP chute_jobs Jobs by state.
# TYPE chute_jobs gauge
chute_jobs{state="queued"} 7
chute_jobs{state="running"} 2
chute_jobs{state="done"} 1234
chute_jobs{state="failed"} 56
# HELP chute_jobs_started_total Attempts started.
# TYPE chute_jobs_started_total counter
chute_jobs_started_total 1300
# HELP chute_jobs_succeeded_total Jobs done.
# TYPE chute_jobs_succeeded_total counter
chute_jobs_succeeded_total 1234
# HELP chute_jobs_failed_total Jobs failed.
# TYPE chute_jobs_failed_total counter
chute_jobs_failed_total{reason="exit"} 50
chute_jobs_failed_total{reason="signal"} 0
chute_jobs_failed_total{reason="timeout"} 4
chute_jobs_failed_total{reason="cancelled"} 0
chute_jobs_failed_total{reason="lost"} 2
chute_jobs_failed_total{reason="rejected"} 0
# HELP chute_jobs_retried_total Retries.
# TYPE chute_jobs_retried_total counter
chute_jobs_retried_total 3
# HELP chute_rescans_total Rescans.
# TYPE chute_rescans_total counter
chute_rescans_total 11
# HELP chute_inotify_overflows_total Overflows.
# TYPE chute_inotify_overflows_total counter
chute_inotify_overflows_total 1
# HELP chute_run_seconds Run time.
# TYPE chute_run_seconds histogram
chute_run_seconds_bucket{le="0.1"} 0
chute_run_seconds_bucket{le="1"} 4
chute_run_seconds_bucket{le="10"} 10
chute_run_seconds_bucket{le="+Inf"} 10
chute_run_seconds_sum 30.000
chute_run_seconds_count 10
EOF2
run -s "$S" stats
sed 's/^/# /' "$T/out"
check "exit 0" test "$rc" -eq 0
check "version and start time" grep -qE '^watcher +chuted 9\.8\.7, counting since 2023-11-14T22:13:20Z$' "$T/out"
check "jobs by state" grep -qE '^jobs +queued 7, running 2, done 1234, failed 56$' "$T/out"
check "counters" eval 'grep -qE "^started +1300$" "$T/out" && grep -qE "^succeeded +1234$" "$T/out" && grep -qE "^retried +3$" "$T/out" && grep -qE "^rescans +11$" "$T/out" && grep -qE "^overflows +1$" "$T/out"'
check "failed: the total, then each reason that is not 0" grep -qE '^failed +56 exit 50 timeout 4 lost 2$' "$T/out"
check "run time: count 10, mean 3 s, p50 2.5 s, p90 8.5 s, p99 9.85 s" grep -qE '^run time +10 +3\.000s +2\.500s +8\.500s +9\.850s$' "$T/out"
check "a histogram missing from the file shows -" grep -qE '^queue wait +- +- +- +- +-$' "$T/out"
run -s "$S" stats --raw
check "--raw prints the file as is" cmp -s "$T/out" "$S/metrics"
run -s "$S" --raw stats
check "--raw before the command too" cmp -s "$T/out" "$S/metrics"
run -s "$S" stats extra
check "an operand is a usage error (64)" test "$rc" -eq 64
run --help
check "chute --help lists stats" grep -q 'stats \[--raw\]' "$T/out"
[ "$n" -eq 13 ] || { echo "not ok - planned 13, ran $n"; exit 1; }
[ "$fails" -eq 0 ]
