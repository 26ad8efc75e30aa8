"""What the kept copies of pages share (forum/web/thread_view.py, post_list_view.py):
reading and writing the cache so that an outage costs speed, never the page, and the
digest of the templates a copy was rendered by, so a new release never reuses copies
made by the old one."""

from __future__ import annotations

import hashlib
import logging
from functools import cache as once

from flask import current_app
from redis.exceptions import RedisError

from forum.extensions import cache

log = logging.getLogger(__name__)


def kept(key: str):
    """The copy kept under `key`, or None (also when the cache cannot answer)."""
    try:
        return cache.get(key)
    except (RedisError, OSError):
        log.warning("page cache unavailable", exc_info=True)
        return None


def keep(key: str, copy) -> None:
    try:
        cache.set(key, copy)
    except (RedisError, OSError):
        log.warning("page cache unavailable", exc_info=True)


@once
def templates_digest(*names: str) -> str:
    """A digest of the templates' sources (read once a process)."""
    env = current_app.jinja_env
    sources = (env.loader.get_source(env, name)[0] for name in names)
    return hashlib.sha256("".join(sources).encode()).hexdigest()[:16]
