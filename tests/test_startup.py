"""What a web worker loads with the app: the WordPress import's libraries stay out of
it, since each sync worker would hold them for nothing (make soak's limit is 150 MB a
worker)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Read by `flask import-wordpress` alone (the HTML reader and its converter).
NOT_FOR_WEB_WORKERS = ["bs4", "markdownify", "lxml"]

PROBE = """
import json, sys
from forum import create_app
create_app()
print(json.dumps(sorted(sys.modules)))
"""


def test_the_app_starts_without_the_import_commands_libraries():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,  # noqa: S603
                          timeout=120, cwd=ROOT, check=True)
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert "forum.web" in loaded  # the probe made the whole app
    assert [name for name in NOT_FOR_WEB_WORKERS if name in loaded] == []
