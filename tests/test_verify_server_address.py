"""The client address can come from the server: uvicorn rewrites the ASGI `client` from
X-Forwarded-For for peers in `--forwarded-allow-ips` (127.0.0.1 and ::1 by default), whatever botguard's
`trusted_proxies` says. botguard cannot undo that, but it says so, once, when a claim shows it.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from botguard import BotGuardMiddleware, BotGuardWSGIMiddleware
from botguard.verify import address
from botguard.verify.address import peer_from_proxy_header

from tests.support.asgi_harness import http_scope, ok_app, run, ua_headers
from tests.support.servers import ROOT, free_port, raw_request, wait_until_serving
from tests.test_verify import GOOGLE_IP, GOOGLEBOT, StubResolver
from tests.support.wsgi_harness import ok_app as wsgi_ok_app
from tests.support.wsgi_harness import serve_werkzeug, serve_wsgiref


@pytest.fixture(autouse=True)
def fresh_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(address, "_warned", False)


@pytest.mark.parametrize(
    ("peer", "port", "header", "rewritten"),
    [
        ("66.249.66.1", 0, [b"66.249.66.1"], True),  # uvicorn: an entry without a port
        ("66.249.66.1", 4711, [b"10.0.0.1, 66.249.66.1:4711"], True),
        ("2001:db8::1", 443, [b"[2001:db8::1]:443"], True),
        ("2001:db8::1", 0, [b"2001:db8::1"], True),
        ("66.249.66.1", 0, [b"66.249.66.1, 203.0.113.7"], True),  # a trusted hop skipped
        ("66.249.66.1", 51234, [b"66.249.66.1"], False),  # a direct client naming itself
        ("127.0.0.1", 51234, [b"66.249.66.1"], False),  # the header is there, not used
        ("66.249.66.1", 0, [], False),
        ("66.249.66.1", None, [b"66.249.66.1"], False),
        (None, 0, [b"66.249.66.1"], False),
        ("garbage", 0, [b"garbage"], False),
    ],
)
def test_peer_from_proxy_header(peer: str | None, port: int | None, header: list[bytes], rewritten: bool) -> None:
    assert peer_from_proxy_header(peer, port, header) is rewritten


def claim(app: object, peer: str, forwarded_for: str) -> int:
    scope = http_scope([*ua_headers(GOOGLEBOT), (b"x-forwarded-for", forwarded_for.encode())])
    scope["client"] = (peer, 50000)
    status = run(app, scope).status
    assert status is not None
    return status


def test_uvicorn_proxy_headers_choose_the_address_and_botguard_says_so(caplog: pytest.LogCaptureFixture) -> None:
    guarded = BotGuardMiddleware(ok_app, verify=("google",), resolver=StubResolver())  # trusted_proxies=()
    with caplog.at_level(logging.WARNING, logger="botguard"):
        # uvicorn's own middleware, as `uvicorn app:app` puts it in front (127.0.0.1 trusted):
        # a local proxy that passes the header on lets a forged X-Forwarded-For in.
        assert claim(ProxyHeadersMiddleware(guarded, trusted_hosts="127.0.0.1"), "127.0.0.1", GOOGLE_IP) == 200
        assert claim(ProxyHeadersMiddleware(guarded, trusted_hosts="127.0.0.1"), "127.0.0.1", GOOGLE_IP) == 200
    warnings = [r.getMessage() for r in caplog.records if "X-Forwarded-For" in r.getMessage()]
    assert len(warnings) == 1  # once, not per request
    assert f"client address {GOOGLE_IP} from X-Forwarded-For" in warnings[0] and "--no-proxy-headers" in warnings[0]


def test_no_warning_when_the_server_leaves_the_address_alone(caplog: pytest.LogCaptureFixture) -> None:
    guarded = BotGuardMiddleware(ok_app, verify=("google",), resolver=StubResolver())
    with caplog.at_level(logging.WARNING, logger="botguard"):
        assert claim(guarded, "127.0.0.1", GOOGLE_IP) == 403  # --no-proxy-headers: the socket's peer
        assert claim(guarded, "203.0.113.9", "203.0.113.9") == 403  # a client naming itself
        # uvicorn trusting only another proxy: the header is left alone.
        assert claim(ProxyHeadersMiddleware(guarded, trusted_hosts="10.0.0.1"), "127.0.0.1", GOOGLE_IP) == 403
    assert not [r for r in caplog.records if "X-Forwarded-For" in r.getMessage()]


def serve_and_claim(*extra: str, tmp_path: Path) -> tuple[int, str]:
    """Serve tests.apps.verify_app with a real uvicorn, send one forged claim from 127.0.0.1; its status and the server's output."""
    port = free_port()
    out = tmp_path / f"uvicorn-{port}.log"
    argv = [sys.executable, "-m", "uvicorn", "tests.apps.verify_app:app", "--host", "127.0.0.1", "--port", str(port),
            "--log-level", "warning", *extra]
    with out.open("wb") as handle:
        proc = subprocess.Popen(argv, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT)
        try:
            wait_until_serving(f"http://127.0.0.1:{port}/", proc)
            response = httpx.get(
                f"http://127.0.0.1:{port}/", headers={"user-agent": GOOGLEBOT, "x-forwarded-for": GOOGLE_IP}, timeout=30
            )
            time.sleep(0.2)  # let the log line reach the file
        finally:
            proc.terminate()
            proc.wait(10)
    return response.status_code, out.read_text(errors="replace")


def test_real_uvicorn_default_warns_and_no_proxy_headers_does_not(tmp_path: Path) -> None:
    # The system resolver cannot prove 66.249.66.1 here, so both are refused; what differs is
    # whose address was checked, and the warning.
    status, output = serve_and_claim(tmp_path=tmp_path)
    assert status == 403 and f"took the client address {GOOGLE_IP} from X-Forwarded-For" in output
    status, output = serve_and_claim("--no-proxy-headers", tmp_path=tmp_path)
    assert status == 403 and "X-Forwarded-For" not in output


@pytest.mark.parametrize(("server", "forged_in"), [("wsgiref", True), ("werkzeug", False)])
def test_which_wsgi_servers_fold_underscore_headers_into_the_proxy_header(server: str, forged_in: bool) -> None:
    # Behind a trusted proxy that sets X-Forwarded-For, a client adds `X_Forwarded_For`: wsgiref
    # folds it into HTTP_X_FORWARDED_FOR after the proxy's value, so its forged address is the
    # rightmost hop; werkzeug (and gunicorn, and Django's runserver) drop such headers. This is
    # what the docs tell wsgiref users: put a proxy that drops them in front (nginx does).
    app = BotGuardWSGIMiddleware(wsgi_ok_app, verify=("google",), resolver=StubResolver(), trusted_proxies=["127.0.0.1/32"])
    serving = serve_wsgiref if server == "wsgiref" else serve_werkzeug
    with serving(app) as base:
        answer = raw_request(base, [
            "GET / HTTP/1.1", "Host: 127.0.0.1", f"User-Agent: {GOOGLEBOT}",
            "X-Forwarded-For: 203.0.113.9", f"X_Forwarded_For: {GOOGLE_IP}", "Connection: close",
        ])
    assert answer.split(b" ", 2)[1] == (b"200" if forged_in else b"403")
