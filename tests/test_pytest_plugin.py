"""The pytest plugin, run for real by pytester: the entry point, the marker, the fixture, the option."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parent.parent

# The inner suites share one app: a botguard middleware whose own rules refuse HTTP libraries
# and GPTBot (explicit, so the tests hold whatever the built-in default list becomes).
CONFTEST = '''
import asyncio, threading
import httpx, pytest
from botguard import BotGuardMiddleware, Config

OWN = Config(deny=[r"^python-httpx/", r"(?i)gptbot"], builtin=None)

async def ok(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})

APP = BotGuardMiddleware(ok, config=OWN)

def get(user_agent=None):
    async def go():
        headers = {} if user_agent is None else {"user-agent": user_agent}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=APP), base_url="http://t") as client:
            return (await client.get("/", headers=headers)).status_code
    return asyncio.run(go())

def get_from_another_thread(user_agent=None):
    seen = []
    thread = threading.Thread(target=lambda: seen.append(get(user_agent)))
    thread.start(); thread.join()
    return seen[0]
'''

INNER_FLAGS = ("-p", "no:cacheprovider", "--strict-markers", "-W", "error")


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    return pytester


def test_the_plugin_is_registered_through_its_entry_point(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        """
        import pytest

        @pytest.mark.botguard(enabled=False)
        def test_marker_is_known_under_strict_markers():
            pass
        """
    )
    result = suite.runpytest_subprocess(*INNER_FLAGS, "--trace-config")
    result.assert_outcomes(passed=1)
    assert any("botguard._pytest_plugin" in line for line in result.outlines)
    help_text = suite.runpytest("--help").stdout.str()
    assert "--botguard-disable" in help_text
    markers = suite.runpytest("--markers").stdout.str()
    assert "@pytest.mark.botguard(enabled=True, config=None)" in markers


def test_marker_switches_off_or_replaces_the_rules_for_one_test(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        """
        import pytest
        from botguard import Config
        from conftest import get, get_from_another_thread

        def test_own_rules():
            assert get() == 403 and get("Mozilla/5.0") == 200

        @pytest.mark.botguard(enabled=False)
        def test_disabled():
            assert get() == 200 and get("GPTBot/1.0") == 200
            assert get_from_another_thread() == 200   # process-wide: a server thread sees it

        @pytest.mark.botguard(config=Config(deny=["^Mozilla/"], builtin=None))
        def test_config(botguard_config):
            assert botguard_config.deny == ("^Mozilla/",)
            assert get() == 200 and get("Mozilla/5.0") == 403

        @pytest.mark.botguard(enabled=False)
        def test_fails_inside_the_marker():
            assert get("GPTBot/1.0") == 403   # fails: the marker let it through

        def test_after_a_failure_the_own_rules_are_back(botguard_config):
            assert botguard_config is None
            assert get("GPTBot/1.0") == 403 and get_from_another_thread() == 403

        @pytest.mark.botguard(enabled=False)
        class TestWholeClass:
            def test_one(self):
                assert get() == 200

            @pytest.mark.botguard
            def test_closest_marker_wins(self):
                assert get() == 403
        """
    )
    result = suite.runpytest(*INNER_FLAGS)
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(["*test_fails_inside_the_marker*"])


def test_botguard_disable_keeps_a_suite_green_and_markers_still_enforce(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        """
        import pytest
        from conftest import get, get_from_another_thread

        def test_httpx_client_passes():
            assert get() == 200 and get("GPTBot/1.0") == 200
            assert get_from_another_thread() == 200

        @pytest.mark.botguard
        def test_rules_still_testable():
            assert get() == 403 and get_from_another_thread() == 403

        @pytest.mark.botguard(enabled=True)
        def test_rules_still_testable_explicitly():
            assert get("GPTBot/1.0") == 403
        """
    )
    suite.runpytest(*INNER_FLAGS).assert_outcomes(passed=2, failed=1)  # without it the client is a bot
    result = suite.runpytest(*INNER_FLAGS, "--botguard-disable")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["botguard: disabled for this run (--botguard-disable)*"])


def test_under_botguard_disable_assertions_on_apps_and_configs_follow_one_rule(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        """
        import pytest
        from botguard.testing import assert_blocked
        from conftest import APP, OWN

        @pytest.mark.parametrize("target", [APP, OWN], ids=["app", "config"])
        def test_unmarked(target):
            assert_blocked(target, "GPTBot/1.0")

        @pytest.mark.botguard
        @pytest.mark.parametrize("target", [APP, OWN], ids=["app", "config"])
        def test_marked(target):
            assert_blocked(target, "GPTBot/1.0")
        """
    )
    suite.runpytest(*INNER_FLAGS).assert_outcomes(passed=4)
    result = suite.runpytest(*INNER_FLAGS, "--botguard-disable")
    result.assert_outcomes(passed=2, failed=2)
    # The same failure for both, and a true one.
    failure = "E *AssertionError: expected botguard to block 'GPTBot/1.0'*, but it passes: botguard is switched off here*"
    result.stdout.fnmatch_lines([failure, failure])
    assert "override is in force" not in result.stdout.str()


def test_botguard_config_fixture_sets_a_directory_and_the_marker_beats_it(suite: pytest.Pytester) -> None:
    suite.mkpydir("lenient")
    (suite.path / "lenient" / "conftest.py").write_text(
        "import pytest\nfrom botguard import Config\n\n"
        "@pytest.fixture\ndef botguard_config():\n    return Config(builtin=None)\n"
    )
    (suite.path / "lenient" / "test_lenient.py").write_text(
        "import pytest\nfrom botguard import Config\nfrom conftest import get\n\n"
        "def test_directory_config(botguard_config):\n"
        "    assert botguard_config.builtin is None and get() == 200\n\n"
        "@pytest.mark.botguard(config=Config(deny=['^Mozilla/'], builtin=None))\n"
        "def test_marker_beats_fixture():\n"
        "    assert get('Mozilla/5.0') == 403 and get() == 200\n\n"
        "@pytest.mark.botguard(enabled=False)\n"
        "def test_disable_beats_fixture():\n"
        "    assert get('Mozilla/5.0') == 200\n"
    )
    suite.makepyfile(test_elsewhere="from conftest import get\n\ndef test_own_rules():\n    assert get() == 403\n")
    suite.runpytest(*INNER_FLAGS, "--botguard-disable").assert_outcomes(passed=3, failed=1)
    suite.runpytest(*INNER_FLAGS).assert_outcomes(passed=4)


def test_bad_marker_arguments_are_reported_plainly(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        """
        import pytest
        from botguard import Config

        @pytest.mark.botguard(False)
        def test_positional():
            pass

        @pytest.mark.botguard(enable=False)
        def test_typo():
            pass

        @pytest.mark.botguard(enabled=False, config=Config())
        def test_both():
            pass

        @pytest.mark.botguard(config={"deny": ["x"]})
        def test_not_a_config():
            pass
        """
    )
    result = suite.runpytest(*INNER_FLAGS)
    result.assert_outcomes(errors=4)
    result.stdout.fnmatch_lines(
        [
            "*takes only the keywords enabled= and config=, got False*",
            "*takes only the keywords enabled= and config=, got enable*",
            "*give enabled=False or config=..., not both*",
            "*config must be a botguard Config, got dict*",
        ]
    )


def test_async_tests_and_unittest_cases_see_the_marker(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        """
        import asyncio, unittest
        import pytest
        from conftest import APP, get
        import httpx

        async def status():
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=APP), base_url="http://t") as client:
                return (await client.get("/")).status_code

        @pytest.mark.botguard(enabled=False)
        def test_tasks_created_in_the_test():
            assert asyncio.run(status()) == 200

        @pytest.mark.botguard(enabled=False)
        class TestCase(unittest.TestCase):
            def test_in_unittest(self):
                self.assertEqual(get(), 200)
        """
    )
    suite.runpytest(*INNER_FLAGS).assert_outcomes(passed=2)


def test_the_example_suite_passes_with_and_without_botguard_disable() -> None:
    for extra in ([], ["--botguard-disable"]):
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "examples/testing_app", *extra],
            cwd=ROOT, capture_output=True, text=True,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "12 passed" in done.stdout, done.stdout
