"""Verified crawlers through every adapter: WSGI (and a real wsgiref), the FastAPI dependency, Django."""

from __future__ import annotations

import asyncio
import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "examples.django_site.settings")

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from fastapi import Depends, FastAPI  # noqa: E402

from botguard import BotGuardWSGIMiddleware, Config, Verdict  # noqa: E402
from botguard.fastapi import BotGuard  # noqa: E402

from tests.support.asgi_harness import http_scope, run, ua_headers  # noqa: E402
from tests.support.agents import CHROME, GOOGLEBOT_COMPATIBLE as GOOGLEBOT
from tests.support.dns import GOOGLE_IP, StubResolver  # noqa: E402
from tests.support.wsgi_harness import call, environ_for, ok_app, serve_wsgiref  # noqa: E402


def wsgi_environ(ua: str, ip: str, **extra: str) -> dict[str, Any]:
    environ = environ_for(ua)
    environ["REMOTE_ADDR"] = ip
    environ.update(extra)
    return environ


def test_wsgi_verifies_claims_by_remote_addr() -> None:
    stub = StubResolver()
    app = BotGuardWSGIMiddleware(ok_app, verify=("google",), resolver=stub, verdict_header="x-botguard")
    real = call(app, wsgi_environ(GOOGLEBOT, GOOGLE_IP))
    assert real.status.startswith("200") and real.environ["botguard.verdict"] is Verdict.ALLOW
    fake = call(app, wsgi_environ(GOOGLEBOT, "203.0.113.9"))
    assert fake.status.startswith("403") and not fake.app_called and ("x-botguard", "spoofed") in fake.headers
    assert call(app, wsgi_environ(CHROME, "203.0.113.9")).status.startswith("200")
    assert stub.reverse_calls == [GOOGLE_IP, "203.0.113.9"]


def test_wsgi_reads_the_proxy_header_only_from_trusted_proxies() -> None:
    stub = StubResolver()
    app = BotGuardWSGIMiddleware(ok_app, verify=("google",), resolver=stub, trusted_proxies=["10.0.0.0/8"])
    behind = wsgi_environ(GOOGLEBOT, "10.0.0.5", HTTP_X_FORWARDED_FOR=f"{GOOGLE_IP}, 10.0.0.7")
    assert call(app, behind).status.startswith("200")
    spoofing = wsgi_environ(GOOGLEBOT, "203.0.113.9", HTTP_X_FORWARDED_FOR=GOOGLE_IP)
    assert call(app, spoofing).status.startswith("403")


def test_wsgi_timeout_refuses_then_caches_the_failure() -> None:
    stub = StubResolver()
    gate = stub.hang()
    try:
        app = BotGuardWSGIMiddleware(ok_app, verify=("google",), resolver=stub, verify_timeout=0.2)
        assert call(app, wsgi_environ(GOOGLEBOT, GOOGLE_IP)).status.startswith("403")
        assert call(app, wsgi_environ(GOOGLEBOT, GOOGLE_IP)).status.startswith("403")
        assert stub.reverse_calls == [GOOGLE_IP]
    finally:
        gate.set()


def test_real_wsgiref_refuses_spoofed_claims_on_127_0_0_1() -> None:
    app = BotGuardWSGIMiddleware(ok_app, verify=("google", "bing"), verdict_header="x-botguard")  # system resolver
    with serve_wsgiref(app) as base:
        fake = httpx.get(base + "/", headers={"user-agent": GOOGLEBOT})
        assert fake.status_code == 403 and fake.headers["x-botguard"] == "spoofed"
        assert httpx.get(base + "/", headers={"user-agent": CHROME}).status_code == 200


def test_fastapi_dependency_verifies_claims() -> None:
    stub = StubResolver()
    guard = BotGuard(verify=("google",), resolver=stub)
    app = FastAPI()

    @app.get("/")
    async def home(verdict: Verdict = Depends(guard)) -> dict[str, str]:
        return {"verdict": verdict.name}

    async def go() -> list[httpx.Response]:
        responses = []
        for ip in (GOOGLE_IP, "203.0.113.9"):
            transport = httpx.ASGITransport(app=app, client=(ip, 1234))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                responses.append(await client.get("/", headers={"user-agent": GOOGLEBOT}))
        return responses

    real, fake = asyncio.run(go())
    assert real.status_code == 200 and real.json() == {"verdict": "ALLOW"}
    assert fake.status_code == 403 and fake.json() == {"message": "Forbidden"}


def test_django_sync_and_async_verify_claims() -> None:
    stub = StubResolver()
    config = Config(verify=("google",), resolver=stub)
    with override_settings(ROOT_URLCONF="tests.apps.django_views", BOTGUARD=config):
        assert Client(REMOTE_ADDR=GOOGLE_IP).get("/", headers={"user-agent": GOOGLEBOT}).status_code == 200
        assert Client().get("/", headers={"user-agent": GOOGLEBOT}).status_code == 403  # from 127.0.0.1
        assert Client().get("/", headers={"user-agent": CHROME}).status_code == 200

        # Under ASGI Django runs the middleware in async mode: the lookup is awaited off the loop.
        from django.core.asgi import get_asgi_application

        application = get_asgi_application()
        statuses = []
        for ip in (GOOGLE_IP, "203.0.113.9"):
            scope = http_scope(ua_headers(GOOGLEBOT))
            scope["client"] = (ip, 50000)
            statuses.append(run(application, scope).status)
        assert statuses == [200, 403]
    assert stub.reverse_calls.count(GOOGLE_IP) == 1
