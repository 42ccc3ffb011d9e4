#!/bin/sh
# SPDX-License-Identifier: MIT
# Checks the systemd integration files: `systemd-analyze verify` on the
# built unit (in a copy whose ExecStart is the built chuted, since the
# installed path need not exist here), the settings the unit promises,
# and the sysusers.d and tmpfiles.d snippets applied for real into a
# temporary root: user chute created, spool directories created with the
# modes of lib/spool.h and owner chute:chute. TAP output; needs systemd.
set -u
: "${UNIT:?}" "${TMPFILES:?}" "${SYSUSERS:?}" "${SPOOL_H:?}" "${DOCS_DIR:?}"
SYSTEMD_ANALYZE=${SYSTEMD_ANALYZE:-systemd-analyze}
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); fail=1; echo "not ok $n - $*"; }
check() { # check DESCRIPTION COMMAND...: ok when COMMAND succeeds
	d=$1
	shift
	if "$@" > "$T/out" 2>&1; then
		ok "$d"
	else
		notok "$d"
		sed 's/^/# /' "$T/out"
	fi
}

echo "1..20"

# 1-2: the unit as installed names an absolute .../chuted.
exec_start=$(sed -n 's/^ExecStart=//p' "$UNIT")
case $exec_start in
/*/chuted) ok "ExecStart is $exec_start" ;;
*) notok "ExecStart is '$exec_start', want an absolute path to chuted" ;;
esac
check "unit has no unsubstituted @var@" sh -c "! grep -n '@[a-z_]*@' '$UNIT'"

# 3: systemd-analyze verify on a copy pointing at the built binary.
mkdir "$T/unit"
bin=${CHUTED:-/bin/true}
sed "s|^ExecStart=.*|ExecStart=$bin|" "$UNIT" > "$T/unit/chuted.service"
out=$("$SYSTEMD_ANALYZE" verify --man=no "$T/unit/chuted.service" 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ -z "$out" ]; then
	ok "systemd-analyze verify (ExecStart=$bin)"
else
	notok "systemd-analyze verify: rc $rc"
	printf '%s\n' "$out" | sed 's/^/# /'
fi

# 4: the man pages named by Documentation= exist.
missing=""
for ref in $(sed -n 's/^Documentation=//p' "$UNIT"); do
	page=$(printf '%s' "$ref" | sed -n 's/^man:\(.*\)(\([0-9]\))$/\1.\2/p')
	[ -n "$page" ] && [ -f "$DOCS_DIR/$page" ] || missing="$missing $ref"
done
if [ -z "$missing" ]; then
	ok "Documentation= pages exist"
else
	notok "Documentation= names missing pages:$missing"
fi

# 5-11: settings the unit promises (chuted(8)).
for kv in Type=notify KillMode=process 'RestartPreventExitStatus=64' \
    User=chute Group=chute ReadWritePaths=/var/spool/chute \
    'ExecReload=/bin/kill -HUP $MAINPID'; do
	check "unit sets $kv" grep -qxF "$kv" "$UNIT"
done

# 12-13: sysusers.d creates user and group chute in a scratch root.
mkdir -p "$T/root/etc"
check "systemd-sysusers --root" systemd-sysusers --root="$T/root" "$SYSUSERS"
uid=$(awk -F: '$1 == "chute" { print $3 }' "$T/root/etc/passwd" 2>/dev/null)
gid=$(awk -F: '$1 == "chute" { print $3 }' "$T/root/etc/group" 2>/dev/null)
if [ -n "$uid" ] && [ -n "$gid" ]; then
	ok "user chute ($uid) and group chute ($gid) created"
else
	notok "user or group chute missing"
fi

# 14-15: tmpfiles.d creates the spool, silently, and again idempotently.
out=$(systemd-tmpfiles --root="$T/root" --create "$TMPFILES" 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ -z "$out" ]; then
	ok "systemd-tmpfiles --create"
else
	notok "systemd-tmpfiles --create: rc $rc"
	printf '%s\n' "$out" | sed 's/^/# /'
fi
check "systemd-tmpfiles --create again" \
    systemd-tmpfiles --root="$T/root" --create "$TMPFILES"

# 16-20: modes from lib/spool.h, owner chute:chute.
mode_of() { # the octal value of #define NAME in spool.h, without leading 0s
	sed -n "s/^#define $1 0*\\([0-7]*\\).*/\\1/p" "$SPOOL_H"
}
root_mode=$(mode_of SPOOL_MODE_ROOT)
drop_mode=$(mode_of SPOOL_MODE_DROP)
state_mode=$(mode_of SPOOL_MODE_STATE)
if [ -n "$root_mode" ] && [ -n "$drop_mode" ] && [ -n "$state_mode" ]; then
	ok "spool.h modes: root $root_mode, drop $drop_mode, state $state_mode"
else
	notok "cannot read SPOOL_MODE_* from $SPOOL_H"
fi
S=$T/root/var/spool/chute
for spec in ".:$root_mode" "tmp:$drop_mode" "new:$drop_mode" \
    "cancel:$drop_mode" "run:$state_mode" "done:$state_mode" \
    "failed:$state_mode"; do
	want="${spec#*:} $uid $gid"
	got=$(stat -c '%a %u %g' "$S/${spec%%:*}" 2>&1)
	[ "$got" = "$want" ] || echo "${spec%%:*}: '$got', want '$want'"
done > "$T/modes"
check "every spool dir has its spool.h mode and owner chute" \
    test ! -s "$T/modes"
[ -s "$T/modes" ] && sed 's/^/# /' "$T/modes"
extra=$(cd "$S" && ls -A | tr '\n' ' ')
check "spool holds exactly the six state dirs" \
    test "$extra" = "cancel done failed new run tmp "
check "the unit may write the spool it creates" \
    grep -q "^d /var/spool/chute " "$TMPFILES"
check "sysusers home is the spool" \
    grep -q "^u chute .* /var/spool/chute" "$SYSUSERS"
exit $fail
