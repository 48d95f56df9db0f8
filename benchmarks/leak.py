"""One million same-agent requests through BotGuardMiddleware with fast-refreshing loaders: RSS before and after.

    .venv/bin/python benchmarks/leak.py                 # 1,000,000 requests a scenario, 3 runs each
    .venv/bin/python benchmarks/leak.py --requests 200000 --runs 1

Each run of each scenario is a fresh process, so one scenario's memory never shows in another's.
Scenarios:
  file     ConfigLoader.from_file(ttl=0.001): re-checked every millisecond, and the file rewritten
           with the same bytes (new inode, new mtime) every 10,000 requests
  url      ConfigLoader.from_url(ttl=0.001) against a local HTTP server answering 304s
  kong     Kong 0.12.3's arithmetic with ttl 0: a fresh, equal Config on every read
  kong-lru the same, with Kong's per-worker LRU keeping the last 1,000 deserialised configs alive
Prints a Markdown table: medians over the runs (RSS figures are the median run's).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SETTINGS = {"blacklist": ["(?i)helloworld"], "builtin": "kong"}
# One agent that no rule names: a refused one would write a log line a request, which would
# measure logging, not the loader.
USER_AGENT = b"Mozilla/5.0 (the same agent, every request)"
SCENARIOS = ["file", "url", "kong", "kong-lru"]


def rss_mib() -> float:
    """Resident set size now, in MiB (Linux /proc; elsewhere the peak from getrusage)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_mib()


def peak_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


class Outcomes(logging.Filter):
    """Counts the loader's reload outcomes (by the end of each message) and drops the records;
    records of anything else are dropped uncounted."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: Counter[str] = Counter()

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith("config "):
            self.counts[record.getMessage().rsplit(": ", 1)[-1]] += 1
        return False


def run_one(scenario: str, requests: int) -> dict[str, Any]:
    """One scenario in this process; returns its figures."""
    from botguard import BotGuardMiddleware, ConfigLoader, cache_info
    from tests.support.config_server import config_server
    from tests.support.kong_reference import KongArithmeticLoader

    outcomes = Outcomes()
    logger = logging.getLogger("botguard")
    logger.addFilter(outcomes)
    logger.setLevel(logging.DEBUG)
    every: Any = None
    cleanup: list[Any] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "botguard.json"
        data = json.dumps(SETTINGS).encode()
        path.write_bytes(data)
        source: Any
        if scenario == "file":
            source = ConfigLoader.from_file(path, ttl=0.001)

            def every() -> None:
                (Path(tmp) / "new.json").write_bytes(data)
                os.replace(Path(tmp) / "new.json", path)

        elif scenario == "url":
            server_cm = config_server(data)
            server = server_cm.__enter__()
            cleanup.append(lambda: server_cm.__exit__(None, None, None))
            source = ConfigLoader.from_url(server.url, ttl=0.001)
            cleanup.insert(0, source.close)
        elif scenario == "kong":
            source = KongArithmeticLoader(SETTINGS, ttl=0)
        elif scenario == "kong-lru":
            source = KongArithmeticLoader(SETTINGS, ttl=0, keep=1_000)
        else:
            raise SystemExit(f"unknown scenario {scenario!r}")

        guarded = BotGuardMiddleware(_app, config=source)

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Any) -> None:
            pass

        async def drive() -> None:
            headers = [(b"user-agent", USER_AGENT)]
            for i in range(requests):
                await guarded({"type": "http", "method": "GET", "path": "/", "headers": headers}, receive, send)
                if every is not None and i % 10_000 == 9_999:
                    every()

        gc.collect()
        before = cache_info()
        start_rss = rss_mib()
        started = time.perf_counter()
        asyncio.run(drive())
        elapsed = time.perf_counter() - started
        gc.collect()
        end_rss = rss_mib()
        after = cache_info()
        for step in cleanup:
            step()
    return {
        "scenario": scenario,
        "requests": requests,
        "seconds": elapsed,
        "rss_start": start_rss,
        "rss_end": end_rss,
        "caches": after.caches,
        "misses": after.misses - before.misses,
        "checks": sum(outcomes.counts.values()),
        "rereads": outcomes.counts["same content"],
        "not_modified": outcomes.counts["not modified"],
        "configs_built": getattr(source, "deserialised", 1 + outcomes.counts["new settings in force"]),
    }


async def _app(scope: Any, receive: Any, send: Any) -> None:  # pragma: no cover - a 403 never reaches it
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scenario", choices=SCENARIOS, action="append")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child, args.requests)))
        return
    rows = []
    for scenario in args.scenario or SCENARIOS:
        runs = []
        for _ in range(args.runs):
            out = subprocess.run(
                [sys.executable, __file__, "--child", scenario, "--requests", str(args.requests)],
                check=True, capture_output=True, text=True, cwd=ROOT,
            )
            runs.append(json.loads(out.stdout))
        runs.sort(key=lambda r: r["seconds"])
        median = runs[len(runs) // 2]
        median["us_per_request"] = statistics.median(r["seconds"] for r in runs) / args.requests * 1e6
        rows.append(median)
        print(f"# {scenario}: {json.dumps(median)}", file=sys.stderr)
    print(f"{args.requests:,} requests a scenario, median of {args.runs} run(s), Python {sys.version.split()[0]}\n")
    print("| loader | RSS start | RSS end | growth | live caches | misses | configs built | checks (re-reads) | µs/request |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        checks = f"{r['checks']:,} ({r['rereads']:,})" if r["checks"] else "-"
        print(
            f"| {r['scenario']} | {r['rss_start']:.1f} MiB | {r['rss_end']:.1f} MiB | {r['rss_end'] - r['rss_start']:+.1f} MiB "
            f"| {r['caches']:,} | {r['misses']:,} | {r['configs_built']:,} | {checks} | {r['us_per_request']:.2f} |"
        )


if __name__ == "__main__":
    main()
