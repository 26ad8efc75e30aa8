"""What the drills share: a throwaway PostgreSQL cluster, the app under gunicorn (the
repository's gunicorn.conf.py), its task-queue worker, data from `flask --app forum
bench-data`, API tokens, and the load generator that records every request's outcome."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
SECRET = "drills-secret-key-not-for-production-0123456789"
PASSWORD = "bench-password-1"
REQUEST_TIMEOUT = 20  # seconds a drill client waits for one answer


def log(message: str) -> None:
    print(f"  {time.strftime('%H:%M:%S')} {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Result:
    """What a drill found: its figures (lines), and the problems that fail it."""

    name: str
    figures: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    skipped: str = ""

    @property
    def passed(self) -> bool:
        return not self.problems

    @property
    def verdict(self) -> str:
        if self.problems:
            return "FAIL"
        return "SKIP" if self.skipped else "PASS"

    def figure(self, text: str) -> None:
        self.figures.append(text)
        log(text)

    def problem(self, text: str) -> None:
        self.problems.append(text)
        log(f"PROBLEM: {text}")

    def expect(self, condition: bool, text: str) -> None:
        if not condition:
            self.problem(text)


# -- PostgreSQL ---------------------------------------------------------------------------

class Cluster:
    """A PostgreSQL cluster of our own in a temporary directory, on a free port, owned by
    the `postgres` user (initdb refuses root); stopped and removed by close()."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found:
            raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql")
        self.bin = Path(found[-1]).parent
        self.dir = Path(tempfile.mkdtemp(prefix="forum-drill-pg-"))
        self.data, self.sockets = self.dir / "data", self.dir / "sockets"
        self.sockets.mkdir()
        self.port = free_port()
        owner = pwd.getpwnam("postgres")
        for path in (self.dir, self.sockets):
            os.chown(path, owner.pw_uid, owner.pw_gid)
        self._as_postgres(["initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                           "--no-sync", "-E", "UTF8", "--locale", "C.UTF-8"])
        conf = self.data / "postgresql.conf"
        with conf.open("a") as extra:  # small and quick: a drill's cluster, not production
            extra.write("fsync = off\nshared_buffers = 64MB\nmax_connections = 100\n"
                        "listen_addresses = '127.0.0.1'\n")
        self.start()

    def _as_postgres(self, command: list[str]) -> None:
        program = str(self.bin / command[0])
        subprocess.run(["runuser", "-u", "postgres", "--", program, *command[1:]],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       cwd=self.dir)

    def start(self) -> None:
        self._as_postgres(["pg_ctl", "-D", str(self.data), "-w", "-t", "60", "-l",
                           str(self.dir / "server.log"), "-o",
                           f"-p {self.port} -k {self.sockets}", "start"])

    def stop(self, mode: str = "fast") -> None:
        self._as_postgres(["pg_ctl", "-D", str(self.data), "-w", "-t", "60", "-m", mode,
                           "stop"])

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def close(self) -> None:
        try:
            if self.running():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres", **kwargs):
        import psycopg

        kwargs.setdefault("autocommit", True)
        return psycopg.connect(host="127.0.0.1", port=self.port, user="postgres",
                               dbname=database, **kwargs)

    def execute(self, sql: str, database: str = "postgres") -> list[tuple]:
        with self.connect(database) as connection:
            cursor = connection.execute(sql)
            return cursor.fetchall() if cursor.description else []


# -- data ---------------------------------------------------------------------------------

@dataclass
class Data:
    """The course `bench-data` wrote, and who is who in it."""

    course_id: int
    hot50: int
    hot500: int

    def email(self, n: int) -> str:
        """bench-data's people: 0 is the instructor, 1 the TA, 2… students."""
        return f"bench{self.course_id}-{n}@example.edu"


def app_env(database_url: str, workdir: Path, **extra: str) -> dict:
    """The environment of every process of one drill's app. Rate limits and the spam
    filter's scoring of new accounts are off: the drills write far faster than a person
    and from accounts made a second ago, and measure durability, not those rules."""
    return {**os.environ, "FORUM_DATABASE_URL": database_url, "FORUM_SECRET_KEY": SECRET,
            "FORUM_RATELIMIT_ENABLED": "0", "FORUM_SCORE_FIRST_REPLIES": "0",
            "FORUM_NEW_ACCOUNT_HOURS": "0", "FORUM_QUEUE_URL": f"sqlite:///{workdir}/queue.db",
            "FORUM_UPLOADS_DIR": str(workdir / "uploads"), "FORUM_ENV": "development",
            "PYTHONUNBUFFERED": "1", **extra}


def flask(env: dict, *args: str) -> str:
    done = subprocess.run([PYTHON, "-m", "flask", "--app", "forum", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def build_data(env: dict, students: int = 12) -> Data:
    """The schema, then a small public course by `flask --app forum bench-data`."""
    flask(env, "db", "upgrade")
    out = flask(env, "bench-data", "--students", str(students), "--discussions", "1",
                "--posts-per-discussion", "20", "--replies", "600")
    found = re.search(r"Course (\d+); posts with 50 and 500 replies: (\d+) and (\d+)", out)
    if not found:
        raise RuntimeError(f"bench-data said: {out!r}")
    return Data(*map(int, found.groups()))


def token(base: str, email: str) -> str:
    answer = requests.post(f"{base}/api/v1/tokens", json={
        "email": email, "password": PASSWORD, "name": "drill"}, timeout=REQUEST_TIMEOUT)
    answer.raise_for_status()
    return answer.json()["token"]


def engine(database_url: str):
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    return create_engine(database_url, poolclass=NullPool)


# -- processes ----------------------------------------------------------------------------

def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                         text=True).stdout
    return sorted(int(p) for p in out.split())


def stop_process(process: subprocess.Popen, timeout: float = 20) -> None:
    """Stop exactly what we started (its own process group): TERM, then KILL."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


class Gunicorn:
    """The app under gunicorn with the repository's gunicorn.conf.py, on a free loopback
    port; its access log (stdout) and error log (stderr) go to files."""

    def __init__(self, env: dict, workdir: Path, workers: int = 2, timeout: int = 30,
                 name: str = "gunicorn") -> None:
        self.port, self.workers = free_port(), workers
        self.base = f"http://127.0.0.1:{self.port}"
        self.access_log, self.error_log = workdir / f"{name}.access.log", \
            workdir / f"{name}.error.log"
        env = {**env, "FORUM_WEB_BIND": f"127.0.0.1:{self.port}",
               "FORUM_WEB_WORKERS": str(workers), "FORUM_WEB_TIMEOUT": str(timeout)}
        with self.access_log.open("wb") as out, self.error_log.open("wb") as err:
            self.process = subprocess.Popen(
                [PYTHON, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py"),
                 "wsgi:app"], cwd=ROOT, env=env, stdout=out, stderr=err,
                start_new_session=True)
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.errors()[-2000:]}")
            booted = self.errors().count("Booting worker")
            if booted >= self.workers and len(self.worker_pids()) == self.workers:
                try:
                    if requests.get(f"{self.base}/api/v1/openapi.json",
                                    timeout=5).status_code == 200:
                        return
                except requests.RequestException:
                    pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start in 90 s")

    def worker_pids(self) -> list[int]:
        return _children(self.process.pid)

    def errors(self) -> str:
        return self.error_log.read_text(errors="replace")

    def stop(self) -> None:
        stop_process(self.process)


class QueueWorker:
    """`flask --app forum worker`, the task queue's consumer, logging to a file."""

    def __init__(self, env: dict, workdir: Path, name: str = "worker") -> None:
        self.log = workdir / f"{name}.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [PYTHON, "-m", "flask", "--app", "forum", "worker"], cwd=ROOT, env=env,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self) -> None:
        stop_process(self.process)


# -- load ---------------------------------------------------------------------------------

@dataclass
class Outcome:
    """One request and what came of it: a status, or the connection error."""

    kind: str  # page, thread, create, etag, edit, grade …
    method: str
    path: str
    started: float
    ended: float
    status: int | None = None
    error: str = ""
    retry_after: str | None = None
    content_type: str = ""
    text: str = ""  # what a create or an edit wrote
    reply_id: int | None = None
    excerpt: str = ""  # the start of an unexpected answer
    client: int = 0  # which of the load's clients (and tokens) sent it
    stored_before_retry: bool | None = None  # a create of unknown fate: was it stored?

    @property
    def acknowledged(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def call(session: requests.Session, kind: str, method: str, base: str, path: str,
         **kwargs) -> tuple[Outcome, requests.Response | None]:
    started = time.monotonic()
    try:
        answer = session.request(method, base + path, timeout=REQUEST_TIMEOUT, **kwargs)
    except requests.RequestException as error:
        return Outcome(kind, method, path, started, time.monotonic(),
                       error=type(error).__name__), None
    outcome = Outcome(kind, method, path, started, time.monotonic(), answer.status_code,
                      retry_after=answer.headers.get("Retry-After"),
                      content_type=answer.headers.get("Content-Type", ""))
    if answer.status_code >= 500 or answer.status_code in (409, 412, 422, 428):
        outcome.excerpt = " ".join(answer.text.split())[:300]
    return outcome, answer


def nonce() -> str:
    return uuid.uuid4().hex


NONCE = re.compile(r"\b(n[0-9a-f]{32})\b")


class Load:
    """A pool of client threads, each with its own student's token and session: reads the
    post page (anonymous) and the API thread, replies with a nonce in the body, and edits
    its own replies with If-Match. Every request's outcome is kept."""

    def __init__(self, base: str, post_id: int, tokens: list[str], pause: float = 0.05,
                 mix: tuple[str, ...] = ("page", "thread", "create", "create", "edit")
                 ) -> None:
        self.base, self.post_id, self.tokens, self.pause, self.mix = \
            base, post_id, tokens, pause, mix
        self.outcomes: list[Outcome] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._client, args=(n, t), daemon=True)
                         for n, t in enumerate(tokens)]

    def __enter__(self) -> Load:
        self.started = time.monotonic()
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=REQUEST_TIMEOUT * 2 + 5)
        self.ended = time.monotonic()

    def _keep(self, outcome: Outcome) -> None:
        with self._lock:
            self.outcomes.append(outcome)

    def _client(self, number: int, bearer: str) -> None:
        try:
            self._requests(number, bearer)
        except Exception as error:  # a client's own bug must not pass for a quiet server
            self._keep(Outcome("client", "-", "-", time.monotonic(), time.monotonic(),
                               error=f"client {number} stopped: {error!r}"))
            raise

    def _requests(self, number: int, bearer: str) -> None:
        session = requests.Session()
        auth = {"Authorization": f"Bearer {bearer}"}
        mine: list[int] = []
        step = number  # each client starts at another point of the mix
        while not self._stop.is_set():
            kind = self.mix[step % len(self.mix)]
            step += 1
            if kind == "page":
                self._keep(call(session, "page", "GET", self.base, f"/posts/{self.post_id}",
                                headers={"User-Agent": "forum-drill"})[0])
            elif kind == "thread":
                self._keep(call(session, "thread", "GET", self.base,
                                f"/api/v1/posts/{self.post_id}/thread", headers=auth)[0])
            elif kind == "create":
                outcome = self._create(session, number, f"n{nonce()}")
                if outcome.reply_id:
                    mine.append(outcome.reply_id)
            elif kind == "edit" and mine:
                self._edit(session, auth, mine[-1 - step % min(len(mine), 3)])
            self._stop.wait(self.pause)

    def _create(self, session: requests.Session, number: int, key: str,
                kind: str = "create") -> Outcome:
        """A reply whose body holds `key`, sent as its Idempotency-Key too."""
        text = f"Drill reply {key} from client {number}."
        outcome, answer = call(session, kind, "POST", self.base,
                               f"/api/v1/posts/{self.post_id}/replies", json={"body": text},
                               headers={"Authorization": f"Bearer {self.tokens[number]}",
                                        "Idempotency-Key": key})
        outcome.text, outcome.client = text, number
        if outcome.acknowledged:
            outcome.reply_id = created_id(outcome, answer)
        self._keep(outcome)
        return outcome

    def retry_unacknowledged(self, database_url: str) -> None:
        """What a careful client does once the fault is over: send every create that got
        no 2xx again, with the same body and Idempotency-Key (each client its own). Whether
        each was stored all the same is read first, for the report."""
        todo = [o for o in self.outcomes if o.kind == "create" and not o.acknowledged]
        stored = stored_writes(database_url).nonces
        for o in todo:
            o.stored_before_retry = stored[key_of(o)] > 0

        def retry(number: int) -> None:
            session = requests.Session()
            for o in todo:
                if o.client == number:
                    self._create(session, number, NONCE.search(o.text).group(1), "retry")

        threads = [threading.Thread(target=retry, args=(n,)) for n in range(len(self.tokens))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _edit(self, session: requests.Session, auth: dict, reply_id: int) -> None:
        path = f"/api/v1/replies/{reply_id}"
        read, answer = call(session, "etag", "GET", self.base, path, headers=auth)
        self._keep(read)
        if not read.acknowledged:
            return
        text = f"Drill edit {'n' + nonce()} of reply {reply_id}."
        outcome, _ = call(session, "edit", "PATCH", self.base, path, json={"body": text},
                          headers={**auth, "If-Match": answer.headers["ETag"]})
        outcome.text, outcome.reply_id = text, reply_id
        self._keep(outcome)


def created_id(outcome: Outcome, answer: requests.Response) -> int | None:
    """The id a 201 names: in its body, or else in its Location (noted on the outcome)."""
    try:
        return int(answer.json()["id"])
    except (ValueError, KeyError, TypeError):
        outcome.excerpt = f"body {answer.text[:80]!r}, Location {answer.headers.get('Location')}"
        found = re.search(r"/(\d+)$", answer.headers.get("Location", ""))
        return int(found.group(1)) if found else None


def statuses(outcomes: list[Outcome]) -> str:
    counts = Counter(o.status if o.status is not None else o.error for o in outcomes)
    return ", ".join(f"{key}: {n}" for key, n in sorted(counts.items(), key=lambda kv: str(kv[0])))


def by_kind(outcomes: list[Outcome]) -> str:
    counts = Counter(o.kind for o in outcomes)
    return ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))


def failures_in_log(text: str) -> Counter:
    """The last line of every traceback in a log (the exception), counted."""
    found: Counter = Counter()
    lines = text.splitlines()
    for number, line in enumerate(lines):
        if line.startswith("Traceback"):
            end = number + 1
            while end < len(lines) and (lines[end].startswith((" ", "\t"))
                                        or lines[end].startswith(("During handling",
                                                                  "The above exception"))
                                        or not lines[end].strip()
                                        or lines[end].startswith("Traceback")):
                end += 1
            if end < len(lines):
                found[lines[end][:240]] += 1
    return found


def report_log(result: Result, server: Gunicorn, outcomes: list[Outcome]) -> None:
    """When something answered 500, or gunicorn itself complained, show what its log
    says: each exception that ended a traceback, and gunicorn's own alarms."""
    text = server.errors()
    broken = [o for o in outcomes if o.status is not None and o.status >= 500
              and o.status != 503]
    alarms = [line for line in text.splitlines()
              if "WORKER TIMEOUT" in line or "Error handling request" in line
              or "was sent SIGKILL" in line or "Worker exiting" in line]
    if not broken and not alarms:
        return
    for line in alarms[:4]:
        result.figure(f"gunicorn log: {line.strip()[:200]}")
    if broken:
        for line, count in failures_in_log(text).most_common(4):
            result.figure(f"log, {count}x: {line}")
        for path, count in unhandled_paths(text).most_common(2):
            result.figure(f"log, {count}x, raised out of the app through: {path}")


FRAME = re.compile(r'File "[^"]*/(?:site-packages/)?((?:flask|flask_sqlalchemy|werkzeug|forum)'
                   r'/[\w/]+)\.py", line \d+, in (\w+)')


def unhandled_paths(text: str) -> Counter:
    """For each request gunicorn answered with its own 500 ("Error handling request"):
    the app's and Flask's frames the exception came through, in order."""
    found: Counter = Counter()
    for block in text.split("Error handling request")[1:]:
        block = block.split("\n[", 1)[0]  # up to gunicorn's next log line
        tail = block.rsplit("The above exception was the direct cause", 1)[-1]
        frames = [f"{module.replace('/', '.')}.{function}"
                  for module, function in FRAME.findall(tail)]
        if frames:
            found[" > ".join(dict.fromkeys(frames))] += 1
    return found


def check_answers(result: Result, outcomes: list[Outcome], allow_503: bool,
                  allow_connection_errors: bool = False) -> None:
    """No 500 (nor any 5xx but 503); every 503 with Retry-After, JSON under /api; edits
    refused only as stale (412, when a reply changed between GET and PATCH)."""
    for o in outcomes:
        if o.kind == "retry":
            continue  # check_retries tells of those
        if o.kind == "client":
            result.problem(o.error)
        elif o.status is not None and o.status >= 500 and o.status != 503:
            result.problem(f"{o.method} {o.path} answered {o.status}: {o.excerpt[:200]}")
        elif o.status == 503:
            if not allow_503:
                result.problem(f"{o.method} {o.path} answered 503: {o.excerpt[:200]}")
            elif not o.retry_after:
                result.problem(f"{o.method} {o.path} answered 503 without Retry-After")
            elif o.path.startswith("/api/") and "json" not in o.content_type:
                result.problem(f"{o.method} {o.path} answered 503 as {o.content_type}")
        elif o.status is not None and o.status >= 400 and not (
                o.kind == "edit" and o.status == 412):
            result.problem(f"{o.method} {o.path} answered {o.status}: {o.excerpt[:200]}")
        elif o.status is None and not allow_connection_errors:
            result.problem(f"{o.method} {o.path}: no answer ({o.error})")
    if len(result.problems) > 12:  # the same failure a thousand times says no more
        kept = result.problems[:10]
        result.problems[:] = [*kept, f"… and {len(result.problems) - 10} more"]


def check_retries(result: Result, retries: dict[str, Outcome], stored: Counter) -> None:
    """A create retried with its Idempotency-Key is answered 2xx: with the first answer
    when the first attempt was stored after all, else as a new create."""
    answers = Counter(o.status or o.error for o in retries.values())
    result.figure(f"unacknowledged creates sent again with the same Idempotency-Key: "
                  f"{len(retries)}: " + ", ".join(f"{k}: {n}" for k, n in answers.items()))
    refused = [(key, o) for key, o in retries.items() if not o.acknowledged]
    for answer in sorted({o.status or o.error for _, o in refused}, key=str):
        alike = [(key, o) for key, o in refused if (o.status or o.error) == answer]
        key, o = alike[0]
        result.problem(f"{len(alike)} creates sent again with the same Idempotency-Key and "
                       f"body answered {answer} ({sum(stored[k] == 1 for k, _ in alike)} of "
                       f"them stored once), e.g. key {key}: {o.excerpt[:160]}")


@dataclass
class Stored:
    """The drill's replies as the database holds them."""

    nonces: Counter  # a create's nonce -> how many replies hold it
    bodies: dict[int, str]  # reply id -> its text now
    revisions: dict[int, set[str]]  # reply id -> its earlier texts


def stored_writes(database_url: str) -> Stored:
    from sqlalchemy import text

    with engine(database_url).connect() as connection:
        bodies = dict(connection.execute(text(
            "SELECT id, body FROM replies WHERE body LIKE 'Drill %'")).all())
        revisions: dict[int, set[str]] = {}
        for reply_id, body in connection.execute(text(
                "SELECT reply_id, body FROM revisions WHERE body LIKE 'Drill %'")):
            revisions.setdefault(reply_id, set()).add(body)
    nonces: Counter = Counter()
    # A create's nonce lives on in the reply's first revision once it has been edited.
    for reply_id, body in bodies.items():
        texts = {body, *revisions.get(reply_id, ())}
        for found in {m for t in texts if t.startswith("Drill reply")
                      for m in NONCE.findall(t)}:
            nonces[found] += 1
    return Stored(nonces, bodies, revisions)


def key_of(outcome: Outcome) -> str:
    return NONCE.search(outcome.text).group(1)


def check_writes(result: Result, database_url: str, outcomes: list[Outcome]) -> None:
    """Every acknowledged create is stored exactly once (counted by its nonce), an
    unacknowledged one at most once; every acknowledged edit is the stored text, or was
    superseded (it is among the reply's revisions) by a later write. Creates sent again
    after the fault (Load.retry_unacknowledged) count with their first attempt."""
    creates = [o for o in outcomes if o.kind == "create"]
    retries = {key_of(o): o for o in outcomes if o.kind == "retry"}
    edits = [o for o in outcomes if o.kind == "edit"]
    stored = stored_writes(database_url)
    bodies, revisions = stored.bodies, stored.revisions
    first_acked = [o for o in creates if o.acknowledged]
    unknown = [o for o in creates if not o.acknowledged]
    # Whether a create of unknown fate was stored is read before it is sent again.
    kept_anyway = [o for o in unknown if o.stored_before_retry
                   or (o.stored_before_retry is None and stored.nonces[key_of(o)] == 1)]
    twice = [o for o in unknown if stored.nonces[key_of(o)] > 1]
    acked = first_acked + [o for o in retries.values() if o.acknowledged]
    missing = [o for o in acked if stored.nonces[key_of(o)] != 1]
    result.figure(f"creates: {len(first_acked)} acknowledged, {len(unknown)} not, of which "
                  f"{len(kept_anyway)} stored all the same and {len(twice)} twice"
                  + (f"; {len(retries)} sent again with their Idempotency-Key" if retries
                     else "")
                  + f"; every acknowledged create ({len(acked)}) stored once: {not missing}")
    if retries:
        check_retries(result, retries, stored.nonces)
    bare = [o for o in acked if o.excerpt]
    if bare:
        result.figure(f"{len(bare)} acknowledged creates answered without the reply's id in "
                      f"the body, e.g. {bare[0].excerpt}")
    for o in bare:
        if o.reply_id is None:
            result.problem(f"a 201 names no reply, neither in its body nor in Location: "
                           f"{o.excerpt}")
    for o in missing[:5]:
        result.problem(f"acknowledged create (reply {o.reply_id}) stored "
                       f"{stored.nonces[key_of(o)]} times: {o.text}")
    for o in twice[:5]:
        result.problem(f"unacknowledged create stored twice: {o.text}")
    for o in kept_anyway[:3]:
        log(f"note: {o.method} {o.path} answered {o.status or o.error} but was stored: "
            f"{o.excerpt[:160]}")
    lost = []
    acked_edits = [o for o in edits if o.acknowledged]
    for reply_id in {o.reply_id for o in edits}:
        mine = sorted((o for o in edits if o.reply_id == reply_id), key=lambda o: o.started)
        body = bodies.get(reply_id, "")
        last = max((i for i, o in enumerate(mine) if o.acknowledged), default=None)
        # After the last acknowledged edit, only an edit of unknown fate may have won.
        allowed = set() if last is None else {mine[last].text} | {
            o.text for o in mine[last + 1:] if o.status is None or o.status >= 500}
        if last is not None and body not in allowed:
            lost.append(f"reply {reply_id}: stored {body[:60]!r}, last acknowledged edit "
                        f"{mine[last].text[:60]!r}")
        for o in mine:
            if o.acknowledged and o.text != body and o.text not in revisions.get(reply_id, ()):
                lost.append(f"reply {reply_id}: acknowledged edit {o.text[:60]!r} is neither "
                            "the text nor a revision")
    result.figure(f"edits: {len(acked_edits)} acknowledged, "
                  f"{sum(1 for o in edits if o.status == 412)} refused as stale (412), "
                  f"{sum(1 for o in edits if not o.acknowledged and o.status != 412)} "
                  f"unacknowledged; lost: {len(lost)}")
    for line in lost[:5]:
        result.problem(line)


# -- one drill's app ----------------------------------------------------------------------

class Context:
    """What the drills of one run share: a working directory, and one throwaway
    PostgreSQL cluster with a template database built once (each drill gets a copy)."""

    TEMPLATE = "drill_template"

    def __init__(self, keep: bool = False) -> None:
        self.keep = keep
        self.root = Path(tempfile.mkdtemp(prefix="forum-drills-"))
        self._cluster: Cluster | None = None
        self._data: Data | None = None

    def workdir(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(exist_ok=True)
        return path

    def cluster(self) -> Cluster:
        if self._cluster is None:
            log("starting a throwaway PostgreSQL cluster")
            self._cluster = Cluster()
            self._cluster.execute(f"CREATE DATABASE {self.TEMPLATE}")
            env = app_env(self._cluster.url(self.TEMPLATE), self.workdir("template"))
            log("building the template database (flask db upgrade, flask bench-data)")
            self._data = build_data(env)
        return self._cluster

    def postgres(self, name: str) -> tuple[str, Data]:
        """A fresh copy of the template database for one drill."""
        cluster = self.cluster()
        cluster.execute(f"CREATE DATABASE {name} TEMPLATE {self.TEMPLATE}")
        return cluster.url(name), self._data

    def close(self) -> None:
        try:
            if self._cluster is not None:
                self._cluster.close()
        finally:
            if not self.keep:
                shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class App:
    url: str
    data: Data
    env: dict
    workdir: Path
    server: Gunicorn

    @property
    def base(self) -> str:
        return self.server.base

    def tokens(self, people: range) -> list[str]:
        return [token(self.base, self.data.email(n)) for n in people]


@contextlib.contextmanager
def serve_on_postgres(ctx: Context, name: str, workers: int = 2, timeout: int = 30,
                      **extra: str):
    """A copy of the template database served by gunicorn; stopped afterwards."""
    url, data = ctx.postgres(name)
    workdir = ctx.workdir(name)
    env = app_env(url, workdir, **extra)
    server = Gunicorn(env, workdir, workers=workers, timeout=timeout)
    try:
        yield App(url, data, env, workdir, server)
    finally:
        server.stop()
