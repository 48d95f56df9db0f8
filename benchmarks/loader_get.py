"""What `loader.get()` costs when nothing is due: the price a request pays for hot reload.

    .venv/bin/python benchmarks/loader_get.py

Median of 7 repeats of 1,000,000 calls each, in nanoseconds a call, next to reading a plain
attribute (what a middleware holding a fixed `Config` pays).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from botguard import Config, ConfigLoader  # noqa: E402
from tests.support.config_server import config_server  # noqa: E402

CALLS = 1_000_000
REPEATS = 7


class Holder:
    def __init__(self, config: Config) -> None:
        self.config = config


def ns_per_call(stmt: object) -> float:
    times = timeit.repeat(stmt, number=CALLS, repeat=REPEATS)  # type: ignore[arg-type]
    return statistics.median(times) / CALLS * 1e9


def main() -> None:
    settings = {"deny": ["(?i)helloworld"]}
    holder = Holder(Config.from_mapping(settings))
    rows = [("plain attribute (a fixed Config)", ns_per_call(lambda: holder.config))]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "botguard.json"
        path.write_text(json.dumps(settings))
        forever = ConfigLoader.from_file(path, ttl=0)
        rows.append(("from_file(ttl=0): forever, no clock read", ns_per_call(forever.get)))
        fresh = ConfigLoader.from_file(path, ttl=3600)
        rows.append(("from_file(ttl=3600): not due, one clock read", ns_per_call(fresh.get)))
        with config_server(json.dumps(settings).encode()) as server, ConfigLoader.from_url(server.url, ttl=3600) as remote:
            rows.append(("from_url(ttl=3600): not due, one clock read", ns_per_call(remote.get)))
    print(f"`loader.get()`, median of {REPEATS} x {CALLS:,} calls, Python {sys.version.split()[0]}\n")
    print("| call | ns per call |")
    print("|---|---:|")
    for name, ns in rows:
        print(f"| {name} | {ns:.0f} |")


if __name__ == "__main__":
    main()
