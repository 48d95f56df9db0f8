"""Django under ASGI never waits for a crawler's DNS on the event loop, in any path.

A real uvicorn serves `tests.apps.django_dns_site`, whose resolver takes seconds to answer. While a
Googlebot claim waits for it, a browser's request must be answered: its response arrives first.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import pytest

pytest.importorskip("django")

from tests.support.servers import serve_uvicorn  # noqa: E402

from tests.support.agents import CHROME, GOOGLEBOT_COMPATIBLE as GOOGLEBOT


def _browser_answered_during_the_claim(
    base: str, marker: Path, claim_path: str, claim_headers: Sequence[tuple[str, str]]
) -> tuple[list[str], dict[str, int]]:
    finished: list[str] = []
    statuses: dict[str, int] = {}
    lock = threading.Lock()

    def send(name: str, url: str, headers: Sequence[tuple[str, str]]) -> None:
        response = httpx.get(url, headers=list(headers), timeout=30)
        with lock:
            finished.append(name)
            statuses[name] = response.status_code

    claim = threading.Thread(target=send, args=("claim", base + claim_path, claim_headers))
    claim.start()
    # Until the resolver has been asked, the claim is not yet waiting for DNS.
    for _ in range(2000):
        if marker.exists() or not claim.is_alive():
            break
        time.sleep(0.01)
    assert marker.exists(), "the claim never reached the resolver"
    send("browser", base + "/", [("user-agent", CHROME)])
    claim.join(30)
    return finished, statuses


@pytest.mark.parametrize(
    ("site", "claim_path", "claim_headers"),
    [
        # BOTGUARD = {} and a view with its own rules(Config(verify=("google",))).
        ("per_view", "/crawlers", [("user-agent", GOOGLEBOT)]),
        # duplicate_ua="first" with verify: the first of two User-Agents is the claim.
        ("first", "/", [("user-agent", GOOGLEBOT), ("user-agent", CHROME)]),
    ],
)
def test_a_browser_is_answered_while_a_claim_waits_for_dns(
    site: str, claim_path: str, claim_headers: list[tuple[str, str]], tmp_path: Path
) -> None:
    marker = tmp_path / "reverse-lookup-started"
    env = {"BOTGUARD_TEST_SITE": site, "BOTGUARD_TEST_MARKER": str(marker)}
    with serve_uvicorn("tests.apps.django_dns_site:application", env=env) as base:
        finished, statuses = _browser_answered_during_the_claim(base, marker, claim_path, claim_headers)
    assert statuses == {"browser": 200, "claim": 403}
    assert finished == ["browser", "claim"]
