"""A Starlette app with a websocket route, protected by botguard, for the real-server tests."""

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from botguard import BotGuardMiddleware


async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text(websocket.state.botguard.name)
    await websocket.close()


async def home(request: object) -> PlainTextResponse:
    return PlainTextResponse("ok")


app = Starlette(routes=[Route("/", home), WebSocketRoute("/ws", echo)], middleware=[Middleware(BotGuardMiddleware)])
