"""The hit path (or the miss path) of two botguard checkouts side by side: this one and another.

    git worktree add /tmp/botguard-base main       # any commit to compare with
    .venv/bin/python benchmarks/ab_overhead.py /tmp/botguard-base
    .venv/bin/python benchmarks/ab_overhead.py /tmp/botguard-base --runs 15 --requests 100000
    .venv/bin/python benchmarks/ab_overhead.py /tmp/botguard-base --miss   # a new User-Agent each time

Both packages are loaded into one process under other names and drive the same bare ASGI app
with the same browser request (its verdict cached), runs interleaved: base, this, bare. With
`--miss` every request carries a browser User-Agent never sent before (a version number counts
up), so every decision is a miss: the decision, the cache's insert and its eviction. Each run
is timed in the thread's CPU time, so a neighbour's load on a shared machine is not counted; the
figure is the median over runs of (guarded - bare), and of the per-run difference between the two.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib.util
import itertools
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))

from benchmarks._scope import CHROME, SCOPE  # noqa: E402


def load(name: str, checkout: Path) -> ModuleType:
    """The `botguard` package of `checkout`, imported as `name`."""
    package = checkout / "botguard"
    spec = importlib.util.spec_from_file_location(name, package / "__init__.py", submodule_search_locations=[str(package)])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


async def bare(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"hello"})


async def receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def send(message: Any) -> None:
    pass


async def drive(app: Any, requests: int, scopes: list[dict[str, Any]] | None = None) -> float:
    """CPU seconds per request: the same request over and over, or each of `scopes` once."""
    if scopes is None:
        start = time.thread_time()
        for _ in range(requests):
            await app(dict(SCOPE), receive, send)
        return (time.thread_time() - start) / requests
    start = time.thread_time()
    for scope in scopes:
        await app(scope, receive, send)
    return (time.thread_time() - start) / len(scopes)


def unseen(requests: int, serials: Iterator[int]) -> list[dict[str, Any]]:
    """`requests` copies of the request, each with a browser User-Agent not used before."""
    headers = [(k, v) for k, v in SCOPE["headers"] if k != b"user-agent"]
    agents = (CHROME.replace(b"120.0.0.0", b"120.0.%d.%d" % divmod(next(serials), 10_000)) for _ in range(requests))
    return [{**SCOPE, "headers": [*headers, (b"user-agent", agent)]} for agent in agents]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", type=Path, help="the other checkout (a directory holding botguard/)")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--miss", action="store_true", help="a new User-Agent every request")
    args = parser.parse_args()
    serials = itertools.count(1)

    def scopes(count: int) -> list[dict[str, Any]] | None:
        return unseen(count, serials) if args.miss else None

    apps = {
        "base": load("botguard_base", args.base).BotGuardMiddleware(bare),
        "this": load("botguard_this", HERE).BotGuardMiddleware(bare),
        "bare": bare,
    }
    loop = asyncio.new_event_loop()
    for app in apps.values():  # warm up: caches, the adaptive interpreter
        loop.run_until_complete(drive(app, args.requests // 10, scopes(args.requests // 10)))
    times: dict[str, list[float]] = {name: [] for name in apps}
    for _ in range(args.runs):
        for name, app in apps.items():
            batch = scopes(args.requests)  # built before the clock starts
            gc.collect()
            times[name].append(loop.run_until_complete(drive(app, args.requests, batch)))
    loop.close()
    path = "miss path: a new User-Agent each request" if args.miss else "hit path: one cached User-Agent"
    print(f"{args.runs} interleaved runs x {args.requests:,} requests, thread CPU time, {path}")
    for name in ("base", "this"):
        added = [g - b for g, b in zip(times[name], times["bare"])]
        print(f"  botguard ({name}) adds {statistics.median(added) * 1e9:6.0f} ns/request to a bare ASGI app")
    difference = [t - b for t, b in zip(times["this"], times["base"])]
    print(f"  this - base: {statistics.median(difference) * 1e9:+.0f} ns/request (median of per-run differences)")


if __name__ == "__main__":
    main()
