#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds the libFuzzer targets with clang into DIR (default build-libfuzzer/ at the
# top of the tree): the lib/ and cgi/ sources they need plus harness.c and
# the target, all with -fsanitize=fuzzer,address,undefined and no recovery.
# Usage: fuzz/build.sh [DIR] [TARGET...]. Needs clang and libFuzzer
# (libclang-rt-14-dev), pkg-config, jansson and inih. Exit 0, or 1.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build-libfuzzer}
[ $# -gt 0 ] && shift
targets=${*:-fuzz_form fuzz_multipart fuzz_conf fuzz_names fuzz_status}
CC=${CC:-clang}
mkdir -p "$out/obj"

cflags="-g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter
  -fno-omit-frame-pointer -fsanitize=address,undefined
  -fno-sanitize-recover=all
  -I$top/lib -I$top/cgi -I$top/fuzz $(pkg-config --cflags jansson inih)"
libs="$(pkg-config --libs jansson inih)"

# The sources under test: instrumented for coverage, no fuzzer main.
objs=
for src in "$top"/lib/*.c "$top"/cgi/form.c "$top"/cgi/multipart.c \
    "$top"/fuzz/harness.c; do
	obj="$out/obj/$(basename "$(dirname "$src")")_$(basename "$src" .c).o"
	# shellcheck disable=SC2086
	$CC $cflags -fsanitize=fuzzer-no-link -c "$src" -o "$obj"
	objs="$objs $obj"
done

for t in $targets; do
	# shellcheck disable=SC2086
	$CC $cflags -fsanitize=fuzzer "$top/fuzz/$t.c" $objs $libs \
	    -o "$out/$t"
	echo "built $out/$t"
done
