#!/bin/bash
# SPDX-License-Identifier: MIT
# A flood larger than chuted's in-memory queue (4096 names): 6000 jobs
# dropped while chuted is stopped. The queue fills, the rest stays in new/
# and a rescan finds it once the queue has drained: every job runs once.
# Suite 'slow' (about a minute).
. "$(dirname "$0")/lib.sh"
echo "1..4"

mkspool
make_handler
write_conf "$T/conf" <<'EOF2'
jobs = 2
EOF2
check "chuted starts" start_chuted "$T/conf" "$T/log"
kill -STOP "$CPID"
drop_many fl 6000
kill -CONT "$CPID"
check "all 6000 jobs end in done/" wait_for 600 count_is "$SPOOL/done" 6000
check "the full queue made chuted rescan new/" grep -q 'rescanned new/ (queue full)' "$T/log"
check "each ran exactly once" test "$(grep -c '^fl' "$T/ledger")" -eq 6000 -a "$(ledger_dups)" -eq 0
finish 4
