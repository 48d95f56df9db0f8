"""The apps `load.sh` and `soak.sh` serve: one bare Starlette app, and the same app behind botguard.

    uvicorn benchmarks.load_apps:bare      # no botguard
    uvicorn benchmarks.load_apps:guarded   # built-in default rules, or the rules file in BOTGUARD_RULES
"""

from __future__ import annotations

import logging
import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from botguard import BotGuardMiddleware


async def home(request: Request) -> PlainTextResponse:
    return PlainTextResponse("hello")


bare = Starlette(routes=[Route("/", home)])


def _guarded() -> BotGuardMiddleware:
    rules = os.environ.get("BOTGUARD_RULES")
    if not rules:
        return BotGuardMiddleware(Starlette(routes=[Route("/", home)]))
    from botguard import ConfigLoader

    # Reload outcomes are INFO (changed) and WARNING (failed): show both.
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    ttl = float(os.environ.get("BOTGUARD_TTL", "1"))
    return BotGuardMiddleware(Starlette(routes=[Route("/", home)]), config=ConfigLoader.from_file(rules, ttl=ttl))


guarded = _guarded()
