#!/bin/bash
# SPDX-License-Identifier: MIT
# reap.sh MARKER: the safety net after `meson test --suite distributed`.
# A test killed by meson's timeout gets SIGTERM and, half a second later,
# SIGKILL: its trap may not finish tearing down, and glusterd, the bricks and
# the FUSE clients (daemons in sessions of their own) outlive it. This tears
# down every scratch dir /tmp/chute-dist.* newer than the file MARKER whose
# test script is gone (its PID is in the volume name), with gluster_down
# (unmount, stop, kill by PID file or by the dir in the command line), then
# removes it. Never touches a dir older than MARKER, of a live test, or one
# with nothing mounted or running (a DIST_KEEP dir).
# Exit: 0, 1 when something could not be torn down, 64 usage.
set -u
[ $# -eq 1 ] && [ -e "$1" ] || {
	echo "usage: reap.sh MARKER" >&2
	exit 64
}
# shellcheck source=gluster.sh
. "$(cd "$(dirname "$0")" && pwd)/gluster.sh"
rc=0
for d in /tmp/chute-dist.*; do
	[ -d "$d" ] && [ "$d" -nt "$1" ] || continue
	vol=$(cat "$d/volname" 2>/dev/null)
	owner=${vol#chute_}
	owner=${owner%%_*}
	case $owner in
	'' | *[!0-9]*) ;;
	*) [ -e "/proc/$owner" ] && continue ;; # its test still runs
	esac
	# Torn down already (a kept dir, DIST_KEEP): leave it.
	if ! _gluster_mounted "$d/m1" && ! _gluster_mounted "$d/m2" &&
	    [ -z "$(_gluster_pids "$d" gluster)" ]; then
		continue
	fi
	echo "reap.sh: tearing down $d" >&2
	gluster_down "$d" || rc=1
	if _gluster_mounted "$d/m1" || _gluster_mounted "$d/m2"; then
		echo "reap.sh: $d still mounted" >&2
		rc=1
	else
		rm -rf "$d"
	fi
done
exit $rc
