#!/bin/bash
# SPDX-License-Identifier: MIT
# Faults: a full filesystem (a small tmpfs, root only) during a CGI submit
# (503, nothing in new/, tmp/ clean), during `chute submit` (a clear error)
# and while a handler writes a big result (the job fails with a reason,
# chuted keeps serving: the next job runs once space is back; its status is
# true, written into the room reserved before the handler started; so is
# the status of a job whose runner is killed on the full filesystem); a
# state dir
# removed under a running chuted, and new/ made unwritable to a chuted
# running as uid 65534: chuted logs and recovers, a job dropped after the
# fix runs. (A missing or non-executable handler and a config that turns bad
# on HUP are covered by tests/watcher.)
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root to mount a tmpfs"
	exit 0
fi
. "$(dirname "$0")/glib.sh"
: "${CHUTE:?}" "${CHUTE_CGI:?}"
chmod 0755 "$T"
mkdir "$T/fs"
if ! mount -t tmpfs -o size=1m,mode=0755 tmpfs "$T/fs" 2>"$T/mount.err"; then
	echo "1..0 # SKIP cannot mount a tmpfs: $(head -n1 "$T/mount.err")"
	exit 0
fi
umount_fs() { umount "$T/fs" 2>/dev/null || umount -l "$T/fs"; cleanup; }
trap umount_fs EXIT
plan=29
echo "1..$plan"

SPOOL=$T/fs/spool
mkspool
cat > "$T/handler" <<HEOF
#!/bin/sh
echo \$\$ > "$T/hpids/\$\$"
echo "\$CHUTE_ID" >> "$T/ledger"
case "\$(head -c 3 "\$CHUTE_JOB")" in
big) mkdir -p result && exec dd if=/dev/zero of=result/big bs=64k count=64 ;;
hog) mkdir -p result; dd if=/dev/zero of=result/hog bs=64k count=64
	: > "$T/hog.full"; exec sleep 120 ;;
esac
exit 0
HEOF
chmod 755 "$T/handler"
write_conf "$T/conf" <<'EOF2'
jobs = 2
EOF2
check "chuted starts on a 1 MiB tmpfs" start_chuted "$T/conf" "$T/log"

fill() { dd if=/dev/zero of="$T/fs/filler" bs=4k 2>/dev/null; sync; }
clean_spool() { test "$(count "$SPOOL/new")$(count "$SPOOL/tmp")" = 00; }

# The CGI on a full filesystem.
fill
body=$(printf 'a=%.0s' 1; head -c 20000 /dev/zero | tr '\0' x)
printf '%s' "$body" | env -i PATH="$PATH" CHUTE_CONFIG="$T/conf" \
	GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=POST SCRIPT_NAME=/chute PATH_INFO=/ \
	SERVER_PROTOCOL=HTTP/1.1 REMOTE_ADDR=127.0.0.1 HTTP_ACCEPT=application/json \
	CONTENT_TYPE=application/x-www-form-urlencoded CONTENT_LENGTH=${#body} \
	timeout -k 5 30 "$CHUTE_CGI" > "$T/cgi.out" 2> "$T/cgi.err"
sed -n '1,5s/^/#   /p' "$T/cgi.out"
check "CGI on a full filesystem: 503" grep -q '^Status: 503' "$T/cgi.out"
check "with Retry-After" grep -qi '^Retry-After:' "$T/cgi.out"
check "nothing in new/, tmp/ clean" clean_spool

# `chute submit` on a full filesystem.
timeout -k 5 30 "$CHUTE" submit -c "$T/conf" -F "a=$(head -c 20000 /dev/zero | tr '\0' x)" > "$T/sub.out" 2> "$T/sub.err"
rc=$?
sed 's/^/#   /' "$T/sub.err"
check "chute submit on a full filesystem fails (exit $rc), prints no ID" test "$rc" -ne 0 -a ! -s "$T/sub.out"
check "with a clear error" grep -qiE 'full|no space' "$T/sub.err"
check "nothing in new/, tmp/ clean" clean_spool
rm -f "$T/fs/filler"
check "space back: the CLI submits" eval 'id=$(timeout 30 "$CHUTE" submit -c "$T/conf" -F a=b)'
check "and the job runs" wait_for 20 test -d "$SPOOL/done/$id"

# A handler fills the filesystem with its result.
drop bigjob big
check "a job whose result fills the filesystem fails" wait_for 30 test -d "$SPOOL/failed/bigjob"
diag "its status: $(cat "$SPOOL/failed/bigjob/status" 2>/dev/null)"
grep bigjob "$T/log" | sed 's/^/#   /'
timeout 10 "$CHUTE" status -c "$T/conf" bigjob 2>&1 | sed 's/^/#   chute status: /'
check "its status file says failed" test "$(status_field "$SPOOL/failed/bigjob" state)" = failed
check "with reason exit and a non-zero exit code" test "$(status_field "$SPOOL/failed/bigjob" reason)" = exit -a "$(status_field "$SPOOL/failed/bigjob" exit_code)" != 0
check "the reserved room is used up (no .status.spare left)" test ! -e "$SPOOL/failed/bigjob/.status.spare"
check "chuted says the filesystem was full" grep -q 'bigjob failed: exit.*no space left on device' "$T/log"
check "chuted logs why it failed" grep -q 'bigjob failed: exit' "$T/log"
check "chuted is alive" alive "$CPID"
rm -rf "$SPOOL/failed/bigjob/result"

# A runner killed (kill -9) while its handler has filled the filesystem:
# chuted settles the lost job in the room the runner reserved.
drop hog hog
wait_for 30 test -e "$T/hog.full"
rpid=$(status_field "$SPOOL/run/hog" runner_pid)
diag "hog: runner $rpid, $(df -k "$T/fs" | awk 'NR==2 {print $4}') KiB free"
check "a job filling the filesystem runs; its runner is killed" eval 'case $rpid in ""|null) false ;; *) kill -9 "$rpid" ;; esac'
check "the job ends in failed/" wait_for 30 test -d "$SPOOL/failed/hog"
diag "its status: $(cat "$SPOOL/failed/hog/status" 2>/dev/null)"
check "its status says failed, reason lost" test "$(status_field "$SPOOL/failed/hog" state)/$(status_field "$SPOOL/failed/hog" reason)" = failed/lost
check "chuted is alive" alive "$CPID"
rm -rf "$SPOOL/failed/hog/result"
drop small
check "space freed: the next small job runs" wait_for 30 test -d "$SPOOL/done/small"

# A state dir removed under chuted.
rm -rf "$SPOOL/done"
drop afterdone
check "done/ removed: chuted does not lose the next job" wait_for 30 eval 'test -d "$SPOOL/done/afterdone" || test -d "$SPOOL/failed/afterdone" || test -d "$SPOOL/run/afterdone"'
diag "afterdone: $(ls -d "$SPOOL"/*/afterdone 2>/dev/null); done/ $(test -d "$SPOOL/done" && echo re-created || echo missing)"
mkdir -p "$SPOOL/done"
drop afterfix
check "done/ back: a job dropped after the fix runs" wait_for 30 test -d "$SPOOL/done/afterfix"
check "and the job dropped while done/ was gone ends" wait_for 30 eval 'test -d "$SPOOL/done/afterdone" || test -d "$SPOOL/failed/afterdone"'
rm -rf "$SPOOL/new"
sleep 0.5
check "new/ removed: chuted is alive" alive "$CPID"
diag "new/ $(test -d "$SPOOL/new" && echo re-created by chuted || echo still missing)"
mkdir -p "$SPOOL/new"
drop afternew
check "new/ back: a job dropped after the fix runs" wait_for 30 test -d "$SPOOL/done/afternew"
kill "$CPID"

# new/ unwritable to chuted running as uid 65534 on its own spool.
SPOOL=$T/spool2
mkspool
chown -R 65534:65534 "$SPOOL"
: > "$T/ledger"; chmod 666 "$T/ledger"; chmod 777 "$T/hpids"
write_conf "$T/conf2" </dev/null
setpriv --reuid=65534 --regid=65534 --clear-groups "$CHUTED" -c "$T/conf2" > "$T/log2.stdout" 2> "$T/log2" &
CPID=$!; echo "$CPID" > "$T/pids/$CPID"
check "chuted starts (uid 65534)" wait_for 20 grep -q 'ready:' "$T/log2"
chmod 0555 "$SPOOL/new"
drop ro
sleep 1
check "new/ read-only: the job stays queued, chuted lives" test -d "$SPOOL/new/ro" && alive "$CPID"
grep -E " ro |new\/" "$T/log2" | tail -n 2 | sed "s|^|# chuted said: |"
chmod 0755 "$SPOOL/new"
chown -R 65534:65534 "$SPOOL/new"
drop fixed
chown -R 65534:65534 "$SPOOL/new" 2>/dev/null
check "new/ writable again: a job dropped after the fix runs" wait_for 30 test -d "$SPOOL/done/fixed"
finish $plan
