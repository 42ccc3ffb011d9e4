#!/bin/bash
# SPDX-License-Identifier: MIT
# test_cli: black-box TAP tests of the real `chute` binary ($CHUTE) on real
# temporary spools: usage errors (64), bad configs (78), unknown and invalid
# IDs, bad inputs leaving tmp/ and new/ clean, the done-when of issue 2
# (init, submit, status --json), streaming from FIFOs and stdin, signals
# mid-stream (SIGKILL leaves the draft in tmp/ only; TERM/INT/HUP/PIPE leave
# nothing), a full filesystem and permissions (root only: tmpfs, setpriv).
# Every wait is bounded; the EXIT trap kills what it started and removes
# the temp dir.
set -u
tap_name=cli
. "$(dirname "$0")/tap.sh"

# clean DIR: tmp/ and new/ are both empty.
clean() {
	[ -z "$(ls -A "$1/tmp")" ] && [ -z "$(ls -A "$1/new")" ]
}

idre='^[0-9A-HJKMNP-TV-Z]{26}$'
S=$T/spool
CONF=$T/chute.conf
printf 'spool = %s\nmax_request = 64M\nfsync = yes\n' "$S" >"$CONF"
chmod 0644 "$CONF"
export CHUTE_CONFIG=$CONF

# ---- usage errors: 64, nothing on stdout, a hint -------------------------
run
expect "no command: usage error" 64 "try 'chute --help'"
run bogus
expect "unknown command: usage error" 64 "unknown command 'bogus'"
run cancel
expect "cancel without ID" 64 "missing job ID"
run retry A B
expect "retry with two IDs" 64 "unexpected argument 'B'"
run submit --timeout 5s
expect "submit --timeout without --wait" 64 "--timeout needs --wait"
check "... with a hint to submit's help" grep -qF "try 'chute submit --help'" "$T/err"
run status --wait --timeout soon ID
expect "status --timeout with a bad duration" 64 "invalid --timeout 'soon'"
run cancel --bogus ID
expect "cancel with an unknown option" 64 "unknown option '--bogus'"
# cancel and retry share status's --wait/--timeout parsing.
run cancel --timeout 5s ID
expect "cancel --timeout without --wait" 64 "--timeout needs --wait"
run retry --wait --timeout soon ID
expect "retry --timeout with a bad duration" 64 "invalid --timeout 'soon'"
run retry --json ID
expect "retry has no --json" 64 "unknown option '--json'"
run submit -x
expect "unknown short option" 64 "unknown option '-x'"
run status
expect "status without ID" 64 "missing job ID"
run status A B
expect "status with two IDs" 64 "unexpected argument 'B'"
run status --json=yes ID
expect "--json takes no argument" 64 "json"
run ls bogus
expect "ls with an unknown state" 64 "unknown state 'bogus'"
run ls queued 'done'
expect "ls with two states" 64 "unexpected argument"
run init a b
expect "init with two dirs" 64 "unexpected argument 'b'"
run submit -F novalue
expect "-F without '='" 64 "NAME=VALUE"
run submit -f name
expect "-f without '='" 64 "NAME=PATH"
run submit -c
expect "-c without its argument" 64 "needs an argument"
run submit --body a --body b
expect "--body twice" 64 "--body given twice"
run submit --id a --id b
expect "--id twice" 64 "--id given twice"
run submit -f a=- -f b=-
expect "stdin twice" 64 "stdin"
run submit extra
expect "submit with an operand" 64 "unexpected argument 'extra'"
run --config
expect "global -c without argument" 64 "try 'chute --help'"

# ---- configuration: 78 with file:line ----------------------------------
printf 'spool = %s\nbogus_key = 1\n' "$S" >"$T/bad.conf"
run -c "$T/bad.conf" ls
expect "unknown config key: exit 78 naming file:line" 78 "$T/bad.conf:2"
printf 'max_request = lots\n' >"$T/bad2.conf"
run status -c "$T/bad2.conf" 01ARZ3NDEKTSV4RRFFQ69G5FAV
expect "bad config value: exit 78 naming file:line" 78 "$T/bad2.conf:1"
run ls -c "$T/missing.conf"
expect "missing explicit -c config: 78" 78 "$T/missing.conf"
CHUTE_CONFIG=$T/missing-env.conf run ls
expect "missing \$CHUTE_CONFIG file: 78" 78 "$T/missing-env.conf"
run submit -c "$T/bad.conf" -F a=b
expect "submit with a bad config: 78" 78 "bad.conf:2"

# ---- init ----------------------------------------------------------------
run init
expect "init without DIR creates the configured spool" 0
check "init printed nothing" test ! -s "$T/out"
check "init made every state dir" \
	test -d "$S/tmp" -a -d "$S/new" -a -d "$S/run" -a -d "$S/done" -a \
	-d "$S/failed" -a -d "$S/cancel"
run init "$S"
expect "init again is fine" 0
old_umask=$(umask)
umask 077
run init "$T/modes"
umask "$old_umask"
expect "init under umask 077" 0
check "init modes: 2710 on the root, run/ done/ failed/; 2730 on tmp/ new/ cancel/" \
	test "$(cd "$T/modes" && stat -c '%a' . tmp new run 'done' failed cancel | tr '\n' ' ')" = \
	"2710 2730 2730 2710 2710 2710 2730 "
if getent group chute >/dev/null; then
	check "init gives the spool to group chute (it exists here)" \
		test "$(stat -c %G "$T/modes/new")" = chute
else
	check "init keeps the creator's group (no group chute here)" \
		test "$(stat -c %g "$T/modes/new")" = "$(id -g)"
fi
: >"$T/plainfile"
run init "$T/plainfile"
expect "init on a regular file fails" 1 "plainfile"
run ls -s "$T/nospool"
expect "ls on a missing spool fails" 1 "nospool: no spool here"

# ---- lookups -------------------------------------------------------------
run status 01ARZ3NDEKTSV4RRFFQ69G5FAV
expect "unknown ID" 1 "01ARZ3NDEKTSV4RRFFQ69G5FAV: no such job"
for bad in '../etc' '.hidden' 'a/b' 'with space'; do
	run status "$bad"
	expect "invalid ID '$bad'" 1 "invalid job ID"
done
run status ''
expect "empty ID" 1 "invalid job ID"

# ---- bad submissions leave tmp/ and new/ clean ----------------------------
for bad in '..' 'a/b' '' '.a' '-a' 'a~2'; do
	run submit -F "$bad=1"
	expect "invalid field name '$bad'" 64 "invalid field name"
	check "invalid field name '$bad' left tmp/ and new/ clean" clean "$S"
done
run submit -f "a/b=$CONF"
expect "invalid file field name" 64 "invalid field name 'a/b'"
run submit --id ../x
expect "invalid --id" 64 "invalid job name"

printf 'spool = %s\nmax_request = 1K\n' "$S" >"$T/tiny.conf"
head -c 4096 /dev/zero >"$T/4k"
run submit -c "$T/tiny.conf" -F a=b -f big="$T/4k"
expect "oversize file: request larger than max_request" 1 \
	"request larger than max_request \(1K\)"
check "oversize file left tmp/ and new/ clean" clean "$S"
run submit -c "$T/tiny.conf" -F big="$(head -c 2000 /dev/zero | tr '\0' x)"
expect "oversize field" 1 "max_request \(1K\)"
check "oversize field left tmp/ and new/ clean" clean "$S"
run submit -c "$T/tiny.conf" --body - <"$T/4k"
expect "oversize body from stdin" 1 "max_request \(1K\)"
check "oversize body left tmp/ and new/ clean" clean "$S"

run submit -F a=b -f f="$T/does-not-exist"
expect "nonexistent -f PATH" 1 "does-not-exist: no such file"
check "nonexistent -f PATH left tmp/ and new/ clean" clean "$S"
mkdir "$T/adir"
run submit -f f="$T/adir"
expect "directory as -f PATH" 1 "adir: is a directory"
check "directory as -f PATH left tmp/ and new/ clean" clean "$S"
run submit --body "$T/adir"
expect "directory as --body PATH" 1 "is a directory"
run submit -f f="$CONF" -f f="$CONF"
expect "the same file field twice" 1 "given twice"
check "the same file field twice left tmp/ and new/ clean" clean "$S"

# ---- the done-when of issue 2 --------------------------------------------
run submit -c "$CONF" -F a=b
expect "submit -F a=b succeeds" 0
id=$(cat "$T/out")
if [[ $id =~ $idre ]] && [ "$(wc -l <"$T/out")" -eq 1 ]; then
	ok "submit printed one generated ID ($id)"
else
	notok "submit printed one generated ID (got '$id')"
fi
check "the job is in new/ with fields/a = b" \
	test "$(cat "$S/new/$id/fields/a" 2>/dev/null)" = b
check "the job file has id, submitted and source cli" \
	test "$(json "$S/new/$id/job" \
	'(j["id"], j["source"], bool(j["submitted"]), j["fields"])')" = \
	"('$id', 'cli', True, ['a'])"
check "tmp/ is clean after a submit" test -z "$(ls -A "$S/tmp")"
run status "$id" --json
expect "status --json succeeds" 0
check "status --json says queued" \
	test "$(json "$T/out" '(j["id"], j["state"])')" = "('$id', 'queued')"
check "status --json is one line" test "$(wc -l <"$T/out")" -eq 1
run status "$id"
expect "status (human) succeeds" 0
check "status (human) shows ID and queued" grep -qE "^$id  queued" "$T/out"

# ---- options anywhere ----------------------------------------------------
run status -c "$CONF" --json "$id"
expect "status -c FILE --json ID" 0
run --json -s "$S" status "$id" -c "$CONF"
expect "options before and after the subcommand" 0
check "... and the output is JSON" test "$(json "$T/out" 'j["state"]')" = queued
POSIXLY_CORRECT=1 run status "$id" --json
expect "options after operands even with POSIXLY_CORRECT" 0
run status -- --json
expect "'--' ends the options" 1 "--json: invalid job ID"
mv "$S" "$T/spool2"
run status "$id" -s "$T/spool2" --json
expect "-s overrides the configured spool" 0
mv "$T/spool2" "$S"
run submit --help
expect "submit --help" 0
check "submit --help documents -F" grep -q -- "-F, --field" "$T/out"
run --help
expect "--help" 0
check "--help lists the subcommands" \
	sh -c "grep -q 'init' '$T/out' && grep -q 'submit' '$T/out' && grep -q 'status' '$T/out' && grep -q 'ls' '$T/out' && grep -q 'cancel ID' '$T/out' && grep -q 'retry ID' '$T/out'"
run ls --version
expect "--version after a subcommand" 0
check "--version prints the version" grep -qE '^chute [0-9]' "$T/out"

# ---- inputs ----------------------------------------------------------------
run submit -F a=1 -F a=2 -c "$CONF" -F a=3 -F b=x=y
expect "repeated field names" 0
rid=$(cat "$T/out")
check "repeated field values kept in order (a, a~2, a~3), '=' kept in values" \
	test "$(for f in a a~2 a~3 b; do cat "$S/new/$rid/fields/$f"; echo; done 2>&1)" = "$(printf '1\n2\n3\nx=y')"
check "the job file lists every field file" \
	test "$(json "$S/new/$rid/job" 'j["fields"]')" = "['a', 'a~2', 'a~3', 'b']"
printf 'hello\n' >"$T/hello.txt"
run submit -f up="$T/hello.txt" --body "$T/hello.txt"
expect "-f and --body from files" 0
fid=$(cat "$T/out")
check "files/up holds the file" cmp -s "$T/hello.txt" "$S/new/$fid/files/up"
check "body holds the file" cmp -s "$T/hello.txt" "$S/new/$fid/body"
check "the job file records filename (the basename) and size" \
	test "$(json "$S/new/$fid/job" '(j["files"]["up"]["filename"], j["files"]["up"]["size"])')" = "('hello.txt', 6)"
run submit -f in=- <<<"from stdin"
expect "-f NAME=- reads stdin" 0
check "files/in holds stdin" \
	test "$(cat "$S/new/$(cat "$T/out")/files/in" 2>/dev/null)" = "from stdin"
check "the job file has no filename for stdin" \
	test "$(json "$S/new/$(cat "$T/out")/job" 'j["files"]["in"].get("filename")')" = None
mkfifo "$T/fifo"
(printf 'through a fifo' >"$T/fifo") &
run submit -f ff="$T/fifo"
expect "-f from a FIFO streams" 0
check "files/ff holds what the FIFO carried" \
	test "$(cat "$S/new/$(cat "$T/out")/files/ff" 2>/dev/null)" = "through a fifo"

run submit --id my-job.1 -F a=first
expect "--id NAME" 0
check "--id prints NAME" test "$(cat "$T/out")" = my-job.1
run submit --id my-job.1 -F a=second
expect "duplicate --id (queued)" 1 "my-job.1: job already exists"
check "the first my-job.1 is untouched" \
	test "$(cat "$S/new/my-job.1/fields/a")" = first
check "duplicate --id left tmp/ clean" test -z "$(ls -A "$S/tmp")"
mkdir "$S/tmp/taken"
run submit --id taken -F a=b
expect "--id of a draft in tmp/ (EEXIST)" 1 "taken: job already exists"
check "the other producer's draft is left alone" test -d "$S/tmp/taken"
rmdir "$S/tmp/taken"

# ---- ls and status over every state --------------------------------------
run submit --id zz-done -F a=b
run submit --id aa-done -F a=b
run submit --id mm-run -F a=b
run submit --id ff-failed -F a=b
mv "$S/new/zz-done" "$S/new/aa-done" "$S/done/"
mv "$S/new/mm-run" "$S/run/"
mv "$S/new/ff-failed" "$S/failed/"
run submit --id zz-done -F a=b
expect "duplicate --id of a done job" 1 "zz-done: job already exists \(done\)"
check "duplicate --id of a done job left new/ without it" test ! -e "$S/new/zz-done"
run submit --id mm-run -F a=b
expect "duplicate --id of a running job" 1 "mm-run: job already exists \(running\)"
run submit --id ff-failed -F a=b
expect "duplicate --id of a failed job" 1 "ff-failed: job already exists \(failed\)"
check "... neither reached new/" test ! -e "$S/new/mm-run" -a ! -e "$S/new/ff-failed"
# The race: the name is free at submit's first look, then, while submit
# streams its input (blocked on a FIFO), another producer's job of that
# name is published and claimed into run/. draft_publish's second look,
# made while tmp/late holds the name, must refuse it.
mkfifo "$T/late-fifo"
timeout -k 5 30 "$CHUTE" submit --id late -f f="$T/late-fifo" \
	>"$T/late.out" 2>"$T/late.err" &
late=$!
if wait_until test -d "$S/tmp/late"; then
	mkdir "$S/run/late" && echo theirs >"$S/run/late/job"
fi
timeout 10 sh -c 'printf input >"$1"' sh "$T/late-fifo"
wait "$late"
rc=$?
check "--id taken while submit streams: exit 1 (got $rc)" test "$rc" -eq 1
check "... saying so" grep -q "late: job already exists" "$T/late.err"
check "... nothing in new/ or tmp/, the other job untouched" \
	sh -c "test ! -e '$S/new/late' && test -z \"\$(ls -A '$S/tmp')\" && test \"\$(cat '$S/run/late/job')\" = theirs"
rm -rf "$S/run/late" "$T/late-fifo"
touch "$S/new/.hidden" "$S/new/bad name" "$S/done/.tmp"
run ls
expect "ls" 0
{
	for x in "$S"/new/*; do
		b=${x##*/}
		[ "$b" = "bad name" ] || printf '%s\tqueued\n' "$b"
	done
	printf 'mm-run\trunning\naa-done\tdone\nzz-done\tdone\nff-failed\tfailed\n'
} >"$T/want"
if cmp -s "$T/want" "$T/out"; then
	ok "ls lists ID<TAB>STATE, sorted, in flow order, without dot-files or bad names"
else
	notok "ls lists ID<TAB>STATE, sorted, in flow order, without dot-files or bad names"
	diag "$T/want"
	diag "$T/out"
fi
run ls 'done'
expect "ls done" 0
check "ls done prints just the IDs, sorted" \
	test "$(tr '\n' ' ' <"$T/out")" = "aa-done zz-done "
run ls run
expect "ls run (alias)" 0
check "ls run lists mm-run" test "$(cat "$T/out")" = mm-run
run ls new
check "ls new (alias) equals ls queued" \
	test "$(cat "$T/out")" = "$(grep queued "$T/want" | cut -f1)"
run ls failed
check "ls failed lists ff-failed" test "$(cat "$T/out")" = ff-failed
rm -f "$S/new/.hidden" "$S/new/bad name" "$S/done/.tmp"

printf '45 halfway there\n' >"$S/run/mm-run/progress"
run status mm-run
expect "status of a running job" 0
check "status shows running and 'progress: 45% halfway there' off a terminal" \
	sh -c "grep -qE '^mm-run  running' '$T/out' && grep -qx 'progress: 45% halfway there' '$T/out'"
if command -v script >/dev/null &&
	SHELL=/bin/sh timeout 20 script -qec true /dev/null >/dev/null 2>&1; then
	SHELL=/bin/sh timeout 20 script -qec "'$CHUTE' status mm-run" /dev/null \
		>"$T/tty" 2>&1
	check "status on a terminal draws a progress bar" \
		grep -qF '[#########...........]  45% halfway there' "$T/tty"
else
	skip "status on a terminal draws a progress bar" \
		"script(1) cannot open a pseudo-terminal here"
fi
cat >"$S/failed/ff-failed/status" <<EOF
{"id": "ff-failed", "state": "failed", "attempt": 2,
 "submitted": "2026-01-02T03:04:05.000Z", "started": "2026-01-02T03:04:06.000Z",
 "finished": "2026-01-02T03:04:07.000Z", "exit_code": null, "signal": 9,
 "reason": "signal", "runner_pid": null}
EOF
run status ff-failed
expect "status of a failed job" 0
check "status shows attempt, signal, reason and times" \
	grep -qE '^ff-failed  failed  attempt 2  signal 9  reason signal  submitted 2026-01-02T03:04:05(\.000)?Z  started 2026-01-02T03:04:06(\.000)?Z  finished 2026-01-02T03:04:07(\.000)?Z$' "$T/out"
run status ff-failed --json
check "status --json of a failed job" \
	test "$(json "$T/out" '(j["state"], j["attempt"], j["signal"], j["reason"])')" = "('failed', 2, 9, 'signal')"

# ---- big files and signals mid-stream -------------------------------------
big=$T/big
fallocate -l 200M "$big" 2>/dev/null || head -c 200M /dev/zero >"$big"
printf 'spool = %s\nmax_request = 256M\n' "$S" >"$T/big.conf"
python3 -c '
import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
open(sys.argv[1], "w").write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(rc)' "$T/rss" "$CHUTE" submit -c "$T/big.conf" -f big="$big" >"$T/out" 2>"$T/err"
rc=$?
expect "a 200 MB file is submitted" 0
bid=$(cat "$T/out")
check "files/big has all 200 MB" \
	test "$(stat -c %s "$S/new/$bid/files/big" 2>/dev/null)" -eq $((200 << 20))
check "streamed, not held in memory (max RSS $(cat "$T/rss") KiB < 100 MiB)" \
	test "$(cat "$T/rss")" -lt 102400
rm -rf "${S:?}/new/$bid"

has_partial() {
	local sz
	sz=$(find "$S/tmp" -path '*/files/big' -type f -printf '%s\n' 2>/dev/null | head -n1)
	[ -n "$sz" ] && [ "$sz" -ge $((8 << 20)) ]
}
# start_stream: a writer that sends 8 MiB of the big file through the FIFO
# and then holds it open; chute streams from it in the background.
start_stream() {
	(head -c 8M "$big"; exec sleep 60) >"$T/fifo" &
	wpid=$!
	env --default-signal "$CHUTE" submit -c "$T/big.conf" -F a=b \
		-f big="$T/fifo" >"$T/out" 2>"$T/err" &
	cpid=$!
}
stop_writer() {
	kill -KILL "$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null
}

# Only this section's drafts from here on: new/ must stay empty.
rm -rf "${S:?}"/new/*
start_stream
if wait_until has_partial; then
	kill -KILL "$cpid"
	wait "$cpid"
	rc=$?
	check "SIGKILL mid-stream: chute died by SIGKILL" test "$rc" -eq 137
	check "SIGKILL mid-stream: nothing in new/" test -z "$(ls -A "$S/new")"
	check "SIGKILL mid-stream: the partial draft stays in tmp/" \
		test "$(find "$S/tmp" -mindepth 1 -maxdepth 1 | wc -l)" -eq 1
else
	notok "SIGKILL mid-stream: chute never got 8 MiB into tmp/"
	diag "$T/err"
fi
stop_writer
rm -rf "${S:?}"/tmp/*

for sig in TERM INT HUP PIPE; do
	start_stream
	if wait_until has_partial; then
		kill -s "$sig" "$cpid"
		wait "$cpid"
		rc=$?
		want=$((128 + $(kill -l "$sig")))
		expect "SIG$sig mid-stream: dies by SIG$sig ($want) with a message" \
			"$want" "interrupted by SIG$sig; nothing submitted"
		check "SIG$sig mid-stream: tmp/ and new/ clean" clean "$S"
	else
		notok "SIG$sig mid-stream: chute never got 8 MiB into tmp/"
		diag "$T/err"
	fi
	stop_writer
	rm -rf "${S:?}"/tmp/*
done
rm -f "$big"

# ---- root only: a full filesystem, permissions ----------------------------
if [ "$(id -u)" -eq 0 ]; then
	mkdir "$T/full"
	if mount -t tmpfs -o size=512k,mode=0755 tmpfs "$T/full" 2>"$T/mount.err"; then
		mounted=$T/full
		run init "$T/full/spool"
		head -c 1M /dev/zero >"$T/1m"
		run submit -s "$T/full/spool" -F a=b -f big="$T/1m"
		expect "full spool filesystem: clear error" 1 "spool filesystem is full"
		check "full spool filesystem: tmp/ and new/ clean" clean "$T/full/spool"
		umount "$T/full" && mounted=
	else
		# Root without CAP_SYS_ADMIN (a container): say why.
		skip "full spool filesystem: clear error" \
			"cannot mount a tmpfs: $(head -n1 "$T/mount.err")"
	fi
else
	skip "full spool filesystem: clear error" "needs root to mount a tmpfs"
fi

if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	P=$T/perm
	run init "$P"
	expect "init a spool as root" 0
	cp "$CHUTE" "$T/chute-copy" && chmod 0755 "$T/chute-copy"
	nobody() {
		timeout -k 5 30 setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$T/chute-copy" "$@" >"$T/out" 2>"$T/err"
		rc=$?
	}
	chgrp root "$P"
	nobody ls -s "$P"
	expect "ls by a stranger: permission denied" 1 "permission denied"
	# Now as a member of the spool's group: may create and read, not list.
	chgrp -R 65534 "$P"
	run submit -s "$P" -F a=b
	pid_=$(cat "$T/out")
	nobody ls -s "$P"
	expect "ls by the spool's group: cannot list queued: permission denied" \
		1 "cannot list queued: permission denied"
	nobody status -s "$P" "$pid_" --json
	expect "status of a known ID by the spool's group works" 0
	nobody submit -s "$P" -F who=group
	expect "submit by the spool's group works" 0
else
	skip "permissions as uid 65534" "needs root and setpriv"
fi

echo "1..$n"
