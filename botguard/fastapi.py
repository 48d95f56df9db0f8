"""botguard as a FastAPI dependency: rules per route or per router, with the middleware's answers.

    from fastapi import APIRouter, Depends
    from botguard.fastapi import BotGuard

    api = APIRouter(prefix="/api", dependencies=[Depends(BotGuard(allow=[r"^curl/"]))])

The middleware runs before routing, so it cannot be loosened for one route; a dependency runs on
the routes it is attached to. Importing this module needs FastAPI (Starlette); the core does not.
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ._config import Config
from ._guard import Guard
from ._request import scope_request
from ._responses import BlockResponse
from ._types import ConfigSource
from ._verdict import Verdict

__all__ = ["BotGuard", "BotGuardBlocked"]


class BotGuardBlocked(HTTPException):
    """Raised by `BotGuard` for a refused request; answered with the config's block response.

    Register your own handler for it (`app.add_exception_handler(BotGuardBlocked, ...)`) to answer
    differently; `exc.response` is the prebuilt answer (status, headers, body), `exc.verdict` the
    verdict (None for duplicate User-Agent headers).
    """

    def __init__(
        self, response: BlockResponse, verdict: Verdict | None, extra: tuple[tuple[bytes, bytes], ...] = ()
    ) -> None:
        # The headers an ordinary HTTPException handler may send: not the length or type of a
        # body it will replace with its own.
        headers = {
            k.decode("latin-1"): v.decode("latin-1")
            for k, v in (*response.headers, *extra)
            if k not in (b"content-length", b"content-type")
        }
        super().__init__(response.status, detail=response.body.decode("utf-8", "replace"), headers=headers)
        self.response = response
        self.verdict = verdict
        self.extra = extra


async def answer_blocked(request: Request, exc: Exception) -> Response:
    """The exception handler for `BotGuardBlocked`: the block response, byte for byte."""
    assert isinstance(exc, BotGuardBlocked)
    response = Response(exc.response.body, status_code=exc.response.status)
    response.raw_headers = [*exc.response.headers, *exc.extra]
    return response


class BotGuard:
    """A dependency that answers bots with the middleware's 403 (and 400 for two User-Agents).

        site = APIRouter(dependencies=[Depends(BotGuard(deny=[r"^curl/"]))])

        @app.get("/feed", dependencies=[Depends(BotGuard(builtin="kong"))])
        async def feed(): ...

        @app.get("/")
        async def home(verdict: Verdict = Depends(site_guard)): ...

    Arguments:
        config: a `Config`, or a loader (anything with `.get()` returning a `Config`);
            None means the built-in defaults.
        **fields: `Config` fields, to build a config in place (not together with `config`).

    Build each guard once (at import) and reuse it: one guard is one config and one verdict
    cache, however many routes use it. The verdict is returned and set as
    `request.state.botguard`. On its first block the guard registers `answer_blocked` for
    `BotGuardBlocked` in the app's live exception handlers, unless you registered one, so the body
    and headers are the middleware's. HTTP routes only.
    """

    def __init__(self, config: Config | ConfigSource | None = None, **fields: Any) -> None:
        self.guard = Guard(config, fields)

    async def __call__(self, request: Request, response: Response) -> Verdict:
        scope = request.scope
        seen = scope_request(scope)
        decision = self.guard.decide(seen)
        if decision.pending:
            decision = await self.guard.asettle(decision, seen)
        verdict = decision.verdict
        if decision.response is None:
            assert verdict is not None  # only a rejected duplicate has no verdict, and it is blocked
            request.state.botguard = verdict
            if decision.header is not None:
                # Merged into the route's response unless the route returns a Response itself.
                name, value = decision.header
                response.headers[name.decode("latin-1")] = value.decode("latin-1")
            return verdict
        handlers = scope.get("starlette.exception_handlers")
        if handlers is not None:
            # Without a handler of its own, FastAPI would answer `{"detail": ...}`; the table is the
            # one this request's exception is looked up in, so the first block already uses it.
            handlers[0].setdefault(BotGuardBlocked, answer_blocked)
        raise BotGuardBlocked(decision.response, verdict)
