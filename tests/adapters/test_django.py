"""The Django adapter with Django's own test tools, the system check, and the example served for real."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "examples.django_site.settings")

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
import pytest  # noqa: E402
from asgiref.sync import iscoroutinefunction  # noqa: E402
from django.core import checks  # noqa: E402
from django.core.exceptions import ImproperlyConfigured  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.management.base import SystemCheckError  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.test import AsyncClient, Client, RequestFactory, override_settings  # noqa: E402

import botguard  # noqa: E402
import botguard.django  # noqa: E402
from botguard import Config, Verdict, cache_info  # noqa: E402
from botguard._django_checks import check_settings, config_from_setting  # noqa: E402

from tests.apps import django_host_views, django_views  # noqa: E402
from tests.support.asgi_harness import run as run_asgi  # noqa: E402
from tests.support.servers import ROOT, free_port, serve, serve_uvicorn  # noqa: E402
from tests.support.wsgi_harness import raw_request, two_user_agents  # noqa: E402

from tests.support.agents import CHROME, FIREFOX, GOOGLEBOT
TEST_URLS = override_settings(ROOT_URLCONF="tests.apps.django_views", BOTGUARD={"deny": django_views.SCRIPTED})


def ua(value: str) -> dict[str, dict[str, str]]:
    return {"headers": {"user-agent": value}}


def body(response: Any) -> Any:
    import json

    return json.loads(response.content)


# -- the settings-based middleware, sync ---------------------------------------------------------


@TEST_URLS
def test_browser_passes_with_request_botguard() -> None:
    response = Client().get("/", **ua(CHROME))
    assert response.status_code == 200 and body(response)["verdict"] == "NONE"


@TEST_URLS
def test_bot_gets_the_same_403_as_every_adapter() -> None:
    response = Client().get("/", **ua(GOOGLEBOT))
    assert response.status_code == 403 and response.content == b'{"message": "Forbidden"}'
    assert response["Content-Type"] == "application/json" and response["Cache-Control"] == "no-store"
    assert response["Content-Length"] == str(len(response.content))


@TEST_URLS
def test_djangos_test_client_sends_no_user_agent_and_gets_none() -> None:
    # Documented: the test client sends no User-Agent, so it is judged as a missing header.
    response = Client().get("/")
    assert response.status_code == 200 and body(response)["verdict"] == "NONE"
    with override_settings(BOTGUARD={"missing_ua": "block"}):
        assert Client().get("/").status_code == 403


@TEST_URLS
def test_unmatched_urls_are_guarded_too() -> None:
    assert Client().get("/nowhere", **ua(GOOGLEBOT)).status_code == 403
    assert Client().get("/nowhere", **ua(CHROME)).status_code == 404


def test_settings_are_read_when_the_middleware_loads() -> None:
    with override_settings(BOTGUARD={"deny": [r"(?i)firefox"]}):
        assert Client().get("/", **ua(FIREFOX)).status_code == 403
    with override_settings(BOTGUARD={"allow": [r"^Googlebot"]}):
        assert Client().get("/", **ua(GOOGLEBOT)).status_code == 200
    with override_settings(BOTGUARD=Config(builtin=None)):
        assert Client().get("/", **ua(GOOGLEBOT)).status_code == 200
    del_settings = override_settings()
    with del_settings:
        from django.conf import settings

        del settings.BOTGUARD
        response = Client().get("/", **ua(GOOGLEBOT))  # no setting: the built-in defaults
        assert response.status_code == 403


def test_a_bad_setting_is_improperly_configured_at_load() -> None:
    with override_settings(BOTGUARD={"deny": ["ok", "("]}):
        with pytest.raises(ImproperlyConfigured, match=r"settings.BOTGUARD: deny\[1\]: not a valid regex"):
            Client().get("/")
    with override_settings(BOTGUARD={"dney": ["x"]}):
        with pytest.raises(ImproperlyConfigured, match=r"unknown key\(s\) \['dney'\]"):
            Client().get("/")


@TEST_URLS
def test_verdict_header_and_monitor_from_settings() -> None:
    with override_settings(BOTGUARD={"verdict_header": "X-Botguard"}):
        client = Client()
        assert client.get("/", **ua(CHROME))["X-Botguard"] == "none"
        assert client.get("/", **ua(GOOGLEBOT))["X-Botguard"] == "bot"
    with override_settings(BOTGUARD={"monitor": True}):
        response = Client().get("/", **ua(GOOGLEBOT))
        assert response.status_code == 200 and body(response)["verdict"] == "BOT"


@TEST_URLS
def test_on_block_receives_the_wsgi_environ() -> None:
    seen = []

    def on_block(request: Any, verdict: Verdict) -> tuple[int, list[tuple[str, str]], str]:
        seen.append((request["PATH_INFO"], verdict))
        return 429, [("Content-Type", "text/plain")], "slow down"

    with override_settings(BOTGUARD=Config(on_block=on_block)):
        response = Client().get("/async", **ua(GOOGLEBOT))
    assert response.status_code == 429 and response.content == b"slow down"
    assert seen == [("/async", Verdict.BOT)]


# -- per-view decorators --------------------------------------------------------------------------


@TEST_URLS
@pytest.mark.parametrize("path", ["/api/one", "/api/two", "/rules-class"])
def test_rules_decorator_replaces_the_settings_for_its_views(path: str) -> None:
    client = Client()
    assert client.get("/", **ua("curl/8.4.0")).status_code == 403  # the settings refuse scripts
    allowed = client.get(path, **ua("curl/8.4.0"))
    assert allowed.status_code == 200 and body(allowed)["verdict"] == "ALLOW"
    assert client.get(path, **ua(GOOGLEBOT)).status_code == 403  # the built-in list still holds
    assert body(client.get(path, **ua(CHROME)))["verdict"] == "NONE"


@TEST_URLS
def test_rules_can_be_stricter_than_the_settings() -> None:
    client = Client()
    assert client.get("/", **ua(FIREFOX)).status_code == 200
    refused = client.get("/no-firefox", **ua(FIREFOX))
    assert refused.status_code == 403 and refused.content == b'{"message": "Forbidden"}'
    assert client.get("/no-firefox", **ua(GOOGLEBOT)).status_code == 200  # builtin None in its rules


@TEST_URLS
@pytest.mark.parametrize("path", ["/robots.txt", "/async-robots", "/exempt-class"])
def test_exempt_views_let_bots_in_and_tell_them_apart(path: str) -> None:
    response = Client().get(path, **ua(GOOGLEBOT))
    assert response.status_code == 200 and body(response)["verdict"] == "BOT"
    assert body(Client().get(path, **ua(CHROME)))["verdict"] == "NONE"


@TEST_URLS
def test_exempt_on_an_as_view_result() -> None:
    assert Client().get("/exempt-as-view", **ua(GOOGLEBOT)).status_code == 405  # reached the view


def test_one_rules_object_is_one_config_and_one_cache() -> None:
    one = django_views.api_one.botguard_view_rules  # type: ignore[attr-defined]
    two = django_views.api_two.botguard_view_rules  # type: ignore[attr-defined]
    assert one is two and one.current()[1] is two.current()[1]
    gc.collect()
    gc.disable()
    try:
        before = cache_info().caches
        shared = botguard.django.rules(allow=["^x"])
        views = [shared(lambda request: None) for _ in range(5)]
        assert cache_info().caches - before == 1
        separate = [botguard.django.rules(allow=["^x"])(lambda request: None) for _ in range(2)]
        assert cache_info().caches - before == 3
    finally:
        gc.enable()
    assert len(views) == 5 and len(separate) == 2


def test_the_outermost_decorator_wins() -> None:
    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")

    assert botguard.django.exempt(botguard.django.rules()(view)).botguard_view_rules == "exempt"  # type: ignore[attr-defined]
    guarded = botguard.django.rules()(botguard.django.exempt(view))
    assert guarded.botguard_view_rules != "exempt"  # type: ignore[attr-defined]
    assert not hasattr(view, "botguard_view_rules")  # the original view is left as it was


def test_decorators_keep_views_async_or_sync() -> None:
    assert iscoroutinefunction(django_views.api_two) and iscoroutinefunction(django_views.async_robots)
    assert not iscoroutinefunction(django_views.api_one)
    assert django_views.api_two.__name__ == "api_two"


def test_rules_arguments() -> None:
    with pytest.raises(botguard.ConfigError, match="not both"):
        botguard.django.rules({"deny": ["x"]}, allow=["y"])
    with pytest.raises(botguard.ConfigError, match=r"deny\[0\]"):
        botguard.django.rules(deny=["("])


# -- async: AsyncClient, ASGI handler, no thread hops ---------------------------------------------


@TEST_URLS
def test_async_client() -> None:
    async def go() -> list[Any]:
        client = AsyncClient()
        return [
            await client.get("/async", headers={"user-agent": CHROME}),
            await client.get("/async", headers={"user-agent": GOOGLEBOT}),
            await client.get("/api/two", headers={"user-agent": "curl/8.4.0"}),
            await client.get("/async-robots", headers={"user-agent": GOOGLEBOT}),
            await client.get("/async"),
        ]

    browser, bot, api, robots, nothing = asyncio.run(go())
    assert browser.status_code == 200 and body(browser)["verdict"] == "NONE"
    assert bot.status_code == 403 and bot.content == b'{"message": "Forbidden"}'
    assert api.status_code == 200 and body(api)["verdict"] == "ALLOW"
    assert robots.status_code == 200 and body(robots)["verdict"] == "BOT"
    assert nothing.status_code == 200 and body(nothing)["verdict"] == "NONE"


def test_middleware_is_sync_and_async_capable() -> None:
    middleware = botguard.django.BotGuardMiddleware

    async def async_view(request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")

    assert middleware.sync_capable and middleware.async_capable
    as_async = middleware(async_view)
    assert iscoroutinefunction(as_async) and iscoroutinefunction(as_async.process_view)
    as_sync = middleware(lambda request: HttpResponse("ok"))
    assert not iscoroutinefunction(as_sync) and not iscoroutinefunction(as_sync.process_view)
    request = RequestFactory().get("/", headers={"user-agent": GOOGLEBOT})
    assert as_sync(request).status_code == 403 and request.botguard is Verdict.BOT  # type: ignore[attr-defined]


def _asgi_get(app: Any, *requests: tuple[str, list[tuple[str, str]]]) -> list[httpx.Response]:
    async def go() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as client:
            return [await client.get(path, headers=headers) for path, headers in requests]

    return asyncio.run(go())


@TEST_URLS
def test_duplicate_user_agents_get_400_under_the_asgi_handler() -> None:
    from django.core.asgi import get_asgi_application

    app = get_asgi_application()
    doubled, browser = _asgi_get(
        app,
        ("/async", [("user-agent", CHROME), ("user-agent", CHROME)]),
        ("/async", [("user-agent", CHROME)]),
    )
    assert doubled.status_code == 400 and doubled.json() == {"message": "Only one User-Agent header allowed"}
    assert browser.status_code == 200


@TEST_URLS
def test_an_exempt_view_gets_a_verdict_for_a_refused_duplicate_too() -> None:
    from django.core.asgi import get_asgi_application

    doubled, doubled_async = _asgi_get(
        get_asgi_application(),
        ("/robots.txt", [("user-agent", CHROME), ("user-agent", GOOGLEBOT)]),
        ("/async-robots", [("user-agent", CHROME), ("user-agent", CHROME)]),
    )
    # The view reads `request.botguard.name`: DENY, refused by the duplicate_ua policy.
    assert doubled.status_code == 200 and doubled.json()["verdict"] == "DENY"
    assert doubled_async.status_code == 200 and doubled_async.json()["verdict"] == "DENY"


@override_settings(ROOT_URLCONF="tests.apps.django_views", MIDDLEWARE=[])
def test_wrapping_get_asgi_application_with_the_asgi_middleware() -> None:
    from django.core.asgi import get_asgi_application

    application = botguard.BotGuardMiddleware(get_asgi_application())
    browser, bot, doubled = _asgi_get(
        application,
        ("/", [("user-agent", CHROME)]),
        ("/", [("user-agent", GOOGLEBOT)]),
        ("/", [("user-agent", CHROME), ("user-agent", GOOGLEBOT)]),
    )
    assert browser.status_code == 200 and browser.json() == {"verdict": "unset", "scope_state": "NONE"}
    assert bot.status_code == 403 and bot.json() == {"message": "Forbidden"}
    assert doubled.status_code == 400


# -- the system check ------------------------------------------------------------------------------


def _check_messages(**settings: Any) -> str:
    with override_settings(**settings):
        try:
            call_command("check")
        except SystemCheckError as exc:
            return str(exc)
    return ""


def test_check_passes_a_good_setting() -> None:
    assert _check_messages(BOTGUARD={"deny": ["(?i)scrapy"], "builtin": "kong"}) == ""


def test_check_reports_a_bad_regex() -> None:
    report = _check_messages(BOTGUARD={"deny": ["ok", "(unclosed"]})
    assert "botguard.E001" in report and "deny[1]: not a valid regex" in report


def test_check_reports_an_unknown_key_and_a_bad_value() -> None:
    report = _check_messages(BOTGUARD={"dney": ["x"]})
    assert "botguard.E001" in report and "dney" in report
    assert "duplicate_ua" in _check_messages(BOTGUARD={"duplicate_ua": "sometimes"})
    assert "expected a dict" in _check_messages(BOTGUARD=["(?i)scrapy"])


def test_check_warns_when_the_middleware_is_missing() -> None:
    with override_settings(MIDDLEWARE=[], BOTGUARD={"deny": ["x"]}):
        from django.core import checks

        ids = [m.id for m in checks.run_checks()]
    assert "botguard.W001" in ids


def test_manage_py_check_fails_on_a_bad_setting(tmp_path: Path) -> None:
    (tmp_path / "bad_settings.py").write_text(
        textwrap.dedent(
            """
            from examples.django_site.settings import *
            BOTGUARD = {"deny": ["(?i)scrapy", "[a-"], "mode": "strict"}
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}", "DJANGO_SETTINGS_MODULE": "bad_settings"}
    bad = subprocess.run(
        [sys.executable, "examples/django_site/manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert bad.returncode == 1 and "botguard.E001" in bad.stderr and "mode" in bad.stderr
    env["DJANGO_SETTINGS_MODULE"] = "examples.django_site.settings"
    good = subprocess.run(
        [sys.executable, "examples/django_site/manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert good.returncode == 0 and "no issues" in good.stdout


# -- settings parsing: loaders ---------------------------------------------------------------------


def test_a_relative_file_is_read_from_base_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "botguard.toml").write_text('deny = ["(?i)firefox"]\n')
    monkeypatch.chdir(ROOT)  # elsewhere: the working directory has no botguard.toml
    setting = {"file": "botguard.toml", "ttl": 30}
    with override_settings(ROOT_URLCONF="tests.apps.django_views", BOTGUARD=setting, BASE_DIR=tmp_path):
        assert Client().get("/", **ua(FIREFOX)).status_code == 403
        assert check_settings() == []
    with override_settings(BOTGUARD=setting, BASE_DIR=str(tmp_path / "elsewhere")):
        (error,) = check_settings()
        assert error.id == "botguard.E001" and str(tmp_path / "elsewhere" / "botguard.toml") in error.msg


def test_without_base_dir_the_check_says_where_a_relative_file_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.conf import settings

    assert not hasattr(settings, "BASE_DIR")  # the example's settings have none
    (tmp_path / "botguard.toml").write_text('deny = ["(?i)firefox"]\n')
    monkeypatch.chdir(tmp_path)
    with override_settings(BOTGUARD={"file": "botguard.toml"}):
        (warning,) = check_settings()
    assert warning.id == "botguard.W002" and warning.level == checks.WARNING
    assert "read from the working directory" in warning.msg and str(tmp_path / "botguard.toml") in warning.msg
    with override_settings(BOTGUARD={"file": str(tmp_path / "botguard.toml")}):
        assert check_settings() == []  # an absolute path says where it is


def test_loader_settings_are_checked_for_stray_keys() -> None:
    with pytest.raises(botguard.ConfigError, match="not both"):
        config_from_setting({"file": "a.toml", "url": "http://127.0.0.1/x"})
    with pytest.raises(botguard.ConfigError, match=r"unexpected key\(s\) \['deny'\]"):
        config_from_setting({"file": "a.toml", "deny": ["x"]})


def test_a_loader_object_in_settings_is_used_as_it_is() -> None:
    class Loader:
        def get(self) -> Config:
            return config

    config = Config(deny=[r"(?i)firefox"])
    loader = Loader()
    assert config_from_setting(loader) is loader
    with override_settings(ROOT_URLCONF="tests.apps.django_views", BOTGUARD=loader):
        assert Client().get("/", **ua(FIREFOX)).status_code == 403


# -- the example, served for real ------------------------------------------------------------------


def test_django_example_under_uvicorn() -> None:
    with serve_uvicorn("examples.django_site.asgi:application") as base:
        browser = httpx.get(base + "/", headers={"user-agent": CHROME})
        assert browser.status_code == 200 and browser.json() == {"hello": "human", "verdict": "NONE"}
        bot = httpx.get(base + "/", headers={"user-agent": GOOGLEBOT})
        assert bot.status_code == 403 and bot.json() == {"message": "Forbidden"}
        assert bot.headers["cache-control"] == "no-store"
        doubled = raw_request(base, two_user_agents("/", CHROME, CHROME))
        assert doubled.startswith(b"HTTP/1.1 400") and b"Only one User-Agent header allowed" in doubled
        # Per-view rules: the settings refuse scripts, the API view admits them, robots.txt is exempt.
        assert httpx.get(base + "/", headers={"user-agent": "curl/8.4.0"}).status_code == 403
        for path in ("/api/status", "/api"):
            api = httpx.get(base + path, headers={"user-agent": "curl/8.4.0"})
            assert api.status_code == 200 and api.json() == {"status": "ok", "verdict": "ALLOW"}
            assert httpx.get(base + path, headers={"user-agent": GOOGLEBOT}).status_code == 403
        assert httpx.get(base + "/robots.txt", headers={"user-agent": GOOGLEBOT}).status_code == 200


def test_django_example_under_gunicorn_wsgi() -> None:
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "examples.django_site.wsgi:application", "-b", f"127.0.0.1:{port}",
            "--threads", "4", "--log-level", "warning"]
    with serve(argv, port) as base:
        assert httpx.get(base + "/", headers={"user-agent": CHROME}).status_code == 200
        assert httpx.get(base + "/", headers={"user-agent": GOOGLEBOT}).status_code == 403
        assert httpx.get(base + "/api/status", headers={"user-agent": "curl/8.4.0"}).status_code == 200
        # gunicorn joins two User-Agent headers before Django sees them: judged as one value.
        assert b" 200 " in raw_request(base, two_user_agents("/", CHROME, CHROME)).split(b"\r\n", 1)[0]
        assert b" 403 " in raw_request(base, two_user_agents("/", CHROME, GOOGLEBOT)).split(b"\r\n", 1)[0]


def test_file_setting_uses_the_loader(tmp_path: Path) -> None:
    rules = tmp_path / "botguard.toml"
    rules.write_text('deny = ["(?i)firefox"]\n')
    setting = {"file": str(rules), "ttl": 30}
    source = config_from_setting(setting)
    assert not isinstance(source, Config) and source.get() is source.get()
    assert _check_messages(BOTGUARD=setting) == ""
    with override_settings(ROOT_URLCONF="tests.apps.django_views", BOTGUARD=setting):
        assert Client().get("/", **ua(FIREFOX)).status_code == 403
        assert Client().get("/", **ua(CHROME)).status_code == 200
    assert "botguard.E001" in _check_messages(BOTGUARD={"file": str(tmp_path / "missing.toml")})


def test_importing_the_adapter_registers_no_check() -> None:
    # The check is registered by the app's ready(), not as a side effect of an import.
    script = textwrap.dedent(
        """
        import django
        from django.conf import settings
        settings.configure(INSTALLED_APPS=[], BOTGUARD={"dney": []})
        django.setup()
        import botguard.django
        from django.core import checks
        print(sorted(m.id for m in checks.run_checks()))
        """
    )
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "botguard" not in run.stdout


def test_long_user_agents_under_django_settings() -> None:
    padded = CHROME + " " + "A" * 1000
    assert Client().get("/", **ua(padded)).status_code == 200
    assert Client().get("/", **ua(padded + " python-requests/2.31")).status_code == 403  # a name past the cut
    with override_settings(BOTGUARD={"long_ua": "block"}):
        assert Client().get("/", **ua(padded)).status_code == 403
        assert Client().get("/", **ua(CHROME)).status_code == 200


# -- per-view rules follow the urlconf Django resolved with ----------------------------------------

HOSTS = override_settings(
    ROOT_URLCONF="tests.apps.django_views",
    BOTGUARD={"deny": django_views.SCRIPTED},
    ALLOWED_HOSTS=["testserver", "127.0.0.1", django_host_views.OTHER_HOST],
    MIDDLEWARE=["botguard.django.BotGuardMiddleware", "tests.apps.django_host_views.HostUrlconfMiddleware"],
)
OTHER = {"HTTP_HOST": django_host_views.OTHER_HOST}


@HOSTS
def test_an_exemption_of_the_root_urlconf_does_not_open_another_hosts_view() -> None:
    client = Client()
    assert client.get("/robots.txt", **ua(GOOGLEBOT)).status_code == 200  # exempt at the root
    refused = client.get("/robots.txt", **ua(GOOGLEBOT), **OTHER)  # unmarked on the other host
    assert refused.status_code == 403 and refused.content == b'{"message": "Forbidden"}'
    assert client.get("/api/one", **ua("curl/8.4.0")).status_code == 200  # its own rules at the root
    assert client.get("/api/one", **ua("curl/8.4.0"), **OTHER).status_code == 403
    assert body(client.get("/robots.txt", **ua(CHROME), **OTHER))["verdict"] == "NONE"


@HOSTS
def test_an_exemption_of_another_hosts_view_is_honoured() -> None:
    client = Client()
    assert client.get("/", **ua(GOOGLEBOT)).status_code == 403  # guarded at the root
    admitted = client.get("/", **ua(GOOGLEBOT), **OTHER)  # exempt on the other host
    assert admitted.status_code == 200 and body(admitted)["verdict"] == "BOT"
    assert client.get("/nowhere", **ua(GOOGLEBOT), **OTHER).status_code == 403  # no view: the settings


@HOSTS
def test_per_host_views_under_the_asgi_handler() -> None:
    from django.core.asgi import get_asgi_application

    other = ("host", django_host_views.OTHER_HOST)
    unmarked, exempt, root_exempt, nowhere = _asgi_get(
        get_asgi_application(),
        ("/robots.txt", [("user-agent", GOOGLEBOT), other]),
        ("/", [("user-agent", GOOGLEBOT), other]),
        ("/robots.txt", [("user-agent", GOOGLEBOT)]),
        ("/nowhere", [("user-agent", GOOGLEBOT), other]),
    )
    assert unmarked.status_code == 403 and unmarked.content == b'{"message": "Forbidden"}'
    assert exempt.status_code == 200 and exempt.json()["verdict"] == "BOT"
    assert root_exempt.status_code == 200 and root_exempt.json()["verdict"] == "BOT"
    assert nowhere.status_code == 403


@TEST_URLS
def test_headers_given_as_an_iterator_are_read_from_meta_under_the_asgi_handler() -> None:
    # ASGI asks only for an iterable of headers: Django spends an iterator building META, and
    # botguard then judges META's User-Agent.
    from django.core.asgi import get_asgi_application

    app = get_asgi_application()

    def iterating(user_agent: str) -> dict[str, Any]:
        headers = [(b"host", b"127.0.0.1"), (b"user-agent", user_agent.encode())]
        return {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
            "path": "/async", "raw_path": b"/async", "query_string": b"", "root_path": "",
            "headers": iter(headers), "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
        }

    assert run_asgi(app, iterating(GOOGLEBOT)).status == 403
    browser = run_asgi(app, iterating(CHROME))
    assert browser.status == 200 and json.loads(browser.body)["verdict"] == "NONE"
