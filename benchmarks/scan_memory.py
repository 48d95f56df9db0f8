"""Memory of `botguard scan` on a log of many distinct User-Agents: peak RSS of the command.

    .venv/bin/python benchmarks/scan_memory.py                 # 1,000,000 distinct agents
    .venv/bin/python benchmarks/scan_memory.py --lines 100000 --repeat 3

Writes a combined-format log in which every line has a User-Agent of its own (the worst case
for a counter of agents), runs `python -m botguard scan` on it in a fresh process, and reports
that process's peak resident memory and its time, the median of `--repeat` runs. (`python -m`
puts the current directory first on the path: run it from the checkout whose botguard you mean.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def write_log(path: Path, lines: int) -> None:
    with path.open("w") as file:
        for i in range(lines):
            agent = f"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Unique/{i} Safari/537.36"
            file.write(f'203.0.113.{i % 250} - - [10/Oct/2025:{i * 24 // lines:02d}:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "{agent}"\n')


def run_once(path: Path, extra: list[str]) -> tuple[float, float]:
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "botguard", "scan", str(path), "--json", *extra], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"botguard scan failed with {status}")
    return usage.ru_maxrss / 1024, elapsed  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("scan_args", nargs="*", help="more arguments for botguard scan (after --)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "access.log"
        write_log(log, args.lines)
        size = log.stat().st_size
        runs = [run_once(log, args.scan_args) for _ in range(args.repeat)]
    rss = statistics.median(r for r, _ in runs)
    seconds = statistics.median(s for _, s in runs)
    print(f"{args.lines:,} lines, {args.lines:,} distinct User-Agents, {size / 2**20:,.0f} MiB: "
          f"peak RSS {rss:,.0f} MiB, {seconds:,.1f} s ({args.lines / seconds:,.0f} lines/s), median of {args.repeat}")


if __name__ == "__main__":
    main()
