"""`botguard.testing` against the other adapters: WSGI middleware, and Django with its own test tools."""

from __future__ import annotations

import os
import unittest
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "examples.django_site.settings")

import django  # noqa: E402

django.setup()

import pytest  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.test import AsyncClient, Client, SimpleTestCase  # noqa: E402

from botguard import BotGuardWSGIMiddleware, Config  # noqa: E402
from botguard.testing import assert_allowed, assert_blocked, disabled, enabled, override  # noqa: E402

from tests.support.agents import GOOGLEBOT, GPTBOT
BLOCK_GPTBOT = Config(deny=[r"(?i)gptbot"], builtin=None)


def hello(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("content-type", "text/plain")])
    return [b"hello"]


def test_wsgi_middleware_obeys_overrides_and_the_assertions() -> None:
    app = BotGuardWSGIMiddleware(hello, config=BLOCK_GPTBOT)
    assert_blocked(app, GPTBOT)
    with disabled():
        assert_allowed(app, GPTBOT)
        with enabled():
            assert_blocked(app, GPTBOT)
    with override(Config(deny=["^curl/"], builtin=None)):
        assert_allowed(app, GPTBOT)
        assert_blocked(app, "curl/8.4.0")
    assert_blocked(app, GPTBOT)


def test_djangos_test_client_sends_no_user_agent_and_passes_the_default_policy() -> None:
    # The example site refuses bots and scripted clients, but a request without the header
    # passes (missing_ua="allow"): Django's test client keeps working as it was.
    assert Client().get("/").status_code == 200
    assert Client().get("/", headers={"user-agent": GOOGLEBOT}).status_code == 403
    with override(Config(missing_ua="block", builtin=None)):
        assert Client().get("/").status_code == 403


def test_djangos_clients_obey_disabled_sync_and_async() -> None:
    import asyncio

    with disabled():
        assert Client().get("/", headers={"user-agent": GOOGLEBOT}).status_code == 200

        async def async_client() -> int:
            return (await AsyncClient().get("/", headers={"user-agent": GOOGLEBOT})).status_code

        assert asyncio.run(async_client()) == 200
    assert Client().get("/", headers={"user-agent": GOOGLEBOT}).status_code == 403


@pytest.mark.parametrize("handler", ["wsgi", "asgi"])
def test_assertions_against_djangos_handlers(handler: str) -> None:
    # Django's ASGI handler listens for the client's disconnect while the view runs, and abandons
    # the response if it comes early: the helpers' client hangs up only after the response.
    application = get_wsgi_application() if handler == "wsgi" else get_asgi_application()
    assert_blocked(application, GOOGLEBOT)
    assert_allowed(application, None)
    # Django judges twice: the global rules refuse curl, the view's own rules admit it.
    assert assert_allowed(application, "curl/8.4.0", path="/api/status").rule_list == "allow"
    assert_blocked(application, "curl/8.4.0")
    # An exempt view: the global rules would refuse Googlebot, and the view answers anyway.
    assert_allowed(application, GOOGLEBOT, path="/robots.txt")
    with pytest.raises(AssertionError, match="builtin.*would refuse it: the view is exempt"):
        assert_blocked(application, GOOGLEBOT, path="/robots.txt")


def test_decorating_a_django_test_case() -> None:
    @disabled()
    class HomeTests(SimpleTestCase):
        def test_bot_gets_home(self) -> None:
            self.assertEqual(self.client.get("/", headers={"user-agent": GOOGLEBOT}).status_code, 200)

    result = unittest.TestResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(HomeTests).run(result)
    assert result.wasSuccessful(), result.failures + result.errors
    assert Client().get("/", headers={"user-agent": GOOGLEBOT}).status_code == 403
