"""In-process cost of botguard per request on the hit path, with its counters on and off.

    .venv/bin/python benchmarks/overhead.py                 # 7 runs, the figures in docs/performance.md
    .venv/bin/python benchmarks/overhead.py --runs 3 --scale 0.2   # a quick look

Drives each app directly (no server, no sockets) with the same request over and over: a
browser User-Agent whose verdict is in the cache, so botguard's part is the hit path (find the
header, one locked LRU lookup, count the request, set `scope["state"]`, call the app). Four
apps: a bare ASGI app and a bare Starlette app, each alone and behind `BotGuardMiddleware`.

"metrics on" is botguard as shipped: the counters behind `botguard.stats()`, and the
Prometheus collector registered (it reads the counters only when scraped, so it adds nothing
per request). "metrics off" looks verdicts up without counting the request (the core's
lookup before metrics existed; it still counts cache hits). Runs are interleaved (every app once per run) so that a noisy
neighbour hits all of them alike; figures are medians over runs, and each ratio is taken
within one run, then the median of those is shown.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from prometheus_client import REGISTRY, generate_latest  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import PlainTextResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402

import botguard  # noqa: E402
from botguard import BotGuardMiddleware, _guard  # noqa: E402
from botguard._cache import cached_explanation  # noqa: E402

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
CHROME = b"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
SCOPE: dict[str, Any] = {
    "type": "http",
    "asgi": {"version": "3.0"},
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "path": "/",
    "raw_path": b"/",
    "query_string": b"",
    "root_path": "",
    "headers": [
        (b"host", b"example.com"),
        (b"user-agent", CHROME),
        (b"accept", b"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
        (b"accept-language", b"en-GB,en;q=0.9"),
        (b"accept-encoding", b"gzip, deflate, br"),
        (b"connection", b"keep-alive"),
    ],
    "client": ("127.0.0.1", 50000),
    "server": ("127.0.0.1", 8000),
}


async def bare_asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"hello"})


async def hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("hello")


async def receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def send(message: Any) -> None:
    pass


async def drive(app: App, requests: int) -> float:
    """Seconds per request for `requests` requests to `app`."""
    template = SCOPE
    start = time.perf_counter()
    for _ in range(requests):
        await app(dict(template), receive, send)
    return (time.perf_counter() - start) / requests


def apps() -> dict[str, tuple[App, int]]:
    """name -> (app, requests per run at scale 1)."""
    starlette = Starlette(routes=[Route("/", hello)])
    return {
        "bare ASGI": (bare_asgi, 200_000),
        "botguard + bare ASGI": (BotGuardMiddleware(bare_asgi), 200_000),
        "Starlette": (starlette, 40_000),
        "botguard + Starlette": (BotGuardMiddleware(starlette), 40_000),
    }


def measure(runs: int, scale: float) -> dict[bool, dict[str, list[float]]]:
    """counting on/off -> app name -> seconds per request, one entry per run."""
    counted = _guard.request_explanation

    chosen = apps()
    loop = asyncio.new_event_loop()
    times: dict[bool, dict[str, list[float]]] = {on: {name: [] for name in chosen} for on in (True, False)}
    try:
        for app, requests in chosen.values():  # warm up: caches, imports, the adaptive interpreter
            loop.run_until_complete(drive(app, max(1000, int(requests * scale) // 10)))
        for _ in range(runs):
            for counting in (True, False):
                _guard.request_explanation = counted if counting else cached_explanation
                for name, (app, requests) in chosen.items():
                    gc.collect()
                    times[counting][name].append(loop.run_until_complete(drive(app, max(1000, int(requests * scale)))))
    finally:
        _guard.request_explanation = counted
        loop.close()
    return times


def scrape_cost(repeat: int = 200) -> float:
    """Seconds to render the whole default registry (botguard's collector included) once."""
    start = time.perf_counter()
    for _ in range(repeat):
        generate_latest(REGISTRY)
    return (time.perf_counter() - start) / repeat


def report(label: str, times: dict[str, list[float]]) -> None:
    med = {name: statistics.median(values) for name, values in times.items()}
    print(f"\n{label}")
    print(f"  {'app':<24}{'median µs/request':>19}{'min':>9}{'max':>9}")
    for name, values in times.items():
        print(f"  {name:<24}{med[name] * 1e6:>19.3f}{min(values) * 1e6:>9.3f}{max(values) * 1e6:>9.3f}")
    for base in ("bare ASGI", "Starlette"):
        guarded = f"botguard + {base}"
        added = [g - b for g, b in zip(times[guarded], times[base])]
        ratio = [b / g for g, b in zip(times[guarded], times[base])]
        print(
            f"  botguard adds {statistics.median(added) * 1e6:.3f} µs/request to {base} "
            f"(median of per-run differences); throughput ratio {statistics.median(ratio):.3f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="interleaved runs per app (default 7)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the requests per run (default 1)")
    args = parser.parse_args()
    print(f"Python {platform.python_version()} on {platform.machine()}, botguard {botguard.__version__}, "
          f"{args.runs} runs, scale {args.scale}")
    times = measure(args.runs, args.scale)
    on, off = times[True], times[False]
    report("metrics on (counters + Prometheus collector registered)", on)
    report("metrics off (lookup without request counting)", off)
    cost = [a - b for a, b in zip(on["botguard + bare ASGI"], off["botguard + bare ASGI"])]
    print(f"\ncounting costs {statistics.median(cost) * 1e9:.0f} ns/request (median of per-run differences, bare ASGI)")
    print(f"one Prometheus scrape of the default registry: {scrape_cost() * 1e6:.0f} µs")


if __name__ == "__main__":
    main()
