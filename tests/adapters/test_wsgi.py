"""The WSGI middleware: the ASGI middleware's answers through PEP 3333, threads, real servers, Flask."""

from __future__ import annotations

import json
import random
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botguard import BotGuardMiddleware, BotGuardWSGIMiddleware, Config, ConfigError, Verdict, cache_info

from tests.support.asgi_harness import http_scope, ua_headers
from tests.support.asgi_harness import ok_app as asgi_ok_app
from tests.support.asgi_harness import run as run_asgi
from tests.support.servers import serve_gunicorn
from tests.support.wsgi_harness import (
    call,
    environ_for,
    ok_app,
    raw_request,
    serve_werkzeug,
    serve_wsgiref,
    two_user_agents,
)
from tests.support.agents import CHROME, GOOGLEBOT



def test_browser_passes_with_its_verdict_in_the_environ() -> None:
    result = call(BotGuardWSGIMiddleware(ok_app), environ_for(CHROME))
    assert result.code == 200 and result.app_called and result.body == b"ok"
    assert result.environ["botguard.verdict"] is Verdict.NONE


def test_bot_gets_403_json_no_store_and_the_app_never_runs() -> None:
    result = call(BotGuardWSGIMiddleware(ok_app), environ_for(GOOGLEBOT))
    assert result.status == "403 Forbidden" and not result.app_called
    assert result.json() == {"message": "Forbidden"}
    assert result.header("content-type") == "application/json"
    assert result.header("cache-control") == "no-store"
    assert int(result.header("content-length") or -1) == len(result.body)
    assert "botguard.verdict" not in result.environ


def test_missing_header_passes_with_none_and_deny_fields_work() -> None:
    result = call(BotGuardWSGIMiddleware(ok_app), environ_for(None))
    assert result.code == 200 and result.environ["botguard.verdict"] is Verdict.NONE
    guarded = BotGuardWSGIMiddleware(ok_app, deny=[r"(?i)scrapy"])
    assert call(guarded, environ_for("Scrapy/2.11")).code == 403
    assert call(BotGuardWSGIMiddleware(ok_app, missing_ua="block"), environ_for(None)).code == 403


def test_a_merged_header_is_judged_as_one_user_agent() -> None:
    # What wsgiref, gunicorn and werkzeug hand over for two User-Agent headers.
    guarded = BotGuardWSGIMiddleware(ok_app)
    assert call(guarded, environ_for(f"{CHROME},{GOOGLEBOT}")).code == 403
    both_browsers = call(guarded, environ_for(f"{CHROME},{CHROME}"))
    assert both_browsers.code == 200 and both_browsers.environ["botguard.verdict"] is Verdict.NONE


def test_utf8_and_binary_user_agents_decode_as_under_asgi() -> None:
    guarded = BotGuardWSGIMiddleware(ok_app, deny=["Zoë"])
    assert call(guarded, environ_for("Zoë/1.0".encode())).code == 403  # UTF-8 bytes, as latin-1 text
    assert call(BotGuardWSGIMiddleware(ok_app), environ_for(b"\xff\xfe " + GOOGLEBOT.encode())).code == 403
    # A server outside PEP 3333 that passes real text: still judged.
    assert call(guarded, environ_for("Zoë/1.0 ☃")).code == 403


CONFIGS = {
    "default": {},
    "verdict header": {"verdict_header": "X-Botguard"},
    "custom answer": {"block_status": 429, "block_body": "<p>slow down</p>", "block_content_type": "text/html", "retry_after": 60},
    "monitor": {"monitor": True, "verdict_header": "X-Botguard"},
    "kong list": {"builtin": "kong", "deny": ["(?i)scrapy"]},
}


@pytest.mark.parametrize("user_agent", [CHROME, GOOGLEBOT, "Scrapy/2.11", None, ""])
@pytest.mark.parametrize("fields", CONFIGS.values(), ids=CONFIGS.keys())
def test_same_answer_as_the_asgi_middleware(fields: dict[str, Any], user_agent: str | None) -> None:
    config = Config(**fields)
    asgi = run_asgi(BotGuardMiddleware(asgi_ok_app, config=config), http_scope(ua_headers(user_agent) if user_agent is not None else []))
    wsgi = call(BotGuardWSGIMiddleware(ok_app, config=config), environ_for(user_agent))
    assert wsgi.code == asgi.status and wsgi.app_called == asgi.app_called
    if not asgi.app_called:
        assert wsgi.body == asgi.body
        assert [(k.encode(), v.encode()) for k, v in wsgi.headers] == list(asgi.headers.items())
    else:
        assert wsgi.environ["botguard.verdict"] is asgi.scope["state"]["botguard"]
        expected = asgi.headers.get(b"x-botguard")
        assert wsgi.header("x-botguard") == (None if expected is None else expected.decode())


def test_verdict_header_on_passes_and_blocks() -> None:
    guarded = BotGuardWSGIMiddleware(ok_app, verdict_header="X-Botguard", allow=[r"^curl/"])
    assert call(guarded, environ_for("curl/8.4.0")).header("x-botguard") == "allow"
    assert call(guarded, environ_for(CHROME)).header("x-botguard") == "none"
    assert call(guarded, environ_for(GOOGLEBOT)).header("x-botguard") == "bot"


def test_monitor_passes_bots_with_their_verdict() -> None:
    result = call(BotGuardWSGIMiddleware(ok_app, monitor=True), environ_for(GOOGLEBOT))
    assert result.code == 200 and result.environ["botguard.verdict"] is Verdict.BOT


def test_on_block_receives_the_environ() -> None:
    seen: list[tuple[dict[str, Any], Verdict]] = []

    def on_block(environ: dict[str, Any], verdict: Verdict) -> tuple[int, list[tuple[str, str]], str]:
        seen.append((environ, verdict))
        return 451, [("content-type", "text/plain"), ("x-path", environ["PATH_INFO"])], "not for bots"

    environ = environ_for(GOOGLEBOT, path="/feed")
    result = call(BotGuardWSGIMiddleware(ok_app, on_block=on_block), environ)
    assert result.status == "451 Unavailable For Legal Reasons" and result.body == b"not for bots"
    assert result.header("x-path") == "/feed" and result.header("content-length") == "12"
    assert seen == [(environ, Verdict.BOT)]


def test_a_failing_on_block_falls_back_to_the_configured_answer(caplog: pytest.LogCaptureFixture) -> None:
    def on_block(environ: dict[str, Any], verdict: Verdict) -> Any:
        raise RuntimeError("boom")

    result = call(BotGuardWSGIMiddleware(ok_app, on_block=on_block), environ_for(GOOGLEBOT))
    assert result.code == 403 and result.json() == {"message": "Forbidden"}
    assert "on_block failed" in caplog.text


def test_the_prebuilt_header_list_is_never_shared_with_a_server() -> None:
    def mutating_start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        headers.append(("Date", "now"))  # as some servers do to the list they are given
        return lambda data: None

    guarded = BotGuardWSGIMiddleware(ok_app)
    for _ in range(3):
        guarded(environ_for(GOOGLEBOT), mutating_start_response)
    assert [k for k, _ in call(guarded, environ_for(GOOGLEBOT)).headers].count("Date") == 0


def test_config_argument_rules() -> None:
    config = Config(builtin=None)
    assert call(BotGuardWSGIMiddleware(ok_app, config=config), environ_for(GOOGLEBOT)).code == 200
    with pytest.raises(ConfigError, match="either config= or the fields"):
        BotGuardWSGIMiddleware(ok_app, config=config, deny=["x"])
    with pytest.raises(ConfigError, match=r"deny\[0\]: not a valid regex"):
        BotGuardWSGIMiddleware(ok_app, deny=["("])


def test_a_loader_is_asked_for_the_config_in_force() -> None:
    class Swappable:
        def __init__(self) -> None:
            self.config = Config(builtin=None)

        def get(self) -> Config:
            return self.config

    loader = Swappable()
    guarded = BotGuardWSGIMiddleware(ok_app, config=loader)
    assert call(guarded, environ_for("FooFetcher/2.11")).code == 200
    loader.config = Config(builtin=None, deny=["(?i)foofetcher"])
    assert call(guarded, environ_for("FooFetcher/2.11")).code == 403


@given(ua=st.binary(max_size=200).filter(lambda b: b"\r" not in b and b"\n" not in b))
@settings(max_examples=300, deadline=None)
def test_any_user_agent_gets_the_asgi_verdict(ua: bytes) -> None:
    config = Config(deny=["(?i)evil"])
    asgi = run_asgi(BotGuardMiddleware(asgi_ok_app, config=config), http_scope(ua_headers(ua)))
    wsgi = call(BotGuardWSGIMiddleware(ok_app, config=config), environ_for(ua))
    assert wsgi.code == asgi.status


def test_one_cache_per_config_shared_by_middleware_built_with_it() -> None:
    config = Config(deny=["(?i)scrapy"])
    first, second = BotGuardWSGIMiddleware(ok_app, config=config), BotGuardWSGIMiddleware(ok_app, config=config)
    assert first.guard.current()[1] is second.guard.current()[1]
    assert BotGuardWSGIMiddleware(ok_app, deny=["(?i)scrapy"]).guard.current()[1] is not first.guard.current()[1]


def test_thread_safe_under_many_threads() -> None:
    config = Config(deny=["(?i)scrapy"], allow=[r"^curl/"], cache_size=64)  # small: evictions race too
    guarded = BotGuardWSGIMiddleware(ok_app, config=config)
    agents = {f"Mozilla/5.0 Browser/{i}": 200 for i in range(100)}
    agents |= {f"Scrapy/{i}": 403 for i in range(50)} | {f"Googlebot/{i}": 403 for i in range(50)}
    agents |= {f"curl/{i} Googlebot": 200 for i in range(50)}
    work = random.Random(7).choices(list(agents), k=6000)

    def one(ua: str) -> tuple[str, int, bool]:
        result = call(guarded, environ_for(ua))
        return ua, result.code, result.app_called

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(one, work))
    assert all(code == agents[ua] and called == (code == 200) for ua, code, called in results)
    assert len(guarded.guard.current()[1]) <= 64


# -- real servers ---------------------------------------------------------------------------------

MERGING_SERVERS = ["wsgiref", "werkzeug", "gunicorn"]


def _served(server: str, app_path: str) -> Any:
    if server == "wsgiref":
        module, attr = app_path.split(":")
        return serve_wsgiref(getattr(__import__(module, fromlist=[attr]), attr))
    if server == "werkzeug":
        module, attr = app_path.split(":")
        return serve_werkzeug(getattr(__import__(module, fromlist=[attr]), attr))
    return serve_gunicorn(app_path)


@pytest.mark.parametrize("server", MERGING_SERVERS)
def test_which_servers_merge_duplicate_user_agents(server: str) -> None:
    """The facts the README states: each of these servers joins two User-Agent headers with ","."""
    with _served(server, "tests.apps.wsgi_echo:app") as base:
        merged = raw_request(base, two_user_agents("/", CHROME, "Second/1.0"))
        assert merged.startswith(b"HTTP/1.1 200") or merged.startswith(b"HTTP/1.0 200")
        seen = json.loads(merged.split(b"\r\n\r\n", 1)[1])
        assert seen == {"user_agent": f"{CHROME},Second/1.0", "verdict": "NONE"}
        # A bot's name in either header is still found by the unanchored rules.
        assert b" 403 " in raw_request(base, two_user_agents("/", CHROME, GOOGLEBOT)).split(b"\r\n", 1)[0]


@pytest.mark.parametrize("server", ["wsgiref", "gunicorn"])
def test_wsgi_example_under_a_real_server(server: str) -> None:
    with _served(server, "examples.wsgi_app:app") as base:
        browser = httpx.get(base + "/", headers={"user-agent": CHROME})
        assert browser.status_code == 200 and browser.json() == {"hello": "human", "verdict": "NONE"}
        bot = httpx.get(base + "/", headers={"user-agent": GOOGLEBOT})
        assert bot.status_code == 403 and bot.json() == {"message": "Forbidden"}
        assert bot.headers["cache-control"] == "no-store" and bot.headers["content-type"] == "application/json"
        # Per-route rules: the site refuses scripts, /api admits them but not crawlers.
        assert httpx.get(base + "/", headers={"user-agent": "curl/8.4.0"}).status_code == 403
        api = httpx.get(base + "/api/status", headers={"user-agent": "curl/8.4.0"})
        assert api.status_code == 200 and api.json() == {"status": "ok", "verdict": "ALLOW"}
        assert httpx.get(base + "/api/status", headers={"user-agent": "python-requests/2.32"}).status_code == 200
        assert httpx.get(base + "/api/status", headers={"user-agent": GOOGLEBOT}).status_code == 403
        # Two User-Agent headers: the server joins them, so there is no 400 to see; the joined value
        # is judged (a bot in either is refused, two browsers pass).
        assert b" 403 " in raw_request(base, two_user_agents("/", CHROME, GOOGLEBOT)).split(b"\r\n", 1)[0]
        assert b" 200 " in raw_request(base, two_user_agents("/", CHROME, CHROME)).split(b"\r\n", 1)[0]


def test_threaded_gunicorn_answers_concurrent_clients_correctly() -> None:
    agents = [(CHROME, 200), (GOOGLEBOT, 403), ("curl/8.4.0", 403)] + [(f"Mozilla/5.0 Tab/{i}", 200) for i in range(20)]
    with _served("gunicorn", "examples.wsgi_app:app") as base:

        def one(item: tuple[str, int]) -> bool:
            return httpx.get(base + "/", headers={"user-agent": item[0]}).status_code == item[1]

        with ThreadPoolExecutor(max_workers=8) as pool:
            assert all(pool.map(one, agents * 8))


def test_flask_wsgi_app_line() -> None:
    from flask import Flask, request

    app = Flask(__name__)

    @app.get("/")
    def home() -> dict[str, str]:
        return {"verdict": request.environ["botguard.verdict"].name}

    app.wsgi_app = BotGuardWSGIMiddleware(app.wsgi_app, deny=[r"(?i)scrapy"])  # type: ignore[method-assign]
    client = app.test_client()
    browser = client.get("/", headers={"User-Agent": CHROME})
    assert browser.status_code == 200 and browser.json == {"verdict": "NONE"}
    for bot in (GOOGLEBOT, "Scrapy/2.11"):
        blocked = client.get("/", headers={"User-Agent": bot})
        assert blocked.status_code == 403 and blocked.json == {"message": "Forbidden"}
        assert blocked.headers["Cache-Control"] == "no-store"
    with serve_werkzeug(app) as base:
        assert httpx.get(base + "/", headers={"user-agent": CHROME}).json() == {"verdict": "NONE"}
        assert httpx.get(base + "/", headers={"user-agent": GOOGLEBOT}).status_code == 403


def test_cache_info_counts_one_cache_per_config() -> None:
    import gc

    gc.collect()
    gc.disable()
    try:
        before = cache_info().caches
        shared = Config(deny=["(?i)scrapy"])
        kept = [BotGuardWSGIMiddleware(ok_app, config=shared) for _ in range(3)]
        kept += [BotGuardWSGIMiddleware(ok_app, deny=["(?i)scrapy"]) for _ in range(2)]
        assert cache_info().caches - before == 3
    finally:
        gc.enable()
    assert len(kept) == 5
