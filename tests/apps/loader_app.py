"""A Starlette app whose botguard rules come from a file (BOTGUARD_TEST_CONFIG), re-checked every BOTGUARD_TEST_TTL s.

Every answer, botguard's 403s included, names the worker process that sent it (`x-pid`).
"""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from botguard import BotGuardMiddleware, ConfigLoader


async def home(request: Request) -> JSONResponse:
    return JSONResponse({"verdict": request.state.botguard.name, "pid": os.getpid()})


class _NamingTheWorker:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_naming(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), (b"x-pid", str(os.getpid()).encode())]}
            await send(message)

        await self.app(scope, receive, send_naming)


loader = ConfigLoader.from_file(os.environ["BOTGUARD_TEST_CONFIG"], ttl=float(os.environ.get("BOTGUARD_TEST_TTL", "30")))
app = Starlette(routes=[Route("/", home)], middleware=[Middleware(_NamingTheWorker), Middleware(BotGuardMiddleware, config=loader)])
