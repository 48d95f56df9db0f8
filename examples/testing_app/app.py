"""A Starlette app with two botguard configs, and the test suite beside it shows how to test it.

    uvicorn examples.testing_app.app:app --host 127.0.0.1 --port 8000
    pytest examples/testing_app

The site refuses AI crawlers and HTTP libraries but admits our uptime monitor; the API under
/api admits curl (our ops scripts use it) and still refuses AI crawlers.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from botguard import BotGuardMiddleware, Config

AI_CRAWLERS = [
    r"(?i)GPTBot|ChatGPT-User|OAI-SearchBot",
    r"(?i)ClaudeBot|Claude-(?:User|Web|SearchBot)|anthropic-ai",
    r"(?i)PerplexityBot|Perplexity-?User",
    r"CCBot",
    r"(?i)Bytespider",
    r"(?i)cohere-(?:ai|training-data-crawler)",
    r"Amazonbot|Applebot-Extended|Google-Extended|GoogleOther|Google-CloudVertexBot",
    r"(?i)meta-external(?:agent|fetcher)",
    r"(?i)Diffbot|YouBot|ImagesiftBot|Timpibot|AI2Bot|img2dataset|DuckAssistBot|PanguBot|Kangaroo ?Bot"
    r"|iaskspider|omgili|FriendlyCrawler|VelenPublicWebCrawler|MistralAI-User|laion-huggingface|Devin/"
    r"|HenkBot|KunatoCrawler|ExteContextCrawl",
]
HTTP_LIBRARIES = [r"^curl/", r"^Wget/", r"^python-requests/", r"^python-httpx/", r"^Go-http-client/"]

SITE = Config(allow=[r"^Uptime-Kuma/"], deny=[*AI_CRAWLERS, *HTTP_LIBRARIES], builtin="default")
API = Config(allow=[r"^curl/"], deny=AI_CRAWLERS, builtin=None)


async def home(request: Request) -> JSONResponse:
    return JSONResponse({"page": "home", "verdict": request.state.botguard.name})


async def status(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True, "verdict": request.state.botguard.name})


api = BotGuardMiddleware(Starlette(routes=[Route("/status", status)]), config=API)
site = BotGuardMiddleware(Starlette(routes=[Route("/", home)]), config=SITE)
app = Starlette(routes=[Mount("/api", app=api), Mount("/", app=site)])
