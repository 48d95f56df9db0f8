"""A flood of fake crawler claims: verification keeps working for the real crawler.

The attack: Googlebot claims from fresh addresses (an IPv6 /64 holds 2**64 of them) whose reverse
zone the attacker answers slowly. Each claim starts a lookup that holds a resolver thread; once
every thread is held, the real Googlebot's lookup (its DNS answers at once) waits in the queue,
times out, and used to be cached as a failure: refused for `failed_ttl`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from botguard import BotGuardMiddleware, Verdict
from botguard.verify import Verifier
from botguard.verify.dns import _RESOLVER_THREADS

from tests.support.agents import GOOGLEBOT_COMPATIBLE as GOOGLEBOT
GOOGLE_IP = "66.249.66.1"
GOOGLE_NAME = "crawl-66-249-66-1.googlebot.com"
# The flood's network: one /64, as many fresh addresses as the attacker likes.
FLOOD_64 = ipaddress.IPv6Network("2001:db8:bad:1::/64")


def flood_64(count: int, start: int = 1) -> list[str]:
    return [str(FLOOD_64[start + i]) for i in range(count)]


def flood_networks(count: int) -> list[str]:
    """Fresh addresses, each in a /16 of its own (what a large botnet has)."""
    return [f"{11 + i}.{i}.113.9" for i in range(count)]


class SlowZoneResolver:
    """The real crawler's DNS answers at once; every other reverse lookup hangs until released."""

    def __init__(self) -> None:
        self.ptr = {GOOGLE_IP: [GOOGLE_NAME]}
        self.a = {GOOGLE_NAME: [GOOGLE_IP]}
        self.released = threading.Event()
        self.reverse_calls: list[str] = []
        self._lock = threading.Lock()

    def reverse(self, ip: str) -> list[str]:
        with self._lock:
            self.reverse_calls.append(ip)
        if ip not in self.ptr:
            self.released.wait(30)
        return self.ptr.get(ip, [])

    def forward(self, name: str) -> list[str]:
        return self.a.get(name, [])

    def calls_for(self, ip: str) -> int:
        with self._lock:
            return self.reverse_calls.count(ip)


@pytest.fixture
def slow() -> Iterator[SlowZoneResolver]:
    resolver = SlowZoneResolver()
    yield resolver
    resolver.released.set()  # never leave the shared lookup threads hanging for the next test


def scope(ip: str, ua: str = GOOGLEBOT) -> dict[str, Any]:
    return {
        "type": "http", "method": "GET", "path": "/", "query_string": b"", "scheme": "http",
        "headers": [(b"host", b"example.org"), (b"user-agent", ua.encode())], "client": (ip, 50000),
    }


async def ok_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    scope["_app_called"] = True
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def call(app: Any, ip: str) -> tuple[int, dict[bytes, bytes], Verdict | None]:
    """One claim from `ip` on the running loop: its status, headers and verdict."""
    s = scope(ip)
    head: dict[str, Any] = {}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            head.update(message)

    await app(s, receive, send)
    verdict = s.get("state", {}).get("botguard")
    return head["status"], dict(head.get("headers", [])), verdict


async def flood_then_real(app: Any, flood: list[str]) -> tuple[list[int], int, int]:
    """Start the flood's claims, send the real crawler's claim while they wait, then again after."""
    claims = [asyncio.ensure_future(call(app, ip)) for ip in flood]
    await asyncio.sleep(0.1)  # every flood claim has asked for its lookup by now
    during = (await call(app, GOOGLE_IP))[0]
    flooded = [status for status, _, _ in await asyncio.gather(*claims)]
    after = (await call(app, GOOGLE_IP))[0]
    return flooded, during, after


def test_a_flood_from_one_64_does_not_starve_the_real_crawler(slow: SlowZoneResolver) -> None:
    app = BotGuardMiddleware(ok_app, verify=("google",), resolver=slow, verify_timeout=0.5)
    flooded, during, after = asyncio.run(flood_then_real(app, flood_64(40)))
    assert flooded == [403] * 40
    assert (during, after) == (200, 200)
    # The flood's network had its share of the resolver, not all of it.
    assert len(slow.reverse_calls) - slow.calls_for(GOOGLE_IP) <= 4


def test_a_flood_from_one_24_does_not_starve_the_real_crawler(slow: SlowZoneResolver) -> None:
    app = BotGuardMiddleware(ok_app, verify=("google",), resolver=slow, verify_timeout=0.5)
    flooded, during, after = asyncio.run(flood_then_real(app, [f"203.0.113.{i}" for i in range(1, 41)]))
    assert flooded == [403] * 40 and (during, after) == (200, 200)


def test_a_busy_resolver_is_not_cached_as_a_refutation(slow: SlowZoneResolver) -> None:
    # A flood from many networks can still take every lookup thread (published ranges are the
    # answer to that, see below). The real crawler is refused while it lasts, told to come back,
    # and admitted as soon as it does, not `failed_ttl` later.
    app = BotGuardMiddleware(ok_app, verify=("google",), resolver=slow, verify_timeout=0.5)

    async def go() -> tuple[int, dict[bytes, bytes], int]:
        claims = [asyncio.ensure_future(call(app, ip)) for ip in flood_networks(24)]
        # Every lookup thread is inside the flood's hanging DNS before the real claim is sent (a
        # fixed pause is not enough on a busy machine: a thread not yet busy would serve it).
        deadline = time.monotonic() + 10
        while len(slow.reverse_calls) < _RESOLVER_THREADS and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        status, headers, _ = await call(app, GOOGLE_IP)
        slow.released.set()  # the flood's lookups end
        await asyncio.gather(*claims)
        return status, headers, (await call(app, GOOGLE_IP))[0]

    during, headers, after = asyncio.run(go())
    assert during == 403 and int(headers[b"retry-after"]) >= 1
    assert after == 200


def test_published_ranges_skip_the_queue(slow: SlowZoneResolver, tmp_path: Path) -> None:
    ranges = tmp_path / "googlebot.json"
    ranges.write_text(json.dumps({"prefixes": [{"ipv4Prefix": "66.249.64.0/27"}]}))
    app = BotGuardMiddleware(
        ok_app, verify=("google",), resolver=slow, verify_timeout=0.5, crawler_ranges={"google": str(ranges)}
    )

    async def go() -> tuple[int, Verdict | None]:
        claims = [asyncio.ensure_future(call(app, ip)) for ip in flood_networks(24)]
        await asyncio.sleep(0.1)
        status, _, verdict = await call(app, "66.249.64.5")
        slow.released.set()
        await asyncio.gather(*claims)
        return status, verdict

    assert asyncio.run(go()) == (200, Verdict.ALLOW)
    assert slow.calls_for("66.249.64.5") == 0


class Refuter:
    """DNS that answers at once: the real crawler is confirmed, every other address has no name."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def reverse(self, ip: str) -> list[str]:
        self.calls.append(ip)
        return [GOOGLE_NAME] if ip == GOOGLE_IP else []

    def forward(self, name: str) -> list[str]:
        return [GOOGLE_IP] if name == GOOGLE_NAME else []


@pytest.mark.parametrize("flood", [flood_64(500), flood_networks(200)], ids=["one /64", "many networks"])
def test_a_flood_does_not_evict_confirmed_addresses(flood: list[str]) -> None:
    dns = Refuter()
    verifier = Verifier(dns, ("googlebot.com",), cache_size=64)
    assert verifier.lookup_sync(GOOGLE_IP).status == "confirmed"
    for ip in flood:
        verifier.lookup_sync(ip)
    assert verifier.lookup_sync(GOOGLE_IP).status == "confirmed"
    assert dns.calls.count(GOOGLE_IP) == 1  # still cached: no second lookup
