#!/bin/bash
# SPDX-License-Identifier: MIT
# Cancel (cancel/ID): a queued job never runs and fails "cancelled"; a
# running job's handler dies with its whole process group; a runner adopted
# after a restart (not chuted's child) is reached through its pid, checked
# against the job's lock; a pid in the status that is not the lock holder is
# never signalled; stale and hostile entries in cancel/ are removed without
# being opened; a cancel dropped as the job finishes leaves it in exactly one
# place, with one ledger line at most.
. "$(dirname "$0")/lib.sh"
echo "1..28"

mkspool
make_handler
write_conf "$T/conf" <<'EOF2'
jobs = 2
kill_grace = 2s
EOF2
check "chuted starts" start_chuted "$T/conf" "$T/log"

# A queued job: two blockers hold both slots.
drop block1 "while [ ! -e $T/go ]; do sleep 0.05; done"
drop block2 "while [ ! -e $T/go ]; do sleep 0.05; done"
wait_for 20 count_is "$SPOOL/run" 2
drop q1 ': never'
cancel q1
check "a queued job is cancelled" wait_for 20 field_is "$SPOOL/failed/q1" reason cancelled
check "its status: failed, finished, attempt not counted" test "$(status_field "$SPOOL/failed/q1" state)/$(status_field "$SPOOL/failed/q1" attempt)" = failed/null -a "$(status_field "$SPOOL/failed/q1" finished)" != null
check "it never ran" test "$(ledger_count q1)" -eq 0
check "cancel/q1 is removed" wait_for 10 test ! -e "$SPOOL/cancel/q1"
: > "$T/go"
wait_for 20 count_is "$SPOOL/done" 2

# A running job whose handler has a child.
drop r1 "echo \$\$ > $T/r1.sh; sleep 300 & echo \$! > $T/r1.child; wait"
wait_for 20 test -s "$T/r1.child"
sh_pid=$(cat "$T/r1.sh") child=$(cat "$T/r1.child")
cancel r1
check "a running job is cancelled" wait_for 20 field_is "$SPOOL/failed/r1" reason cancelled
check "by SIGTERM, attempt 1 recorded" test "$(status_field "$SPOOL/failed/r1" signal)/$(status_field "$SPOOL/failed/r1" attempt)/$(status_py "$SPOOL/failed/r1" 'len(s["attempts"])')" = 15/1/1
check "the handler is gone" wait_for 10 eval "! kill -0 $sh_pid"
check "and its child too (the whole group)" wait_for 10 eval "! kill -0 $child"
check "cancel/r1 is removed" test ! -e "$SPOOL/cancel/r1"

# A handler that ignores SIGTERM: SIGKILL after kill_grace.
drop r2 "trap '' TERM; echo \$\$ > $T/r2.sh; while :; do sleep 0.05; done"
wait_for 20 test -s "$T/r2.sh"
cancel r2
check "a stubborn job is killed after kill_grace" wait_for 20 field_is "$SPOOL/failed/r2" signal 9
check "reason cancelled" test "$(status_field "$SPOOL/failed/r2" reason)" = cancelled

# An adopted runner: chuted is killed and restarted while the job runs.
drop r3 "echo \$\$ > $T/r3.sh; sleep 300"
wait_for 20 test -s "$T/r3.sh"
wait_for 20 field_is "$SPOOL/run/r3" state running
kill -9 "$CPID"
start_chuted "$T/conf" "$T/log2"
check "the restarted chuted adopted r3" grep -q 'r3 adopted' "$T/log2"
cancel r3
check "a cancel reaches an adopted runner" wait_for 20 field_is "$SPOOL/failed/r3" reason cancelled
check "its handler is gone" wait_for 10 eval "! kill -0 $(cat "$T/r3.sh")"

# pid reuse: the status names a process that does not hold the lock.
mkdir -p "$SPOOL/run/fake"
echo ': fake' > "$SPOOL/run/fake/job"
sleep 300 < /dev/null > /dev/null 2>&1 & innocent=$!
echo "$innocent" > "$T/pids/$innocent"
# One process holds the lock (no child left behind to keep our stdout).
python3 -c 'import fcntl, sys, time
f = open(sys.argv[1])
fcntl.flock(f, fcntl.LOCK_EX)
time.sleep(300)' "$SPOOL/run/fake/job" < /dev/null > /dev/null 2>&1 & holder=$!
echo "$holder" > "$T/pids/$holder"
wait_for 10 eval "! flock -n -o $SPOOL/run/fake/job true"
printf '{"id":"fake","state":"running","attempt":1,"started":"2026-01-01T00:00:00.000Z","runner_pid":%s}\n' "$innocent" > "$SPOOL/run/fake/status"
cancel fake
sleep 1.5
check "an unrelated pid in the status is never signalled" alive "$innocent"
check "the cancel stays pending while the lock is held" test -e "$SPOOL/cancel/fake" -a -d "$SPOOL/run/fake"
kill "$holder"; wait "$holder" 2>/dev/null
check "once its lock is free, the job is cancelled" wait_for 20 field_is "$SPOOL/failed/fake" reason cancelled
check "and cancel/fake removed" wait_for 10 test ! -e "$SPOOL/cancel/fake"
kill "$innocent"

# Stale and hostile entries.
drop fin ': quick'
wait_for 20 test -d "$SPOOL/done/fin"
mkdir "$T/outside"; echo keep > "$T/outside/file"
cancel fin
cancel nosuchjob
: > "$SPOOL/cancel/.hidden"
ln -s "$T/outside/file" "$SPOOL/cancel/link"
mkfifo "$SPOOL/cancel/fifo"
check "stale and hostile cancel/ entries are removed" wait_for 10 count_is "$SPOOL/cancel" 0
check "the finished job is untouched" test "$(status_field "$SPOOL/done/fin" state)" = done
check "a symlink's target is untouched" test "$(cat "$T/outside/file")" = keep
check "chuted still works after all that" eval 'drop after ": ok" && wait_for 20 test -d "$SPOOL/done/after"'

# Cancels dropped as jobs finish.
# Staggered, so that some cancels meet a queued job, some a running one
# and some one that has just finished.
for i in $(seq 1 12); do
	drop "race$i" 'exit 0'
	sleep "0.0$(( (i % 4) * 3 ))"
	cancel "race$i"
done
check "every raced job ended" wait_for 30 eval 'test $(ls -d "$SPOOL"/done/race* "$SPOOL"/failed/race* 2>/dev/null | wc -l) -eq 12'
bad=0
for i in $(seq 1 12); do
	n=0
	for d in new run done failed; do [ -e "$SPOOL/$d/race$i" ] && n=$((n + 1)); done
	[ "$n" -eq 1 ] || bad=$((bad + 1))
	if [ -d "$SPOOL/done/race$i" ]; then
		[ "$(status_field "$SPOOL/done/race$i" state)/$(ledger_count "race$i")" = done/1 ] || bad=$((bad + 1))
	else
		[ "$(status_field "$SPOOL/failed/race$i" state)/$(status_field "$SPOOL/failed/race$i" reason)" = failed/cancelled ] || bad=$((bad + 1))
		[ "$(ledger_count "race$i")" -le 1 ] || bad=$((bad + 1))
	fi
done
diag "raced: $(ls -d "$SPOOL"/done/race* 2>/dev/null | wc -l) done, $(ls -d "$SPOOL"/failed/race* 2>/dev/null | wc -l) cancelled"
check "each in exactly one place, status consistent ($bad bad)" test "$bad" -eq 0
check "no doubled ledger line" test "$(ledger_dups)" -eq 0
check "no cancel file is left" wait_for 10 count_is "$SPOOL/cancel" 0
check "no runner ended abnormally" eval '! grep -q "ended abnormally" "$T/log" "$T/log2"'
finish 28
