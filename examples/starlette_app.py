"""A Starlette app protected by botguard's built-in default rules, with other rules for /api.

    uvicorn examples.starlette_app:app --host 127.0.0.1 --port 8000     # or: make demo

The site (`/` and everything outside /api) refuses known bots and, on top of the built-in list,
scripted clients; /api admits scripted clients (curl, python-requests, python-httpx) and still
refuses the crawlers the built-in list names. Each part is a `Mount` with its own middleware, so
each has its own config and verdict cache.
"""

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from botguard import BotGuardMiddleware

SCRIPTED = [r"^curl/", r"^python-requests/", r"^python-httpx/"]


async def home(request: Request) -> JSONResponse:
    return JSONResponse({"hello": "human", "verdict": request.state.botguard.name})


async def api_status(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok", "verdict": request.state.botguard.name})


API_RULES = [Middleware(BotGuardMiddleware, allow=SCRIPTED)]

app = Starlette(
    routes=[
        # /api itself, which the Mount below does not match (it matches "/api/..." only).
        Route("/api", api_status, middleware=API_RULES),
        Mount("/api", routes=[Route("/", api_status), Route("/status", api_status)], middleware=API_RULES),
        Mount("", routes=[Route("/", home)], middleware=[Middleware(BotGuardMiddleware, deny=SCRIPTED)]),
    ]
)
