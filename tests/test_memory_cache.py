"""The per-worker page cache keeps at most so many bytes, letting the least recently
used entries go first, and behaves as Flask-Caching expects of a backend."""

from __future__ import annotations

import threading

from markupsafe import Markup

from forum import config
from forum.extensions import cache
from forum.memory_cache import MemoryCache, size_of


def _text(length: int) -> str:
    return "x" * length


def test_size_counts_the_text_kept_in_nested_parts():
    parts = ("a" * 1000, None, ("o", 7, ("x" * 500,), (Markup("<b>") + "y" * 300,)))
    assert size_of(parts) >= 1000 + 500 + 300
    assert size_of(parts) < 1000 + 500 + 300 + 1000  # overheads, not copies
    assert size_of("z" * 10_000) > size_of("z" * 1_000) + 8_000


def test_entries_go_when_their_bytes_pass_the_bound():
    memory = MemoryCache(max_bytes=10_000)
    for number in range(20):
        assert memory.set(f"k{number}", _text(1_000))
    assert memory.bytes <= 10_000
    assert 5 <= len(memory) < 10
    assert memory.get("k19") is not None and memory.get("k0") is None


def test_the_least_recently_used_go_first():
    memory = MemoryCache(max_bytes=4_000)  # four entries of 750 characters fit, not five
    for key in "abcd":
        memory.set(key, _text(750))
    assert memory.get("a") is not None  # a is used: b is now the oldest
    memory.set("e", _text(750))
    assert memory.get("b") is None
    assert all(memory.get(key) is not None for key in "acde")


def test_an_entry_larger_than_a_quarter_of_the_bound_is_not_kept():
    memory = MemoryCache(max_bytes=10_000)
    memory.set("small", _text(100))
    assert memory.set("huge", _text(5_000)) is False
    assert memory.get("huge") is None and memory.get("small") is not None
    memory.set("small", _text(9_000))  # replacing with too large drops the old value
    assert memory.get("small") is None and memory.bytes == 0


def test_get_set_add_delete_clear_and_counters():
    memory = MemoryCache(max_bytes=100_000)
    assert memory.get("missing") is None and not memory.has("missing")
    assert memory.set("a", ("part", None)) and memory.get("a") == ("part", None)
    assert memory.add("a", "other") is False and memory.get("a") == ("part", None)
    assert memory.add("b", "new") is True and memory.has("b")
    size = memory.bytes
    memory.set("a", "shorter")  # replacing counts the new size only
    assert memory.bytes < size
    assert memory.delete("a") is True and memory.delete("a") is False
    assert memory.get_many("a", "b") == [None, "new"]
    assert memory.set_many({"c": 1, "d": 2}) == ["c", "d"]
    assert memory.get_dict("c", "d") == {"c": 1, "d": 2}
    assert memory.inc("n") == 1 and memory.inc("n", 5) == 6 and memory.dec("n") == 5
    assert memory.delete_many("c", "d") == ["c", "d"]
    assert memory.clear() and len(memory) == 0 and memory.bytes == 0


def test_timeouts(monkeypatch):
    import forum.memory_cache as module

    now = [1000.0]
    monkeypatch.setattr(module.time, "monotonic", lambda: now[0])
    memory = MemoryCache(max_bytes=100_000, default_timeout=60)
    memory.set("default", "v")
    memory.set("short", "v", timeout=5)
    memory.set("forever", "v", timeout=0)
    now[0] += 10
    assert memory.get("short") is None and memory.get("default") == "v"
    now[0] += 100
    assert memory.get("default") is None and memory.get("forever") == "v"
    assert memory.bytes == size_of("forever") + size_of("v")


def test_threads_share_it_without_losing_count():
    memory = MemoryCache(max_bytes=50_000)

    def work(number: int) -> None:
        for step in range(300):
            key = f"{number}-{step % 40}"
            memory.set(key, _text(200 + step))
            memory.get(f"{number}-{(step * 7) % 40}")
            if step % 9 == 0:
                memory.delete(key)

    threads = [threading.Thread(target=work, args=(number,)) for number in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert memory.bytes <= 50_000
    assert memory.bytes == sum(entry[1] for entry in memory._entries.values())


def test_the_app_keeps_pages_in_it_by_default(app):
    assert isinstance(cache.cache, MemoryCache)
    assert cache.cache.max_bytes == 16 * 1024 * 1024
    settings = config.from_environment({"FORUM_CACHE_MAX_BYTES": "1000000"})
    assert settings["CACHE_MAX_BYTES"] == 1_000_000
    assert config.from_environment({"FORUM_CACHE_URL": "redis://h:6379/0"})[
        "CACHE_TYPE"] == "RedisCache"


def test_a_thread_page_is_kept_and_counted(world, login_as):
    cache.clear()
    login_as(world.student).get(f"/posts/{world.post.id}")
    assert len(cache.cache) == 1
    assert cache.cache.bytes > 1_000
