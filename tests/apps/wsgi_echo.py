"""A WSGI app that shows what the server put in HTTP_USER_AGENT and what botguard made of it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botguard import BotGuardWSGIMiddleware


def echo(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    verdict = environ.get("botguard.verdict")
    body = json.dumps(
        {"user_agent": environ.get("HTTP_USER_AGENT"), "verdict": None if verdict is None else verdict.name}
    ).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


app = BotGuardWSGIMiddleware(echo)
