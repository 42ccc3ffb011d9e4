#!/bin/bash
# SPDX-License-Identifier: MIT
# The runner pool: long-lived runners, one per slot. Jobs reuse at most
# `jobs` runners, never more than `jobs` handlers at once; a reused runner
# leaks no fd (its own count stays put, handlers see 0-2 only); a runner
# killed idle is replaced and costs no job; one killed busy loses its job
# (failed/ lost, once) and the next job gets a new runner; kill -9 of chuted
# while both runners are busy: each finishes its job, then exits, and a
# restarted chuted adopts them, nothing runs twice; idle runners exit with
# chuted; a reload retires runners, so the next job sees the new handler.
. "$(dirname "$0")/lib.sh"
echo "1..24"

mkspool
make_handler
write_conf "$T/conf" <<'EOF2'
jobs = 2
EOF2

# chuted's children (its runners): reaped ones are gone from this list.
kids() { cat "/proc/$CPID/task/$CPID/children" 2>/dev/null; }
nkids() { kids | wc -w; }
is_kid() { kids | tr ' ' '\n' | grep -qx "$1"; }
# Gone, or a zombie that only init has still to reap.
gone() { [ ! -e "/proc/$1" ] || [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" = Z ]; }
nfds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
pids_of() { for d in "$@"; do status_field "$d" runner_pid; done | sort -u; }
all_gone() { for p in "$@"; do gone "$p" || return 1; done; }
all_running() { for d in "$SPOOL"/run/*; do field_is "$d" state running || return 1; done; }

start_chuted "$T/conf" "$T/log1"
mkdir "$T/live"
# 30 short jobs, each noting how many handlers live at once.
drop_many q 30 ": > $T/live/\$CHUTE_ID; ls $T/live | wc -l >> $T/overlap; sleep 0.02; rm $T/live/\$CHUTE_ID"
maxkids=0
end=$(( $(now_ms) + 60000 ))
while [ "$(count "$SPOOL/done")" -lt 30 ] && [ "$(now_ms)" -lt "$end" ]; do
	k=$(nkids); [ "$k" -gt "$maxkids" ] && maxkids=$k
	sleep 0.02
done
check "30 short jobs end in done/" count_is "$SPOOL/done" 30
n=$(pids_of "$SPOOL"/done/q* | wc -l)
check "they ran in at most 2 runners, reused ($n)" test "$n" -ge 1 -a "$n" -le 2
check "chuted never had more than 2 children ($maxkids)" test "$maxkids" -le 2
max=$(sort -n "$T/overlap" | tail -1)
check "never more than 2 handlers at once ($max)" test "$max" -le 2
check "each ran once" test "$(ledger_dups)" -eq 0 -a "$(wc -l < "$T/ledger")" -eq 30

# A reused runner keeps no fd of its earlier jobs.
rp=$(status_field "$SPOOL/done/q00029" runner_pid)
f1=$(nfds "$rp")
drop_many r 10 ':'
wait_for 30 count_is "$SPOOL/done" 40
f2=$(nfds "$rp")
check "a runner's fds stay put across jobs ($f1, then $f2)" test "$f1" -gt 0 -a "$f1" -eq "$f2"
drop fds 'ls -l /proc/self/fd | grep -e "->" | grep -v "/proc/[0-9]*/fd$" | awk "{print \$9}" | sort -n | tr "\n" " " > "$1/fds.txt"'
wait_for 20 test -d "$SPOOL/done/fds"
check "a reused runner's handler has only fds 0-2 ($(cat "$SPOOL/done/fds/fds.txt"))" test "$(cat "$SPOOL/done/fds/fds.txt")" = "0 1 2 "

# kill -9 of an idle runner.
set -- $(kids)
idle=$1
check "an idle runner is a child of chuted" is_kid "$idle"
kill -9 "$idle"
check "chuted reaps it" wait_for 10 eval "! is_kid $idle"
drop_many s 6 ':'
check "jobs still run after an idle runner died" wait_for 30 count_is "$SPOOL/done" 47
check "none ran in the dead runner, none was lost" test "$(pids_of "$SPOOL"/done/s* | grep -cx "$idle")" -eq 0 -a "$(count "$SPOOL/failed")" -eq 0

# kill -9 of a busy runner: its job is lost, as before; the next one runs.
drop busy 'sleep 30'
wait_for 20 field_is "$SPOOL/run/busy" state running
bp=$(status_field "$SPOOL/run/busy" runner_pid)
check "the busy runner is a child of chuted" is_kid "$bp"
kill -9 "$bp"
check "its job fails as lost" wait_for 20 field_is "$SPOOL/failed/busy" reason lost
drop after ':'
check "the next job runs, in another runner" wait_for 20 test -d "$SPOOL/done/after"
check "not in the dead one; the lost job ran once" test "$(status_field "$SPOOL/done/after" runner_pid)" != "$bp" -a "$(ledger_count busy)" -eq 1

# kill -9 of chuted while both runners are busy.
for i in 1 2 3; do
	drop "b$i" "while [ ! -e $T/go ]; do sleep 0.05; done"
done
wait_for 20 count_is "$SPOOL/run" 2
wait_for 20 all_running
set -- $(pids_of "$SPOOL"/run/*)
r1=$1 r2=$2
kill -9 "$CPID"
start_chuted "$T/conf" "$T/log2"
check "the restarted chuted adopts both running jobs" test "$(grep -c 'adopted: its runner is alive' "$T/log2")" -eq 2
check "the old runners still run their jobs" test -d "/proc/$r1" -a -d "/proc/$r2" -a "$(count "$SPOOL/new")" -eq 1
: > "$T/go"
check "all three end in done/" wait_for 30 eval 'test -d $SPOOL/done/b1 -a -d $SPOOL/done/b2 -a -d $SPOOL/done/b3'
check "each ran once" test "$(ledger_count b1)$(ledger_count b2)$(ledger_count b3)" = 111
check "the old runners exit after their job" wait_for 10 eval "gone $r1 && gone $r2"
b3p=$(pids_of "$SPOOL/done/b3")
check "the queued one ran in a runner of the new chuted" is_kid "$b3p"

# A reload retires the runners: the next job sees the new handler.
sed 's/^echo "\$CHUTE_ID" >>/echo reloaded > "$1\/reloaded"; &/' "$T/handler" > "$T/handler2"
chmod 755 "$T/handler2"
{ grep -v '^handler' "$T/conf"; echo "handler = $T/handler2"; } > "$T/conf2"
mv "$T/conf2" "$T/conf"
kill -HUP "$CPID"
wait_for 10 grep -q "reloaded.*handler $T/handler2" "$T/log2"
drop newh ':'
wait_for 20 test -d "$SPOOL/done/newh"
check "after HUP a job runs the new handler" test -f "$SPOOL/done/newh/reloaded"

# Idle runners exit with chuted, even on kill -9.
check "chuted has an idle runner" wait_for 10 eval '[ "$(nkids)" -ge 1 ]'
set -- $(kids)
kill -9 "$CPID"
check "idle runners exit when chuted dies ($*)" wait_for 10 all_gone "$@"
finish 24
