#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs the "Producing a job by hand" recipes of chute-spool(5), shell and
# Python, exactly as the page prints them, under the permission model it
# describes: a spool made by `chute init`, chuted as one unprivileged user,
# the producer as another user that shares only the spool's group, with
# umask 022. Both jobs must end in done/ with the handler having read their
# fields; the producer may read a job by ID but not list new/. Needs root
# (setpriv); skips (77) otherwise. TAP; processes and temp dir cleaned up.
set -u
: "${CHUTE:?}" "${CHUTED:?}" "${SPOOL_MAN:?}"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root for setpriv"; exit 77; }
PY=$(command -v python3)
for p in /usr/bin/python3 /bin/python3; do [ -x "$p" ] && PY=$p && break; done
T=$(mktemp -d) || exit 1
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
chmod 755 "$T"
# Copies, so that the other users can run them wherever the build tree is.
mkdir "$T/bin"
cp "$CHUTE" "$T/bin/chute" && cp "$CHUTED" "$T/bin/chuted" || exit 1
CHUTE=$T/bin/chute
CHUTED=$T/bin/chuted
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); fail=1; echo "not ok $n - $*"; }
WATCHER="setpriv --reuid=65533 --regid=65534 --clear-groups"
PRODUCER="setpriv --reuid=65532 --regid=65534 --clear-groups"

# block N: the Nth literal display of the "Producing a job by hand" section.
block() {
	sed -n '/^\.Ss Producing a job by hand/,/^\.S[sh] /p' "$SPOOL_MAN" |
	    awk -v want="$1" '/^\.Bd -literal/ { k++; on = (k == want); next }
		/^\.Ed/ { on = 0 } on' | sed 's/\\e/\\/g'
}

echo "1..7"
S=$T/spool
"$CHUTE" -s "$S" init > "$T/init.log" 2>&1 && chown -R 65533:65534 "$S"
printf '#!/bin/sh\ncat fields/email\n' > "$T/handler"
chmod 755 "$T/handler"
printf 'spool = %s\nhandler = %s\n' "$S" "$T/handler" > "$T/chute.conf"
chmod 644 "$T/chute.conf"
$WATCHER "$CHUTED" -c "$T/chute.conf" 2> "$T/chuted.log" &
pid=$!
i=0
until grep -q ready "$T/chuted.log" || [ $i -ge 200 ]; do
	sleep 0.05
	i=$((i + 1))
done

# The shell recipe, with S pointing at the test spool.
block 1 | sed "s|^S=/var/spool/chute\$|S='$S'|" > "$T/recipe.sh"
block 2 > "$T/recipe.body.py"
{
	printf 'import json, os, sys\ns = %s\nid = "py-recipe"\n' "'$S'"
	printf 'email = "py@example.org"\n'
	cat "$T/recipe.body.py"
} > "$T/recipe.py"
chmod 644 "$T/recipe.sh" "$T/recipe.py"
if grep -q "mv -T" "$T/recipe.sh" && grep -q "os.rename" "$T/recipe.py" &&
    (cd "$T" && EMAIL=sh@example.org $PRODUCER sh -c \
	'umask 022; . ./recipe.sh && echo "$ID"' > "$T/sh.id" 2> "$T/sh.log"); then
	ok "shell recipe runs as a group member ($(cat "$T/sh.id"))"
else
	notok "shell recipe"
	sed 's/^/# /' "$T/recipe.sh" "$T/sh.log"
fi
if (cd "$T" && $PRODUCER sh -c "umask 022; '$PY' recipe.py") \
    > "$T/py.log" 2>&1; then
	ok "Python recipe runs as a group member"
else
	notok "Python recipe"
	sed 's/^/# /' "$T/recipe.py" "$T/py.log"
fi

shid=$(cat "$T/sh.id")
wait_done() {
	i=0
	until [ -f "$S/done/$1/status" ] || [ -f "$S/failed/$1/status" ] ||
	    [ $i -ge 400 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -f "$S/done/$1/status" ] &&
	    [ "$(cat "$S/done/$1/stdout" 2>/dev/null)" = "$2" ]
}
if [ -n "$shid" ] && wait_done "$shid" sh@example.org; then
	ok "shell job done; the handler read its field"
else
	notok "shell job '$shid' not done"
	sed 's/^/# /' "$T/chuted.log"
fi
if wait_done py-recipe py@example.org; then
	ok "Python job done; the handler read its field"
else
	notok "Python job not done"
	sed 's/^/# /' "$T/chuted.log"
fi
if $PRODUCER "$CHUTE" -c "$T/chute.conf" status py-recipe > "$T/st.log" 2>&1 &&
    grep -q done "$T/st.log"; then
	ok "the producer reads a job whose ID it knows"
else
	notok "the producer cannot read its job"
	sed 's/^/# /' "$T/st.log"
fi
if $PRODUCER ls "$S/new" > /dev/null 2>&1; then
	notok "the producer can list new/"
else
	ok "the producer cannot list new/"
fi
if $PRODUCER "$CHUTE" -c "$T/chute.conf" ls > /dev/null 2>&1; then
	notok "the producer can run chute ls"
else
	ok "chute ls needs more than group chute, as chute(1) says"
fi
exit $fail
