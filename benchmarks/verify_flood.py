"""A flood of fake Googlebot claims against crawler verification: is the real Googlebot still let in?

    .venv/bin/python benchmarks/verify_flood.py                 # this checkout
    # and another botguard (say an older main) in the same run, for before/after:
    rm -rf /tmp/bg-old && mkdir -p /tmp/bg-old && git archive <commit> botguard | tar -x -C /tmp/bg-old
    .venv/bin/python benchmarks/verify_flood.py --baseline /tmp/bg-old/botguard

The attack: RATE Googlebot claims a second, each from a fresh address whose reverse zone (the
attacker's own) answers in 5 s. Meanwhile the real Googlebot, whose DNS answers at once, sends a
claim from a fresh address of its own every 0.25 s. After the flood, once its lookups have
drained (6 s later), it comes back from the same addresses. Printed per flood shape: the share of the real crawler's claims admitted during the
flood and right after it, and their median and worst wait. Flood shapes: every address in one
IPv6 /64 (what one host has), in one /24, or each in a network of its own (a botnet), the last
also with Google's published ranges given (`crawler_ranges`).

In-process: the middleware is driven on one event loop with a stub resolver that sleeps (the
lookups run on botguard's own threads, as in production). Wall-clock figures on a shared machine
are noisy; the shares admitted are what to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import ipaddress
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._slow_zone import SlowZone  # noqa: E402

GOOGLEBOT = b"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
SLOW = 5.0  # seconds a reverse lookup outside Google's addresses takes


async def app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def claim(middleware: Any, ip: str) -> tuple[int, float]:
    """One Googlebot claim from `ip`: its status and how long it took (s)."""
    scope = {"type": "http", "method": "GET", "path": "/", "headers": [(b"user-agent", GOOGLEBOT)], "client": (ip, 50000)}
    status = [0]

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status[0] = message["status"]

    start = time.perf_counter()
    await middleware(scope, receive, send)
    return status[0], time.perf_counter() - start


def flood_addresses(shape: str, count: int) -> list[str]:
    if shape == "one /64":
        net = ipaddress.IPv6Network("2001:db8:bad:1::/64")
        return [str(net[i + 1]) for i in range(count)]
    if shape == "one /24":
        return [f"203.0.113.{i % 254 + 1}" for i in range(count)]  # repeats past 254: joins and cached refutations
    return [f"{(i // 256) % 200 + 11}.{i % 256}.113.9" for i in range(count)]  # each in a /16 of its own


async def attack(middleware: Any, shape: str, rate: float, seconds: float) -> dict[str, Any]:
    flood = flood_addresses(shape, int(rate * seconds))
    real = [f"66.249.{64 + i // 250}.{i % 250 + 1}" for i in range(int(seconds / 0.25))]
    tasks: list[asyncio.Task[tuple[int, float]]] = []
    real_tasks: list[asyncio.Task[tuple[int, float]]] = []
    start = time.perf_counter()
    next_real = 0.5  # the flood has begun when the real crawler arrives
    for index, ip in enumerate(flood):
        at = index / rate
        while next_real <= at and len(real_tasks) < len(real):
            await asyncio.sleep(max(0.0, start + next_real - time.perf_counter()))
            real_tasks.append(asyncio.ensure_future(claim(middleware, real[len(real_tasks)])))
            next_real += 0.25
        await asyncio.sleep(max(0.0, start + at - time.perf_counter()))
        tasks.append(asyncio.ensure_future(claim(middleware, ip)))
    during = await asyncio.gather(*real_tasks)
    await asyncio.gather(*tasks)
    # After the flood, once its lookups have drained (well within `failed_ttl`, 60 s).
    await asyncio.sleep(SLOW + 1.0)
    after = [await claim(middleware, ip) for ip in real[: len(real_tasks)]]
    return {"during": during, "after": after}


def share(results: list[tuple[int, float]]) -> str:
    admitted = sum(status == 200 for status, _ in results)
    return f"{admitted}/{len(results)} ({100 * admitted / max(1, len(results)):.0f}%)"


def waits(results: list[tuple[int, float]]) -> str:
    times = [t * 1000 for _, t in results]
    return f"{statistics.median(times):7.1f} {max(times):7.1f}"


def load_package(path: str, name: str) -> Any:
    init = Path(path) / "__init__.py"
    spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(Path(path))])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20.0, help="fake claims a second (default 20)")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long the flood lasts (default 10)")
    parser.add_argument("--baseline", metavar="DIR", help="another botguard package to attack in the same run")
    parser.add_argument("--shapes", default="one /64,one /24,many networks,many networks + ranges")
    args = parser.parse_args()

    import botguard

    packages = [("this checkout", botguard)]
    if args.baseline:
        packages.insert(0, (f"baseline {args.baseline}", load_package(args.baseline, "botguard_baseline")))
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"prefixes": [{"ipv4Prefix": "66.249.64.0/19"}]}, handle)
    print(f"{args.rate:g} fake claims/s for {args.seconds:g} s, reverse zone {SLOW:g} s; "
          f"the real crawler every 0.25 s from fresh addresses (DNS at once); verify_timeout 1 s\n")
    print(f"{'botguard':<34} {'flood shape':<24} {'admitted during':>16} {'admitted after':>15}  "
          f"{'wait ms: median  max (during)':>28}")
    for shape in args.shapes.split(","):
        for label, package in packages:
            fields: dict[str, Any] = {"verify": ("google",), "resolver": SlowZone(SLOW), "verify_timeout": 1.0}
            if shape.endswith("+ ranges"):
                fields["crawler_ranges"] = {"google": handle.name}
            middleware = package.BotGuardMiddleware(app, config=package.Config(**fields))
            found = asyncio.run(attack(middleware, shape.removesuffix(" + ranges"), args.rate, args.seconds))
            print(f"{label[:34]:<34} {shape:<24} {share(found['during']):>16} {share(found['after']):>15}  "
                  f"{waits(found['during']):>28}", flush=True)
            time.sleep(SLOW + 0.5)  # let the slow lookups drain before the next run
    Path(handle.name).unlink()


if __name__ == "__main__":
    main()
