"""The baseline: a bare Flask app returning fixed bytes, read once at start."""

import os
from pathlib import Path

from flask import Flask, Response

app = Flask(__name__)
BODY = Path(os.environ["BENCH_BASELINE_FILE"]).read_bytes()


@app.get("/")
def page() -> Response:
    return Response(BODY, mimetype="text/html")
