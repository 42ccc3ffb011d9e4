# SPDX-License-Identifier: MIT
# tap.sh: the preamble that tests/cli's TAP scripts share (sourced by bash,
# after setting tap_name): $CHUTE required, a clean environment, a temp
# dir $T (mode 0711) whose EXIT trap kills the script's live background
# jobs, unmounts $mounted when set and removes $T; TAP lines (ok, notok,
# skip, diag) counted in $n for the plan the script prints last; and the
# helpers run, expect, check, wait_until and json. Every wait is bounded.
CHUTE=${CHUTE:?set CHUTE to the chute binary}
unset CHUTE_CONFIG POSIXLY_CORRECT ALLOW_OUT
export LC_ALL=C

T=$(mktemp -d "/tmp/chute-${tap_name:-cli}.XXXXXX") || exit 1
chmod 0711 "$T"
mounted=
cleanup() {
	# Only live background jobs of this shell: no stale, reused pids.
	for p in $(jobs -p); do
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	if [ -n "$mounted" ]; then
		umount "$mounted" 2>/dev/null || umount -l "$mounted"
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
diag() { sed 's/^/# /' "$@" >&2; }

# run ARGS...: runs chute (bounded), stdout in $T/out, stderr in $T/err,
# exit status in $rc.
run() {
	timeout -k 5 30 "$CHUTE" "$@" >"$T/out" 2>"$T/err"
	rc=$?
}

# expect DESC RC [PATTERN]: checks the last run; stdout must be empty unless
# ALLOW_OUT is set or RC is 0; PATTERN (ERE) must match stderr.
expect() {
	local desc=$1 want=$2 pat=${3:-}
	local good=1
	[ "$rc" -eq "$want" ] || good=0
	if [ "$want" -ne 0 ] && [ -z "${ALLOW_OUT:-}" ] && [ -s "$T/out" ]; then good=0; fi
	if [ -n "$pat" ] && ! grep -qiE -- "$pat" "$T/err"; then good=0; fi
	if [ $good -eq 1 ]; then
		ok "$desc"
	else
		notok "$desc (exit $rc, want $want${pat:+, stderr ~ /$pat/})"
		diag "$T/err"
		diag "$T/out"
	fi
}

# check DESC CMD...: ok when CMD succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else notok "$desc"; fi
}

# wait_until CMD...: polls CMD up to 20 s.
wait_until() {
	local i=0
	until "$@"; do
		i=$((i + 1))
		[ $i -ge 400 ] && return 1
		sleep 0.05
	done
}

# json FILE EXPR: prints the python expression EXPR over the JSON in FILE
# (bound to j), or fails.
json() {
	python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
