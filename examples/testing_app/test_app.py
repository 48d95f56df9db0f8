"""The example app's own test suite: every helper of `botguard.testing` and its pytest plugin in use.

Run it alone with `pytest examples/testing_app` (add `--botguard-disable` as an app whose suite
predates botguard would: it passes either way); `make test` runs it with the project's tests.
"""

from __future__ import annotations

import unittest

import httpx
import pytest
from starlette.testclient import TestClient

from botguard import Config, classify
from botguard.testing import assert_allowed, assert_blocked, disabled, override, sample_user_agents

from .app import API, SITE, app

UPTIME_KUMA = "Uptime-Kuma/1.23.16"
CURL = "curl/8.4.0"
GPTBOT = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)"


# 1. The rules do what we mean -------------------------------------------------------------------
# Marked `botguard`: they test the app's own rules, even in a run with `--botguard-disable`.


@pytest.mark.botguard
def test_every_known_ai_crawler_is_refused_everywhere() -> None:
    for ua in sample_user_agents("bot", category="ai"):
        assert classify(ua, SITE).blocked, ua
        assert_blocked(app, ua)  # a real request through the app: the failure names the rule
        assert_blocked(app, ua, path="/api/status")


def test_real_browsers_are_never_refused() -> None:
    for ua in sample_user_agents("browser", n=100):
        assert_allowed(SITE, ua)


@pytest.mark.botguard
def test_our_uptime_monitor_passes_and_the_api_admits_curl() -> None:
    assert_allowed(app, UPTIME_KUMA)
    assert_allowed(app, CURL, path="/api/status")
    assert_blocked(app, CURL)  # not on the site
    assert assert_allowed(API, CURL).rule_list == "allow"


def test_a_sample_of_every_kind_of_bot_against_the_api() -> None:
    # A deterministic sample that takes each category in turn: a regression shows as a diff.
    refused = {ua for ua in sample_user_agents("bot", n=30) if classify(ua, API).blocked}
    assert refused <= set(sample_user_agents("bot", category="ai"))


# 2. The app's existing tests keep working ------------------------------------------------------


def test_starlettes_testclient_gets_through(client: TestClient) -> None:
    assert client.get("/").json() == {"page": "home", "verdict": "NONE"}


def test_a_browser_user_agent_gets_through(client: TestClient) -> None:
    assert client.get("/", headers={"user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"}).status_code == 200


@pytest.mark.anyio
@pytest.mark.botguard
async def test_the_httpx_client_is_an_http_library_so_the_site_refuses_it(http: httpx.AsyncClient) -> None:
    assert (await http.get("/")).status_code == 403


@pytest.mark.anyio
@pytest.mark.botguard(enabled=False)  # one line: botguard lets everything through in this test
async def test_with_the_marker_the_httpx_client_gets_through(http: httpx.AsyncClient) -> None:
    assert (await http.get("/")).json() == {"page": "home", "verdict": "NONE"}


@pytest.mark.anyio
@pytest.mark.botguard
async def test_with_disabled_the_httpx_client_gets_through(http: httpx.AsyncClient) -> None:
    with disabled():
        assert (await http.get("/")).status_code == 200
    assert (await http.get("/")).status_code == 403


# 3. Other configs, for one test ----------------------------------------------------------------

LOCKDOWN = Config(allow=[r"^Mozilla/5\.0 "], deny=[r"."], missing_ua="block")


@pytest.mark.botguard(config=LOCKDOWN)
def test_under_the_lockdown_config_only_browsers_pass(client: TestClient, botguard_config: Config) -> None:
    assert botguard_config is LOCKDOWN
    assert client.get("/").status_code == 403  # testclient
    assert client.get("/api/status", headers={"user-agent": CURL}).status_code == 403
    assert client.get("/", headers={"user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"}).status_code == 200


@pytest.mark.botguard
def test_override_as_a_context_manager(client: TestClient) -> None:
    with override(Config(deny=[r"^testclient$"], builtin=None, block_status=429)):
        assert client.get("/").status_code == 429
    assert client.get("/").status_code == 200


# 4. The same from unittest (or Django's test runner) -------------------------------------------


@disabled()
class TestWithUnittest(unittest.TestCase):
    def test_any_client_gets_through(self) -> None:
        with TestClient(app, headers={"user-agent": "python-requests/2.32.3"}) as client:
            self.assertEqual(client.get("/").status_code, 200)
