#!/bin/sh
# SPDX-License-Identifier: MIT
# Checks that the configuration keys agree in three places: the comments of
# struct conf in lib/conf.h ("/* key = default ..."), the key list of
# chute.conf(5) (".It Cm key No = ...") and the sample etc/chute.conf
# ("#key = default" lines). Every key must appear in all three, and the man
# page and the sample must name no key that conf.h lacks. TAP output.
set -u
: "${CONF_H:?}" "${CONF_MAN:?}" "${CONF_SAMPLE:?}"
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT INT TERM

# Keys of conf.h: comments inside struct conf of the form "/* key = ...".
sed -n '/^struct conf {/,/^};/p' "$CONF_H" |
    sed -n 's|.*/\* *\([a-z_][a-z_]*\) *=.*|\1|p' | sort -u > "$T/h"
sed -n 's/^\.It Cm \([a-z_][a-z_]*\) No =.*/\1/p' "$CONF_MAN" | sort -u > "$T/man"
sed -n 's/^[#;] *\([a-z_][a-z_]*\) *=.*/\1/p' "$CONF_SAMPLE" | sort -u > "$T/sample"

nkeys=$(wc -l < "$T/h")
echo "1..$((nkeys * 2 + 3))"
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); fail=1; echo "not ok $n - $*"; }

if [ "$nkeys" -ge 15 ]; then
	ok "conf.h lists $nkeys keys"
else
	notok "conf.h lists only $nkeys keys (parsing broke?)"
fi
while read -r key; do
	if grep -qx "$key" "$T/man"; then
		ok "chute.conf(5) documents $key"
	else
		notok "chute.conf(5) lacks $key"
	fi
	if grep -qx "$key" "$T/sample"; then
		ok "etc/chute.conf shows $key"
	else
		notok "etc/chute.conf lacks $key"
	fi
done < "$T/h"
extra=$(comm -13 "$T/h" "$T/man" | tr '\n' ' ')
if [ -z "$extra" ]; then
	ok "chute.conf(5) names no unknown key"
else
	notok "chute.conf(5) names unknown keys: $extra"
fi
extra=$(comm -13 "$T/h" "$T/sample" | tr '\n' ' ')
if [ -z "$extra" ]; then
	ok "etc/chute.conf names no unknown key"
else
	notok "etc/chute.conf names unknown keys: $extra"
fi
exit $fail
