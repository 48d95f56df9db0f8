"""botguard set up for production: monitor mode from the environment, Prometheus metrics, block logs.

    BOTGUARD_MONITOR=1 uvicorn examples.production_app:app --host 127.0.0.1 --port 8000
    curl -s http://127.0.0.1:8000/metrics | grep '^botguard_'
"""

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

# botguard's counters as Prometheus metrics (the default registry; several workers: docs/production.md).
botguard.prometheus.register()

# botguard logs one line per block on the "botguard" logger; send it somewhere.
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

config = Config(
    monitor=os.environ.get("BOTGUARD_MONITOR") == "1",
    allow=[r"^Prometheus/"],  # the scraper must always get through
    allow_categories=["monitor"],  # load balancers' and Kubernetes' health checks, uptime monitors
    deny=[r"(?i)scrapy"],
    retry_after=3600,
)


async def metrics(request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


async def home(request: Request) -> JSONResponse:
    # In monitor mode bots get here too: their verdict says what enforcement would do.
    return JSONResponse({"verdict": request.state.botguard.name})


async def stats(request: Request) -> JSONResponse:
    return JSONResponse(botguard.stats()["requests"])


app = Starlette(
    routes=[Route("/", home), Route("/botguard/stats", stats), Route("/metrics", metrics)],
    middleware=[Middleware(BotGuardMiddleware, config=config)],
)
