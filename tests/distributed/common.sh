# SPDX-License-Identifier: MIT
# common.sh: what every distributed test script shares (bash): TAP output,
# the root check (the only SKIP), a scratch dir under /tmp torn down by one
# EXIT/INT/TERM trap (volume, processes by PID, files), a spool on the volume,
# and small measurement helpers. A missing tool is a failure ("Bail out!"),
# never a skip: CI installs scripts/packages/distributed.txt.

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=gluster.sh
. "$here/gluster.sh"

tap_n=0
tap_failed=0
dist_dir=
dist_pids=

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP not root"
	exit 0
fi

# ok COND-STATUS DESCRIPTION: one TAP line from the status of the last test.
ok() {
	_ok_rc=$1
	shift
	tap_n=$((tap_n + 1))
	if [ "$_ok_rc" -eq 0 ]; then
		echo "ok $tap_n - $*"
	else
		echo "not ok $tap_n - $*"
		tap_failed=$((tap_failed + 1))
	fi
}

# check DESCRIPTION CMD...: runs CMD, one TAP line by its status.
check() {
	_ck_desc=$1
	shift
	"$@"
	ok $? "$_ck_desc"
}

diag() {
	printf '# %s\n' "$*"
}

bail() {
	echo "Bail out! $*"
	exit 1
}

# dist_track PID...: processes the trap kills (by PID) if still running.
dist_track() {
	dist_pids="$dist_pids $*"
}

# _dist_live PID: PID is still a live (not zombie) child of this shell, so
# signalling it cannot hit a stranger that reused the number.
_dist_live() {
	_dl_stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	_dl_stat=${_dl_stat##*) }
	# shellcheck disable=SC2086
	set -- $_dl_stat
	[ "$1" != Z ] && [ "$2" = "$$" ]
}

# dist_stop PID...: SIGTERM, wait up to 10 s, then SIGKILL; reaps them.
# Only children of this shell are signalled.
dist_stop() {
	_ds_live=
	for _ds_p in "$@"; do
		_dist_live "$_ds_p" && _ds_live="$_ds_live $_ds_p"
	done
	for _ds_p in $_ds_live; do
		kill -TERM "$_ds_p" 2>/dev/null
	done
	for _ds_i in $(seq 100); do
		_ds_alive=
		for _ds_p in $_ds_live; do
			_dist_live "$_ds_p" && _ds_alive=1
		done
		[ -z "$_ds_alive" ] && break
		sleep 0.1
	done
	for _ds_p in $_ds_live; do
		_dist_live "$_ds_p" && kill -KILL "$_ds_p" 2>/dev/null
		wait "$_ds_p" 2>/dev/null
	done
	return 0
}

dist_cleanup() {
	_dc_rc=$?
	trap - EXIT INT TERM
	# shellcheck disable=SC2086
	[ -n "$dist_pids" ] && dist_stop $dist_pids
	if [ -n "$dist_dir" ]; then
		# Whatever still runs on the volume (runners, handlers) dies
		# with it: by cwd, fd or cmdline under our dir.
		dist_kill_under "$dist_dir/m1"
		dist_kill_under "$dist_dir/m2"
		# DIST_KEEP: the bricks' files (the spools as the server has
		# them) outlive the volume, for a post-mortem.
		if [ -n "${DIST_KEEP:-}" ]; then
			for _dc_b in "$dist_dir"/brick?; do
				[ -d "$_dc_b" ] || continue
				mkdir -p "$dist_dir/kept-${_dc_b##*/}" &&
				    tar -C "$_dc_b" --exclude=./.glusterfs \
				    -cf - . | tar -C \
				    "$dist_dir/kept-${_dc_b##*/}" -xf -
			done
		fi
		gluster_down "$dist_dir" ||
		    echo "# gluster_down $dist_dir failed" >&2
		if [ -n "${DIST_KEEP:-}" ]; then
			echo "# kept $dist_dir" >&2
		elif ! _gluster_mounted "$dist_dir/m1" &&
		    ! _gluster_mounted "$dist_dir/m2"; then
			rm -rf "$dist_dir"
		fi
	fi
	exit "$_dc_rc"
}

# dist_setup: the scratch dir and the trap. Call once, first.
dist_setup() {
	dist_dir=$(mktemp -d /tmp/chute-dist.XXXXXX) || bail "mktemp"
	trap dist_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# dist_pids_under PATH: PIDs (not ours, not gluster's) whose cwd, an open
# fd or command line is under PATH: everything a host runs on that mount.
# One python3 pass over /proc (a shell loop forks too much to be quick).
dist_pids_under() {
	python3 - "$1" "$$" "${BASHPID:-$$}" <<'PY'
import os, sys
path, skip = sys.argv[1].rstrip("/"), set(sys.argv[2:])
skip.add(str(os.getpid()))
def under(p):
    return p == path or p.startswith(path + "/")
for pid in os.listdir("/proc"):
    if not pid.isdigit() or pid in skip:
        continue
    d = "/proc/" + pid
    try:
        argv = open(d + "/cmdline", "rb").read().split(b"\0")
    except OSError:
        continue
    argv = [a.decode(errors="replace") for a in argv if a]
    if not argv or os.path.basename(argv[0]) in (
            "glusterd", "glusterfs", "glusterfsd"):
        continue
    hit = any(under(a) for a in argv)
    links = []
    try:
        fds = ["fd/" + f for f in os.listdir(d + "/fd")]
    except OSError:
        fds = []
    for f in ["cwd"] + fds:
        try:
            links.append(os.readlink(d + "/" + f))
        except OSError:
            pass
    if hit or any(under(l) for l in links):
        print(pid)
PY
}

# dist_kill_under PATH: SIGKILLs every process dist_pids_under finds, twice
# (a dying runner's children), and waits for them (bounded).
dist_kill_under() {
	for _ku_round in 1 2 3; do
		_ku_pids=$(dist_pids_under "$1")
		[ -z "$_ku_pids" ] && return 0
		# shellcheck disable=SC2086
		kill -KILL $_ku_pids 2>/dev/null
		for _ku_i in $(seq 50); do
			_ku_alive=
			for _ku_p in $_ku_pids; do
				if [ -e "/proc/$_ku_p" ] &&
				    ! grep -q '^State:.*Z' "/proc/$_ku_p/status" \
				    2>/dev/null; then
					_ku_alive=1
				fi
			done
			[ -z "$_ku_alive" ] && break
			sleep 0.1
		done
	done
}

# dist_spool DIR: a spool at DIR with every state dir (as chute init makes
# it; the modes do not matter to root).
dist_spool() {
	if [ -n "${CHUTE:-}" ] && [ -x "$CHUTE" ]; then
		"$CHUTE" init "$1" >/dev/null 2>&1 && return 0
	fi
	mkdir -p "$1/tmp" "$1/new" "$1/run" "$1/done" "$1/failed" \
	    "$1/cancel"
}

# dist_count DIR: entries in DIR (no dot-files).
dist_count() {
	find "$1" -mindepth 1 -maxdepth 1 ! -name '.*' 2>/dev/null | wc -l
}

# dist_wait SECONDS CMD...: polls CMD every 0.2 s until it succeeds or time
# is up. 0 or 1.
dist_wait() {
	_dw_n=$(($1 * 5))
	shift
	for _dw_i in $(seq "$_dw_n"); do
		"$@" && return 0
		sleep 0.2
	done
	"$@"
}

dist_done() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}
