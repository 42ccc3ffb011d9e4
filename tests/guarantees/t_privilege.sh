#!/bin/bash
# SPDX-License-Identifier: MIT
# Least privilege (DESIGN "Permissions"): as root, group `chute` and a user
# chute-www in it (created when missing), a spool from `chute init`. That
# user may submit and read a job whose ID it knows, may not list new/, run/,
# done/ or failed/, and gets "no such job" for a valid ID it guessed; uid
# 65534, not in the group, can do nothing. Root only (setpriv).
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
	echo "1..0 # SKIP needs root and setpriv"
	exit 0
fi
. "$(dirname "$0")/glib.sh"
: "${CHUTE:?}"
chmod 0755 "$T"
echo "1..18"
WWW=chute-www
groupadd -f chute
id "$WWW" >/dev/null 2>&1 || useradd -r -g chute -M -d /nonexistent -s /usr/sbin/nologin "$WWW" 2>"$T/ua.err" ||
	id "$WWW" >/dev/null 2>&1 # another test may have made it meanwhile
check "group chute and user $WWW exist" eval 'id -nG "$WWW" | grep -qw chute'

printf '#!/bin/sh\necho "$CHUTE_ID" >> "%s/ledger"\n' "$T" > "$T/handler"
chmod 0755 "$T/handler"
write_conf "$T/conf" <<'EOF2'
jobs = 2
EOF2
chmod 0644 "$T/conf"
check "chute init makes the spool" timeout 30 "$CHUTE" init -c "$T/conf"
check "its state dirs belong to group chute" test "$(stat -c %G "$SPOOL/new" "$SPOOL/done" | sort -u)" = chute
diag "modes: $(cd "$SPOOL" && stat -c '%n %a %U:%G' tmp new run done failed cancel | tr '\n' ' ')"

# as USER:GROUP[:groups] CMD...: runs CMD with that identity (bounded).
as() {
	who=$1; shift
	case $who in
	www) timeout -k 5 30 setpriv --reuid="$WWW" --regid=chute --init-groups "$@" ;;
	nobody) timeout -k 5 30 setpriv --reuid=65534 --regid=65534 --clear-groups "$@" ;;
	esac
}
id=$(as www "$CHUTE" submit -c "$T/conf" -F a=b 2>"$T/err")
rc=$?
check "$WWW submits a job (exit $rc)" test "$rc" -eq 0 -a -n "$id"
check "and reads its status by ID" eval 'as www "$CHUTE" status -c "$T/conf" "$id" | grep -q queued'
for s in new run done failed; do
	as www ls "$SPOOL/$s" > /dev/null 2> "$T/err"
	check "$WWW cannot list $s/" grep -q 'Permission denied' "$T/err"
done
check "$WWW cannot chute ls" eval '! as www "$CHUTE" ls -c "$T/conf" >/dev/null 2>&1'
# A guess: a valid ID (same timestamp, other random part) it was not given.
guess=${id:0:16}$(tr -dc '0-9A-HJKMNP-TV-Z' < /dev/urandom | head -c 10)
as www "$CHUTE" status -c "$T/conf" "$guess" > "$T/out" 2> "$T/err"
rc=$?
check "a guessed valid ID: no such job (exit $rc: $(head -c 80 "$T/err"))" eval 'test "$rc" -ne 0 && grep -qi "no such job" "$T/err"'

check "chuted starts" start_chuted "$T/conf" "$T/log"
check "the job runs" wait_for 30 test -d "$SPOOL/done/$id"
check "$WWW reads the finished job's status" eval 'as www "$CHUTE" status -c "$T/conf" "$id" | grep -q done'

# uid 65534, not in group chute: nothing.
check "uid 65534 cannot submit" eval '! as nobody "$CHUTE" submit -c "$T/conf" -F a=b >/dev/null 2>&1'
check "uid 65534 cannot read a job it knows" eval '! as nobody "$CHUTE" status -c "$T/conf" "$id" >/dev/null 2>&1'
check "uid 65534 cannot list" eval '! as nobody "$CHUTE" ls -c "$T/conf" >/dev/null 2>&1 && ! as nobody ls "$SPOOL/done" >/dev/null 2>&1'
check "nothing it tried left a trace" test "$(count "$SPOOL/new")$(count "$SPOOL/tmp")" = 00
finish 18
