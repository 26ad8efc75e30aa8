"""Drive the forum under gunicorn with wrk and print a table with ratios to a bare-bytes
baseline measured in the same run. `python -m bench --help`."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench import add_data_arguments, stop

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SECRET = "bench-secret-key-not-for-production-0123456789"
WORKERS = 2  # gunicorn sync workers, as the table's heading says
SCALE_SCENARIO = "post page, 50 replies, student"  # what --scale-replies measures again
SCALE_TARGET = 1.2  # the performance issue: big database p50 / small database p50
SEARCH_TARGET_MS = 100  # the search's p50 on the grown database (issue 13)


@dataclass
class Result:
    name: str
    rps: float
    p50: str
    p99: str
    errors: int
    size: int
    statements: int | None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_wrk() -> str:
    if shutil.which("wrk") is None:
        print("installing wrk (Debian package)…", file=sys.stderr)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True,
                       stdout=subprocess.DEVNULL)
    return shutil.which("wrk")


def start_gunicorn(app: str, port: int, env: dict) -> subprocess.Popen:
    """Start gunicorn and return once all its workers have loaded the app (the port opens
    seconds earlier, and the first scenario would time its boot)."""
    ready = Path(tempfile.mkdtemp(prefix="forum-bench-ready-"))
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--no-control-socket",
         "--config", str(HERE / "gunicorn_ready.py"), "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", app],
        cwd=ROOT, env={**env, "BENCH_READY_DIR": str(ready)}, start_new_session=True)
    try:
        for _ in range(600):
            if process.poll() is not None:
                break
            if len(list(ready.iterdir())) >= WORKERS:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    return process
                except OSError:
                    pass
            time.sleep(0.1)
    finally:
        shutil.rmtree(ready, ignore_errors=True)
    stop(process)
    raise RuntimeError(f"gunicorn for {app} did not start")


def start_worker(env: dict) -> subprocess.Popen:
    """The task queue's consumer, as `make run` starts it, logging only problems."""
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "forum", "worker"],
                            cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def worker_rss_mb(process: subprocess.Popen) -> list[float]:
    children = subprocess.run(["ps", "-o", "rss=", "--ppid", str(process.pid)],
                              capture_output=True, text=True).stdout.split()
    return [int(kb) / 1024 for kb in children]


def run_wrk(wrk: str, url: str, seconds: int, connections: int, headers: dict,
            script: Path | None = None) -> tuple[float, str, str, int]:
    command = [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = out.split("Latency Distribution", 1)[1]
    p50 = re.search(r"50%\s+(\S+)", latency).group(1)
    p99 = re.search(r"99%\s+(\S+)", latency).group(1)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                        out)
    errors = (int(non_2xx.group(1)) if non_2xx else 0) + (
        sum(int(n) for n in sockets.groups()) if sockets else 0)
    statuses = re.search(r"STATUSES (.*)", out)
    if statuses:
        print(f"  write answers: {statuses.group(1)}", file=sys.stderr)
    return rps, p50, p99, errors


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--database-url", help="PostgreSQL URL (default: a fresh SQLite file)")
    parser.add_argument("--seconds", type=int, default=8, help="per scenario")
    parser.add_argument("--connections", type=int, default=16)
    add_data_arguments(parser)
    parser.add_argument("--scale-replies", type=int, metavar="N",
                        help="afterwards, grow the database to N replies in all (a new "
                             "course; the measured threads keep their replies), rerun "
                             "'post page, 50 replies, student' and compare its p50")
    args = parser.parse_args()
    if args.scale_replies is not None and args.scale_replies <= args.replies:
        parser.error("--scale-replies must be larger than --replies")
    wrk = ensure_wrk()
    workdir = Path(tempfile.mkdtemp(prefix="forum-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    env = {**os.environ, "FORUM_DATABASE_URL": url, "FORUM_SECRET_KEY": SECRET,
           "FORUM_RATELIMIT_ENABLED": "0", "BENCH_BASELINE_FILE": str(workdir / "page.html"),
           "FORUM_QUEUE_URL": f"sqlite:///{workdir / 'queue.db'}"}
    os.environ.update(env)

    from bench.setup import prepare

    plan = prepare(url, SECRET, args, workdir)
    results: list[Result] = []
    processes = []
    try:
        base_port, app_port = free_port(), free_port()
        processes.append(start_gunicorn("bench.baseline:app", base_port, env))
        processes.append(start_gunicorn("wsgi:app", app_port, env))
        processes.append(start_worker(env))
        rps, p50, p99, errors = run_wrk(wrk, f"http://127.0.0.1:{base_port}/", args.seconds,
                                        args.connections, {})
        results.append(Result("baseline: bare Flask, same bytes", rps, p50, p99, errors,
                              plan.baseline_size, 0))
        for scenario in plan.scenarios:
            rps, p50, p99, errors = run_wrk(
                wrk, f"http://127.0.0.1:{app_port}{scenario.path}", args.seconds,
                args.connections, scenario.headers, scenario.script)
            results.append(Result(scenario.name, rps, p50, p99, errors, scenario.size,
                                  scenario.statements))
        rss = worker_rss_mb(processes[1])
        told = plan.told_after(60)
    finally:
        for process in processes:
            stop(process)
    check = plan.check_writes()
    print_table(results, url, rss, check)
    print(f"notified (one worker, under the write scenario): {told}")
    if args.scale_replies:
        sys.stdout.flush()  # the table is ready; growing takes minutes
        table = next(r for r in results if r.name == SCALE_SCENARIO)
        scenario = next(s for s in plan.scenarios if s.name == SCALE_SCENARIO)
        scale_check(wrk, args, env, plan, scenario, table)


def scale_check(wrk: str, args, env: dict, plan, scenario, table: Result) -> None:
    """The scenario on the small database, then on the database grown to --scale-replies,
    measured back to back the same way (fresh gunicorn, settled database)."""
    from bench.setup import SEARCH_SCENARIO

    search = next(s for s in plan.scenarios if s.name == SEARCH_SCENARIO)
    replies = plan.restore()
    small = _run_alone(wrk, args, env, scenario)
    small_search = _run_alone(wrk, args, env, search)
    grown = plan.grow(args.scale_replies)
    big = _run_alone(wrk, args, env, scenario)
    big_search = _run_alone(wrk, args, env, search)
    # How long one search takes to answer, without waiting behind others: as many
    # connections as workers.
    alone_search = _run_alone(wrk, args, env, search, connections=WORKERS)
    if not (duration_ms(small.p50) and duration_ms(big.p50)):
        verdict = "no ratio: a run completed no request (give it more --seconds)"
    else:
        ratio = duration_ms(big.p50) / duration_ms(small.p50)
        verdict = (f"ratio {ratio:.2f} ({'within' if ratio <= SCALE_TARGET else 'above'} "
                   f"the {SCALE_TARGET} target)")
        if small.errors or big.errors:
            verdict = f"ratio {ratio:.2f}, NOT VALID: {small.errors} and {big.errors} errors"
    print(f"scale: {SCALE_SCENARIO}, p50: {small.p50} at {replies:,} replies, {big.p50} at "
          f"{grown.replies_after:,}; {verdict} (p50 in the table: {table.p50})")
    pages = {small.size, big.size, scenario.size}
    served = (f"the page's {scenario.size:,} bytes both times" if len(pages) == 1 else
              f"PAGES DIFFER: {small.size:,} and {big.size:,} bytes, {scenario.size:,} "
              f"in the table")
    fast = duration_ms(alone_search.p50) <= SEARCH_TARGET_MS if alone_search.p50 else False
    print(f"scale: {SEARCH_SCENARIO}, p50: {small_search.p50} at {replies:,} replies, "
          f"{big_search.p50} at {grown.replies_after:,} ({args.connections} connections); "
          f"answering alone ({WORKERS} connections) at {grown.replies_after:,}: "
          f"{alone_search.p50}, {alone_search.rps:.0f} req/s ({'within' if fast else 'above'} "
          f"the {SEARCH_TARGET_MS} ms target; "
          f"{small_search.errors + big_search.errors + alone_search.errors} errors; "
          f"{big_search.size:,} bytes)")
    print(f"scale: grown in {grown.seconds:.0f} s (+{grown.settle_seconds:.0f} s to settle); "
          f"{served}; {grown.statements} SQL statements ({scenario.statements} in the table)")


def _run_alone(wrk: str, args, env: dict, scenario, connections: int | None = None
               ) -> Result:
    """One scenario on its own gunicorn; errors count a first GET that did not answer 200."""
    port = free_port()
    url = f"http://127.0.0.1:{port}{scenario.path}"
    process = start_gunicorn("wsgi:app", port, env)
    try:
        status, size = fetch(url, scenario.headers)
        rps, p50, p99, errors = run_wrk(wrk, url, args.seconds,
                                        connections or args.connections, scenario.headers)
    finally:
        stop(process)
    return Result(scenario.name, rps, p50, p99, errors + (status != 200), size, None)


def fetch(url: str, headers: dict) -> tuple[int, int]:
    """One GET: its status and the length of its body."""
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - our own http URL
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, len(response.read())
    except urllib.error.HTTPError as error:
        return error.code, len(error.read())


def duration_ms(text: str) -> float:
    """wrk's latency figures ('950.00us', '79.34ms', '1.05s', '1.20m') in milliseconds."""
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def print_table(results: list[Result], url: str, rss: list[float], check: str) -> None:
    baseline = results[0].rps
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"\nDatabase: {database}; machine: {os.cpu_count()} cores; gunicorn {WORKERS} sync "
          "workers")
    print(f"{'scenario':<46} {'req/s':>8} {'ratio':>6} {'p50':>9} {'p99':>9} "
          f"{'errors':>6} {'bytes':>8} {'SQL':>4}")
    for r in results:
        print(f"{r.name:<46} {r.rps:>8.1f} {r.rps / baseline:>6.3f} {r.p50:>9} {r.p99:>9} "
              f"{r.errors:>6} {r.size:>8} {'' if r.statements is None else r.statements:>4}")
    print(f"worker RSS after the run: {', '.join(f'{m:.0f} MB' for m in rss)}")
    print(f"writes: {check}")


if __name__ == "__main__":
    main()
