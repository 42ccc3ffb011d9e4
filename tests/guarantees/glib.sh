# SPDX-License-Identifier: MIT
# Sourced by every tests/guarantees script: tests/watcher/lib.sh (temp
# spool, handler, TAP helpers, EXIT trap), with a safer cleanup. lib.sh's
# kills the process group of every handler pid it ever recorded; after
# thousands of jobs those pids are reused by unrelated processes (another
# test's `timeout` was SIGKILLed that way), so here only groups whose
# leader is still one of ours (its cmdline names $T) are killed.
. "${WATCHER_LIB:?set WATCHER_LIB to tests/watcher/lib.sh}"
cleanup() {
	for f in "$T"/pids/*; do
		[ -e "$f" ] || continue
		p=${f##*/}
		ours "$p" && kill -9 "$p" 2>/dev/null
	done
	for d in "$SPOOL"/run/*; do
		[ -f "$d/status" ] || continue
		p=$(grep -o '"runner_pid":[0-9]*' "$d/status" 2>/dev/null)
		p=${p#*:}
		[ -n "$p" ] && ours "$p" && kill -9 "$p" 2>/dev/null
	done
	for f in "$T"/hpids/*; do
		[ -e "$f" ] || continue
		p=${f##*/}
		ours "$p" && kill -9 -- "-$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$T"
}
