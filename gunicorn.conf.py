"""Gunicorn settings for serving the forum: `gunicorn --config gunicorn.conf.py wsgi:app`.

Each setting can be changed with an environment variable, so one file serves a laptop,
the benchmark and every production host.

- FORUM_WEB_BIND (0.0.0.0:8000), FORUM_WEB_WORKERS (2 per core, plus one),
  FORUM_WEB_THREADS (1: sync workers; more makes them threaded).
- FORUM_WEB_TIMEOUT (30 s): a request taking longer gets its worker killed. The
  database's own limits (FORUM_DB_STATEMENT_TIMEOUT, FORUM_DB_LOCK_TIMEOUT) are well
  below it, so a slow statement or a held lock is answered 503 with Retry-After by the
  app instead of the worker being killed with the request unanswered.
- FORUM_WEB_GRACEFUL_TIMEOUT (20 s): on a restart, how long requests under way may
  finish.
"""

import multiprocessing
import os

bind = os.environ.get("FORUM_WEB_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("FORUM_WEB_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("FORUM_WEB_THREADS", "1"))
timeout = int(os.environ.get("FORUM_WEB_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("FORUM_WEB_GRACEFUL_TIMEOUT", "20"))
keepalive = 5  # seconds an idle keep-alive connection from the proxy is kept

# One line a request on standard output: who, what, the answer, its size and how long it
# took in microseconds (%(D)s), the referrer and the browser.
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(D)sus "%(f)s" "%(a)s"'

# Several gunicorns may run on one host (two apps, the benchmark): no control socket.
control_socket_disable = True
