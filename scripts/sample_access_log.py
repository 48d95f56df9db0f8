"""Write a synthetic combined-format access log, for trying `botguard scan` and its HTML report.

    python scripts/sample_access_log.py > access.log                  # 20,000 requests over 48 hours
    python scripts/sample_access_log.py --requests 1000000 | gzip > big.log.gz

Browsers (mostly current ones, the rest from the shipped sample of real User-Agents,
`botguard/data/sample_user_agents.tsv`) follow a day-and-night curve; crawlers, AI fetchers and scripts come at their own steady rates,
with a scraper burst on the second afternoon. The same seed writes the same log.
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

SAMPLE = Path(__file__).resolve().parent.parent / "botguard" / "data" / "sample_user_agents.tsv"
START = datetime(2025, 10, 10, tzinfo=timezone.utc)
# Current browsers, as they write their User-Agents (most visitors have one of these).
MODERN = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
]
PATHS = ["/", "/products", "/products/42", "/search?q=shoes", "/blog/launch", "/api/cart", "/login", "/feed.xml"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--hours", type=int, default=48)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with SAMPLE.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file, delimiter="\t"))
    browsers = MODERN + [r["user_agent"] for r in rows if r["kind"] == "browser"]
    bots: dict[str, list[str]] = {}
    for r in rows:
        if r["kind"] == "bot":
            bots.setdefault(r["category"], []).append(r["user_agent"])
    # Each crawler category's share of the traffic; the few agents of a category that come most.
    shares = {"search": 0.07, "ai": 0.05, "seo": 0.04, "monitor": 0.02, "library": 0.06, "feed": 0.02, "preview": 0.01, "other": 0.03}
    regulars = {name: rng.sample(agents, min(6, len(agents))) for name, agents in bots.items()}
    write = sys.stdout.write
    for i in range(args.requests):
        at = START + timedelta(seconds=args.hours * 3600 * i / args.requests)
        hour = at.hour + at.minute / 60
        daylight = 0.55 + 0.45 * math.sin((hour - 9) / 24 * 2 * math.pi)  # people sleep; crawlers do not
        burst = at.day == START.day + 1 and 14 <= at.hour < 17
        roll = rng.random()
        if burst and roll < 0.35:
            agent = "python-requests/2.31.0"
        elif roll < 0.45 + 0.4 * daylight:
            agent = rng.choice(MODERN) if rng.random() < 0.8 else rng.choice(browsers)
        else:
            category = rng.choices(list(shares), weights=list(shares.values()))[0]
            pool = regulars.get(category) or browsers
            agent = rng.choice(pool[:3]) if rng.random() < 0.8 else rng.choice(bots.get(category, pool))
        address = f"203.0.113.{rng.randrange(1, 255)}" if agent in browsers else f"198.51.100.{rng.randrange(1, 255)}"
        stamp = at.strftime("%d/%b/%Y:%H:%M:%S +0000")
        path = rng.choice(PATHS)
        size = rng.randrange(200, 40_000)
        escaped = agent.replace("\\", "\\\\").replace('"', '\\"')
        write(f'{address} - - [{stamp}] "GET {path} HTTP/1.1" 200 {size} "-" "{escaped}"\n')


if __name__ == "__main__":
    main()
