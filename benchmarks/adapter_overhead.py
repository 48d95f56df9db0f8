"""What each adapter adds to a request on the hit path (a User-Agent already in the cache), in-process.

    .venv/bin/python benchmarks/adapter_overhead.py

For each adapter: the median over 7 runs of µs per request through the adapter, minus the same
request straight to the app, measured in the same run. No server, no network: the adapter's own cost.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "examples.django_site.settings")

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
N, RUNS = 20_000, 7


def per_call_us(fn: Callable[[], Any]) -> float:
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        for _ in range(N):
            fn()
        samples.append((time.perf_counter() - start) / N * 1e6)
    return statistics.median(samples)


def wsgi() -> tuple[float, float]:
    from botguard import BotGuardWSGIMiddleware

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    guarded = BotGuardWSGIMiddleware(app)
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "HTTP_USER_AGENT": CHROME}
    start_response = lambda status, headers, exc_info=None: None  # noqa: E731
    return per_call_us(lambda: app(environ, start_response)), per_call_us(lambda: guarded(environ, start_response))


def django_sync() -> tuple[float, float]:
    import django

    django.setup()
    from django.http import HttpResponse
    from django.test import RequestFactory

    import botguard.django

    def view(request: Any) -> HttpResponse:
        return HttpResponse("ok")

    middleware = botguard.django.BotGuardMiddleware(view)
    request = RequestFactory().get("/", headers={"user-agent": CHROME})
    return per_call_us(lambda: view(request)), per_call_us(lambda: middleware(request))


def main() -> None:
    print(f"python {sys.version.split()[0]}, {N} calls x {RUNS} runs, median")
    print("| adapter | app alone (µs) | through botguard (µs) | botguard adds (µs) |")
    print("|---|---|---|---|")
    for name, measure in (("WSGI (`BotGuardWSGIMiddleware`)", wsgi), ("Django middleware, sync", django_sync)):
        bare, guarded = measure()
        print(f"| {name} | {bare:.2f} | {guarded:.2f} | {guarded - bare:.2f} |")


if __name__ == "__main__":
    main()
