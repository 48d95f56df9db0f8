"""URLs for the check_headers tests of the Django adapter (ROOT_URLCONF = "tests.apps.forged_django_views")."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path

import botguard.django


def home(request: HttpRequest) -> JsonResponse:
    verdict = request.botguard  # type: ignore[attr-defined]
    return JsonResponse({"verdict": None if verdict is None else verdict.name})


@botguard.django.rules(check_headers=True)
def checked(request: HttpRequest) -> JsonResponse:
    return home(request)


urlpatterns = [path("", home), path("checked", checked)]
