#!/bin/sh
# SPDX-License-Identifier: MIT
# Keeps the man pages in step with the programs: every option that
# `chuted --help` and `chute [COMMAND] --help` print (long and short) and
# every command that `chute --help` lists must be documented in chuted(8)
# and chute(1) (as ".Fl \-name", ".Fl x", ".Cm command"; "\-" and "-" are
# the same here). TAP output.
set -u
: "${CHUTE:?}" "${CHUTED:?}" "${DOCS_DIR:?}"
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); fail=1; echo "not ok $n - $*"; }

# options FILE: the options a --help text names, one a line ("--json", "-F").
options() {
	grep -o -- '\(^\|[[ ,]\)--\{0,1\}[A-Za-z][A-Za-z-]*' "$1" |
	    sed 's/^[[ ,]//' | grep -- '^-' | sort -u
}
# documented PAGE OPTION: the page has ".Fl \-long" or ".Fl x" for it.
documented() {
	case $2 in
	--*) pat="Fl -${2#--}\\>" ;;
	*) pat="Fl ${2#-}\\>" ;;
	esac
	sed 's/\\-/-/g' "$1" | grep -q -- "$pat"
}
check_help() { # check_help NAME PAGE HELPFILE
	missing=""
	for o in $(options "$3"); do
		documented "$2" "$o" || missing="$missing $o"
	done
	if [ -z "$missing" ]; then
		ok "$1: every option of --help is in $(basename "$2")"
	else
		notok "$1: undocumented options:$missing"
	fi
}

echo "1..3"
"$CHUTED" --help > "$T/chuted.help" 2>&1
check_help chuted "$DOCS_DIR/chuted.8" "$T/chuted.help"

"$CHUTE" --help > "$T/chute.help" 2>&1
cmds=$(sed -n '/^Commands:/,/^$/p' "$T/chute.help" |
    sed -n 's/^  \([a-z][a-z]*\) .*/\1/p')
for c in $cmds; do
	"$CHUTE" "$c" --help >> "$T/chute.help" 2>&1
done
check_help chute "$DOCS_DIR/chute.1" "$T/chute.help"
missing=""
for c in $cmds; do
	grep -q "^\.It Cm $c\\>" "$DOCS_DIR/chute.1" || missing="$missing $c"
done
if [ -n "$cmds" ] && [ -z "$missing" ]; then
	ok "chute: every command ($(echo $cmds)) is in chute.1"
else
	notok "chute: commands '$cmds', undocumented:$missing"
fi
exit $fail
