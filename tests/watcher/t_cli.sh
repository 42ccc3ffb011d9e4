#!/bin/bash
# SPDX-License-Identifier: MIT
# chuted's command line and start-up: --version/--help, usage errors (64), a
# bad config (1, naming file:line, as DESIGN.md says), a missing spool (1) or --init creating
# it, and READY=1 sent to $NOTIFY_SOCKET.
. "$(dirname "$0")/lib.sh"
echo "1..11"

make_handler
write_conf "$T/conf" </dev/null
check "--version prints the version" eval '"$CHUTED" --version | grep -q "^chuted [0-9]"'
check "--help exits 0" eval '"$CHUTED" --help > /dev/null'
"$CHUTED" --bogus > /dev/null 2>&1
check "an unknown option exits 64" test $? -eq 64
"$CHUTED" -c "$T/conf" extra > /dev/null 2>&1
check "an extra argument exits 64" test $? -eq 64
printf 'spool = %s\nnot a key line\n' "$SPOOL" > "$T/bad.conf"
"$CHUTED" -c "$T/bad.conf" > /dev/null 2> "$T/bad.err"
rc=$?
check "a bad config exits 1" test "$rc" -eq 1
check "... naming file:line" grep -q "$T/bad.conf:2" "$T/bad.err"
"$CHUTED" -c "$T/conf" > /dev/null 2> "$T/nospool.err"
rc=$?
check "a missing spool exits 1" test "$rc" -eq 1
check "... saying which" grep -q "$SPOOL" "$T/nospool.err"

# --init creates the spool; READY=1 reaches NOTIFY_SOCKET.
python3 - "$T/notify.sock" "$T/notify.out" <<'PYEOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)
open(sys.argv[2] + ".bound", "w").close()
try:
    while True:
        msg = s.recv(4096).decode()
        with open(sys.argv[2], "a") as f:
            f.write(msg + "\n")
        if "READY=1" in msg:
            break
except socket.timeout:
    pass
PYEOF
lpid=$!
echo "$lpid" > "$T/pids/$lpid"
wait_for 10 test -e "$T/notify.out.bound"
NOTIFY_SOCKET=$T/notify.sock start_chuted "$T/conf" "$T/log" --init
check "--init creates the spool and chuted starts" test -d "$SPOOL/new" -a -d "$SPOOL/run" -a -d "$SPOOL/failed"
check "READY=1 reaches NOTIFY_SOCKET" wait_for 10 grep -qx 'READY=1' "$T/notify.out"
drop one
check "and it serves" wait_for 20 test -d "$SPOOL/done/one"
kill -TERM "$CPID"
finish 11
