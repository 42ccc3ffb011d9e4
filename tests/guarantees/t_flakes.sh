#!/bin/bash
# SPDX-License-Identifier: MIT
# Flakes: runs the integration scripts of tests/watcher and tests/cli
# FLAKES_REPEAT times in a row, directly (not through meson: no recursion),
# with the env their meson.build gives them. Any failure is a flake: its
# script, round and output tail are printed. Suite 'slow'.
: "${CHUTED:?}" "${CHUTE:?}" "${SRCDIR:?set SRCDIR to the source tree}"
R=${FLAKES_REPEAT:-20}
W=$SRCDIR/tests/watcher C=$SRCDIR/tests/cli
scripts="$W/t_flow.sh $W/t_timeout.sh $W/t_crash.sh $W/t_overflow.sh $W/t_cli.sh
	$W/t_cancel.sh $W/t_retry.sh $W/t_retain.sh $W/t_multi.sh
	$C/test_cli.sh $C/test_lifecycle.sh"
n=0
for s in $scripts; do [ -f "$s" ] && n=$((n + 1)); done
echo "1..$n"
out=$(mktemp -d /tmp/chute-flakes.XXXXXX)
trap 'rm -rf "$out"' EXIT
i=0
for s in $scripts; do
	[ -f "$s" ] || continue
	i=$((i + 1))
	fails=0
	for r in $(seq "$R"); do
		timeout -k 10 600 bash "$s" > "$out/log" 2>&1
		rc=$?
		if [ "$rc" -ne 0 ] || grep -q '^not ok' "$out/log"; then
			fails=$((fails + 1))
			echo "# ${s##*/} round $r: exit $rc"
			grep '^not ok' "$out/log" | sed 's/^/#   /'
			tail -n 5 "$out/log" | sed 's/^/#   | /'
		fi
	done
	if [ "$fails" -eq 0 ]; then
		echo "ok $i - ${s##*/}: $R rounds, no failure"
	else
		echo "not ok $i - ${s##*/}: $fails of $R rounds failed"
	fi
done
