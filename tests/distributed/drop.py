#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# drop.py: a plain producer for the distributed tests, as any language would
# write one: mkdir tmp/ID, write ID/job, rename(2) into new/ID. Prints one
# line "ID DROPTIME" per job (DROPTIME: time.time() once the rename returned)
# so the tests can measure drop->start. Waits for --go FILE first if given.
# Exit: 0 ok, 1 a drop failed (the error on stderr), 64 usage.
import argparse
import os
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("spool")
    ap.add_argument("prefix")
    ap.add_argument("first", type=int)
    ap.add_argument("last", type=int)
    ap.add_argument("--sleep", default="0", help="seconds the handler sleeps")
    ap.add_argument("--interval", type=float, default=0.0,
                    help="seconds between two drops")
    ap.add_argument("--go", help="wait (60 s at most) until this file exists")
    ap.add_argument("--fsync", action="store_true")
    try:
        args = ap.parse_args()
    except SystemExit as e:
        sys.exit(64 if e.code else 0)
    if args.go:
        deadline = time.monotonic() + 60
        while not os.path.exists(args.go):
            if time.monotonic() > deadline:
                print("drop.py: no go signal", file=sys.stderr)
                return 1
            time.sleep(0.005)
    tmp = os.path.join(args.spool, "tmp")
    new = os.path.join(args.spool, "new")
    out = []
    try:
        for i in range(args.first, args.last + 1):
            name = "%s%d" % (args.prefix, i)
            d = os.path.join(tmp, name)
            os.mkdir(d, 0o770)
            fd = os.open(os.path.join(d, "job"),
                         os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC,
                         0o640)
            try:
                os.write(fd, b"sleep %s\n" % args.sleep.encode())
                if args.fsync:
                    os.fsync(fd)
            finally:
                os.close(fd)
            os.rename(d, os.path.join(new, name))
            out.append("%s %.6f\n" % (name, time.time()))
            if args.interval > 0:
                time.sleep(args.interval)
    except OSError as e:
        print("drop.py: %s" % e, file=sys.stderr)
        sys.stdout.write("".join(out))
        return 1
    sys.stdout.write("".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
