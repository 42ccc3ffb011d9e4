#!/bin/bash
# SPDX-License-Identifier: MIT
# Builds the libFuzzer targets (fuzz/build.sh) and runs each for N seconds on
# a copy of its seed corpus in a temporary directory, J targets at a time.
# Prints libFuzzer's final figures per target (executions, cov, ft, corpus)
# and exits 1 on any crash, timeout, leak, out-of-memory or sanitizer report,
# naming the crash artifact and keeping its directory; 64 on bad usage.
# Usage: fuzz/run.sh [--seconds N] [--jobs J] [--build DIR] [--keep]
#        [TARGET...]   (targets: fuzz_form fuzz_multipart fuzz_conf
#        fuzz_names fuzz_status, with or without the fuzz_ prefix)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
seconds=60 jobs=2 build='' keep=0
all="fuzz_form fuzz_multipart fuzz_conf fuzz_names fuzz_status"
usage() {
	echo "usage: fuzz/run.sh [--seconds N] [--jobs J] [--build DIR] [--keep] [TARGET...]" >&2
	exit 64
}
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) [ $# -ge 2 ] || usage; seconds=$2; shift 2 ;;
	--jobs) [ $# -ge 2 ] || usage; jobs=$2; shift 2 ;;
	--build) [ $# -ge 2 ] || usage; build=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	-h|--help) usage ;;
	-*) usage ;;
	*) break ;;
	esac
done
case $seconds in ''|*[!0-9]*) usage ;; esac
case $jobs in ''|*[!0-9]*|0) usage ;; esac
targets=
for t in "${@:-$all}"; do
	for name in $t; do
		case $name in fuzz_*) ;; *) name=fuzz_$name ;; esac
		case " $all " in *" $name "*) ;; *) echo "run.sh: unknown target $name" >&2; exit 64 ;; esac
		targets="$targets $name"
	done
done

work=$(mktemp -d /tmp/chute-fuzz.XXXXXX) || exit 1
# shellcheck disable=SC2317 # called from the trap
cleanup() {
	# Children first: an interrupted run leaves no fuzzer behind.
	for pid in $(jobs -p); do kill "$pid" 2>/dev/null; done
	wait 2>/dev/null
}
trap 'cleanup; echo "run.sh: interrupted; logs in $work" >&2; exit 1' INT TERM HUP
[ -n "$build" ] || build=$work/bin
# run_one changes directory: a relative build dir must not depend on it.
case $build in /*) ;; *) build=$PWD/$build ;; esac
# shellcheck disable=SC2086 # a list of names
"$top/fuzz/build.sh" "$build" $targets > "$work/build.log" 2>&1 || {
	cat "$work/build.log" >&2
	echo "run.sh: build failed" >&2
	exit 1
}

# Per-target options: longer inputs where the parsers' buffers need them.
options() {
	case $1 in
	fuzz_form) echo "-max_len=12288 -dict=$top/fuzz/form.dict" ;;
	fuzz_multipart) echo "-max_len=40960 -dict=$top/fuzz/multipart.dict" ;;
	*) echo "-max_len=4096" ;;
	esac
}

run_one() {
	t=$1
	mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
	cp "$top/fuzz/corpus/$t"/* "$work/$t/corpus/"
	# shellcheck disable=SC2046 # options are several words
	(cd "$work/$t" && exec "$build/$t" -max_total_time="$seconds" \
	    -print_final_stats=1 -timeout=25 -rss_limit_mb=2048 \
	    -detect_leaks=1 -artifact_prefix="$work/$t/artifacts/" \
	    $(options "$t") corpus) > "$work/$t/log" 2>&1
	echo $? > "$work/$t/rc"
}

echo "fuzzing$targets for ${seconds}s each, $jobs at a time (logs: $work)"
running=0
for t in $targets; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
	run_one "$t" &
	running=$((running + 1))
done
wait

failed=0
printf '%-15s %-6s %12s %8s %6s %7s %8s\n' target result execs exec/s cov ft corpus
for t in $targets; do
	log=$work/$t/log
	rc=$(cat "$work/$t/rc" 2>/dev/null || echo 1)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1)
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corpus=$(find "$work/$t/corpus" -type f | wc -l)
	result=ok
	artifacts=$(cd "$work/$t/artifacts" && find . -type f | sed 's|^\./||')
	if [ "$rc" != 0 ] || [ -n "$artifacts" ] ||
	    grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|property failed|SUMMARY: ' "$log"; then
		result=FAIL
		failed=1
	fi
	printf '%-15s %-6s %12s %8s %6s %7s %8s\n' "$t" "$result" \
	    "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$corpus"
	if [ "$result" = FAIL ]; then
		echo "--- $t (exit $rc): end of $log" >&2
		grep -E 'ERROR|runtime error|property failed|SUMMARY|Test unit written|artifact_prefix' "$log" | head -n 20 >&2
		tail -n 15 "$log" >&2
		for a in $artifacts; do
			echo "crash artifact: $work/$t/artifacts/$a" >&2
		done
	fi
done
if [ "$failed" = 0 ] && [ "$keep" = 0 ]; then
	rm -rf "$work"
else
	echo "kept: $work"
fi
exit "$failed"
