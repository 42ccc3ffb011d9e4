#!/bin/bash
# SPDX-License-Identifier: MIT
# Hostile entries in new/ (guarantee 5 and DESIGN's "never opened or
# followed"): symlinks to /etc/passwd and to an outside dir holding a job,
# a FIFO, a socket, a device node (root), a hard link to an outside file,
# names with a newline or of 200 bytes, a job dir of mode 000, and all of it
# again with chuted as uid 65534 on a spool it owns. chuted never follows
# (targets unchanged, never run or moved), never blocks (a good job dropped
# after them runs), never crashes, and logs each refusal exactly once.
. "$(dirname "$0")/glib.sh"
chmod 0755 "$T"
per=14
echo "1..$((2 * per + 2))"

mkspool
make_handler
# /etc/passwd is checked as still a regular file, not by content: a
# concurrent test may add a user (useradd) meanwhile.
mkdir -p "$T/outside/dir"
echo "secret" > "$T/outside/secret"
printf ': > %s/pwned.dirlink\n' "$T" > "$T/outside/dir/job"
printf ': > %s/pwned.hardlink\n' "$T" > "$T/outside/hl"
sum_before=$(cat "$T/outside/secret" "$T/outside/dir/job" "$T/outside/hl" | md5sum)

# hostile ROUND: drops every hostile entry (names prefixed ROUND), then a
# good job; checks the outcome.
hostile() {
	r=$1 log=$2
	# Built in tmp/ (owned as the spool is), then renamed into new/.
	S=$SPOOL/tmp
	ln -s /etc/passwd "$S/${r}lpasswd"
	ln -s "$T/outside/dir" "$S/${r}ldir"
	mkfifo "$S/${r}fifo"
	python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$S/${r}sock"
	if [ "$(id -u)" -eq 0 ]; then mknod "$S/${r}dev" c 1 3; fi
	ln "$T/outside/hl" "$S/${r}hlink"
	mkdir "$S/${r}nl
x" && echo ':' > "$S/${r}nl
x/job"
	long=${r}$(printf 'L%.0s' $(seq 200))
	long=${long:0:200}
	mkdir "$S/$long" && echo ':' > "$S/$long/job"
	mkdir "$S/${r}m000" && echo ": > $T/ran.${r}m000" > "$S/${r}m000/job"
	if [ -n "${OWNER:-}" ]; then
		for e in "$S"/"$r"*; do
			case $e in *hlink) continue ;; esac
			chown -hR "$OWNER" "$e"
		done
	fi
	chmod 000 "$S/${r}m000"
	for e in "$S"/"$r"*; do mv "$e" "$SPOOL/new/"; done
	mkdir "$S/${r}good" && echo ':' > "$S/${r}good/job"
	[ -n "${OWNER:-}" ] && chown -R "$OWNER" "$S/${r}good"
	mv "$S/${r}good" "$SPOOL/new/"

	check "$r: a good job dropped after them runs" wait_for 30 test -d "$SPOOL/done/${r}good"
	sleep 1
	check "$r: chuted is alive" alive "$CPID"
	check "$r: nothing was followed or changed" test "$(cat "$T/outside/secret" "$T/outside/dir/job" "$T/outside/hl" | md5sum)" = "$sum_before"
	check "$r: the outside dir's job never ran" test ! -e "$T/pwned.dirlink" -a -e "$T/outside/dir/job"
	check "$r: the hard-linked outside file is still there" test -f "$T/outside/hl"
	# A hard link (a regular file with a second name outside) is
	# rejected once it has settled: never run, logged once.
	check "$r: the hard-linked outside file never ran" test ! -e "$T/pwned.hardlink" -a ! -e "$SPOOL/done/${r}hlink"
	check "$r: the hard link ended in failed/, rejected" wait_for 10 test "$(status_field "$SPOOL/failed/${r}hlink" reason)" = rejected
	check "$r: the hard link is logged once" test "$(grep -c -- "${r}hlink" "$log")" -eq 1
	check "$r: /etc/passwd is still a regular file" test -f /etc/passwd -a ! -L /etc/passwd
	for n in lpasswd ldir fifo sock dev; do
		[ "$n" = dev ] && [ "$(id -u)" -ne 0 ] && continue
		c=$(grep -c -- "${r}$n" "$log")
		[ "$c" -eq 1 ] || { diag "$r$n: $c log lines"; grep -- "${r}$n" "$log" | sed 's/^/#   /'; }
		echo "$c" >> "$T/counts.$r"
	done
	check "$r: each refused special entry is logged exactly once" test "$(sort -u "$T/counts.$r")" = 1
	c=$(grep -c -- "$long" "$log"); [ "$c" -eq 1 ] || grep -- "${r}LL" "$log" | sed "s|^|#   |"
	check "$r: the 200-byte name is logged once ($c)" test "$c" -eq 1
	c=$(grep -c -- "${r}nl" "$log"); [ "$c" -eq 1 ] || grep -- "${r}nl" "$log" | sed "s|^|#   |"
	check "$r: the name with a newline is logged once ($c)" test "$c" -eq 1
	# Whatever happened to the mode-000 dir, it is not stuck in new/ or run/.
	c=$(grep -c -- "${r}m000" "$log")
	if [ -e "$SPOOL/new/${r}m000" ]; then
		check "$r: the mode-000 job dir, left in new/, is logged once ($c)" test "$c" -eq 1
	else
		check "$r: the mode-000 job dir ended in done/ or failed/" test -e "$SPOOL/done/${r}m000" -o -e "$SPOOL/failed/${r}m000"
	fi
	check "$r: new/ holds nothing but what could not be moved" test "$(ls "$SPOOL/new" | grep -vc "^${r}")" -eq 0
}

write_conf "$T/conf" <<'EOF2'
jobs = 2
EOF2
check "chuted starts (root)" start_chuted "$T/conf" "$T/log"
hostile r "$T/log"
kill "$CPID"

# The same as uid 65534 on a spool it owns: mode 000 is closed to it.
if [ "$(id -u)" -eq 0 ]; then
	SPOOL=$T/spool2
	OWNER=65534:65534
	mkspool
	chown -R 65534:65534 "$SPOOL"
	chmod 0755 "$T/handler"
	write_conf "$T/conf2" <<'EOF2'
jobs = 2
EOF2
	: > "$T/ledger"; chmod 666 "$T/ledger"; chmod 777 "$T/hpids"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$CHUTED" -c "$T/conf2" > "$T/log2.stdout" 2> "$T/log2" &
	CPID=$!; echo "$CPID" > "$T/pids/$CPID"
	check "chuted starts (uid 65534)" wait_for 20 grep -q 'ready:' "$T/log2"
	hostile u "$T/log2"
else
	for i in $(seq $((per + 1))); do ok "uid 65534 round # SKIP needs root"; done
fi
finish $((2 * per + 2))
