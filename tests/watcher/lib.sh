# SPDX-License-Identifier: MIT
# Shared helpers of chuted's integration tests (sourced, bash): a temporary
# spool made with mkdir (no dependency on the chute CLI), jobs dropped with
# the plain-producer protocol (mkdir in tmp/, mv into new/), TAP output, and
# a trap that kills every process the test started (chuted, runners,
# handlers: the handler records its pid) and removes the temp dir.
: "${CHUTED:?set CHUTED to the chuted binary}"
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/chute-watcher.XXXXXX)
SPOOL=$T/spool
mkdir -p "$T/pids" "$T/hpids"
tap_n=0
tap_fail=0

ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
not_ok() { tap_n=$((tap_n + 1)); echo "not ok $tap_n - $*"; tap_fail=$((tap_fail + 1)); }
# check DESCRIPTION CMD...: ok when CMD succeeds.
check() { d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
diag() { echo "# $*"; }

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# wait_for SECONDS CMD...: polls CMD every 20 ms until it succeeds.
wait_for() {
	wf_end=$(( $(now_ms) + $1 * 1000 )); shift
	until "$@" 2>/dev/null; do
		[ "$(now_ms)" -ge "$wf_end" ] && return 1
		sleep 0.02
	done
}

mkspool() {
	for d in tmp new run done failed cancel; do mkdir -p "$SPOOL/$d"; done
}

# The handler every test uses: records its pid and its ID, then runs the
# job file as a shell snippet ($1 is JOBDIR), so each job says what it does.
make_handler() {
	cat > "$T/handler" <<HEOF
#!/bin/sh
echo \$\$ > "$T/hpids/\$\$"
echo "\$CHUTE_ID" >> "$T/ledger"
. "\$CHUTE_JOB"
HEOF
	chmod 755 "$T/handler"
}

# write_conf FILE [key = value lines on stdin]
write_conf() {
	{ echo "spool = $SPOOL"; echo "handler = $T/handler"; echo "fsync = no"; cat; } > "$1"
}

# drop NAME [SCRIPT]: a job directory whose job file is SCRIPT.
drop() {
	mkdir "$SPOOL/tmp/$1" && printf '%s\n' "${2:-:}" > "$SPOOL/tmp/$1/job" &&
		mv "$SPOOL/tmp/$1" "$SPOOL/new/$1"
}

# drop_many PREFIX COUNT [SCRIPT]: many jobs, fast (same protocol).
drop_many() {
	python3 - "$SPOOL" "$1" "$2" "${3:-:}" <<'PYEOF'
import os, sys
spool, prefix, n, body = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
for i in range(n):
    name = "%s%05d" % (prefix, i)
    d = os.path.join(spool, "tmp", name)
    os.mkdir(d)
    with open(os.path.join(d, "job"), "w") as f:
        f.write(body + "\n")
    os.rename(d, os.path.join(spool, "new", name))
PYEOF
}

# start_chuted CONF LOG [ARGS...]: starts chuted, waits for its ready line.
start_chuted() {
	sc_conf=$1 sc_log=$2; shift 2
	"$CHUTED" -c "$sc_conf" "$@" > "$sc_log.stdout" 2> "$sc_log" &
	CPID=$!
	echo "$CPID" > "$T/pids/$CPID"
	wait_for 20 grep -q 'ready:' "$sc_log"
}

# Counts entries of a directory (none when it does not exist).
count() { find "$1" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

# status_field DIR KEY: a field of DIR/status (numbers, strings or null).
status_field() {
	python3 -c 'import json,sys; v=json.load(open(sys.argv[1]+"/status")).get(sys.argv[2]); print("null" if v is None else v)' "$1" "$2" 2>/dev/null
}

# count_is DIR N / field_is DIR KEY VALUE: for wait_for (evaluated each time).
count_is() { [ "$(count "$1")" -eq "$2" ]; }
field_is() { [ "$(status_field "$1" "$2")" = "$3" ]; }

alive() { kill -0 "$1" 2>/dev/null; }

ours() { { tr '\0' ' ' < "/proc/$1/cmdline"; } 2>/dev/null | grep -qF "$T"; }
# in_tree PID: its working directory is inside $T (a handler's children).
in_tree() { case $(readlink "/proc/$1/cwd" 2>/dev/null) in "$T"/*) return 0 ;; esac; return 1; }

cleanup() {
	for f in "$T"/pids/*; do
		[ -e "$f" ] || continue
		p=${f##*/}
		ours "$p" && kill -9 "$p" 2>/dev/null
	done
	for d in "$SPOOL"/run/*; do
		[ -f "$d/status" ] || continue
		p=$(status_field "$d" runner_pid)
		case $p in ''|null) ;; *) ours "$p" && kill -9 "$p" 2>/dev/null ;; esac
	done
	# Each handler leads its own process group (its children too). After
	# thousands of jobs a recorded pid may belong to someone else: kill
	# only members that are ours (command line or cwd inside $T).
	for f in "$T"/hpids/*; do
		[ -e "$f" ] || continue
		for q in $(pgrep -g "${f##*/}" 2>/dev/null); do
			if ours "$q" || in_tree "$q"; then
				kill -9 "$q" 2>/dev/null
			fi
		done
	done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# A job's ID lines in the ledger.
ledger_count() { grep -cx "$1" "$T/ledger" 2>/dev/null || true; }
ledger_dups() { sort "$T/ledger" | uniq -d | wc -l; }

finish() {
	[ "$tap_n" -eq "$1" ] || not_ok "planned $1 tests, ran $tap_n"
	[ "$tap_fail" -eq 0 ]
}

# status_py DIR EXPR: prints a python expression over DIR/status, loaded as
# `s`, with `t(ts)` turning an RFC 3339 time into milliseconds.
status_py() {
	python3 - "$1" "$2" <<'PYEOF' 2>/dev/null
import json, sys, datetime
def t(ts):
    d = datetime.datetime.strptime(ts.replace("Z", ""), "%Y-%m-%dT%H:%M:%S.%f")
    return int(d.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)
s = json.load(open(sys.argv[1] + "/status"))
print(eval(sys.argv[2]))
PYEOF
}
py_is() { [ "$(status_py "$1" "$2")" = "$3" ]; }

# cancel NAME: what lib/cancel.c does (an empty file cancel/NAME).
cancel() { : > "$SPOOL/cancel/$1"; }
