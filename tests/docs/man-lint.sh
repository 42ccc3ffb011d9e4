#!/bin/sh
# SPDX-License-Identifier: MIT
# Lints every man page given as an argument with `mandoc -T lint -W warning`
# (any warning fails), and checks that each page's name and section match
# its file name and that every chute page it cross-references (.Xr) is one
# of the pages given. TAP output; needs mandoc.
set -u
MANDOC=${MANDOC:-mandoc}
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); fail=1; echo "not ok $n - $*"; }

echo "1..$(($# * 3))"
names=""
for page in "$@"; do
	names="$names $(basename "$page")"
done
for page in "$@"; do
	base=$(basename "$page")
	out=$("$MANDOC" -T lint -W warning "$page" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && [ -z "$out" ]; then
		ok "mandoc lint $base"
	else
		notok "mandoc lint $base (rc $rc)"
		printf '%s\n' "$out" | sed 's/^/# /'
	fi
	# .Dt NAME SECTION must match NAME.SECTION (upper-cased).
	want=$(printf '%s' "${base%.*} ${base##*.}" | tr '[:lower:]' '[:upper:]')
	got=$(sed -n 's/^\.Dt //p' "$page")
	if [ "$got" = "$want" ]; then
		ok "$base: .Dt $got"
	else
		notok "$base: .Dt is '$got', want '$want'"
	fi
	missing=""
	for ref in $(grep -o 'Xr \(lib\)\{0,1\}chute[^ ]* [0-9]' "$page" |
	    sed 's/^Xr \([^ ]*\) \([0-9]\)$/\1.\2/' | sort -u); do
		case " $names " in
		*" $ref "*) ;;
		*) missing="$missing $ref" ;;
		esac
	done
	if [ -z "$missing" ]; then
		ok "$base: every chute page it names exists"
	else
		notok "$base: names missing pages:$missing"
	fi
done
exit $fail
