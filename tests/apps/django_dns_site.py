"""A Django project served under ASGI whose crawler lookups are slow, for the event-loop tests.

    BOTGUARD_TEST_SITE=per_view uvicorn tests.apps.django_dns_site:application
    BOTGUARD_TEST_SITE=first    uvicorn tests.apps.django_dns_site:application

`per_view`: `BOTGUARD = {}` and one view with `rules(Config(verify=("google",)))` (the way to let
the verified Googlebot into one view); `first`: `duplicate_ua="first"` with `verify` in the
settings. The resolver touches `BOTGUARD_TEST_MARKER` when a reverse lookup starts, then takes
`SLOW` seconds: a test knows a lookup is in flight without guessing a delay.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import path

import botguard.django
from botguard import Config

SLOW = 3.0


class SlowResolver:
    """No records, slowly: every claim is refused once `verify_timeout` has passed."""

    def reverse(self, ip: str) -> list[str]:
        Path(os.environ["BOTGUARD_TEST_MARKER"]).touch()
        time.sleep(SLOW)
        return []

    def forward(self, name: str) -> list[str]:
        return []


RESOLVER = SlowResolver()
SITE = os.environ.get("BOTGUARD_TEST_SITE", "per_view")


def home(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"verdict": request.botguard.name if request.botguard is not None else None})


@botguard.django.rules(Config(verify=("google",), resolver=RESOLVER, verify_timeout=2.0))
def crawlers_welcome(request: HttpRequest) -> JsonResponse:
    return home(request)


urlpatterns = [path("", home), path("crawlers", crawlers_welcome)]

settings.configure(
    SECRET_KEY="botguard-test-only",
    DEBUG=False,
    ALLOWED_HOSTS=["127.0.0.1"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=["botguard.django.BotGuardMiddleware"],
    BOTGUARD=(
        {}
        if SITE == "per_view"
        else Config(duplicate_ua="first", verify=("google",), resolver=RESOLVER, verify_timeout=2.0)
    ),
)

from django.core.asgi import get_asgi_application  # noqa: E402  (after the settings)

application = get_asgi_application()
