#!/bin/bash
# SPDX-License-Identifier: MIT
# A maildir-style producer: `ln FILE SPOOL/new/ID` then unlink the source.
# new/ sees IN_CREATE and no IN_CLOSE_WRITE or IN_MOVED_TO; chuted must
# still run the job (once it has settled), with no restart or rescan.
. "$(dirname "$0")/lib.sh"
echo "1..5"

mkspool
make_handler
write_conf "$T/conf" <<'EOF2'
jobs = 2
EOF2
check "chuted starts and says ready" start_chuted "$T/conf" "$T/log"
echo ': linked job' > "$SPOOL/tmp/src1"
ln "$SPOOL/tmp/src1" "$SPOOL/new/lnk1" && rm -f "$SPOOL/tmp/src1"
check "a job linked into new/ ends in done/" wait_for 15 test -d "$SPOOL/done/lnk1"
check "it ran exactly once" test "$(ledger_count lnk1)" = 1
# A file written in place still runs at its close, and only once (the
# look armed by its IN_CREATE finds it gone).
printf ': in place\n' > "$SPOOL/new/inpl1"
check "a job written in place ends in done/" wait_for 15 test -d "$SPOOL/done/inpl1"
sleep 2
check "it ran exactly once" test "$(ledger_count inpl1)" = 1
finish 5
