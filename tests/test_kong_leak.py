"""Kong 0.12.3's leak, reproduced and refuted: 20,000 requests with one User-Agent through the middleware.

A loader must give the middleware one `Config` (so one verdict cache, one miss) however often it
re-checks its source. `check_for_leak` measures that; it passes for botguard's loaders and fails
for `KongArithmeticLoader`, Kong's arithmetic reproduced, which shows the check can fail.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from botguard import BotGuardMiddleware, ConfigLoader, cache_info

from tests.support.asgi_harness import ok_app
from tests.support.config_server import config_server
from tests.support.kong_reference import KongArithmeticLoader
from tests.test_loader import wait_idle

REQUESTS = 20_000
WARM_UP = 1_000
# Traced memory may move by allocator noise (a dict resizing, a free list); a leak of one config
# or one verdict cache per request is 20,000 times larger than this.
MEMORY_BOUND = 64 * 1024
USER_AGENT = b"Mozilla/5.0 (X11; Linux x86_64) HelloWorld/1.0 (the same agent, every request)"
SETTINGS = {"blacklist": ["(?i)helloworld"], "builtin": "kong"}


@dataclass
class LeakCheck:
    """What 20,000 requests did to the verdict caches and to traced memory."""

    requests: int
    max_caches: int  # live verdict caches beyond the baseline, at most, while requests ran
    end_caches: int
    misses: int
    traced_growth: int  # bytes, from after the warm-up to the end
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


class ManualClock:
    """A clock that moves one second every time it is read: with ttl=1, every `get` is due."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def check_for_leak(
    source: Any,
    *,
    requests: int = REQUESTS,
    every_100: Callable[[], None] | None = None,
    settle: Callable[[], None] = lambda: None,
) -> LeakCheck:
    """Drive `requests` same-agent requests through `BotGuardMiddleware(config=source)` and judge them.

    Passes only when one cache serves them all (one live cache, exactly one miss) and traced
    memory does not grow past `MEMORY_BOUND` after the warm-up. `settle` runs before each memory
    reading (to let a background refresh finish, so its in-flight objects are not counted).
    """
    gc.collect()
    base_caches = cache_info().caches
    base_misses = cache_info().misses
    guarded = BotGuardMiddleware(ok_app, config=source)
    max_caches = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        pass

    async def drive(count: int, offset: int) -> None:
        nonlocal max_caches
        headers = [(b"user-agent", USER_AGENT)]
        for i in range(offset, offset + count):
            await guarded({"type": "http", "method": "GET", "path": "/", "headers": headers}, receive, send)
            if i % 100 == 99:
                if every_100 is not None:
                    every_100()
                max_caches = max(max_caches, cache_info().caches - base_caches)

    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        asyncio.run(drive(WARM_UP, 0))
        settle()
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        asyncio.run(drive(requests - WARM_UP, WARM_UP))
        settle()
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        if started:
            tracemalloc.stop()
    info = cache_info()
    result = LeakCheck(
        requests=requests,
        max_caches=max_caches,
        end_caches=info.caches - base_caches,
        misses=info.misses - base_misses,
        traced_growth=after - before,
    )
    if result.max_caches > 1 or result.end_caches != 1:
        result.failures.append(f"verdict caches: {result.max_caches} live at most, {result.end_caches} at the end; one config needs one")
    if result.misses != 1:
        result.failures.append(f"misses: {result.misses} for one User-Agent; one cache misses once")
    if result.traced_growth > MEMORY_BOUND:
        result.failures.append(f"traced memory grew by {result.traced_growth:,} bytes (bound {MEMORY_BOUND:,})")
    del guarded
    return result


class ReloadCounter(logging.Filter):
    """Counts the `botguard` logger's messages and drops them: 20,000 kept records would be a leak."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: Counter[str] = Counter()
        self.levels: Counter[str] = Counter()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith("config "):  # reload outcomes; block lines are not ours here
            self.counts[message.rsplit(": ", 1)[-1]] += 1
            self.levels[record.levelname] += 1
        return False


@pytest.fixture
def reload_counter() -> Iterator[ReloadCounter]:
    logger = logging.getLogger("botguard")
    counter = ReloadCounter()
    level = logger.level
    logger.addFilter(counter)
    logger.setLevel(logging.DEBUG)
    try:
        yield counter
    finally:
        logger.removeFilter(counter)
        logger.setLevel(level)


@pytest.fixture
def settings_file(tmp_path: Path) -> Path:
    path = tmp_path / "botguard.json"
    path.write_text(json.dumps(SETTINGS))
    return path


def test_ttl_zero_loader_keeps_one_config_for_20000_requests(settings_file: Path) -> None:
    loader = ConfigLoader.from_file(settings_file, ttl=0)
    first = loader.get()
    result = check_for_leak(loader)
    assert result.ok, result.failures
    assert loader.get() is first


def test_tiny_ttl_loader_rereading_unchanged_bytes_keeps_one_config(
    settings_file: Path, reload_counter: ReloadCounter
) -> None:
    loader = ConfigLoader.from_file(settings_file, ttl=1, clock=ManualClock())  # due on every request
    first = loader.get()
    data = settings_file.read_bytes()
    rewrites = 0

    def rewrite_same_bytes() -> None:
        nonlocal rewrites
        rewrites += 1
        tmp = settings_file.with_name("botguard.json.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, settings_file)  # a new inode and mtime, the same content
        loader.get()  # the stat notices; the re-read runs in the background: wait for it
        wait_idle(loader)

    result = check_for_leak(loader, every_100=rewrite_same_bytes)
    assert result.ok, result.failures
    assert loader.get() is first
    # Every rewrite was noticed by its stat and re-read; every other check stopped at the stat.
    assert reload_counter.counts["same content"] == rewrites == REQUESTS // 100
    # Three gets outside the requests (ours before, the middleware's first, ours after) stopped
    # at the stat, as did every request; the gets after each rewrite re-read the file.
    assert reload_counter.counts["not modified"] == REQUESTS + 3
    assert set(reload_counter.levels) == {"DEBUG"}


def test_tiny_ttl_url_loader_answered_by_304s_keeps_one_config() -> None:
    with config_server(json.dumps(SETTINGS).encode()) as server:
        loader = ConfigLoader.from_url(server.url, ttl=1, clock=ManualClock())  # due on every request
        first = loader.get()
        for _ in range(50):  # fill httpx's and the test server's own bounded caches first
            loader.refresh()
        result = check_for_leak(loader, settle=lambda: wait_idle(loader))
        loader.close()
    assert result.ok, result.failures
    assert loader.get() is first
    # One background refresh at a time, each answered "not modified".
    assert server.answers[200] == 1 and server.answers[304] > 50
    assert set(server.answers) == {200, 304}


def test_kongs_arithmetic_fails_the_same_check() -> None:
    broken = KongArithmeticLoader(SETTINGS, ttl=0)
    result = check_for_leak(broken)
    assert not result.ok
    assert broken.deserialised == 1 + 1 + REQUESTS  # built, the middleware's first get, then every request
    assert result.misses == REQUESTS  # so every request missed its brand-new cache
    assert any(f.startswith("misses:") for f in result.failures)


def test_kongs_arithmetic_with_its_worker_cache_fails_on_caches_and_memory() -> None:
    # Kong's per-worker LRU kept the deserialised configs alive, and with them their caches.
    broken = KongArithmeticLoader(SETTINGS, ttl=0, keep=3_000)
    result = check_for_leak(broken, requests=5_000)
    assert not result.ok
    assert result.max_caches == result.end_caches == 3_000
    assert result.traced_growth > MEMORY_BOUND
    kinds = [f.split(":")[0].split(" grew")[0] for f in result.failures]
    assert kinds == ["verdict caches", "misses", "traced memory"]


def test_kongs_arithmetic_with_a_real_ttl_is_the_same_as_ours() -> None:
    # The bug is ttl 0 alone: with a positive TTL, Kong's arithmetic reuses its object too.
    clock = ManualClock()
    broken = KongArithmeticLoader(SETTINGS, ttl=1e9, clock=clock)
    assert check_for_leak(broken).ok
