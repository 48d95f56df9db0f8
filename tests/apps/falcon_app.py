"""Falcon apps (WSGI and ASGI) behind botguard's Falcon middleware, for the real-server tests.

Crawler claims are verified against a fixed table instead of DNS: Googlebot's address behind a
trusted local proxy (the test client sends `X-Forwarded-For`).
"""

from __future__ import annotations

from typing import Any

import falcon
import falcon.asgi

from botguard import Config
from botguard.falcon import BotGuardMiddleware

GOOGLE_IP = "66.249.66.1"
GOOGLE_NAME = "crawl-66-249-66-1.googlebot.com"


class TableResolver:
    """Googlebot's reverse and forward records, and nothing else."""

    def reverse(self, ip: str) -> list[str]:
        return [GOOGLE_NAME] if ip == GOOGLE_IP else []

    def forward(self, name: str) -> list[str]:
        return [GOOGLE_IP] if name == GOOGLE_NAME else []


CONFIG = Config(
    deny=[r"(?i)scrapy"],
    verdict_header="x-botguard",
    verify=("google",),
    trusted_proxies=("127.0.0.1/32",),
    resolver=TableResolver(),
)


def _body(req: Any) -> bytes:
    verdict = req.context.botguard
    return (verdict.name if verdict is not None else "rejected").encode()


class Home:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.data = _body(req)


class AsyncHome:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.data = _body(req)


wsgi_app = falcon.App(middleware=[BotGuardMiddleware(CONFIG)])
wsgi_app.add_route("/", Home())

asgi_app = falcon.asgi.App(middleware=[BotGuardMiddleware(CONFIG)])
asgi_app.add_route("/", AsyncHome())
