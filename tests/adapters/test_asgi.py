"""The ASGI middleware: every edge case through a raw harness, then Starlette and a real uvicorn."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from botguard import BotGuardMiddleware, Config, ConfigError, Verdict

from tests.support.asgi_harness import http_scope, ok_app, run, ua_headers
from tests.support.servers import raw_request, serve_uvicorn

from tests.support.agents import CHROME, GOOGLEBOT


@pytest.fixture
def guarded() -> BotGuardMiddleware:
    return BotGuardMiddleware(ok_app)


def test_browser_passes_with_its_verdict_in_state(guarded: BotGuardMiddleware) -> None:
    result = run(guarded, http_scope(ua_headers(CHROME)))
    assert result.status == 200 and result.app_called
    assert result.scope["state"]["botguard"] is Verdict.NONE


def test_bot_gets_403_json_no_store_and_the_app_never_runs(guarded: BotGuardMiddleware) -> None:
    result = run(guarded, http_scope(ua_headers(GOOGLEBOT)))
    assert result.status == 403 and not result.app_called
    assert result.json() == {"message": "Forbidden"}
    assert result.headers[b"content-type"] == b"application/json"
    assert result.headers[b"cache-control"] == b"no-store"
    assert int(result.headers[b"content-length"]) == len(result.body)


def test_deny_list_gets_403() -> None:
    result = run(BotGuardMiddleware(ok_app, deny=[r"(?i)scrapy"]), http_scope(ua_headers("Scrapy/2.11")))
    assert result.status == 403


def test_missing_header_passes_with_none(guarded: BotGuardMiddleware) -> None:
    result = run(guarded, http_scope([(b"accept", b"*/*")]))
    assert result.status == 200 and result.scope["state"]["botguard"] is Verdict.NONE


def test_empty_header_is_examined_and_passes(guarded: BotGuardMiddleware) -> None:
    result = run(guarded, http_scope(ua_headers(b"")))
    assert result.status == 200 and result.scope["state"]["botguard"] is Verdict.NONE
    denied = run(BotGuardMiddleware(ok_app, deny=["^$"]), http_scope(ua_headers(b"")))
    assert denied.status == 403


def test_two_user_agent_headers_get_400(guarded: BotGuardMiddleware) -> None:
    result = run(guarded, http_scope(ua_headers(CHROME, CHROME)))
    assert result.status == 400 and not result.app_called
    assert result.json() == {"message": "Only one User-Agent header allowed"}


def test_binary_header_is_read_as_latin1_and_judged(guarded: BotGuardMiddleware) -> None:
    assert run(guarded, http_scope(ua_headers(b"\xff\xfe\x00" + GOOGLEBOT.encode()))).status == 403
    assert run(guarded, http_scope(ua_headers(b"\xff\xfe\x00\x80 browser"))).status == 200


def test_huge_header_is_answered(guarded: BotGuardMiddleware) -> None:
    # A bare run of one letter is itself a bot shape under the default list; after a platform it is not.
    assert run(guarded, http_scope(ua_headers(b"Mozilla/5.0 (X11; Linux x86_64) " + b"A" * 65536))).status == 200
    assert run(guarded, http_scope(ua_headers(GOOGLEBOT.encode() + b"A" * 65536))).status == 403


def test_lifespan_passes_through_untouched() -> None:
    seen = []

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        seen.append(scope)

    scope = {"type": "lifespan", "asgi": {"version": "3.0"}}
    asyncio.run(BotGuardMiddleware(app)(scope, None, None))  # type: ignore[arg-type]
    assert seen == [scope] and "state" not in scope


def test_websocket_bot_is_refused_before_accept(guarded: BotGuardMiddleware) -> None:
    result = run(guarded, http_scope(ua_headers(GOOGLEBOT), kind="websocket"))
    assert [m["type"] for m in result.messages] == ["websocket.close"] and not result.app_called
    assert result.messages[0]["code"] == 1008


def test_websocket_bot_gets_403_body_where_the_server_supports_denial_responses(guarded: BotGuardMiddleware) -> None:
    scope = http_scope(ua_headers(GOOGLEBOT), kind="websocket")
    scope["extensions"] = {"websocket.http.response": {}}
    result = run(guarded, scope)
    assert result.status == 403 and result.json() == {"message": "Forbidden"}


def test_websocket_browser_is_accepted(guarded: BotGuardMiddleware) -> None:
    result = run(guarded, http_scope(ua_headers(CHROME), kind="websocket"))
    assert result.app_called and result.messages[0]["type"] == "websocket.accept"


def test_existing_scope_state_is_kept(guarded: BotGuardMiddleware) -> None:
    scope = http_scope(ua_headers(CHROME))
    scope["state"] = {"db": "pool"}
    result = run(guarded, scope)
    assert result.scope["state"] == {"db": "pool", "botguard": Verdict.NONE}


def test_config_and_fields_together_is_an_error() -> None:
    with pytest.raises(ConfigError, match="either config= or the fields"):
        BotGuardMiddleware(ok_app, config=Config(), deny=["x"])
    with pytest.raises(ConfigError, match=r"deny\[0\]: not a valid regex"):
        BotGuardMiddleware(ok_app, deny=["("])
    with pytest.raises(ConfigError, match="expected a Config"):
        BotGuardMiddleware(ok_app, config="botguard.toml")  # type: ignore[arg-type]


def test_config_object_is_used_as_given() -> None:
    config = Config(builtin=None)
    assert BotGuardMiddleware(ok_app, config=config).guard.current()[0] is config
    assert run(BotGuardMiddleware(ok_app, config=config), http_scope(ua_headers(GOOGLEBOT))).status == 200


header_bytes = st.binary(max_size=300)


@given(
    headers=st.lists(
        st.tuples(st.sampled_from([b"user-agent", b"accept", b"x-other"]), header_bytes), max_size=6
    )
)
@settings(max_examples=300, deadline=None)
def test_any_headers_get_200_400_or_403_never_an_exception(headers: list[tuple[bytes, bytes]]) -> None:
    result = run(BotGuardMiddleware(ok_app), http_scope(headers))
    count = sum(1 for k, _ in headers if k == b"user-agent")
    assert result.status in ((400,) if count > 1 else (200, 403))


# -- Starlette, FastAPI, and a real server -----------------------------------------------------


async def verdict_endpoint(request: Request) -> JSONResponse:
    return JSONResponse({"verdict": request.state.botguard.name})


def test_starlette_add_middleware_with_fields() -> None:
    app = Starlette(routes=[Route("/", verdict_endpoint)])
    app.add_middleware(BotGuardMiddleware, deny=[r"(?i)scrapy"])

    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return [
                await client.get("/", headers={"user-agent": ua})
                for ua in (CHROME, "Scrapy/2.11 (+https://scrapy.org)", GOOGLEBOT)
            ]

    browser, scrapy, google = asyncio.run(go())
    assert browser.status_code == 200 and browser.json() == {"verdict": "NONE"}
    assert scrapy.status_code == 403 and google.status_code == 403


def test_fastapi_add_middleware() -> None:
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/")
    async def home(request: Request) -> dict[str, str]:
        return {"verdict": request.state.botguard.name}

    app.add_middleware(BotGuardMiddleware, allow=[r"^curl/"])

    async def go() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            return [await client.get("/", headers={"user-agent": ua}) for ua in ("curl/8.4.0", GOOGLEBOT)]

    curl, google = asyncio.run(go())
    assert curl.json() == {"verdict": "ALLOW"} and google.status_code == 403


def test_example_app_under_real_uvicorn() -> None:
    with serve_uvicorn("examples.starlette_app:app") as base:
        browser = httpx.get(base + "/", headers={"user-agent": CHROME})
        assert browser.status_code == 200 and browser.json()["verdict"] == "NONE"
        bot = httpx.get(base + "/", headers={"user-agent": GOOGLEBOT})
        assert bot.status_code == 403 and bot.json() == {"message": "Forbidden"}
        assert bot.headers["cache-control"] == "no-store"
        doubled = raw_request(
            base, ["GET / HTTP/1.1", "Host: x", f"User-Agent: {CHROME}", f"User-Agent: {CHROME}", "Connection: close"]
        )
        assert doubled.startswith(b"HTTP/1.1 400") and b"Only one User-Agent header allowed" in doubled
        binary = raw_request(base, ["GET / HTTP/1.1", "Host: x", "User-Agent: \xe9\xff Googlebot/2.1", "Connection: close"])
        assert binary.startswith(b"HTTP/1.1 403")


def test_websocket_under_real_uvicorn() -> None:
    with serve_uvicorn("tests.apps.ws_app:app") as base:
        # A plain handshake by hand: a refused one is answered 403 before any upgrade.
        handshake = [
            "GET /ws HTTP/1.1", "Host: x", "Upgrade: websocket", "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13",
        ]
        refused = raw_request(base, handshake + [f"User-Agent: {GOOGLEBOT}"], until_head=True)
        assert refused.startswith(b"HTTP/1.1 403")


def test_a_dict_config_is_settings_not_a_loader() -> None:
    guarded = BotGuardMiddleware(ok_app, config={"deny": ["(?i)scrapy"], "builtin": None})  # type: ignore[arg-type]
    assert run(guarded, http_scope(ua_headers("Scrapy/2.11"))).status == 403
    with pytest.raises(ConfigError, match="unknown key"):
        BotGuardMiddleware(ok_app, config={"denny": []})  # type: ignore[arg-type]


def test_headers_given_as_an_iterator_reach_the_app_and_are_judged() -> None:
    # ASGI asks only for an iterable (Falcon's test client sends a one-shot iterator): botguard
    # reads it once and hands the app a list.
    app = BotGuardMiddleware(ok_app)
    scope = http_scope()
    scope["headers"] = iter([(b"host", b"example.com"), (b"user-agent", b"curl/8.4.0")])
    assert run(app, scope).status == 403
    scope = http_scope()
    scope["headers"] = iter([(b"host", b"example.com"), (b"user-agent", CHROME.encode())])
    passed = run(app, scope)
    assert passed.app_called and passed.scope["headers"] == [(b"host", b"example.com"), (b"user-agent", CHROME.encode())]
