#!/bin/bash
# SPDX-License-Identifier: MIT
# Crash soak (guarantees 1 and 2): while SOAK_N jobs flow in, from two
# concurrent `chute submit` producers and one plain-rename producer, chuted
# is killed -9 SOAK_K times at random moments (and restarted) and a random
# runner SOAK_M times. At the end every job is in done/ or failed/ exactly
# once, nothing is left in new/, run/ or tmp/, and the handler's ledger
# ("ID attempt" per start, O_APPEND) shows a second start only for a job
# whose runner was killed, and then only as the next attempt.
. "$(dirname "$0")/glib.sh"
: "${CHUTE:?set CHUTE to the chute binary}"
N=${SOAK_N:-500} K=${SOAK_K:-8} M=${SOAK_M:-4}
echo "1..8"

mkspool
# Each start appends one line (a single write, O_APPEND) and takes a little
# while, so runners are there to be killed.
cat > "$T/handler" <<HEOF
#!/bin/sh
echo \$\$ > "$T/hpids/\$\$"
echo "\$CHUTE_ID \$CHUTE_ATTEMPT" >> "$T/ledger"
sleep 0.\$((\$\$ % 3 + 1))
HEOF
chmod 755 "$T/handler"
write_conf "$T/conf" <<'EOF2'
jobs = 8
retries = 3
retry_delay = 1s
EOF2
: > "$T/ledger"
: > "$T/killed"

check "chuted starts" start_chuted "$T/conf" "$T/log0"

nsub=$((N / 4)) nren=$((N - 2 * (N / 4)))
producer() { # producer FILE COUNT: chute submit, one ID per line
	for _ in $(seq "$2"); do
		timeout -k 5 60 "$CHUTE" submit -c "$T/conf" -F x=y >> "$1" 2>> "$T/perr" ||
			echo "submit failed" >> "$T/perr"
	done
}
producer "$T/ids.a" "$nsub" & pa=$!
producer "$T/ids.b" "$nsub" & pb=$!
trap 'kill $pa $pb $pc 2>/dev/null; cleanup' EXIT
python3 - "$SPOOL" "$nren" "$T/ids.c" <<'PYEOF' & pc=$!
import os, random, sys, time
spool, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(out, "w") as ids:
    for i in range(n):
        name = "plain%06d" % i
        d = os.path.join(spool, "tmp", name)
        os.mkdir(d)
        with open(os.path.join(d, "job"), "w") as f:
            f.write("plain job\n")
        os.rename(d, os.path.join(spool, "new", name))
        ids.write(name + "\n")
        ids.flush()
        if random.random() < 0.05:
            time.sleep(0.02)
PYEOF

# The killer: K chuted kills and M runner kills, in random order, at random
# moments (10-400 ms apart), while the producers run and after.
events=$( { for _ in $(seq "$K"); do echo c; done; for _ in $(seq "$M"); do echo r; done; } | shuf)
kc=0 kr=0 gen=0
for e in $events; do
	sleep "0.$(printf '%03d' $((RANDOM % 390 + 10)))"
	if [ "$e" = c ]; then
		kill -9 "$CPID" 2>/dev/null && wait "$CPID" 2>/dev/null
		kc=$((kc + 1)) gen=$((gen + 1))
		start_chuted "$T/conf" "$T/log$gen" || diag "restart $gen: no ready line"
	else
		# A runner: the runner_pid of a running job (bounded search).
		for _ in $(seq 500); do
			for d in $(ls "$SPOOL/run" 2>/dev/null | shuf); do
				p=$(grep -o '"runner_pid":[0-9]*' "$SPOOL/run/$d/status" 2>/dev/null)
				p=${p#*:}
				[ -n "$p" ] || continue
				ours "$p" || continue
				# A runner serves job after job (one per slot): stop
				# it, note the job it runs at this instant (it may
				# have moved on from $d), then kill it.
				kill -STOP "$p" 2>/dev/null || continue
				for e in $(ls "$SPOOL/run" 2>/dev/null); do
					grep -q "\"runner_pid\":$p[,}]" "$SPOOL/run/$e/status" 2>/dev/null &&
						echo "$e" >> "$T/killed"
				done
				kill -9 "$p" 2>/dev/null
				kr=$((kr + 1))
				break 2
			done
			sleep 0.02
		done
	fi
done
wait "$pa" "$pb" "$pc"
diag "killed chuted $kc times, runners $kr times"
cat "$T"/ids.? > "$T/ids"
check "every submission got an ID ($(wc -l < "$T/ids") of $N)" test "$(wc -l < "$T/ids")" -eq "$N" -a ! -s "$T/perr"
check "all $N end in done/ or failed/" wait_for $((60 + N / 5)) eval \
	'[ $(( $(count "$SPOOL/done") + $(count "$SPOOL/failed") )) -ge '"$N"' ]'
sleep 1
ls "$SPOOL/done" "$SPOOL/failed" | grep -v '^/\|^$' | sort > "$T/ended"
check "each exactly once, and only submitted jobs" \
	cmp -s "$T/ended" <(sort "$T/ids")
check "nothing left in new/, run/ or tmp/" test "$(count "$SPOOL/new")$(count "$SPOOL/run")$(count "$SPOOL/tmp")" = 000

# Ledger: a job whose runner was never killed started exactly once, as
# attempt 1; a killed one started as attempts 1..k, k <= 1 + its kills.
bad=$(python3 - "$T/ledger" "$T/killed" "$T/ids" "$SPOOL" <<'PYEOF'
import collections, os, sys
led = collections.defaultdict(list)
for line in open(sys.argv[1]):
    i, a = line.split()
    led[i].append(int(a))
kills = collections.Counter(l.strip() for l in open(sys.argv[2]))
bad = []
for i in (l.strip() for l in open(sys.argv[3])):
    at = sorted(led.get(i, []))
    done = os.path.isdir(os.path.join(sys.argv[4], "done", i))
    if done and not at:
        bad.append("%s: done but never started" % i)
    if len(set(at)) != len(at):
        bad.append("%s: an attempt ran twice %s" % (i, at))
    elif kills[i] == 0 and at not in ([], [1]):
        bad.append("%s: attempts %s, no runner kill" % (i, at))
    elif at and max(at) > 1 + kills[i]:
        # A killed runner may die before its handler logs: gaps are fine.
        bad.append("%s: attempts %s, %d runner kills" % (i, at, kills[i]))
    if not done and kills[i] == 0:
        bad.append("%s: failed without a runner kill" % i)
for b in bad[:20]:
    print(b)
PYEOF
)
[ -n "$bad" ] && echo "$bad" | sed 's/^/# /'
check "no job ran twice unless its runner was killed, then as attempt+1" test -z "$bad"
reruns=$(awk '$2 > 1' "$T/ledger" | wc -l)
check "chuted is alive at the end" alive "$CPID"
kjobs=$(sort -u "$T/killed" | wc -l)
all_ended() {
	for j in $(sort -u "$T/killed"); do
		[ -e "$SPOOL/done/$j" ] || [ -e "$SPOOL/failed/$j" ] || return 1
	done
}
check "the killed runners' jobs all reached a final state" all_ended
diag "jobs $N: done $(count "$SPOOL/done"), failed $(count "$SPOOL/failed"); ledger lines $(wc -l < "$T/ledger"), re-runs $reruns; chuted kills $kc, runner kills $kr ($kjobs jobs)"
finish 8
