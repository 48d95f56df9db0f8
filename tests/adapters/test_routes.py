"""Per-route rules in Starlette (Mount middleware) and FastAPI (the BotGuard dependency), served for real."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse as FastAPIJSONResponse
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from botguard import BotGuardMiddleware, Config, Verdict, cache_info
from botguard.fastapi import BotGuard, BotGuardBlocked

from tests.support.servers import serve_uvicorn
from tests.support.wsgi_harness import raw_request, two_user_agents

from tests.support.agents import CHROME, GOOGLEBOT
SCRIPTED = [r"^curl/", r"^python-requests/"]


def get_all(app: Any, *requests: tuple[str, Any]) -> list[httpx.Response]:
    async def go() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            return [await client.get(path, headers=headers) for path, headers in requests]

    return asyncio.run(go())


def one_ua(value: str) -> dict[str, str]:
    return {"user-agent": value}


# -- Starlette -------------------------------------------------------------------------------------


async def verdict(request: Any) -> JSONResponse:
    return JSONResponse({"verdict": request.state.botguard.name})


def test_starlette_mounts_with_their_own_rules() -> None:
    app = Starlette(
        routes=[
            Mount("/api", routes=[Route("/x", verdict)], middleware=[Middleware(BotGuardMiddleware, allow=SCRIPTED)]),
            Mount("", routes=[Route("/", verdict)], middleware=[Middleware(BotGuardMiddleware, deny=SCRIPTED)]),
        ]
    )
    site_curl, api_curl, api_bot, site_browser = get_all(
        app, ("/", one_ua("curl/8.4.0")), ("/api/x", one_ua("curl/8.4.0")), ("/api/x", one_ua(GOOGLEBOT)), ("/", one_ua(CHROME))
    )
    assert site_curl.status_code == 403 and site_curl.json() == {"message": "Forbidden"}
    assert api_curl.status_code == 200 and api_curl.json() == {"verdict": "ALLOW"}
    assert api_bot.status_code == 403
    assert site_browser.json() == {"verdict": "NONE"}


def test_starlette_equal_configs_built_once_share_one_cache() -> None:
    gc.collect()
    gc.disable()
    try:
        before = cache_info().caches
        shared = Config(allow=SCRIPTED)
        app = Starlette(
            routes=[
                Mount("/a", routes=[Route("/", verdict)], middleware=[Middleware(BotGuardMiddleware, config=shared)]),
                Mount("/b", routes=[Route("/", verdict)], middleware=[Middleware(BotGuardMiddleware, config=shared)]),
                Mount("/c", routes=[Route("/", verdict)], middleware=[Middleware(BotGuardMiddleware, allow=SCRIPTED)]),
            ]
        )
        answers = get_all(app, ("/a/", one_ua("curl/8")), ("/b/", one_ua("curl/8")), ("/c/", one_ua("curl/8")))
        # Three middleware, two configs: `shared` once, and the one built from fields.
        assert cache_info().caches - before == 2
    finally:
        gc.enable()
    assert [r.json() for r in answers] == [{"verdict": "ALLOW"}] * 3


def test_starlette_example_per_route_rules_under_uvicorn() -> None:
    with serve_uvicorn("examples.starlette_app:app") as base:
        assert httpx.get(base + "/", headers=one_ua(CHROME)).json() == {"hello": "human", "verdict": "NONE"}
        assert httpx.get(base + "/", headers=one_ua(GOOGLEBOT)).status_code == 403
        assert httpx.get(base + "/", headers=one_ua("curl/8.4.0")).status_code == 403
        for path in ("/api/status", "/api/", "/api"):
            api = httpx.get(base + path, headers=one_ua("curl/8.4.0"))
            assert api.status_code == 200 and api.json() == {"status": "ok", "verdict": "ALLOW"}
        assert httpx.get(base + "/api/status", headers=one_ua(GOOGLEBOT)).status_code == 403
        assert httpx.get(base + "/nowhere", headers=one_ua(GOOGLEBOT)).status_code == 403
        assert httpx.get(base + "/nowhere", headers=one_ua(CHROME)).status_code == 404
        for path in ("/", "/api/status"):
            doubled = raw_request(base, two_user_agents(path, "curl/8.4.0", "curl/8.4.0"))
            assert doubled.startswith(b"HTTP/1.1 400") and b"Only one User-Agent header allowed" in doubled


# -- FastAPI ---------------------------------------------------------------------------------------


def _fastapi_app(guard: BotGuard, **route: Any) -> FastAPI:
    app = FastAPI()

    @app.get("/", dependencies=[Depends(guard)], **route)
    async def home(request: Request) -> dict[str, str]:
        return {"verdict": request.state.botguard.name}

    @app.get("/open")
    async def open_route() -> dict[str, str]:
        return {"open": "yes"}

    @app.get("/returned")
    async def returned(v: Verdict = Depends(guard)) -> dict[str, str]:
        return {"verdict": v.name}

    return app


def test_dependency_answers_exactly_like_the_middleware() -> None:
    config = Config(retry_after=30, verdict_header="X-Botguard")
    guarded = _fastapi_app(BotGuard(config=config))
    middleware = Starlette(routes=[Route("/", verdict)], middleware=[Middleware(BotGuardMiddleware, config=config)])
    for headers in (one_ua(GOOGLEBOT), [("user-agent", CHROME), ("user-agent", CHROME)]):
        (ours,) = get_all(guarded, ("/", headers))
        (theirs,) = get_all(middleware, ("/", headers))
        assert (ours.status_code, ours.content) == (theirs.status_code, theirs.content)
        assert ours.headers.multi_items() == theirs.headers.multi_items()
    (browser,) = get_all(guarded, ("/", one_ua(CHROME)))
    assert browser.json() == {"verdict": "NONE"} and browser.headers["x-botguard"] == "none"


def test_dependency_guards_only_its_routes_and_returns_the_verdict() -> None:
    app = _fastapi_app(BotGuard(allow=SCRIPTED))
    bot, open_bot, curl, returned = get_all(
        app, ("/", one_ua(GOOGLEBOT)), ("/open", one_ua(GOOGLEBOT)), ("/", one_ua("curl/8")), ("/returned", one_ua("curl/8"))
    )
    assert bot.status_code == 403 and bot.json() == {"message": "Forbidden"}
    assert open_bot.status_code == 200
    assert curl.json() == {"verdict": "ALLOW"} and returned.json() == {"verdict": "ALLOW"}


def test_dependency_on_routers() -> None:
    app = FastAPI()
    site = APIRouter(dependencies=[Depends(BotGuard(deny=SCRIPTED))])
    api = APIRouter(prefix="/api", dependencies=[Depends(BotGuard(allow=SCRIPTED))])

    @site.get("/")
    async def home(request: Request) -> dict[str, str]:
        return {"verdict": request.state.botguard.name}

    @api.get("/x")
    async def x(request: Request) -> dict[str, str]:
        return {"verdict": request.state.botguard.name}

    app.include_router(site)
    app.include_router(api)
    site_curl, api_curl, api_bot = get_all(app, ("/", one_ua("curl/8")), ("/api/x", one_ua("curl/8")), ("/api/x", one_ua(GOOGLEBOT)))
    assert site_curl.status_code == 403 and api_curl.json() == {"verdict": "ALLOW"} and api_bot.status_code == 403


def test_your_own_handler_for_blocked_requests_wins() -> None:
    app = _fastapi_app(BotGuard())

    async def html(request: Request, exc: Exception) -> FastAPIJSONResponse:
        assert isinstance(exc, BotGuardBlocked)
        return FastAPIJSONResponse({"go": "away", "verdict": exc.verdict.name if exc.verdict else None}, status_code=exc.status_code)

    app.add_exception_handler(BotGuardBlocked, html)
    (bot,) = get_all(app, ("/", one_ua(GOOGLEBOT)))
    assert bot.status_code == 403 and bot.json() == {"go": "away", "verdict": "BOT"}


def test_on_block_and_monitor_through_the_dependency() -> None:
    def on_block(scope: Any, verdict: Verdict) -> tuple[int, list[tuple[str, str]], bytes]:
        return 451, [("content-type", "text/plain"), ("x-path", scope["path"])], b"no"

    (blocked,) = get_all(_fastapi_app(BotGuard(on_block=on_block)), ("/", one_ua(GOOGLEBOT)))
    assert blocked.status_code == 451 and blocked.text == "no" and blocked.headers["x-path"] == "/"
    (monitored,) = get_all(_fastapi_app(BotGuard(monitor=True)), ("/", one_ua(GOOGLEBOT)))
    assert monitored.status_code == 200 and monitored.json() == {"verdict": "BOT"}


def test_one_guard_is_one_cache_however_many_routes() -> None:
    gc.collect()
    gc.disable()
    try:
        before = cache_info().caches
        guard = BotGuard(allow=SCRIPTED)
        apps = [_fastapi_app(guard) for _ in range(3)]
        assert cache_info().caches - before == 1
        others = [BotGuard(allow=SCRIPTED) for _ in range(2)]
        assert cache_info().caches - before == 3
    finally:
        gc.enable()
    assert len(apps) == 3 and len(others) == 2


def test_fastapi_example_under_uvicorn() -> None:
    with serve_uvicorn("examples.fastapi_app:app") as base:
        browser = httpx.get(base + "/", headers=one_ua(CHROME))
        assert browser.status_code == 200 and browser.json() == {"hello": "human", "verdict": "NONE"}
        bot = httpx.get(base + "/", headers=one_ua(GOOGLEBOT))
        assert bot.status_code == 403 and bot.json() == {"message": "Forbidden"}
        assert bot.headers["cache-control"] == "no-store"
        doubled = raw_request(base, two_user_agents("/", CHROME, CHROME))
        assert doubled.startswith(b"HTTP/1.1 400") and b"Only one User-Agent header allowed" in doubled
        assert httpx.get(base + "/", headers=one_ua("curl/8.4.0")).status_code == 403
        for path in ("/api/status", "/api"):
            api = httpx.get(base + path, headers=one_ua("curl/8.4.0"))
            assert api.status_code == 200 and api.json() == {"status": "ok", "verdict": "ALLOW"}
            assert httpx.get(base + path, headers=one_ua(GOOGLEBOT)).status_code == 403
        # A route's own guard adds to its router's.
        assert httpx.get(base + "/api/strict", headers=one_ua("curl/8.4.0")).status_code == 200
        assert httpx.get(base + "/api/strict", headers=one_ua("python-requests/2.32")).status_code == 403


@pytest.mark.parametrize("module", ["examples.starlette_app", "examples.fastapi_app"])
def test_examples_in_process(module: str) -> None:
    app = __import__(module, fromlist=["app"]).app
    browser, bot = get_all(app, ("/", one_ua(CHROME)), ("/", one_ua(GOOGLEBOT)))
    assert browser.status_code == 200 and bot.status_code == 403
