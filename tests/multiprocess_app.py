"""prometheus_client's multiprocess recipe with botguard, for real servers with several workers.

`app` (ASGI, for uvicorn --workers) and `wsgi_app` (for gunicorn's sync workers): `/` answers the
worker's pid behind `BotGuardMiddleware`; `/metrics` (outside botguard) is prometheus_client's
documented recipe, a fresh `CollectorRegistry` with a `MultiProcessCollector`, per scrape.
Needs PROMETHEUS_MULTIPROC_DIR in the environment.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, make_asgi_app, make_wsgi_app, multiprocess

import botguard
from botguard import BotGuardMiddleware, BotGuardWSGIMiddleware, Config

botguard.prometheus.register()

CONFIG = Config(deny=[r"(?i)scrapy"])


def metrics_registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


async def home(scope: dict[str, Any], receive: Any, send: Any) -> None:
    body = json.dumps({"pid": os.getpid()}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


guarded = BotGuardMiddleware(home, config=CONFIG)


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http" and scope["path"] == "/metrics":
        await make_asgi_app(metrics_registry())(scope, receive, send)
    elif scope["type"] == "lifespan":
        message = await receive()
        await send({"type": "lifespan.startup.complete"})
        message = await receive()
        if message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
    else:
        await guarded(scope, receive, send)


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
