"""`check_headers`: the browser a User-Agent claims, the headers it must carry, FORGED in every adapter."""

from __future__ import annotations

import ipaddress
import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

import botguard
from botguard import BotGuardMiddleware, BotGuardWSGIMiddleware, Config, ConfigError, ConfigLoader, Verdict, explain
from botguard._forged import (
    HTTPS,
    LOOPBACK,
    NOT_SECURE,
    BrowserClaim,
    browser_claim,
    chromium_brand_version,
    forged_reason,
    forwarded_proto_host,
    is_loopback_host,
    origin_security,
)

from tests.support.asgi_harness import http_scope, ok_app, run
from tests.support.wsgi_harness import call, environ_for
from tests.support.wsgi_harness import ok_app as wsgi_ok_app

from tests.support.agents import CHROME_131 as CHROME
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15"
# What Chrome 131 sends with a navigation to a secure origin (the User-Agent aside).
CHROME_HEADERS = {
    "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "accept-language": "en-GB,en;q=0.9",
    "accept-encoding": "gzip, deflate, br, zstd",
    "sec-fetch-site": "none",
    "sec-fetch-mode": "navigate",
    "sec-fetch-dest": "document",
    "sec-ch-ua": '"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"',
    "sec-ch-ua-mobile": "?0",
    "sec-ch-ua-platform": '"Windows"',
}
CURL_HEADERS = {"accept": "*/*"}

# -- which browser a User-Agent claims ---------------------------------------------------------

CLAIMS = {
    CHROME: ("Chrome 131", LOOPBACK, 131),
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36": (
        "Chrome 131", LOOPBACK, 131),
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0": (
        "Edge 131", LOOPBACK, 131),
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0": (
        "Opera 115", LOOPBACK, 130),
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36": (
        "Samsung Internet 27", LOOPBACK, None),
    "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/75.0.3770.100 Safari/537.36": (
        "Chrome 75", None, None),
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/88.0.4324.104 Safari/537.36": (
        "Chrome 88", LOOPBACK, None),
    FIREFOX: ("Firefox 133", LOOPBACK, None),
    "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0": ("Firefox 133", LOOPBACK, None),
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:89.0) Gecko/20100101 Firefox/89.0": ("Firefox 89", None, None),
    SAFARI: ("Safari 18", HTTPS, None),
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.3 Mobile/15E148 Safari/604.1": (
        "Safari 16", None, None),
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1": (
        "Chrome 131 on iOS", None, None),
}
NOT_CLAIMS = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
    # An Android WebView: an app, not the browser.
    "Mozilla/5.0 (Linux; Android 14; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Slack/4.41 Chrome/130.0.0.0 Electron/33.0.0 Safari/537.36",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.1; Trident/6.0)",
    "curl/8.5.0",
    "",
]


@pytest.mark.parametrize("user_agent", list(CLAIMS))
def test_browser_claims(user_agent: str) -> None:
    claim = browser_claim(user_agent)
    assert claim is not None
    assert (claim.label, claim.fetch_metadata, claim.chromium) == CLAIMS[user_agent]


@pytest.mark.parametrize("user_agent", NOT_CLAIMS)
def test_not_a_mainstream_browser_claim(user_agent: str) -> None:
    assert browser_claim(user_agent) is None


_PLATFORM = st.text(st.characters(codec="ascii", exclude_characters="()"), max_size=40)


@given(st.text(max_size=300))
def test_browser_claim_reads_any_text(text: str) -> None:
    claim = browser_claim(text)
    assert claim is None or isinstance(claim, BrowserClaim)


@given(_PLATFORM, st.integers(1, 9999), st.sampled_from(["", "Mobile "]))
def test_any_chrome_shape_is_claimed_with_its_version(platform: str, major: int, mobile: str) -> None:
    agent = f"Mozilla/5.0 ({platform}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{major}.0.0.0 {mobile}Safari/537.36"
    claim = browser_claim(agent)
    assert claim is not None and claim.label == f"Chrome {major}"
    assert claim.chromium == (major if major >= 89 else None)
    assert claim.fetch_metadata == (LOOPBACK if major >= 76 else None)


# -- Sec-CH-UA ---------------------------------------------------------------------------------

_GREASE = st.sampled_from(['"Not_A Brand";v="24"', '"Not:A-Brand";v="8"', '"Not/A)Brand";v="99"', '" Not A;Brand";v="99"'])


@given(st.integers(1, 99999), _GREASE, st.sampled_from(["Google Chrome", "Microsoft Edge", "Opera", "Brave"]), st.permutations(range(3)), st.sampled_from([", ", ",", " , "]))
def test_chromium_brand_version_in_any_order(major: int, grease: str, vendor: str, order: list[int], comma: str) -> None:
    brands = [f'"Chromium";v="{major}"', grease, f'"{vendor}";v="{major}"']
    assert chromium_brand_version(comma.join(brands[i] for i in order)) == major


@given(st.text(max_size=200))
def test_chromium_brand_version_reads_any_text(text: str) -> None:
    version = chromium_brand_version(text)
    assert version is None or version >= 0


def test_chromium_brand_version_needs_the_chromium_brand() -> None:
    assert chromium_brand_version('"Google Chrome";v="131", "Not_A Brand";v="24"') is None
    assert chromium_brand_version('"Chromiumx";v="131"') is None
    assert chromium_brand_version('"Chromium";v="1234567890123"') is None


# -- loopback hosts and secure origins ---------------------------------------------------------


@given(st.integers(0x7F000000, 0x7FFFFFFF), st.one_of(st.none(), st.integers(0, 65535)))
def test_every_127_address_is_a_loopback_host(number: int, port: int | None) -> None:
    address = str(ipaddress.IPv4Address(number))
    assert is_loopback_host(address if port is None else f"{address}:{port}")


@given(st.ip_addresses())
def test_other_addresses_are_not(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    host = f"[{address}]:8000" if address.version == 6 else str(address)
    assert is_loopback_host(host) == address.is_loopback


@given(st.text(max_size=60))
def test_is_loopback_host_reads_any_text(text: str) -> None:
    assert is_loopback_host(text) in (True, False)


@pytest.mark.parametrize(
    ("host", "expected"),
    [("localhost", True), ("LOCALHOST:8000", True), ("[::1]", True), ("[::1]:443", True), ("127.0.0.1:80", True),
     ("localhost.example", False), ("app.localhost", False), ("::1", False), ("[::1]x", False), ("localhost:http", False),
     ("10.0.0.1", False), ("", False), (None, False)],
)
def test_loopback_hosts(host: str | None, expected: bool) -> None:
    assert is_loopback_host(host) is expected


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (("https", "shop.example", "203.0.113.9"), HTTPS),
        (("wss", "shop.example", "203.0.113.9"), HTTPS),
        (("http", "shop.example", "203.0.113.9"), NOT_SECURE),
        (("http", "localhost:8000", "127.0.0.1"), LOOPBACK),
        (("http", "[::1]:8000", "::1"), LOOPBACK),
        # A loopback Host from elsewhere: a proxy's rewrite, or a lie; not what a browser saw.
        (("http", "127.0.0.1:8000", "203.0.113.9"), NOT_SECURE),
        # Starlette's TestClient, in process: a browser on the same machine.
        (("http", "localhost", "testclient"), LOOPBACK),
        (("http", "testserver", "testclient"), NOT_SECURE),
        # A trusted proxy's word for the scheme, and for the host the browser named.
        (("http", "127.0.0.1:8000", "10.0.0.2", "https", None, True), HTTPS),
        (("http", "127.0.0.1:8000", "10.0.0.2", "https, http", None, True), HTTPS),
        (("http", "127.0.0.1:8000", "127.0.0.1", "http", None, True), NOT_SECURE),
        (("http", "127.0.0.1:8000", "127.0.0.1", "http", "localhost:8080", True), LOOPBACK),
        (("http", "127.0.0.1:8000", "127.0.0.1", None, None, True), NOT_SECURE),
    ],
)
def test_origin_security(arguments: tuple[Any, ...], expected: int) -> None:
    assert origin_security(*arguments) == expected


# -- the per-request check -----------------------------------------------------------------------


def _reason(user_agent: str, headers: dict[str, str], security: int, websocket: bool = False) -> str | None:
    claim = browser_claim(user_agent)
    assert claim is not None
    return forged_reason(claim, {k.encode(): v.encode() for k, v in headers.items()}, security, websocket)


def test_chrome_with_its_headers_passes_everywhere() -> None:
    for security in (NOT_SECURE, LOOPBACK, HTTPS):
        assert _reason(CHROME, CHROME_HEADERS, security) is None


def test_a_script_without_accept_language_is_forged_everywhere() -> None:
    for security in (NOT_SECURE, LOOPBACK, HTTPS):
        assert _reason(CHROME, CURL_HEADERS, security) == "claims Chrome 131 but sends no Accept-Language"


def test_accept_language_must_name_a_language() -> None:
    sent = {**CHROME_HEADERS, "accept-language": "*"}
    assert _reason(CHROME, sent, NOT_SECURE) == "claims Chrome 131 but sends Accept-Language '*' (no language)"


def test_accept_is_required() -> None:
    sent = {k: v for k, v in CHROME_HEADERS.items() if k != "accept"}
    assert _reason(CHROME, sent, NOT_SECURE) == "claims Chrome 131 but sends no Accept"


def test_fetch_metadata_only_where_the_browser_sends_it() -> None:
    copied = {"accept": CHROME_HEADERS["accept"], "accept-language": "en"}
    assert _reason(CHROME, copied, NOT_SECURE) is None
    assert _reason(CHROME, copied, LOOPBACK) == "claims Chrome 131 but sends no Sec-Fetch-Site to a secure origin"
    assert _reason(FIREFOX, copied, LOOPBACK) == "claims Firefox 133 but sends no Sec-Fetch-Site to a secure origin"
    # Safari's behaviour on http loopback hosts was not measured: only https is judged.
    assert _reason(SAFARI, copied, LOOPBACK) is None
    assert _reason(SAFARI, copied, HTTPS) == "claims Safari 18 but sends no Sec-Fetch-Site to a secure origin"
    # Releases before Fetch Metadata: Firefox 89, Chrome 75, Safari 16.3.
    old = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:89.0) Gecko/20100101 Firefox/89.0"
    assert _reason(old, copied, HTTPS) is None
    assert _reason(old, {**copied, "sec-fetch-site": "none"}, HTTPS) is None
    assert _reason(FIREFOX, {**copied, "sec-fetch-site": "none"}, HTTPS) == (
        "claims Firefox 133 but sends no Sec-Fetch-Mode to a secure origin"
    )


def test_client_hints_only_from_chromium_claims_on_secure_origins() -> None:
    sent = {k: v for k, v in CHROME_HEADERS.items() if not k.startswith("sec-ch-")}
    assert _reason(CHROME, sent, NOT_SECURE) is None
    assert _reason(CHROME, sent, HTTPS) == "claims Chrome 131 but sends no Sec-CH-UA to a secure origin"
    assert _reason(FIREFOX, sent, HTTPS) is None
    chrome_88 = CHROME.replace("Chrome/131", "Chrome/88")
    assert _reason(chrome_88, sent, HTTPS) is None


def test_sec_ch_ua_must_agree_with_the_user_agent() -> None:
    sent = {**CHROME_HEADERS, "sec-ch-ua": '"Not:A-Brand";v="8", "Chromium";v="156"'}
    for security in (NOT_SECURE, HTTPS):
        assert _reason(CHROME, sent, security) == "claims Chrome 131 but Sec-CH-UA says Chromium 156"
    opera = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0"
    opera_hints = '"Opera";v="115", "Chromium";v="130", "Not?A_Brand";v="24"'
    assert _reason(opera, {**CHROME_HEADERS, "sec-ch-ua": opera_hints}, HTTPS) is None
    assert _reason(opera, sent, HTTPS) == "claims Opera 115 (Chromium 130) but Sec-CH-UA says Chromium 156"
    # No Chromium brand (a fork that names only itself): nothing to compare.
    assert _reason(CHROME, {**CHROME_HEADERS, "sec-ch-ua": '"Fork";v="3"'}, HTTPS) is None


def test_websocket_handshakes() -> None:
    # What Chromium sends on a WebSocket handshake: no Accept, no Sec-Fetch-*, no client hints.
    handshake = {"upgrade": "websocket", "accept-language": "en-US,en;q=0.9", "origin": "https://shop.example"}
    assert _reason(CHROME, handshake, HTTPS) is None
    assert _reason(FIREFOX, handshake, HTTPS) is None
    no_origin = {k: v for k, v in handshake.items() if k != "origin"}
    assert _reason(CHROME, no_origin, HTTPS) == "claims Chrome 131 but its WebSocket handshake sends no Origin"
    other_version = {**handshake, "sec-ch-ua": '"Chromium";v="120"'}
    assert _reason(CHROME, other_version, HTTPS) == "claims Chrome 131 but Sec-CH-UA says Chromium 120"


def test_a_websocket_over_http2_is_a_handshake_without_upgrade() -> None:
    # RFC 8441: over HTTP/2 a WebSocket opens with an extended CONNECT, which has no `Upgrade`
    # header; the ASGI scope's type says what it is.
    handshake = {"accept-language": "en-US,en;q=0.9", "origin": "https://shop.example"}
    assert _reason(CHROME, handshake, HTTPS, websocket=True) is None
    # A handshake however complete its other headers: a browser's always carries Origin.
    no_origin = {"accept-language": "en", "accept": "*/*", "sec-fetch-site": "same-origin", "sec-fetch-mode": "websocket"}
    assert _reason(CHROME, no_origin, HTTPS, websocket=True) == "claims Chrome 131 but its WebSocket handshake sends no Origin"
    app = BotGuardMiddleware(ok_app, check_headers=True)
    accepted = run(app, _scope(CHROME, handshake, kind="websocket", scheme="wss"))
    assert accepted.app_called and accepted.scope["state"]["botguard"] is Verdict.NONE
    config = Config(check_headers=True)
    assert explain(CHROME, config, headers=handshake, origin="wss://shop.example").verdict is Verdict.NONE
    assert explain(CHROME, config, headers=handshake, origin="https://shop.example").verdict is Verdict.FORGED


# -- config ------------------------------------------------------------------------------------


def test_check_headers_is_off_by_default_and_a_boolean() -> None:
    assert Config().check_headers is False
    assert Config.from_mapping({"check_headers": True}).check_headers is True
    with pytest.raises(ConfigError, match="check_headers"):
        Config(check_headers="yes")  # type: ignore[arg-type]


def test_check_headers_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "botguard.toml"
    path.write_text("check_headers = true\n")
    assert ConfigLoader.from_file(str(path)).get().check_headers is True


def test_forged_is_verdict_five_and_blocked() -> None:
    assert Verdict.FORGED == 5 and Verdict.FORGED.blocked


def test_explain_with_headers() -> None:
    config = Config(check_headers=True)
    forged = explain(CHROME, config, headers=CURL_HEADERS, origin="https://shop.example")
    assert str(forged) == "FORGED: claims Chrome 131 but sends no Accept-Language"
    assert forged.as_dict()["reason"] == "claims Chrome 131 but sends no Accept-Language"
    assert explain(CHROME, config, headers=CHROME_HEADERS, origin="https://shop.example").verdict is Verdict.NONE
    # Without check_headers the headers are not looked at, as in the middleware.
    assert explain(CHROME, Config(), headers=CURL_HEADERS).verdict is Verdict.NONE


# -- in the decision, in every adapter -----------------------------------------------------------


def _scope(user_agent: str, headers: dict[str, str], kind: str = "http", scheme: str | None = None) -> dict[str, Any]:
    scope = http_scope([(b"user-agent", user_agent.encode()), *((k.encode(), v.encode()) for k, v in headers.items())], kind=kind)
    if scheme is not None:
        scope["scheme"] = scheme
    return scope


def _counted(verdict: str, action: str) -> int:
    return int(botguard.stats()["requests"][verdict][action])


def test_asgi_refuses_forged_counts_and_logs_it(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="botguard")
    app = BotGuardMiddleware(ok_app, check_headers=True)
    before = _counted("forged", "blocked")
    refused = run(app, _scope(CHROME, CURL_HEADERS, scheme="https"))
    assert refused.status == 403 and not refused.app_called
    assert _counted("forged", "blocked") == before + 1
    assert 'reason="claims Chrome 131 but sends no Accept-Language"' in caplog.text
    # The line reads like every other block line: the logger's name is not repeated in it.
    assert any(message.startswith("blocked verdict=forged ") for message in caplog.messages)
    passed = run(app, _scope(CHROME, CHROME_HEADERS, scheme="https"))
    assert passed.status == 200 and passed.scope["state"]["botguard"] is Verdict.NONE


def test_monitor_mode_reports_forged_without_blocking(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="botguard")
    app = BotGuardMiddleware(ok_app, check_headers=True, monitor=True)
    before = _counted("forged", "monitored")
    result = run(app, _scope(CHROME, CURL_HEADERS))
    assert result.status == 200 and result.scope["state"]["botguard"] is Verdict.FORGED
    assert _counted("forged", "monitored") == before + 1
    assert "would block verdict=forged" in caplog.text


def test_off_by_default_and_the_order_of_the_decision() -> None:
    assert run(BotGuardMiddleware(ok_app), _scope(CHROME, CURL_HEADERS)).status == 200
    # allow beats everything; deny and the built-in list decide first.
    assert run(BotGuardMiddleware(ok_app, check_headers=True, allow=["Chrome/131"]), _scope(CHROME, {})).scope["state"]["botguard"] is Verdict.ALLOW
    denied = run(BotGuardMiddleware(ok_app, check_headers=True, deny=["Windows NT"]), _scope(CHROME, {}))
    assert denied.status == 403 and json.loads(denied.body) == {"message": "Forbidden"}
    bot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    app = BotGuardMiddleware(ok_app, check_headers=True, verdict_header="x-botguard")
    assert run(app, _scope(bot, {})).headers[b"x-botguard"] == b"bot"
    assert run(app, _scope(CHROME, {})).headers[b"x-botguard"] == b"forged"


def test_asgi_websocket_handshake() -> None:
    app = BotGuardMiddleware(ok_app, check_headers=True)
    handshake = {"upgrade": "websocket", "accept-language": "en", "origin": "http://127.0.0.1:8000", "host": "127.0.0.1:8000"}
    assert run(app, _scope(CHROME, handshake, kind="websocket")).scope["state"]["botguard"] is Verdict.NONE
    without_origin = {k: v for k, v in handshake.items() if k != "origin"}
    refused = run(app, _scope(CHROME, without_origin, kind="websocket"))
    assert not refused.app_called and refused.messages[0] == {"type": "websocket.close", "code": 1008}


def _environ(user_agent: str, headers: dict[str, str], **extra: str) -> dict[str, Any]:
    environ = environ_for(user_agent)
    environ.update({"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()})
    environ.update(extra)
    return environ


def test_wsgi_refuses_forged() -> None:
    app = BotGuardWSGIMiddleware(wsgi_ok_app, check_headers=True)
    assert call(app, _environ(CHROME, CURL_HEADERS)).status.startswith("403")
    copied = {"accept": "*/*", "accept-language": "en", "host": "127.0.0.1:8000"}
    # A loopback Host from a loopback peer is a secure origin: Sec-Fetch-* is expected there.
    assert call(app, _environ(CHROME, copied, REMOTE_ADDR="127.0.0.1")).status.startswith("403")
    assert call(app, _environ(CHROME, {**copied, "host": "shop.example"}, REMOTE_ADDR="127.0.0.1")).status.startswith("200")
    assert call(app, _environ(CHROME, CHROME_HEADERS, **{"wsgi.url_scheme": "https"})).status.startswith("200")


def test_x_forwarded_proto_from_a_trusted_proxy() -> None:
    copied = {"accept": "*/*", "accept-language": "en", "host": "shop.example", "x-forwarded-proto": "https"}
    trusting = BotGuardWSGIMiddleware(wsgi_ok_app, check_headers=True, trusted_proxies=["10.0.0.0/8"])
    assert call(trusting, _environ(CHROME, copied, REMOTE_ADDR="10.0.0.2")).status.startswith("403")
    # From anyone else the header is not believed: http, not secure, Sec-Fetch-* not expected.
    assert call(trusting, _environ(CHROME, copied, REMOTE_ADDR="203.0.113.9")).status.startswith("200")
    asgi = BotGuardMiddleware(ok_app, check_headers=True, trusted_proxies=["10.0.0.0/8"])
    scope = _scope(CHROME, copied)
    scope["client"] = ("10.0.0.2", 40000)
    assert run(asgi, scope).status == 403


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('for=203.0.113.7;proto=https;host="shop.example", for=10.0.0.2;proto=http', ("https", "shop.example")),
        ("For=203.0.113.7; Proto=http", ("http", None)),
        ("for=203.0.113.7", (None, None)),
        ("", (None, None)),
    ],
)
def test_forwarded_proto_host(value: str, expected: tuple[str | None, str | None]) -> None:
    assert forwarded_proto_host(value) == expected


@given(st.text(max_size=120))
def test_forwarded_proto_host_reads_any_text(text: str) -> None:
    proto, host = forwarded_proto_host(text)
    assert proto is None or isinstance(proto, str)


def test_forwarded_from_a_trusted_proxy() -> None:
    copied = {"accept": "*/*", "accept-language": "en", "host": "127.0.0.1:8000", "forwarded": "for=203.0.113.7;proto=https"}
    app = BotGuardWSGIMiddleware(wsgi_ok_app, check_headers=True, trusted_proxies=["127.0.0.1/32"], forwarded_header="forwarded")
    assert call(app, _environ(CHROME, copied, REMOTE_ADDR="127.0.0.1")).status.startswith("403")
    plain = {**copied, "forwarded": "for=203.0.113.7;proto=http"}
    # http to shop.example through the proxy: not secure, whatever Host the proxy sent.
    assert call(app, _environ(CHROME, plain, REMOTE_ADDR="127.0.0.1")).status.startswith("200")


def test_starlette_test_client_on_a_loopback_host() -> None:
    from starlette.testclient import TestClient

    app = BotGuardMiddleware(ok_app, check_headers=True)
    copied = {"user-agent": CHROME, **CURL_HEADERS, "accept-language": "en"}
    # http://localhost is a secure origin, where Chrome sends its Fetch Metadata ...
    local = TestClient(app, base_url="http://localhost")
    assert local.get("/", headers={"user-agent": CHROME, **CHROME_HEADERS}).status_code == 200
    assert local.get("/", headers=copied).status_code == 403
    # ... and http://testserver is not: nothing tells a browser from a copy there.
    assert TestClient(app).get("/", headers=copied).status_code == 200


def test_fastapi_route_with_check_headers() -> None:
    fastapi = pytest.importorskip("fastapi")
    from botguard.fastapi import BotGuard

    app = fastapi.FastAPI()
    guard = BotGuard(check_headers=True)

    @app.get("/")
    async def home(verdict: Verdict = fastapi.Depends(guard)) -> dict[str, str]:
        return {"verdict": verdict.name}

    async def go() -> tuple[int, int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://shop.example") as client:
            bad = await client.get("/", headers={"user-agent": CHROME, **CURL_HEADERS})
            good = await client.get("/", headers={"user-agent": CHROME, **CHROME_HEADERS})
            return bad.status_code, good.status_code

    import asyncio

    assert asyncio.run(go()) == (403, 200)


def test_falcon_with_check_headers() -> None:
    falcon = pytest.importorskip("falcon")
    import falcon.testing

    from botguard.falcon import BotGuardMiddleware as FalconGuard

    class Home:
        def on_get(self, req: Any, resp: Any) -> None:
            resp.text = req.context.botguard.name

    # WSGI only: Falcon's ASGI test client hands the scope's headers over as an iterator, which
    # Falcon has read before any middleware runs.
    app = falcon.App(middleware=[FalconGuard(check_headers=True)])
    app.add_route("/", Home())
    client = falcon.testing.TestClient(app)
    assert client.simulate_get("/", headers={"user-agent": CHROME, **CURL_HEADERS}).status_code == 403
    passed = client.simulate_get("/", headers={"user-agent": CHROME, **CHROME_HEADERS})
    assert (passed.status_code, passed.text) == (200, "NONE")


def test_forged_is_a_prometheus_series() -> None:
    pytest.importorskip("prometheus_client")
    from prometheus_client import CollectorRegistry, generate_latest

    from botguard.prometheus import BotguardCollector

    registry = CollectorRegistry()
    BotguardCollector().register(registry)
    run(BotGuardMiddleware(ok_app, check_headers=True), _scope(CHROME, CURL_HEADERS))
    exposed = generate_latest(registry).decode()
    assert 'botguard_requests_total{action="blocked",verdict="forged"}' in exposed
    assert 'botguard_requests_total{action="monitored",verdict="forged"}' in exposed


_NAMES = st.sampled_from(
    [b"accept", b"accept-language", b"sec-fetch-site", b"sec-fetch-mode", b"sec-ch-ua", b"upgrade", b"origin", b"host"]
)


@given(st.dictionaries(_NAMES, st.binary(max_size=80)), st.sampled_from(list(CLAIMS)), st.sampled_from([NOT_SECURE, LOOPBACK, HTTPS]))
def test_forged_reason_reads_any_headers(headers: dict[bytes, bytes], user_agent: str, security: int) -> None:
    claim = browser_claim(user_agent)
    assert claim is not None
    reason = forged_reason(claim, headers, security)
    assert reason is None or reason.startswith(f"claims {claim.label}")
    # A more secure origin only adds expectations: what passes there passes on a less secure one.
    if reason is None:
        assert all(forged_reason(claim, headers, lower) is None for lower in range(security))
