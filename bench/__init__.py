"""Load benchmarks: `python -m bench` (see README)."""

import os
import signal
import subprocess


def add_data_arguments(parser) -> None:
    """The sizes of the benchmark's course, the same for every benchmark that builds it."""
    parser.add_argument("--students", type=int, default=400)
    parser.add_argument("--discussions", type=int, default=5)
    parser.add_argument("--posts-per-discussion", type=int, default=300)
    parser.add_argument("--replies", type=int, default=20_000)


def stop(process: subprocess.Popen) -> None:
    """Stop exactly what we started: the gunicorn master and its workers."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)
