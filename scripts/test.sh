#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs the whole default test suite twice: a plain build with -Werror, then
# an AddressSanitizer + UndefinedBehaviorSanitizer build (halt_on_error) that
# runs the same tests. Extra arguments go to `meson test` (e.g. a suite name).
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

setup build-san -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false
meson compile -C build-san
meson test -C build-san --setup sanitize --print-errorlogs "$@"

if [ "${FUZZ_SECONDS:-60}" -gt 0 ]; then
	fuzz/run.sh --seconds "${FUZZ_SECONDS:-60}" --jobs 2 --build build-fuzz
fi
