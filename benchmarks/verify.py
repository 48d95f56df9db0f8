"""What crawler verification costs: the hot path without claims, and a claim's first and later requests.

    .venv/bin/python benchmarks/verify.py            # this checkout
    .venv/bin/python benchmarks/verify.py --quick    # fewer rounds
    # and the hot path of another botguard (say main's) timed in the same rounds:
    rm -rf /tmp/bg-main && mkdir -p /tmp/bg-main && git archive main botguard | tar -x -C /tmp/bg-main
    .venv/bin/python benchmarks/verify.py --baseline /tmp/bg-main/botguard

Every figure is the median of several rounds (the machine is noisy), in microseconds per request,
measured in one run so ratios compare like with like. The middleware is driven in-process: the
app, `receive` and `send` never suspend, so a request that needs no DNS runs as one coroutine step
and what is timed is botguard's own work. Requests that wait for DNS run on a real event loop.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from botguard import BotGuardMiddleware, Config  # noqa: E402

CHROME = b"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
GOOGLEBOT = b"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


async def app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})


async def receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b""}


async def send(message: Any) -> None:
    pass


def scope(ua: bytes, ip: str) -> dict[str, Any]:
    return {"type": "http", "headers": [(b"host", b"x"), (b"user-agent", ua)], "client": (ip, 50000)}


def per_request_in_process(middleware: Any, ua: bytes, ip: str, n: int) -> float:
    """µs per request, each request one coroutine step (nothing suspends)."""
    s = scope(ua, ip)
    call = middleware.__call__
    start = time.perf_counter()
    for _ in range(n):
        coro = call(s, receive, send)
        try:
            coro.send(None)
        except StopIteration:
            pass
        else:
            raise RuntimeError("the request suspended: it waited for DNS")
    return (time.perf_counter() - start) / n * 1e6


def median(rounds: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(rounds))


class InstantResolver:
    """A stub DNS that answers at once: what is left is botguard's thread hop and bookkeeping."""

    def reverse(self, ip: str) -> list[str]:
        return [f"crawl-{ip.replace('.', '-')}.googlebot.com"]

    def forward(self, name: str) -> list[str]:
        return [name.removeprefix("crawl-").removesuffix(".googlebot.com").replace("-", ".")]


class SilentResolver:
    """A DNS that never answers in time (a black-holed resolver, or an attacker's slow zone)."""

    def reverse(self, ip: str) -> list[str]:
        time.sleep(5)
        return []

    def forward(self, name: str) -> list[str]:
        return []


async def first_requests(make: Callable[[], Any], ips: list[str]) -> list[float]:
    """µs for the first claim from each address (a lookup each), on a real loop."""
    times = []
    for ip in ips:
        middleware = make()
        s = scope(GOOGLEBOT, ip)
        start = time.perf_counter()
        await middleware(s, receive, send)
        times.append((time.perf_counter() - start) * 1e6)
    return times


async def burst(middleware: Any, ip: str, n: int) -> float:
    """Wall µs for `n` concurrent claims from one new address (one lookup, single flight)."""
    start = time.perf_counter()
    await asyncio.gather(*(middleware(scope(GOOGLEBOT, ip), receive, send) for _ in range(n)))
    return (time.perf_counter() - start) * 1e6


def load_baseline(path: str) -> Any:
    """Another botguard package (its imports are relative) loaded under another name."""
    init = Path(path) / "__init__.py"
    spec = importlib.util.spec_from_file_location("botguard_baseline", init, submodule_search_locations=[str(Path(path))])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["botguard_baseline"] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--baseline", metavar="DIR", help="another botguard package to time the hot path of")
    args = parser.parse_args()
    rounds, n = (3, 20_000) if args.quick else (7, 100_000)

    print(f"python {sys.version.split()[0]}; median of {rounds} rounds of {n:,} requests; µs per request\n")
    plain = BotGuardMiddleware(app, config=Config())
    verifying = BotGuardMiddleware(app, config=Config(verify=("google", "bing"), resolver=InstantResolver()))
    baseline = None
    if args.baseline:
        other = load_baseline(args.baseline)
        baseline = other.BotGuardMiddleware(app, config=other.Config())
        per_request_in_process(baseline, CHROME, "203.0.113.1", 100)
    for middleware in (plain, verifying):  # warm the verdict caches and the address cache
        per_request_in_process(middleware, CHROME, "203.0.113.1", 100)
    asyncio.run(verifying(scope(GOOGLEBOT, "66.249.66.1"), receive, send))

    rows = []
    # Interleave the variants round by round so drift hits all of them alike.
    samples: dict[str, list[float]] = {"none": [], "verify": [], "claim": [], "baseline": []}
    for _ in range(rounds):
        if baseline is not None:
            samples["baseline"].append(per_request_in_process(baseline, CHROME, "203.0.113.1", n))
        samples["none"].append(per_request_in_process(plain, CHROME, "203.0.113.1", n))
        samples["verify"].append(per_request_in_process(verifying, CHROME, "203.0.113.1", n))
        samples["claim"].append(per_request_in_process(verifying, GOOGLEBOT, "66.249.66.1", n))
    base = statistics.median(samples["none"])
    if baseline is not None:
        value = statistics.median(samples["baseline"])
        rows.append((f"browser UA, baseline ({args.baseline})", value, value / base))
    rows.append(("browser UA, verify=() (cache hit)", base, 1.0))
    rows.append(("browser UA, verify=('google', 'bing')", statistics.median(samples["verify"]), statistics.median(samples["verify"]) / base))
    rows.append(("Googlebot claim, address cached (verified)", statistics.median(samples["claim"]), statistics.median(samples["claim"]) / base))

    def fresh(resolver: Any = None) -> Any:
        return BotGuardMiddleware(app, config=Config(verify=("google", "bing"), resolver=resolver))

    k = 50 if args.quick else 200
    stub_first = asyncio.run(first_requests(lambda: fresh(InstantResolver()), [f"66.249.{i // 250}.{i % 250 + 1}" for i in range(k)]))
    rows.append(("Googlebot claim, first from an address (stub DNS)", statistics.median(stub_first), None))
    for ip in ("127.0.0.1", "::1"):
        first = asyncio.run(first_requests(fresh, [ip] * k))
        rows.append((f"Googlebot claim from {ip}, first (system resolver, refuted)", statistics.median(first), None))
        cached = fresh()
        asyncio.run(cached(scope(GOOGLEBOT, ip), receive, send))
        later = median(rounds, lambda: per_request_in_process(cached, GOOGLEBOT, ip, n // 10))
        rows.append((f"Googlebot claim from {ip}, later (cached refutation)", later, later / base))
    silent = BotGuardMiddleware(app, config=Config(verify=("google",), resolver=SilentResolver(), verify_timeout=0.25))
    hung = asyncio.run(first_requests(lambda: silent, [f"198.51.100.{i + 1}" for i in range(3)]))
    rows.append(("Googlebot claim, DNS never answers, verify_timeout=0.25: first", statistics.median(hung), None))
    later = median(rounds, lambda: per_request_in_process(silent, GOOGLEBOT, "198.51.100.1", n // 10))
    rows.append(("  the same address, later (cached failure, failed_ttl)", later, later / base))
    bursts = [asyncio.run(burst(fresh(InstantResolver()), f"66.249.70.{i + 1}", 100)) for i in range(rounds)]
    rows.append(("100 concurrent claims from one new address (wall, per request)", statistics.median(bursts) / 100, None))

    width = max(len(r[0]) for r in rows)
    print(f"{'case':<{width}}  {'µs/request':>10}  {'× no-verify':>11}")
    for name, value, ratio in rows:
        print(f"{name:<{width}}  {value:>10.2f}  {'' if ratio is None else f'{ratio:>10.2f}x':>11}")


if __name__ == "__main__":
    main()
