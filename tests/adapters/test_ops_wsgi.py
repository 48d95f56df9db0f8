"""Running in production (issue 6) through the WSGI adapter: the same monitor mode, policies,
answers, counters and log lines as under ASGI, with a plain harness and a real wsgiref server."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

import botguard
from botguard import Config, Verdict
from botguard._wsgi import BotGuardWSGIMiddleware

from tests.test_ops import CHROME, GOOGLEBOT, HTML, SCRAPY, Counting, lines
from tests.support.wsgi_harness import call, environ_for, ok_app, raw_request, serve_wsgiref


@pytest.fixture
def botlog(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="botguard")
    return caplog


def test_monitor_mode_passes_with_the_verdict_counts_and_logs(botlog: pytest.LogCaptureFixture) -> None:
    guarded = BotGuardWSGIMiddleware(ok_app, monitor=True, deny=[r"(?i)scrapy"])
    with Counting() as counted:
        bot = call(guarded, environ_for(GOOGLEBOT, path="/pricing"))
        denied = call(guarded, environ_for(SCRAPY))
        browser = call(guarded, environ_for(CHROME))
    assert bot.code == denied.code == browser.code == 200 and bot.app_called and denied.app_called
    assert bot.environ["botguard.verdict"] is Verdict.BOT and denied.environ["botguard.verdict"] is Verdict.DENY
    assert counted.requests() == {("bot", "monitored"): 1, ("deny", "monitored"): 1, ("none", "passed"): 1}
    logged = lines(botlog)
    assert len(logged) == 2 and logged[0].startswith("would block verdict=bot rule=builtin[")
    assert 'path="/pricing"' in logged[0] and f'user_agent="{GOOGLEBOT}"' in logged[0]


def test_monitor_mode_never_refuses_a_policy() -> None:
    result = call(BotGuardWSGIMiddleware(ok_app, monitor=True, missing_ua="block"), environ_for(None))
    assert result.code == 200 and result.environ["botguard.verdict"] is Verdict.DENY


def test_missing_and_empty_ua_policies() -> None:
    assert call(BotGuardWSGIMiddleware(ok_app, missing_ua="block"), environ_for(None)).code == 403
    assert call(BotGuardWSGIMiddleware(ok_app), environ_for(None)).code == 200
    assert call(BotGuardWSGIMiddleware(ok_app, empty_ua="block"), environ_for("  ")).code == 403
    assert call(BotGuardWSGIMiddleware(ok_app, empty_ua="block"), environ_for(None)).code == 200
    assert call(BotGuardWSGIMiddleware(ok_app, empty_ua="block", allow=["^$"]), environ_for("")).code == 200


def test_custom_status_body_content_type_retry_after_and_verdict_header() -> None:
    guarded = BotGuardWSGIMiddleware(
        ok_app, block_status=429, block_body=HTML, block_content_type="text/html; charset=utf-8",
        retry_after=120, verdict_header="X-Bot-Verdict",
    )
    result = call(guarded, environ_for(GOOGLEBOT))
    assert result.status == "429 Too Many Requests" and result.body == HTML.encode()
    assert result.header("content-type") == "text/html; charset=utf-8" and result.header("retry-after") == "120"
    assert result.header("cache-control") == "no-store" and result.header("x-bot-verdict") == "bot"
    assert call(guarded, environ_for(CHROME)).header("x-bot-verdict") == "none"


def test_on_block_receives_the_environ_and_shapes_the_answer() -> None:
    seen: list[tuple[str, Verdict]] = []

    def on_block(environ: dict[str, Any], verdict: Verdict) -> tuple[int, list[tuple[str, str]], str]:
        seen.append((environ["PATH_INFO"], verdict))
        return 403, [("Content-Type", "application/problem+json")], json.dumps({"verdict": verdict.name})

    result = call(BotGuardWSGIMiddleware(ok_app, on_block=on_block), environ_for(GOOGLEBOT, path="/x"))
    assert seen == [("/x", Verdict.BOT)] and result.json() == {"verdict": "BOT"}
    assert result.header("content-length") == str(len(result.body))


@pytest.mark.parametrize("answer", [(101, [], b""), (403, [("X", "a\r\nb")], b""), (403, [], 42)])
def test_an_unusable_hook_answer_falls_back(answer: tuple[Any, Any, Any], botlog: pytest.LogCaptureFixture) -> None:
    result = call(BotGuardWSGIMiddleware(ok_app, on_block=lambda e, v: answer), environ_for(GOOGLEBOT))
    assert result.code == 403 and result.json() == {"message": "Forbidden"}
    assert "on_block failed" in botlog.text


def test_grpc_content_type_gets_the_trailers_only_answer_in_headers() -> None:
    environ = environ_for(GOOGLEBOT)
    environ["CONTENT_TYPE"] = "application/grpc"
    result = call(BotGuardWSGIMiddleware(ok_app), environ)
    assert result.status == "200 OK" and result.body == b""
    assert (result.header("grpc-status"), result.header("grpc-message")) == ("7", "Forbidden")
    assert result.header("content-type") == "application/grpc" and result.header("content-length") == "0"


def test_log_line_escapes_a_hostile_agent_and_uses_script_name(botlog: pytest.LogCaptureFixture) -> None:
    environ = environ_for(b"Googlebot/2.1\r\nFAKE LINE\x1b[31m", path="/login")
    environ["SCRIPT_NAME"] = "/app"
    call(BotGuardWSGIMiddleware(ok_app), environ)
    (line,) = lines(botlog)
    assert 'path="/app/login"' in line and 'user_agent="Googlebot/2.1\\r\\nFAKE LINE\\x1b[31m"' in line


def _app_with_metrics(guarded: Callable[..., Any]) -> Callable[..., Any]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ["PATH_INFO"] == "/metrics":
            botguard.prometheus.register()
            body = generate_latest()
            start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST), ("Content-Length", str(len(body)))])
            return [body]
        return list(guarded(environ, start_response))

    return app


def test_under_real_wsgiref_monitor_then_enforce(botlog: pytest.LogCaptureFixture) -> None:
    for monitor in (True, False):
        config = Config(monitor=monitor, deny=[r"(?i)scrapy"], retry_after=30)
        guarded = BotGuardWSGIMiddleware(ok_app, config=config)
        with Counting() as counted, serve_wsgiref(_app_with_metrics(guarded)) as base:
            answers = [httpx.get(base + "/", headers={"user-agent": ua}) for ua in (CHROME, GOOGLEBOT, SCRAPY)]
            metrics = httpx.get(base + "/metrics").text
            no_header = raw_request(base, ["GET / HTTP/1.1", "Host: x", "Connection: close"])
        action = "monitored" if monitor else "blocked"
        assert [a.status_code for a in answers] == ([200, 200, 200] if monitor else [200, 403, 403])
        assert counted.requests() == {("none", "passed"): 2, ("bot", action): 1, ("deny", action): 1}
        assert f'botguard_requests_total{{action="{action}",verdict="bot"}}' in metrics
        assert no_header.startswith(b"HTTP/1.0 200") or no_header.startswith(b"HTTP/1.1 200")
        if not monitor:
            assert answers[1].headers["retry-after"] == "30"
    words = [line.split(" verdict=")[0] for line in lines(botlog)]
    assert words == ["would block"] * 2 + ["blocked"] * 2
    assert botguard.stats()["requests"]["deny"]["blocked"] >= 1
