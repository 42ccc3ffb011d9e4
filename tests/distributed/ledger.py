#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# ledger.py: reads what the distributed tests record and says whether it
# holds. The handler appends "ID HOST ATTEMPT STARTTIME" to a ledger on local
# disk with one O_APPEND write; drop.py prints "ID DROPTIME".
#   ledger.py once EXPECTED LEDGER   every expected ID started exactly once,
#                                    nothing else started (exit 1 otherwise)
#   ledger.py latency DROPS LEDGER   drop->start of first attempts: n, p50,
#                                    p99, max in ms
#   ledger.py hosts LEDGER           starts per host
#   ledger.py status SPOOL IDS       "ID STATE ATTEMPT REASON" from each
#                                    done/ or failed/ ID/status ("ID missing")
# Problems go to stdout as TAP comments ("# ..."), at most 10 of each kind.
import json
import os
import sys
import time


def read_ledger(path):
    rows = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) != 4:
                rows.append(("?", "?", 0, 0.0, line.rstrip("\n")))
                continue
            rows.append((parts[0], parts[1], int(parts[2]), float(parts[3]),
                         None))
    return rows


def read_ids(path):
    with open(path) as f:
        return [line.split()[0] for line in f if line.strip()]


def show(kind, items):
    items = sorted(items)
    for x in items[:10]:
        print("# %s: %s" % (kind, x))
    if len(items) > 10:
        print("# %s: ... %d in all" % (kind, len(items)))


def cmd_once(expected_path, ledger_path):
    expected = read_ids(expected_path)
    rows = read_ledger(ledger_path)
    bad = [r[4] for r in rows if r[4] is not None]
    count = {}
    for r in rows:
        if r[4] is None:
            count[r[0]] = count.get(r[0], 0) + 1
    exp = set(expected)
    missing = [i for i in exp if i not in count]
    twice = ["%s x%d" % (i, n) for i, n in count.items() if n > 1]
    extra = [i for i in count if i not in exp]
    show("torn ledger line", bad)
    show("never started", missing)
    show("started more than once", twice)
    show("unexpected", extra)
    if len(exp) != len(expected):
        print("# duplicate expected IDs")
        return 1
    return 1 if bad or missing or twice or extra else 0


def percentile(sorted_vals, p):
    # nearest rank
    if not sorted_vals:
        return float("nan")
    k = max(0, min(len(sorted_vals) - 1,
                   int(-(-p * len(sorted_vals) // 100)) - 1))
    return sorted_vals[k]


def cmd_latency(drops_path, ledger_path):
    drops = {}
    with open(drops_path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2:
                drops[parts[0]] = float(parts[1])
    lat = []
    for r in read_ledger(ledger_path):
        if r[4] is None and r[2] == 1 and r[0] in drops:
            lat.append((r[3] - drops[r[0]]) * 1000.0)
    lat.sort()
    print("n=%d p50=%.0fms p99=%.0fms max=%.0fms" % (
        len(lat), percentile(lat, 50), percentile(lat, 99),
        lat[-1] if lat else float("nan")))
    return 0


def cmd_hosts(ledger_path):
    hosts = {}
    for r in read_ledger(ledger_path):
        hosts[r[1]] = hosts.get(r[1], 0) + 1
    print(" ".join("%s=%d" % kv for kv in sorted(hosts.items())))
    return 0


def read_status(spool, i):
    for st in ("done", "failed"):
        p = os.path.join(spool, st, i, "status")
        try:
            with open(p) as f:
                return json.load(f)
        except FileNotFoundError:
            continue
        except (OSError, ValueError) as e:
            return {"state": "unreadable:%s" % type(e).__name__}
    return None


def cmd_status(spool, ids_path):
    for i in read_ids(ids_path):
        # A missing status is looked for again (3 s): on a 2-brick volume
        # a look-up can miss a file for a moment (GlusterFS DHT); said on
        # stderr, so that it stays visible.
        found = read_status(spool, i)
        for wait in (0.5, 1.0, 1.5):
            if found is not None:
                break
            time.sleep(wait)
            found = read_status(spool, i)
            if found is not None:
                print("ledger.py: %s/status found only after a second look"
                      % i, file=sys.stderr)
        if found is None and "/m2/" in spool:
            # Through the other host's mount: a client that cannot see a
            # file that is there is GlusterFS's, not chute's; say so.
            found = read_status(spool.replace("/m2/", "/m1/", 1), i)
            if found is not None:
                print("ledger.py: %s/status not found through m2, found "
                      "through m1" % i, file=sys.stderr)
        if found is None:
            print("%s missing - -" % i)
        else:
            print("%s %s %s %s" % (i, found.get("state"),
                                   found.get("attempt"),
                                   found.get("reason")))
    return 0


def main(argv):
    cmds = {"once": (cmd_once, 2), "latency": (cmd_latency, 2),
            "hosts": (cmd_hosts, 1), "status": (cmd_status, 2)}
    if len(argv) < 2 or argv[1] not in cmds or \
            len(argv) - 2 != cmds[argv[1]][1]:
        print("usage: ledger.py once|latency|hosts|status ARGS",
              file=sys.stderr)
        return 64
    return cmds[argv[1]][0](*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
