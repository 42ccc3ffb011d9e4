#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs the whole default test suite twice: a plain build with -Werror, then
# an AddressSanitizer + UndefinedBehaviorSanitizer build (halt_on_error) that
# runs the same tests. Between them, with DIST=1, the plain build runs the
# distributed suite (GlusterFS; needs root) with bounded sizes. Extra arguments go to
# `meson test` (e.g. a suite name; then no distributed suite).
# FLAKES_REPEAT=N adds a flake hunt after the plain run (guarantee_flakes).
# Build dirs: build/ and build-san/ (reconfigured when they exist). Last, each
# libFuzzer target runs for FUZZ_SECONDS (default 60; 0 skips), two at a time.
set -eu
cd "$(dirname "$0")/.."

setup() {
	dir=$1; shift
	if [ -d "$dir" ]; then
		meson setup --reconfigure "$dir" "$@"
	else
		meson setup "$dir" "$@"
	fi
}

setup build -Dwerror=true
meson compile -C build
meson test -C build --print-errorlogs "$@"
# FLAKES_REPEAT=N: every integration test N more times in a row (plain build).
if [ -n "${FLAKES_REPEAT:-}" ]; then
	meson test -C build --suite slow --print-errorlogs guarantee_flakes
fi

# The distributed suite (tests/distributed/README.md): chute on a real
# GlusterFS volume mounted twice, root only, bounded sizes (about 4 minutes).
# Only in a full run (no arguments) and only with DIST=1: the first clean CI
# run of it lost sight of one job in two-hosts (issue 9, still open), so it
# does not yet gate main. reap.sh tears down what a test killed by meson's
# timeout left behind, also when the suite fails.
if [ $# -eq 0 ] && [ "${DIST:-0}" != 0 ]; then
	dist_mark=$(mktemp)
	dist_rc=0
	DIST_JOBS=${DIST_JOBS:-200} DIST_PROTOCOL_JOBS=${DIST_PROTOCOL_JOBS:-200} \
	    DIST_SLOW_JOBS=${DIST_SLOW_JOBS:-12} \
	    DIST_HANDOFF_JOBS=${DIST_HANDOFF_JOBS:-20} \
	    meson test -C build --suite distributed --print-errorlogs ||
	    dist_rc=$?
	tests/distributed/reap.sh "$dist_mark" || dist_rc=1
	rm -f "$dist_mark"
	[ "$dist_rc" -eq 0 ] || exit "$dist_rc"
fi

setup build-san -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false
meson compile -C build-san
meson test -C build-san --setup sanitize --print-errorlogs "$@"

if [ "${FUZZ_SECONDS:-60}" -gt 0 ]; then
	fuzz/run.sh --seconds "${FUZZ_SECONDS:-60}" --jobs 2 --build build-fuzz
fi
