"""Long User-Agents through a real server: memory bounded by entries, and padding hides nothing.

uvicorn with httptools (what `uvicorn[standard]` installs) puts no cap on a header's size, so a
client can send 512 KiB User-Agents; h11 stops at 64 KiB.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import os
import tracemalloc

import httpx
import pytest

from botguard import Config, Verdict, classify
from botguard._cache import ENTRY_BYTES, KEY_LIMIT, cache_key, verdict_cache

from tests.support.servers import PROBE_AGENT, serve_uvicorn

BROWSER = "Mozilla/5.0 (X11; Linux x86_64)"
GOOGLEBOT = " Googlebot/2.1 (+http://www.google.com/bot.html)"
HUGE = 512 * 1024

needs_httptools = pytest.mark.skipif(
    importlib.util.find_spec("httptools") is None, reason="httptools is not installed (pip install 'uvicorn[standard]')"
)


def test_a_long_value_is_cached_under_a_digest_and_a_short_one_under_itself() -> None:
    short = b"Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"
    assert cache_key(short) is short
    assert cache_key(b"x" * KEY_LIMIT) == b"x" * KEY_LIMIT
    long_key = cache_key(b"x" * (KEY_LIMIT + 1))
    assert isinstance(long_key, tuple) and long_key == cache_key(b"x" * (KEY_LIMIT + 1))
    assert cache_key(b"x" * HUGE) != cache_key(b"x" * (HUGE - 1) + b"y")  # the digest covers every byte
    assert cache_key("é" * 10) != "é" * 10  # non-ASCII text is keyed by its digest: its size varies


def test_memory_is_bounded_by_entries_whatever_the_header_size() -> None:
    config = Config(builtin="kong")
    classify("warm-up", config)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(100):
            classify(os.urandom(8).hex().encode() * (HUGE // 16) + str(i).encode(), config)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(verdict_cache(config)) == 101  # and the warm-up's
    assert held <= 100 * ENTRY_BYTES  # not 100 × 512 KiB


def test_a_long_value_is_decided_once_then_found_by_its_digest() -> None:
    config = Config(builtin="default")
    padded = (BROWSER + "A" * 2000 + " python-requests/2.31").encode()
    assert classify(padded, config) is Verdict.BOT
    assert classify(bytes(padded), config) is Verdict.BOT  # another object, the same value
    assert len(verdict_cache(config)) == 1


@pytest.fixture(scope="module")
def server() -> object:
    env = {"BOTGUARD_TEST_CONFIG": json.dumps({"verify": ["google"]})}
    with serve_uvicorn("tests.apps.long_header_app:app", "--http", "httptools", env=env) as base:
        yield base


def _memory(base: str) -> dict[str, int]:
    found: dict[str, int] = httpx.get(base + "/memory", headers={"user-agent": PROBE_AGENT}, timeout=30).json()
    return found


@needs_httptools
def test_distinct_512_kib_user_agents_hold_entries_not_headers(server: str) -> None:
    before = _memory(server)
    sent = 120
    with httpx.Client(timeout=60) as client:
        for i in range(sent):
            agent = f"{BROWSER} {i} " + "A" * HUGE
            assert client.get(server + "/", headers={"user-agent": agent}).status_code == 200
    after = _memory(server)
    added = after["entries"] - before["entries"]
    assert added == sent
    # What Python still holds after 60 MiB of headers: the entries, not the headers.
    assert after["traced"] - before["traced"] <= added * ENTRY_BYTES + 1024 * 1024
    print(f"RSS {before['rss'] / 2**20:.1f} MiB -> {after['rss'] / 2**20:.1f} MiB after {sent} x 512 KiB User-Agents")


@needs_httptools
@pytest.mark.parametrize(
    ("agent", "status"),
    [
        (BROWSER + "A" * 1000 + GOOGLEBOT, 403),  # a Googlebot claim past 1,024 characters: SPOOFED
        (BROWSER + " " + "A" * HUGE + " python-requests/2.31", 403),  # a library named 512 KiB in: BOT
        (BROWSER + " " + "A" * HUGE, 200),  # padding alone names nothing
    ],
)
def test_padding_hides_no_claim_under_a_real_server(server: str, agent: str, status: int) -> None:
    assert httpx.get(server + "/", headers={"user-agent": agent}, timeout=60).status_code == status
