"""Under WSGI a claim waits for DNS on a worker thread: at most `verify_max_waiting` of them do.

The attack: claims from fresh addresses whose reverse zone is slow, each holding a worker thread
for `verify_timeout`, until browsers queue behind them. Past the cap a claim is answered at once
(refused, with `Retry-After`) while its lookup goes on, and its next request finds the answer.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from botguard import BotGuardWSGIMiddleware

from tests.support.servers import free_port, serve
from tests.test_verify_flood import GOOGLE_IP, GOOGLEBOT, SlowZoneResolver, flood_networks
from tests.support.wsgi_harness import ok_app, serve_wsgiref, serve_werkzeug

from tests.support.agents import CHROME


@pytest.fixture
def slow() -> Iterator[SlowZoneResolver]:
    resolver = SlowZoneResolver()
    yield resolver
    resolver.released.set()


def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Poll until `condition` holds (a liveness bound, not a speed measure)."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


def claim(base: str, ip: str, into: dict[str, httpx.Response]) -> None:
    into[ip] = httpx.get(base + "/", headers={"user-agent": GOOGLEBOT, "x-forwarded-for": ip}, timeout=60)


@pytest.mark.parametrize("serve_app", [serve_wsgiref, serve_werkzeug], ids=["wsgiref", "werkzeug"])
def test_claims_past_the_cap_are_answered_without_waiting(slow: SlowZoneResolver, serve_app: object) -> None:
    app = BotGuardWSGIMiddleware(
        ok_app, verify=("google",), resolver=slow, verify_timeout=20, trusted_proxies=["127.0.0.1/32"]
    )
    answers: dict[str, httpx.Response] = {}
    ips = flood_networks(5)
    with serve_app(app) as base:  # type: ignore[operator]
        threads = [threading.Thread(target=claim, args=(base, ip, answers)) for ip in ips]
        for thread in threads:
            thread.start()
        wait_for(lambda: len(answers) >= 4)
        # Every lookup still hangs, yet all but one claim have their answer: they never waited.
        assert not slow.released.is_set()
        assert len(answers) == 4
        for response in answers.values():
            assert response.status_code == 403 and response.headers["retry-after"] == "20"
        # A browser is never behind them, and the real crawler is not refused for being late.
        assert httpx.get(base + "/", headers={"user-agent": CHROME}).status_code == 200
        slow.released.set()
        for thread in threads:
            thread.join(30)
        assert len(answers) == 5 and all(r.status_code == 403 for r in answers.values())
        real = httpx.get(base + "/", headers={"user-agent": GOOGLEBOT, "x-forwarded-for": GOOGLE_IP})
        assert real.status_code == 200


def test_gunicorn_threads_serve_browsers_while_claims_wait() -> None:
    # gunicorn --threads 2: without the cap two claims from a slow zone hold both threads and the
    # browser waits behind them; with it one claim waits and the browser has the other thread.
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "2",
            "--log-level", "warning", "tests.apps.flood_wsgi_app:app"]
    with serve(argv, port, env={"SLOW_ZONE_SECONDS": "8", "VERIFY_TIMEOUT": "10"}) as base:
        answers: dict[str, httpx.Response] = {}
        ips = flood_networks(3)
        threads = [threading.Thread(target=claim, args=(base, ip, answers)) for ip in ips]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(0.2)  # let the claims reach the server first
        browser = httpx.get(base + "/", headers={"user-agent": CHROME}, timeout=60)
        # The browser got its answer before any claim that waited for DNS (8 s) got its own: it
        # did not queue behind them. The claims answered by then never waited (Retry-After).
        answered = dict(answers)
        assert browser.status_code == 200 and len(answered) < 3
        assert all("retry-after" in r.headers for r in answered.values())
        for thread in threads:
            thread.join(30)
        assert sorted(r.status_code for r in answers.values()) == [403, 403, 403]
        assert sum("retry-after" in r.headers for r in answers.values()) == 2
