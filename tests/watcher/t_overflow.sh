#!/bin/bash
# SPDX-License-Identifier: MIT
# An inotify queue overflow: chuted's instance gets a queue of 64 events
# (root lowers fs.inotify.max_queued_events while chuted starts, and puts it
# back at once), chuted is stopped while 2000 jobs are dropped, then
# continued: the overflow is logged, new/ is rescanned, every job runs once.
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root to lower fs.inotify.max_queued_events"
	exit 0
fi
Q=/proc/sys/fs/inotify/max_queued_events
old=$(cat "$Q")
if ! { echo "$old" > "$Q"; } 2>/dev/null; then
	echo "1..0 # SKIP $Q is not writable here (read-only /proc/sys?)"
	exit 0
fi
. "$(dirname "$0")/lib.sh"
echo "1..6"

restore() { [ -n "$old" ] && echo "$old" > "$Q"; cleanup; }
trap restore EXIT

mkspool
make_handler
write_conf "$T/conf" <<'EOF2'
jobs = 2
EOF2
echo 64 > "$Q"
start_chuted "$T/conf" "$T/log"
started=$?
echo "$old" > "$Q"
check "chuted starts with a 64-event inotify queue" test "$started" -eq 0
check "the limit is restored" test "$(cat "$Q")" -eq "$old"
kill -STOP "$CPID"
drop_many ov 2000
kill -CONT "$CPID"
check "all 2000 jobs end in done/" wait_for 200 count_is "$SPOOL/done" 2000
check "the overflow was logged and new/ rescanned" grep -q 'rescanned new/ (inotify overflow)' "$T/log"
check "each ran exactly once" test "$(grep -c '^ov' "$T/ledger")" -eq 2000 -a "$(ledger_dups)" -eq 0
check "new/ and run/ are empty" test "$(count "$SPOOL/new")" -eq 0 -a "$(count "$SPOOL/run")" -eq 0
finish 6
