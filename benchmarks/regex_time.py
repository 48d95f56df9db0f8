"""What user regexes cost on the miss path: a large list, and patterns that backtrack.

    .venv/bin/python benchmarks/regex_time.py             # 5 runs, the figures in docs/production.md
    .venv/bin/python benchmarks/regex_time.py --runs 2    # a quick look

Three measures, each taken within one run against its own baseline, medians over runs:

1. A 5,000-pattern `deny` list and unseen browser User-Agents: the prefiltered list against the
   same list searched one pattern at a time (the prefilter switched off on that copy).
2. `deny=[r"^(.*?,){11}P"]` and a User-Agent of 1,000 commas, sent 25 times: cached (the
   timeout's outcome is a verdict like any other) against deciding every time.
3. Ten such patterns in one list: one decision under the default budget (0.1 s of regex time)
   against the same list with the budget lifted (each pattern runs to its own timeout).
"""

from __future__ import annotations

import argparse
import logging
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import botguard  # noqa: E402
from botguard._judge import judge  # noqa: E402
from botguard import Config, classify, explain  # noqa: E402

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{}.0.0.0 Safari/537.36"
COMMAS = r"^(.*?,){11}P"


def large_list(unseen: int) -> tuple[float, float]:
    """Seconds per unseen User-Agent: prefiltered, then one pattern at a time."""
    patterns = [rf"(?i)\bcrawler-{i:04d}\b" for i in range(5000)]
    prefiltered = Config(deny=patterns, builtin=None)
    sequential = Config(deny=patterns, builtin=None)
    sequential._deny._automaton = None  # the same list, searched pattern by pattern
    agents = [CHROME.format(100_000 + i) for i in range(unseen)]
    out = []
    for config in (prefiltered, sequential):
        start = time.perf_counter()
        for agent in agents:
            judge(config, agent)
        out.append((time.perf_counter() - start) / unseen)
    return out[0], out[1]


def comma_attack(requests: int) -> tuple[float, float]:
    """Seconds for `requests` requests with the same hostile User-Agent: cached, then decided each time."""
    config = Config(deny=[COMMAS], builtin=None)
    hostile = "," * 1000
    start = time.perf_counter()
    for _ in range(requests):
        classify(hostile, config)
    cached = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(requests):
        explain(hostile, config)  # uncached: what every request cost before
    return cached, time.perf_counter() - start


def ten_patterns() -> tuple[float, float]:
    """CPU seconds of one decision against ten hostile patterns: default budget, then none to speak of."""
    patterns = [COMMAS.replace("P", f"P{i}") for i in range(10)]
    hostile = "," * 1000
    out = []
    for budget in (Config().match_budget, 60.0):
        config = Config(deny=patterns, builtin=None, match_budget=budget)
        start = time.thread_time()
        explain(hostile, config)
        out.append(time.thread_time() - start)
    return out[0], out[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    logging.getLogger("botguard").setLevel(logging.ERROR)  # the timeouts would log every search
    print(f"Python {platform.python_version()} on {platform.machine()}, botguard {botguard.__version__}, {args.runs} runs")
    lists, attacks, budgets = [], [], []
    for _ in range(args.runs):
        lists.append(large_list(200))
        attacks.append(comma_attack(25))
        budgets.append(ten_patterns())
    pre = statistics.median(a for a, _ in lists)
    seq = statistics.median(b for _, b in lists)
    ratio = statistics.median(b / a for a, b in lists)
    print(f"5,000-pattern deny list, unseen browser User-Agent: {pre * 1e6:.0f} µs prefiltered, "
          f"{seq * 1e3:.1f} ms one pattern at a time ({ratio:.0f}x)")
    cached = statistics.median(a for a, _ in attacks)
    uncached = statistics.median(b for _, b in attacks)
    print(f"{COMMAS!r} on 1,000 commas, 25 requests: {cached * 1e3:.0f} ms cached, {uncached * 1e3:.0f} ms decided each time")
    with_budget = statistics.median(a for a, _ in budgets)
    without = statistics.median(b for _, b in budgets)
    print(f"ten such patterns, one decision: {with_budget * 1e3:.0f} ms CPU under the default budget, "
          f"{without * 1e3:.0f} ms with each pattern running to its own timeout")


if __name__ == "__main__":
    main()
