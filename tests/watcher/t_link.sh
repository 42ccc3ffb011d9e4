#!/bin/bash
# SPDX-License-Identifier: MIT
# A maildir-style producer: `ln FILE SPOOL/new/ID` then unlink the source.
# new/ sees IN_CREATE and no IN_CLOSE_WRITE or IN_MOVED_TO; chuted must
# still run the job (once it has settled), with no restart or rescan. A
# job file that keeps a second link once it has settled (a hard link,
# maybe to a file outside the spool) is rejected: never run, logged once,
# its other name untouched. A source unlinked within the settle time is
# not rejected, also when the link came by rename(2) or at start-up.
. "$(dirname "$0")/lib.sh"
echo "1..22"

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

# Hard links that stay: outside files a user who can write new/ links in.
mkdir "$T/outside"
printf ': > %s/pwned.kept\n' "$T" > "$T/outside/kept"
printf ': > %s/pwned.moved\n' "$T" > "$T/outside/moved"
printf ': > %s/pwned.dir\n' "$T" > "$T/outside/dirjob"
sum=$(cat "$T/outside/"* | md5sum)
ln "$T/outside/kept" "$SPOOL/new/keptlink"
ln "$T/outside/moved" "$SPOOL/tmp/movedlink" && mv "$SPOOL/tmp/movedlink" "$SPOOL/new/"
mkdir "$SPOOL/tmp/dirlink" && ln "$T/outside/dirjob" "$SPOOL/tmp/dirlink/job" &&
	mv "$SPOOL/tmp/dirlink" "$SPOOL/new/"
for n in keptlink movedlink dirlink; do
	check "$n: a hard link that stays ends in failed/" wait_for 15 test -d "$SPOOL/failed/$n"
	check "$n: rejected, never run" test "$(status_field "$SPOOL/failed/$n" reason)/$(ledger_count "$n")" = rejected/0
done
# Linked and unlinked within the settle time: still a job.
echo ': late unlink' > "$SPOOL/tmp/src2"
ln "$SPOOL/tmp/src2" "$SPOOL/new/late1"
sleep 0.2
rm -f "$SPOOL/tmp/src2"
echo ': renamed link' > "$SPOOL/tmp/src3"
ln "$SPOOL/tmp/src3" "$SPOOL/tmp/src3b" && mv "$SPOOL/tmp/src3b" "$SPOOL/new/mv1"
sleep 0.2
rm -f "$SPOOL/tmp/src3"
check "a source unlinked 0.2 s after the link: the job runs" wait_for 15 test -d "$SPOOL/done/late1"
check "a link renamed in, source unlinked 0.2 s later: the job runs" wait_for 15 test -d "$SPOOL/done/mv1"
sleep 1.5
check "each ran exactly once" test "$(ledger_count late1)$(ledger_count mv1)" = 11
check "no outside file ran" test ! -e "$T/pwned.kept" -a ! -e "$T/pwned.moved" -a ! -e "$T/pwned.dir"
check "the outside files are unchanged" test "$(cat "$T/outside/"* | md5sum)" = "$sum"
for n in keptlink movedlink dirlink; do
	c=$(grep -c -- "$n" "$T/log")
	[ "$c" -eq 1 ] || grep -- "$n" "$T/log" | sed 's/^/#   /'
	echo "$c" >> "$T/counts"
done
check "each rejection is logged exactly once, as a hard link" test "$(sort -u "$T/counts")" = 1 -a "$(grep -c 'rejected, a hard link' "$T/log")" = 3
check "chuted is alive" alive "$CPID"

# Found by the start-up scan: one still linked, one already unlinked.
kill "$CPID"
wait_for 10 eval '! alive "$CPID"'
printf ': > %s/pwned.scan\n' "$T" > "$T/outside/scan"
ln "$T/outside/scan" "$SPOOL/new/scanlink"
echo ': scanned' > "$SPOOL/tmp/src4"
ln "$SPOOL/tmp/src4" "$SPOOL/new/scan1" && rm -f "$SPOOL/tmp/src4"
check "chuted starts again" start_chuted "$T/conf" "$T/log2"
check "at start-up: a plain linked job runs" wait_for 15 test -d "$SPOOL/done/scan1"
check "at start-up: a hard link that stays is rejected" wait_for 15 test -d "$SPOOL/failed/scanlink"
check "and never ran" test ! -e "$T/pwned.scan" -a "$(ledger_count scanlink)" = 0
finish 22
