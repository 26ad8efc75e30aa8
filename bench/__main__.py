"""Drive the forum under gunicorn with wrk and print a table with ratios to a bare-bytes
baseline measured in the same run. `python -m bench --help`."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SECRET = "bench-secret-key-not-for-production-0123456789"


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
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--no-control-socket",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", app],
        cwd=ROOT, env=env, start_new_session=True)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    stop(process)
    raise RuntimeError(f"gunicorn for {app} did not start")


def stop(process: subprocess.Popen) -> None:
    """Stop exactly what we started: the gunicorn master and its workers."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


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
    parser.add_argument("--students", type=int, default=400)
    parser.add_argument("--discussions", type=int, default=5)
    parser.add_argument("--posts-per-discussion", type=int, default=300)
    parser.add_argument("--replies", type=int, default=20_000)
    args = parser.parse_args()
    wrk = ensure_wrk()
    workdir = Path(tempfile.mkdtemp(prefix="forum-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    env = {**os.environ, "FORUM_DATABASE_URL": url, "FORUM_SECRET_KEY": SECRET,
           "FORUM_RATELIMIT_ENABLED": "0", "BENCH_BASELINE_FILE": str(workdir / "page.html")}
    os.environ.update(env)

    from bench.setup import prepare

    plan = prepare(url, SECRET, args, workdir)
    results: list[Result] = []
    processes = []
    try:
        base_port, app_port = free_port(), free_port()
        processes.append(start_gunicorn("bench.baseline:app", base_port, env))
        processes.append(start_gunicorn("wsgi:app", app_port, env))
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
    finally:
        for process in processes:
            stop(process)
    check = plan.check_writes()
    print_table(results, url, rss, check)


def print_table(results: list[Result], url: str, rss: list[float], check: str) -> None:
    baseline = results[0].rps
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"\nDatabase: {database}; machine: {os.cpu_count()} cores; gunicorn 2 sync workers")
    print(f"{'scenario':<46} {'req/s':>8} {'ratio':>6} {'p50':>9} {'p99':>9} "
          f"{'errors':>6} {'bytes':>8} {'SQL':>4}")
    for r in results:
        print(f"{r.name:<46} {r.rps:>8.1f} {r.rps / baseline:>6.3f} {r.p50:>9} {r.p99:>9} "
              f"{r.errors:>6} {r.size:>8} {'' if r.statements is None else r.statements:>4}")
    print(f"worker RSS after the run: {', '.join(f'{m:.0f} MB' for m in rss)}")
    print(f"writes: {check}")


if __name__ == "__main__":
    main()
