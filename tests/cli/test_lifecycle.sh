#!/bin/bash
# SPDX-License-Identifier: MIT
# test_lifecycle: black-box TAP tests of issue 5 with the real `chute`
# ($CHUTE): cancel, retry and --wait. chuted is not needed: the watcher is
# played by plain shell moves and writes, the real file protocol it follows
# (mv new/ID run/ID, an atomic status, progress lines, mv run/ID done/ID).
# When $CHUTED is set (the real watcher was built), one end-to-end case
# runs it. Every wait is bounded (timeout); the EXIT trap kills what this
# script started and removes the temp dir.
set -u
CHUTED=${CHUTED:-}
tap_name=lifecycle
. "$(dirname "$0")/tap.sh"

S=$T/spool
CONF=$T/chute.conf
printf 'spool = %s\nfsync = yes\n' "$S" >"$CONF"
export CHUTE_CONFIG=$CONF
"$CHUTE" init || { echo "1..0 # chute init failed"; exit 1; }

# ---- the simulated watcher (the real file protocol) ----------------------
# submit_job NAME: a queued job named NAME.
submit_job() { "$CHUTE" submit --id "$1" -F a=b >/dev/null; }
# claim ID: new/ -> run/, with a running status, as a runner starts it.
claim() {
	mv "$S/new/$1" "$S/run/$1" &&
		put_status "$S/run/$1" "{\"id\": \"$1\", \"state\": \"running\", \"attempt\": 1, \"started\": \"2026-01-01T00:00:01Z\"}"
}
# put_status DIR JSON: replaced atomically (write, rename), as the runner.
put_status() { printf '%s\n' "$2" >"$1/.status.tmp" && mv "$1/.status.tmp" "$1/status"; }
# progress ID LINE: the handler's progress line, written in place.
progress() { printf '%s\n' "$2" >"$S/run/$1/progress"; }
# finish ID STATE REASON EXIT SIGNAL: the final status, then run/ -> STATE/.
finish() {
	local code=${4:-null} sig=${5:-null}
	put_status "$S/run/$1" "{\"id\": \"$1\", \"state\": \"$2\", \"attempt\": 1, \"started\": \"2026-01-01T00:00:01Z\", \"finished\": \"2026-01-01T00:00:02Z\", \"exit_code\": $code, \"signal\": $sig, \"reason\": \"$3\", \"attempts\": [{\"attempt\": 1, \"reason\": \"$3\"}]}" &&
		mv "$S/run/$1" "$S/$2/$1"
}

# ---- cancel --------------------------------------------------------------
submit_job c1
run cancel c1
expect "cancel a queued job" 0
check "... prints nothing" test ! -s "$T/out"
check "... creates cancel/c1 (mode 0640), the job untouched" \
	sh -c "test -f '$S/cancel/c1' && test \"\$(stat -c %a '$S/cancel/c1')\" = 640 && test -d '$S/new/c1'"
run cancel c1
expect "cancel is idempotent" 0
check "... still one request" test "$(ls "$S/cancel" | wc -l)" -eq 1
run cancel no-such-job
expect "cancel an unknown job" 1 "^chute: no-such-job: no such job$"
for bad in '../x' '.hidden' 'a/b'; do
	run cancel "$bad"
	expect "cancel an invalid ID '$bad'" 1 "invalid job ID"
done
submit_job c-done
claim c-done && finish c-done 'done' exit 0
run cancel c-done
expect "cancel a done job" 1 "^chute: c-done: already finished \(done\)$"
submit_job c-failed
claim c-failed && finish c-failed failed exit 2
run cancel c-failed
expect "cancel a failed job" 1 "c-failed: already finished \(failed\)"
check "... no request for finished jobs" \
	test ! -e "$S/cancel/c-done" -a ! -e "$S/cancel/c-failed"
submit_job c-run
claim c-run
run cancel c-run
expect "cancel a running job" 0

# cancel --wait: the watcher honours the request, the wait exits 125.
submit_job c-wait
claim c-wait
timeout -k 5 30 "$CHUTE" cancel --wait c-wait >"$T/cw.out" 2>"$T/cw.err" &
cw=$!
wait_until test -e "$S/cancel/c-wait"
finish c-wait failed cancelled null 15 && rm -f "$S/cancel/c-wait"
wait "$cw"
rc=$?
check "cancel --wait exits 125 once the job is cancelled (got $rc)" test "$rc" -eq 125
check "... and prints nothing" test ! -s "$T/cw.out"

# ---- retry ---------------------------------------------------------------
submit_job r1
claim r1
cat >"$S/run/r1/status.new" <<'EOF'
{"id": "r1", "state": "failed", "attempt": 2, "submitted": "2026-01-01T00:00:00Z",
 "started": "2026-01-01T00:00:05Z", "finished": "2026-01-01T00:00:06Z",
 "exit_code": 3, "signal": null, "reason": "exit", "runner_pid": 4242,
 "not_before": "2026-01-01T00:01:00Z",
 "attempts": [{"attempt": 1, "reason": "exit", "exit_code": 1},
              {"attempt": 2, "reason": "exit", "exit_code": 3}]}
EOF
mv "$S/run/r1/status.new" "$S/run/r1/status"
mv "$S/run/r1" "$S/failed/r1"
: >"$S/cancel/r1" # a stale request from the failed attempt
run retry r1
expect "retry a failed job" 0
check "... prints nothing" test ! -s "$T/out"
check "... the job is back in new/ (and not in failed/)" \
	test -d "$S/new/r1" -a ! -e "$S/failed/r1"
check "... status reset: queued, attempt 0, times/outcome/not_before null" \
	test "$(json "$S/new/r1/status" '(j["state"], j["attempt"], j["started"], j["finished"], j["exit_code"], j["signal"], j["reason"], j["runner_pid"], j.get("not_before"))')" = \
	"('queued', None, None, None, None, None, None, None, None)"
check "... submitted and the attempts history kept" \
	test "$(json "$S/new/r1/status" '(j["submitted"][:19], [a["attempt"] for a in j["attempts"]])')" = \
	"('2026-01-01T00:00:00', [1, 2])"
check "... the stale cancel request is gone" test ! -e "$S/cancel/r1"
check "... tmp/ is clean" test -z "$(ls -A "$S/tmp")"
run status r1 --json
check "status after retry says queued" test "$(json "$T/out" 'j["state"]')" = queued

run retry r1
expect "retry a queued job" 1 "^chute: r1: not failed \(queued\)$"
run retry c-done
expect "retry a done job" 1 "c-done: not failed \(done\)"
submit_job r-run
claim r-run
run retry r-run
expect "retry a running job" 1 "r-run: not failed \(running\)"
run retry no-such-job
expect "retry an unknown job" 1 "no-such-job: no such job"
run retry '../x'
expect "retry an invalid ID" 1 "invalid job ID"
mkdir "$S/failed/r-rej"
ln -s /etc/passwd "$S/failed/r-rej/job"
put_status "$S/failed/r-rej" '{"id": "r-rej", "state": "failed", "reason": "rejected"}'
run retry r-rej
expect "retry a rejected entry" 1 "r-rej: a rejected entry cannot be retried"
check "... it stays in failed/" test -d "$S/failed/r-rej"

# Two retries at once: exactly one wins, every round.
submit_job r-race
claim r-race && finish r-race failed exit 1
bad=0
for round in 1 2 3 4 5 6 7 8 9 10; do
	"$CHUTE" retry r-race >"$T/ra.out" 2>"$T/ra.err" &
	a=$!
	"$CHUTE" retry r-race >"$T/rb.out" 2>"$T/rb.err" &
	b=$!
	wait "$a"
	ra=$?
	wait "$b"
	rb=$?
	wins=$(( (ra == 0) + (rb == 0) ))
	if [ "$wins" -ne 1 ] || [ $((ra + rb)) -ne 1 ] ||
		! grep -qE 'r-race: (another process is retrying|not failed \(queued\))' "$T/ra.err" "$T/rb.err" ||
		[ ! -d "$S/new/r-race" ] || [ -n "$(ls -A "$S/tmp")" ]; then
		bad=$((bad + 1))
		diag "$T/ra.err" "$T/rb.err"
	fi
	mv "$S/new/r-race" "$S/failed/r-race"
done
check "two concurrent retries: exactly one wins, the other says why (10 rounds, $bad bad)" \
	test "$bad" -eq 0

# retry --wait: requeued, then followed until the watcher has run it again.
timeout -k 5 30 "$CHUTE" retry --wait r-race >"$T/rw.out" 2>"$T/rw.err" &
rw=$!
wait_until test -d "$S/new/r-race"
claim r-race && finish r-race 'done' exit 0 null
wait "$rw"
rc=$?
check "retry --wait follows the requeued job to done: exit 0 (got $rc)" test "$rc" -eq 0
[ "$rc" -eq 0 ] || diag "$T/rw.err"

# ---- --wait: exit codes ---------------------------------------------------
# wait_case DESC WANT STATE REASON EXIT SIGNAL: a running job, a waiter in
# the background, the watcher finishes it; the waiter's exit is WANT.
k=0
wait_case() {
	local desc=$1 want=$2 id
	k=$((k + 1))
	id=w$k
	submit_job "$id"
	claim "$id"
	timeout -k 5 30 "$CHUTE" status --wait "$id" >"$T/w.out" 2>"$T/w.err" &
	local w=$!
	progress "$id" "45 halfway"
	finish "$id" "$3" "$4" "$5" "$6"
	wait "$w"
	rc=$?
	if [ "$rc" -eq "$want" ]; then
		ok "status --wait: $desc -> $want"
	else
		notok "status --wait: $desc -> $want (got $rc)"
		diag "$T/w.err"
	fi
}
wait_case "done" 0 'done' exit 0 null
wait_case "handler exit 3" 3 failed exit 3 null
wait_case "signal 9" 137 failed signal null 9
wait_case "timeout" 124 failed timeout null 15
wait_case "cancelled" 125 failed cancelled null 15
wait_case "lost runner" 126 failed lost null null
wait_case "rejected entry" 127 failed rejected null null

# The plain lines (stdout is not a terminal), in order.
submit_job p1
timeout -k 5 30 "$CHUTE" status p1 --wait >"$T/p.out" 2>"$T/p.err" &
pw=$!
wait_until grep -qx queued "$T/p.out"
claim p1
wait_until grep -q '^running' "$T/p.out"
progress p1 "45 halfway there"
wait_until grep -qx '45% halfway there' "$T/p.out"
progress p1 "90 nearly"
wait_until grep -qx '90% nearly' "$T/p.out"
finish p1 'done' exit 0 null
wait "$pw"
rc=$?
# (a bare "running" may come first: the move and the status are two steps)
check "status --wait off a terminal: one line per change, woken by each (exit $rc)" \
	test "$rc" -eq 0 -a "$(grep -vx running "$T/p.out" | tr '\n' '|')" = \
	"queued|running  attempt 1|45% halfway there|90% nearly|done  attempt 1  exit 0  reason exit|"
[ "$rc" -eq 0 ] || diag "$T/p.out" "$T/p.err"

# --json: one JSON object per change, the last one the end.
submit_job j1
claim j1
timeout -k 5 30 "$CHUTE" status --json --wait j1 >"$T/j.out" 2>"$T/j.err" &
jw=$!
wait_until grep -q running "$T/j.out"
finish j1 failed exit 4 null
wait "$jw"
rc=$?
check "status --wait --json: JSON lines, the last says failed (exit $rc)" \
	sh -c "test $rc -eq 4 && python3 -c 'import json, sys; ls = [json.loads(l) for l in open(sys.argv[1])]; sys.exit(not (ls[0][\"state\"] == \"running\" and ls[-1][\"state\"] == \"failed\" and ls[-1][\"exit_code\"] == 4))' '$T/j.out'"

# A progress bar on a terminal: redrawn with \r, the percent, a newline.
if command -v script >/dev/null &&
	SHELL=/bin/sh timeout 20 script -qfec true /dev/null >/dev/null 2>&1; then
	submit_job tty1
	claim tty1
	progress tty1 "45 drawing"
	(SHELL=/bin/sh timeout -k 5 30 script -qfec "'$CHUTE' status --wait tty1" /dev/null >"$T/tty.out" 2>&1) &
	tw=$!
	wait_until grep -q '45%' "$T/tty.out"
	finish tty1 'done' exit 0 null
	wait "$tw"
	check "status --wait on a terminal draws a bar in place ('\\r', 45%, [####...])" \
		python3 -c 'import sys; b = open(sys.argv[1], "rb").read(); sys.exit(not (b"\r" in b and b"45% drawing" in b and b"[#########" in b and b"done" in b and b.rstrip(b"\r\n") != b and b"\n" not in b.split(b"45%")[0]))' "$T/tty.out"
else
	notok "status --wait on a terminal: script(1) cannot open a pseudo-terminal here"
fi

# submit --wait: the ID first, then the wait; the handler's code at the end.
timeout -k 5 30 "$CHUTE" submit --id s1 -F a=b --wait >"$T/s.out" 2>"$T/s.err" &
sw=$!
wait_until test -d "$S/new/s1"
claim s1
finish s1 failed exit 5 null
wait "$sw"
rc=$?
check "submit --wait returns after the watcher finished the job: exit 5 (got $rc)" \
	test "$rc" -eq 5
check "... its first line is the ID, its last the outcome" \
	sh -c "test \"\$(head -n1 '$T/s.out')\" = s1 && tail -n1 '$T/s.out' | grep -q '^failed  attempt 1  exit 5  reason exit$'"

# A signal during submit --wait ends the wait (by that signal), not the job.
env --default-signal "$CHUTE" submit --id s2 -F a=b --wait >"$T/s2.out" 2>"$T/s2.err" &
sw=$!
if wait_until grep -qx queued "$T/s2.out"; then
	kill -TERM "$sw"
	wait "$sw"
	rc=$?
	check "SIGTERM during submit --wait: dies by SIGTERM (got $rc), the job stays queued" \
		test "$rc" -eq 143 -a -d "$S/new/s2"
else
	notok "SIGTERM during submit --wait: the wait never showed the job queued"
	diag "$T/s2.err"
fi

# --timeout: the wait gives up with 75, the job goes on.
submit_job t1
run status t1 --wait --timeout 1s
ALLOW_OUT=1 expect "status --wait --timeout on a queued job: 75" 75 "t1: still queued; stopped waiting"
check "... the job is still queued" test -d "$S/new/t1"
run status no-such-job --wait
expect "status --wait of an unknown job: 1" 1 "no-such-job: no such job"

# A hand-dropped plain file: no directory to watch until it is claimed.
printf 'payload\n' >"$S/new/plain1"
timeout -k 5 30 "$CHUTE" status --wait plain1 >"$T/pf.out" 2>"$T/pf.err" &
fw=$!
wait_until grep -qx queued "$T/pf.out"
mkdir "$S/run/plain1" && mv "$S/new/plain1" "$S/run/plain1/job"
finish plain1 failed signal null 15
wait "$fw"
rc=$?
check "status --wait of a hand-dropped file follows it through its claim: 143 (got $rc)" \
	test "$rc" -eq 143

# ---- a producer in the spool's group (root only: setpriv) ---------------
# It may search the state dirs, not list or watch them; the wait watches
# the job directory itself: /proc/PID/fdinfo shows the watch on its inode.
# watches PID DIR: PID has an inotify watch on DIR's inode.
watches() {
	local ino
	ino=$(printf '%x' "$(stat -c %i "$2")")
	grep -qsE "^inotify wd:[0-9]+ ino:$ino " /proc/"$1"/fdinfo/* 2>/dev/null
}
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	P=$T/perm
	"$CHUTE" init "$P"
	cp "$CHUTE" "$T/chute-copy" && chmod 0755 "$T/chute-copy"
	"$CHUTE" submit -s "$P" --id g1 -F a=b >/dev/null
	chgrp -R 65534 "$P"
	mv "$P/new/g1" "$P/run/g1"
	put_status "$P/run/g1" '{"id": "g1", "state": "running", "attempt": 1}'
	chmod 0644 "$P/run/g1/status"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$T/chute-copy" status -s "$P" --wait g1 >"$T/g.out" 2>"$T/g.err" &
	gw=$!
	if wait_until watches "$gw" "$P/run/g1"; then
		ok "group producer: status --wait watches the job directory (inotify)"
	else
		notok "group producer: status --wait watches the job directory (inotify)"
		diag "$T/g.err"
	fi
	put_status "$P/run/g1" '{"id": "g1", "state": "failed", "attempt": 1, "exit_code": 6, "reason": "exit"}'
	chmod 0644 "$P/run/g1/status"
	mv "$P/run/g1" "$P/failed/g1"
	wait_until sh -c "! kill -0 $gw 2>/dev/null"
	kill -KILL "$gw" 2>/dev/null
	wait "$gw"
	rc=$?
	check "group producer: status --wait follows the move to failed/: exit 6 (got $rc)" \
		test "$rc" -eq 6
	[ "$rc" -eq 6 ] || diag "$T/g.err"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$T/chute-copy" cancel -s "$P" g1 >"$T/out" 2>"$T/err"
	rc=$?
	expect "group producer: cancel of a finished job is refused" 1 "already finished \(failed\)"
	"$CHUTE" submit -s "$P" --id g2 -F a=b >/dev/null
	chgrp -R 65534 "$P/new/g2"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$T/chute-copy" cancel -s "$P" g2 >"$T/out" 2>"$T/err"
	rc=$?
	expect "group producer: cancel of a queued job (cancel/ is create-only)" 0
	check "... cancel/g2 is there" test -f "$P/cancel/g2"
else
	n=$((n + 1))
	echo "ok $n - group producer: --wait and cancel # SKIP needs root and setpriv"
fi

# ---- end to end with the real chuted --------------------------------------
if [ -n "$CHUTED" ] && [ -x "$CHUTED" ]; then
	E=$T/e2e
	printf '#!/bin/sh\necho "50 working" > progress\nexit 3\n' >"$T/handler3"
	chmod 0755 "$T/handler3"
	printf 'spool = %s\nhandler = %s\njobs = 1\nfsync = no\n' "$E" "$T/handler3" >"$T/e2e.conf"
	"$CHUTE" -c "$T/e2e.conf" init
	"$CHUTED" -c "$T/e2e.conf" >"$T/chuted.log" 2>&1 &
	cd_pid=$!
	timeout -k 5 60 "$CHUTE" -c "$T/e2e.conf" submit -F a=b --wait >"$T/e.out" 2>"$T/e.err"
	rc=$?
	check "end to end with chuted: submit --wait of a handler that exits 3 -> 3 (got $rc)" \
		test "$rc" -eq 3
	[ "$rc" -eq 3 ] || diag "$T/e.err" "$T/chuted.log"
	kill -TERM "$cd_pid" 2>/dev/null
	wait "$cd_pid" 2>/dev/null
else
	notok "end to end with chuted: CHUTED is not set (chuted was not built)"
fi

echo "1..$n"
