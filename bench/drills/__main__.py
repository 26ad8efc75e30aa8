"""Run the fault drills and print a table: `python -m bench.drills [--only NAME]`.

Each drill starts what it needs on loopback (its own PostgreSQL cluster, never the
machine's; gunicorn with the repository's gunicorn.conf.py; the task-queue worker),
drives it with a pool of HTTP clients that record every request's outcome, injects its
fault, checks, prints its figures and PASS or FAIL, and stops exactly the processes it
started. The exit status is 1 when any drill fails."""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import time
import traceback
from collections import Counter

from bench.drills.helpers import Context, Result

DRILLS = ("mixed", "outage", "terminate", "kill", "lock", "graders", "sqlite", "backup",
          "readers")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.drills", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=DRILLS, action="append", metavar="NAME",
                        help=f"run only this drill (repeatable): {', '.join(DRILLS)}")
    parser.add_argument("--keep", action="store_true",
                        help="keep the logs (gunicorn's, the worker's) in the working directory")
    args = parser.parse_args()
    chosen = args.only or list(DRILLS)
    # A TERM (a CI timeout, `kill`) unwinds like Ctrl-C: every drill's `finally` stops
    # what it started, and the cluster is removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ctx = Context(keep=args.keep)
    results: list[Result] = []
    try:
        for name in chosen:
            module = importlib.import_module(f"bench.drills.{name}")
            result = Result(name)
            print(f"\n== {name}: {module.TITLE}", flush=True)
            started = time.monotonic()
            try:
                module.run(ctx, result)
            except Exception as error:  # a drill that breaks fails; the others still run
                traceback.print_exc()
                result.problem(f"the drill itself failed: {type(error).__name__}: {error}")
            result.seconds = time.monotonic() - started
            results.append(result)
            if result.skipped:
                result.figure(f"skipped: {result.skipped}")
            print(f"== {name}: {result.verdict} ({result.seconds:.0f} s)", flush=True)
    finally:
        ctx.close()
    print_table(results)
    if args.keep:
        print(f"\nlogs kept in {ctx.root}")
    return 0 if all(r.passed for r in results) else 1


def print_table(results: list[Result]) -> None:
    print(f"\n{'drill':<10} {'result':<6} {'time':>5}  figures")
    for r in results:
        lines = r.figures or [""]
        print(f"{r.name:<10} {r.verdict:<6} {r.seconds:>4.0f}s  {lines[0]}")
        for line in lines[1:]:
            print(f"{'':<25}{line}")
        shown = Counter(r.problems)
        for line, count in list(shown.items())[:6]:
            print(f"{'':<25}FAIL: {f'({count}x) ' if count > 1 else ''}{line}")
        if len(shown) > 6:
            print(f"{'':<25}FAIL: … {len(shown) - 6} more (above)")


if __name__ == "__main__":
    sys.exit(main())
