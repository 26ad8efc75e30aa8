"""A Flask-Caching backend in the worker's memory, bounded by the bytes it keeps."""

from __future__ import annotations

import pickle
import sys
import threading
import time
from collections import OrderedDict
from typing import Any

from flask_caching.backends.base import BaseCache

_TEXT = (str, bytes)


def size_of(value: Any) -> int:
    """The bytes a value holds in memory, cheaply: strings (Markup too) and bytes by
    their own size, tuples and lists by theirs and their items', anything else by its
    pickled length (read once, when it is kept)."""
    if isinstance(value, _TEXT):
        return sys.getsizeof(value)
    if isinstance(value, tuple | list):
        return sys.getsizeof(value) + sum(size_of(item) for item in value)
    if value is None or isinstance(value, bool | int | float):
        return sys.getsizeof(value)
    return len(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))


class MemoryCache(BaseCache):
    """Entries kept in this process, at most `max_bytes` of them together (counted by
    `size_of`, keys included); the least recently used go first, and an entry larger
    than a quarter of the whole is not kept at all (it would push out many others).

    Values are kept as they are, not copies: the forum keeps immutable tuples of text.
    Every operation holds one lock, so threads of a worker may share it."""

    def __init__(self, max_bytes: int = 16 * 1024 * 1024, default_timeout: int = 300,
                 ignore_delete_many_errors: bool = False) -> None:
        super().__init__(default_timeout=default_timeout,
                         ignore_delete_many_errors=ignore_delete_many_errors)
        self.max_bytes = max_bytes
        self.max_entry = max_bytes // 4
        self.bytes = 0
        self._entries: OrderedDict[str, tuple[float, int, Any]] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def factory(cls, app, config: dict, args: list, kwargs: dict) -> MemoryCache:
        kwargs["max_bytes"] = int(config.get("CACHE_MAX_BYTES", 16 * 1024 * 1024))
        return cls(*args, **kwargs)

    def __len__(self) -> int:
        return len(self._entries)

    def _expiry(self, timeout: int | None) -> float:
        seconds = self._normalize_timeout(timeout)
        return time.monotonic() + seconds if seconds > 0 else float("inf")

    def _live(self, key: str) -> tuple[float, int, Any] | None:
        """The entry, as the most recently used; None if missing or expired.
        Called with the lock held."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= time.monotonic():
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry

    def _drop(self, key: str) -> bool:
        entry = self._entries.pop(key, None)
        if entry is None:
            return False
        self.bytes -= entry[1]
        return True

    def get(self, key: str) -> Any:
        with self._lock:
            entry = self._live(key)
            return None if entry is None else entry[2]

    def has(self, key: str) -> bool:
        with self._lock:
            return self._live(key) is not None

    def set(self, key: str, value: Any, timeout: int | None = None) -> bool:
        size = size_of(key) + size_of(value)
        with self._lock:
            return self._put(key, value, size, self._expiry(timeout))

    def add(self, key: str, value: Any, timeout: int | None = None) -> bool:
        size = size_of(key) + size_of(value)
        with self._lock:
            if self._live(key) is not None:
                return False
            return self._put(key, value, size, self._expiry(timeout))

    def _put(self, key: str, value: Any, size: int, expires: float) -> bool:
        """Keep the entry as the most recently used, then let the least recently used
        go until all fit. Called with the lock held."""
        self._drop(key)
        if size > self.max_entry:
            return False
        self._entries[key] = (expires, size, value)
        self.bytes += size
        while self.bytes > self.max_bytes:
            self._drop(next(iter(self._entries)))
        return True

    def delete(self, key: str) -> bool:
        with self._lock:
            return self._drop(key)

    def clear(self) -> bool:
        with self._lock:
            self._entries.clear()
            self.bytes = 0
        return True

    def inc(self, key: str, delta: int = 1) -> int | None:
        with self._lock:
            entry = self._live(key)
            value = (entry[2] if entry is not None else 0) + delta
            expires = entry[0] if entry is not None else self._expiry(None)
            self._put(key, value, size_of(key) + size_of(value), expires)
            return value

    def dec(self, key: str, delta: int = 1) -> int | None:
        return self.inc(key, -delta)
