"""A second host's URLs, chosen per request by a middleware after botguard's (the django-hosts and
django-tenants pattern): the same paths as `tests.apps.django_views`, marked the other way round."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.urls import path

import botguard.django
from tests.apps.django_views import _verdict

OTHER_HOST = "other.example"


class HostUrlconfMiddleware:
    """Set `request.urlconf` to this module for requests to `OTHER_HOST`."""

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        if request.get_host() == OTHER_HOST:
            request.urlconf = __name__
        return self.get_response(request)


def unmarked(request: HttpRequest) -> Any:
    return _verdict(request)


@botguard.django.exempt
def exempt_home(request: HttpRequest) -> Any:
    return _verdict(request)


urlpatterns = [
    path("", exempt_home),  # the root urlconf's "" is guarded
    path("robots.txt", unmarked),  # the root urlconf's is exempt
    path("api/one", unmarked),  # the root urlconf's admits scripts by its own rules
]
