"""What long User-Agents cost: memory per cache entry, and the time to decide one.

    .venv/bin/python benchmarks/long_ua.py            # 5 runs, the figures in docs/production.md
    .venv/bin/python benchmarks/long_ua.py --runs 2

1. Memory: 2,000 distinct User-Agents of each size through `classify` (one config, the default
   10,000-entry cache), measured by tracemalloc after the callers dropped theirs: what the cache
   holds per entry.
2. Time: deciding a distinct User-Agent (a cache miss) of 200 bytes and of 512 KiB (a browser
   prefix and padding, so that the whole value is scanned for names and claims), with the
   default rules and `verify=("google",)`; each run measures both, the ratio is taken per run.
3. The costliest shape within the 1,024 characters the detector reads: a distinct User-Agent of
   random words, every one unseen (the detector weighs each), against the 200-byte one.
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import statistics
import string
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import botguard  # noqa: E402
from botguard import Config, classify  # noqa: E402

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"


def bytes_per_entry(size: int, entries: int = 2000) -> float:
    config = Config(builtin="kong")
    classify("warm-up", config)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(entries):
            value = f"{i:08d} ".encode()
            classify(value + b"A" * (size - len(value)), config)
        gc.collect()
        return (tracemalloc.get_traced_memory()[0] - before) / entries
    finally:
        tracemalloc.stop()


def decide_seconds(config: Config, size: int, count: int, run: int) -> float:
    agents = [f"{BROWSER} {run:04d}{i:06d} ".encode() for i in range(count)]
    agents = [a + b"A" * max(0, size - len(a)) for a in agents]
    start = time.perf_counter()
    for agent in agents:
        classify(agent, config)
    return (time.perf_counter() - start) / count


def random_words_seconds(config: Config, count: int, run: int) -> float:
    rng = random.Random(run)
    letters = string.ascii_letters
    agents = [" ".join("".join(rng.choices(letters, k=rng.randint(3, 9))) for _ in range(150))[:1024] for _ in range(count)]
    start = time.perf_counter()
    for agent in agents:
        classify(agent.encode(), config)
    return (time.perf_counter() - start) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"Python {platform.python_version()} on {platform.machine()}, botguard {botguard.__version__}, {args.runs} runs")
    for size in (200, 1024, 64 * 1024, 512 * 1024):
        print(f"cache entry for a {size:>7,}-byte User-Agent: {bytes_per_entry(size):6.0f} bytes")
    config = Config(verify=("google",))
    short, long, words = [], [], []
    for run in range(args.runs):
        short.append(decide_seconds(config, 200, 200, run))
        long.append(decide_seconds(config, 512 * 1024, 10, run))
        words.append(random_words_seconds(config, 200, run))
    print(f"deciding a new User-Agent: {statistics.median(short) * 1e6:.0f} µs for 200 bytes, "
          f"{statistics.median(long) * 1e3:.1f} ms for 512 KiB "
          f"({statistics.median(b / a for a, b in zip(short, long)):.0f}x, median of per-run ratios), "
          f"{statistics.median(words) * 1e6:.0f} µs for 1,024 characters of unseen words "
          f"({statistics.median(b / a for a, b in zip(short, words)):.0f}x)")


if __name__ == "__main__":
    main()
