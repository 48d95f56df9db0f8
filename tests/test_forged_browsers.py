"""Real Chromium and Firefox pass `check_headers=True` on every kind of request a page makes.

Headless Chromium (with a person's Chrome User-Agent: its own says HeadlessChrome) and headless
Firefox open `examples/browser_page.py` served by uvicorn (ASGI, with a WebSocket) and by gunicorn
(WSGI), over http on 127.0.0.1 (a loopback host, which browsers treat as secure) and over https
with a certificate of a throw-away CA. Every request must get NONE.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.browsers import (
    Certificate,
    browse,
    chromium,
    chromium_command,
    chromium_major,
    firefox,
    firefox_command,
    make_certificate,
    person_chrome_agent,
    serve_page,
)

# What the page asks for, and the kind of request each is (for a failure message).
PAGE_REQUESTS = {
    "/": "navigation",
    "/static/style.css": "stylesheet",
    "/static/app.js": "script",
    "/static/pixel.png": "image",
    "/static/background.png": "image from CSS",
    "/static/icon.png": "icon",
    "/frame": "iframe",
    "/static/frame-pixel.png": "image in the iframe",
    "/api/fetch": "fetch",
    "/api/fetch-post": "fetch POST",
    "/api/xhr": "XMLHttpRequest",
    "/form": "form POST",
    "/done": "fetch after the form",
}
SERVERS = ["uvicorn", "gunicorn"]
SCHEMES = ["http", "https"]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return make_certificate(tmp_path_factory.mktemp("certificate"))


def _expected(server: str) -> dict[str, str]:
    # The WebSocket is the ASGI server's: WSGI has none.
    return {**PAGE_REQUESTS, "/ws": "WebSocket"} if server == "uvicorn" else PAGE_REQUESTS


def _check_all_passed(records: list[dict[str, object]], server: str) -> None:
    seen = {str(record["path"]) for record in records}
    missing = {path: kind for path, kind in _expected(server).items() if path not in seen}
    assert not missing, f"the browser never asked for {missing}; records: {records}"
    refused = [record for record in records if record["verdict"] != "NONE"]
    assert not refused, f"a real browser's requests were refused: {refused}"


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("server", SERVERS)
def test_chromium_passes_every_request(server: str, scheme: str, certificate: Certificate, tmp_path: Path) -> None:
    path = chromium()
    with serve_page(server, certificate if scheme == "https" else None) as site:
        argv, env = chromium_command(path, tmp_path, site.base + "/", person_chrome_agent(chromium_major(path)), site.ca)
        records = browse(argv, env, site, until="/done")
    _check_all_passed(records, server)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("server", SERVERS)
def test_firefox_passes_every_request(server: str, scheme: str, certificate: Certificate, tmp_path: Path) -> None:
    path = firefox()
    with serve_page(server, certificate if scheme == "https" else None) as site:
        argv, env = firefox_command(path, tmp_path, site.base + "/", site.ca)
        records = browse(argv, env, site, until="/done")
    _check_all_passed(records, server)


def test_headless_chromium_without_a_user_agent_is_a_bot(tmp_path: Path) -> None:
    path = chromium()
    with serve_page("uvicorn", None) as site:
        argv, env = chromium_command(path, tmp_path, site.base + "/", None, None)
        records = browse(argv, env, site, until="/")
    assert records[0]["path"] == "/" and records[0]["verdict"] == "BOT"


def test_chromium_wearing_another_chrome_version_is_forged(tmp_path: Path) -> None:
    # What a User-Agent switcher does: the User-Agent says one version, Sec-CH-UA the real one.
    path = chromium()
    other = person_chrome_agent(chromium_major(path) - 10)
    with serve_page("uvicorn", None) as site:
        argv, env = chromium_command(path, tmp_path, site.base + "/", other, None)
        records = browse(argv, env, site, until="/")
    assert records[0]["path"] == "/" and records[0]["verdict"] == "FORGED"
