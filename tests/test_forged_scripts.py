"""Scripts that paste a person's Chrome User-Agent are refused with FORGED, and say why.

Each client makes a real request to `examples/browser_page.py` under uvicorn, over http on
127.0.0.1 (a loopback host: browsers treat it as secure) and over https; the server records the
verdict and the headers the client sent, and `explain` says which header gave it away.
"""

from __future__ import annotations

import gc
import os
import shutil
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from botguard import Verdict, explain
from examples.browser_page import CONFIG

from tests.support.browsers import APT_HINT, Certificate, Site, make_certificate, serve_page

from tests.support.agents import CHROME_131 as CHROME
# What Chrome 131 sends with a navigation: what a careful script copies from the browser's tools.
COPIED = {
    "User-Agent": CHROME,
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8",
    "Accept-Language": "en-GB,en;q=0.9",
}
Client = Callable[[str, "Path | None"], int]


def _context(ca: Path | None) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca)) if ca else ssl.create_default_context()


def _run(argv: list[str], env: dict[str, str] | None = None) -> int:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env)
    return int(result.stdout.strip() or 0)


def curl(url: str, ca: Path | None) -> int:
    path = shutil.which("curl") or pytest.skip(f"curl is not installed: {APT_HINT.replace('chromium', 'curl')}")
    return _run([path, "-s", "-o", "/dev/null", "-w", "%{http_code}", "-A", CHROME, *(["--cacert", str(ca)] if ca else []), url])


def wget(url: str, ca: Path | None) -> int:
    path = shutil.which("wget") or pytest.skip("wget is not installed: apt-get install -y wget (.ci/run does)")
    result = subprocess.run(
        [path, "-q", "-S", "-O", "/dev/null", "-U", CHROME, *([f"--ca-certificate={ca}"] if ca else []), url],
        capture_output=True, text=True, timeout=60,
    )
    # `-S` prints the response head on stderr: "  HTTP/1.1 403 Forbidden".
    return int(result.stderr.split("HTTP/1.1 ", 1)[1][:3])


def python_requests(url: str, ca: Path | None, headers: dict[str, str] | None = None) -> int:
    requests = pytest.importorskip("requests", reason="requests is in the dev extra")
    return int(requests.get(url, headers=headers or {"User-Agent": CHROME}, verify=str(ca) if ca else True, timeout=30).status_code)


def requests_copying_a_browser(url: str, ca: Path | None) -> int:
    return python_requests(url, ca, COPIED)


def python_httpx(url: str, ca: Path | None) -> int:
    return httpx.get(url, headers={"User-Agent": CHROME}, verify=_context(ca), timeout=30).status_code


def python_urllib(url: str, ca: Path | None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers={"User-Agent": CHROME}), context=_context(ca), timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        error.close()  # it holds the connection
        return error.code


# Run in a process of its own: aiohttp closes TLS transports after its event loop has gone, and
# the warnings of that shutdown would surface in whichever test collects them.
AIOHTTP_SCRIPT = """
import asyncio, ssl, sys
import aiohttp

async def get(url, user_agent, ca):
    context = ssl.create_default_context(cafile=ca) if ca else ssl.create_default_context()
    async with aiohttp.ClientSession() as session:
        async with session.get(url, headers={"User-Agent": user_agent}, ssl=context) as answer:
            print(answer.status)

asyncio.run(get(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None))
"""


def python_aiohttp(url: str, ca: Path | None) -> int:
    pytest.importorskip("aiohttp", reason="aiohttp is in the dev extra")
    return _run([sys.executable, "-W", "ignore", "-c", AIOHTTP_SCRIPT, url, CHROME, *([str(ca)] if ca else [])])


def node_fetch(url: str, ca: Path | None) -> int:
    path = shutil.which("node") or pytest.skip("node is not installed")
    script = "fetch(process.argv[1], {headers: {'user-agent': process.argv[2]}}).then((r) => console.log(r.status))"
    env = {**os.environ, **({"NODE_EXTRA_CA_CERTS": str(ca)} if ca else {})}
    return _run([path, "-e", script, url, CHROME], env)


# Each client, and what `explain` must say of what it sent (to a secure origin).
CLIENTS: dict[str, tuple[Client, str]] = {
    "curl": (curl, "sends no Accept-Language"),
    "wget": (wget, "sends no Accept-Language"),
    "requests": (python_requests, "sends no Accept-Language"),
    "httpx": (python_httpx, "sends no Accept-Language"),
    "urllib": (python_urllib, "sends no Accept-Language"),
    "aiohttp": (python_aiohttp, "sends no Accept-Language"),
    "node-fetch": (node_fetch, "sends Accept-Language '*' (no language)"),
    "requests-copying-chrome": (requests_copying_a_browser, "sends no Sec-Fetch-Site to a secure origin"),
}


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return make_certificate(tmp_path_factory.mktemp("certificate"))


@pytest.fixture(scope="module", params=["http", "https"])
def site(request: pytest.FixtureRequest, certificate: Certificate) -> Iterator[Site]:
    with serve_page("uvicorn", certificate if request.param == "https" else None) as running:
        yield running


def _record(site: Site, path: str) -> dict[str, object]:
    found = [record for record in site.verdicts() if record["path"] == path]
    assert len(found) == 1, f"expected one request for {path}, got {found}"
    return found[0]


@pytest.mark.parametrize("name", list(CLIENTS))
def test_script_with_a_chrome_user_agent_is_forged(name: str, site: Site) -> None:
    client, why = CLIENTS[name]
    path = f"/api/{name}"
    assert client(site.base + path, site.ca) == 403
    # A socket a client forgot to close is reported in its own test, not in a later one.
    gc.collect()
    record = _record(site, path)
    assert record["verdict"] == Verdict.FORGED.name
    sent = record["headers"]
    assert isinstance(sent, dict)
    explanation = explain(CHROME, CONFIG, headers=sent, origin=site.base)
    assert explanation.verdict is Verdict.FORGED
    assert str(explanation) == f"FORGED: claims Chrome 131 but {why}"


def test_on_an_insecure_origin_copied_headers_pass_and_curl_does_not() -> None:
    # A Host that is not a loopback host, over http: a browser sends no Sec-Fetch-* there, so a
    # script that copied Accept and Accept-Language cannot be told from one; curl still can.
    with serve_page("uvicorn", None) as site:
        copied = python_requests(site.base + "/api/copied", None, {**COPIED, "Host": "shop.example"})
        bare = python_requests(site.base + "/api/bare", None, {"User-Agent": CHROME, "Host": "shop.example"})
        verdicts = (_record(site, "/api/copied")["verdict"], _record(site, "/api/bare")["verdict"])
    assert (copied, bare) == (200, 403)
    assert verdicts == ("NONE", "FORGED")
