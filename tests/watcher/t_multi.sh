#!/bin/bash
# SPDX-License-Identifier: MIT
# Several watchers on one spool: 2 chuted with inotify and 2 with
# --no-inotify (rescans only), all probing run/ at each rescan, share
# $CHUTE_MULTI_JOBS jobs (default 2000; 5000 in suite slow) dropped while they run: every job
# runs exactly once, none is marked lost (a probe never mistakes another
# watcher's running job for a lost one), none fails. Then a watcher and its
# runner are killed: a survivor's probe finds the free lock and retries.
. "$(dirname "$0")/lib.sh"
echo "1..10"

# 5000 take ~20 s plain on an idle machine but minutes on a loaded one, so
# the default suite runs 2000 and suite slow (watcher_multi_long) 5000.
N=${CHUTE_MULTI_JOBS:-2000}
mkspool
make_handler
write_conf "$T/conf.ino" <<'EOF2'
jobs = 3
rescan = 1s
retries = 1
retry_delay = 0
EOF2
write_conf "$T/conf.scan" <<'EOF2'
jobs = 3
rescan = 200ms
retries = 1
retry_delay = 0
EOF2
start_chuted "$T/conf.ino" "$T/log1"; p1=$CPID
start_chuted "$T/conf.ino" "$T/log2"; p2=$CPID
start_chuted "$T/conf.scan" "$T/log3" --no-inotify; p3=$CPID
start_chuted "$T/conf.scan" "$T/log4" --no-inotify; p4=$CPID
check "four watchers are ready" eval 'grep -q ready: "$T/log1" && grep -q ready: "$T/log2" && grep -q ready: "$T/log3" && grep -q ready: "$T/log4"'
t0=$(now_ms)
drop_many mj "$N"
check "all $N jobs end in done/" wait_for 300 count_is "$SPOOL/done" "$N"
diag "$N jobs in $(( $(now_ms) - t0 )) ms"
check "each ran exactly once" test "$(grep -c '^mj' "$T/ledger")" -eq "$N" -a "$(ledger_dups)" -eq 0
check "none failed" test "$(count "$SPOOL/failed")" -eq 0
check "no job was marked lost or requeued" eval '! grep -Eq "lost its runner|queued again" "$T"/log[1-4]'
for p in $p1 $p2 $p3 $p4; do kill -USR1 "$p"; done
sleep 0.5
for i in 1 2 3 4; do
	diag "watcher $i: $(grep -o 'counts:.*' "$T/log$i" | tail -1 | grep -o '[0-9]* claimed')"
done
check "the rescan-only watchers claimed jobs too" eval 'grep "counts:" "$T/log3" "$T/log4" | grep -vq " 0 claimed"'
# /proc/PID/fdinfo lists an inotify instance's watches as "inotify wd:".
watches() { cat /proc/"$1"/fdinfo/* 2>/dev/null | grep -c '^inotify wd:'; }
diag "inotify watches: $(watches $p1) $(watches $p2) $(watches $p3) $(watches $p4)"
check "the rescan-only watchers set no inotify watch (the others do)" test "$(watches $p3)" -eq 0 -a "$(watches $p4)" -eq 0 -a "$(watches $p1)" -gt 0

# A watcher and its runner die: another watcher's rescan probe finds the
# job's lock free and retries it (retries = 1, retry_delay = 0).
drop orphan "if [ \"\$CHUTE_ATTEMPT\" = 1 ]; then sleep 300; fi"
wait_for 20 field_is "$SPOOL/run/orphan" state running
rpid=$(status_field "$SPOOL/run/orphan" runner_pid)
owner=$(awk '{print $4}' "/proc/$rpid/stat")
diag "orphan: runner $rpid of watcher $owner"
check "its runner's parent is one of the watchers" eval 'case " $p1 $p2 $p3 $p4 " in *" $owner "*) true ;; *) false ;; esac'
kill -9 "$owner" "$rpid"
check "another watcher retries it: done/ at attempt 2" wait_for 30 field_is "$SPOOL/done/orphan" attempt 2
check "attempt 1 recorded as lost" py_is "$SPOOL/done/orphan" 's["attempts"][0]["reason"]' lost
finish 10
