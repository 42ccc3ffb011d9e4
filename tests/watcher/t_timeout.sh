#!/bin/bash
# SPDX-License-Identifier: MIT
# Timeouts: a handler that ignores SIGTERM is killed (with its whole process
# group) after timeout + kill_grace; one that obeys SIGTERM dies of it; a
# quick job under the same timeout is untouched. Also the other timers and
# recoveries: a job no move or close announced (a link(2)) runs,
# and a state directory removed under chuted is re-created and watched again.
. "$(dirname "$0")/lib.sh"
echo "1..12"

mkspool
make_handler
write_conf "$T/conf" <<'EOF2'
jobs = 3
timeout = 1s
kill_grace = 1s
rescan = 1s
EOF2
check "chuted starts" start_chuted "$T/conf" "$T/log"
drop stubborn "trap '' TERM; echo \$\$ > $T/stubborn.pid; while :; do sleep 0.1; done"
drop polite 'sleep 30'
drop quick 'sleep 0.1'
check "both slow jobs end in failed/" wait_for 30 test -d "$SPOOL/failed/stubborn" -a -d "$SPOOL/failed/polite"
S=$SPOOL/failed/stubborn P=$SPOOL/failed/polite
check "ignoring SIGTERM: reason timeout, SIGKILL" test "$(status_field "$S" reason)/$(status_field "$S" signal)" = timeout/9
elapsed=$(python3 -c 'import json,sys,datetime as d
s=json.load(open(sys.argv[1]))
f=lambda t: d.datetime.strptime(t.replace("Z",""), "%Y-%m-%dT%H:%M:%S.%f")
print(int((f(s["finished"])-f(s["started"])).total_seconds()*1000))' "$S/status")
diag "stubborn handler ran $elapsed ms"
check "it was killed no sooner than timeout + kill_grace" test "$elapsed" -ge 1950
pgid=$(cat "$T/stubborn.pid")
check "its whole process group is gone" wait_for 10 eval "! kill -0 -- -$pgid"
check "obeying SIGTERM: reason timeout, signal 15" test "$(status_field "$P" reason)/$(status_field "$P" signal)" = timeout/15
check "a quick job under the same timeout is done" wait_for 10 field_is "$SPOOL/done/quick" reason exit
check "each ran once" test "$(ledger_count stubborn)$(ledger_count polite)$(ledger_count quick)" = 111
check "chuted still serves" alive "$CPID"

# A link(2) into new/ raises only IN_CREATE on a regular file, which is no
# claim trigger (it could be half-written): it runs once settled, or when
# the periodic rescan finds it. The producer unlinks its source, as a
# link(2) producer must (a job file that keeps two links is rejected).
echo ': linked' > "$T/linked"
ln "$T/linked" "$SPOOL/new/linked" && rm -f "$T/linked"
check "a job no move or close announced runs" wait_for 20 test -d "$SPOOL/done/linked"

# new/ removed under chuted: re-created, watched again, still serving.
rmdir "$SPOOL/new"
check "a removed new/ is re-created" wait_for 20 test -d "$SPOOL/new"
drop afterrm
check "jobs dropped into the new new/ run" wait_for 20 test -d "$SPOOL/done/afterrm"
finish 12
