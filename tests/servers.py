"""Real processes for tests that need them: gunicorn with the repository's
gunicorn.conf.py, the task queue's worker, and a small HTTP client over loopback.

Each process starts in a process group of its own, and `stop` ends that group and
nothing else, so a test stops exactly what it started, also when it fails.
"""

from __future__ import annotations

import contextlib
import ctypes
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def forum_environment(**settings: str) -> dict[str, str]:
    """The test process's environment without any FORUM_* setting of its own, plus
    `settings`: a server sees only what the test chose."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("FORUM_")}
    return {**env, "PYTHONUNBUFFERED": "1", **settings}


@dataclass
class Started:
    """A process started by a test, with the file its output goes to."""

    name: str
    process: subprocess.Popen
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 15) -> None:
        """End the process's group (gunicorn's master and its workers, say): TERM, then
        KILL for whatever is left after `timeout` seconds."""
        if self.process.poll() is None:
            _signal_group(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout)
        _signal_group(self.process.pid, signal.SIGKILL)  # workers a master left behind
        if self.process.poll() is None:
            self.process.wait()


def _signal_group(pgid: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, number)


def _end_with_the_test_process() -> None:
    """In the child, before it runs: be sent SIGTERM if the test process dies (killed
    by a timeout, say) before it could stop us. Linux only; elsewhere nothing."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def start(name: str, command: list[str], env: dict[str, str], log_dir: Path) -> Started:
    log_path = log_dir / f"{name}.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,  # noqa: S603
                                   stderr=subprocess.STDOUT, start_new_session=True,
                                   preexec_fn=_end_with_the_test_process)
    return Started(name, process, log_path)


def start_gunicorn(name: str, port: int, env: dict[str, str], log_dir: Path,
                   workers: int = 2) -> Started:
    """`gunicorn --config gunicorn.conf.py wsgi:app`, as every host runs it."""
    env = {**env, "FORUM_WEB_BIND": f"127.0.0.1:{port}", "FORUM_WEB_WORKERS": str(workers)}
    return start(name, [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py",
                        "wsgi:app"], env, log_dir)


def start_worker(name: str, env: dict[str, str], log_dir: Path) -> Started:
    """`flask --app forum worker`: the task queue's consumer."""
    return start(name, [sys.executable, "-m", "flask", "--app", "forum", "worker"], env,
                 log_dir)


def wait_until_serving(started: Started, port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if started.process.poll() is not None:
            raise RuntimeError(f"{started.name} exited:\n{started.log_tail()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{started.name} did not answer in {timeout} s:\n"
                               f"{started.log_tail()}")
        time.sleep(0.1)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.body)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Browser:
    """One person's cookies, sent to whichever host a request goes to (as behind one
    site address). Redirects are not followed: tests look at them."""

    cookies: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)

    def __post_init__(self):
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirects())

    def request(self, method: str, url: str, *, data: bytes | None = None,
                headers: dict[str, str] | None = None, timeout: float = 20) -> Answer:
        request = urllib.request.Request(url, data=data, method=method,  # noqa: S310 - http
                                         headers=headers or {})
        try:
            with self._opener.open(request, timeout=timeout) as answer:
                return Answer(answer.status, dict(answer.headers), answer.read())
        except urllib.error.HTTPError as error:
            with error:
                return Answer(error.code, dict(error.headers), error.read())

    def get(self, url: str, **kwargs) -> Answer:
        return self.request("GET", url, **kwargs)

    def post_form(self, url: str, fields: dict[str, str], **kwargs) -> Answer:
        data = urllib.parse.urlencode(fields).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   **kwargs.pop("headers", {})}
        return self.request("POST", url, data=data, headers=headers, **kwargs)

    def post_json(self, url: str, body: dict, token: str | None = None, **kwargs) -> Answer:
        headers = {"Content-Type": "application/json", **kwargs.pop("headers", {})}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.request("POST", url, data=json.dumps(body).encode(), headers=headers,
                            **kwargs)

    def post_file(self, url: str, field_name: str, filename: str, content: bytes,
                  content_type: str, token: str | None = None,
                  fields: dict[str, str] | None = None) -> Answer:
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in (fields or {}).items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"'
                         f"\r\n\r\n{value}\r\n".encode())
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{field_name}"; '
                     f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
                     .encode() + content + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.request("POST", url, data=b"".join(parts), headers=headers)

    def log_in(self, base: str, email: str, password: str) -> Answer:
        """The login form, as a person fills it in: its page first (the CSRF token)."""
        page = self.get(f"{base}/login")
        return self.post_form(f"{base}/login", {"csrf_token": csrf_token(page.text),
                                                 "email": email, "password": password})


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    if match is None:
        raise AssertionError("no CSRF token on the page")
    return match.group(1)
