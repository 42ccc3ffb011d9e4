#!/bin/bash
# SPDX-License-Identifier: MIT
# Flood: FLOOD_N renames into new/ while chuted is stopped (SIGSTOP), its
# inotify instance made with a queue of 256 events (root lowers
# fs.inotify.max_queued_events just while chuted starts; restored at once
# and in the EXIT trap). Every job runs exactly once, and chuted's peak RSS
# (VmHWM) stays under FLOOD_RSS_KB (a memory bound, not a speed one).
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root to lower fs.inotify.max_queued_events"
	exit 0
fi
Q=/proc/sys/fs/inotify/max_queued_events
old=$(cat "$Q")
if ! { echo "$old" > "$Q"; } 2>/dev/null; then
	echo "1..0 # SKIP $Q is not writable here"
	exit 0
fi
. "$(dirname "$0")/glib.sh"
N=${FLOOD_N:-5000}
# ASan's shadow memory and quarantine inflate RSS: a looser bound there.
if ldd "$CHUTED" 2>/dev/null | grep -q libasan; then
	BOUND=${FLOOD_RSS_KB:-524288}
else
	BOUND=${FLOOD_RSS_KB:-65536}
fi
echo "1..6"
restore() { echo "$old" > "$Q"; cleanup; }
trap restore EXIT

mkspool
make_handler
write_conf "$T/conf" <<'EOF2'
jobs = 8
EOF2
echo 256 > "$Q"
start_chuted "$T/conf" "$T/log"
started=$?
echo "$old" > "$Q"
check "chuted starts (queue of 256 events)" test "$started" -eq 0
kill -STOP "$CPID"
drop_many fl "$N"
check "$N jobs dropped while chuted was stopped" count_is "$SPOOL/new" "$N"
kill -CONT "$CPID"
check "all $N end in done/" wait_for $((60 + N / 10)) count_is "$SPOOL/done" "$N"
check "each ran exactly once" test "$(grep -c '^fl' "$T/ledger")" -eq "$N" -a "$(ledger_dups)" -eq 0
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$CPID/status")
diag "chuted peak RSS (VmHWM): ${hwm:-?} kB for $N jobs (bound $BOUND kB)"
check "chuted is alive" alive "$CPID"
check "its peak RSS stays under $BOUND kB" test "${hwm:-999999999}" -lt "$BOUND"
finish 6
