#!/bin/bash
# SPDX-License-Identifier: MIT
# protocol.sh: libchute's claim protocol on a real GlusterFS volume mounted
# twice (two "hosts"), without chuted. Two claimers, one per mount, race over
# DIST_PROTOCOL_JOBS jobs (directories and plain files): exactly one winner
# per job, every job won. flock(2) conflicts across mounts and survives the
# claiming rename; job_move works although renameat2(RENAME_NOREPLACE)
# answers EINVAL there; a crashed client's lock is released for the other.
# Env: CLAIMER (built tests/distributed/claimer), DIST_PROTOCOL_JOBS (500).
set -u
# shellcheck source=common.sh
. "$(cd "$(dirname "$0")" && pwd)/common.sh"

CLAIMER=${CLAIMER:-}
N=${DIST_PROTOCOL_JOBS:-500}
[ -n "$CLAIMER" ] && [ -x "$CLAIMER" ] || bail "CLAIMER not set"

dist_setup
D=$dist_dir
gluster_up "$D" 1 >"$D/up.log" 2>&1 || {
	sed 's/^/# /' "$D/up.log"
	bail "gluster_up failed"
}
ok 0 "GlusterFS volume up, mounted at m1 and m2"
S1=$D/m1/spool
S2=$D/m2/spool
dist_spool "$S1" || bail "spool"
check "the spool made on m1 is seen on m2" test -d "$S2/new"

# What the filesystem says to a renameat2(RENAME_NOREPLACE) feature probe.
diag "renameat2(RENAME_NOREPLACE) on this volume: $("$CLAIMER" noreplace "$S1")"

# N jobs: every 10th a plain file (claimed as run/NAME/job), the rest
# directories with a job file; half dropped through each mount.
drop_jobs() {
	_s=$1 _from=$2 _to=$3
	for _i in $(seq "$_from" "$_to"); do
		if [ $((_i % 10)) -eq 0 ]; then
			echo "plain $_i" >"$_s/tmp/f$_i" &&
			    mv "$_s/tmp/f$_i" "$_s/new/f$_i" || return 1
		else
			mkdir "$_s/tmp/j$_i" &&
			    echo "job $_i" >"$_s/tmp/j$_i/job" &&
			    mv "$_s/tmp/j$_i" "$_s/new/j$_i" || return 1
		fi
	done
}
for i in $(seq 1 "$N"); do
	if [ $((i % 10)) -eq 0 ]; then echo "f$i"; else echo "j$i"; fi
done | sort >"$D/expected"
half=$((N / 2))
drop_jobs "$S1" 1 "$half" & p1=$!
drop_jobs "$S2" $((half + 1)) "$N" & p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
ok $((r1 + r2)) "$N jobs dropped, half through each mount"
check "all $N are in new/ as seen from m2" \
    test "$(dist_count "$S2/new")" -eq "$N"

# The race: both claimers start on the same signal and scan the same list.
timeout 300 "$CLAIMER" claim "$S1" "$D/go" >"$D/won1" 2>"$D/claim1.err" &
c1=$!
timeout 300 "$CLAIMER" claim "$S2" "$D/go" >"$D/won2" 2>"$D/claim2.err" &
c2=$!
dist_track $c1 $c2
sleep 0.2
touch "$D/go"
wait $c1; r1=$?
wait $c2; r2=$?
sed 's/^/# m1 /' "$D/claim1.err"
sed 's/^/# m2 /' "$D/claim2.err"
ok $r1 "claimer on m1: no claim errors"
ok $r2 "claimer on m2: no claim errors"
sort "$D/won1" "$D/won2" >"$D/won"
dups=$(uniq -d "$D/won" | head -5 | tr '\n' ' ')
check "no job won twice ${dups:+(twice: $dups)}" test -z "$dups"
check "every job won exactly once ($(wc -l <"$D/won") wins)" \
    cmp -s "$D/expected" "$D/won"
diag "wins: m1 $(wc -l <"$D/won1"), m2 $(wc -l <"$D/won2")"
check "new/ and run/ are empty, done/ holds $N" \
    test "$(dist_count "$S1/new")$(dist_count "$S1/run")$(dist_count "$S1/done")" \
    = "00$N"
plain_ok() {
	for _i in $(seq 10 10 "$N"); do
		[ "$(cat "$S2/done/f$_i/job" 2>/dev/null)" = "plain $_i" ] ||
		    return 1
	done
}
check "plain-file jobs became done/NAME/job with their content" plain_ok

# flock across mounts: m1 claims and holds; m2 sees the lock taken, also
# after the claiming rename moved the job to run/.
mkdir "$S1/tmp/L" && echo L >"$S1/tmp/L/job" && mv "$S1/tmp/L" "$S1/new/L"
mkfifo "$D/hold.in"
timeout 120 "$CLAIMER" hold "$S1" L <"$D/hold.in" >"$D/hold.out" \
    2>"$D/hold.err" &
h=$!
dist_track $h
exec 7>"$D/hold.in"
dist_wait 20 grep -q held "$D/hold.out"
ok $? "m1 claims L and holds its lock"
check "L is in run/ as seen from m2" test -f "$S2/run/L/job"
check "m2's job_lock_probe sees L's lock held (EWOULDBLOCK)" \
    test "$("$CLAIMER" probe "$S2" L)" = held
check "m1's own probe (another open file) sees it held too" \
    test "$("$CLAIMER" probe "$S1" L)" = held
check "m2 cannot claim L (it is no longer in new/)" \
    test "$("$CLAIMER" move "$S2" L new run)" = "ENOENT lost"
exec 7>&-
wait $h
ok $? "the holder on m1 releases L when it exits"
probe_free() {
	[ "$("$CLAIMER" probe "$S2" L)" = free ]
}
dist_wait 10 probe_free
ok $? "m2's probe then takes L's free lock (no live owner)"

# job_move without RENAME_NOREPLACE: moves, and never replaces a job.
check "job_move run->done through m2 works" \
    test "$("$CLAIMER" move "$S2" L run done)" = ok
check "L is in done/ and not in run/" \
    test -f "$S1/done/L/job" -a ! -e "$S1/run/L"
mkdir -p "$S1/run/M" "$S1/done/M"
echo run-M >"$S1/run/M/job"
echo done-M >"$S1/done/M/job"
r=$("$CLAIMER" move "$S2" M run done)
diag "job_move onto an existing job: $r"
check "job_move onto an existing job fails" test "$r" != ok
check "... and leaves both copies intact" \
    test "$(cat "$S1/run/M/job")/$(cat "$S1/done/M/job")" = "run-M/done-M"
mkdir -p "$S1/run/E" "$S1/done/E"
echo run-E >"$S1/run/E/job"
r=$("$CLAIMER" move "$S2" E run done)
diag "job_move onto an empty directory: $r"
check "job_move onto an existing empty directory fails (no replace)" \
    test "$r" != ok

# Stale names: m2 has just looked up new/X (its kernel and client cache the
# entry), then m1 claims X. Whatever m2 then does through the name new/X
# must lose: job_claim() says "lost" (not "bad": chuted would reject a good
# job), and a job_move() from new/ fails instead of moving the job out of
# run/ (GlusterFS may resolve a stale source by its gfid).
stale_claim=0 stale_move=0
for i in $(seq 20); do
	mkdir "$S1/tmp/S$i" && echo S >"$S1/tmp/S$i/job" &&
	    mv "$S1/tmp/S$i" "$S1/new/S$i"
	mkdir "$S1/tmp/T$i" && echo T >"$S1/tmp/T$i/job" &&
	    mv "$S1/tmp/T$i" "$S1/new/T$i"
	stat "$S2/new/S$i/job" "$S2/new/T$i/job" >/dev/null 2>&1
	a=$("$CLAIMER" move "$S1" "S$i" new run)
	b=$("$CLAIMER" claimone "$S2" "S$i")
	if [ "$a" != ok ] || [ "$b" != lost ] || ! [ -f "$S1/run/S$i/job" ]; then
		diag "S$i: m1 move new->run: $a; m2 job_claim: $b;" \
		    "run/S$i/job: $(test -f "$S1/run/S$i/job" && echo yes || echo no)"
		stale_claim=1
	fi
	# The same after two moves (new/ -> run/ -> done/, a finished job).
	mkdir "$S1/tmp/U$i" && echo U >"$S1/tmp/U$i/job" &&
	    mv "$S1/tmp/U$i" "$S1/new/U$i"
	stat "$S2/new/U$i/job" >/dev/null 2>&1
	a=$("$CLAIMER" move "$S1" "U$i" new run)
	a=$a/$("$CLAIMER" move "$S1" "U$i" run done)
	b=$("$CLAIMER" claimone "$S2" "U$i")
	if [ "$a" != ok/ok ] || [ "$b" != lost ] ||
	    ! [ -f "$S1/done/U$i/job" ]; then
		diag "U$i: m1 moves new->run->done: $a; m2 job_claim: $b;" \
		    "done/U$i/job: $(test -f "$S1/done/U$i/job" && echo yes || echo no)"
		stale_claim=1
	fi
	a=$("$CLAIMER" move "$S1" "T$i" new run)
	b=$("$CLAIMER" move "$S2" "T$i" new done)
	if [ "$a" != ok ] || [ "$b" = ok ] || ! [ -f "$S1/run/T$i/job" ] ||
	    [ -e "$S1/done/T$i" ]; then
		diag "T$i: m1 move new->run: $a; m2 move new->done: $b;" \
		    "now in: $(cd "$S1" && ls -d ./*/T$i 2>/dev/null | tr '\n' ' ')"
		stale_move=1
	fi
done
ok $stale_claim "job_claim through a stale name loses (20 + 20 times)"
ok $stale_move "job_move from a stale name fails, the job stays in run/" \
    "(20 times)"

# A "host crash": m1 holds K's lock, then m1's FUSE client dies. The bricks
# drop its connection and its locks: m2 can take K (here at once; across a
# real network, after network.ping-timeout).
mkdir "$S1/tmp/K" && echo K >"$S1/tmp/K/job" && mv "$S1/tmp/K" "$S1/new/K"
mkfifo "$D/hold2.in"
timeout 120 "$CLAIMER" hold "$S1" K <"$D/hold2.in" >"$D/hold2.out" \
    2>"$D/hold2.err" &
h=$!
dist_track $h
exec 7>"$D/hold2.in"
dist_wait 20 grep -q held "$D/hold2.out"
ok $? "m1 claims K and holds its lock"
check "m2 sees K's lock held" test "$("$CLAIMER" probe "$S2" K)" = held
t0=$EPOCHREALTIME
gluster_kill_client "$D" 1
ok $? "m1's FUSE client killed (lazy unmount + SIGKILL)"
check "the holder process itself is still alive" kill -0 $h
probe_free_k() {
	[ "$("$CLAIMER" probe "$S2" K)" = free ]
}
dist_wait 30 probe_free_k
ok $? "m2 takes K's lock once m1's client is gone"
diag "lock released after the client died: $(echo "$EPOCHREALTIME $t0" |
    awk '{ printf "%.2f s", $1 - $2 }')"
exec 7>&-
dist_stop $h

dist_done
