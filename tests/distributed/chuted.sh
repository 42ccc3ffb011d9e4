#!/bin/bash
# SPDX-License-Identifier: MIT
# chuted.sh CASE: chuted on a real GlusterFS volume mounted twice, as two
# hosts (A on m1, B on m2), each running one chuted with `rescan = 1` and
# `jobs = 2` on the same spool. The handler appends "ID HOST ATTEMPT START"
# to a ledger on local disk (one O_APPEND write), then sleeps as the job
# file says. Cases:
#   twohosts    DIST_JOBS jobs (2000) from producers on both mounts (drop.py,
#               plus `chute submit` and chute.cgi when built), chuted on
#               both hosts: each job started exactly once, all in done/,
#               none stuck; jobs/s and drop->start p50/p99
#   onehost     the same load with chuted on A only (B's drops reach A by
#               rescan): the one-host figures
#   2brick      the two-host run on a 2-brick distribute volume
#   handoff     only B runs chuted; jobs dropped on A wait for B's rescan:
#               drop->start of remote drops vs local ones
#   killhost    `retries = 1`, DIST_SLOW_JOBS slow jobs (24, DIST_SLOW_SLEEP
#               4 s each); host A dies mid-run (chuted, runners, handlers
#               and its FUSE client): B finishes every queued job, A's
#               running jobs end as lost attempts and run once more on B
# Env: CHUTED (required), CHUTE, CHUTE_CGI (optional producers), DIST_JOBS,
# DIST_HANDOFF_JOBS (30), DIST_SLOW_JOBS, DIST_SLOW_SLEEP, DIST_TIMEOUT (240:
# seconds a run may take to drain). Figures are printed as "# FIGURE ...".
set -u
# shellcheck source=common.sh
. "$(cd "$(dirname "$0")" && pwd)/common.sh"

CASE=${1:-}
CHUTED=${CHUTED:-}
CHUTE=${CHUTE:-}
CHUTE_CGI=${CHUTE_CGI:-}
N=${DIST_JOBS:-2000}
HANDOFF_N=${DIST_HANDOFF_JOBS:-30}
SLOW_N=${DIST_SLOW_JOBS:-24}
SLOW_S=${DIST_SLOW_SLEEP:-4}
DRAIN=${DIST_TIMEOUT:-240}
DROP=$here/drop.py
LEDGER_PY=$here/ledger.py

case $CASE in
onehost | twohosts | 2brick | handoff | killhost) ;;
*) bail "usage: chuted.sh onehost|twohosts|2brick|handoff|killhost" ;;
esac
[ -n "$CHUTED" ] && [ -x "$CHUTED" ] ||
    bail "CHUTED not set or not executable: chuted is not built"
[ -n "$CHUTE" ] && ! [ -x "$CHUTE" ] && CHUTE=
[ -n "$CHUTE_CGI" ] && ! [ -x "$CHUTE_CGI" ] && CHUTE_CGI=

dist_setup
D=$dist_dir

# make_handler NAME: $D/NAME.handler writing to the ledger $D/NAME.ledger.
make_handler() {
	: >"$D/$1.ledger"
	cat >"$D/$1.handler" <<EOF
#!/bin/bash
# One ledger line per start (one O_APPEND write), then "sleep S" from the
# job file, if any. The host is the mount the job directory is on.
case \$1 in
*/m1/*) h=A ;;
*/m2/*) h=B ;;
*) h=X ;;
esac
printf '%s %s %s %s\n' "\$CHUTE_ID" "\$h" "\$CHUTE_ATTEMPT" \
    "\$EPOCHREALTIME" >>'$D/$1.ledger'
w= s=0
read -r w s <"\$1/job" 2>/dev/null
[ "\$w" = sleep ] || s=0
case \$s in '' | *[!0-9.]*) s=0 ;; esac
[ "\$s" = 0 ] || exec sleep "\$s"
exit 0
EOF
	chmod 755 "$D/$1.handler"
}

# write_conf NAME HOST SPOOLNAME RETRIES: $D/NAME-HOST.conf for host A (m1)
# or B (m2).
write_conf() {
	_wc_m=m1
	[ "$2" = B ] && _wc_m=m2
	cat >"$D/$1-$2.conf" <<EOF
spool = $D/$_wc_m/$3
handler = $D/$1.handler
jobs = 2
rescan = 1
retries = $4
retry_delay = 1s
kill_grace = 2s
keep = 0
fsync = yes
EOF
}

# start_chuted NAME HOST: one chuted; its PID in chuted_HOST.
start_chuted() {
	"$CHUTED" -c "$D/$1-$2.conf" >"$D/$1-$2.log" 2>&1 &
	eval "chuted_$2=$!"
	dist_track $!
}

# stop_chuted HOST...: SIGTERM (TERM: stop claiming; runners go on).
stop_chuted() {
	for _sc_h in "$@"; do
		eval "dist_stop \$chuted_$_sc_h"
	done
}

# finished SPOOL COUNT: done/ + failed/ hold COUNT jobs.
finished() {
	[ $(($(dist_count "$1/done") + $(dist_count "$1/failed"))) -ge "$2" ]
}

# wait_finished SPOOL COUNT: polls (0.5 s) up to DRAIN seconds.
wait_finished() {
	_wf_end=$((SECONDS + DRAIN))
	while [ $SECONDS -lt $_wf_end ]; do
		finished "$1" "$2" && return 0
		sleep 0.5
	done
	finished "$1" "$2"
}

# stuck SPOOL: diagnostics for what is left in tmp/ new/ run/.
stuck() {
	for _st in tmp new run; do
		_st_n=$(dist_count "$1/$_st")
		[ "$_st_n" -eq 0 ] && continue
		diag "$_st_n left in $_st/:" \
		    "$(find "$1/$_st" -mindepth 1 -maxdepth 1 -printf '%f ' |
		    head -c 300)"
	done
}

# empty_states SPOOL: nothing in tmp/ new/ run/.
empty_states() {
	[ "$(dist_count "$1/tmp")$(dist_count "$1/new")$(dist_count "$1/run")" \
	    = 000 ]
}

# all_done SPOOL IDS: every ID has done/ID/status with state done.
all_done() {
	python3 "$LEDGER_PY" status "$1" "$2" >"$2.status" || return 1
	awk '$2 != "done" { print "# not done: " $0; bad = 1 }
	    END { exit bad }' "$2.status" | head -10
	awk '$2 != "done" { bad = 1 } END { exit bad }' "$2.status"
}

# submit_cli SPOOLCONF COUNT OUT: COUNT jobs through `chute submit`; "ID
# TIME" lines to OUT. Returns non-zero if one failed.
submit_cli() {
	for _sb_i in $(seq "$2"); do
		_sb_id=$("$CHUTE" submit -c "$1" -F a=b -F n="$_sb_i") ||
		    return 1
		echo "$_sb_id $EPOCHREALTIME" >>"$3"
	done
}

# submit_cgi SPOOLCONF COUNT OUT: COUNT jobs through chute.cgi run as a web
# server would run it (CGI environment, body on stdin, JSON answer).
submit_cgi() {
	for _sg_i in $(seq "$2"); do
		_sg_body="a=b&n=$_sg_i"
		_sg_out=$(printf '%s' "$_sg_body" | env -i PATH="$PATH" \
		    CHUTE_CONFIG="$1" GATEWAY_INTERFACE=CGI/1.1 \
		    REQUEST_METHOD=POST SCRIPT_NAME=/chute PATH_INFO=/ \
		    SERVER_PROTOCOL=HTTP/1.1 SERVER_NAME=localhost \
		    SERVER_PORT=80 REMOTE_ADDR=127.0.0.1 \
		    HTTP_ACCEPT=application/json \
		    CONTENT_TYPE=application/x-www-form-urlencoded \
		    CONTENT_LENGTH=${#_sg_body} timeout 30 "$CHUTE_CGI") ||
		    return 1
		_sg_id=$(printf '%s' "$_sg_out" |
		    sed -n 's/.*"id" *: *"\([A-Za-z0-9._-]*\)".*/\1/p' |
		    head -1)
		[ -n "$_sg_id" ] || return 1
		echo "$_sg_id $EPOCHREALTIME" >>"$3"
	done
}

# run_load NAME HOSTS COUNT: one spool NAME on the volume, chuted on HOSTS
# ("A" or "A B"), COUNT jobs from drop.py on both mounts (and 10 per mount
# from chute submit and chute.cgi, when built, in the two-host runs). Checks
# the outcome; prints the figures.
run_load() {
	_rl_name=$1 _rl_hosts=$2 _rl_n=$3
	_rl_s1=$D/m1/$_rl_name
	_rl_s2=$D/m2/$_rl_name
	dist_spool "$_rl_s1" || bail "spool $_rl_name"
	make_handler "$_rl_name"
	for _rl_h in A B; do
		write_conf "$_rl_name" "$_rl_h" "$_rl_name" 0
	done
	for _rl_h in $_rl_hosts; do
		start_chuted "$_rl_name" "$_rl_h"
	done
	sleep 0.5
	for _rl_h in $_rl_hosts; do
		eval "kill -0 \$chuted_$_rl_h" 2>/dev/null
		ok $? "$_rl_name: chuted on host $_rl_h runs"
	done
	_rl_half=$((_rl_n / 2))
	_rl_go=$D/$_rl_name.go
	python3 "$DROP" "$_rl_s1" a 1 "$_rl_half" --go "$_rl_go" \
	    >"$D/$_rl_name.drops-a" 2>"$D/$_rl_name.drop-a.err" &
	_rl_p1=$!
	python3 "$DROP" "$_rl_s2" b $((_rl_half + 1)) "$_rl_n" \
	    --go "$_rl_go" >"$D/$_rl_name.drops-b" \
	    2>"$D/$_rl_name.drop-b.err" &
	_rl_p2=$!
	dist_track $_rl_p1 $_rl_p2
	_rl_t0=$EPOCHREALTIME
	touch "$_rl_go"
	_rl_extra=0
	: >"$D/$_rl_name.drops-x"
	if [ "$_rl_hosts" = "A B" ] && [ -n "$CHUTE" ]; then
		submit_cli "$D/$_rl_name-A.conf" 10 "$D/$_rl_name.drops-x" &&
		    submit_cli "$D/$_rl_name-B.conf" 10 "$D/$_rl_name.drops-x"
		ok $? "$_rl_name: 20 jobs through chute submit (10 per mount)"
		_rl_extra=$((_rl_extra + 20))
	fi
	if [ "$_rl_hosts" = "A B" ] && [ -n "$CHUTE_CGI" ]; then
		submit_cgi "$D/$_rl_name-A.conf" 10 "$D/$_rl_name.drops-x" &&
		    submit_cgi "$D/$_rl_name-B.conf" 10 "$D/$_rl_name.drops-x"
		ok $? "$_rl_name: 20 jobs through chute.cgi (10 per mount)"
		_rl_extra=$((_rl_extra + 20))
	fi
	wait $_rl_p1
	_rl_r1=$?
	wait $_rl_p2
	_rl_r2=$?
	ok $((_rl_r1 + _rl_r2)) "$_rl_name: $_rl_n jobs dropped (drop.py," \
	    "half per mount)"
	cat "$D/$_rl_name.drops-a" "$D/$_rl_name.drops-b" \
	    "$D/$_rl_name.drops-x" >"$D/$_rl_name.drops"
	sort "$D/$_rl_name.drops" >"$D/$_rl_name.expected"
	_rl_total=$((_rl_n + _rl_extra))
	wait_finished "$_rl_s2" "$_rl_total"
	ok $? "$_rl_name: all $_rl_total jobs finished within ${DRAIN}s"
	_rl_t1=$EPOCHREALTIME
	_rl_fin=$(($(dist_count "$_rl_s2/done") + $(dist_count "$_rl_s2/failed")))
	stop_chuted $_rl_hosts
	python3 "$LEDGER_PY" once "$D/$_rl_name.expected" \
	    "$D/$_rl_name.ledger"
	ok $? "$_rl_name: each job started exactly once (ledger)"
	all_done "$_rl_s2" "$D/$_rl_name.expected"
	ok $? "$_rl_name: each job is in done/ with state done"
	empty_states "$_rl_s1"
	_rl_r=$?
	[ $_rl_r -eq 0 ] || stuck "$_rl_s1"
	ok $_rl_r "$_rl_name: nothing stuck in tmp/ new/ run/"
	_rl_rate=$(echo "$_rl_t0 $_rl_t1 $_rl_fin" |
	    awk '{ printf "%.1f", $3 / ($2 - $1) }')
	_rl_lat=$(python3 "$LEDGER_PY" latency "$D/$_rl_name.drops" \
	    "$D/$_rl_name.ledger")
	_rl_who=$(python3 "$LEDGER_PY" hosts "$D/$_rl_name.ledger")
	# ESTALE right after a claim (GlusterFS): the runner puts the job
	# back without an attempt; the checks above prove it then ran once.
	diag "$_rl_name: requeued unstarted after ESTALE:" \
	    "$(cat "$D/$_rl_name"-[AB].log 2>/dev/null |
	    grep -c 'it could not start')"
	diag "FIGURE $_rl_name: hosts ($_rl_hosts) jobs $_rl_fin/$_rl_total:" \
	    "$_rl_rate jobs/s, drop->start $_rl_lat, starts $_rl_who"
}

case_onehost() {
	gluster_up "$D" 1 >"$D/up.log" 2>&1 || {
		sed 's/^/# /' "$D/up.log"
		bail "gluster_up failed"
	}
	ok 0 "1-brick GlusterFS volume up, mounted at m1 (A) and m2 (B)"
	run_load one-host "A" "$N"
}

case_twohosts() {
	gluster_up "$D" 1 >"$D/up.log" 2>&1 || {
		sed 's/^/# /' "$D/up.log"
		bail "gluster_up failed"
	}
	ok 0 "1-brick GlusterFS volume up, mounted at m1 (A) and m2 (B)"
	run_load two-hosts "A B" "$N"
}

case_2brick() {
	gluster_up "$D" 2 >"$D/up.log" 2>&1 || {
		sed 's/^/# /' "$D/up.log"
		bail "gluster_up failed"
	}
	ok 0 "2-brick distribute volume up, mounted at m1 (A) and m2 (B)"
	run_load two-hosts-2brick "A B" "$N"
}

case_handoff() {
	gluster_up "$D" 1 >"$D/up.log" 2>&1 || {
		sed 's/^/# /' "$D/up.log"
		bail "gluster_up failed"
	}
	ok 0 "GlusterFS volume up, mounted at m1 (A) and m2 (B)"
	S1=$D/m1/handoff
	S2=$D/m2/handoff
	dist_spool "$S1" || bail "spool"
	make_handler handoff
	write_conf handoff B handoff 0
	start_chuted handoff B
	sleep 0.5
	kill -0 "$chuted_B" 2>/dev/null
	ok $? "only host B runs chuted"
	# Spaced drops land at every phase of B's rescan period.
	python3 "$DROP" "$S1" r 1 "$HANDOFF_N" --interval 0.37 \
	    >"$D/handoff.remote" 2>"$D/handoff.remote.err" &
	p1=$!
	python3 "$DROP" "$S2" l 1 "$HANDOFF_N" --interval 0.37 \
	    >"$D/handoff.local" 2>"$D/handoff.local.err" &
	p2=$!
	dist_track $p1 $p2
	wait $p1
	r1=$?
	wait $p2
	r2=$?
	ok $((r1 + r2)) "$HANDOFF_N jobs dropped on A (no chuted) and" \
	    "$HANDOFF_N on B"
	cat "$D/handoff.remote" "$D/handoff.local" | sort >"$D/handoff.expected"
	wait_finished "$S2" $((2 * HANDOFF_N))
	ok $? "B ran all $((2 * HANDOFF_N)) jobs"
	stop_chuted B
	python3 "$LEDGER_PY" once "$D/handoff.expected" "$D/handoff.ledger"
	ok $? "each job started exactly once"
	check "every job ran on B" \
	    test "$(python3 "$LEDGER_PY" hosts "$D/handoff.ledger")" \
	    = "B=$((2 * HANDOFF_N))"
	all_done "$S2" "$D/handoff.expected"
	ok $? "each job is in done/ with state done"
	empty_states "$S1"
	ok $? "nothing stuck in tmp/ new/ run/"
	diag "FIGURE handoff: dropped on A, run by B (rescan = 1):" \
	    "drop->start $(python3 "$LEDGER_PY" latency "$D/handoff.remote" \
	    "$D/handoff.ledger")"
	diag "FIGURE handoff: dropped on B, run by B (inotify):" \
	    "drop->start $(python3 "$LEDGER_PY" latency "$D/handoff.local" \
	    "$D/handoff.ledger")"
}

case_killhost() {
	gluster_up "$D" 1 >"$D/up.log" 2>&1 || {
		sed 's/^/# /' "$D/up.log"
		bail "gluster_up failed"
	}
	ok 0 "GlusterFS volume up, mounted at m1 (A) and m2 (B)"
	S1=$D/m1/kill
	S2=$D/m2/kill
	L=$D/kill.ledger
	dist_spool "$S1" || bail "spool"
	make_handler kill
	write_conf kill A kill 1
	write_conf kill B kill 1
	start_chuted kill A
	start_chuted kill B
	half=$((SLOW_N / 2))
	python3 "$DROP" "$S1" a 1 "$half" --sleep "$SLOW_S" \
	    >"$D/kill.drops-a" 2>"$D/kill.drop-a.err" &
	p1=$!
	python3 "$DROP" "$S2" b $((half + 1)) "$SLOW_N" --sleep "$SLOW_S" \
	    >"$D/kill.drops-b" 2>"$D/kill.drop-b.err" &
	p2=$!
	dist_track $p1 $p2
	wait $p1
	r1=$?
	wait $p2
	r2=$?
	ok $((r1 + r2)) "$SLOW_N slow jobs (${SLOW_S}s) dropped, half per mount"
	sort "$D/kill.drops-a" "$D/kill.drops-b" >"$D/kill.expected"
	a_running() {
		[ "$(awk '$2 == "A"' "$L" | wc -l)" -ge 2 ]
	}
	dist_wait 60 a_running
	ok $? "host A runs two jobs"
	sleep 0.5

	# Host A dies: its watcher, its runners and handlers (everything with
	# a cwd, fd or argument on m1) at once, then its FUSE client. The
	# slow search of /proc comes first; A's slots are full, so it starts
	# no new runner meanwhile; a second sweep catches any straggler.
	apids=$(dist_pids_under "$D/m1")
	tk=$EPOCHREALTIME
	# shellcheck disable=SC2086
	kill -KILL "$chuted_A" $apids 2>/dev/null
	wait "$chuted_A" 2>/dev/null
	dist_kill_under "$D/m1"
	tk2=$EPOCHREALTIME
	check "host A: watcher, runners and handlers are gone" \
	    test -z "$(dist_pids_under "$D/m1")"
	# What A was running: every start less than SLOW_S before its death
	# cannot have finished (each job sleeps SLOW_S). The ledger decides,
	# not a stat of done/ through a caching client.
	awk -v t="$tk2" -v s="$SLOW_S" '$2 == "A" && $4 > t - s + 0.1 {
	    print $1 }' "$L" | sort -u >"$D/kill.lost"
	nlost=$(wc -l <"$D/kill.lost")
	diag "A died running: $(tr '\n' ' ' <"$D/kill.lost")"
	check "A was running jobs when it died ($nlost)" test "$nlost" -gt 0
	gluster_kill_client "$D" 1
	ok $? "host A: FUSE client killed (lazy unmount + SIGKILL)"

	# B's rescan finds A's jobs in run/ with free locks: they leave run/.
	lost_left_run() {
		while read -r _ll_id; do
			[ -e "$S2/run/$_ll_id" ] && return 1
		done <"$D/kill.lost"
		return 0
	}
	dist_wait 60 lost_left_run
	r=$?
	tl=$EPOCHREALTIME
	ok $r "B takes A's dead jobs out of run/"
	wait_finished "$S2" "$SLOW_N"
	r=$?
	[ $r -eq 0 ] || stuck "$S2"
	ok $r "B finished all $SLOW_N jobs after A died"
	empty_states "$S2"
	r=$?
	[ $r -eq 0 ] || stuck "$S2"
	ok $r "nothing stuck in tmp/ new/ run/"
	stop_chuted B
	all_done "$S2" "$D/kill.expected"
	ok $? "each job is in done/ with state done"
	# Every lost job: attempt 1 on A, attempt 2 on B, nothing more; its
	# status says attempt 2.
	lost_retried() {
		_lr_bad=0
		while read -r _lr_id; do
			_lr_got=$(awk -v id="$_lr_id" '$1 == id { print $2 $3 }' \
			    "$L" | tr '\n' ' ')
			_lr_st=$(awk -v id="$_lr_id" '$1 == id { print $3 }' \
			    "$D/kill.expected.status")
			if [ "$_lr_got" != "A1 B2 " ] || [ "$_lr_st" != 2 ]; then
				diag "lost $_lr_id: starts '$_lr_got'," \
				    "status attempt '$_lr_st'"
				_lr_bad=1
			fi
		done <"$D/kill.lost"
		return $_lr_bad
	}
	check "A's running jobs were lost attempts, retried once on B" \
	    lost_retried
	others_once() {
		awk 'FILENAME == ARGV[1] { lost[$1] = 1; next }
		    !($1 in lost) { n[$1]++; if ($3 != 1) bad[$1] = 1 }
		    END { for (i in n) if (n[i] != 1 || (i in bad)) {
			print "# started more than once: " i; e = 1 }
			exit e }' "$D/kill.lost" "$L"
	}
	check "every other job started exactly once, attempt 1" others_once
	notlost=$(awk 'FILENAME == ARGV[1] { lost[$1] = 1; next }
	    !($1 in lost)' "$D/kill.lost" "$D/kill.expected" | wc -l)
	never=$(awk 'FILENAME == ARGV[1] { seen[$1] = 1; next } !($1 in seen)' "$L" \
	    "$D/kill.expected" | wc -l)
	check "no job was never started ($never)" test "$never" -eq 0
	diag "jobs not lost: $notlost; starts: $(python3 "$LEDGER_PY" hosts "$L")"
	# What the crash cost: from the kill to each lost job's retry.
	diag "FIGURE killhost: kill -> A's jobs out of run/ (rescan = 1):" \
	    "$(echo "$tk $tl" | awk '{ printf "%.1fs", $2 - $1 }')"
	diag "FIGURE killhost: kill -> retry start of lost jobs:" \
	    "$(awk -v tk="$tk" 'FILENAME == ARGV[1] { lost[$1] = 1; next }
		($1 in lost) && $3 == 2 { d = $4 - tk; s += d; n++
		    if (d > m) m = d }
		END { if (n) printf "n=%d mean=%.1fs max=%.1fs", n, s / n, m
		    else printf "none" }' "$D/kill.lost" "$L")"
}

"case_$CASE"
dist_done
