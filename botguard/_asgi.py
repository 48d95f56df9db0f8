"""`BotGuardMiddleware`: botguard as pure ASGI middleware (Starlette, FastAPI, Django ASGI, any)."""

from __future__ import annotations

import sys
from types import FrameType
from typing import Any

from . import _observe
from ._config import Config
from ._errors import ConfigError
from ._guard import Guard
from ._request import scope_request
from ._responses import BlockResponse
from ._types import ASGIApp, ConfigSource, Message, Receive, Scope, Send

__all__ = ["BotGuardMiddleware"]


class BotGuardMiddleware:
    """Answer bots with 403 before the app runs; pass everything else with its verdict.

        app.add_middleware(BotGuardMiddleware, deny=[r"(?i)scrapy"])
        app = BotGuardMiddleware(app, config=ConfigLoader.from_file("botguard.toml", ttl=30))

    Arguments:
        app: the ASGI app to protect.
        config: a `Config`, or a loader (anything with `.get()` returning a `Config`);
            None means the built-in defaults.
        **fields: `Config` fields, to build a config in place (not together with `config`).

    The verdict is in `scope["state"]["botguard"]` (`request.state.botguard`) for every request
    it judges, blocked ones too, so an outer middleware (access log, tracing) sees it.
    `lifespan` and other scope types pass through.

    A config botguard cannot use raises `ConfigError` here. Given to Starlette's or FastAPI's
    `add_middleware`, which build the middleware on the first call (the lifespan startup), it
    fails the start instead: the lifespan startup is answered `lifespan.startup.failed` with the
    error's message, so uvicorn and hypercorn print it and exit; without a lifespan, every
    request raises it.
    """

    # `app` positional-only, so that type checkers accept the class where Starlette and FastAPI
    # expect a middleware factory (`Middleware(BotGuardMiddleware, deny=[...])`, `add_middleware`);
    # `BotGuardMiddleware(app=...)` is read from the keywords.
    def __init__(self, app: ASGIApp | None = None, /, config: Config | ConfigSource | None = None, **fields: Any) -> None:
        if app is None:
            app = fields.pop("app", None)
            if app is None:
                raise TypeError("BotGuardMiddleware() needs the ASGI app it wraps: BotGuardMiddleware(app, ...)")
        self.app = app
        try:
            self.guard = Guard(config, fields)
        except ConfigError as error:
            if not _built_by_the_app():
                raise
            # Raised here, the error would leave the app's first call: uvicorn and hypercorn
            # take that for "lifespan unsupported", start anyway, and answer 500 to everything.
            self.app = _FailedStart(error)
            self.guard = _Unusable(error)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http" and kind != "websocket":
            if kind == "lifespan":
                receive = _noting_shutdown(receive)
            await self.app(scope, receive, send)
            return
        request = scope_request(scope)
        decision = self.guard.decide(request)
        if decision.pending:
            # A claim to be a verified crawler: prove it by the client's address (DNS off the loop).
            decision = await self.guard.asettle(decision, request)
        state = scope.get("state")
        if state is None:
            state = scope["state"] = {}
        state["botguard"] = decision.verdict
        response = decision.response
        if response is None:
            if decision.header is not None:
                send = _adding_header(send, decision.header)
            await self.app(scope, receive, send)
        elif kind == "http":
            if response.trailers and "http.response.trailers" in scope.get("extensions", ()):
                await _send_with_trailers(send, response)
            else:
                await _send_http(send, response)
        elif "websocket.http.response" in scope.get("extensions", ()):
            await _send_http(send, response, prefix="websocket.")
        else:
            # Refused before it is accepted: the server answers the handshake with 403.
            await send({"type": "websocket.close", "code": 1008})


async def _send_http(send: Send, response: BlockResponse, prefix: str = "") -> None:
    await send({"type": f"{prefix}http.response.start", "status": response.status, "headers": list(response.headers)})
    await send({"type": f"{prefix}http.response.body", "body": response.body})


async def _send_with_trailers(send: Send, response: BlockResponse) -> None:
    # gRPC over HTTP/2: a header block that does not end the stream, followed by an empty DATA
    # frame, leaves clients with "server closed the stream without sending trailers"; the
    # status has to arrive as trailers (or in a header block that ends the stream, which ASGI
    # cannot ask for). They stay in the headers as well, for a client that reads no trailers (a
    # test client, a proxy's log): gRPC clients read the status from the trailers.
    names = response.trailers
    headers = list(response.headers)
    trailers = [h for h in response.headers if h[0] in names]
    await send({"type": "http.response.start", "status": response.status, "headers": headers, "trailers": True})
    await send({"type": "http.response.body", "body": response.body})
    await send({"type": "http.response.trailers", "headers": trailers, "more_trailers": False})


def _built_by_the_app() -> bool:
    """True when the caller is an app building its middleware stack on its first call (Starlette
    and FastAPI do, in `build_middleware_stack`), rather than user code at start-up."""
    frame: FrameType | None = sys._getframe(2)
    for _ in range(4):  # the caller, or a subclass's __init__ or two in between
        if frame is None:
            return False
        if frame.f_code.co_name == "build_middleware_stack":
            return True
        frame = frame.f_back
    return False


class _FailedStart:
    """Where a middleware with an unusable config stands in for the app: fails the lifespan
    startup with the error's message, and raises it for any other call."""

    def __init__(self, error: ConfigError) -> None:
        self.error = error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.failed", "message": f"botguard: {self.error}"})
                return
        raise self.error


class _Unusable(Guard):
    """The guard of a middleware whose config was refused: every request raises the refusal."""

    __slots__ = ("error",)

    def __init__(self, error: ConfigError) -> None:  # no config to hold
        self.error = error

    def decide(self, request: Any) -> Any:
        raise self.error


def _noting_shutdown(receive: Receive) -> Receive:
    # The server is about to stop this process: tell `_observe` (the Prometheus multiprocess
    # copy is made there), because uvicorn ends a worker by re-raising the stop signal, and no
    # exit handler runs after that.
    async def receive_noting_shutdown() -> Message:
        message = await receive()
        if message.get("type") == "lifespan.shutdown":
            _observe.shutting_down()
        return message

    return receive_noting_shutdown


def _adding_header(send: Send, header: tuple[bytes, bytes]) -> Send:
    async def send_with_header(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", ()), header]}
        await send(message)

    return send_with_header
