"""prometheus_client's multiprocess recipe with botguard, for real servers with several workers.

`app` (ASGI, for uvicorn --workers) and `wsgi_app` (for gunicorn's sync workers): `/` answers the
worker's pid behind botguard's middleware; `/metrics` (outside botguard) is prometheus_client's
documented recipe, a `CollectorRegistry` with a `MultiProcessCollector` (botguard's, which skips a
file a worker is still creating).
Needs PROMETHEUS_MULTIPROC_DIR in the environment.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, make_asgi_app, make_wsgi_app

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import botguard
from botguard import BotGuardMiddleware, BotGuardWSGIMiddleware, Config

botguard.prometheus.register()

# The test's browser is allowed by name, so that its requests are told apart from the readiness
# probe's (another browser) and the scraper's.
CONFIG = Config(allow=[r"Chrome/120\.0\.0\.0 Safari"], deny=[r"(?i)scrapy"])


def metrics_registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    # prometheus_client's recipe, with botguard's collector: it skips a file a worker is still creating.
    botguard.prometheus.MultiProcessCollector(registry)
    return registry


async def home(request: Request) -> JSONResponse:
    return JSONResponse({"pid": os.getpid()})


# The site behind botguard, as a Starlette app: the lifespan reaches botguard's middleware.
site = Starlette(routes=[Route("/", home)], middleware=[Middleware(BotGuardMiddleware, config=CONFIG)])
metrics_app = make_asgi_app(metrics_registry())


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http" and scope["path"] == "/metrics":
        await metrics_app(scope, receive, send)
    else:
        await site(scope, receive, send)


def _wsgi_home(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    body = json.dumps({"pid": os.getpid()}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


wsgi_guarded = BotGuardWSGIMiddleware(_wsgi_home, config=CONFIG)


def wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ["PATH_INFO"] == "/metrics":
        result: Iterable[bytes] = make_wsgi_app(metrics_registry())(environ, start_response)
        return result
    return wsgi_guarded(environ, start_response)
