#!/bin/bash
# SPDX-License-Identifier: MIT
# Retries: a handler that fails twice then succeeds ends in done/ at attempt
# 3, each delay (retry_delay doubling) respected, as the status history
# shows; while it waits it is queued with its attempt count; retries
# exhausted end in failed/ with every attempt in the history; a lost runner
# is retried too; a retry pending across kill -9 of chuted runs once, not
# before its not_before; a cancel of a job waiting for its retry; a job put
# back by `chute retry` (attempt 0, no not_before) runs again.
. "$(dirname "$0")/lib.sh"
echo "1..23"

mkspool
make_handler
write_conf "$T/conf" <<'EOF2'
jobs = 2
retries = 2
retry_delay = 1s
EOF2
check "chuted starts" start_chuted "$T/conf" "$T/log"

# Fails twice, then succeeds: a counter in the temp dir.
drop twice "n=\$(cat $T/cnt 2>/dev/null || echo 0); n=\$((n + 1)); echo \$n > $T/cnt; [ \$n -ge 3 ]"
# One read of the file, and no python start-up (which can take longer
# than the 1 s window on a loaded machine): status is compact JSON.
# A match leaves the status seen in $T/seen.
queued_at() {
	cp "$SPOOL/new/$1/status" "$T/seen" 2>/dev/null &&
		grep -q "\"state\":\"queued\",\"attempt\":$2," "$T/seen"
}
check "after its first failure it is queued again, attempt 1" wait_for 20 queued_at twice 1
check "with not_before set" grep -q '"not_before":"2' "$T/seen"
check "it ends in done/ at attempt 3" wait_for 30 field_is "$SPOOL/done/twice" attempt 3
D=$SPOOL/done/twice
check "the history holds the three attempts" py_is "$D" '[(a["attempt"], a["exit_code"]) for a in s["attempts"]]' '[(1, 1), (2, 1), (3, 0)]'
gap1=$(status_py "$D" 't(s["attempts"][1]["started"]) - t(s["attempts"][0]["finished"])')
gap2=$(status_py "$D" 't(s["attempts"][2]["started"]) - t(s["attempts"][1]["finished"])')
diag "delays: $gap1 ms, $gap2 ms"
check "attempt 2 started >= 1 s after attempt 1 ended" test "$gap1" -ge 1000
check "attempt 3 started >= 2 s after attempt 2 ended" test "$gap2" -ge 2000
check "it ran three times" test "$(ledger_count twice)" -eq 3

# Exhausted.
drop always 'exit 3'
check "retries exhausted: failed/" wait_for 30 test -d "$SPOOL/failed/always"
F=$SPOOL/failed/always
check "attempt 3, reason exit, exit_code 3" test "$(status_field "$F" attempt)/$(status_field "$F" reason)/$(status_field "$F" exit_code)" = 3/exit/3
check "with the history of each attempt" py_is "$F" '[(a["attempt"], a["reason"], a["exit_code"]) for a in s["attempts"]]' "[(1, 'exit', 3), (2, 'exit', 3), (3, 'exit', 3)]"

# A lost runner (killed under a live chuted) is retried.
drop lost "if [ \"\$CHUTE_ATTEMPT\" = 1 ]; then sleep 300; fi"
wait_for 20 field_is "$SPOOL/run/lost" state running
kill -9 "$(status_field "$SPOOL/run/lost" runner_pid)"
check "a lost runner's job is retried and ends in done/" wait_for 30 field_is "$SPOOL/done/lost" attempt 2
check "attempt 1 recorded as lost" py_is "$SPOOL/done/lost" 's["attempts"][0]["reason"]' lost

# Across kill -9 of chuted: a longer delay.
kill -TERM "$CPID"; wait "$CPID"
write_conf "$T/conf2" <<'EOF2'
jobs = 2
retries = 1
retry_delay = 3s
EOF2
start_chuted "$T/conf2" "$T/log2"
drop pend "[ \"\$CHUTE_ATTEMPT\" = 2 ]"
check "a failed attempt waits in new/" wait_for 20 queued_at pend 1
kill -9 "$CPID"
tk=$(now_ms)
nb=$(status_py "$SPOOL/new/pend" 't(s["not_before"])')
check "(chuted was killed before not_before)" test "$tk" -lt "$nb"
start_chuted "$T/conf2" "$T/log3"
check "after a restart it still runs, once" wait_for 30 test -d "$SPOOL/done/pend"
st2=$(status_py "$SPOOL/done/pend" 't(s["attempts"][1]["started"])')
diag "attempt 2 started $((st2 - nb)) ms after not_before"
check "not before its not_before" test "$st2" -ge "$nb"
check "two attempts in all" test "$(ledger_count pend)" -eq 2 -a "$(status_field "$SPOOL/done/pend" attempt)" = 2

# A cancel while the job waits for its retry.
drop waitc 'exit 1'
wait_for 20 queued_at waitc 1
cancel waitc
check "a job waiting for its retry is cancelled" wait_for 20 field_is "$SPOOL/failed/waitc" reason cancelled
check "without running again (attempt stays 1)" test "$(ledger_count waitc)/$(status_field "$SPOOL/failed/waitc" attempt)" = 1/1

# chute retry's requeue: attempt 0, no not_before (what lib/retry.c writes).
if [ -n "${CHUTE:-}" ]; then
	printf 'spool = %s\n' "$SPOOL" > "$T/cli.conf"
	"$CHUTE" -c "$T/cli.conf" retry always > /dev/null 2>&1
	check "chute retry succeeds" test $? -eq 0
else
	mv "$SPOOL/failed/always" "$SPOOL/tmp/always"
	python3 - "$SPOOL/tmp/always/status" <<'PYEOF'
import json, sys
s = json.load(open(sys.argv[1]))
s.update(state="queued", attempt=None, started=None, finished=None,
         exit_code=None, signal=None, reason=None, runner_pid=None, not_before=None)
json.dump(s, open(sys.argv[1], "w"))
PYEOF
	mv "$SPOOL/tmp/always" "$SPOOL/new/always"
	ok "requeued by hand (CHUTE not set)"
fi
check "a job requeued by hand runs again from attempt 1" wait_for 30 eval 'test -d "$SPOOL/failed/always" && test "$(ledger_count always)" -eq 5'
check "and ends after retries + 1 more attempts (retries = 1 now: 5 in the history)" py_is "$SPOOL/failed/always" 'len(s["attempts"])' 5
finish 23
