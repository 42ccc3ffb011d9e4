#!/bin/bash
# SPDX-License-Identifier: MIT
# chuted's main flow with real processes: jobs present before start, 1000
# jobs dropped while it runs (each run exactly once), `jobs = 2` respected,
# the handler's argv/cwd/env/fds, non-zero exit and death by signal, bad
# entries in new/ (never followed, never blocking), USR1 counts, and SIGHUP
# reloads (a broken config is kept out; a missing or non-executable handler
# fails jobs with exit 127 and a clear line in JOBDIR/stderr).
. "$(dirname "$0")/lib.sh"
echo "1..32"

mkspool
make_handler
write_conf "$T/conf" <<'EOF2'
jobs = 2
EOF2

# Before start: two job dirs and one plain file.
drop pre1
drop pre2
echo ': plain job' > "$SPOOL/tmp/pre3" && mv "$SPOOL/tmp/pre3" "$SPOOL/new/pre3"
check "chuted starts and says ready" start_chuted "$T/conf" "$T/log"
check "jobs present before start are run" wait_for 20 count_is "$SPOOL/done" 3
check "a plain file became run/ID/job" test -f "$SPOOL/done/pre3/job"
check "its status says done, attempt 1" test "$(status_field "$SPOOL/done/pre3" state)/$(status_field "$SPOOL/done/pre3" attempt)" = done/1

# 1000 jobs dropped by rename while chuted runs.
t0=$(now_ms)
drop_many bulk 1000
diag "dropping took $(( $(now_ms) - t0 )) ms"
check "1000 dropped jobs all end in done/" wait_for 150 count_is "$SPOOL/done" 1003
t1=$(now_ms)
diag "1000 trivial jobs (jobs = 2, fsync = no) done $(( t1 - t0 )) ms after the first drop"
n=$(grep -c '^bulk' "$T/ledger")
check "each bulk job ran exactly once (ledger: $n lines)" test "$n" -eq 1000 -a "$(ledger_dups)" -eq 0
check "nothing left in new/ or run/" test "$(count "$SPOOL/new")" -eq 0 -a "$(count "$SPOOL/run")" -eq 0
check "one log line per transition" test "$(grep -c 'bulk[0-9]* done: exit 0 (exit), attempt 1, queued [0-9.]*s, ran [0-9.]*s' "$T/log")" -eq 1000

# jobs = 2: never more than two handlers at once.
mkdir "$T/live"
for i in 1 2 3 4 5 6; do
	drop "par$i" ": > $T/live/\$CHUTE_ID; ls $T/live | wc -l >> $T/overlap; sleep 0.3; rm $T/live/\$CHUTE_ID"
done
check "six slow jobs done" wait_for 30 count_is "$SPOOL/done" 1009
max=$(sort -n "$T/overlap" | tail -1)
diag "most handlers seen at once: $max"
check "never more than 2 handlers at once" test "$max" -le 2

# What a handler sees.
drop envjob '{ echo "argv1=$1"; echo "pwd=$(pwd)"; echo "id=$CHUTE_ID"; echo "job=$CHUTE_JOB"; echo "attempt=$CHUTE_ATTEMPT"; echo "spool=$CHUTE_SPOOL"; } > "$1/env.txt"; ls -l /proc/self/fd | grep -e "->" | grep -v "/proc/[0-9]*/fd$" | awk "{print \$9}" | sort -n | tr "\n" " " > "$1/fds.txt"; echo to-stdout; echo to-stderr >&2'
check "env job done" wait_for 20 test -d "$SPOOL/done/envjob"
E=$SPOOL/done/envjob
check "argv[1] and cwd are SPOOL/run/ID" grep -qx "argv1=$SPOOL/run/envjob" "$E/env.txt"
check "cwd is JOBDIR" grep -qx "pwd=$SPOOL/run/envjob" "$E/env.txt"
check "CHUTE_ID, CHUTE_JOB, CHUTE_ATTEMPT, CHUTE_SPOOL" test "$(grep -c -e "^id=envjob$" -e "^job=$SPOOL/run/envjob/job$" -e '^attempt=1$' -e "^spool=$SPOOL$" "$E/env.txt")" -eq 4
diag "fds the handler passed on: $(cat "$E/fds.txt")"
check "the handler has only fds 0-2" test "$(cat "$E/fds.txt")" = "0 1 2 "
check "stdout and stderr land in JOBDIR" test "$(cat "$E/stdout")/$(cat "$E/stderr")" = "to-stdout/to-stderr"

# Non-zero exit and death by signal.
drop exit3 'exit 3'
drop killed 'kill -KILL $$'
check "failing jobs land in failed/" wait_for 20 test -d "$SPOOL/failed/exit3" -a -d "$SPOOL/failed/killed"
check "exit 3: status failed, exit_code 3, reason exit" test "$(status_field "$SPOOL/failed/exit3" state)/$(status_field "$SPOOL/failed/exit3" exit_code)/$(status_field "$SPOOL/failed/exit3" reason)" = failed/3/exit
check "SIGKILL: signal 9, reason signal" test "$(status_field "$SPOOL/failed/killed" signal)/$(status_field "$SPOOL/failed/killed" exit_code)/$(status_field "$SPOOL/failed/killed" reason)" = 9/null/signal

# Bad entries: never followed, never blocking.
sum=$(md5sum < /etc/passwd)
ln -s /etc/passwd "$SPOOL/new/evil"
mkfifo "$SPOOL/new/fifo"
mkdir "$SPOOL/tmp/nojob" && mv "$SPOOL/tmp/nojob" "$SPOOL/new/nojob"
mkdir "$SPOOL/tmp/x" && echo : > "$SPOOL/tmp/x/job" && mv "$SPOOL/tmp/x" "$SPOOL/new/bad
name"
drop good
check "a good job dropped after bad entries runs" wait_for 20 test -d "$SPOOL/done/good"
check "dir without job file rejected to failed/" wait_for 20 field_is "$SPOOL/failed/nojob" reason rejected
check "symlink and FIFO rejected to failed/ as they are" test -L "$SPOOL/failed/evil/job" -a -p "$SPOOL/failed/fifo/job"
check "the name with a newline left new/" wait_for 20 count_is "$SPOOL/new" 0
check "the symlink was never followed" test "$(md5sum < /etc/passwd)" = "$sum" -a "$(ledger_count evil)" -eq 0

# A plain file written in place: claimed once its writer closed it.
echo ': in place' > "$SPOOL/new/inplace"
check "a file written in place into new/ runs" wait_for 20 test -f "$SPOOL/done/inplace/job"

# USR1 and HUP.
kill -USR1 "$CPID"
check "USR1 logs counts" wait_for 10 grep -q 'counts: .* done' "$T/log"
cp "$T/conf" "$T/conf.good"
printf 'jobs = 2\nthis is not ini\n' >> "$T/conf"
kill -HUP "$CPID"
check "a broken config on HUP is logged with file:line" wait_for 10 grep -q "reload failed.*$T/conf:[0-9]" "$T/log"
drop afterbad
check "the old config is kept: still serving" wait_for 20 test -d "$SPOOL/done/afterbad"
{ grep -v '^handler' "$T/conf.good"; echo "handler = $T/nonexistent"; } > "$T/conf"
kill -HUP "$CPID"
wait_for 10 grep -q "reloaded.*handler $T/nonexistent" "$T/log"
drop nohandler
wait_for 20 test -d "$SPOOL/failed/nohandler"
check "a missing handler fails the job with exit 127" test "$(status_field "$SPOOL/failed/nohandler" exit_code)/$(status_field "$SPOOL/failed/nohandler" reason)" = 127/exit
check "its stderr says why" grep -qx "chute: cannot execute $T/nonexistent: No such file or directory" "$SPOOL/failed/nohandler/stderr"
cp "$T/handler" "$T/noexec" && chmod 644 "$T/noexec"
{ grep -v '^handler' "$T/conf.good"; echo "handler = $T/noexec"; } > "$T/conf"
kill -HUP "$CPID"
wait_for 10 grep -q "reloaded.*handler $T/noexec" "$T/log"
drop noexec
wait_for 20 test -d "$SPOOL/failed/noexec"
check "a non-executable handler: exit 127, Permission denied" test "$(status_field "$SPOOL/failed/noexec" exit_code)" = 127 -a "$(grep -c "cannot execute $T/noexec: Permission denied" "$SPOOL/failed/noexec/stderr")" -eq 1
check "chuted is alive and wrote nothing to stdout" test "$(alive "$CPID" && wc -c < "$T/log.stdout")" = 0
kill -TERM "$CPID"
wait "$CPID"
rc=$?
test "$rc" -eq 0 || diag "exit status $rc"
grep -E 'warning|error' "$T/log" | grep -v -e rejected -e 'reload failed' -e 'failed: ' | sed 's/^/# /'
finish 32
