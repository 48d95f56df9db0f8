"""A Starlette app for the real-server tests of issue 6: config from JSON in the environment,
botguard's log lines into a file, `/stats` and `/metrics` to read the counters from outside."""

import json
import logging
import os

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

import botguard
from botguard import BotGuardMiddleware, Config

if log_file := os.environ.get("BOTGUARD_TEST_LOG"):
    handler = logging.FileHandler(log_file)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logging.getLogger("botguard").addHandler(handler)
    logging.getLogger("botguard").setLevel(logging.DEBUG)


async def metrics(request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


async def home(request: Request) -> JSONResponse:
    verdict = request.state.botguard
    return JSONResponse({"verdict": None if verdict is None else verdict.name})


async def stats(request: Request) -> JSONResponse:
    counters = botguard.stats()
    counters["decision_seconds"]["buckets"] = {str(k): v for k, v in counters["decision_seconds"]["buckets"].items()}
    return JSONResponse(counters)


botguard.prometheus.register()

config = Config.from_mapping(json.loads(os.environ.get("BOTGUARD_TEST_CONFIG", "{}")))
app = Starlette(
    routes=[Route("/", home), Route("/stats", stats), Route("/metrics", metrics)],
    middleware=[Middleware(BotGuardMiddleware, config=config)],
)
