"""Django under several worker processes with prometheus_client's multiprocess recipe, as the
production docs describe it: settings, URLs and the WSGI application in one module.

    PROMETHEUS_MULTIPROC_DIR=... gunicorn tests.apps.django_metrics_site:application -w 2
"""

from __future__ import annotations

import os

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

import botguard
import botguard.django
import botguard.prometheus

# This module is both the server's entry point and the settings Django reads (it finds them
# already defined when `get_wsgi_application` below asks for them).
os.environ["DJANGO_SETTINGS_MODULE"] = __name__

SECRET_KEY = "botguard-tests-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
USE_TZ = True
ROOT_URLCONF = __name__
MIDDLEWARE = ["botguard.django.BotGuardMiddleware"]
BOTGUARD = {"allow": [r"Chrome/120\.0\.0\.0 Safari"], "deny": [r"(?i)scrapy"]}  # as in multiprocess_app


def home(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"pid": os.getpid()})


@botguard.django.exempt  # the scraper is a bot too
def metrics(request: HttpRequest) -> HttpResponse:
    registry = CollectorRegistry()
    botguard.prometheus.MultiProcessCollector(registry)
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


urlpatterns = [path("", home), path("metrics", metrics)]

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
botguard.prometheus.register()
