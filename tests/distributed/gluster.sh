# SPDX-License-Identifier: MIT
# gluster.sh: a throw-away GlusterFS volume for the distributed tests, as two
# hosts would see it. Source it (bash), then:
#   gluster_up DIR [NBRICKS]   glusterd with its own working dir DIR/wd, a
#                              distribute volume of NBRICKS (1 or 2) bricks on
#                              127.0.0.2, mounted twice: DIR/m1 and DIR/m2
#   gluster_down DIR           unmount, stop + delete the volume, kill every
#                              process of DIR by PID, remove DIR's state
#   gluster_kill_client DIR N  "crash" host N: lazy unmount of DIR/mN and
#                              SIGKILL of its FUSE client (its flocks go)
# Invariants: every wait is bounded; every process is found by a PID file or
# by DIR in its command line, never by name alone; gluster_down is safe twice,
# after a half-done gluster_up and from a trap. Functions return non-zero and
# say why on stderr; they never exit the caller.

GLUSTER_PORT=24007

# _gluster_pids DIR PATTERN: PIDs whose command line contains DIR and
# PATTERN (both literal), one a line.
_gluster_pids() {
	_gp_dir=$1 _gp_pat=$2
	for _gp_c in /proc/[0-9]*/cmdline; do
		_gp_pid=${_gp_c#/proc/}
		_gp_pid=${_gp_pid%/cmdline}
		[ "$_gp_pid" = "$$" ] && continue
		_gp_line=$(tr '\0' ' ' 2>/dev/null <"$_gp_c") || continue
		case $_gp_line in
		*"$_gp_dir"*) ;;
		*) continue ;;
		esac
		case $_gp_line in
		*"$_gp_pat"*) echo "$_gp_pid" ;;
		esac
	done
}

# _gluster_wait_gone PID...: waits up to 10 s for the PIDs to exit (also
# zombies of other parents count as gone), then SIGKILLs and waits 5 s more.
_gluster_wait_gone() {
	for _wg_round in TERM KILL; do
		for _wg_i in $(seq 100); do
			_wg_alive=
			for _wg_p in "$@"; do
				if [ -e "/proc/$_wg_p" ] &&
				    ! grep -q '^State:.*Z' "/proc/$_wg_p/status" \
				    2>/dev/null; then
					_wg_alive=1
				fi
			done
			[ -z "$_wg_alive" ] && return 0
			sleep 0.1
		done
		[ "$_wg_round" = TERM ] && kill -KILL "$@" 2>/dev/null
	done
	echo "gluster: processes $* would not die" >&2
	return 1
}

# _gluster_cli DIR ARGS...: the gluster CLI, bounded, logging to DIR.
_gluster_cli() {
	_gc_dir=$1
	shift
	timeout 60 gluster --mode=script --log-file="$_gc_dir/cli.log" "$@"
}

# _gluster_mounted PATH: true when PATH is a mount point right now.
_gluster_mounted() {
	# /proc/self/mountinfo field 5 is the mount point (spaces escaped).
	awk -v m="$1" '$5 == m { f = 1 } END { exit !f }' /proc/self/mountinfo
}

# gluster_up DIR [NBRICKS]: see the top. Sets GLUSTER_VOL. Returns non-zero
# (after saying why) if anything fails; call gluster_down DIR anyway.
gluster_up() {
	_gu_dir=$1 _gu_n=${2:-1}
	case $_gu_n in
	1 | 2) ;;
	*)
		echo "gluster_up: NBRICKS must be 1 or 2" >&2
		return 1
		;;
	esac
	for _gu_t in glusterd gluster mount.glusterfs; do
		if ! command -v "$_gu_t" >/dev/null 2>&1 &&
		    ! [ -x "/usr/sbin/$_gu_t" ]; then
			echo "gluster_up: $_gu_t not installed" >&2
			return 1
		fi
	done
	if [ -e "$_gu_dir/glusterd.pid" ]; then
		echo "gluster_up: $_gu_dir already in use" >&2
		return 1
	fi
	# One glusterd per machine: its port and /var/run/gluster are global.
	if ss -Hltn "sport = :$GLUSTER_PORT" 2>/dev/null | grep -q .; then
		echo "gluster_up: port $GLUSTER_PORT busy (another glusterd?)" >&2
		return 1
	fi
	# Volume names: letters, digits, '_' and '-'; unique per run.
	GLUSTER_VOL=chute_$$_$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
	mkdir -p "$_gu_dir/wd" "$_gu_dir/m1" "$_gu_dir/m2" || return 1
	echo "$GLUSTER_VOL" >"$_gu_dir/volname" || return 1
	sed "s#/var/lib/glusterd#$_gu_dir/wd#" /etc/glusterfs/glusterd.vol \
	    >"$_gu_dir/glusterd.vol" || return 1
	glusterd -f "$_gu_dir/glusterd.vol" -p "$_gu_dir/glusterd.pid" \
	    --log-file="$_gu_dir/glusterd.log" || {
		echo "gluster_up: glusterd failed, see $_gu_dir/glusterd.log" >&2
		return 1
	}
	_gu_ok=
	for _gu_i in $(seq 150); do
		if _gluster_cli "$_gu_dir" pool list >/dev/null 2>&1; then
			_gu_ok=1
			break
		fi
		sleep 0.1
	done
	if [ -z "$_gu_ok" ]; then
		echo "gluster_up: glusterd did not answer in 15 s" >&2
		return 1
	fi
	_gu_bricks=
	for _gu_i in $(seq "$_gu_n"); do
		mkdir -p "$_gu_dir/brick$_gu_i" || return 1
		_gu_bricks="$_gu_bricks 127.0.0.2:$_gu_dir/brick$_gu_i"
	done
	# 127.0.0.1 is refused as a brick host; 127.0.0.2 is the same machine.
	# shellcheck disable=SC2086
	_gluster_cli "$_gu_dir" volume create "$GLUSTER_VOL" $_gu_bricks \
	    force >"$_gu_dir/create.out" 2>&1 || {
		cat "$_gu_dir/create.out" >&2
		return 1
	}
	if [ -n "${GLUSTER_PING_TIMEOUT:-}" ]; then
		_gluster_cli "$_gu_dir" volume set "$GLUSTER_VOL" \
		    network.ping-timeout "$GLUSTER_PING_TIMEOUT" >/dev/null ||
		    return 1
	fi
	_gluster_cli "$_gu_dir" volume start "$GLUSTER_VOL" \
	    >"$_gu_dir/start.out" 2>&1 || {
		cat "$_gu_dir/start.out" >&2
		return 1
	}
	# The bricks' sockets in /var/run/gluster are named by a hash: keep
	# their names for gluster_down.
	for _gu_p in $(_gluster_pids "$_gu_dir" glusterfsd); do
		tr '\0' '\n' 2>/dev/null <"/proc/$_gu_p/cmdline" |
		    sed -n '/^-S$/{n;p;}'
	done >"$_gu_dir/sockets"
	for _gu_m in m1 m2; do
		timeout 60 mount -t glusterfs \
		    -o "log-file=$_gu_dir/$_gu_m.log" \
		    "127.0.0.1:/$GLUSTER_VOL" "$_gu_dir/$_gu_m" || {
			echo "gluster_up: mount $_gu_m failed," \
			    "see $_gu_dir/$_gu_m.log" >&2
			return 1
		}
		_gluster_pids "$_gu_dir/$_gu_m" "--process-name fuse" \
		    >"$_gu_dir/$_gu_m.pid"
	done
	return 0
}

# gluster_kill_client DIR N: host N's FUSE client dies as in a crash: the
# mount is detached lazily (processes using it get ENOTCONN/EIO) and the
# client is SIGKILLed, so the bricks drop its connection and its locks.
gluster_kill_client() {
	_gk_dir=$1 _gk_m=m$2
	umount -l "$_gk_dir/$_gk_m" 2>/dev/null
	_gk_pids=$(cat "$_gk_dir/$_gk_m.pid" 2>/dev/null)
	_gk_pids="$_gk_pids $(_gluster_pids "$_gk_dir/$_gk_m" \
	    "--process-name fuse")"
	# shellcheck disable=SC2086
	set -- $_gk_pids
	[ $# -eq 0 ] && return 0
	kill -KILL "$@" 2>/dev/null
	_gluster_wait_gone "$@"
}

# gluster_down DIR: see the top. Safe twice and after a partial gluster_up.
gluster_down() {
	_gd_dir=$1
	[ -n "$_gd_dir" ] && [ -d "$_gd_dir" ] || return 0
	_gd_vol=$(cat "$_gd_dir/volname" 2>/dev/null)
	_gd_rc=0
	for _gd_m in m1 m2; do
		_gluster_mounted "$_gd_dir/$_gd_m" || continue
		timeout 30 umount "$_gd_dir/$_gd_m" 2>/dev/null ||
		    umount -l "$_gd_dir/$_gd_m" 2>/dev/null
	done
	_gd_gpid=$(cat "$_gd_dir/glusterd.pid" 2>/dev/null)
	if [ -n "$_gd_vol" ] && [ -n "$_gd_gpid" ] &&
	    [ -e "/proc/$_gd_gpid" ]; then
		_gluster_cli "$_gd_dir" volume stop "$_gd_vol" force \
		    >/dev/null 2>&1
		_gluster_cli "$_gd_dir" volume delete "$_gd_vol" \
		    >/dev/null 2>&1
	fi
	# The FUSE clients, bricks (glusterfsd), the self-heal daemon and
	# glusterd: every one names DIR (a mount, brick or volfile) or the
	# volume in its command line.
	_gd_pids="$_gd_gpid"
	for _gd_m in m1 m2; do
		_gd_pids="$_gd_pids $(cat "$_gd_dir/$_gd_m.pid" 2>/dev/null)"
	done
	_gd_pids="$_gd_pids $(_gluster_pids "$_gd_dir" gluster)"
	if [ -n "$_gd_vol" ]; then
		_gd_pids="$_gd_pids $(_gluster_pids "$_gd_vol" gluster)"
	fi
	_gd_live=
	for _gd_p in $_gd_pids; do
		[ -e "/proc/$_gd_p" ] || continue
		# Only gluster's own programs (not, say, a `tail` of a log in
		# DIR), and never a PID reused by something else.
		_gd_exe=$(tr '\0' '\n' 2>/dev/null <"/proc/$_gd_p/cmdline" |
		    head -1)
		case ${_gd_exe##*/} in
		glusterd | glusterfs | glusterfsd) ;;
		*) continue ;;
		esac
		_gd_live="$_gd_live $_gd_p"
	done
	if [ -n "$_gd_live" ]; then
		# shellcheck disable=SC2086
		kill -TERM $_gd_live 2>/dev/null
		# shellcheck disable=SC2086
		_gluster_wait_gone $_gd_live || _gd_rc=1
	fi
	for _gd_m in m1 m2; do
		if _gluster_mounted "$_gd_dir/$_gd_m"; then
			umount -l "$_gd_dir/$_gd_m" 2>/dev/null || _gd_rc=1
		fi
	done
	# Global leftovers that glusterd names after the volume or brick path.
	if [ -n "$_gd_vol" ]; then
		rm -rf "/var/run/gluster/vols/$_gd_vol"
		while read -r _gd_s; do
			case $_gd_s in
			/var/run/gluster/*.socket) rm -f "$_gd_s" ;;
			esac
		done 2>/dev/null <"$_gd_dir/sockets"
		rm -f /var/log/glusterfs/bricks/"$(echo "$_gd_dir" |
		    sed 's#^/##; s#/#-#g')"-brick*.log
	fi
	for _gd_m in m1 m2; do
		_gluster_mounted "$_gd_dir/$_gd_m" && return 1
	done
	# Bricks keep extended attributes and .glusterfs; plain rm is fine.
	rm -rf "${_gd_dir:?}/wd" "$_gd_dir"/brick? "$_gd_dir/m1" "$_gd_dir/m2" \
	    "$_gd_dir/glusterd.pid" "$_gd_dir/volname" "$_gd_dir"/m?.pid \
	    "$_gd_dir/sockets"
	return $_gd_rc
}
