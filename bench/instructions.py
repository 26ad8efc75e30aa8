"""Instructions per request for the key pages, counted under valgrind's callgrind: a
figure that does not move with the machine's load. `python -m bench.instructions --help`.

Requests/s and latencies from `python -m bench` change by tens of per cent when other work
shares the machine; the number of CPU instructions a request executes does not. This
module builds the benchmark's database and scenarios (bench/setup.py: the same generator
as `flask --app forum bench-data`, the same cookies and token), then starts one child
process under `valgrind --tool=callgrind --instr-atstart=no`. The child loads the app as
gunicorn does (`wsgi:app`) and the bare-bytes baseline (bench/baseline.py) and, for each
scenario, calls the WSGI application directly with the headers wrk sends: a few warm-up
requests first (so the page cache, SQLAlchemy's statement cache and the database's own
cache are as in the benchmark's steady state), then N measured requests.

How the requests' instructions are isolated: callgrind cannot name Python functions, so
the child switches callgrind's instrumentation on just before its loop of N requests and
off just after it (`callgrind_control -i on` / `-i off` on its own pid), then has the
counters dumped (`callgrind_control -d`) into a file of their own; importing, creating
the app and the warm-up run with instrumentation off (and so at a few times native speed,
not fifty). The switching itself costs instructions inside the window (the return from one
`subprocess.run` and the start of the next): the child measures that by opening and closing
a window with no request in it, before the first scenario and after the last, and the
mean of those two is taken off every window before dividing by N. It is about 0.25
million instructions.

Noise: some work comes every so many allocations rather than every request (Python's
garbage collector, most likely), so a window can hold one round of it more or fewer than
another of the same requests: about 0.3 million instructions either way. Spread over 20
requests that is well under 1 % of any page, but 5 % of the bare-bytes route (0.32
million a request), so the baseline gets ten times as many requests. Checked against the
other way of isolating requests (windows of N and of 2N requests in one process, the
difference divided by N), the counts here agreed within 1 % for the post page and the
API thread. Repeated runs agree within about 0.5 %.

Counted: everything the app process executes for the request (Python, the C libraries, and
on SQLite the database engine itself, which runs in-process). Not counted: the server in
front of the app (gunicorn's parsing and writing, the kernel's sockets), and on PostgreSQL
the database server's work, which runs in another process: PostgreSQL figures show the
app's share only and are not comparable with SQLite's. SQL statements are counted on the
last warm-up request. Python's hash seed is fixed, so repeated runs agree closely.

A native pass follows (the same requests without valgrind, `--native-requests` of each),
timing CPU seconds per request with `time.process_time`; it gives this machine's
instructions per CPU-second and CPU milliseconds per request, which move with the machine
(docs/capacity.md turns them into cores).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import add_data_arguments

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SECRET = "bench-secret-key-not-for-production-0123456789"
BASELINE = "baseline: bare Flask, same bytes"
# The scenarios of bench/setup.py counted here, by the start of their names.
KEY_SCENARIOS = (
    "post page, 50 replies, student",
    "post page, 50 replies, anonymous",
    "discussion page",
    "dashboard, student",
    "grading roster",
    "API thread, 50 replies",
    "API posts list",
    "search, two words",  # what a search costs, for docs/capacity.md
)
CALIBRATION = "calibration"  # a window with no request in it
BASELINE_TIMES = 10  # the baseline's requests per scenario's: see "noise" above
APPLICATION_NAME = "forum-instructions"  # how PostgreSQL knows the native pass's connections


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL URL, an empty database (default: "
                        "a fresh SQLite file); its server's instructions are not counted")
    parser.add_argument("--requests", type=int, default=20,
                        help="measured requests per scenario under callgrind")
    parser.add_argument("--warmup", type=int, default=3, help="requests before measuring")
    parser.add_argument("--only", action="append", metavar="PREFIX",
                        help="count only the scenarios whose names start so (repeatable; "
                             "the baseline always runs)")
    parser.add_argument("--native-requests", type=int, default=50,
                        help="requests per scenario timed without valgrind (0: skip)")
    add_data_arguments(parser)
    parser.add_argument("--child", metavar="SPEC", help=argparse.SUPPRESS)
    parser.add_argument("--mode", choices=("callgrind", "cpu"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child), args.mode)
        return
    if args.requests < 1 or args.warmup < 1:
        parser.error("--requests and --warmup must be at least 1")
    valgrind = shutil.which("valgrind")
    if not valgrind or not shutil.which("callgrind_control"):
        sys.exit("valgrind (with callgrind_control) is needed: apt-get install -y valgrind")

    workdir = Path(tempfile.mkdtemp(prefix="forum-instructions-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    env = {**os.environ, "FORUM_DATABASE_URL": url, "FORUM_SECRET_KEY": SECRET,
           "FORUM_RATELIMIT_ENABLED": "0", "BENCH_BASELINE_FILE": str(workdir / "page.html"),
           "FORUM_QUEUE_URL": f"sqlite:///{workdir / 'queue.db'}", "PYTHONHASHSEED": "0"}
    os.environ.update(env)
    from bench.setup import prepare

    started = time.monotonic()
    plan = prepare(url, SECRET, args, workdir)
    chosen = [s for s in plan.scenarios if s.name.startswith(KEY_SCENARIOS)
              and (not args.only or s.name.startswith(tuple(args.only)))]
    spec = {"requests": args.requests, "warmup": args.warmup,
            "scenarios": [{"name": BASELINE, "app": "baseline", "path": "/", "headers": {},
                           "times": BASELINE_TIMES}]
            + [{"name": s.name, "app": "forum", "path": s.path, "headers": s.headers,
                "times": 1} for s in chosen]}
    (workdir / "spec.json").write_text(json.dumps(spec))
    print(f"data ready in {time.monotonic() - started:.0f} s; counting {args.requests} "
          f"requests of each of {len(spec['scenarios'])} scenarios under callgrind…",
          file=sys.stderr)
    started = time.monotonic()
    counted = run_callgrind(valgrind, workdir, env)
    print(f"counted in {time.monotonic() - started:.0f} s", file=sys.stderr)
    timed = None
    if args.native_requests:
        spec["requests"] = args.native_requests
        (workdir / "spec.json").write_text(json.dumps(spec))
        timed = run_child([sys.executable], workdir, {**env, "PGAPPNAME": APPLICATION_NAME},
                          "cpu")
    database = "PostgreSQL (app process only)" if url.startswith("postgresql") else "SQLite"
    print_table(spec, counted, timed, database, args)
    shutil.rmtree(workdir, ignore_errors=True)


def run_child(prefix: list[str], workdir: Path, env: dict, mode: str) -> dict:
    command = [*prefix, "-m", "bench.instructions", "--child", str(workdir / "spec.json"),
               "--mode", mode]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stderr[-6000:])
        raise SystemExit(f"the {mode} child failed ({done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_callgrind(valgrind: str, workdir: Path, env: dict) -> dict:
    """The child under callgrind; returns its report with each window's instructions."""
    out = workdir / "callgrind"
    out.mkdir()
    report = run_child([valgrind, "--tool=callgrind", "--instr-atstart=no", "-q",
                        f"--callgrind-out-file={out}/callgrind.out.%p", sys.executable],
                       workdir, env, "callgrind")
    windows: dict[str, int] = {}
    for dump in out.iterdir():
        text = dump.read_text(errors="replace")
        label = re.search(r"^desc: Trigger: .*?\b(window-\S+)\s*$", text, re.M)
        totals = re.search(r"^totals: (\d+)", text, re.M)
        if label and totals:
            windows[label.group(1)] = int(totals.group(1))
    report["windows"] = windows
    return report


def child(spec_file: Path, mode: str) -> None:
    """Load the apps as gunicorn would, then warm up and measure every scenario."""
    spec = json.loads(spec_file.read_text())
    from sqlalchemy import event

    from bench.baseline import app as baseline_app
    from forum.extensions import db
    from wsgi import app as forum_app

    with forum_app.app_context():
        engine = db.engine
    apps = {"baseline": baseline_app, "forum": forum_app}
    report: dict = {"statements": {}, "bytes": {}, "requests": {}, "cpu_seconds": {},
                    "server_cpu_seconds": {}}
    if mode == "callgrind":
        window(f"window-{CALIBRATION}-1", lambda: None)
    for index, scenario in enumerate(spec["scenarios"]):
        app, environ = apps[scenario["app"]], wsgi_environ(scenario)
        for _ in range(spec["warmup"] - 1):
            call(app, environ)
        statements = []

        def record(*_args, _statements=statements) -> None:
            _statements.append(1)

        event.listen(engine, "before_cursor_execute", record)
        try:
            status, size = call(app, environ)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        if not status.startswith("200"):
            raise SystemExit(f"{scenario['name']}: {status}")
        report["statements"][scenario["name"]] = 0 if app is baseline_app else len(statements)
        report["bytes"][scenario["name"]] = size

        n = spec["requests"] * scenario["times"]
        report["requests"][scenario["name"]] = n

        def loop(app=app, environ=environ, n=n) -> None:
            for _ in range(n):
                call(app, environ)

        if mode == "callgrind":
            window(f"window-{index}", loop)
        else:
            pids = server_pids(engine)
            started, server_started = time.process_time(), server_cpu(pids)
            loop()
            report["cpu_seconds"][scenario["name"]] = time.process_time() - started
            if pids:
                report["server_cpu_seconds"][scenario["name"]] = (
                    server_cpu(pids) - server_started)
    if mode == "callgrind":
        window(f"window-{CALIBRATION}-2", lambda: None)
    print(json.dumps(report))


def server_pids(engine) -> list[int]:
    """PostgreSQL's processes serving this child (PGAPPNAME names its connections)."""
    if engine.dialect.name != "postgresql":
        return []
    from sqlalchemy import text

    with engine.connect() as connection:
        return list(connection.execute(text(
            "SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
            {"name": APPLICATION_NAME}).scalars())


def server_cpu(pids: list[int]) -> float:
    """CPU seconds those processes have used (user and system, from /proc)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15
    return ticks / os.sysconf("SC_CLK_TCK")


def window(label: str, work) -> None:
    """Count the instructions of `work()` alone, into a dump labelled `label`."""
    control("-z")
    control("-i", "on")
    work()
    control("-i", "off")
    control("-d", label)


def control(*arguments: str) -> None:
    subprocess.run(["callgrind_control", *arguments, str(os.getpid())], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wsgi_environ(scenario: dict) -> dict:
    """What gunicorn hands the app for wrk's GET: a Host header, the scenario's headers."""
    from werkzeug.test import EnvironBuilder

    builder = EnvironBuilder(path=scenario["path"], base_url="http://127.0.0.1:8000",
                             headers=scenario["headers"])
    environ = builder.get_environ()
    builder.close()
    environ.update({"REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "40000",
                    "wsgi.multiprocess": True, "SERVER_SOFTWARE": "gunicorn"})
    return environ


def call(app, environ: dict) -> tuple[str, int]:
    """One request through the WSGI interface, its body read as a server would."""
    request = {**environ, "wsgi.input": io.BytesIO(b"")}
    answer: list[str] = []

    def start_response(status, _headers, _exc_info=None):
        answer.append(status)
        return lambda _data: None

    body = app(request, start_response)
    try:
        size = sum(len(chunk) for chunk in body)
    finally:
        if hasattr(body, "close"):
            body.close()
    return answer[0], size


def print_table(spec: dict, counted: dict, timed: dict | None, database: str, args) -> None:
    windows, n = counted["windows"], counted["requests"]
    calibration = [windows[f"window-{CALIBRATION}-{i}"] for i in (1, 2)]
    overhead = sum(calibration) / 2
    per_request = {s["name"]: (windows[f"window-{i}"] - overhead) / n[s["name"]]
                   for i, s in enumerate(spec["scenarios"])}
    ms = {name: seconds * 1000 / timed["requests"][name]
          for name, seconds in timed["cpu_seconds"].items()} if timed else {}
    baseline = per_request[BASELINE]
    print(f"\nInstructions per request (callgrind, {args.requests} requests after "
          f"{args.warmup} warm-up, the baseline {args.requests * BASELINE_TIMES}; in-process "
          f"WSGI); database: {database}")
    header = f"{'scenario':<40} {'Minstr/req':>10} {'ratio':>7} {'1/ratio':>8} {'SQL':>4}"
    server = timed and timed["server_cpu_seconds"]
    if timed:
        header += f" {'CPU ms':>7}" + (f" {'DB ms':>6}" if server else "")
    print(header)
    for name, instructions in per_request.items():
        line = (f"{name:<40} {instructions / 1e6:>10.2f} {instructions / baseline:>7.1f} "
                f"{baseline / instructions:>8.3f} {counted['statements'][name]:>4}")
        if timed:
            line += f" {ms[name]:>7.2f}"
        if server and name != BASELINE:  # the baseline has no database
            line += f" {server.get(name, 0) * 1000 / timed['requests'][name]:>6.2f}"
        print(line)
    print(f"switching overhead per window: {overhead / 1e6:.2f} M instructions "
          f"(measured {calibration[0] / 1e6:.2f} and {calibration[1] / 1e6:.2f}), taken off")
    if timed:
        total_instr = sum(v * timed["requests"][k] for k, v in per_request.items())
        total_cpu = sum(timed["cpu_seconds"].values())
        rates = [per_request[k] * 1000 / v for k, v in ms.items() if v > 0]
        print(f"this machine, native pass ({args.native_requests} requests each, the "
              f"baseline {args.native_requests * BASELINE_TIMES}): "
              f"{total_instr / total_cpu / 1e9:.2f} billion instructions per CPU-second "
              f"({min(rates) / 1e9:.2f}-{max(rates) / 1e9:.2f} by scenario); CPU ms move "
              "with the machine, instructions do not")
    if server:
        print("DB ms: CPU of the PostgreSQL processes serving the native pass (from /proc, "
              "10 ms ticks), per request")


if __name__ == "__main__":
    main()
