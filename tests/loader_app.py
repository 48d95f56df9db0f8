"""A Starlette app whose botguard rules come from a file (BOTGUARD_TEST_CONFIG), re-checked every BOTGUARD_TEST_TTL s."""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from botguard import BotGuardMiddleware, ConfigLoader


async def home(request: Request) -> JSONResponse:
    return JSONResponse({"verdict": request.state.botguard.name, "pid": os.getpid()})


loader = ConfigLoader.from_file(os.environ["BOTGUARD_TEST_CONFIG"], ttl=float(os.environ.get("BOTGUARD_TEST_TTL", "30")))
app = Starlette(routes=[Route("/", home)], middleware=[Middleware(BotGuardMiddleware, config=loader)])
