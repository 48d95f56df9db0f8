"""In-process cost of botguard per request on the hit path, with its counters on and off.

    .venv/bin/python benchmarks/overhead.py                 # 7 runs, the figures in docs/performance.md
    .venv/bin/python benchmarks/overhead.py --runs 3 --scale 0.2   # a quick look
    .venv/bin/python benchmarks/overhead.py --multiprocess         # prometheus_client multiprocess mode

Drives each app directly (no server, no sockets) with the same request over and over: a
browser User-Agent whose verdict is in the cache, so botguard's part is the hit path (find the
header, one locked LRU lookup, count the request, set `scope["state"]`, call the app). Four
apps: a bare ASGI app and a bare Starlette app, each alone and behind `BotGuardMiddleware`.

A last section prices `check_headers=True`: the same middleware with and without it, on a whole
Chrome request to an https origin (every check runs: Accept-Language, Accept, Sec-Fetch-Site and
-Mode, and the Sec-CH-UA version), and to a plain-http one (where `Host` is read too),
interleaved, as the median of per-run differences.

"metrics on" is botguard as shipped: the counters behind `botguard.stats()`, and
`botguard.prometheus.register()` called (its collector reads the counters only when scraped;
with `--multiprocess`, a daemon thread copies them into prometheus_client's multiprocess files
once a second, as under several workers). Neither adds anything per request. "metrics off" looks
verdicts up without counting the request (the guard is given no row of request counters; cache
hits are still counted). Runs are interleaved (every app once per run) so that a noisy
neighbour hits all of them alike; figures are medians over runs, and each ratio is taken
within one run, then the median of those is shown. `--cpu` times the thread's CPU time instead
of the wall clock: on a shared machine, time spent waiting for a core is then not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import gc
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
if "--multiprocess" in sys.argv:  # must be set before prometheus_client is imported
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="botguard-bench-")
    # Registered first, so it runs last: after the copy botguard makes at exit.
    atexit.register(shutil.rmtree, os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import PlainTextResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402

from benchmarks._scope import CHROME, SCOPE  # noqa: E402

import botguard  # noqa: E402
import botguard.prometheus  # noqa: E402
from botguard import BotGuardMiddleware, _cache  # noqa: E402

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]

# A whole Chrome 120 navigation to an https origin, headers as Chrome sends them.
CHROME_HTTPS_SCOPE: dict[str, Any] = {
    **SCOPE,
    "scheme": "https",
    "headers": [
        (b"host", b"example.com"),
        (b"sec-ch-ua", b'"Not_A Brand";v="8", "Chromium";v="120", "Google Chrome";v="120"'),
        (b"sec-ch-ua-mobile", b"?0"),
        (b"sec-ch-ua-platform", b'"Linux"'),
        (b"upgrade-insecure-requests", b"1"),
        (b"user-agent", CHROME),
        (b"accept", b"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"),
        (b"sec-fetch-site", b"none"),
        (b"sec-fetch-mode", b"navigate"),
        (b"sec-fetch-user", b"?1"),
        (b"sec-fetch-dest", b"document"),
        (b"accept-encoding", b"gzip, deflate, br, zstd"),
        (b"accept-language", b"en-GB,en;q=0.9"),
    ],
}
# The same navigation to a plain-http origin (a site without TLS, or behind a proxy that ends TLS
# and is not in `trusted_proxies`): botguard then reads `Host` to tell a loopback origin.
CHROME_HTTP_SCOPE: dict[str, Any] = {**CHROME_HTTPS_SCOPE, "scheme": "http"}


async def bare_asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"hello"})


async def hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("hello")


async def receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def send(message: Any) -> None:
    pass


CLOCK = [time.perf_counter]


async def drive(app: App, requests: int, template: dict[str, Any] = SCOPE) -> float:
    """Seconds per request for `requests` requests to `app`."""
    clock = CLOCK[0]
    start = clock()
    for _ in range(requests):
        await app(dict(template), receive, send)
    return (clock() - start) / requests


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

    chosen = apps()
    loop = asyncio.new_event_loop()
    times: dict[bool, dict[str, list[float]]] = {on: {name: [] for name in chosen} for on in (True, False)}
    try:
        for app, requests in chosen.values():  # warm up: caches, imports, the adaptive interpreter
            loop.run_until_complete(drive(app, max(1000, int(requests * scale) // 10)))
        for _ in range(runs):
            for counting in (True, False):
                for app, _ in chosen.values():
                    guard = getattr(app, "guard", None)
                    if guard is not None:
                        guard._current.counts = _cache.REQUESTS.row(False) if counting else None
                for name, (app, requests) in chosen.items():
                    gc.collect()
                    times[counting][name].append(loop.run_until_complete(drive(app, max(1000, int(requests * scale)))))
    finally:
        loop.close()
    return times


def measure_check_headers(runs: int, scale: float, scope: dict[str, Any]) -> dict[str, list[float]]:
    """check_headers off/on -> seconds per request of botguard + bare ASGI on a Chrome request (`scope`)."""
    chosen = {
        "check_headers off": BotGuardMiddleware(bare_asgi),
        "check_headers on": BotGuardMiddleware(bare_asgi, check_headers=True),
    }
    requests = max(1000, int(200_000 * scale))
    loop = asyncio.new_event_loop()
    times: dict[str, list[float]] = {name: [] for name in chosen}
    try:
        for app in chosen.values():
            loop.run_until_complete(drive(app, requests // 10, scope))
        for _ in range(runs):
            for name, app in chosen.items():
                gc.collect()
                times[name].append(loop.run_until_complete(drive(app, requests, scope)))
    finally:
        loop.close()
    return times


def scrape_cost(repeat: int = 200) -> float:
    """Seconds to render the whole default registry (botguard's collector included) once, or in
    multiprocess mode the documented recipe's registry (a `MultiProcessCollector` reading the files)."""
    registry = REGISTRY
    if botguard.stats()["multiprocess_dir"]:
        botguard.prometheus.flush()
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    start = time.perf_counter()
    for _ in range(repeat):
        generate_latest(registry)
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
    parser.add_argument(
        "--multiprocess", action="store_true",
        help="run under prometheus_client's multiprocess mode (a temporary PROMETHEUS_MULTIPROC_DIR)",
    )
    parser.add_argument("--cpu", action="store_true", help="time the thread's CPU time, not the wall clock")
    args = parser.parse_args()
    if args.cpu:
        CLOCK[0] = time.thread_time
    botguard.prometheus.register()
    mode = "multiprocess mode, copied once a second" if botguard.stats()["multiprocess_dir"] else "one process"
    print(f"Python {platform.python_version()} on {platform.machine()}, botguard {botguard.__version__}, "
          f"{args.runs} runs, scale {args.scale}, {'CPU' if args.cpu else 'wall-clock'} time, Prometheus: {mode}")
    times = measure(args.runs, args.scale)
    on, off = times[True], times[False]
    report("metrics on (counters + botguard.prometheus.register())", on)
    report("metrics off (lookup without request counting)", off)
    cost = [a - b for a, b in zip(on["botguard + bare ASGI"], off["botguard + bare ASGI"])]
    print(f"\ncounting costs {statistics.median(cost) * 1e9:.0f} ns/request (median of per-run differences, bare ASGI)")
    print(f"one Prometheus scrape ({mode}): {scrape_cost() * 1e6:.0f} µs")
    for origin, scope in (("https", CHROME_HTTPS_SCOPE), ("http", CHROME_HTTP_SCOPE)):
        checked = measure_check_headers(args.runs, args.scale, scope)
        print(f"\ncheck_headers (botguard + bare ASGI, a whole Chrome request to an {origin} origin)")
        for name, values in checked.items():
            print(f"  {name:<24}{statistics.median(values) * 1e6:>8.3f} µs/request median")
        added = [on - off for on, off in zip(checked["check_headers on"], checked["check_headers off"])]
        print(f"  check_headers adds {statistics.median(added) * 1e9:.0f} ns/request (median of per-run differences)")


if __name__ == "__main__":
    main()
