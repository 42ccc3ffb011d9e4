#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the build tree into a temporary DESTDIR (`meson install
# --destdir --no-rebuild`) and checks that an admin gets what the man pages
# promise: the three programs, the headers, libchute and its .pc file, the
# man pages, the sample config, the systemd unit, tmpfiles.d and sysusers.d.
# Then compiles the EXAMPLES program of libchute(3) against the installed
# headers and library (via pkg-config) and runs it on a spool made by the
# installed `chute init`. TAP output; the DESTDIR is removed on exit.
set -u
: "${MESON:?}" "${BUILD_ROOT:?}" "${PREFIX:?}" "${LIBCHUTE_MAN:?}"
: "${BINDIR:?}" "${SBINDIR:?}" "${LIBDIR:?}" "${INCLUDEDIR:?}" "${MANDIR:?}"
: "${SYSCONFDIR:?}" "${CGIBINDIR:?}"
D=$(mktemp -d) || exit 1
trap 'rm -rf "$D"' EXIT INT TERM
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); fail=1; echo "not ok $n - $*"; }
# A meson dir option is relative to the prefix unless absolute.
under() { case $1 in /*) echo "$D$1" ;; *) echo "$D$PREFIX/$1" ;; esac; }

echo "1..10"
if "$MESON" install -C "$BUILD_ROOT" --destdir "$D" --no-rebuild \
    > "$D/install.log" 2>&1; then
	ok "meson install --destdir"
else
	notok "meson install --destdir"
	sed 's/^/# /' "$D/install.log"
fi

want_files() { # want_files DESCRIPTION TEST-FLAG PATH...
	d=$1 flag=$2
	shift 2
	missing=""
	for f in "$@"; do
		test "$flag" "$f" || missing="$missing ${f#"$D"}"
	done
	if [ -z "$missing" ]; then
		ok "$d"
	else
		notok "$d: missing$missing"
	fi
}
bindir=$(under "$BINDIR")
sbindir=$(under "$SBINDIR")
libdir=$(under "$LIBDIR")
incdir=$(under "$INCLUDEDIR")/chute
mandir=$(under "$MANDIR")
want_files "programs" -x "$bindir/chute" "$sbindir/chuted" \
    "$(under "$CGIBINDIR")/chute.cgi"
want_files "headers" -f "$incdir/conf.h" "$incdir/draft.h" \
    "$incdir/jobid.h" "$incdir/jobinfo.h" "$incdir/spool.h" \
    "$incdir/status.h"
want_files "libchute and libchute.pc" -f "$libdir/libchute.a" \
    "$libdir/libchute.so" "$libdir/pkgconfig/libchute.pc"
want_files "man pages" -f "$mandir/man1/chute.1" "$mandir/man3/libchute.3" \
    "$mandir/man5/chute-spool.5" "$mandir/man5/chute.conf.5" \
    "$mandir/man8/chute.cgi.8" "$mandir/man8/chuted.8" \
    "$mandir/man3/draft_publish.3" "$mandir/man3/jobinfo_load.3"
want_files "sample config, unit, tmpfiles.d, sysusers.d" -f \
    "$(under "$SYSCONFDIR")/chute/chute.conf" \
    "$D$PREFIX/lib/systemd/system/chuted.service" \
    "$D$PREFIX/lib/tmpfiles.d/chute.conf" \
    "$D$PREFIX/lib/sysusers.d/chute.conf"
if grep -qx "ExecStart=$(under "$SBINDIR" | sed "s|^$D||")/chuted" \
    "$D$PREFIX/lib/systemd/system/chuted.service"; then
	ok "installed unit starts the installed chuted"
else
	notok "installed unit's ExecStart is not sbindir/chuted"
fi

# Every installed header compiles on its own, from the installed tree only.
bad=""
for h in "$incdir"/*.h; do
	printf '#include <chute/%s>\n' "$(basename "$h")" > "$D/h.c"
	cflags=$(PKG_CONFIG_PATH="$libdir/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$D" \
	    pkg-config --cflags libchute 2>/dev/null)
	# shellcheck disable=SC2086
	${CC:-cc} -fsyntax-only -Wall -Wextra -Werror -I"$(under "$INCLUDEDIR")" \
	    $cflags "$D/h.c" > "$D/h.log" 2>&1 || bad="$bad $(basename "$h")"
done
if [ -z "$bad" ] && [ -f "$incdir/draft.h" ]; then
	ok "every installed header compiles on its own"
else
	notok "headers that do not compile alone:$bad"
	sed 's/^/# /' "$D/h.log"
fi

# The libchute(3) example: the first literal display under EXAMPLES.
sed -n '/^\.Sh EXAMPLES/,/^\.Sh /p' "$LIBCHUTE_MAN" |
    sed -n '/^\.Bd -literal$/,/^\.Ed$/{/^\.Bd/d;/^\.Ed/q;p;}' |
    sed 's/\\e/\\/g' > "$D/submit.c"
flags=$(PKG_CONFIG_PATH="$libdir/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$D" \
    pkg-config --cflags --libs libchute 2>"$D/pc.log")
san=""
[ "${B_SANITIZE:-none}" != none ] && san="-fsanitize=$B_SANITIZE"
# shellcheck disable=SC2086
if [ -s "$D/submit.c" ] && ${CC:-cc} -Wall -Wextra -Werror $san \
    -o "$D/submit" "$D/submit.c" -I"$(under "$INCLUDEDIR")" $flags \
    > "$D/cc.log" 2>&1; then
	ok "libchute(3) example compiles against the installed tree"
else
	notok "libchute(3) example does not compile (pkg-config: $flags)"
	sed 's/^/# /' "$D/pc.log" "$D/cc.log"
fi

# Run it on a spool made by the installed chute.
S=$D/spool
printf 'a,b\n1,2\n' > "$D/data.csv"
"$bindir/chute" -s "$S" init > "$D/init.log" 2>&1
id=$(LD_LIBRARY_PATH="$libdir" "$D/submit" "$S" "$D/data.csv" 2>"$D/run.log")
if [ -n "$id" ] && [ -f "$S/new/$id/job" ] &&
    [ "$(cat "$S/new/$id/fields/email" 2>/dev/null)" = me@example.org ] &&
    cmp -s "$D/data.csv" "$S/new/$id/files/data"; then
	ok "the example queues job $id with its field and file"
else
	notok "the example did not queue a job (id '$id')"
	sed 's/^/# /' "$D/init.log" "$D/run.log"
fi
exit $fail
