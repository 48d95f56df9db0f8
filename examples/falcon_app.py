"""A Falcon app, WSGI and ASGI: the site refuses bots and scripts, /api/ admits scripted clients.

    uvicorn examples.falcon_app:asgi_app --host 127.0.0.1 --port 8000     # ASGI
    gunicorn examples.falcon_app:app -b 127.0.0.1:8000 --threads 4         # WSGI
    python examples/falcon_app.py                                          # WSGI, wsgiref, 127.0.0.1:8000

Falcon runs its middleware for every route, so the two sets of rules are two botguard
middlewares, and `ByPath` hands each request to one of them: each keeps its own config and
verdict cache, as a Starlette `Mount` does. Under ASGI two User-Agent headers get a 400; a WSGI
server joins them into one value, judged as one.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `botguard` importable from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import falcon
import falcon.asgi

from botguard.falcon import BotGuardMiddleware

SCRIPTED = [r"^curl/", r"^python-requests/", r"^python-httpx/"]


class ByPath:
    """Falcon middleware that judges /api and /api/... by the API's rules, the rest by the site's."""

    def __init__(self, site: BotGuardMiddleware, api: BotGuardMiddleware) -> None:
        self.site, self.api = site, api

    def _guard(self, req: Any) -> BotGuardMiddleware:
        path = req.path
        return self.api if path == "/api" or path.startswith("/api/") else self.site

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._guard(req).process_request(req, resp)

    async def process_request_async(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        await self._guard(req).process_request_async(req, resp)


def _verdict(req: Any) -> str:
    return req.context.botguard.name


class Home:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"hello": "human", "verdict": _verdict(req)}


class Status:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"status": "ok", "verdict": _verdict(req)}


class AsyncHome:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.media = {"hello": "human", "verdict": _verdict(req)}


class AsyncStatus:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.media = {"status": "ok", "verdict": _verdict(req)}


def _guards() -> ByPath:
    return ByPath(site=BotGuardMiddleware(deny=SCRIPTED), api=BotGuardMiddleware(allow=SCRIPTED))


app = falcon.App(middleware=[_guards()])
for route in ("/api", "/api/status"):
    app.add_route(route, Status())
app.add_route("/", Home())

asgi_app = falcon.asgi.App(middleware=[_guards()])
for route in ("/api", "/api/status"):
    asgi_app.add_route(route, AsyncStatus())
asgi_app.add_route("/", AsyncHome())


def main(host: str = "127.0.0.1", port: int = 8000) -> None:
    from examples.wsgi_app import serve_threaded

    serve_threaded(app, host, port, "Falcon")


if __name__ == "__main__":
    main(*sys.argv[1:2], *map(int, sys.argv[2:3]))
