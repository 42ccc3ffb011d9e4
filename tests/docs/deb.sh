#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds the Debian packages from a copy of the source tree (suite 'slow':
# a full build takes a minute or more) with `dpkg-buildpackage -us -uc -b`,
# then checks with dpkg-deb what each package holds, that the sample config
# is a conffile, that postinst creates user chute before the spool, and
# that lintian reports no error or warning. TAP output; needs dpkg-dev,
# debhelper and lintian. The copy is removed on exit.
set -u
: "${SOURCE_ROOT:?}"
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); fail=1; echo "not ok $n - $*"; }

echo "1..7"
mkdir "$T/chute"
(cd "$SOURCE_ROOT" && tar --exclude='./build*' --exclude=./.git -cf - .) |
    tar -C "$T/chute" -xf -
if (cd "$T/chute" && DEB_BUILD_OPTIONS=nocheck \
    dpkg-buildpackage -us -uc -b) > "$T/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b"
else
	notok "dpkg-buildpackage -us -uc -b"
	tail -40 "$T/build.log" | sed 's/^/# /'
fi
v=$(dpkg-parsechangelog -l "$SOURCE_ROOT/debian/changelog" -S Version)
arch=$(dpkg-architecture -q DEB_HOST_ARCH)
ma=$(dpkg-architecture -q DEB_HOST_MULTIARCH)

holds() { # holds PACKAGE PATH...: the .deb contains every PATH
	deb=$T/${1}_${v}_$arch.deb
	shift
	dpkg-deb -c "$deb" 2>/dev/null | awk '{ print $6 }' | sed 's|^\.||' > "$T/list"
	missing=""
	for p in "$@"; do
		grep -qxF "$p" "$T/list" || missing="$missing $p"
	done
	echo "$missing"
}
m=$(holds chute /usr/bin/chute /usr/sbin/chuted /usr/lib/cgi-bin/chute.cgi \
    /etc/chute/chute.conf /lib/systemd/system/chuted.service \
    /usr/lib/tmpfiles.d/chute.conf /usr/lib/sysusers.d/chute.conf \
    /usr/share/man/man1/chute.1.gz /usr/share/man/man5/chute-spool.5.gz \
    /usr/share/man/man5/chute.conf.5.gz /usr/share/man/man8/chute.cgi.8.gz \
    /usr/share/man/man8/chuted.8.gz \
    /usr/share/doc/chute/examples/chute.conf \
    /usr/share/doc/chute/examples/apache/chute.conf)
if [ -z "$m" ]; then ok "chute holds programs, config, unit, man pages"; else notok "chute lacks$m"; fi
m=$(holds libchute0 "/usr/lib/$ma/libchute.so.0")
if [ -z "$m" ]; then ok "libchute0 holds the shared library"; else notok "libchute0 lacks$m"; fi
m=$(holds libchute-dev /usr/include/chute/draft.h /usr/include/chute/spool.h \
    "/usr/lib/$ma/libchute.a" "/usr/lib/$ma/libchute.so" \
    "/usr/lib/$ma/pkgconfig/libchute.pc" /usr/share/man/man3/libchute.3.gz)
if [ -z "$m" ]; then ok "libchute-dev holds headers, static lib, .pc"; else notok "libchute-dev lacks$m"; fi

mkdir "$T/ctl"
dpkg-deb -e "$T/chute_${v}_$arch.deb" "$T/ctl" 2>/dev/null
if grep -qx /etc/chute/chute.conf "$T/ctl/conffiles" 2>/dev/null; then
	ok "/etc/chute/chute.conf is a conffile"
else
	notok "/etc/chute/chute.conf is not a conffile"
fi
su=$(grep -n 'systemd-sysusers' "$T/ctl/postinst" 2>/dev/null | head -1 | cut -d: -f1)
tf=$(grep -n 'systemd-tmpfiles' "$T/ctl/postinst" 2>/dev/null | head -1 | cut -d: -f1)
if [ -n "$su" ] && [ -n "$tf" ] && [ "$su" -lt "$tf" ]; then
	ok "postinst runs systemd-sysusers before systemd-tmpfiles"
else
	notok "postinst: sysusers at line '$su', tmpfiles at line '$tf'"
fi
# lintian refuses nothing as root, but says so on stderr: keep stdout only.
# lintian leaves temp files in TMPDIR: keep them in $T.
mkdir "$T/tmp"
TMPDIR=$T/tmp lintian --fail-on error,warning "$T"/*.changes \
    > "$T/lintian.log" 2>/dev/null
rc=$?
if [ $rc -eq 0 ]; then
	ok "lintian: no errors or warnings"
else
	notok "lintian: rc $rc"
	sed 's/^/# /' "$T/lintian.log"
fi
exit $fail
