#!/bin/bash
# SPDX-License-Identifier: MIT
# Retention: done/ and failed/ jobs finished longer than `keep` ago are
# removed (by the status's finish time, else the job dir's mtime), newer
# ones kept; tmp/ entries abandoned for over a day are removed, newer ones
# kept; symlinks are removed, never followed; a kill -9 in the middle of a
# large removal is resumed at the next start (.trash ends empty, nothing
# new touched); keep = 2s removes a job that ran, after it finished.
. "$(dirname "$0")/lib.sh"
echo "1..14"

mkspool
make_handler
COUNT=${CHUTE_RETAIN_JOBS:-600}

# old_job STATE NAME [FILES]: a finished job with a finish time 2 days ago.
old_job() {
	mkdir -p "$SPOOL/$1/$2/fields"
	echo ': old' > "$SPOOL/$1/$2/job"
	for f in $(seq 1 "${3:-1}"); do echo v > "$SPOOL/$1/$2/fields/f$f"; done
	printf '{"id":"%s","state":"%s","attempt":1,"finished":"%s"}\n' "$2" \
		"$( [ "$1" = done ] && echo done || echo failed)" \
		"$(date -u -d '2 days ago' +%Y-%m-%dT%H:%M:%S.000Z)" > "$SPOOL/$1/$2/status"
}
new_job() {
	mkdir -p "$SPOOL/$1/$2"
	echo ': new' > "$SPOOL/$1/$2/job"
	printf '{"id":"%s","state":"done","attempt":1,"finished":"%s"}\n' "$2" \
		"$(date -u +%Y-%m-%dT%H:%M:%S.000Z)" > "$SPOOL/$1/$2/status"
}

old_job done old1 3
old_job failed old2 3
new_job done new1
new_job failed new2
# No status: the job dir's mtime counts.
mkdir "$SPOOL/done/nostatus"; echo ': x' > "$SPOOL/done/nostatus/job"
touch -d '2 days ago' "$SPOOL/done/nostatus"
# A symlink to a directory outside the spool, old.
mkdir "$T/outside"; echo keep > "$T/outside/file"
ln -s "$T/outside" "$SPOOL/done/link"; touch -h -d '2 days ago' "$SPOOL/done/link"
# tmp/: abandoned 2 days ago, and recent.
mkdir -p "$SPOOL/tmp/abandoned/files"; echo x > "$SPOOL/tmp/abandoned/files/a"
touch -d '2 days ago' "$SPOOL/tmp/abandoned"
mkdir "$SPOOL/tmp/building"; echo x > "$SPOOL/tmp/building/job"

write_conf "$T/conf" <<'EOF2'
keep = 1h
EOF2
check "chuted starts" start_chuted "$T/conf" "$T/log"
check "old done/ and failed/ jobs are removed" wait_for 20 eval 'test ! -e "$SPOOL/done/old1" -a ! -e "$SPOOL/failed/old2"'
check "a job without status, by its dir's mtime" wait_for 20 test ! -e "$SPOOL/done/nostatus"
check "an old symlink is removed, its target kept" wait_for 20 eval 'test ! -L "$SPOOL/done/link" -a "$(cat "$T/outside/file")" = keep'
check "an abandoned tmp/ entry is removed" wait_for 20 test ! -e "$SPOOL/tmp/abandoned"
check "new jobs and a recent tmp/ entry are kept" test -d "$SPOOL/done/new1" -a -d "$SPOOL/failed/new2" -a -d "$SPOOL/tmp/building"
check ".trash ends empty" wait_for 20 count_is "$SPOOL/.trash" 0

# kill -9 in the middle of a large removal.
kill -TERM "$CPID"; wait "$CPID"
python3 - "$SPOOL" "$COUNT" <<'PYEOF'
import os, sys, datetime
spool, n = sys.argv[1], int(sys.argv[2])
old = (datetime.datetime.utcnow() - datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
now = datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%S.000Z")
for i in range(n):
    for kind, when in (("o", old), ("n", now)):
        if kind == "n" and i % 6:
            continue
        d = os.path.join(spool, "done", "%s%05d" % (kind, i))
        os.makedirs(os.path.join(d, "fields"))
        for f in range(5):
            open(os.path.join(d, "fields", "f%d" % f), "w").write("v\n")
        open(os.path.join(d, "job"), "w").write(": x\n")
        open(os.path.join(d, "status"), "w").write(
            '{"id":"%s%05d","state":"done","attempt":1,"finished":"%s"}' % (kind, i, when))
PYEOF
nnew=$(ls "$SPOOL/done" | grep -c '^n')
start_chuted "$T/conf" "$T/log2"
check "removal is under way" wait_for 30 eval '[ "$(count "$SPOOL/.trash")" -gt 0 ]'
kill -9 "$CPID"
left=$(ls "$SPOOL/done" | grep -c '^o')
diag "killed with $left old jobs in done/ and $(count "$SPOOL/.trash") in .trash"
check "killed in the middle (some old jobs or trash left)" test "$left" -gt 0 -o "$(count "$SPOOL/.trash")" -gt 0
start_chuted "$T/conf" "$T/log3"
check "after a restart every old job is gone" wait_for 60 eval '[ "$(ls "$SPOOL/done" | grep -c "^o")" -eq 0 ]'
check "and .trash is emptied" wait_for 60 count_is "$SPOOL/.trash" 0
check "no new job was touched" test "$(ls "$SPOOL/done" | grep -c '^n')" -eq "$nnew" -a -d "$SPOOL/done/new1"

# keep = 2s: a job that ran is removed once it is older than that.
kill -TERM "$CPID"; wait "$CPID"
write_conf "$T/conf2" <<'EOF2'
keep = 2s
EOF2
start_chuted "$T/conf2" "$T/log4"
drop short ': quick'
check "with keep = 2s a job that ran ends in done/" wait_for 20 test -d "$SPOOL/done/short"
check "and is removed later" wait_for 20 test ! -e "$SPOOL/done/short"
finish 14
