#!/bin/bash
# SPDX-License-Identifier: MIT
# Crashes and restarts: a runner killed with its watcher leaves a job that
# the next watcher fails as "lost"; a job claimed but never started goes back
# to new/ without costing an attempt; an empty run/ID (a claim cut short) is
# removed; a runner killed under a live chuted fails its job; kill -9 of
# chuted during slow jobs: the running ones are adopted and finish once, the
# queued ones run, `jobs` still holds; SIGTERM: chuted exits 0 at once and
# its running job still finishes once.
. "$(dirname "$0")/lib.sh"
echo "1..21"

mkspool
make_handler
write_conf "$T/conf" <<'EOF2'
jobs = 2
EOF2

# A lost runner.
start_chuted "$T/conf" "$T/log1"
drop slow 'sleep 30'
check "a slow job is running" wait_for 20 field_is "$SPOOL/run/slow" state running
rpid=$(status_field "$SPOOL/run/slow" runner_pid)
hpid=$(ls "$T/hpids")
kill -9 "$CPID" "$rpid"
check "the handler dies with its runner (PDEATHSIG)" wait_for 10 eval "! kill -0 $hpid"
# A claim whose claimer died before the start, and an empty claim leftover.
mkdir "$SPOOL/run/never" && echo ': never' > "$SPOOL/run/never/job"
mkdir "$SPOOL/run/empty"
start_chuted "$T/conf" "$T/log2"
check "the job whose runner died is failed/ lost" wait_for 20 field_is "$SPOOL/failed/slow" reason lost
check "its status: state failed, finished set, attempt 1" test "$(status_field "$SPOOL/failed/slow" state)/$(status_field "$SPOOL/failed/slow" attempt)" = failed/1 -a "$(status_field "$SPOOL/failed/slow" finished)" != null
check "a never-started job runs, as attempt 1" wait_for 20 field_is "$SPOOL/done/never" attempt 1
check "the lost job did not run again" test "$(ledger_count slow)" -eq 1
check "the empty run/ entry was removed" test ! -e "$SPOOL/run/empty"

# A runner killed while chuted lives: chuted reaps it and fails the job.
drop slow2 'sleep 30'
wait_for 20 field_is "$SPOOL/run/slow2" state running
kill -9 "$(status_field "$SPOOL/run/slow2" runner_pid)"
check "a runner killed under a live chuted: failed/ lost" wait_for 20 field_is "$SPOOL/failed/slow2" reason lost

# kill -9 chuted in the middle of a run of slow jobs.
mkdir "$T/live"
# Each job holds until the test creates $T/go: no timing assumptions.
for i in 1 2 3 4 5; do
	drop "b$i" ": > $T/live/\$CHUTE_ID; ls $T/live | wc -l >> $T/overlap; while [ ! -e $T/go ]; do sleep 0.05; done; sleep 0.2; rm $T/live/\$CHUTE_ID"
done
check "two of them run" wait_for 20 count_is "$SPOOL/run" 2
kill -9 "$CPID"
start_chuted "$T/conf" "$T/log3"
check "the restarted watcher adopts both running jobs" test "$(grep -c 'adopted: its runner is alive' "$T/log3")" -eq 2
check "and claims nothing more while they run" test "$(count "$SPOOL/run")" -eq 2 -a "$(count "$SPOOL/new")" -eq 3
: > "$T/go"
check "all five end in done/" wait_for 40 eval 'test -d $SPOOL/done/b1 -a -d $SPOOL/done/b2 -a -d $SPOOL/done/b3 -a -d $SPOOL/done/b4 -a -d $SPOOL/done/b5'
n=0; for i in 1 2 3 4 5; do n=$((n + $(ledger_count "b$i"))); done
check "each ran exactly once" test "$n" -eq 5
check "each at attempt 1" test "$(cat "$SPOOL"/done/b?/status | grep -c '"attempt":1,')" -eq 5
max=$(sort -n "$T/overlap" | tail -1)
check "never more than 2 at once, across the restart ($max)" test "$max" -le 2
check "the adopted runners' end freed their slots" test "$(count "$SPOOL/run")" -eq 0

# SIGTERM while a job runs.
drop term "while [ ! -e $T/release ]; do sleep 0.05; done"
wait_for 20 field_is "$SPOOL/run/term" state running
t0=$(now_ms)
kill -TERM "$CPID"
wait "$CPID"
rc=$?
diag "chuted exited $(( $(now_ms) - t0 )) ms after SIGTERM"
check "chuted exits 0 on SIGTERM" test "$rc" -eq 0
check "the job is still running after chuted left" test -d "$SPOOL/run/term"
: > "$T/release"
check "it finishes in done/" wait_for 20 test -d "$SPOOL/done/term"
check "exactly once" test "$(ledger_count term)" -eq 1
check "the handler's stdio never went to chuted's stdout" test ! -s "$T/log3.stdout"
finish 21
