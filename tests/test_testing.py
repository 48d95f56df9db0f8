"""`botguard.testing`: overrides that reach every middleware (and only where they should), the
sample data, the assertion helpers, and what framework test clients get."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import gc
import io
import subprocess
import sys
import threading
import unittest
import weakref
from collections.abc import Iterator
from importlib import resources
from typing import Any

import httpx
import pytest
import uvicorn
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from botguard import BotGuardMiddleware, Config, Verdict, classify, explain
from botguard._guard import Guard
from botguard._request import Request as CoreRequest, environ_request
from botguard._override import OVERRIDES
from botguard._rulesets import builtin_ruleset
from botguard.testing import (
    BOT_CATEGORIES,
    assert_allowed,
    assert_blocked,
    disabled,
    enabled,
    override,
    sample_user_agents,
)

from tests.support.asgi_harness import http_scope, ok_app, run, ua_headers
from tests.support.servers import free_port
from tests.support.agents import CHROME, FIREFOX

GPTBOT = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.0; +https://openai.com/gptbot)"
# Explicit configs, so these tests hold whatever the built-in default list becomes.
BLOCK_GPTBOT = Config(deny=[r"(?i)gptbot"], builtin=None)
BLOCK_LIBRARIES = Config(deny=[r"^python-httpx/", r"^python-requests/", r"^curl/"], builtin=None)
BLOCK_NOTHING = Config(builtin=None)


@pytest.fixture(autouse=True)
def no_override_leaks() -> Iterator[None]:
    before = (OVERRIDES.count, OVERRIDES.process_top)
    yield
    assert (OVERRIDES.count, OVERRIDES.process_top) == before, "an override was not left"


def status(app: Any, user_agent: str) -> int | None:
    return run(app, http_scope(ua_headers(user_agent))).status


# --- override, disabled, enabled ---------------------------------------------------------------


def test_override_changes_what_every_middleware_enforces_and_restores_it() -> None:
    lenient, strict = BotGuardMiddleware(ok_app, config=BLOCK_NOTHING), BotGuardMiddleware(ok_app, deny=["(?i)curl"], builtin=None)
    assert (status(lenient, GPTBOT), status(strict, GPTBOT), status(strict, "curl/8")) == (200, 200, 403)
    with override(BLOCK_GPTBOT) as config:
        assert config is BLOCK_GPTBOT
        assert (status(lenient, GPTBOT), status(strict, GPTBOT), status(strict, "curl/8")) == (403, 403, 200)
    assert (status(lenient, GPTBOT), status(strict, GPTBOT), status(strict, "curl/8")) == (200, 200, 403)


def test_override_replaces_the_whole_config_including_the_block_answer() -> None:
    guarded = BotGuardMiddleware(ok_app, config=BLOCK_GPTBOT)
    with override(Config(deny=["(?i)gptbot"], builtin=None, block_status=429, verdict_header="x-botguard")):
        result = run(guarded, http_scope(ua_headers(GPTBOT)))
    assert result.status == 429 and result.headers[b"x-botguard"] == b"deny"


def test_disabled_lets_everything_through_with_verdict_none() -> None:
    guarded = BotGuardMiddleware(ok_app, config=Config(deny=["(?i)gptbot"], missing_ua="block", empty_ua="block"))
    with disabled() as config:
        assert config is not None and config.builtin is None
        for headers in (ua_headers(GPTBOT), [], ua_headers(""), ua_headers(GPTBOT, GPTBOT)):
            result = run(guarded, http_scope(headers))
            assert result.status == 200 and result.app_called
            assert result.scope["state"]["botguard"] is Verdict.NONE
    assert run(guarded, http_scope([])).status == 403


def test_overrides_nest_innermost_wins_and_enabled_restores_own_rules() -> None:
    guarded = BotGuardMiddleware(ok_app, config=BLOCK_LIBRARIES)
    with disabled():
        assert status(guarded, "curl/8") == 200
        with override(BLOCK_GPTBOT):
            assert (status(guarded, GPTBOT), status(guarded, "curl/8")) == (403, 200)
            with enabled() as config:
                assert config is None
                assert (status(guarded, GPTBOT), status(guarded, "curl/8")) == (200, 403)
            assert status(guarded, GPTBOT) == 403
        assert status(guarded, "curl/8") == 200
    assert status(guarded, "curl/8") == 403


def test_an_exception_inside_restores_the_previous_state() -> None:
    guarded = BotGuardMiddleware(ok_app, config=BLOCK_GPTBOT)
    with pytest.raises(ZeroDivisionError):
        with disabled():
            assert status(guarded, GPTBOT) == 200
            1 / 0
    assert status(guarded, GPTBOT) == 403


def test_one_override_object_can_be_entered_again_and_nested() -> None:
    guarded = BotGuardMiddleware(ok_app, config=BLOCK_GPTBOT)
    switch = disabled()
    with switch:
        with switch:
            assert status(guarded, GPTBOT) == 200
        assert status(guarded, GPTBOT) == 200
    assert status(guarded, GPTBOT) == 403
    with pytest.raises(RuntimeError, match="not entered"):
        switch.__exit__(None, None, None)


def test_override_rejects_what_is_not_a_config() -> None:
    with pytest.raises(TypeError, match="Config"):
        override({"deny": ["x"]})  # type: ignore[arg-type]


def test_a_middleware_on_a_config_loader_is_overridden_too() -> None:
    class Loader:
        calls = 0

        def get(self) -> Config:
            Loader.calls += 1
            return BLOCK_GPTBOT

    guarded = BotGuardMiddleware(ok_app, config=Loader())
    with disabled():
        assert status(guarded, GPTBOT) == 200
    assert status(guarded, GPTBOT) == 403


def test_any_adapter_built_on_guard_obeys_overrides() -> None:
    # A WSGI-shaped adapter: what every adapter does is ask Guard.decide.
    guard = Guard(BLOCK_GPTBOT)
    assert guard.decide(CoreRequest((GPTBOT.encode(),))).response is not None
    with disabled():
        decision = guard.decide(CoreRequest((GPTBOT.encode(),)))
        assert decision.response is None and decision.verdict is Verdict.NONE
    with override(BLOCK_LIBRARIES):
        assert guard.current()[0] is BLOCK_LIBRARIES
    assert guard.current()[0] is BLOCK_GPTBOT


# --- as decorators -----------------------------------------------------------------------------

GUARDED = BotGuardMiddleware(ok_app, config=BLOCK_GPTBOT)


@disabled()
def _sync_decorated(ua: str) -> int | None:
    return status(GUARDED, ua)


@override(BLOCK_LIBRARIES)
async def _async_decorated(ua: str) -> int | None:
    await asyncio.sleep(0)
    return await asyncio.to_thread(status, GUARDED, ua)  # to_thread copies the context


def test_decorating_sync_and_async_functions() -> None:
    assert _sync_decorated(GPTBOT) == 200
    assert status(GUARDED, GPTBOT) == 403
    assert asyncio.run(_async_decorated("curl/8")) == 403
    assert asyncio.run(_async_decorated(GPTBOT)) == 200
    assert _sync_decorated.__name__ == "_sync_decorated"


def test_a_decorated_function_that_fails_restores_the_state() -> None:
    @disabled()
    def fails() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError):
        fails()
    assert status(GUARDED, GPTBOT) == 403


def test_decorating_generator_functions_is_refused() -> None:
    def gen() -> Iterator[int]:
        yield 1

    with pytest.raises(TypeError, match="generator"):
        disabled()(gen)


def test_decorating_unittest_classes_sync_and_async() -> None:
    seen: dict[str, int | None] = {}

    @disabled()
    class Sync(unittest.TestCase):
        def setUp(self) -> None:
            seen["setUp"] = status(GUARDED, GPTBOT)

        def test_home(self) -> None:
            seen["sync"] = status(GUARDED, GPTBOT)

        def test_fails(self) -> None:
            raise AssertionError("a failing test still restores the state")

        def tearDown(self) -> None:
            seen["tearDown"] = status(GUARDED, GPTBOT)

    @override(BLOCK_LIBRARIES)
    class Async(unittest.IsolatedAsyncioTestCase):
        async def test_home(self) -> None:
            seen["async-gptbot"] = await asyncio.to_thread(status, GUARDED, GPTBOT)
            seen["async-curl"] = await asyncio.to_thread(status, GUARDED, "curl/8")

    result = unittest.TestResult()
    loader = unittest.defaultTestLoader
    unittest.TestSuite([loader.loadTestsFromTestCase(Sync), loader.loadTestsFromTestCase(Async)]).run(result)
    assert len(result.failures) == 1 and not result.errors, result.errors
    assert seen == {"setUp": 200, "sync": 200, "tearDown": 200, "async-gptbot": 200, "async-curl": 403}
    assert status(GUARDED, GPTBOT) == 403


def test_decorating_a_plain_test_class_wraps_its_test_methods() -> None:
    @disabled()
    class TestThings:
        def test_one(self) -> int | None:
            return status(GUARDED, GPTBOT)

        def helper(self) -> int | None:
            return status(GUARDED, GPTBOT)

    assert (TestThings().test_one(), TestThings().helper()) == (200, 403)


# --- isolation: tasks, threads, and what reaches a server in another thread -------------------


def test_concurrent_tasks_each_see_only_their_own_override() -> None:
    guarded = BotGuardMiddleware(ok_app, config=BLOCK_NOTHING)

    async def scenario() -> dict[str, list[int | None]]:
        both_inside = asyncio.Barrier(3)
        seen: dict[str, list[int | None]] = {}

        async def worker(name: str, switch: Any) -> None:
            async with switch:
                await both_inside.wait()  # all three tasks are inside their overrides at once
                seen[name] = [await _status_async(guarded, ua) for ua in (GPTBOT, "curl/8")]
                await both_inside.wait()

        async def bystander() -> None:
            await both_inside.wait()
            seen["none"] = [await _status_async(guarded, ua) for ua in (GPTBOT, "curl/8")]
            await both_inside.wait()

        await asyncio.gather(worker("gpt", override(BLOCK_GPTBOT)), worker("lib", override(BLOCK_LIBRARIES)), bystander())
        return seen

    assert asyncio.run(scenario()) == {"gpt": [403, 200], "lib": [200, 403], "none": [200, 200]}


async def _status_async(app: Any, ua: str) -> int:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        return (await client.get("/", headers={"user-agent": ua})).status_code


def test_concurrent_threads_each_see_only_their_own_override() -> None:
    guarded = BotGuardMiddleware(ok_app, config=BLOCK_NOTHING)
    barrier = threading.Barrier(3)
    seen: dict[str, list[int | None]] = {}

    def worker(name: str, config: Config | None) -> None:
        with override(config) if config is not None else contextlib.nullcontext():
            barrier.wait()
            seen[name] = [status(guarded, ua) for ua in (GPTBOT, "curl/8")]
            barrier.wait()

    threads = [
        threading.Thread(target=worker, args=args)
        for args in (("gpt", BLOCK_GPTBOT), ("lib", BLOCK_LIBRARIES), ("none", None))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {"gpt": [403, 200], "lib": [200, 403], "none": [200, 200]}


def test_a_task_that_outlives_its_override_sees_it_end() -> None:
    guarded = BotGuardMiddleware(ok_app, config=BLOCK_GPTBOT)

    async def scenario() -> list[int]:
        go_on = asyncio.Event()
        results: list[int] = []

        async def long_lived() -> None:
            results.append(await _status_async(guarded, GPTBOT))
            await go_on.wait()
            results.append(await _status_async(guarded, GPTBOT))

        with disabled():
            task = asyncio.create_task(long_lived())  # copies the context, override included
            await asyncio.sleep(0.05)
        go_on.set()
        await task
        return results

    assert asyncio.run(scenario()) == [200, 403]


@contextlib.contextmanager
def threaded_uvicorn(app: Any) -> Iterator[str]:
    """Serve `app` with a real uvicorn in a thread of this process (as live-server fixtures do)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(400):
            if server.started:
                break
            threading.Event().wait(0.025)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def test_a_server_in_another_thread_sees_process_wide_overrides_only() -> None:
    app = BotGuardMiddleware(ok_app, config=BLOCK_LIBRARIES)
    with threaded_uvicorn(app) as base:
        assert httpx.get(base).status_code == 403  # httpx sends python-httpx/...
        with disabled():  # this thread's context: the server thread does not share it
            assert httpx.get(base).status_code == 403
        with disabled(process_wide=True):
            assert httpx.get(base).status_code == 200
            with override(BLOCK_GPTBOT):  # narrower, but the server does not see this context
                assert httpx.get(base).status_code == 200
            with override(BLOCK_GPTBOT, process_wide=True):  # the newest process-wide one wins
                assert httpx.get(base, headers={"user-agent": GPTBOT}).status_code == 403
            assert httpx.get(base, headers={"user-agent": GPTBOT}).status_code == 200
        assert httpx.get(base).status_code == 403


def test_a_process_wide_override_is_also_in_force_where_it_was_entered() -> None:
    guarded = BotGuardMiddleware(ok_app, config=BLOCK_NOTHING)
    with override(BLOCK_LIBRARIES):
        with disabled(process_wide=True):  # entered later, here: it wins here too
            assert status(guarded, "curl/8") == 200
        assert status(guarded, "curl/8") == 403


def test_a_plain_thread_started_under_a_context_override_does_not_see_it() -> None:
    guarded = BotGuardMiddleware(ok_app, config=BLOCK_GPTBOT)
    seen: list[int | None] = []
    with disabled():
        thread = threading.Thread(target=lambda: seen.append(status(guarded, GPTBOT)))
        thread.start()
        thread.join()
    assert seen == [403]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["disabled", "gpt", "lib", "enabled", "pdisabled"]), max_size=6))
def test_any_nesting_restores_every_level_on_the_way_out(stack: list[str]) -> None:
    guarded = BotGuardMiddleware(ok_app, config=BLOCK_GPTBOT)
    make = {
        "disabled": disabled,
        "gpt": lambda: override(BLOCK_GPTBOT),
        "lib": lambda: override(BLOCK_LIBRARIES),
        "enabled": enabled,
        "pdisabled": lambda: disabled(process_wide=True),
    }
    expected = {"disabled": (200, 200), "gpt": (403, 200), "lib": (200, 403), "enabled": (403, 200), "pdisabled": (200, 200)}
    with contextlib.ExitStack() as stack_cm:
        for level, name in enumerate(stack):
            stack_cm.enter_context(make[name]())
            assert (status(guarded, GPTBOT), status(guarded, "curl/8")) == expected[name], (level, stack)
    assert (status(guarded, GPTBOT), status(guarded, "curl/8")) == (403, 200)


# --- framework test clients --------------------------------------------------------------------


async def echo_user_agent(request: Request) -> PlainTextResponse:
    return PlainTextResponse(request.headers.get("user-agent", "<none>"))


def test_what_the_test_clients_send() -> None:
    echo = Starlette(routes=[Route("/", echo_user_agent)])
    assert TestClient(echo).get("/").text == "testclient"
    assert asyncio.run(_text(echo)).startswith("python-httpx/")
    django = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; from django.conf import settings; settings.configure(); django.setup(); "
            "from django.test import RequestFactory; "
            "print(RequestFactory().get('/').META.get('HTTP_USER_AGENT', '<none>'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert django.stdout.strip() == "<none>"


async def _text(app: Any) -> str:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        return (await client.get("/")).text


def test_the_default_rules_let_starlettes_testclient_and_djangos_missing_header_through() -> None:
    # The documented decision: `testclient` names no bot, and a missing header passes
    # (missing_ua="allow"); HTTP libraries are bots ("library") wherever the list has categories.
    assert not classify("testclient").blocked
    assert not classify(None).blocked
    if any(rule.category == "library" for rule in builtin_ruleset("default").rules):
        assert classify("python-httpx/0.28.1").blocked and classify("python-requests/2.32.3").blocked


def test_starlette_testclient_obeys_overrides_entered_after_it_started() -> None:
    app = Starlette(routes=[Route("/", echo_user_agent)], middleware=[Middleware(BotGuardMiddleware, config=BLOCK_NOTHING)])
    with TestClient(app) as client:  # its event loop runs in a portal thread, started now
        assert client.get("/").status_code == 200
        with override(Config(deny=["^testclient$"], builtin=None)):
            assert client.get("/").status_code == 403  # the portal runs each call in a copy of our context
        assert client.get("/").status_code == 200


def test_httpx_against_a_library_blocking_list_needs_one_switch() -> None:
    app = Starlette(routes=[Route("/", echo_user_agent)], middleware=[Middleware(BotGuardMiddleware, config=BLOCK_LIBRARIES)])
    assert asyncio.run(_status_default_ua(app)) == 403
    with disabled():
        assert asyncio.run(_status_default_ua(app)) == 200


async def _status_default_ua(app: Any) -> int:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        return (await client.get("/")).status_code


# --- sample_user_agents ------------------------------------------------------------------------


def test_what_an_override_put_in_force_is_built_once_and_released_with_it() -> None:
    guarded = BotGuardMiddleware(ok_app, config=BLOCK_NOTHING)
    forced = Config(deny=[r"(?i)gptbot"], builtin=None)
    with override(forced):
        for _ in range(3):
            assert run(guarded, http_scope(ua_headers(GPTBOT))).status == 403
    released = weakref.ref(forced)
    del forced
    gc.collect()
    assert released() is None  # no guard keeps the override's config (and its cache) alive
    assert run(guarded, http_scope(ua_headers(GPTBOT))).status == 200


def test_samples_are_deterministic_sized_and_seeded() -> None:
    assert sample_user_agents("bot", n=25) == sample_user_agents("bot", n=25)
    assert sample_user_agents("bot", n=25) != sample_user_agents("bot", n=25, seed=1)
    assert len(set(sample_user_agents("browser", n=40))) == 40
    assert sample_user_agents("bot", category="ai", n=0) == []
    every_ai = sample_user_agents("bot", category="ai")
    assert len(every_ai) >= 50 and sample_user_agents("bot", category="ai", n=10_000) == every_ai
    assert set(sample_user_agents("bot", category="ai", n=10)) <= set(every_ai)
    assert len(sample_user_agents("browser")) >= 500 and len(sample_user_agents("bot")) >= 2000


def test_every_sample_gets_the_verdict_its_kind_says_under_the_default_rules() -> None:
    # What `assert classify(ua).blocked` over the samples relies on (`build_sample_user_agents.py`).
    assert not [ua for ua in sample_user_agents("bot") if not classify(ua).blocked]
    assert not [ua for ua in sample_user_agents("browser") if classify(ua).blocked]


def test_a_small_bot_sample_shows_every_category() -> None:
    picked = sample_user_agents("bot", n=len(BOT_CATEGORIES))
    by_category = {c: set(sample_user_agents("bot", category=c)) for c in BOT_CATEGORIES}
    assert sorted(next(c for c, pool in by_category.items() if ua in pool) for ua in picked) == sorted(BOT_CATEGORIES)


def test_ai_samples_are_ai_crawlers() -> None:
    known = ("GPTBot", "ChatGPT-User", "ClaudeBot", "anthropic-ai", "PerplexityBot", "CCBot", "Bytespider")
    ai = sample_user_agents("bot", category="ai")
    for name in known:
        assert any(name in ua for ua in ai), name
    library = sample_user_agents("bot", category="library")
    assert any(ua.startswith("python-requests/") for ua in library) and any(ua.startswith("curl/") for ua in library)
    assert any("Uptime-Kuma" in ua for ua in sample_user_agents("bot", category="monitor"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "human"}, "unknown kind"),
        ({"kind": "bot", "category": "crawler"}, "unknown category"),
        ({"kind": "browser", "category": "ai"}, "only bots"),
        ({"kind": "bot", "n": -1}, "n must be"),
        ({"kind": "bot", "n": 2.5}, "n must be"),
    ],
)
def test_bad_sample_arguments_are_value_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        sample_user_agents(**kwargs)


def test_the_shipped_data_is_labelled_permissive_and_clean() -> None:
    data = resources.files("botguard") / "data"
    rows = list(csv.DictReader(io.StringIO((data / "sample_user_agents.tsv").read_text("utf-8")), delimiter="\t", quoting=csv.QUOTE_NONE))
    # "botguard": the attack probes written for the file (no public collection of a permissive licence has them).
    allowed = {
        "isbot/crawlers.yml", "isbot/browsers.yml", "isbot/browsers.yml#insignificant-bots",
        "monperrus/crawler-user-agents.json", "botguard",
    }
    assert rows and len({r["user_agent"] for r in rows}) == len(rows)
    for row in rows:
        assert set(row["source"].split(",")) <= allowed, row
        assert (row["kind"], bool(row["category"])) in {("bot", True), ("browser", False)}, row
        assert row["kind"] == "browser" or row["category"] in BOT_CATEGORIES
        assert row["user_agent"] == row["user_agent"].strip() and row["user_agent"].isprintable()
    for name in ("sample_user_agents.md", "LICENSE.isbot.txt", "LICENSE.crawler-user-agents.txt"):
        assert (data / name).is_file()


def test_no_sample_browser_is_a_bot_to_the_built_in_lists() -> None:
    for builtin in ("default", "kong"):
        config = Config(builtin=builtin)
        assert [ua for ua in sample_user_agents("browser") if classify(ua, config).blocked] == []


# --- assert_blocked / assert_allowed -----------------------------------------------------------


def test_assertions_against_a_config_explain_their_failures() -> None:
    config = Config(allow=[r"^curl/"], deny=[r"(?i)gptbot"], builtin=None)
    assert assert_blocked(config, GPTBOT).rule_list == "deny"
    assert assert_allowed(config, "curl/8.4.0").verdict is Verdict.ALLOW
    with pytest.raises(AssertionError) as failure:
        assert_allowed(config, GPTBOT)
    assert "expected botguard to allow" in str(failure.value) and "DENY: deny[0] '(?i)gptbot' (deny)" in str(failure.value)
    assert "matching 'GPTBot'" in str(failure.value)
    with pytest.raises(AssertionError, match=r"it passes: ALLOW: allow\[0\] '\^curl/' \(allow\)"):
        assert_blocked(config, "curl/8.4.0")
    with pytest.raises(AssertionError, match="it passes: NONE: no rule matched"):
        assert_blocked(config, CHROME)


def test_assertions_on_policies_and_monitor_mode() -> None:
    assert_blocked(Config(missing_ua="block", builtin=None), None)
    with pytest.raises(AssertionError, match="without a User-Agent.*policy"):
        assert_allowed(Config(missing_ua="block", builtin=None), None)
    with pytest.raises(AssertionError, match="monitor mode"):
        assert_blocked(Config(deny=["(?i)gptbot"], monitor=True), GPTBOT)


def test_a_builtin_rule_is_named_with_a_short_pattern_and_the_text_it_matched() -> None:
    with pytest.raises(AssertionError) as failure:
        assert_allowed(Config(builtin="kong"), "Googlebot/2.1 (+http://www.google.com/bot.html)")
    message = str(failure.value)
    assert "BOT: builtin[" in message and "(kong/rules.lua, other)" in message and "matching 'Googlebot/2.1'" in message
    assert len(message) < 400


def test_a_failure_message_holds_what_explain_says() -> None:
    for user_agent in ("curl/8.4.0", "GPTBot/1.0"):
        with pytest.raises(AssertionError) as failure:
            assert_allowed(Config(), user_agent)
        assert str(explain(user_agent)) in str(failure.value)


def _app() -> Starlette:
    async def home(request: Request) -> JSONResponse:
        return JSONResponse({"verdict": request.state.botguard.name})

    api = BotGuardMiddleware(Starlette(routes=[Route("/health", home)]), allow=[r"^curl/"], deny=[r"(?i)gptbot"], builtin=None)
    site = BotGuardMiddleware(Starlette(routes=[Route("/", home)]), deny=[r"(?i)gptbot", r"^curl/"], builtin=None)
    return Starlette(routes=[Mount("/api", app=api), Mount("/", app=site)])


def test_assertions_against_an_asgi_app_follow_its_routes() -> None:
    app = _app()
    assert_blocked(app, GPTBOT)
    assert_blocked(app, "curl/8.4.0")
    assert assert_allowed(app, "curl/8.4.0", path="/api/health").verdict is Verdict.ALLOW
    assert_allowed(app, CHROME, path="/?q=1")
    with pytest.raises(AssertionError, match=r"allow 'curl/8.4.0' at GET /, but it is refused by DENY: deny\[1\] '\^curl/'"):
        assert_allowed(app, "curl/8.4.0")
    with pytest.raises(AssertionError, match=r"block 'curl/8.4.0' at GET /api/health, but it passes: ALLOW"):
        assert_blocked(app, "curl/8.4.0", path="/api/health")


def test_assertions_against_an_app_see_the_overrides_in_force() -> None:
    app = _app()
    with disabled():
        assert_allowed(app, GPTBOT)
        with pytest.raises(AssertionError, match=r"botguard is switched off here \(botguard.testing.disabled\(\)"):
            assert_blocked(app, GPTBOT)
    assert_blocked(app, GPTBOT)


@pytest.mark.parametrize("target", ["app", "config"])
def test_one_rule_for_apps_and_configs_the_overrides_in_force_apply(target: str) -> None:
    judged: Any = _app() if target == "app" else Config(deny=[r"(?i)gptbot", r"^curl/"], builtin=None)
    with disabled(process_wide=True):  # what `pytest --botguard-disable` enters
        assert_allowed(judged, GPTBOT)
        with pytest.raises(AssertionError) as failure:
            assert_blocked(judged, GPTBOT)
        assert "botguard is switched off here" in str(failure.value)
        assert "@pytest.mark.botguard" in str(failure.value)
        with enabled():  # what the marker enters: the rules under test again
            assert_blocked(judged, GPTBOT)
            with pytest.raises(AssertionError) as failure:
                assert_allowed(judged, GPTBOT)
            assert "override" not in str(failure.value) and "switched off" not in str(failure.value)
    with override(BLOCK_NOTHING):
        with pytest.raises(AssertionError) as failure:
            assert_blocked(judged, "curl/8.4.0")
        assert "it passes: NONE" in str(failure.value)
        assert "a botguard.testing override is in force: its config decided" in str(failure.value)
    with override(BLOCK_LIBRARIES):
        assert_blocked(judged, "curl/8.4.0")
        assert_allowed(judged, GPTBOT)


def test_a_config_failure_claims_no_override_when_none_is_in_force() -> None:
    with pytest.raises(AssertionError) as failure:
        assert_blocked(BLOCK_GPTBOT, CHROME)
    assert str(failure.value) == (
        f"expected botguard to block {CHROME!r}, but it passes: NONE: no rule matched"
    )


def test_assertions_against_an_app_without_botguard() -> None:
    plain = Starlette(routes=[Route("/", echo_user_agent)])
    assert assert_allowed(plain, GPTBOT).verdict is Verdict.NONE
    with pytest.raises(AssertionError, match="no botguard middleware judged the request"):
        assert_blocked(plain, GPTBOT)


def test_assertions_against_an_app_that_fails_judge_botguard_only() -> None:
    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("database down")

    app = BotGuardMiddleware(broken, config=BLOCK_GPTBOT)
    assert_blocked(app, GPTBOT)
    assert_allowed(app, CHROME)
    with pytest.raises(AssertionError, match="the app raised RuntimeError: database down"):
        assert_blocked(app, CHROME)


def _guarded_wsgi_app(config: Config) -> Any:
    """A WSGI app that a `Guard` with `config` guards, as the WSGI middleware does."""
    guard = Guard(config)

    def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        decision = guard.decide(environ_request(environ))
        if decision.response is not None:
            start_response(f"{decision.response.status} Forbidden", [])
            return [decision.response.body]
        start_response("200 OK", [("content-type", "text/plain")])
        return [b"yes"]

    return wsgi_app


def test_assertions_against_a_wsgi_app() -> None:
    wsgi_app = _guarded_wsgi_app(BLOCK_GPTBOT)
    assert_blocked(wsgi_app, GPTBOT)
    assert_allowed(wsgi_app, CHROME)
    assert_allowed(wsgi_app, None)
    with disabled():
        assert_allowed(wsgi_app, GPTBOT)


def test_a_browser_user_agent_comes_with_its_browser_headers_under_check_headers() -> None:
    # A person's browser sends Accept and Accept-Language; a script that only copies the
    # User-Agent does not, and check_headers refuses it. The assertions send what the browser would.
    async def home(request: Request) -> PlainTextResponse:
        return PlainTextResponse(request.headers.get("accept-language", "-"))

    app = BotGuardMiddleware(Starlette(routes=[Route("/", home)]), check_headers=True)
    assert assert_allowed(app, CHROME).verdict is Verdict.NONE
    assert_allowed(app, FIREFOX)
    assert_blocked(app, "curl/8.4.0")
    wsgi_app = _guarded_wsgi_app(Config(check_headers=True))
    assert_allowed(wsgi_app, CHROME)
    assert_blocked(wsgi_app, "python-requests/2.31.0")


def test_assertions_work_from_async_tests() -> None:
    async def inside_a_running_loop() -> None:
        assert_blocked(_app(), GPTBOT)
        with disabled():
            assert_allowed(_app(), GPTBOT)

    asyncio.run(inside_a_running_loop())


def test_assertions_reject_what_is_neither_config_nor_app() -> None:
    with pytest.raises(TypeError, match="Config or an ASGI/WSGI app"):
        assert_blocked("not an app", GPTBOT)
