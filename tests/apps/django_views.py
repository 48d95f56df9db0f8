"""Views and URLs for the Django adapter's tests (ROOT_URLCONF = "tests.apps.django_views")."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils.decorators import method_decorator
from django.views import View

import botguard.django

SCRIPTED = [r"^curl/", r"^python-requests/"]
api_rules = botguard.django.rules(allow=SCRIPTED)


def _verdict(request: HttpRequest) -> JsonResponse:
    verdict = getattr(request, "botguard", "unset")
    state = getattr(request, "scope", {}).get("state", {}).get("botguard", "unset")
    return JsonResponse(
        {
            "verdict": verdict if verdict in ("unset", None) else verdict.name,
            "scope_state": state if state in ("unset", None) else state.name,
        }
    )


def home(request: HttpRequest) -> JsonResponse:
    return _verdict(request)


async def async_home(request: HttpRequest) -> JsonResponse:
    return _verdict(request)


@api_rules
def api_one(request: HttpRequest) -> JsonResponse:
    return _verdict(request)


@api_rules
async def api_two(request: HttpRequest) -> JsonResponse:
    return _verdict(request)


@botguard.django.rules({"deny": [r"(?i)firefox"], "builtin": None})
def no_firefox(request: HttpRequest) -> JsonResponse:
    return _verdict(request)


@botguard.django.exempt
def robots(request: HttpRequest) -> JsonResponse:
    return _verdict(request)


@botguard.django.exempt
async def async_robots(request: HttpRequest) -> JsonResponse:
    return _verdict(request)


@botguard.django.exempt
class ExemptView(View):
    def get(self, request: HttpRequest) -> JsonResponse:
        return _verdict(request)


class RulesView(View):
    @method_decorator(api_rules)
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> JsonResponse:
        return _verdict(request)


urlpatterns = [
    path("", home),
    path("async", async_home),
    path("api/one", api_one),
    path("api/two", api_two),
    path("no-firefox", no_firefox),
    path("robots.txt", robots),
    path("async-robots", async_robots),
    path("exempt-class", ExemptView.as_view()),
    path("exempt-as-view", botguard.django.exempt(View.as_view())),
    path("rules-class", RulesView.as_view()),
]
