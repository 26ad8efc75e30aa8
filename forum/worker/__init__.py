"""The task queue (huey) and its tasks: what happens outside the request.

The queue's storage follows FORUM_QUEUE_URL: a SQLite file under instance/ by default
(nothing to start), Redis (redis://…) where several hosts share one queue, `none` to
queue nothing (events then wait for a worker's sweep). The storage is opened when
something is first queued, so a process that queues nothing opens nothing.

A commit that wrote events wakes the worker at once (forum/services/events.py calls
`wake` after the commit); the periodic sweep (every minute) finds whatever a lost wake,
a crash or a down queue left: unprocessed events, due or retried mail, digests.
"""

from __future__ import annotations

import logging
import threading
from urllib.parse import urlsplit

from flask import current_app
from huey import Huey
from huey.storage import BlackHoleStorage, RedisStorage, SqliteStorage

log = logging.getLogger(__name__)

queue = Huey("forum", results=False, storage_class=BlackHoleStorage)
_lock = threading.Lock()
_storage_url: str | None = None


def storage_for(url: str):
    """The huey storage a FORUM_QUEUE_URL names."""
    if url.strip().lower() == "none":
        return BlackHoleStorage("forum")
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStorage("forum", url=url)
    if url.startswith("sqlite:///"):
        return SqliteStorage("forum", filename=urlsplit(url).path[1:] if url.startswith(
            "sqlite:////") else url[len("sqlite:///"):])
    raise RuntimeError("FORUM_QUEUE_URL must be sqlite:///path, redis://host:port/db or none")


def use_queue(url: str) -> None:
    """Point the queue at the storage the URL names (once per process, in practice)."""
    global _storage_url
    with _lock:
        if url == _storage_url:
            return
        old = queue.storage
        queue.storage = storage_for(url)
        _storage_url = url
        if hasattr(old, "close"):
            old.close()


def wake() -> None:
    """After a commit that wrote events: queue their processing."""
    from forum.worker.tasks import process_events_task

    use_queue(current_app.config["FORUM_QUEUE_URL"])
    process_events_task()


def init_queue(app) -> None:
    from forum.services import events

    if wake not in events.after_commit:
        events.after_commit.append(wake)
