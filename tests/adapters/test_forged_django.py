"""check_headers under Django: from settings.BOTGUARD and per view, under WSGI and ASGI."""

from __future__ import annotations

import asyncio
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "examples.django_site.settings")

import django  # noqa: E402

django.setup()

from django.test import AsyncClient, Client, override_settings  # noqa: E402

from tests.support.agents import CHROME_131 as CHROME
CURL_LIKE = {"user-agent": CHROME, "accept": "*/*"}
BROWSER_LIKE = {"user-agent": CHROME, "accept": "text/html", "accept-language": "en-GB,en;q=0.9"}
URLS = "tests.apps.forged_django_views"


@override_settings(ROOT_URLCONF=URLS, BOTGUARD={"check_headers": True})
def test_settings_turn_it_on_under_wsgi() -> None:
    client = Client()
    refused = client.get("/", headers=CURL_LIKE)
    assert refused.status_code == 403 and refused.content == b'{"message": "Forbidden"}'
    assert client.get("/", headers=BROWSER_LIKE).json() == {"verdict": "NONE"}


@override_settings(ROOT_URLCONF=URLS, BOTGUARD={"check_headers": True})
def test_settings_turn_it_on_under_asgi() -> None:
    async def go() -> tuple[int, int]:
        client = AsyncClient()
        refused = await client.get("/", headers=CURL_LIKE)
        passed = await client.get("/", headers=BROWSER_LIKE)
        return refused.status_code, passed.status_code

    assert asyncio.run(go()) == (403, 200)


@override_settings(ROOT_URLCONF=URLS, BOTGUARD={"check_headers": True, "monitor": True})
def test_monitor_mode_reports_forged_to_the_view() -> None:
    assert Client().get("/", headers=CURL_LIKE).json() == {"verdict": "FORGED"}


@override_settings(ROOT_URLCONF=URLS, BOTGUARD={})
def test_off_by_default_and_on_for_one_view() -> None:
    client = Client()
    assert client.get("/", headers=CURL_LIKE).status_code == 200
    assert client.get("/checked", headers=CURL_LIKE).status_code == 403
    assert client.get("/checked", headers=BROWSER_LIKE).status_code == 200
