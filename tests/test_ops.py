"""Running in production (issue 6): monitor mode, policies, custom and gRPC answers, counters,
Prometheus metrics and block logs; through the raw ASGI harness, then real uvicorn and hypercorn."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

import botguard
from botguard import BotGuardMiddleware, Config, Verdict
from botguard._observe import LOG_CHARS, record_reload, safe_text
from botguard.prometheus import BotguardCollector

from tests.support.asgi_harness import http_scope, ok_app, run, ua_headers
from tests.support.servers import free_port, raw_request, serve, serve_uvicorn

from tests.support.agents import CHROME, GOOGLEBOT, SCRAPY


def requests_counted(verdict: str, action: str) -> int:
    return int(botguard.stats()["requests"][verdict][action])


class Counting:
    """The change in botguard's request counters across a block of code."""

    def __enter__(self) -> Counting:
        self.before = botguard.stats()
        return self

    def __exit__(self, *exc: object) -> None:
        self.after = botguard.stats()

    def requests(self) -> dict[tuple[str, str], int]:
        """(verdict, action) -> how many more, for the pairs that moved."""
        moved = {}
        for verdict, actions in self.after["requests"].items():
            for action, count in actions.items():
                if count != self.before["requests"][verdict][action]:
                    moved[(verdict, action)] = count - self.before["requests"][verdict][action]
        return moved


@pytest.fixture
def botlog(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG, logger="botguard")
    yield caplog


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "botguard"]


# -- monitor mode ------------------------------------------------------------------------------


def test_monitor_mode_passes_bots_with_their_verdict_counts_and_logs_would_block(
    botlog: pytest.LogCaptureFixture,
) -> None:
    guarded = BotGuardMiddleware(ok_app, monitor=True, deny=[r"(?i)scrapy"])
    with Counting() as counted:
        bot = run(guarded, http_scope(ua_headers(GOOGLEBOT), path="/pricing"))
        denied = run(guarded, http_scope(ua_headers(SCRAPY), path="/a"))
        browser = run(guarded, http_scope(ua_headers(CHROME)))
    assert bot.status == denied.status == browser.status == 200
    assert bot.app_called and denied.app_called
    assert bot.scope["state"]["botguard"] is Verdict.BOT
    assert denied.scope["state"]["botguard"] is Verdict.DENY
    assert counted.requests() == {("bot", "monitored"): 1, ("deny", "monitored"): 1, ("none", "passed"): 1}
    logged = lines(botlog)
    assert len(logged) == 2
    assert logged[0].startswith('would block verdict=bot rule=builtin[') and 'path="/pricing"' in logged[0]
    assert f'user_agent="{GOOGLEBOT}"' in logged[0]
    assert logged[1].startswith('would block verdict=deny rule=deny[0] ') and 'pattern="(?i)scrapy"' in logged[1]
    assert all(r.levelno == logging.INFO for r in botlog.records)


def test_monitor_mode_never_refuses_policies_or_duplicates(botlog: pytest.LogCaptureFixture) -> None:
    guarded = BotGuardMiddleware(ok_app, monitor=True, missing_ua="block", empty_ua="block")
    with Counting() as counted:
        missing = run(guarded, http_scope([]))
        empty = run(guarded, http_scope(ua_headers(b"  ")))
        doubled = run(guarded, http_scope(ua_headers(GOOGLEBOT, CHROME)))
    assert missing.status == empty.status == doubled.status == 200
    assert missing.scope["state"]["botguard"] is Verdict.DENY
    assert empty.scope["state"]["botguard"] is Verdict.DENY
    # A duplicate is judged by its first header, as duplicate_ua="first" would.
    assert doubled.scope["state"]["botguard"] is Verdict.BOT
    assert counted.requests() == {("deny", "monitored"): 2, ("rejected", "monitored"): 1}
    logged = lines(botlog)
    assert "rule=missing_ua" in logged[0] and 'user_agent="-"' in logged[0]
    assert "rule=empty_ua" in logged[1]
    assert logged[2].startswith("would reject verdict=rejected") and f'user_agent="{GOOGLEBOT} | ' in logged[2]


def test_monitor_mode_with_verdict_header_tells_the_client_what_enforcement_would_do() -> None:
    guarded = BotGuardMiddleware(ok_app, monitor=True, verdict_header="X-Bot-Verdict")
    assert run(guarded, http_scope(ua_headers(GOOGLEBOT))).headers[b"x-bot-verdict"] == b"bot"
    assert run(guarded, http_scope(ua_headers(CHROME))).headers[b"x-bot-verdict"] == b"none"


# -- policies ----------------------------------------------------------------------------------


def test_missing_ua_block_refuses_requests_without_the_header() -> None:
    result = run(BotGuardMiddleware(ok_app, missing_ua="block"), http_scope([(b"accept", b"*/*")]))
    assert result.status == 403 and not result.app_called
    assert run(BotGuardMiddleware(ok_app, missing_ua="block"), http_scope(ua_headers(CHROME))).status == 200
    explanation = botguard.explain(None, Config(missing_ua="block"))
    assert explanation.verdict is Verdict.DENY and explanation.rule_list == "policy"


@pytest.mark.parametrize("value", [b"", b"   ", b"\t"])
def test_empty_ua_block_refuses_empty_and_blank_headers(value: bytes) -> None:
    assert run(BotGuardMiddleware(ok_app, empty_ua="block"), http_scope(ua_headers(value))).status == 403
    assert run(BotGuardMiddleware(ok_app), http_scope(ua_headers(value))).status == 200
    # A missing header is not an empty one: each policy covers its own case.
    assert run(BotGuardMiddleware(ok_app, empty_ua="block"), http_scope([])).status == 200


def test_allow_list_still_beats_the_empty_ua_policy() -> None:
    result = run(BotGuardMiddleware(ok_app, empty_ua="block", allow=["^$"]), http_scope(ua_headers(b"")))
    assert result.status == 200 and result.scope["state"]["botguard"] is Verdict.ALLOW


def test_duplicate_ua_first_judges_the_first_header() -> None:
    guarded = BotGuardMiddleware(ok_app, duplicate_ua="first")
    passed = run(guarded, http_scope(ua_headers(CHROME, GOOGLEBOT)))
    assert passed.status == 200 and passed.scope["state"]["botguard"] is Verdict.NONE
    assert run(guarded, http_scope(ua_headers(GOOGLEBOT, CHROME))).status == 403


def test_duplicate_ua_reject_is_counted_and_logged(botlog: pytest.LogCaptureFixture) -> None:
    with Counting() as counted:
        result = run(BotGuardMiddleware(ok_app), http_scope(ua_headers(CHROME, "x\ny"), path="/dup"))
    assert result.status == 400 and not result.app_called
    assert counted.requests() == {("rejected", "blocked"): 1}
    assert lines(botlog) == [
        f'rejected verdict=rejected rule=- category=- path="/dup" user_agent="{CHROME} | x\\ny" pattern="-"'
    ]


# -- custom answers ----------------------------------------------------------------------------

HTML = "<!doctype html><title>Not for robots</title><p>Automated access is not allowed.</p>"


def test_block_status_body_content_type_and_retry_after() -> None:
    guarded = BotGuardMiddleware(
        ok_app, block_status=429, block_body=HTML, block_content_type="text/html; charset=utf-8", retry_after=120
    )
    result = run(guarded, http_scope(ua_headers(GOOGLEBOT)))
    assert result.status == 429 and result.body == HTML.encode()
    assert result.headers[b"content-type"] == b"text/html; charset=utf-8"
    assert result.headers[b"retry-after"] == b"120"
    assert result.headers[b"cache-control"] == b"no-store"
    assert int(result.headers[b"content-length"]) == len(result.body)
    assert b"retry-after" not in run(BotGuardMiddleware(ok_app), http_scope(ua_headers(GOOGLEBOT))).headers


def test_non_ascii_block_body_is_sent_as_utf8_with_the_right_length() -> None:
    result = run(BotGuardMiddleware(ok_app, block_body="Accès refusé 🤖", block_content_type="text/plain; charset=utf-8"), http_scope(ua_headers(GOOGLEBOT)))
    assert result.body.decode() == "Accès refusé 🤖"
    assert int(result.headers[b"content-length"]) == len(result.body)


def test_verdict_header_is_off_by_default_and_names_every_verdict_when_on() -> None:
    assert not any(b"verdict" in k for k in run(BotGuardMiddleware(ok_app), http_scope(ua_headers(CHROME))).headers)
    guarded = BotGuardMiddleware(ok_app, verdict_header="X-Bot-Verdict", allow=["^curl/"], deny=[r"(?i)scrapy"])
    seen = {
        ua: run(guarded, http_scope(ua_headers(*ua) if isinstance(ua, tuple) else ua_headers(ua))).headers[b"x-bot-verdict"]
        for ua in (CHROME, "curl/8.4", SCRAPY, GOOGLEBOT, (CHROME, CHROME))
    }
    assert list(seen.values()) == [b"none", b"allow", b"deny", b"bot", b"rejected"]


def test_on_block_hook_gets_the_scope_and_verdict_and_shapes_the_answer() -> None:
    calls: list[tuple[str, Verdict]] = []

    def on_block(scope: dict[str, Any], verdict: Verdict) -> tuple[int, list[tuple[str, str]], str]:
        calls.append((scope["path"], verdict))
        body = json.dumps({"error": "bot_blocked", "verdict": verdict.name.lower()})
        return 403, [("Content-Type", "application/problem+json"), ("X-Why", "robots"), ("Content-Length", "1")], body

    guarded = BotGuardMiddleware(ok_app, deny=[r"(?i)scrapy"], on_block=on_block)
    result = run(guarded, http_scope(ua_headers(SCRAPY), path="/api/items"))
    assert calls == [("/api/items", Verdict.DENY)]
    assert result.status == 403 and result.json() == {"error": "bot_blocked", "verdict": "deny"}
    assert result.headers[b"content-type"] == b"application/problem+json" and result.headers[b"x-why"] == b"robots"
    # The hook's wrong Content-Length is replaced by the right one.
    assert int(result.headers[b"content-length"]) == len(result.body)
    assert run(guarded, http_scope(ua_headers(CHROME))).app_called and len(calls) == 1


def test_on_block_can_negotiate_html_for_browsers_and_json_for_apis() -> None:
    def on_block(scope: dict[str, Any], verdict: Verdict) -> tuple[int, dict[str, str], bytes]:
        accept = dict(scope["headers"]).get(b"accept", b"")
        if b"text/html" in accept:
            return 403, {"content-type": "text/html; charset=utf-8"}, HTML.encode()
        return 403, {"content-type": "application/json"}, b'{"message": "Forbidden"}'

    guarded = BotGuardMiddleware(ok_app, on_block=on_block)
    page = run(guarded, http_scope([*ua_headers(GOOGLEBOT), (b"accept", b"text/html,application/xhtml+xml")]))
    api = run(guarded, http_scope([*ua_headers(GOOGLEBOT), (b"accept", b"application/json")]))
    assert page.headers[b"content-type"].startswith(b"text/html") and page.body == HTML.encode()
    assert api.json() == {"message": "Forbidden"}


@pytest.mark.parametrize(
    "answer",
    [
        (101, [], b""),  # not a final status
        ("403", [], b""),
        (True, [], b""),
        (403, [("X-Evil", "a\r\nSet-Cookie: x=1")], b""),  # response splitting
        (403, [("Bad Name", "v")], b""),
        (403, [("X-Name", "naïve ☃")], b""),  # not latin-1
        (403, [], 42),
        (403, None, b""),
    ],
)
def test_an_unusable_hook_answer_falls_back_to_the_configured_response(
    answer: tuple[Any, Any, Any], botlog: pytest.LogCaptureFixture
) -> None:
    guarded = BotGuardMiddleware(ok_app, block_status=451, on_block=lambda scope, verdict: answer)
    result = run(guarded, http_scope(ua_headers(GOOGLEBOT)))
    assert result.status == 451 and result.json() == {"message": "Forbidden"} and not result.app_called
    assert "on_block failed" in botlog.text


def test_a_raising_hook_falls_back_and_is_logged(botlog: pytest.LogCaptureFixture) -> None:
    def on_block(scope: object, verdict: Verdict) -> tuple[int, list[tuple[str, str]], bytes]:
        raise RuntimeError("template missing")

    result = run(BotGuardMiddleware(ok_app, on_block=on_block), http_scope(ua_headers(GOOGLEBOT)))
    assert result.status == 403 and result.json() == {"message": "Forbidden"}
    assert "template missing" in botlog.text


def test_monitor_mode_never_calls_the_hook() -> None:
    calls = []
    guarded = BotGuardMiddleware(ok_app, monitor=True, on_block=lambda s, v: calls.append(v) or (403, [], b""))
    assert run(guarded, http_scope(ua_headers(GOOGLEBOT))).status == 200 and calls == []


# -- gRPC --------------------------------------------------------------------------------------


def grpc_scope(*user_agents: str, trailers: bool = False, content_type: bytes = b"application/grpc") -> dict[str, Any]:
    scope = http_scope([(b"content-type", content_type), (b"te", b"trailers"), *ua_headers(*user_agents)], path="/pkg.Svc/Get")
    scope["http_version"] = "2"
    if trailers:
        scope["extensions"] = {"http.response.trailers": {}}
    return scope


def test_grpc_call_gets_trailers_only_permission_denied() -> None:
    result = run(BotGuardMiddleware(ok_app), grpc_scope(GOOGLEBOT, content_type=b"application/grpc+proto"))
    assert result.status == 200 and result.body == b"" and not result.app_called
    assert result.headers[b"content-type"] == b"application/grpc"
    assert result.headers[b"grpc-status"] == b"7" and result.headers[b"grpc-message"] == b"Forbidden"
    assert result.headers[b"content-length"] == b"0"


def test_grpc_status_goes_in_trailers_when_the_server_can_send_them() -> None:
    result = run(BotGuardMiddleware(ok_app, verdict_header="x-bot-verdict"), grpc_scope(GOOGLEBOT, trailers=True))
    start, body, trailers = result.messages
    assert start["type"] == "http.response.start" and start["trailers"] is True and start["status"] == 200
    assert dict(start["headers"])[b"content-type"] == b"application/grpc"
    # In the headers too, where a test client or a proxy that reads no trailers looks for it.
    assert dict(start["headers"])[b"grpc-status"] == b"7" and dict(start["headers"])[b"x-bot-verdict"] == b"bot"
    assert body == {"type": "http.response.body", "body": b""}
    assert trailers["type"] == "http.response.trailers" and trailers["more_trailers"] is False
    assert dict(trailers["headers"]) == {b"grpc-status": b"7", b"grpc-message": b"Forbidden"}


@pytest.mark.parametrize(
    ("fields", "code", "message"),
    [
        ({"block_status": 429, "retry_after": 60}, b"8", b"Forbidden"),  # RESOURCE_EXHAUSTED
        ({"block_status": 404, "block_body": '{"message": "Not here"}'}, b"5", b"Not here"),  # NOT_FOUND
        ({"block_body": "Accès refusé: 100%", "block_content_type": "text/plain"}, b"7", b"Acc%C3%A8s refus%C3%A9: 100%25"),
        ({"block_status": 418, "block_body": "<p>no</p>", "block_content_type": "text/html"}, b"7", b"I'm a Teapot"),
    ],
)
def test_grpc_answer_follows_block_status_and_body(fields: dict[str, Any], code: bytes, message: bytes) -> None:
    result = run(BotGuardMiddleware(ok_app, **fields), grpc_scope(GOOGLEBOT))
    assert (result.status, result.headers[b"grpc-status"], result.headers[b"grpc-message"]) == (200, code, message)
    if "retry_after" in fields:
        assert result.headers[b"retry-after"] == b"60"


def test_grpc_duplicate_user_agents_get_invalid_argument() -> None:
    result = run(BotGuardMiddleware(ok_app), grpc_scope(CHROME, CHROME))
    assert (result.status, result.headers[b"grpc-status"]) == (200, b"3")
    assert result.headers[b"grpc-message"] == b"Only one User-Agent header allowed"


def test_grpc_answer_from_a_hook_is_sent_with_trailers_too() -> None:
    def on_block(scope: object, verdict: Verdict) -> tuple[int, list[tuple[str, str]], bytes]:
        return 200, [("content-type", "application/grpc"), ("grpc-status", "16"), ("grpc-message", "log in")], b""

    result = run(BotGuardMiddleware(ok_app, on_block=on_block), grpc_scope(GOOGLEBOT, trailers=True))
    assert dict(result.messages[-1]["headers"]) == {b"grpc-status": b"16", b"grpc-message": b"log in"}


def test_plain_http_is_not_answered_as_grpc() -> None:
    result = run(BotGuardMiddleware(ok_app), grpc_scope(GOOGLEBOT, content_type=b"application/json"))
    assert result.status == 403 and b"grpc-status" not in result.headers


# -- counters, stats() and Prometheus ----------------------------------------------------------


def test_stats_counts_every_request_by_verdict_and_action() -> None:
    guarded = BotGuardMiddleware(ok_app, allow=["^curl/"], deny=[r"(?i)scrapy"])
    with Counting() as counted:
        for ua in (CHROME, CHROME, "curl/8.4", SCRAPY, GOOGLEBOT, GOOGLEBOT):
            run(guarded, http_scope(ua_headers(ua)))
        run(guarded, http_scope([]))
    assert counted.requests() == {
        ("none", "passed"): 3,
        ("allow", "passed"): 1,
        ("deny", "blocked"): 1,
        ("bot", "blocked"): 2,
    }
    assert counted.after["cache_misses"] - counted.before["cache_misses"] == 4  # one per distinct agent
    assert counted.after["cache_hits"] - counted.before["cache_hits"] == 2
    # Only misses are timed.
    timing_before, timing_after = counted.before["decision_seconds"], counted.after["decision_seconds"]
    assert timing_after["count"] - timing_before["count"] == 4
    assert timing_after["sum"] > timing_before["sum"]


def test_stats_is_a_plain_json_ready_snapshot() -> None:
    snapshot = botguard.stats()
    assert set(snapshot) == {
        "per_process", "pid", "multiprocess_dir", "requests", "cache_hits", "cache_misses", "config_reloads",
        "decision_seconds",
    }
    assert set(snapshot["requests"]) == {"none", "allow", "deny", "bot", "rejected"} | {
        v.name.lower() for v in Verdict
    }
    assert all(set(a) == {"passed", "blocked", "monitored"} for a in snapshot["requests"].values())
    buckets = list(snapshot["decision_seconds"]["buckets"].values())
    assert buckets == sorted(buckets) and buckets[-1] == snapshot["decision_seconds"]["count"]
    assert list(snapshot["decision_seconds"]["buckets"])[-1] == float("inf")
    json.dumps(snapshot)
    snapshot["requests"]["bot"]["blocked"] += 1000  # a copy: editing it changes nothing
    assert botguard.stats()["requests"]["bot"]["blocked"] != snapshot["requests"]["bot"]["blocked"]


def test_record_reload_counts_and_logs_by_result(botlog: pytest.LogCaptureFixture) -> None:
    before = botguard.stats()["config_reloads"]
    record_reload("changed", "botguard.toml: 3 deny rules")
    record_reload("failed", "botguard.toml: deny[2]: not a valid regex")
    record_reload("unchanged", "botguard.toml: same content")
    after = botguard.stats()["config_reloads"]
    assert {k: after[k] - before.get(k, 0) for k in after} == {"changed": 1, "failed": 1, "unchanged": 1}
    levels = [(r.levelno, r.getMessage()) for r in botlog.records]
    assert levels[0] == (logging.INFO, "config reloaded: botguard.toml: 3 deny rules")
    assert levels[1][0] == logging.WARNING and "keeping the last good config" in levels[1][1]
    assert levels[2][0] == logging.DEBUG


def scrape(registry: CollectorRegistry = REGISTRY) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """name and sorted labels -> value, for botguard's samples."""
    found = {}
    for family in text_string_to_metric_families(generate_latest(registry).decode()):
        for sample in family.samples:
            if sample.name.startswith("botguard_"):
                found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_prometheus_metrics_are_registered_and_read_the_counters_at_scrape_time() -> None:
    botguard.prometheus.register()
    guarded = BotGuardMiddleware(ok_app, monitor=False)
    before = scrape()
    run(guarded, http_scope(ua_headers(GOOGLEBOT)))
    run(guarded, http_scope(ua_headers(f"{CHROME} {id(before)}")))  # a fresh agent: one miss
    record_reload("changed", "test")
    after = scrape()

    def moved(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after[key] - before.get(key, 0.0)

    assert moved("botguard_requests_total", verdict="bot", action="blocked") == 1
    assert moved("botguard_requests_total", verdict="none", action="passed") == 1
    assert moved("botguard_cache_misses_total") >= 1
    assert moved("botguard_config_reloads_total", result="changed") == 1
    assert ("botguard_config_reloads_total", (("result", "failed"),)) in after
    assert moved("botguard_decision_seconds_count") >= 1
    assert ("botguard_decision_seconds_bucket", (("le", "+Inf"),)) in after
    assert ("botguard_cache_hits_total", ()) in after
    # Series that cannot move are left out; those that can are there from the start.
    assert ("botguard_requests_total", (("action", "passed"), ("verdict", "bot"))) not in after
    assert ("botguard_requests_total", (("action", "monitored"), ("verdict", "deny"))) in after


def test_the_collector_registers_with_a_registry_of_your_own() -> None:
    registry = CollectorRegistry()
    BotguardCollector().register(registry)
    samples = scrape(registry)
    assert samples[("botguard_requests_total", (("action", "blocked"), ("verdict", "bot")))] == requests_counted("bot", "blocked")


# -- logging -----------------------------------------------------------------------------------


def test_passed_requests_log_nothing_at_all(botlog: pytest.LogCaptureFixture) -> None:
    guarded = BotGuardMiddleware(ok_app, allow=["^curl/"])
    for ua in (CHROME, "curl/8.4", f"{CHROME} {id(guarded)}"):
        run(guarded, http_scope(ua_headers(ua)))
    run(guarded, http_scope([]))
    assert lines(botlog) == []


def test_block_line_carries_verdict_rule_category_path_and_agent(botlog: pytest.LogCaptureFixture) -> None:
    run(BotGuardMiddleware(ok_app, deny=["zzz", r"(?i)scrapy"]), http_scope(ua_headers(SCRAPY), path="/login"))
    (record,) = botlog.records
    assert record.levelno == logging.INFO and record.name == "botguard"
    assert record.getMessage() == (
        f'blocked verdict=deny rule=deny[1] category=- path="/login" user_agent="{SCRAPY}" pattern="(?i)scrapy"'
    )
    assert record.botguard == {  # type: ignore[attr-defined]
        "action": "blocked", "verdict": "deny", "rule": "deny[1]", "category": None,
        "path": "/login", "user_agent": SCRAPY, "pattern": "(?i)scrapy",
    }


def test_category_of_a_builtin_rule_reaches_the_log_line(botlog: pytest.LogCaptureFixture) -> None:
    from botguard._config import Explanation
    from botguard._observe import log_block
    from botguard._rulesets import Rule

    rule = Rule(pattern="(?i)gptbot", index=4, source="default", category="ai")
    log_block("blocked", Verdict.BOT, Explanation(Verdict.BOT, "builtin", rule), "/", "GPTBot/1.0")
    assert "verdict=bot rule=builtin[4] category=ai " in lines(botlog)[0]


def test_hostile_agent_and_path_cannot_forge_log_lines(botlog: pytest.LogCaptureFixture) -> None:
    hostile = b"Googlebot/2.1\r\nINFO botguard: all good\x1b[2J\xe2\x80\xae" + b"A" * 70000
    run(BotGuardMiddleware(ok_app), http_scope(ua_headers(hostile), path="/x\n\u2028y"))
    (line,) = lines(botlog)
    assert "\n" not in line and "\r" not in line and "\x1b" not in line and "\u202e" not in line and "\u2028" not in line
    assert 'user_agent="Googlebot/2.1\\r\\nINFO botguard: all good\\x1b[2J\\u202e' in line
    assert 'path="/x\\n\\u2028y"' in line
    agent = re.search(r'user_agent="(.*?[^\\])"', line)
    assert agent is not None and agent.group(1).endswith("...") and len(agent.group(1)) < 2 * LOG_CHARS


@given(st.one_of(st.text(max_size=600), st.binary(max_size=2500)))
@settings(max_examples=300, deadline=None)
def test_safe_text_is_one_printable_bounded_line(value: str | bytes) -> None:
    text = safe_text(value)
    assert text.isprintable()
    assert len(text) <= 10 * LOG_CHARS + 3
    # Every quote is escaped, so a value cannot close its field early.
    assert re.search(r'(?<!\\)(?:\\\\)*"', text) is None


def test_logging_off_costs_no_formatting(botlog: pytest.LogCaptureFixture) -> None:
    botlog.set_level(logging.WARNING, logger="botguard")
    with Counting() as counted:
        run(BotGuardMiddleware(ok_app), http_scope(ua_headers(GOOGLEBOT)))
    assert lines(botlog) == [] and counted.requests() == {("bot", "blocked"): 1}


# -- real servers ------------------------------------------------------------------------------


def test_production_rollout_under_real_uvicorn(tmp_path: Path) -> None:
    """Monitor first, read the would-block lines, then enforce: the same agents, two configs."""
    log = tmp_path / "botguard.log"
    agents = {"browser": CHROME, "google": GOOGLEBOT, "scrapy": SCRAPY}
    env = {"BOTGUARD_TEST_LOG": str(log), "BOTGUARD_TEST_CONFIG": json.dumps({"monitor": True, "deny": ["(?i)scrapy"], "allow": ["^Prometheus/"]})}
    with serve_uvicorn("tests.apps.ops_app:app", env=env) as base:
        seen = {name: httpx.get(base + "/", headers={"user-agent": ua}) for name, ua in agents.items()}
        assert {name: (r.status_code, r.json()["verdict"]) for name, r in seen.items()} == {
            "browser": (200, "NONE"), "google": (200, "BOT"), "scrapy": (200, "DENY"),
        }
        stats = httpx.get(base + "/stats", headers={"user-agent": CHROME}).json()
        assert stats["requests"]["bot"]["monitored"] == 1 and stats["requests"]["deny"]["monitored"] == 1
        assert stats["requests"]["bot"]["blocked"] == 0
        metrics = httpx.get(base + "/metrics", headers={"user-agent": "Prometheus/2.51.0"}).text
        assert 'botguard_requests_total{action="monitored",verdict="bot"} 1.0' in metrics
    would = [line for line in log.read_text().splitlines() if "would block" in line]
    assert len(would) == 2 and all(line.startswith("INFO would block ") for line in would)

    log.write_text("")
    env["BOTGUARD_TEST_CONFIG"] = json.dumps({"deny": ["(?i)scrapy"], "allow": ["^Prometheus/"], "retry_after": 30, "verdict_header": "X-Bot-Verdict"})
    with serve_uvicorn("tests.apps.ops_app:app", env=env) as base:
        seen = {name: httpx.get(base + "/", headers={"user-agent": ua}) for name, ua in agents.items()}
        assert {name: r.status_code for name, r in seen.items()} == {"browser": 200, "google": 403, "scrapy": 403}
        assert seen["google"].headers["retry-after"] == "30" and seen["google"].headers["x-bot-verdict"] == "bot"
        assert seen["browser"].headers["x-bot-verdict"] == "none"
        metrics = httpx.get(base + "/metrics", headers={"user-agent": "Prometheus/2.51.0"}).text
        assert 'botguard_requests_total{action="blocked",verdict="deny"} 1.0' in metrics
        assert "botguard_decision_seconds_bucket{le=" in metrics
    blocked = log.read_text().splitlines()
    assert len(blocked) == 2 and all(line.startswith("INFO blocked ") for line in blocked)


def test_policies_and_html_page_under_real_uvicorn() -> None:
    config = {
        "missing_ua": "block", "empty_ua": "block", "duplicate_ua": "first",
        "block_status": 403, "block_body": HTML, "block_content_type": "text/html; charset=utf-8",
    }
    with serve_uvicorn("tests.apps.ops_app:app", env={"BOTGUARD_TEST_CONFIG": json.dumps(config)}) as base:
        with httpx.Client(base_url=base) as client:
            empty = client.get("/", headers={"user-agent": ""})  # sent, and empty
            assert empty.status_code == 403 and empty.text == HTML
            assert empty.headers["content-type"] == "text/html; charset=utf-8"
            first = client.get("/", headers=[("user-agent", CHROME), ("user-agent", GOOGLEBOT)])
            assert first.status_code == 200 and first.json() == {"verdict": "NONE"}

        no_header = raw_request(base, ["GET / HTTP/1.1", "Host: x", "Connection: close"])
        assert no_header.startswith(b"HTTP/1.1 403") and HTML.encode() in no_header


def test_grpc_client_gets_permission_denied_through_hypercorn() -> None:
    grpc = pytest.importorskip("grpc")
    port = free_port()
    argv = [sys.executable, "-m", "hypercorn", "tests.apps.grpc_app:app", "--bind", f"127.0.0.1:{port}"]
    with serve(argv, port):
        for agent, expected in (("evil-scraper", "denied"), ("good-client", "served")):
            with grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.primary_user_agent", agent)]) as channel:
                say = channel.unary_unary("/echo.Echo/Say", request_serializer=bytes, response_deserializer=bytes)
                try:
                    reply = say(b"hello", timeout=10)
                except grpc.RpcError as exc:
                    assert expected == "denied", exc
                    assert exc.code() == grpc.StatusCode.PERMISSION_DENIED
                    assert exc.details() == "Forbidden"
                else:
                    assert expected == "served" and reply == b"olleh"


def test_starlette_app_sees_the_verdict_in_monitor_mode() -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def home(request: Request) -> JSONResponse:
        return JSONResponse({"verdict": request.state.botguard.name})

    app = Starlette(routes=[Route("/", home)])
    app.add_middleware(BotGuardMiddleware, monitor=True)

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            return await client.get("/", headers={"user-agent": GOOGLEBOT})

    response = asyncio.run(go())
    assert response.status_code == 200 and response.json() == {"verdict": "BOT"}




def test_production_example_under_real_uvicorn() -> None:
    with serve_uvicorn("examples.production_app:app", env={"BOTGUARD_MONITOR": "1"}) as base:
        bot = httpx.get(base + "/", headers={"user-agent": GOOGLEBOT})
        assert bot.status_code == 200 and bot.json() == {"verdict": "BOT"}
        metrics = httpx.get(base + "/metrics", headers={"user-agent": "Prometheus/2.51.0"}).text
        assert 'botguard_requests_total{action="monitored",verdict="bot"} 1.0' in metrics
        assert 'botguard_requests_total{action="passed",verdict="allow"} 1.0' in metrics  # the scrape itself
    with serve_uvicorn("examples.production_app:app") as base:
        bot = httpx.get(base + "/", headers={"user-agent": GOOGLEBOT})
        assert bot.status_code == 403 and bot.headers["retry-after"] == "3600"
        probe = httpx.get(base + "/", headers={"user-agent": "kube-probe/1.28"})
        assert probe.status_code == 200 and probe.json() == {"verdict": "NONE"}  # health checks admitted
