"""Gunicorn settings for the bench: each worker leaves a mark once it has loaded the app,
so a scenario starts when every worker is ready, not while one still boots."""

import os
from pathlib import Path


def post_worker_init(worker) -> None:
    Path(os.environ["BENCH_READY_DIR"], str(worker.pid)).touch()
