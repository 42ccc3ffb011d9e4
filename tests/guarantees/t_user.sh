#!/bin/bash
# SPDX-License-Identifier: MIT
# "Handlers run with the configured user when chuted runs as root": with
# `user = chute-www` in the config, chuted as root runs the handler as that
# user (uid, gid) and not as root; an unknown user is a config error at
# start (exit 1, naming the user).
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root"
	exit 0
fi
. "$(dirname "$0")/glib.sh"
chmod 0755 "$T"
echo "1..6"
WWW=chute-www
groupadd -f chute
id "$WWW" >/dev/null 2>&1 || useradd -r -g chute -M -d /nonexistent -s /usr/sbin/nologin "$WWW" 2>/dev/null
mkdir -m 0777 "$T/out"
mkspool
chgrp -R chute "$SPOOL" && chmod -R g+rwX "$SPOOL"
printf '#!/bin/sh\nid -u > %s/out/uid; id -g > %s/out/gid\n' "$T" "$T" > "$T/handler"
chmod 0755 "$T/handler"
write_conf "$T/conf" <<EOF2
user = $WWW
EOF2
check "chuted starts as root with user = $WWW" start_chuted "$T/conf" "$T/log"
drop u1
check "the job ends" wait_for 30 eval 'test -d "$SPOOL/done/u1" || test -d "$SPOOL/failed/u1"'
check "the handler ran as $WWW (uid $(cat "$T/out/uid" 2>/dev/null), want $(id -u "$WWW"))" test "$(cat "$T/out/uid" 2>/dev/null)" = "$(id -u "$WWW")"
check "with group chute (gid $(cat "$T/out/gid" 2>/dev/null))" test "$(cat "$T/out/gid" 2>/dev/null)" = "$(getent group chute | cut -d: -f3)"
write_conf "$T/conf2" <<EOF2
user = chute-no-such-user
EOF2
timeout 20 "$CHUTED" -c "$T/conf2" > /dev/null 2> "$T/log2"
rc=$?
check "an unknown user: chuted exits 1 at start (got $rc)" test "$rc" -eq 1
check "naming the user" grep -q 'chute-no-such-user' "$T/log2"
finish 6
