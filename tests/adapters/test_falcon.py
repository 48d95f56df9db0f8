"""botguard's Falcon middleware against real servers: uvicorn for Falcon's ASGI app, wsgiref for its WSGI app."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

pytest.importorskip("falcon")

from tests.apps.falcon_app import GOOGLE_IP, AsyncHome, Home, wsgi_app  # noqa: E402
from tests.support.servers import free_port, raw_request, serve, serve_gunicorn, serve_uvicorn  # noqa: E402
from tests.support.wsgi_harness import serve_wsgiref, two_user_agents  # noqa: E402

from tests.support.agents import CHROME, GOOGLEBOT_COMPATIBLE as GOOGLEBOT


@pytest.fixture(scope="module", params=["asgi", "wsgi"])
def base(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "asgi":
        with serve_uvicorn("tests.apps.falcon_app:asgi_app") as url:
            yield url
    else:
        with serve_wsgiref(wsgi_app) as url:
            yield url


def get(base: str, user_agent: str, **headers: str) -> httpx.Response:
    return httpx.get(base + "/", headers={"user-agent": user_agent, **headers}, timeout=10)


def test_a_browser_reaches_the_responder_with_its_verdict(base: str) -> None:
    response = get(base, CHROME)
    assert response.status_code == 200
    assert response.text == "NONE"
    assert response.headers["x-botguard"] == "none"


def test_a_bot_gets_the_configured_block_response(base: str) -> None:
    response = get(base, "Scrapy/2.11 (+https://scrapy.org)")
    assert response.status_code == 403
    assert response.json() == {"message": "Forbidden"}
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-botguard"] == "deny"
    assert response.headers["content-length"] == str(len(response.content))


def test_a_builtin_bot_is_refused(base: str) -> None:
    response = get(base, "python-requests/2.31.0")
    assert response.status_code == 403
    assert response.headers["x-botguard"] == "bot"


def test_a_proven_crawler_is_let_in_and_a_spoofed_one_refused(base: str) -> None:
    proven = get(base, GOOGLEBOT, **{"x-forwarded-for": GOOGLE_IP})
    assert proven.status_code == 200
    assert proven.text == "ALLOW"
    spoofed = get(base, GOOGLEBOT, **{"x-forwarded-for": "203.0.113.9"})
    assert spoofed.status_code == 403
    assert spoofed.headers["x-botguard"] == "spoofed"


def test_two_user_agents_get_400_under_asgi() -> None:
    # uvicorn hands both headers over (a WSGI server joins them into one value, judged as one).
    with serve_uvicorn("tests.apps.falcon_app:asgi_app") as base:
        raw = raw_request(
            base, ["GET / HTTP/1.1", "Host: x", f"User-Agent: {CHROME}", "User-Agent: curl/8.4.0", "Connection: close"]
        )
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert b"x-botguard: rejected" in head.lower()
    assert json.loads(body) == {"message": "Only one User-Agent header allowed"}


@pytest.mark.parametrize("kind", ["asgi", "wsgi"])
def test_falcons_own_test_client(kind: str) -> None:
    # Falcon's test client hands an ASGI app its headers as a one-shot iterator, which Falcon
    # reads before any middleware: botguard judges Falcon's parsed headers then.
    import falcon
    import falcon.asgi
    import falcon.testing

    from botguard.falcon import BotGuardMiddleware

    app: Any = (falcon.asgi.App if kind == "asgi" else falcon.App)(middleware=[BotGuardMiddleware(deny=[r"(?i)scrapy"])])
    app.add_route("/", AsyncHome() if kind == "asgi" else Home())
    client = falcon.testing.TestClient(app)
    assert client.simulate_get("/", headers={"User-Agent": CHROME}).text == "NONE"
    assert client.simulate_get("/", headers={"User-Agent": GOOGLEBOT}).status_code == 403
    assert client.simulate_get("/", headers={"User-Agent": "Scrapy/2.11"}).status_code == 403


def _example(server: str) -> contextlib.AbstractContextManager[str]:
    if server == "uvicorn":
        return serve_uvicorn("examples.falcon_app:asgi_app")
    if server == "gunicorn":
        return serve_gunicorn("examples.falcon_app:app")
    port = free_port()  # the script, as its docstring runs it
    return serve([sys.executable, "examples/falcon_app.py", "127.0.0.1", str(port)], port)


@pytest.mark.parametrize("server", ["uvicorn", "gunicorn", "script"])
def test_the_falcon_example_under_a_real_server(server: str) -> None:
    with _example(server) as base:
        browser = httpx.get(base + "/", headers={"user-agent": CHROME})
        assert browser.status_code == 200 and browser.json() == {"hello": "human", "verdict": "NONE"}
        bot = httpx.get(base + "/", headers={"user-agent": GOOGLEBOT})
        assert bot.status_code == 403 and bot.json() == {"message": "Forbidden"}
        assert bot.headers["cache-control"] == "no-store"
        # Each path has its own rules: the site refuses scripts, /api admits them but not crawlers.
        assert httpx.get(base + "/", headers={"user-agent": "curl/8.4.0"}).status_code == 403
        for path in ("/api", "/api/status"):
            api = httpx.get(base + path, headers={"user-agent": "curl/8.4.0"})
            assert api.status_code == 200 and api.json() == {"status": "ok", "verdict": "ALLOW"}
            assert httpx.get(base + path, headers={"user-agent": GOOGLEBOT}).status_code == 403
        # `/apiary` is the site's, not the API's.
        assert httpx.get(base + "/apiary", headers={"user-agent": "curl/8.4.0"}).status_code == 403
        two = raw_request(base, two_user_agents("/", CHROME, GOOGLEBOT))
        # uvicorn hands both headers over (400); a WSGI server joins them, and the crawler's name
        # is found in the joined value.
        assert two.split(b"\r\n", 1)[0].split(b" ")[1] == (b"400" if server == "uvicorn" else b"403")
