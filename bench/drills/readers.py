"""Drill: a thousand concurrent keep-alive readers (wrk, loopback) of the anonymous post
page of a public course (the bench's 50-reply thread), for 15 s, in three set-ups:
gunicorn's sync workers as gunicorn.conf.py makes them, gunicorn with threads (gthread),
and nginx as a caching reverse proxy in front of the sync gunicorn. Passes when a set-up
the docs recommend answers them with p99 under a second and no error, and when nginx never
answers a signed-in request from its cache nor keeps a page with a CSRF token."""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import requests

from bench.drills.helpers import (
    PASSWORD,
    REQUEST_TIMEOUT,
    ROOT,
    Gunicorn,
    Result,
    app_env,
    free_port,
    log,
    stop_process,
)

NAME = "readers"
TITLE = "1000 keep-alive readers of a public post page: sync, threads, nginx cache"
CONNECTIONS = 1000
SECONDS = 15
WRK_TIMEOUT = "10s"  # a slow answer is measured, not dropped as wrk's 2 s timeout
TARGET_MS = 1000.0  # p99
WORKERS = 2
THREADS = 32
# Shorter than the app's default (30 s), so that nginx refreshes the page a few times
# during the run (a conditional request answered 304, others served the stale copy).
MAX_AGE = 5
FILES = 8192  # descriptors for wrk's 1000 sockets, and nginx's clients and upstreams

SYNC, THREADED, CACHED = "sync gunicorn", "gthread gunicorn", "nginx cache + sync gunicorn"
# What docs/deployment.md recommends: gunicorn.conf.py's sync workers, and for public
# courses nginx caching their anonymous pages in front of them. Threads are measured
# for comparison; the docs do not recommend them.
RECOMMENDED = (SYNC, CACHED)

# nginx's own 413 is HTML: under /api it answers in the API's error shape instead.
API_413 = ('{"code": 413, "status": "Request Entity Too Large", "message": "The request is '
           'larger than the forum takes.", "errors": {}}')
CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')


@dataclass
class Figures:
    setup: str
    rps: float
    p50: str
    p99: str
    requests: int
    sockets: dict[str, int]
    non_2xx: int

    @property
    def errors(self) -> int:
        return self.non_2xx + sum(self.sockets.values())

    @property
    def p99_ms(self) -> float:
        return duration_ms(self.p99)

    def line(self) -> str:
        socket = ", ".join(f"{k} {n}" for k, n in self.sockets.items() if n) or "none"
        return (f"{self.setup:<28} {self.rps:>8.0f} req/s  p50 {self.p50:>8}  p99 "
                f"{self.p99:>8}  errors {self.errors} (socket: {socket}; non-2xx/3xx: "
                f"{self.non_2xx}); {self.requests} requests")


def duration_ms(text: str) -> float:
    """wrk's latency figures ('950.00us', '79.34ms', '1.05s', '1.20m') in milliseconds."""
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def ensure(program: str, package: str) -> str:
    if shutil.which(program) is None:
        log(f"installing {package} (Debian package)")
        subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True,
                       stdout=subprocess.DEVNULL)
    return shutil.which(program)


def raise_file_limit() -> None:
    """Children (wrk, gunicorn, nginx) inherit the limit of open files."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = FILES if hard == resource.RLIM_INFINITY else min(FILES, hard)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    if wanted < FILES:
        log(f"open files limited to {wanted} (hard limit)")


def wrk(program: str, setup: str, url: str) -> Figures:
    command = [program, "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency",
               "--timeout", WRK_TIMEOUT, url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=SECONDS + 120)
    out = done.stdout
    if done.returncode or "Latency Distribution" not in out:
        raise RuntimeError(f"wrk failed ({done.returncode}): {out[-800:]} {done.stderr[-800:]}")
    latency = out.split("Latency Distribution", 1)[1]
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                        out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Figures(
        setup, float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        re.search(r"50%\s+(\S+)", latency).group(1), re.search(r"99%\s+(\S+)", latency).group(1),
        int(re.search(r"(\d+) requests in", out).group(1)),
        dict(zip(("connect", "read", "write", "timeout"),
                 (int(n) for n in sockets.groups()) if sockets else (0, 0, 0, 0), strict=True)),
        int(non_2xx.group(1)) if non_2xx else 0)


def query(cluster, database: str, sql: str, *params) -> list[tuple]:
    with cluster.connect(database) as connection:
        cursor = connection.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def make_public(cluster, database: str, post_id: int) -> str:
    """The hot post's course and discussion public (bench-data's already is)."""
    query(cluster, database,
          "UPDATE courses SET visibility = 'public' WHERE id = (SELECT d.course_id FROM posts p "
          "JOIN discussions d ON d.id = p.discussion_id WHERE p.id = %s)", post_id)
    query(cluster, database,
          "UPDATE discussions SET visibility = NULL WHERE visibility = 'private' AND id = "
          "(SELECT discussion_id FROM posts WHERE id = %s)", post_id)
    return query(cluster, database,
                 "SELECT c.code || ' (' || c.visibility || ')' FROM courses c JOIN discussions d "
                 "ON d.course_id = c.id JOIN posts p ON p.discussion_id = d.id WHERE p.id = %s",
                 post_id)[0][0]


# -- nginx --------------------------------------------------------------------------------

def nginx_config(directory: Path, port: int, upstream: int) -> str:
    """docs/deployment.md's proxy configuration on plain HTTP and loopback, with its
    caching lines for public courses, and a header telling what the cache did."""
    return f"""\
# Written by bench/drills/readers.py; the server block follows docs/deployment.md.
worker_processes 2;
worker_rlimit_nofile {FILES};
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
daemon off;

events {{
    worker_connections 4096;
}}

http {{
    access_log off;
    client_body_temp_path {directory}/client_body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    types {{ text/css css; application/javascript js; }}

    # Anonymous pages of public courses (Cache-Control: public, max-age=N), kept for as
    # long as the app says.
    proxy_cache_path {directory}/cache levels=1:2 keys_zone=forum_pages:10m max_size=256m
                     inactive=10m use_temp_path=off;

    upstream forum_app {{
        server 127.0.0.1:{upstream};
        keepalive 16;               # used by threaded workers; sync workers close each one
    }}

    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 6m;

        location /static/ {{
            alias {ROOT}/static/;
            expires 1h;
        }}

        location /api/ {{
            error_page 413 = @api_too_large;
            proxy_pass http://forum_app;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 35s;
        }}
        location @api_too_large {{
            default_type application/json;
            return 413 '{API_413}';
        }}

        location / {{
            proxy_pass http://forum_app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 35s;

            proxy_cache forum_pages;
            proxy_cache_key $scheme$host$request_uri;
            proxy_cache_bypass $cookie_session $cookie_remember_token $http_authorization;
            proxy_no_cache $cookie_session $cookie_remember_token $http_authorization;
            proxy_cache_lock on;
            proxy_cache_use_stale updating error timeout http_502 http_503 http_504;
            proxy_cache_background_update on;
            proxy_cache_revalidate on;
            add_header X-Cache-Status $upstream_cache_status always;
        }}
    }}
}}
"""


class Nginx:
    """nginx in the foreground with a configuration of its own in a temporary directory,
    as `nobody` when we are root; stopped (TERM to its process group) by stop()."""

    def __init__(self, program: str, upstream: int) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="forum-drill-nginx-"))
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.config = self.dir / "nginx.conf"
        self.config.write_text(nginx_config(self.dir, self.port, upstream))
        user = {}
        if os.geteuid() == 0:
            import pwd

            nobody = pwd.getpwnam("nobody")
            for path in (self.dir, self.config):
                os.chown(path, nobody.pw_uid, nobody.pw_gid)
            user = {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}
        command = [program, "-p", str(self.dir), "-c", str(self.config), "-e",
                   str(self.dir / "error.log")]
        checked = subprocess.run([*command, "-t", "-q"], capture_output=True, text=True, **user)
        if checked.returncode:
            raise RuntimeError(f"nginx -t: {checked.stderr[-1500:]}")
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True,
                                        **user)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.errors()[-1500:]}")
            try:
                requests.get(f"{self.base}/login", timeout=5)
                return
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("nginx did not answer in 20 s")

    def errors(self) -> str:
        path = self.dir / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        try:
            stop_process(self.process)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


# -- checks -------------------------------------------------------------------------------

def csrf_tokens(page: str) -> list[str]:
    """The non-empty CSRF tokens a page holds."""
    values = (re.search(r'value="([^"]*)"', tag) for tag in CSRF.findall(page))
    return [v.group(1) for v in values if v and v.group(1)]


def page_shape(base: str, path: str) -> str:
    answer = requests.get(base + path, timeout=REQUEST_TIMEOUT)
    return (f"{answer.status_code}, {len(answer.content):,} bytes, Cache-Control "
            f"{answer.headers.get('Cache-Control')!r}, Vary {answer.headers.get('Vary')!r}, "
            f"ETag {'yes' if answer.headers.get('ETag') else 'no'}")


def signed_in(base: str, email: str) -> requests.Session:
    """A student logged in over HTTP, through whatever serves `base`."""
    session = requests.Session()
    form = session.get(f"{base}/login", timeout=REQUEST_TIMEOUT)
    tokens = csrf_tokens(form.text)
    answer = session.post(f"{base}/login", data={
        "email": email, "password": PASSWORD, "csrf_token": tokens[0] if tokens else ""},
        timeout=REQUEST_TIMEOUT)
    if "session" not in session.cookies or "Email or password" in answer.text:
        raise RuntimeError(f"could not log {email} in: {answer.status_code}")
    return session


def check_cache(result: Result, nginx: Nginx, path: str, email: str, name: str) -> None:
    """A signed-in reader is never answered from the cache (their own page: their name,
    a CSRF token), before or after the anonymous page is cached; the cached anonymous
    page holds neither."""
    marker = f'title="Your account: password">{name}</a>'  # templates/base.html's menu
    student = signed_in(nginx.base, email)
    seen = []
    for _ in range(3):
        mine = student.get(nginx.base + path, timeout=REQUEST_TIMEOUT)
        anonymous = requests.get(nginx.base + path, timeout=REQUEST_TIMEOUT)
        seen.append((mine, anonymous))
    mine_ok = all(m.status_code == 200 and marker in m.text and csrf_tokens(m.text)
                  and m.headers.get("X-Cache-Status") != "HIT" for m, _ in seen)
    anon_named = sum(marker in a.text for _, a in seen)
    anon_tokens = sum(bool(csrf_tokens(a.text)) for _, a in seen)
    anon_ok = all(a.status_code == 200 for _, a in seen) and not anon_named and not anon_tokens
    statuses = lambda i: ", ".join(x[i].headers.get("X-Cache-Status", "-") for x in seen)  # noqa: E731
    result.figure(f"through nginx, signed in as {name}: cache {statuses(0)}; their name "
                  f"and a CSRF token in every answer: {mine_ok}; Cache-Control "
                  f"{seen[0][0].headers.get('Cache-Control')!r}")
    result.figure(f"through nginx, anonymous, between them: cache {statuses(1)}; with the "
                  f"student's name: {anon_named}, with a CSRF token: {anon_tokens}; Cache-Control "
                  f"{seen[0][1].headers.get('Cache-Control')!r}")
    result.expect(mine_ok, "a signed-in request through nginx was answered from the cache "
                           "or without the student's own page")
    result.expect(anon_ok, "the anonymous page through nginx holds a name or a CSRF token")
    result.expect(any(a.headers.get("X-Cache-Status") == "HIT" for _, a in seen),
                  "the anonymous page was never answered from nginx's cache")


def served(gunicorn: Gunicorn, path: str) -> list[str]:
    """The status of every GET of the path in gunicorn's access log so far."""
    text = gunicorn.access_log.read_text(errors="replace")
    return re.findall(rf'"GET {re.escape(path)} HTTP/1\.[01]" (\d+) ', text)


# -- the drill ----------------------------------------------------------------------------

def run(ctx, result: Result) -> None:
    raise_file_limit()
    wrk_program, nginx_program = ensure("wrk", "wrk"), ensure("nginx", "nginx")
    database = "drill_readers"
    url, data = ctx.postgres(database)
    course = make_public(ctx.cluster(), database, data.hot50)
    workdir = ctx.workdir(NAME)
    env = app_env(url, workdir, FORUM_PUBLIC_MAX_AGE=str(MAX_AGE))
    path = f"/posts/{data.hot50}"
    student_email = data.email(2)
    student_name = query(ctx.cluster(), database,
                         "SELECT display_name FROM users WHERE email = %s", student_email)[0][0]
    result.figure(f"{CONNECTIONS} connections (wrk -t2, keep-alive, --timeout {WRK_TIMEOUT}) "
                  f"for {SECONDS} s on {path}, the 50-reply post of course {course}; "
                  f"{os.cpu_count()} cores shared by wrk, the servers and PostgreSQL")
    figures: list[Figures] = []
    sync = Gunicorn(env, workdir, workers=WORKERS, name="sync")
    try:
        result.figure(f"anonymous page from gunicorn: {page_shape(sync.base, path)}")
        log(f"{SYNC}: {WORKERS} sync workers")
        figures.append(wrk(wrk_program, f"{SYNC} ({WORKERS}w)", sync.base + path))
        log(figures[-1].line())

        threaded = Gunicorn({**env, "FORUM_WEB_THREADS": str(THREADS)}, workdir,
                            workers=WORKERS, name="gthread")
        try:
            log(f"{THREADED}: {WORKERS} workers x {THREADS} threads")
            figures.append(wrk(wrk_program, f"{THREADED} ({WORKERS}w x {THREADS}t)",
                               threaded.base + path))
            log(figures[-1].line())
        finally:
            threaded.stop()

        nginx = Nginx(nginx_program, sync.port)
        try:
            before = served(sync, path)
            result.figure(f"anonymous page through nginx: {page_shape(nginx.base, path)}")
            log(f"{CACHED}: nginx {nginx_program} on port {nginx.port}")
            figures.append(wrk(wrk_program, CACHED, nginx.base + path))
            log(figures[-1].line())
            reached = Counter(served(sync, path)[len(before):])
            result.figure(f"of nginx's {figures[-1].requests} answers gunicorn gave "
                          f"{sum(reached.values())} (" + ", ".join(
                              f"{status}: {n}" for status, n in sorted(reached.items()))
                          + f"), counting the one that filled the cache; max-age {MAX_AGE} s")
            check_cache(result, nginx, path, student_email, student_name)
            alarms = [line for line in nginx.errors().splitlines()
                      if "[error]" in line or "[crit]" in line or "[alert]" in line]
            for line in alarms[:3]:
                result.figure(f"nginx error log: {line[:200]}")
        finally:
            nginx.stop()
    finally:
        sync.stop()

    for f in figures:
        result.figure(f.line())
    good = [f for f in figures if f.p99_ms < TARGET_MS and not f.errors]
    result.figure(f"p99 under {TARGET_MS / 1000:.0f} s with no error: "
                  f"{', '.join(f.setup for f in good) or 'none'}; recommended by "
                  f"docs/deployment.md: {', '.join(RECOMMENDED)}")
    result.expect(any(f.setup.startswith(RECOMMENDED) for f in good),
                  f"no set-up the docs recommend served {CONNECTIONS} readers with p99 under "
                  f"{TARGET_MS / 1000:.0f} s and no error")
