"""A new user's first run: a bad setting stops the start with its message, never a 500 per request;
a mistyped keyword names the field meant; an outer middleware sees every verdict."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from botguard import BotGuardMiddleware, BotGuardWSGIMiddleware, ConfigError, Verdict, _observe

from tests.support.asgi_harness import http_scope, ok_app, run, ua_headers
from tests.support.servers import ROOT, free_port

BAD_REGEX = "deny[0]: not a valid regex: '(unclosed'"
TYPO = "unknown field(s) ['denny'] (did you mean 'deny'?); valid fields: ['allow', "


async def hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("hello")


def starlette_app(**fields: Any) -> Starlette:
    app = Starlette(routes=[Route("/", hello)])
    app.add_middleware(BotGuardMiddleware, **fields)
    return app


async def lifespan(app: Any) -> list[dict[str, Any]]:
    """Drive one lifespan startup (and shutdown, if it started) and return what the app sent."""
    inbox = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return inbox.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
    return sent


# --- in process -----------------------------------------------------------------------------------


@pytest.mark.parametrize("framework", ["starlette", "fastapi"])
@pytest.mark.parametrize(("fields", "message"), [({"deny": ["(unclosed"]}, BAD_REGEX), ({"denny": ["x"]}, TYPO)])
def test_a_bad_setting_given_to_add_middleware_fails_the_lifespan_startup(
    fields: dict[str, Any], message: str, framework: str
) -> None:
    if framework == "fastapi":
        from fastapi import FastAPI

        app: Any = FastAPI()
        app.add_middleware(BotGuardMiddleware, **fields)
    else:
        app = starlette_app(**fields)
    sent = asyncio.run(lifespan(app))
    assert [m["type"] for m in sent] == ["lifespan.startup.failed"]
    assert sent[0]["message"].startswith("botguard: ") and message in sent[0]["message"]


def test_without_a_lifespan_every_request_raises_the_config_error() -> None:
    app = starlette_app(deny=["(unclosed"])
    with pytest.raises(ConfigError, match=r"deny\[0\]: not a valid regex"):
        run(app, http_scope(ua_headers("Mozilla/5.0")))


def test_a_good_setting_starts_and_the_app_s_own_lifespan_runs() -> None:
    started = []

    @contextlib.asynccontextmanager
    async def own_lifespan(app: Starlette) -> AsyncIterator[None]:
        started.append(True)
        yield

    app = Starlette(routes=[Route("/", hello)], lifespan=own_lifespan)
    app.add_middleware(BotGuardMiddleware, deny=["(?i)scrapy"])
    sent = asyncio.run(lifespan(app))
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"] and started


def test_built_by_hand_a_bad_setting_raises_at_once() -> None:
    with pytest.raises(ConfigError, match=r"deny\[0\]: not a valid regex"):
        BotGuardMiddleware(ok_app, deny=["(unclosed"])
    with pytest.raises(ConfigError, match=r"did you mean 'deny'\?"):
        BotGuardMiddleware(ok_app, denny=["x"])


@pytest.mark.parametrize("make", [lambda **f: BotGuardMiddleware(ok_app, **f), lambda **f: BotGuardWSGIMiddleware(ok_app, **f)])
def test_a_mistyped_keyword_names_the_valid_fields_and_the_closest(make: Any) -> None:
    with pytest.raises(ConfigError) as failure:
        make(denny=["x"])
    assert str(failure.value).startswith(TYPO) and "'verify_timeout'" in str(failure.value)
    with pytest.raises(ConfigError, match=r"\(closest: 'blok_status' -> 'block_status', 'monitr' -> 'monitor'\)"):
        make(monitr=True, blok_status=404)
    with pytest.raises(ConfigError, match=r"unknown field\(s\) \['zzzzzz'\]; valid fields"):
        make(zzzzzz=1)


def test_the_lifespan_shutdown_is_announced_to_botguard() -> None:
    calls: list[str] = []
    _observe.at_shutdown(lambda: calls.append("shutdown"))
    try:
        sent = asyncio.run(lifespan(starlette_app(deny=["(?i)scrapy"])))
    finally:
        _observe._at_shutdown.pop()
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert calls == ["shutdown"]


# --- scope["state"] for every verdict ---------------------------------------------------------------


def test_an_outer_middleware_sees_the_verdict_of_blocked_requests_too() -> None:
    seen: list[Any] = []

    def outer(app: Any) -> Any:
        async def access_log(scope: dict[str, Any], receive: Any, send: Any) -> None:
            scope["state"] = {}
            await app(scope, receive, send)
            seen.append(scope["state"].get("botguard", "missing"))

        return access_log

    app = outer(BotGuardMiddleware(ok_app, deny=[r"(?i)scrapy"], duplicate_ua="reject"))
    assert run(app, http_scope(ua_headers("Scrapy/2.11"))).status == 403
    assert run(app, http_scope(ua_headers("Mozilla/5.0 Firefox/120.0"))).status == 200
    assert run(app, http_scope(ua_headers("a", "b"))).status == 400
    assert seen == [Verdict.DENY, Verdict.NONE, None]  # None: refused for two User-Agent headers


# --- real servers -------------------------------------------------------------------------------------


def start(argv: list[str], fields: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BOTGUARD_TEST_FIELDS": json.dumps(fields)}
    # The server must stop by itself; the timeout only keeps a regression from hanging the suite.
    return subprocess.run([sys.executable, "-m", *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("fields", "message"), [({"deny": ["(unclosed"]}, BAD_REGEX), ({"denny": ["x"]}, TYPO)])
def test_uvicorn_refuses_to_start_and_prints_the_message(fields: dict[str, Any], message: str) -> None:
    done = start(["uvicorn", "tests.apps.first_run_app:app", "--port", str(free_port())], fields)
    assert done.returncode == 3, done.stderr  # uvicorn's "startup failed"
    assert f"ERROR:    botguard: {message}" in done.stderr
    assert "lifespan' protocol appears unsupported" not in done.stderr


@pytest.mark.parametrize(("fields", "message"), [({"deny": ["(unclosed"]}, BAD_REGEX), ({"denny": ["x"]}, TYPO)])
def test_hypercorn_refuses_to_start_and_prints_the_message(fields: dict[str, Any], message: str) -> None:
    bind = f"127.0.0.1:{free_port()}"
    # In one process (`--workers 0`) the failure is the exit status.
    done = start(["hypercorn", "tests.apps.first_run_app:app", "--bind", bind, "--workers", "0"], fields)
    assert done.returncode != 0 and f"Lifespan failure in startup. 'botguard: {message}" in done.stderr
    # With its default worker process hypercorn stops too and prints the same, but hypercorn 0.18
    # loses the worker's exit status on the way out (its exit status is 0): not botguard's to fix.
    done = start(["hypercorn", "tests.apps.first_run_app:app", "--bind", bind], fields)
    assert f"Lifespan failure in startup. 'botguard: {message}" in done.stderr
