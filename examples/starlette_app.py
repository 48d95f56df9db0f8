"""A Starlette app protected by botguard's built-in default rules.

    uvicorn examples.starlette_app:app --host 127.0.0.1 --port 8000
"""

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from botguard import BotGuardMiddleware


async def home(request: Request) -> JSONResponse:
    return JSONResponse({"hello": "human", "verdict": request.state.botguard.name})


app = Starlette(routes=[Route("/", home)], middleware=[Middleware(BotGuardMiddleware)])
