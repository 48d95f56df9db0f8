"""`BotGuardMiddleware`: botguard as pure ASGI middleware (Starlette, FastAPI, Django ASGI, any)."""

from __future__ import annotations

from typing import Any

from ._config import Config
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

    The verdict reaches the app as `scope["state"]["botguard"]` (`request.state.botguard`).
    `lifespan` and other scope types pass through untouched.
    """

    # `app` positional-only: so type checkers accept the class where Starlette and FastAPI expect
    # a middleware factory (`Middleware(BotGuardMiddleware, deny=[...])`, `add_middleware`).
    def __init__(self, app: ASGIApp, /, config: Config | ConfigSource | None = None, **fields: Any) -> None:
        self.app = app
        self.guard = Guard(config, fields)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http" and kind != "websocket":
            await self.app(scope, receive, send)
            return
        request = scope_request(scope)
        decision = self.guard.decide(request)
        if decision.pending:
            # A claim to be a verified crawler: prove it by the client's address (DNS off the loop).
            decision = await self.guard.asettle(decision, request)
        response = decision.response
        if response is None:
            state = scope.get("state")
            if state is None:
                state = scope["state"] = {}
            state["botguard"] = decision.verdict
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
    # cannot ask for).
    names = response.trailers
    headers = [h for h in response.headers if h[0] not in names]
    trailers = [h for h in response.headers if h[0] in names]
    await send({"type": "http.response.start", "status": response.status, "headers": headers, "trailers": True})
    await send({"type": "http.response.body", "body": response.body})
    await send({"type": "http.response.trailers", "headers": trailers, "more_trailers": False})


def _adding_header(send: Send, header: tuple[bytes, bytes]) -> Send:
    async def send_with_header(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", ()), header]}
        await send(message)

    return send_with_header
