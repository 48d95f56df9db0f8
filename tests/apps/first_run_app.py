"""A Starlette app given botguard's settings through `add_middleware`, as its README tour does:
the settings come as JSON in BOTGUARD_TEST_FIELDS (keyword arguments of the middleware)."""

from __future__ import annotations

import json
import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from botguard import BotGuardMiddleware


async def home(request: Request) -> JSONResponse:
    return JSONResponse({"verdict": request.state.botguard.name})


app = Starlette(routes=[Route("/", home)])
app.add_middleware(BotGuardMiddleware, **json.loads(os.environ.get("BOTGUARD_TEST_FIELDS", "{}")))
