#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs the whole default test suite twice: a plain build with -Werror, then
# an AddressSanitizer + UndefinedBehaviorSanitizer build (halt_on_error) that
# runs the same tests. Extra arguments go to `meson test` (e.g. a suite name).
# Build dirs: build/ and build-san/ (reconfigured when they exist).
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

setup build-san -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false
meson compile -C build-san
meson test -C build-san --setup sanitize --print-errorlogs "$@"
