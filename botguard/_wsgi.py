"""`BotGuardWSGIMiddleware`: botguard as PEP 3333 middleware (Flask, Django WSGI, any WSGI app).

The twin of `_asgi.py`: the same `Guard`, the same decisions, the same answers. What differs is
only what a WSGI server shows us. Servers fold repeated headers into one `HTTP_USER_AGENT`
(wsgiref, gunicorn and werkzeug join them with ","), and a comma is legal inside one User-Agent
("KHTML, like Gecko"), so a WSGI app cannot tell two headers from one: the joined value is judged
as one User-Agent, and the 400 for duplicates is only seen where the server hands over both.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from http import HTTPStatus
from typing import Any

from ._config import Config
from ._guard import Guard
from ._request import environ_request
from ._responses import BlockResponse
from ._types import ConfigSource, Environ, StartResponse, WSGIApp

__all__ = ["BotGuardWSGIMiddleware"]


class BotGuardWSGIMiddleware:
    """Answer bots with 403 before the WSGI app runs; pass everything else with its verdict.

        app.wsgi_app = BotGuardWSGIMiddleware(app.wsgi_app)             # Flask
        application = BotGuardWSGIMiddleware(get_wsgi_application())  # Django via WSGI

    Arguments:
        app: the WSGI app to protect.
        config: a `Config`, or a loader (anything with `.get()` returning a `Config`);
            None means the built-in defaults.
        **fields: `Config` fields, to build a config in place (not together with `config`).

    The verdict reaches the app as `environ["botguard.verdict"]`; `on_block` receives the environ.
    Safe under threaded servers: the guard keeps no per-request state and the caches are locked.
    """

    def __init__(self, app: WSGIApp, config: Config | ConfigSource | None = None, **fields: Any) -> None:
        self.app = app
        self.guard = Guard(config, fields)

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        request = environ_request(environ)
        decision = self.guard.decide(request)
        if decision.pending:
            # A claim to be a verified crawler: prove it by the client's address (blocks this
            # worker thread at most `verify_timeout`, once per address per TTL, and only while
            # fewer than `verify_max_waiting` threads wait; the others are answered at once).
            decision = self.guard.settle(decision, request)
        response = decision.response
        if response is None:
            environ["botguard.verdict"] = decision.verdict
            if decision.header is not None:
                start_response = _adding_header(start_response, decision.header)
            return self.app(environ, start_response)
        status, headers = _wsgi_head(response)
        # A fresh list each time: servers may add to the list they are given.
        start_response(status, list(headers))
        return [response.body]


@lru_cache(maxsize=64)
def _wsgi_head(response: BlockResponse) -> tuple[str, tuple[tuple[str, str], ...]]:
    # Built once per distinct answer (configs prebuild theirs), so a bot flood costs no formatting.
    try:
        phrase = HTTPStatus(response.status).phrase
    except ValueError:
        phrase = "Blocked"
    headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers)
    return f"{response.status} {phrase}", headers


def _adding_header(start_response: StartResponse, raw: tuple[bytes, bytes]) -> StartResponse:
    header = (raw[0].decode("latin-1"), raw[1].decode("latin-1"))

    def start_response_with_header(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        return start_response(status, [*headers, header], exc_info)

    return start_response_with_header
