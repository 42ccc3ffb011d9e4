#!/bin/sh
# SPDX-License-Identifier: MIT
# The 'fuzz-corpus' test: runs each replay binary (a fuzz target linked with
# replay.c) on its seed corpus and prints TAP, one line per target. A target
# fails when it exits non-zero (a failed property aborts; a sanitizer report
# halts). Usage: replay.sh BINARY CORPUS_DIR [BINARY CORPUS_DIR]...
set -u
if [ $# -eq 0 ] || [ $(($# % 2)) -ne 0 ]; then
	echo "usage: replay.sh BINARY CORPUS_DIR..." >&2
	exit 64
fi
echo "1..$(($# / 2))"
n=0 failed=0
while [ $# -gt 0 ]; do
	n=$((n + 1))
	bin=$1 corpus=$2
	shift 2
	files=$(find "$corpus" -maxdepth 1 -type f 2>/dev/null | wc -l)
	if [ "$files" -eq 0 ]; then
		echo "not ok $n - $(basename "$bin"): empty corpus $corpus"
		failed=1
		continue
	fi
	if out=$(timeout 60 "$bin" "$corpus" 2>&1); then
		echo "ok $n - $(basename "$bin"): $out"
	else
		echo "not ok $n - $(basename "$bin") on $corpus"
		echo "$out" | sed 's/^/# /'
		failed=1
	fi
done
exit "$failed"
