"""A Starlette app that verifies Google and Bing claims with the system resolver, for the real-server tests."""

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from botguard import BotGuardMiddleware


async def home(request: Request) -> JSONResponse:
    return JSONResponse({"verdict": request.state.botguard.name})


app = Starlette(
    routes=[Route("/", home)],
    middleware=[Middleware(BotGuardMiddleware, verify=("google", "bing"), verdict_header="x-botguard")],
)
