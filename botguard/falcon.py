"""botguard for Falcon: one middleware for Falcon's WSGI and ASGI apps alike.

    import falcon, falcon.asgi
    from botguard.falcon import BotGuardMiddleware

    app = falcon.App(middleware=[BotGuardMiddleware(deny=[r"(?i)scrapy"])])        # WSGI
    app = falcon.asgi.App(middleware=[BotGuardMiddleware()])                       # ASGI

Importing this module needs nothing from Falcon: it only reads `req.scope` / `req.env` (and
`req.headers` where Falcon has spent the scope's headers) and writes Falcon's response object.
"""

from __future__ import annotations

from typing import Any

from ._config import Config
from ._guard import Decision, Guard
from ._request import Request, environ_request, scope_request
from ._types import ConfigSource

__all__ = ["BotGuardMiddleware"]


class BotGuardMiddleware:
    """Answer bots with the config's 403 before routing; pass everything else with its verdict.

    Arguments:
        config: a `Config`, or a loader (anything with `.get()` returning a `Config`);
            None means the built-in defaults.
        **fields: `Config` fields, to build a config in place (not together with `config`).

    The verdict reaches the responder as `req.context.botguard`; `on_block` receives the ASGI
    scope or the WSGI environ. HTTP requests only (WebSocket routes are not judged).
    """

    def __init__(self, config: Config | ConfigSource | None = None, **fields: Any) -> None:
        self.guard = Guard(config, fields)

    def process_request(self, req: Any, resp: Any) -> None:
        """WSGI: judge the request; a crawler claim waits for DNS in this worker thread."""
        request = environ_request(req.env)
        decision = self.guard.decide(request)
        if decision.pending:
            decision = self.guard.settle(decision, request)
        _answer(req, resp, decision)

    async def process_request_async(self, req: Any, resp: Any) -> None:
        """ASGI: judge the request; a crawler claim's DNS is awaited off the event loop."""
        scope = req.scope
        if type(scope["headers"]) is not list:
            # An iterator (Falcon's test client sends one), which Falcon has read already: its
            # parsed headers instead, where repeated values are joined, as a WSGI server does.
            headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in req.headers.items()]
            scope = {**scope, "headers": headers}
        request: Request = scope_request(scope)
        decision = self.guard.decide(request)
        if decision.pending:
            decision = await self.guard.asettle(decision, request)
        _answer(req, resp, decision)


def _answer(req: Any, resp: Any, decision: Decision) -> None:
    req.context.botguard = decision.verdict
    response = decision.response
    if response is None:
        if decision.header is not None:
            resp.set_header(*(part.decode("latin-1") for part in decision.header))
        return
    resp.status = response.status
    for name, value in response.headers:
        if name != b"content-length":  # Falcon sets its own from the body
            resp.append_header(name.decode("latin-1"), value.decode("latin-1"))
    resp.data = response.body
    resp.complete = True  # skip routing and the responder; the other middleware still runs
