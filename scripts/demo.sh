#!/bin/sh
# SPDX-License-Identifier: MIT
# The chute demo: builds chute (build-demo/), makes a private spool in a
# temporary directory, starts chuted with the wordcount handler
# (etc/demo/wordcount) and Debian's apache2 serving chute.cgi on
# http://127.0.0.1:$PORT/chute/ (PORT=8080 by default; PORT=0 picks a free
# one), and stops everything on Ctrl-C. Needs scripts/deps.sh first.
#   DEMO_SELFTEST=1   run one job through curl, check its result, and exit
#   DEMO_DIR=DIR      keep the demo's files in DIR (default: a temp dir,
#                     removed on exit)
#   CHUTE_CGI, CHUTED, CHUTE   use these binaries instead of building
# As root, Apache needs a user: the demo creates group `chute` and user
# `chute-www` (as the tests do) when they are missing.
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
PORT=${PORT:-8080}
apache=$(command -v apache2 || echo /usr/sbin/apache2)

say() {
	printf 'demo: %s\n' "$*" >&2
}

die() {
	say "$*"
	exit 1
}

if [ -z "${CHUTE_CGI:-}" ] || [ -z "${CHUTED:-}" ] || [ -z "${CHUTE:-}" ]
then
	build=$src/build-demo
	if [ ! -f "$build/build.ninja" ]; then
		meson setup "$build" "$src" >&2 || die "meson setup failed"
	fi
	ninja -C "$build" >&2 || die "build failed"
	CHUTE_CGI=$build/cgi/chute.cgi
	CHUTED=$build/watcher/chuted
	CHUTE=$build/cli/chute
fi
[ -x "$apache" ] || die "apache2 not found: run scripts/deps.sh (as root)"
command -v curl >/dev/null || die "curl not found: run scripts/deps.sh"

if [ "$PORT" = 0 ]; then
	PORT=$(python3 -c 'import socket; s = socket.socket();
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi

if [ -n "${DEMO_DIR:-}" ]; then
	demo=$DEMO_DIR
	mkdir -p "$demo"
	remove_demo=no
else
	demo=$(mktemp -d /tmp/chute-demo.XXXXXX)
	remove_demo=yes
fi
demo=$(cd "$demo" && pwd)
chmod 755 "$demo"
apache_pid=
chuted_pid=

# Stops Apache and chuted by PID, then any runner still at work (by the
# runner_pid its status names: runners outlive chuted by design).
cleanup() {
	trap - INT TERM EXIT
	if [ -n "$apache_pid" ] && kill -0 "$apache_pid" 2>/dev/null; then
		kill -TERM "$apache_pid" 2>/dev/null || :
		wait "$apache_pid" 2>/dev/null || :
	fi
	if [ -n "$chuted_pid" ] && kill -0 "$chuted_pid" 2>/dev/null; then
		kill -TERM "$chuted_pid" 2>/dev/null || :
		wait "$chuted_pid" 2>/dev/null || :
	fi
	for st in "$demo"/spool/run/*/status; do
		[ -f "$st" ] || continue
		pid=$(sed -n 's/.*"runner_pid": *\([0-9][0-9]*\).*/\1/p' "$st")
		[ -n "$pid" ] && [ "$pid" -gt 1 ] && kill -TERM -- "-$pid" \
		    2>/dev/null || :
	done
	if [ "$remove_demo" = yes ]; then
		rm -rf "$demo"
	fi
	say "stopped"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

usergroup=
if [ "$(id -u)" = 0 ]; then
	getent group chute >/dev/null || groupadd -r chute ||
	    getent group chute >/dev/null || die "cannot create group chute"
	getent passwd chute-www >/dev/null ||
	    useradd -r -g chute -M -d /nonexistent -s /usr/sbin/nologin \
		chute-www || getent passwd chute-www >/dev/null ||
	    die "cannot create user chute-www"
	usergroup="User chute-www
Group chute"
fi

mkdir -p "$demo/cgi-bin" "$demo/htdocs" "$demo/run"
cp "$CHUTE_CGI" "$demo/cgi-bin/chute.cgi"
cp "$src/etc/demo/wordcount" "$demo/wordcount"
chmod 755 "$demo/cgi-bin" "$demo/htdocs" "$demo/cgi-bin/chute.cgi" \
    "$demo/wordcount"
sed "s#@DEMO@#$demo#g" "$src/etc/demo/chute.conf.in" > "$demo/chute.conf"
sed -e "s#/usr/lib/cgi-bin#$demo/cgi-bin#g" \
    -e "s#/etc/chute/chute.conf#$demo/chute.conf#g" \
    "$src/etc/apache/chute.conf" > "$demo/chute-site.conf"
{
	sed -e "s#@DEMO@#$demo#g" -e "s#@PORT@#$PORT#g" \
	    -e "s#@SITE@#$demo/chute-site.conf#g" \
	    -e "/@USERGROUP@/d" "$src/etc/demo/httpd.conf.in"
	printf '%s\n' "$usergroup"
	for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
		if eval "[ -n \"\${$v:-}\" ]"; then
			printf 'PassEnv %s\n' "$v"
		fi
	done
} > "$demo/httpd.conf"
chmod 644 "$demo"/*.conf
"$CHUTE" -c "$demo/chute.conf" init || die "chute init failed"

"$CHUTED" -c "$demo/chute.conf" 2>>"$demo/chuted.log" &
chuted_pid=$!
"$apache" -DFOREGROUND -f "$demo/httpd.conf" >>"$demo/apache.out" 2>&1 &
apache_pid=$!

url=http://127.0.0.1:$PORT/chute/
tries=0
until curl -fsS -o /dev/null "$url" 2>/dev/null; do
	tries=$((tries + 1))
	if [ "$tries" -gt 100 ] || ! kill -0 "$apache_pid" 2>/dev/null; then
		cat "$demo/apache.out" "$demo/error.log" >&2 2>/dev/null || :
		die "apache2 did not start on port $PORT"
	fi
	sleep 0.1
done
kill -0 "$chuted_pid" 2>/dev/null || {
	cat "$demo/chuted.log" >&2
	die "chuted did not start"
}

if [ "${DEMO_SELFTEST:-0}" = 1 ]; then
	sample=$demo/sample.txt
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
		echo "line $i: the quick brown fox jumps over the lazy dog"
	done > "$sample"
	resp=$(curl -fsS -H 'Accept: application/json' -F "file=@$sample" \
	    "$url") || die "submit failed"
	id=$(printf '%s' "$resp" | sed -n 's/.*"id": *"\([^"]*\)".*/\1/p')
	[ -n "$id" ] || die "no id in: $resp"
	say "submitted job $id"
	state= n=0
	while [ "$n" -lt 300 ]; do
		json=$(curl -fsS "${url}jobs/$id?format=json") ||
		    die "status failed"
		state=$(printf '%s' "$json" |
		    sed -n 's/.*"state": *"\([a-z]*\)".*/\1/p')
		case $state in done | failed) break ;; esac
		sleep 0.1
		n=$((n + 1))
	done
	[ "$state" = done ] || die "job ended '$state': $json"
	counts=$(curl -fsS "${url}jobs/$id/result/counts.txt") ||
	    die "result download failed"
	want=$(set -- $(wc -l -w -c < "$sample");
	    printf 'lines %s\nwords %s\nbytes %s' "$1" "$2" "$3")
	case $counts in
	"$want"*) ;;
	*) die "unexpected counts.txt: $counts" ;;
	esac
	curl -fsS "$url" | grep -q '<form' || die "no form at $url"
	say "selftest ok: job $id done; counts.txt:"
	printf '%s\n' "$counts" | sed 's/^/    /' >&2
	exit 0
fi

say "chute is running at $url  (spool: $demo/spool)"
say "upload a text file there and watch it being counted; Ctrl-C stops"
wait "$apache_pid" || :
