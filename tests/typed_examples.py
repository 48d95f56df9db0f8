"""Code written as the docs write it; `make test` runs mypy --strict over this file.

Lists are what users type (`deny=[r"x"]`), so the field types must accept any sequence of strings;
the middleware class is what Starlette and FastAPI take as a middleware factory.
"""

from __future__ import annotations

from fastapi import FastAPI
from flask import Flask
from starlette.applications import Starlette
from starlette.middleware import Middleware

from botguard import BotGuardMiddleware, BotGuardWSGIMiddleware, Config

DOCS_STYLE = Config(
    allow=[r"^curl/"],
    deny=[r"(?i)scrapy"],
    allow_categories=["library", "monitor"],
    verify=["google", "bing"],
    trusted_proxies=["10.0.0.0/8"],
)
TUPLES = Config(allow=(r"^curl/",), deny=(r"(?i)scrapy",), verify=("google",))


# The middleware where Starlette and FastAPI expect a middleware factory, as the docs add it.
def starlette_app() -> Starlette:
    return Starlette(middleware=[Middleware(BotGuardMiddleware), Middleware(BotGuardMiddleware, deny=[r"(?i)scrapy"])])


def fastapi_app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(BotGuardMiddleware, allow=[r"^curl/"], deny=[r"(?i)scrapy"])
    app.add_middleware(BotGuardMiddleware, config=DOCS_STYLE)
    return app


def flask_app() -> Flask:
    app = Flask(__name__)
    # Flask's documented way to wrap its WSGI app; mypy calls any assignment to a method an error.
    app.wsgi_app = BotGuardWSGIMiddleware(app.wsgi_app, deny=[r"(?i)scrapy"])  # type: ignore[method-assign]
    return app
