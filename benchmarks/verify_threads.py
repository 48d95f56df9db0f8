"""Browsers behind crawler claims under WSGI: gunicorn --threads 4, claims from a slow reverse zone.

    .venv/bin/python benchmarks/verify_threads.py                       # this checkout
    # and another botguard (say an older main) in the same run, for before/after:
    rm -rf /tmp/bg-old && mkdir -p /tmp/bg-old && git archive <commit> botguard | tar -x -C /tmp/bg-old
    .venv/bin/python benchmarks/verify_threads.py --baseline /tmp/bg-old

A real gunicorn (one worker, 4 threads) serves `verify_threads_app.py`. For SECONDS, RATE Googlebot
claims a second arrive, each from a fresh address (its own network) whose reverse zone answers in
5 s, while browsers send 20 requests a second. Printed: the browsers' median, p99 and worst
latency, and how the claims were answered. A browser never claims anything, so all it can wait
for is a free thread. The machine may be shared: compare the rows of one run.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
BROWSERS_PER_SECOND = 20.0


def get(port: int, user_agent: str, forwarded_for: str | None = None) -> tuple[int, bool]:
    """One GET on a fresh connection (http.client: cheap, so the driver does not skew the figures)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        headers = {"User-Agent": user_agent}
        if forwarded_for:
            headers["X-Forwarded-For"] = forwarded_for
        connection.request("GET", "/", headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("Retry-After") is not None
    finally:
        connection.close()


@contextlib.contextmanager
def gunicorn(botguard_dir: str, threads: int) -> Iterator[int]:
    """gunicorn serving the app with the botguard found in `botguard_dir`; yields its port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    argv = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
            "--threads", str(threads), "--log-level", "warning", "benchmarks.verify_threads_app:app"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(dict.fromkeys([botguard_dir, str(ROOT)]))}
    # Not from the checkout's directory: `python -m` puts the working directory first on the path.
    with tempfile.TemporaryDirectory() as elsewhere:
        proc = subprocess.Popen(argv, cwd=elsewhere, env=env)
        try:
            for _ in range(200):
                try:
                    get(port, CHROME)
                    break
                except OSError:
                    time.sleep(0.05)
            yield port
        finally:
            proc.terminate()
            proc.wait(10)


def drive(port: int, rate: float, seconds: float) -> tuple[list[float], Counter[str]]:
    browser_times: list[float] = []
    claims: Counter[str] = Counter()
    lock = threading.Lock()

    def browser() -> None:
        start = time.perf_counter()
        status, _ = get(port, CHROME)
        elapsed = time.perf_counter() - start
        with lock:
            browser_times.append(elapsed if status == 200 else float("inf"))

    def claim(index: int) -> None:
        ip = f"{(index // 256) % 200 + 11}.{index % 256}.113.9"
        status, retry_after = get(port, GOOGLEBOT, ip)
        label = f"{status}{' + Retry-After' if retry_after else ''}"
        with lock:
            claims[label] += 1

    events = sorted(
        [(i / BROWSERS_PER_SECOND, browser, ()) for i in range(int(seconds * BROWSERS_PER_SECOND))]
        + [(i / rate, claim, (i,)) for i in range(int(seconds * rate))],
        key=lambda e: e[0],
    )
    threads = []
    start = time.perf_counter()
    for at, target, args in events:
        time.sleep(max(0.0, start + at - time.perf_counter()))
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join(180)
    return browser_times, claims


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="5,20", help="claims a second, comma-separated (default 5,20)")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each run (default 15)")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn --threads (default 4)")
    parser.add_argument("--baseline", metavar="DIR", help="a directory holding another botguard/ to run first")
    args = parser.parse_args()

    runs = [("this checkout", str(ROOT))]
    if args.baseline:
        runs.insert(0, (f"baseline {args.baseline}", args.baseline))
    print(f"gunicorn 1 worker x {args.threads} threads; claims from fresh addresses, reverse zone 5 s, "
          f"verify_timeout 1 s; browsers {BROWSERS_PER_SECOND:g}/s for {args.seconds:g} s\n")
    print(f"{'botguard':<30} {'claims/s':>8} {'browser ms: p50':>16} {'p99':>8} {'max':>8}  claims answered")
    for rate in (float(r) for r in args.rates.split(",")):
        for label, path in runs:
            with gunicorn(path, args.threads) as port:
                times, claims = drive(port, rate, args.seconds)
            ms = [t * 1000 for t in times]
            answered = ", ".join(f"{n} {k}" for k, n in sorted(claims.items()))
            print(f"{label[:30]:<30} {rate:>8g} {statistics.median(ms):>16.1f} {percentile(ms, 0.99):>8.1f} "
                  f"{max(ms):>8.1f}  {answered}", flush=True)


if __name__ == "__main__":
    main()
